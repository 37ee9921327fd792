"""1-D convolutions over batch-first sequences: causal, dilated residual stack, same-padding.

Symbols: ``N`` batch, ``L`` steps, ``C`` channels. torch's ``nn.Conv1d`` is channels-first
``(N, C, L)``; these layers take and return ``(N, L, C)`` and transpose inside.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab._validation import check_int
from seqlab.exceptions import DataError
from seqlab.nn.attention import _check_dropout


def _check_conv_args(owner: str, in_channels: int, out_channels: int, kernel_size: int, dilation: int) -> None:
    check_int(in_channels, f"in_channels of {owner}", low=1)
    check_int(out_channels, f"out_channels of {owner}", low=1)
    check_int(kernel_size, f"kernel_size of {owner}", low=1)
    check_int(dilation, f"dilation of {owner}", low=1)


def _check_input(owner: str, x: Tensor, channels: int) -> None:
    if x.dim() != 3 or x.size(-1) != channels:
        raise DataError(f"{owner} expects input of shape (N, L, {channels}); got {tuple(x.shape)}. "
                        "Batch-first: (batch, time, channels).")


class CausalConv1d(nn.Module):
    """1-D convolution whose output at step ``t`` depends only on inputs at steps ``<= t``.

    Parameters
    ----------
    in_channels, out_channels : int
        ``C_in`` and ``C_out`` (torch ``in_channels`` / ``out_channels``).
    kernel_size : int
        Taps per filter, >= 1.
    dilation : int, default=1
        Gap between taps; the receptive field is ``(kernel_size - 1) * dilation + 1`` steps.
    bias : bool, default=True

    Notes
    -----
    Input ``(N, L, C_in)`` -> output ``(N, L, C_out)``: the sequence is padded on the left
    (the past) only, so no output sees the future (document 002's causal convolution).

    Plain-Python equivalent::

        out[:, t] = b + sum(x[:, t - j * dilation] @ W[:, :, k - 1 - j].T
                            for j in range(k) if t - j * dilation >= 0)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, dilation: int = 1,
                 bias: bool = True) -> None:
        super().__init__()
        _check_conv_args("CausalConv1d", in_channels, out_channels, kernel_size, dilation)
        self.left_pad = (kernel_size - 1) * dilation
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, dilation=dilation, bias=bias)

    @property
    def receptive_field(self) -> int:
        """Steps of input each output sees: ``(kernel_size - 1) * dilation + 1``."""
        return self.left_pad + 1

    def forward(self, x: Tensor) -> Tensor:
        _check_input("CausalConv1d", x, self.conv.in_channels)
        x = F.pad(x.transpose(1, 2), (self.left_pad, 0))  # (N, C_in, pad + L): pad the past only
        out: Tensor = self.conv(x).transpose(1, 2)  # (N, L, C_out)
        return out


class SameConv1d(nn.Module):
    """Non-causal 1-D convolution with "same" padding: output length equals input length.

    Each output sees ``(kernel_size - 1) * dilation + 1`` steps centred on it, past and
    future (document 002's sequence-to-sequence convolution, Kim's CNN for text). For
    classifiers and taggers, not for autoregressive models.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int
    dilation : int, default=1
    bias : bool, default=True

    Notes
    -----
    Input ``(N, L, C_in)`` -> output ``(N, L, C_out)``. With an even receptive field the extra
    padding step goes to the right (torch's ``padding="same"``).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, dilation: int = 1,
                 bias: bool = True) -> None:
        super().__init__()
        _check_conv_args("SameConv1d", in_channels, out_channels, kernel_size, dilation)
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, dilation=dilation, bias=bias, padding="same")

    def forward(self, x: Tensor) -> Tensor:
        _check_input("SameConv1d", x, self.conv.in_channels)
        out: Tensor = self.conv(x.transpose(1, 2)).transpose(1, 2)  # (N, L, C_out)
        return out


class DilatedCausalStack(nn.Module):
    """Residual stack of dilated causal convolutions (TCN / WaveNet style).

    Layer ``i`` has dilation ``dilation_base ** i``, so the receptive field grows
    exponentially with depth: ``1 + (kernel_size - 1) * sum(dilation_base ** i)``.

    Parameters
    ----------
    channels : int
        Width ``C`` of input, hidden and output steps.
    kernel_size : int, default=2
    n_layers : int, default=4
    dilation_base : int, default=2
    dropout : float, default=0.0
        After each layer's activation, in training.
    gated : bool, default=False
        WaveNet's gated activation ``tanh(conv_f(x)) * sigmoid(conv_g(x))`` instead of ReLU.

    Notes
    -----
    Input and output ``(N, L, C)``. Causal: output ``t`` depends on inputs ``<= t`` only.

    Plain-Python equivalent::

        for i in range(n_layers):
            y = relu(causal_conv_i(x))                 # dilation dilation_base ** i
            x = x + W_i @ dropout(y)                   # 1x1 mix, residual
    """

    def __init__(self, channels: int, *, kernel_size: int = 2, n_layers: int = 4, dilation_base: int = 2,
                 dropout: float = 0.0, gated: bool = False) -> None:
        super().__init__()
        self.channels = check_int(channels, "channels of DilatedCausalStack", low=1)
        check_int(kernel_size, "kernel_size of DilatedCausalStack", low=1)
        self.n_layers = check_int(n_layers, "n_layers of DilatedCausalStack", low=1)
        check_int(dilation_base, "dilation_base of DilatedCausalStack", low=1)
        self.gated = bool(gated)
        width = 2 * channels if gated else channels
        self.convs = nn.ModuleList(CausalConv1d(channels, width, kernel_size, dilation=dilation_base**i)
                                   for i in range(n_layers))
        self.mixes = nn.ModuleList(nn.Linear(channels, channels) for _ in range(n_layers))
        self._receptive_field: int = 1 + (kernel_size - 1) * sum(dilation_base**i for i in range(n_layers))
        self.drop = nn.Dropout(_check_dropout(dropout, "DilatedCausalStack"))

    @property
    def receptive_field(self) -> int:
        """Input steps each output sees."""
        return self._receptive_field

    def forward(self, x: Tensor) -> Tensor:
        _check_input("DilatedCausalStack", x, self.channels)
        for conv, mix in zip(self.convs, self.mixes, strict=True):
            y = conv(x)  # (N, L, C) or (N, L, 2C)
            if self.gated:
                f, g = y.chunk(2, -1)
                y = torch.tanh(f) * torch.sigmoid(g)  # (N, L, C)
            else:
                y = torch.relu(y)
            x = x + mix(self.drop(y))  # (N, L, C)
        return x
