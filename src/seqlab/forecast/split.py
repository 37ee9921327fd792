"""Walk-forward validation: train on the past, test on what follows, move forward, repeat.

Documents 000 and 002: when the instances are ordered in time, a random split trains on the
future of the test data; walk-forward validation simulates production instead, retraining as
the test window advances.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqlab._validation import int_at_least, is_int, require
from seqlab.exceptions import DataError, InvalidParameterError


@dataclass(frozen=True, kw_only=True)
class WalkForward:
    """Walk-forward splitter: expanding (default) or sliding training windows.

    Fold ``i`` forecasts from origin ``o = initial + i * step``: it trains on the points before
    ``o`` (all of them, or the last ``window``) and tests on the ``horizon`` points from ``o``.
    Folds stop when a full test window no longer fits. With ``initial=5, horizon=2, step=2`` on
    ``n=11`` points (``T`` train, ``F`` forecast, ``.`` unused)::

        position  0 1 2 3 4 5 6 7 8 9 10
        fold 0    T T T T T F F . . . .
        fold 1    T T T T T T T F F . .
        fold 2    T T T T T T T T T F F

    and the same with ``window=4`` (sliding)::

        fold 0    . T T T T F F . . . .
        fold 1    . . . T T T T F F . .
        fold 2    . . . . . T T T T F F

    Parameters
    ----------
    initial : int
        Number of points in the first training window (the first origin). To start after an
        index label instead (e.g. "train up to the year 1920"), use :func:`resolve_initial`.
    horizon : int, default=1
        Test points per fold (forecast steps ahead).
    step : int, default=1
        How far the origin moves between folds. ``step=horizon`` tiles the test span.
    window : int or None, default=None
        None: expanding window (train on everything before the origin). An int: sliding
        window, train on at most the last ``window`` points.
    refit_every : int or None, default=1
        Re-estimate the model's parameters every ``refit_every`` folds (1 = every fold); between
        refits the backtest only feeds it the new observations. None never refits after fold 0.

    Examples
    --------
    >>> [(int(tr[-1]), te.tolist()) for tr, te in WalkForward(initial=3, horizon=2).split(6)]
    [(2, [3, 4]), (3, [4, 5])]
    """

    initial: int = field(kw_only=False)  # WalkForward(221) or WalkForward(initial=221)
    horizon: int = 1
    step: int = 1
    window: int | None = None
    refit_every: int | None = 1

    def __post_init__(self) -> None:
        for name in ("initial", "horizon", "step"):
            require(getattr(self, name), int_at_least(1), f"WalkForward {name}")
        for name in ("window", "refit_every"):
            require(getattr(self, name), int_at_least(1, optional=True), f"WalkForward {name}")

    def origins(self, n: int) -> np.ndarray:
        """Forecast origins (first test position of each fold) for a series of ``n`` points."""
        if self.initial + self.horizon > n:
            raise DataError(
                f"initial={self.initial} plus horizon={self.horizon} goes beyond the series of {n} points; "
                f"use initial <= {n - self.horizon}."
            )
        return np.arange(self.initial, n - self.horizon + 1, self.step)

    def n_splits(self, n: int) -> int:
        """Number of folds on a series of ``n`` points."""
        return len(self.origins(n))

    def train_bounds(self, origin: int) -> tuple[int, int]:
        """``(start, stop)`` of the training window that ends at ``origin`` (stop excluded)."""
        start = 0 if self.window is None else max(0, origin - self.window)
        return start, origin

    def split(self, n: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_idx, test_idx)`` integer arrays, fold by fold, in time order."""
        for origin in self.origins(n):
            start, stop = self.train_bounds(int(origin))
            yield np.arange(start, stop), np.arange(stop, stop + self.horizon)

    def refits_at(self, fold: int) -> bool:
        """Whether the backtest re-estimates parameters at ``fold`` (fold 0 always fits)."""
        if fold == 0:
            return True
        return self.refit_every is not None and fold % self.refit_every == 0


def resolve_initial(value: int, index: Any = None, *, kind: str = "auto") -> tuple[int, str]:
    """Turn a user's ``initial`` into a point count, reading it as a count or as an index label.

    Parameters
    ----------
    value : int
        A number of points, or an index label such as a year.
    index : array-like or None
        The series' index (e.g. years 1700..2008). Needed for ``kind="label"``.
    kind : {"auto", "count", "label"}, default="auto"
        ``"count"``: ``value`` points. ``"label"``: train up to and including the index label
        ``value`` (``initial`` = its position + 1, so the first forecast is for the next label).
        ``"auto"``: a label if the series has a numeric index containing ``value``, else a count.

    Returns
    -------
    (initial, how) : (int, str)
        The count, and a short note saying how ``value`` was read (printed by the CLI).

    Examples
    --------
    >>> resolve_initial(1920, np.arange(1700, 2009))
    (221, 'label 1920: train on 1700..1920 (221 points)')
    >>> resolve_initial(100, np.arange(1700, 2009))
    (100, 'count: the first 100 points')
    """
    if kind not in ("auto", "count", "label"):
        raise InvalidParameterError(f"initial kind must be 'auto', 'count' or 'label', got {kind!r}.")
    if not is_int(value):
        raise InvalidParameterError(f"initial must be an int, got {value!r}.")
    idx = None if index is None else np.asarray(index)
    numeric = idx is not None and idx.dtype.kind in "iuf"
    hits = np.flatnonzero(idx == value) if numeric else np.empty(0, dtype=int)
    if kind == "label" or (kind == "auto" and len(hits)):
        if not len(hits):
            where = f"{idx[0]}..{idx[-1]}" if idx is not None and len(idx) else "no index"
            raise DataError(f"initial label {value} is not in the series index ({where}); give a label in range.")
        pos = int(hits[0]) + 1
        return pos, f"label {value}: train on {idx[0]}..{value} ({pos} points)"  # type: ignore[index]
    if value < 1:
        raise InvalidParameterError(f"initial must be >= 1 points, got {value}.")
    return int(value), f"count: the first {int(value)} points"
