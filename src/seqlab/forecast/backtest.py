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
from seqlab.forecast._data import as_many, as_values, split_series
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
    series_id: np.ndarray | None = field(repr=False, default=None)
    metrics_by_series: list[dict[str, float]] = field(default_factory=list)

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
        if self.series_id is not None:
            out.update(series_id=self.series_id.tolist(), metrics_by_series=self.metrics_by_series)
        return out

    def for_series(self, i: int) -> BacktestResult:
        """The targets of series ``i`` of a multi-series backtest, as a one-series result (e.g. to plot)."""
        if self.series_id is None:
            return self
        sel = self.series_id == i
        if not sel.any():
            raise DataError(f"series {i} is not in this backtest (series 0..{int(self.series_id.max())}).")

        def pick(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[sel]

        by_lead: list[dict[str, float]] = []
        return BacktestResult(
            predictions=self.predictions[sel], actuals=self.actuals[sel], positions=self.positions[sel],
            index=self.index[sel], lead=self.lead[sel], metrics=self.metrics_by_series[i], metrics_by_lead=by_lead,
            model_name=f"{self.model_name}, series {i}", splitter=self.splitter, model=self.model,
            lower=pick(self.lower), upper=pick(self.upper), coverage=self.coverage,
            series=None if self.series is None else self.series[i], series_index=self.series_index)

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

        result = self.for_series(0) if self.series_id is not None else self  # several series: the first one
        return plot_backtest(result, path, series=series, kind=kind, max_paths=max_paths)

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
    many = as_many(series)
    if many is not None:
        if X is not None:
            raise DataError("a backtest over several series takes no exogenous X.")
        return _backtest_many(model, many, splitter, metrics=metrics, season_length=season_length, index=index,
                              fill=fill, coverage=coverage)
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


def _backtest_many(model: Any, many: list[Any], splitter: WalkForward, *, metrics: tuple[str, ...] | list[str],
                   season_length: int, index: Any, fill: str | None, coverage: float | None) -> BacktestResult:
    """One global model over several equally long series: fit on all training windows, forecast each series.

    At every refit fold the model is fitted on the list of the series' training windows; every
    fold forecasts each series with ``predict(horizon, series=window)``. Metrics are reported
    overall (MASE: the mean of the per-series MASE), per lead and per series.
    """
    ys = [as_values(s, name=f"series[{i}]", fill=fill) for i, s in enumerate(many)]
    if len({len(v) for v in ys}) != 1:
        raise DataError(f"a backtest over several series needs series of one length, got lengths "
                        f"{[len(v) for v in ys]}.")
    if coverage is not None:
        coverage = check_coverage(coverage)
    if not hasattr(model, "_conditioned"):
        raise DataError(f"{_name(model)} cannot forecast a series it was not fitted on (predict(series=...)); "
                        "backtest each series separately.")
    n = len(ys[0])
    _, own_index = split_series(many[0])
    labels = np.asarray(index if index is not None else own_index if own_index is not None else np.arange(n))
    folds = list(splitter.split(n))
    current = _fresh(model)
    preds: list[list[np.ndarray]] = [[] for _ in ys]
    lows: list[list[np.ndarray]] = [[] for _ in ys]
    highs: list[list[np.ndarray]] = [[] for _ in ys]
    for i, (train, _) in enumerate(folds):
        start, stop = int(train[0]), int(train[-1]) + 1
        windows = [v[start:stop] for v in ys]
        if i == 0 or splitter.refits_at(i):
            current.fit(windows)
        for j, window in enumerate(windows):
            if coverage is not None:
                band = current.predict_interval(splitter.horizon, coverage=coverage, series=window)
                preds[j].append(np.asarray(band.mean, dtype=np.float64))
                lows[j].append(np.asarray(band.lower, dtype=np.float64))
                highs[j].append(np.asarray(band.upper, dtype=np.float64))
            else:
                preds[j].append(np.asarray(current.predict(splitter.horizon, series=window), dtype=np.float64))
    positions_one = np.concatenate([test for _, test in folds])
    lead_one = np.tile(np.arange(1, splitter.horizon + 1), len(folds))
    k = len(ys)
    pred = np.concatenate([np.concatenate(p) for p in preds])
    actual = np.concatenate([v[positions_one] for v in ys])
    lower = np.concatenate([np.concatenate(v) for v in lows]) if coverage is not None else None
    upper = np.concatenate([np.concatenate(v) for v in highs]) if coverage is not None else None
    series_id = np.repeat(np.arange(k), len(positions_one))
    positions = np.tile(positions_one, k)
    lead = np.tile(lead_one, k)
    point = [m for m in metrics if m != "mase"]

    def score(sel: np.ndarray, train0: np.ndarray | None) -> dict[str, float]:
        row = forecast_metrics(actual[sel], pred[sel], y_train=train0, season_length=season_length,
                               metrics=metrics if train0 is not None else point)
        if lower is not None and upper is not None and coverage is not None:
            row["coverage"] = interval_coverage(actual[sel], lower[sel], upper[sel])
            row["interval_score"] = interval_score(actual[sel], lower[sel], upper[sel], coverage)
        return row

    has_scale = splitter.initial > season_length
    by_series = [score(series_id == j, ys[j][: splitter.initial] if has_scale else None) for j in range(k)]
    overall = score(np.ones(len(pred), dtype=bool), None)
    if "mase" in metrics and has_scale:
        overall["mase"] = float(np.mean([row["mase"] for row in by_series]))
    by_lead = [{"lead": h, **score(lead == h, None)} for h in range(1, splitter.horizon + 1)] \
        if splitter.horizon > 1 else []
    return BacktestResult(
        predictions=pred, actuals=actual, positions=positions, index=labels[positions], lead=lead, metrics=overall,
        metrics_by_lead=by_lead, model_name=f"{_name(model)} (global, {k} series)", splitter=splitter,
        model=current, lower=lower, upper=upper, coverage=coverage, series=np.stack(ys), series_index=labels,
        series_id=series_id, metrics_by_series=by_series)
