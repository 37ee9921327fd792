"""Walk-forward backtesting, written once for every forecaster.

The backtest fits a copy of the model on the first training window, forecasts ``horizon``
steps, then moves forward fold by fold. Between folds it feeds the model the newly observed
values through ``update(new, refit=..., forget=...)`` (see :mod:`seqlab.forecast._base`):
``refit`` is true every ``refit_every`` folds, and ``forget`` drops the values that slide out
of a bounded ``window``. A model without ``update`` is refitted from scratch on every fold.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqlab.evaluate.forecast import METRICS, forecast_metrics, interval_coverage, interval_score
from seqlab.exceptions import DataError
from seqlab.forecast._base import _exog_array
from seqlab.forecast._data import as_values, split_series
from seqlab.forecast.intervals import check_coverage
from seqlab.forecast.split import WalkForward
from seqlab.protocols import Forecaster


@dataclass
class BacktestResult:
    """Forecasts of a walk-forward backtest against the actual values.

    Attributes
    ----------
    predictions : ndarray of shape (n_targets,) or (n_targets, n_features)
        One value per forecast target, fold by fold and, within a fold, lead by lead (time order;
        for ``horizon=1, step=1`` exactly one per point from ``initial`` to the end).
    actuals : ndarray, same shape as ``predictions``
    positions : ndarray of int, shape (n_targets,)
        Position in the series of each target.
    index : ndarray of shape (n_targets,)
        The series' index label (e.g. year) of each target; equals ``positions`` without an index.
    lead : ndarray of int, shape (n_targets,)
        Steps ahead of each forecast (1..horizon).
    metrics : dict of str to float
        Metrics over all targets (MASE scaled on the first training window); with ``coverage``
        also the empirical ``coverage`` and the mean ``interval_score``.
    metrics_by_lead : list of dict
        The same metrics per lead, to show how errors build up with the horizon (document 003).
    model_name : str
    splitter : WalkForward
    model : object
        The model as it stands after the last fold.
    lower, upper : ndarray or None
        Prediction-interval bounds of each target (same shape as ``predictions``) when the
        backtest ran with ``coverage``.
    coverage : float or None
        Nominal coverage of those intervals.
    series : ndarray or None
        The whole series (for plots).
    series_index : ndarray or None
        The labels of every point of the series (for plots).
    """

    predictions: np.ndarray
    actuals: np.ndarray
    positions: np.ndarray
    index: np.ndarray
    lead: np.ndarray
    metrics: dict[str, float]
    metrics_by_lead: list[dict[str, float]]
    model_name: str
    splitter: WalkForward
    model: Any = field(repr=False, default=None)
    lower: np.ndarray | None = field(repr=False, default=None)
    upper: np.ndarray | None = field(repr=False, default=None)
    coverage: float | None = None
    series: np.ndarray | None = field(repr=False, default=None)
    series_index: np.ndarray | None = field(repr=False, default=None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary: config, metrics and the forecasts (what ``--format json`` prints)."""
        out = {
            "model": self.model_name,
            "splitter": {k: getattr(self.splitter, k) for k in ("initial", "horizon", "step", "window", "refit_every")},
            "n_targets": int(len(self.predictions)),
            "metrics": self.metrics,
            "metrics_by_lead": self.metrics_by_lead,
            "index": self.index.tolist(),
            "lead": self.lead.tolist(),
            "predictions": self.predictions.tolist(),
            "actuals": self.actuals.tolist(),
        }
        if self.lower is not None and self.upper is not None:
            out.update(coverage=self.coverage, lower=self.lower.tolist(), upper=self.upper.tolist())
        return out

    def plot(self, path: str | None = None, *, series: Any = None, kind: str = "paths", max_paths: int = 40,
             ax: Any = None) -> Any:
        """Plot the backtest; save to ``path`` if given. Returns the figure.

        ``kind="paths"`` (a fan): the series, and the forecast path of every fold from its origin
        over all its leads, with the prediction interval as a band; below, the lead-1 errors over
        time and the error by horizon (MAE and RMSE per lead, with the empirical interval
        coverage). ``kind="leads"``: small multiples, one panel per lead (up to 12), forecast
        vs actual over time with the band. Dates (``"1949-01"``, ``"1969-01-01"``, datetimes)
        get a real time axis. matplotlib is imported here only (the ``plot`` extra).

        Parameters
        ----------
        path : str, optional
            PNG (or any matplotlib format) to write.
        series : array-like or seqlab/pandas Series, optional
            The full series, when the result does not hold it already.
        kind : {"paths", "leads"}
        max_paths : int, default=40
            Draw at most this many fold paths (evenly spaced folds) so that the fan stays legible.
        """
        from seqlab.forecast._plots import plot_backtest

        return plot_backtest(self, path, series=series, kind=kind, max_paths=max_paths)

def _fresh(model: Any) -> Any:
    return model.clone() if hasattr(model, "clone") else copy.deepcopy(model)


def _name(model: Any) -> str:
    inner = getattr(model, "model", None) if type(model).__name__ == "ConformalForecaster" else None
    return f"{type(model).__name__}({type(inner).__name__})" if inner is not None else type(model).__name__


