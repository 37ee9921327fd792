"""Minibatches of (window, next value) pairs for training forecasters with the ``Trainer``.

Numpy only (no torch), like :mod:`seqlab.data.streams`: the Trainer converts the arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqlab.data.batch import Batch, batch_indices, epoch_order
from seqlab.exceptions import DataError, InvalidParameterError


@dataclass(frozen=True)
class WindowBatch(Batch):
    """A :class:`~seqlab.data.batch.Batch` of ``inputs`` (N, L, C) float32 windows, oldest step first,
    and ``targets`` (N, C) float32 next values.

    ``continues`` is always False: each window is a complete input, no state is carried.
    """


class WindowBatches:
    """Shuffled minibatches of regression pairs, a pure function of ``(seed, epoch, k)``.

    Parameters
    ----------
    inputs : ndarray of shape (N, ...)
    targets : ndarray of shape (N, ...)
    batch_size : int
        The last batch of an epoch may be smaller.
    seed : int, default=0
        Epoch ``e`` visits the pairs in the order ``default_rng((seed, e)).permutation(N)``.
    """

    def __init__(self, inputs: np.ndarray, targets: np.ndarray, *, batch_size: int, seed: int = 0) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidParameterError(f"batch_size must be an int >= 1, got {batch_size!r}.")
        if len(inputs) != len(targets):
            raise DataError(f"inputs and targets must have the same length; got {len(inputs)} and {len(targets)}.")
        if len(inputs) == 0:
            raise DataError("No training pair to batch: give a longer series or a shorter window.")
        self.inputs = np.ascontiguousarray(inputs, dtype=np.float32)
        self.targets = np.ascontiguousarray(targets, dtype=np.float32)
        self.batch_size, self.seed = batch_size, seed

    def __len__(self) -> int:
        return -(-len(self.inputs) // self.batch_size)

    def order(self, epoch: int) -> np.ndarray:
        """Pair order of ``epoch``."""
        return epoch_order(len(self.inputs), seed=self.seed, epoch=epoch)

    def batch(self, epoch: int, k: int) -> WindowBatch:
        """Batch ``k`` of ``epoch``."""
        idx = batch_indices(self.order(epoch), k, self.batch_size)
        return WindowBatch(self.inputs[idx], self.targets[idx])


__all__ = ["WindowBatch", "WindowBatches"]
