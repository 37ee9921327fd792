"""Lag windows: turn one long series into a regression table (document 000, slide 9).

Each row is one time step ``t``: the target is ``x[t]`` and the features are the values
before it, ``x[t-1], ..., x[t-m]``, plus optional summary features of the past. Every feature
of row ``t`` is computed from ``x[:t]`` only, so no row ever sees its own target or anything
later (the property tests check this by changing the future and watching the row stay put).

>>> import numpy as np
>>> table = lag_matrix(np.array([1., 3., 5., 3., 4.]), 3)
>>> table.columns
('t-1', 't-2', 't-3')
>>> table.X.tolist(), table.y.tolist()
([[5.0, 3.0, 1.0], [3.0, 5.0, 3.0]], [3.0, 4.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.forecast._data import as_values

_EXPANDING = ("mean", "std")
_ROLLING = ("rolling_mean", "rolling_std", "rolling_min", "rolling_max")


@dataclass(frozen=True)
class LagTable:
    """A regression table built from a series.

    Attributes
    ----------
    X : ndarray of shape (n_rows, n_columns)
        Features of each row; column names in ``columns``.
    y : ndarray of shape (n_rows,) or (n_rows, n_features)
        Targets: the series value at each row's time step.
    columns : tuple of str
        ``"t-1"`` ... for a 1-D series; ``"x0[t-1]"``, ``"x1[t-1]"`` ... for an n-D one; then extras.
    index : ndarray of int, shape (n_rows,)
        Position ``t`` in the series of each row's target.
    """

    X: np.ndarray
    y: np.ndarray
    columns: tuple[str, ...]
    index: np.ndarray


def normalize_lags(lags: int | Sequence[int]) -> tuple[int, ...]:
    """``p`` -> ``(1, ..., p)``; a sequence of positive ints is kept in the given order."""
    if isinstance(lags, bool):
        raise InvalidParameterError(f"lags must be an int >= 0 or a list of ints >= 1, got {lags!r}.")
    if isinstance(lags, int | np.integer):
        if lags < 0:
            raise InvalidParameterError(f"lags must be >= 0, got {lags}.")
        return tuple(range(1, int(lags) + 1))
    try:
        out = tuple(int(v) for v in lags)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"lags must be an int or a list of ints, got {lags!r}.") from None
    if any(v < 1 for v in out) or len(set(out)) != len(out):
        raise InvalidParameterError(f"lags in a list must be distinct ints >= 1, got {list(out)}.")
    return out


def parse_extra(extra: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """``("mean", "rolling_std:10")`` -> ``(("mean", 0), ("rolling_std", 10))``; unknown names raise."""
    if isinstance(extra, str):
        extra = (extra,)
    out = []
    for spec in extra:
        kind, _, arg = str(spec).partition(":")
        if kind in _EXPANDING and not arg:
            out.append((kind, 0))
        elif kind in _ROLLING and arg.isdigit() and int(arg) >= 1:
            out.append((kind, int(arg)))
        else:
            raise InvalidParameterError(
                f"unknown extra feature {spec!r}; use 'mean', 'std' (over the whole past) or "
                f"'{_ROLLING[0]}:K', 'rolling_std:K', 'rolling_min:K', 'rolling_max:K' with K >= 1."
            )
    return tuple(out)


def min_history(lags: int | Sequence[int], extra: Sequence[str] = ()) -> int:
    """The fewest past values one row needs: its first target position in the series."""
    need = max(normalize_lags(lags), default=0)
    for _, k in parse_extra(extra):
        need = max(need, k if k else 1)
    return need


def _column_names(lags: tuple[int, ...], extra: tuple[tuple[str, int], ...], n_features: int) -> tuple[str, ...]:
    def tag(name: str, j: int) -> str:
        return name if n_features == 1 else f"x{j}[{name}]"

    names = [tag(f"t-{lag}", j) for lag in lags for j in range(n_features)]
    names += [tag(kind if not k else f"{kind}:{k}", j) for kind, k in extra for j in range(n_features)]
    return tuple(names)


def _expanding(x: np.ndarray, kind: str, rows: np.ndarray) -> np.ndarray:
    """Mean or std (ddof=0) of ``x[:t]`` for each ``t`` in ``rows``: (n_rows, n_features)."""
    csum = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(x, axis=0)])
    count = rows[:, None].astype(np.float64)
    mean: np.ndarray = csum[rows] / count
    if kind == "mean":
        return mean
    # std from centred sums would need a pass per row; use the shifted two-moment form, stable
    # enough because the shift (the first value) is close to the data
    shifted = x - x[:1]
    c1 = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(shifted, axis=0)])
    c2 = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(shifted**2, axis=0)])
    var = c2[rows] / count - (c1[rows] / count) ** 2
    return np.asarray(np.sqrt(np.maximum(var, 0.0)))


def _rolling(x: np.ndarray, kind: str, k: int, rows: np.ndarray) -> np.ndarray:
    """A statistic of the window ``x[t-k:t]`` for each ``t`` in ``rows``: (n_rows, n_features)."""
    win = sliding_window_view(x, k, axis=0)[rows - k]  # (n_rows, n_features, k)
    fn: Any = {"rolling_mean": np.mean, "rolling_std": np.std, "rolling_min": np.min, "rolling_max": np.max}[kind]
    return np.asarray(fn(win, axis=-1))


def lag_matrix(
    series: Any,
    lags: int | Sequence[int],
    extra: Sequence[str] = (),
    *,
    fill: str | None = None,
) -> LagTable:
    """The regression table of a series: target ``x[t]``, features from ``x[:t]`` only.

    Parameters
    ----------
    series : array-like of shape (n_steps,) or (n_steps, n_features), or a seqlab ``Series``
    lags : int or sequence of int
        ``p`` uses lags 1..p (``x[t-1]`` first); a list picks specific lags, e.g. ``[1, 12]``.
    extra : sequence of str, default=()
        Summary features of the past: ``"mean"`` and ``"std"`` of the whole history ``x[:t]``;
        ``"rolling_mean:K"``, ``"rolling_std:K"``, ``"rolling_min:K"``, ``"rolling_max:K"`` of
        the last K values ``x[t-K:t]``. For an n-D series each feature is computed per column.
    fill : {"ffill", "interpolate", "zero", "mean"} or None, default=None
        Policy for NaN/inf; None raises an error naming the first bad index.

    Returns
    -------
    LagTable
        ``X``, ``y``, ``columns`` and ``index`` (target positions). The first row is at
        ``t = min_history(lags, extra)``; rows need a full window, so nothing is padded.

    Raises
    ------
    DataError
        If the series is shorter than ``min_history + 1`` (one complete row).
    """
    lag_tuple = normalize_lags(lags)
    extras = parse_extra(extra)
    if not lag_tuple and not extras:
        raise InvalidParameterError("lag_matrix needs lags >= 1 or at least one extra feature; got neither.")
    x = as_values(series, fill=fill)
    x2 = x.reshape(len(x), -1)
    start = min_history(lag_tuple, extra)
    if len(x) < start + 1:
        raise DataError(
            f"series has {len(x)} values but lags/extra features need {start} past values plus a target; "
            f"give at least {start + 1} values or use fewer lags."
        )
    rows = np.arange(start, len(x))
    blocks = [x2[rows - lag] for lag in lag_tuple]
    for kind, k in extras:
        blocks.append(_expanding(x2, kind, rows) if not k else _rolling(x2, kind, k, rows))
    X = np.concatenate(blocks, axis=1) if blocks else np.empty((len(rows), 0))
    return LagTable(X=X, y=x[rows], columns=_column_names(lag_tuple, extras, x2.shape[1]), index=rows)


def lag_features(history: np.ndarray, lags: int | Sequence[int], extra: Sequence[str] = ()) -> np.ndarray:
    """The feature row for the value right after ``history`` (same columns as :func:`lag_matrix`).

    This is how recursive forecasts build their next input; it equals the ``lag_matrix`` row of
    ``t = len(history)`` (up to float rounding for the summary features).
    """
    lag_tuple = normalize_lags(lags)
    h = np.asarray(history, dtype=np.float64)
    h2 = h.reshape(len(h), -1)
    need = min_history(lag_tuple, extra)
    if len(h) < need:
        raise DataError(f"need at least {need} past values to build a lag row, got {len(h)}.")
    parts = [h2[len(h) - lag] for lag in lag_tuple]
    for kind, k in parse_extra(extra):
        window = h2 if not k else h2[len(h) - k :]
        base = kind.removeprefix("rolling_")
        stat: Any = {"mean": np.mean, "std": np.std, "min": np.min, "max": np.max}[base]
        parts.append(stat(window, axis=0))
    return np.concatenate(parts) if parts else np.empty(0)
