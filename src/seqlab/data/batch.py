"""The one batch contract every ``Batches`` object produces (numpy; the Trainer moves it to torch).

A batch carries what any task needs: ``inputs`` and ``targets``, the real ``lengths`` of the
rows (so padding is never read as data: a bidirectional encoder packs, a pooling head masks),
an optional encoder ``source`` for sequence-to-sequence models, optional per-example
``weights`` (class weighting) and ``continues`` for truncated BPTT over one long stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Batch:
    """One batch of numpy arrays.

    Attributes
    ----------
    inputs : ndarray
        ``(N, L)`` int64 ids or ``(N, L, F)`` float32 features (``(N, ...)`` for fixed windows).
    targets : ndarray
        Task-shaped: ``(N, L)`` ids with ``-100`` where nothing is predicted, ``(N,)`` labels, ``(N, C)`` values.
    lengths : ndarray of shape (N,), optional
        Real length of each row of ``inputs``; steps at and after it are padding.
    source, source_lengths : ndarray, optional
        Encoder input ``(N, S)`` and its lengths for sequence-to-sequence models (``inputs`` is then
        the decoder input).
    weights : ndarray of shape (N,), optional
        Per-example loss weights.
    continues : bool
        A stream batch continuing the previous window: a recurrent model may carry its state.
    """

    inputs: np.ndarray
    targets: np.ndarray
    lengths: np.ndarray | None = None
    source: np.ndarray | None = None
    source_lengths: np.ndarray | None = None
    weights: np.ndarray | None = None
    continues: bool = False


class Batches(Protocol):
    """What the Trainer iterates: ``len()`` batches per epoch, ``batch(epoch, k)`` deterministic in both."""

    def __len__(self) -> int: ...

    def batch(self, epoch: int, k: int) -> Batch: ...


def epoch_order(n: int, *, seed: int, epoch: int, shuffle: bool = True) -> np.ndarray:
    """The order in which ``n`` examples are visited in ``epoch``: a pure function of ``(seed, epoch)``,
    which is what lets a resumed run continue bit for bit."""
    if not shuffle:
        return np.arange(n)
    order: np.ndarray = np.random.default_rng((seed, epoch)).permutation(n)
    return order


def batch_indices(order: np.ndarray, k: int, batch_size: int, rows: slice | None = None) -> np.ndarray:
    """Example indices of batch ``k`` in ``order``; ``rows`` keeps this process's share (distributed)."""
    idx = order[k * batch_size:(k + 1) * batch_size]
    return idx[rows] if rows is not None else idx


def lengths_mask(lengths: np.ndarray, width: int) -> np.ndarray:
    """``(N, width)`` bool mask, True on the first ``lengths[i]`` steps of row ``i``."""
    return np.arange(width)[None, :] < np.asarray(lengths)[:, None]


__all__ = ["Batch", "Batches", "batch_indices", "epoch_order", "lengths_mask"]