def backtest(
    model: Forecaster,
    series: Any,
    splitter: WalkForward,
    *,
    metrics: tuple[str, ...] | list[str] = METRICS,
    season_length: int = 1,
    index: Any = None,
    fill: str | None = None,
    coverage: float | None = None,
    X: Any = None,
) -> BacktestResult:
    """Walk-forward backtest of any forecaster (``fit``/``predict``, plus ``update`` if it has one).

    Parameters
    ----------
    model : Forecaster
        Left untouched: the backtest works on a fresh copy (``clone()``).
    series : array-like of shape (n_steps,) or (n_steps, n_features), or a seqlab ``Series``
        A ``Series``' index (e.g. years) labels the results.
    splitter : WalkForward
        Folds, horizon and refit schedule.
    metrics : sequence of str, default=("mae", "rmse", "mape", "smape", "mase")
    season_length : int, default=1
        MASE's naive-forecast period.
    index : array-like, optional
        Labels of the series points (overrides a ``Series``' own index).
    fill : str or None
        Missing-value policy, see :func:`seqlab.forecast.lag_matrix`.
    coverage : float in (0, 1) or None, default=None
        Also forecast ``coverage`` prediction intervals (``model.predict_interval``; wrap a model
        without them in :class:`~seqlab.forecast.ConformalForecaster`) and report the empirical
        ``coverage`` and the ``interval_score`` next to the point metrics.
    X : array-like of shape (n_steps, n_exog), optional
        Exogenous regressors, one row per series value: each fold fits on the training rows and
        forecasts with the test rows as ``X_future`` (ARForecaster, LagRegressor).

    Returns
    -------
    BacktestResult
    """
    if not isinstance(splitter, WalkForward):
        raise DataError(f"splitter must be a WalkForward, got {type(splitter).__name__}.")
    _, own_index = split_series(series)
    y = as_values(series, fill=fill)
    labels = np.asarray(index if index is not None else own_index if own_index is not None else np.arange(len(y)))
    if len(labels) != len(y):
        raise DataError(f"index has {len(labels)} labels but the series has {len(y)} values.")
    if coverage is not None:
        coverage = check_coverage(coverage)
        if not hasattr(model, "predict_interval"):
            raise DataError(f"{_name(model)} has no predict_interval; wrap it in ConformalForecaster(model, "
                            "horizon=H) to backtest its intervals.")
    exog = None
    if X is not None:
        exog = _exog_array(X, "X")
        if len(exog) != len(y):
            raise DataError(f"X has {len(exog)} rows but the series has {len(y)} values; give one row per value.")
    folds = list(splitter.split(len(y)))
    incremental = hasattr(model, "update")
    current = _fresh(model)
    forecasts, lowers, uppers = [], [], []
    prev_start = prev_stop = 0
    for i, (train, test) in enumerate(folds):
        start, stop = int(train[0]), int(train[-1]) + 1
        fit_kw = {} if exog is None else {"X": exog[start:stop]}
        if i == 0 or not incremental:
            current = current if i == 0 else _fresh(model)
            current.fit(y[start:stop], **fit_kw)
        else:
            upd_kw = {} if exog is None else {"X": exog[prev_stop:stop]}
            current.update(y[prev_stop:stop], refit=splitter.refits_at(i), forget=start - prev_start, **upd_kw)
        prev_start, prev_stop = start, stop
        pred_kw = {} if exog is None else {"X_future": exog[test]}
        if coverage is not None:
            band = current.predict_interval(splitter.horizon, coverage=coverage, **pred_kw)
            fc = np.asarray(band.mean, dtype=np.float64)
            lowers.append(np.asarray(band.lower, dtype=np.float64).reshape(y[test].shape))
            uppers.append(np.asarray(band.upper, dtype=np.float64).reshape(y[test].shape))
        else:
            fc = np.asarray(current.predict(splitter.horizon, **pred_kw), dtype=np.float64)
        if fc.shape[0] != splitter.horizon:
            raise DataError(f"{_name(model)}.predict({splitter.horizon}) returned shape {fc.shape}.")
        forecasts.append(fc.reshape(y[test].shape))
    positions = np.concatenate([test for _, test in folds])
    preds = np.concatenate(forecasts)
    actual = y[positions]
    lower = np.concatenate(lowers) if lowers else None
    upper = np.concatenate(uppers) if uppers else None
    lead = np.tile(np.arange(1, splitter.horizon + 1), len(folds))
    train0 = y[: splitter.initial] if splitter.initial > season_length else None

    def score(sel: np.ndarray) -> dict[str, float]:
        row = forecast_metrics(actual[sel], preds[sel], y_train=train0, season_length=season_length,
                               metrics=metrics)
        if lower is not None and upper is not None and coverage is not None:
            row["coverage"] = interval_coverage(actual[sel], lower[sel], upper[sel])
            row["interval_score"] = interval_score(actual[sel], lower[sel], upper[sel], coverage)
        return row

    scores = score(np.ones(len(lead), dtype=bool))
    by_lead = []
    if splitter.horizon > 1:
        for h in range(1, splitter.horizon + 1):
            by_lead.append({"lead": h, **score(lead == h)})
    return BacktestResult(
        predictions=preds, actuals=actual, positions=positions, index=labels[positions], lead=lead,
        metrics=scores, metrics_by_lead=by_lead, model_name=_name(model), splitter=splitter, model=current,
        lower=lower, upper=upper, coverage=coverage, series=y, series_index=labels,
    )
