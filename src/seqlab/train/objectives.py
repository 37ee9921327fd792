"""What the ``Trainer`` minimises: the task's loss as a (sum, count) pair.

The Trainer owns the loop (schedule, clipping, checkpoints, DDP); an *objective* owns the
loss. It runs the module on one :class:`~seqlab.train.batch.TensorBatch` (inputs, targets,
lengths, an optional encoder source, optional example weights) and returns the summed loss, the
number of terms in that sum and the module's new recurrent state. Returning a sum and a count (not a mean) lets
the Trainer normalise by the *global* count across processes and weight evaluation batches
exactly. A task model defines its objective next to its module; the two generic ones are:

- :data:`TOKEN_CROSS_ENTROPY` (the default): next-token negative log-likelihood of a language
  model whose ``forward(inputs, targets=None, state=None)`` returns a ``ModelOutput`` with
  ``logits``; targets equal to ``IGNORE_INDEX`` do not count. ``exp(mean)`` is a perplexity.
- :data:`MEAN_SQUARED_ERROR`: regression (the neural forecasters), ``module(inputs)`` returns
  the predictions, every target element counts once. No perplexity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.data.streams import IGNORE_INDEX
from seqlab.train.batch import TensorBatch

_Net = TypeVar("_Net", bound=nn.Module)


def unwrap_network(module: nn.Module, kind: type[_Net]) -> _Net:
    """The task network a family's objective was given, typed as ``kind``.

    ``DistributedDataParallel`` hands the objective a wrapper that keeps the network in
    ``.module``; objectives that read the network's config or step counter unwrap it here.
    Any other module is a wiring mistake, reported as a ``TypeError`` naming both classes.
    """
    net = getattr(module, "module", module)  # DDP wraps the network
    if not isinstance(net, kind):
        raise TypeError(f"this objective trains {kind.__name__} networks, got a {type(net).__name__} module.")
    return net


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

    @property
    def name(self) -> str: ...

    @property
    def perplexity(self) -> bool: ...

    def __call__(self, module: nn.Module, batch: TensorBatch, state: Any) -> tuple[Tensor, Tensor, Any]:
        """``(summed loss, number of terms, new state)`` of ``module`` on one batch."""
        ...


@dataclass(frozen=True)
class TokenCrossEntropy:
    """Summed next-token cross-entropy over the targets that are not ``IGNORE_INDEX``."""

    name: str = "token_cross_entropy"
    perplexity: bool = True

    def __call__(self, module: nn.Module, batch: TensorBatch, state: Any) -> tuple[Tensor, Tensor, Any]:
        out = module(batch.inputs, None, state)
        logits = out.logits  # (N, L, V)
        targets = batch.targets  # (N, L); padding is IGNORE_INDEX, so it never counts
        total = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                                ignore_index=IGNORE_INDEX, reduction="sum")
        count = (targets != IGNORE_INDEX).sum()
        return total, count, out.state


@dataclass(frozen=True)
class MeanSquaredError:
    """Summed squared error of ``module(inputs)`` against ``targets``; stateless modules."""

    name: str = "mean_squared_error"
    perplexity: bool = False

    def __call__(self, module: nn.Module, batch: TensorBatch, state: Any) -> tuple[Tensor, Tensor, Any]:
        prediction = module(batch.inputs)  # (N, C)
        total = F.mse_loss(prediction, batch.targets, reduction="sum")
        return total, torch.tensor(batch.targets.numel(), device=batch.targets.device), None


TOKEN_CROSS_ENTROPY = TokenCrossEntropy()
MEAN_SQUARED_ERROR = MeanSquaredError()
