"""Pool a padded sequence of vectors into one vector per row, never reading the padding.

Symbols: ``N`` batch, ``L`` length, ``D`` features. ``mask (N, L)`` is True at real steps,
a prefix of each row; every row has at least one real step.

Modes (``SequencePooling(mode)``): ``"last"`` the last *real* step (for a bidirectional
recurrent output, the forward half at the last real step and the backward half at step 0),
``"mean"`` the mean over real steps, ``"max"`` the maximum over real steps, ``"attention"``
a learned weighted mean (``score_t = v . tanh(W h_t)``, softmax over real steps; Yang et al.
2016's attention pooling without the context vector's hierarchy).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from seqlab._validation import check_int
from seqlab.exceptions import DataError, InvalidParameterError

POOLING_MODES = ("last", "mean", "max", "attention")


class SequencePooling(nn.Module):
    """Masked pooling over time.

    Parameters
    ----------
    mode : {"last", "mean", "max", "attention"}
    d_model : int
        Features ``D`` of the input (needed by ``"attention"``).
    backward_half : int, default=0
        With ``mode="last"``: the last ``backward_half`` features come from a backward
        recurrent pass, so they are read at step 0 (their last step) instead.
    """

    def __init__(self, mode: str, d_model: int, *, backward_half: int = 0) -> None:
        super().__init__()
        if mode not in POOLING_MODES:
            raise InvalidParameterError(f"pooling must be one of {', '.join(POOLING_MODES)}; got {mode!r}.")
        self.mode = mode
        self.d_model = check_int(d_model, "d_model of SequencePooling", low=1)
        self.backward_half = check_int(backward_half, "backward_half of SequencePooling", low=0)
        if mode == "attention":
            self.proj = nn.Linear(d_model, d_model)
            self.v = nn.Linear(d_model, 1, bias=False)

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}, d_model={self.d_model}"

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """Pool ``x`` (N, L, D) over its real steps; returns (N, D)."""
        if x.dim() != 3 or x.size(-1) != self.d_model or mask.shape != x.shape[:2]:
            raise DataError(f"SequencePooling expects x (N, L, {self.d_model}) and mask (N, L); "
                            f"got {tuple(x.shape)} and {tuple(mask.shape)}.")
        m = mask.unsqueeze(-1)                                                   # (N, L, 1)
        if self.mode == "last":
            idx = (mask.sum(1) - 1).clamp(min=0)                                 # (N,)
            last = x[torch.arange(x.size(0), device=x.device), idx]              # (N, D)
            if self.backward_half:
                last = torch.cat([last[:, : -self.backward_half], x[:, 0, -self.backward_half:]], dim=1)
            return last
        if self.mode == "mean":
            return (x * m).sum(1) / m.sum(1).clamp(min=1)                        # (N, D)
        if self.mode == "max":
            return x.masked_fill(~m, float("-inf")).amax(1)                      # (N, D)
        scores = self.v(torch.tanh(self.proj(x))).squeeze(-1)                    # (N, L)
        weights = scores.masked_fill(~mask, float("-inf")).softmax(1)            # (N, L)
        return torch.einsum("nl,nld->nd", weights, x)                            # (N, D)
