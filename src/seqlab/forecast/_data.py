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
