"""Point-forecast metrics: MAE, RMSE, MAPE, sMAPE and MASE, shared by every forecaster.

All functions take ``y_true`` and ``y_pred`` of the same shape, ``(n,)`` or ``(n, n_features)``,
and average over every entry. Lower is better for all of them (a model's ``score`` is the
negative MAE, so that higher is better there, as STYLE.md B2 asks).

Conventions (those of Hyndman & Koehler 2006, "Another look at measures of forecast accuracy"):

- ``mape`` is in percent and leaves out targets equal to zero (their percentage error is
  undefined); it is ``nan`` when every target is zero.
- ``smape`` is in percent, ``200 * |e| / (|y| + |yhat|)``, with ``0 / 0`` counted as 0; it lies
  in [0, 200].
- ``mase`` divides the MAE by the in-sample MAE of the seasonal naive forecast on the training
  series ``y_train`` (season length ``m``, 1 = persistence); below 1 beats that naive forecast.

For prediction intervals: :func:`interval_coverage` (the fraction of targets inside their
interval) and :func:`interval_score` (Gneiting & Raftery's interval / Winkler score; lower is
better).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.exceptions import DataError

METRICS = ("mae", "rmse", "mape", "smape", "mase")


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    if t.shape != p.shape:
        raise DataError(f"y_true and y_pred must have the same shape, got {t.shape} and {p.shape}.")
    if t.size == 0:
        raise DataError("y_true and y_pred are empty; a forecast metric needs at least one value.")
    return t, p


def mae(y_true: Any, y_pred: Any) -> float:
    """Mean absolute error."""
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(t - p)))


def rmse(y_true: Any, y_pred: Any) -> float:
    """Root mean squared error."""
    t, p = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((t - p) ** 2)))


def mape(y_true: Any, y_pred: Any) -> float:
    """Mean absolute percentage error in percent, over the targets that are not zero."""
    t, p = _pair(y_true, y_pred)
    keep = t != 0
    if not keep.any():
        return float("nan")
    return float(100.0 * np.mean(np.abs((t[keep] - p[keep]) / t[keep])))


def smape(y_true: Any, y_pred: Any) -> float:
    """Symmetric MAPE in percent: ``mean(200 |y - yhat| / (|y| + |yhat|))``, 0/0 counted as 0."""
    t, p = _pair(y_true, y_pred)
    den = np.abs(t) + np.abs(p)
    ratio = np.divide(2.0 * np.abs(t - p), den, out=np.zeros_like(den), where=den > 0)
    return float(100.0 * np.mean(ratio))


def naive_scale(y_train: Any, season_length: int = 1) -> float:
    """In-sample MAE of the seasonal naive forecast ``y[t - m]`` on ``y_train`` (MASE's denominator)."""
    y = np.asarray(y_train, dtype=np.float64)
    if len(y) <= season_length:
        raise DataError(
            f"MASE needs a training series longer than season_length={season_length}, got {len(y)} values."
        )
    return float(np.mean(np.abs(y[season_length:] - y[:-season_length])))


def mase(y_true: Any, y_pred: Any, y_train: Any, season_length: int = 1) -> float:
    """Mean absolute scaled error: MAE divided by :func:`naive_scale` of ``y_train``.

    Returns ``inf`` (or ``nan`` when the MAE is 0 too) if the training series is constant at lag m.
    """
    scale = naive_scale(y_train, season_length)
    err = mae(y_true, y_pred)
    if scale == 0:
        return float("nan") if err == 0 else float("inf")
    return err / scale


def forecast_metrics(
    y_true: Any,
    y_pred: Any,
    *,
    y_train: Any = None,
    season_length: int = 1,
    metrics: tuple[str, ...] | list[str] = METRICS,
) -> dict[str, float]:
    """Several metrics at once, by name (``"mae"``, ``"rmse"``, ``"mape"``, ``"smape"``, ``"mase"``).

    ``mase`` needs ``y_train``; it is skipped when ``y_train`` is None.
    """
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise DataError(f"unknown forecast metric(s) {unknown}; choose from {list(METRICS)}.")
    out: dict[str, float] = {}
    for name in metrics:
        if name == "mase":
            if y_train is not None:
                out[name] = mase(y_true, y_pred, y_train, season_length)
        else:
            out[name] = {"mae": mae, "rmse": rmse, "mape": mape, "smape": smape}[name](y_true, y_pred)
    return out


# ---------------------------------------------------------------------- interval metrics
INTERVAL_METRICS = ("coverage", "interval_score")


def _bounds(y_true: Any, lower: Any, upper: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t, lo = _pair(y_true, lower)
    _, hi = _pair(y_true, upper)
    if np.any(lo > hi):
        raise DataError("interval bounds are crossed: some lower bound is above its upper bound.")
    return t, lo, hi


def interval_coverage(y_true: Any, lower: Any, upper: Any) -> float:
    """Fraction of targets inside ``[lower, upper]`` (the empirical coverage, in [0, 1])."""
    t, lo, hi = _bounds(y_true, lower, upper)
    return float(np.mean((t >= lo) & (t <= hi)))


def interval_score(y_true: Any, lower: Any, upper: Any, coverage: float) -> float:
    """Mean interval (Winkler) score of central ``coverage`` intervals; lower is better.

    ``(u - l) + (2 / alpha) (l - y) [y < l] + (2 / alpha) (y - u) [y > u]`` with
    ``alpha = 1 - coverage`` (Gneiting & Raftery 2007, eq. 43): the width, plus a penalty for
    every miss proportional to how far outside the target fell.
    """
    if not 0 < coverage < 1:
        raise DataError(f"coverage must be strictly between 0 and 1, got {coverage!r}.")
    t, lo, hi = _bounds(y_true, lower, upper)
    alpha = 1.0 - coverage
    score = (hi - lo) + (2 / alpha) * np.maximum(lo - t, 0) + (2 / alpha) * np.maximum(t - hi, 0)
    return float(np.mean(score))
