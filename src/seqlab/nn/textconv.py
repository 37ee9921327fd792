"""Convolutions over padded token sequences: Kim's CNN, same-length conv features, char CNN.

Symbols: ``N`` batch, ``L`` length, ``C`` input features, ``F`` filters, ``W`` characters per
word. Inputs are zeroed at padded steps (``mask`` False) before every convolution, and outputs
that only cover padding are excluded from pooling, so appending padding never changes a
real row's result.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab._validation import check_int
from seqlab.exceptions import InvalidParameterError


def check_kernel_sizes(kernel_sizes: Sequence[int]) -> tuple[int, ...]:
    """Kernel widths as a non-empty tuple of ints >= 1, else ``InvalidParameterError``."""
    sizes = tuple(kernel_sizes) if not isinstance(kernel_sizes, int) else (kernel_sizes,)
    if not sizes or not all(isinstance(k, int) and not isinstance(k, bool) and k >= 1 for k in sizes):
        raise InvalidParameterError(f"kernel_sizes must be one or more ints >= 1 (e.g. 3,4,5); got {kernel_sizes!r}.")
    return sizes


class KimCNN(nn.Module):
    """Kim (2014) sentence CNN: parallel wide convolutions, ReLU, max-over-time pooling.

    Parameters
    ----------
    in_features : int
        ``C``.
    kernel_sizes : sequence of int, default=(3, 4, 5)
    n_filters : int, default=100
        Filters per width; the output has ``len(kernel_sizes) * n_filters`` features.

    Notes
    -----
    ``forward(x (N, L, C), mask (N, L)) -> (N, len(kernel_sizes) * F)``. Each convolution is
    wide (``k - 1`` zeros on both sides), so sentences shorter than the widest kernel work.
    """

    def __init__(self, in_features: int, *, kernel_sizes: Sequence[int] = (3, 4, 5), n_filters: int = 100) -> None:
        super().__init__()
        self.kernel_sizes = check_kernel_sizes(kernel_sizes)
        self.n_filters = check_int(n_filters, "n_filters of KimCNN", low=1)
        self.convs = nn.ModuleList(nn.Conv1d(in_features, n_filters, k) for k in self.kernel_sizes)

    @property
    def output_size(self) -> int:
        return len(self.kernel_sizes) * self.n_filters

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        x = (x * mask.unsqueeze(-1)).transpose(1, 2)                             # (N, C, L)
        lengths = mask.sum(1)                                                    # (N,)
        pooled = []
        for k, conv in zip(self.kernel_sizes, self.convs, strict=False):
            h = F.relu(conv(F.pad(x, (k - 1, k - 1))))                           # (N, F, L + k - 1)
            valid = torch.arange(h.size(2), device=x.device)[None, :] < (lengths + k - 1)[:, None]  # (N, L + k - 1)
            pooled.append(h.masked_fill(~valid.unsqueeze(1), float("-inf")).amax(2))  # (N, F)
        return torch.cat(pooled, dim=1)                                          # (N, len(ks) * F)


class MaskedConv(nn.Module):
    """Same-length 1-D convolutions (one per odd or even width, concatenated) with ReLU, per step.

    ``forward(x (N, L, C), mask) -> (N, L, len(kernel_sizes) * F)``, zero at padded steps.
    Used by the CNN-LSTM encoder and the CNN tagger.
    """

    def __init__(self, in_features: int, *, kernel_sizes: Sequence[int] = (3,), n_filters: int = 100) -> None:
        super().__init__()
        self.kernel_sizes = check_kernel_sizes(kernel_sizes)
        self.n_filters = check_int(n_filters, "n_filters of MaskedConv", low=1)
        self.convs = nn.ModuleList(nn.Conv1d(in_features, n_filters, k) for k in self.kernel_sizes)

    @property
    def output_size(self) -> int:
        return len(self.kernel_sizes) * self.n_filters

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        m = mask.unsqueeze(-1)                                                   # (N, L, 1)
        x = (x * m).transpose(1, 2)                                              # (N, C, L)
        outs = [F.relu(conv(F.pad(x, ((k - 1) // 2, k // 2))))
                for k, conv in zip(self.kernel_sizes, self.convs, strict=True)]
        return torch.cat(outs, dim=1).transpose(1, 2) * m                        # (N, L, len(ks) * F)


class CharCNN(nn.Module):
    """Character-level word features: char embeddings, a convolution, max over the word's chars.

    Parameters
    ----------
    n_chars : int
        Character vocabulary size (id 0 is padding).
    d_char : int, default=25
    n_filters : int, default=50
    kernel_size : int, default=3

    Notes
    -----
    ``forward(chars (N, L, W) int64) -> (N, L, F)``; words are padded with char id 0 and a
    word of only padding (a padded step) gives zeros (Ma and Hovy, 2016).
    """

    def __init__(self, n_chars: int, *, d_char: int = 25, n_filters: int = 50, kernel_size: int = 3) -> None:
        super().__init__()
        self.embed = nn.Embedding(check_int(n_chars, "n_chars of CharCNN", low=2), d_char, padding_idx=0)
        self.kernel_size = check_int(kernel_size, "kernel_size of CharCNN", low=1)
        self.conv = nn.Conv1d(d_char, check_int(n_filters, "n_filters of CharCNN", low=1), kernel_size)
        self.output_size = n_filters

    def forward(self, chars: Tensor) -> Tensor:
        n, length, width = chars.shape
        flat = chars.reshape(n * length, width)                                  # (N*L, W)
        e = self.embed(flat).transpose(1, 2)                                     # (N*L, E, W)
        k = self.kernel_size
        h = self.conv(F.pad(e, ((k - 1) // 2, k // 2)))                          # (N*L, F, W)
        real = (flat > 0).unsqueeze(1)                                           # (N*L, 1, W)
        h = h.masked_fill(~real, float("-inf")).amax(2)                          # (N*L, F)
        h = torch.where(torch.isinf(h), torch.zeros_like(h), h)                  # all-padding words -> 0
        return h.reshape(n, length, -1)                                          # (N, L, F)
