"""Series coercion shared by the forecasting entry points: values, index, missing-value policy."""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab._validation import check_series
from seqlab.exceptions import DataError, InvalidParameterError

FILL_POLICIES = ("ffill", "interpolate", "zero", "mean")


def split_series(series: Any) -> tuple[Any, np.ndarray | None]:
    """``(values, index)`` of a seqlab ``Series`` (duck-typed: ``.values`` and ``.index``), else ``(series, None)``."""
    values = getattr(series, "values", None)
    index = getattr(series, "index", None)
    if values is not None and index is not None and not callable(values):
        return values, np.asarray(index)
    return series, None


def fill_missing(values: np.ndarray, fill: str) -> np.ndarray:
    """Replace NaN/inf in a float array by a named policy (per column for 2-D input).

    ``"ffill"`` carries the last finite value forward (leading gaps take the first finite value),
    ``"interpolate"`` interpolates linearly in the position (ends are held constant), ``"zero"``
    puts 0 and ``"mean"`` the mean of the finite values.
    """
    if fill not in FILL_POLICIES:
        raise InvalidParameterError(f"fill must be None or one of {list(FILL_POLICIES)}, got {fill!r}.")
    out = np.array(values, dtype=np.float64, copy=True)
    cols = out.reshape(len(out), -1)
    for j in range(cols.shape[1]):
        col = cols[:, j]
        ok = np.isfinite(col)
        if ok.all():
            continue
        if not ok.any():
            raise DataError(f"column {j} of the series has no finite value; nothing to fill from.")
        pos = np.arange(len(col))
        if fill == "zero":
            col[~ok] = 0.0
        elif fill == "mean":
            col[~ok] = col[ok].mean()
        elif fill == "interpolate":
            col[~ok] = np.interp(pos[~ok], pos[ok], col[ok])
        else:  # ffill: index of the last finite value at or before each position
            last = np.maximum.accumulate(np.where(ok, pos, -1))
            last[last < 0] = pos[ok][0]
            col[:] = col[last]
    return out


def as_values(series: Any, *, name: str = "series", min_length: int = 1, fill: str | None = None) -> np.ndarray:
    """The series as float64 ``(n_steps,)`` or ``(n_steps, n_features)``; NaN/inf raise unless ``fill`` is set.

    The error names the first bad index: "series has a non-finite value (nan) at index 12; ...".
    """
    values, _ = split_series(series)
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric; could not convert it to floats ({exc}).") from None
    if fill is not None:
        values = fill_missing(values, fill)
    elif values.ndim in (1, 2) and not np.isfinite(values).all():
        first = int(np.argwhere(~np.isfinite(values))[0][0])
        bad = values.reshape(len(values), -1)[first]
        raise DataError(
            f"{name} has a non-finite value ({float(bad[~np.isfinite(bad)][0])!r}) at index {first}; "
            f"remove it or pass fill= one of {list(FILL_POLICIES)}."
        )
    arr = check_series(values, name=name, min_length=min_length)
    if arr.ndim == 2 and arr.shape[1] == 0:
        raise DataError(f"{name} has shape {arr.shape}: it needs at least one feature column.")
    return arr


class IndexInfo:
    """How to continue a pandas index: its kind, last label, step (frequency) and names."""

    def __init__(self, kind: str, last: Any, step: Any, name: Any, columns: Any) -> None:
        self.kind, self.last, self.step, self.name, self.columns = kind, last, step, name, columns


def infer_freq(index: Any) -> Any:
    """The frequency of a ``DatetimeIndex`` as a pandas offset, or None (fewer than 3 dates, or irregular)."""
    import warnings

    import pandas as pd

    if len(index) < 3:
        return None
    with warnings.catch_warnings():  # pandas 3 warns that infer_freq will return an offset; we convert anyway
        warnings.simplefilter("ignore")
        freq = pd.infer_freq(index)
    return None if freq is None else pd.tseries.frequencies.to_offset(freq)


def index_info(series: Any) -> IndexInfo | None:
    """The continuation rule of a pandas ``Series``/``DataFrame``'s index; None for other inputs.

    Dates advance by the index's frequency (``index.freq`` or ``pandas.infer_freq``); periods by
    their own frequency; integer labels by their constant step. Raises ``DataError`` when the
    index has no inferable frequency (irregular dates or integer steps).
    """
    mod = type(series).__module__
    if not mod.startswith("pandas"):
        return None
    import pandas as pd

    index = series.index
    name = getattr(series, "name", None)
    columns = list(series.columns) if isinstance(series, pd.DataFrame) else None
    if isinstance(index, pd.DatetimeIndex):
        freq = index.freq or infer_freq(index)
        if freq is None:
            raise DataError(
                f"the series' DatetimeIndex has no inferable frequency (first dates {[str(d) for d in index[:3]]}); "
                "make it regular with series.asfreq('D'/'MS'/...) or pass series.to_numpy()."
            )
        return IndexInfo("datetime", index[-1], pd.tseries.frequencies.to_offset(freq), name, columns)
    if isinstance(index, pd.PeriodIndex):
        return IndexInfo("period", index[-1], index.freq, name, columns)
    if isinstance(index, pd.RangeIndex) or pd.api.types.is_integer_dtype(index.dtype):
        labels = np.asarray(index, dtype=np.int64)
        steps = np.unique(np.diff(labels)) if len(labels) > 1 else np.array([1])
        if len(steps) != 1 or steps[0] == 0:
            raise DataError(
                f"the series' integer index has no constant step (steps {steps[:5].tolist()}); "
                "reset it with series.reset_index(drop=True) or pass series.to_numpy()."
            )
        return IndexInfo("int", int(labels[-1]), int(steps[0]), name, columns)
    raise DataError(
        f"the series' index of type {type(index).__name__} has no inferable frequency; use a DatetimeIndex, "
        "PeriodIndex or integer index, or pass series.to_numpy()."
    )


def future_index(info: IndexInfo, offset: int, horizon: int) -> Any:
    """Labels of the ``horizon`` steps after ``offset`` steps past the last fitted label."""
    import pandas as pd

    k = np.arange(offset + 1, offset + horizon + 1)
    if info.kind == "int":
        return pd.Index(info.last + info.step * k)
    if info.kind == "period":
        return pd.period_range(start=info.last + (offset + 1), periods=horizon, freq=info.step)
    return pd.date_range(start=info.last, periods=offset + horizon + 1, freq=info.step)[offset + 1 :]


def as_many(series: Any) -> list[Any] | None:
    """The list of series when ``series`` holds several (a list/tuple of arrays or pandas Series), else None.

    A list of plain numbers or of plain lists stays one series (1-D, or 2-D rows); several series
    are given as numpy arrays or pandas/seqlab ``Series`` objects: ``fit([y1, y2])``.
    """
    if not isinstance(series, list | tuple) or not series:
        return None
    if all(isinstance(s, np.ndarray) or hasattr(s, "index") for s in series):
        return list(series)
    return None
