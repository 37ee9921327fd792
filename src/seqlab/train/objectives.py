"""What the ``Trainer`` minimises: the task's loss as a (sum, count) pair.

The Trainer owns the loop (schedule, clipping, checkpoints, DDP); an *objective* owns the
loss. It runs the module on one batch and returns the summed loss, the number of terms in
that sum and the module's new recurrent state. Returning a sum and a count (not a mean) lets
the Trainer normalise by the *global* count across processes and weight evaluation batches
exactly. Two objectives cover seqlab's tasks:

- :data:`TOKEN_CROSS_ENTROPY` (the default): next-token negative log-likelihood of a language
  model whose ``forward(inputs, targets=None, state=None)`` returns a ``ModelOutput`` with
  ``logits``; targets equal to ``IGNORE_INDEX`` do not count. ``exp(mean)`` is a perplexity.
- :data:`MEAN_SQUARED_ERROR`: regression (the neural forecasters), ``module(inputs)`` returns
  the predictions, every target element counts once. No perplexity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.data.streams import IGNORE_INDEX


class Objective(Protocol):
    """A training loss for :class:`~seqlab.train.Trainer`.

    Attributes
    ----------
    name : str
        Short name for logs.
    perplexity : bool
        Whether ``exp(mean loss)`` is meaningful (a log-likelihood per token); the Trainer
        reports ``valid_perplexity`` only then.
    """

    name: str
    perplexity: bool

    def __call__(self, module: nn.Module, inputs: Tensor, targets: Tensor, state: Any) -> tuple[Tensor, Tensor, Any]:
        """``(summed loss, number of terms, new state)`` of ``module`` on one batch."""
        ...


@dataclass(frozen=True)
class TokenCrossEntropy:
    """Summed next-token cross-entropy over the targets that are not ``IGNORE_INDEX``."""

    name: str = "token_cross_entropy"
    perplexity: bool = True

    def __call__(self, module: nn.Module, inputs: Tensor, targets: Tensor, state: Any) -> tuple[Tensor, Tensor, Any]:
        out = module(inputs, None, state)
        logits = out.logits
        total = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                                ignore_index=IGNORE_INDEX, reduction="sum")
        count = (targets != IGNORE_INDEX).sum()
        return total, count, out.state


@dataclass(frozen=True)
class MeanSquaredError:
    """Summed squared error of ``module(inputs)`` against ``targets``; stateless modules."""

    name: str = "mean_squared_error"
    perplexity: bool = False

    def __call__(self, module: nn.Module, inputs: Tensor, targets: Tensor, state: Any) -> tuple[Tensor, Tensor, Any]:
        prediction = module(inputs)
        total = F.mse_loss(prediction, targets, reduction="sum")
        return total, torch.tensor(targets.numel(), device=targets.device), None


TOKEN_CROSS_ENTROPY = TokenCrossEntropy()
MEAN_SQUARED_ERROR = MeanSquaredError()
