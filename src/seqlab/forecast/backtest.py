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

from seqlab._plot import pyplot
from seqlab.evaluate.forecast import METRICS, forecast_metrics
from seqlab.exceptions import DataError
from seqlab.forecast._data import as_values, split_series
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
        Metrics over all targets (MASE scaled on the first training window).
    metrics_by_lead : list of dict
        The same metrics per lead, to show how errors build up with the horizon (document 003).
    model_name : str
    splitter : WalkForward
    model : object
        The model as it stands after the last fold.
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary: config, metrics and the forecasts (what ``--format json`` prints)."""
        return {
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

    def plot(self, path: str | None = None, *, series: Any = None, ax: Any = None) -> Any:
        """Forecast vs actual (top) and errors (bottom); save to ``path`` if given. Returns the figure.

        matplotlib is imported here only (the ``plot`` extra). ``series`` adds the full series
        (e.g. the training part) in grey.
        """
        plt = pyplot(headless=path is not None)

        fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True, height_ratios=(3, 1))
        first = self.lead == 1 if self.lead.max() > 1 else np.ones(len(self.lead), bool)
        pred = self.predictions if self.predictions.ndim == 1 else self.predictions[:, 0]
        act = self.actuals if self.actuals.ndim == 1 else self.actuals[:, 0]
        if series is not None:
            values, idx = split_series(series)
            v = np.asarray(values, dtype=float).reshape(len(values), -1)[:, 0]
            top.plot(idx if idx is not None else np.arange(len(v)), v, color="0.75", lw=1, label="series")
        top.plot(self.index[first], act[first], color="k", lw=1.2, label="actual")
        top.plot(self.index[first], pred[first], color="C1", lw=1.2,
                 label=f"{self.model_name} ({'1-step' if self.lead.max() == 1 else 'lead 1'})")
        top.set_ylabel("value")
        top.set_title(f"walk-forward backtest: {self.model_name}, MAE {self.metrics.get('mae', float('nan')):.3g}")
        top.legend(loc="upper left", fontsize=8)
        bottom.axhline(0, color="0.6", lw=0.8)
        bottom.bar(self.index[first], (pred - act)[first], color="C3", width=0.8)
        bottom.set_ylabel("error")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=110)
            plt.close(fig)
        return fig


def _fresh(model: Any) -> Any:
    return model.clone() if hasattr(model, "clone") else copy.deepcopy(model)


def _name(model: Any) -> str:
    return type(model).__name__


def backtest(
    model: Forecaster,
    series: Any,
    splitter: WalkForward,
    *,
    metrics: tuple[str, ...] | list[str] = METRICS,
    season_length: int = 1,
    index: Any = None,
    fill: str | None = None,
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
    folds = list(splitter.split(len(y)))
    incremental = hasattr(model, "update")
    current = _fresh(model)
    forecasts = []
    prev_start = prev_stop = 0
    for i, (train, test) in enumerate(folds):
        start, stop = int(train[0]), int(train[-1]) + 1
        if i == 0 or not incremental:
            current = current if i == 0 else _fresh(model)
            current.fit(y[start:stop])
        else:
            current.update(y[prev_stop:stop], refit=splitter.refits_at(i), forget=start - prev_start)
        prev_start, prev_stop = start, stop
        fc = np.asarray(current.predict(splitter.horizon), dtype=np.float64)
        if fc.shape[0] != splitter.horizon:
            raise DataError(f"{_name(model)}.predict({splitter.horizon}) returned shape {fc.shape}.")
        forecasts.append(fc.reshape(y[test].shape))
    positions = np.concatenate([test for _, test in folds])
    preds = np.concatenate(forecasts)
    actual = y[positions]
    lead = np.tile(np.arange(1, splitter.horizon + 1), len(folds))
    train0 = y[: splitter.initial] if splitter.initial > season_length else None
    scores = forecast_metrics(actual, preds, y_train=train0, season_length=season_length, metrics=metrics)
    by_lead = []
    if splitter.horizon > 1:
        for h in range(1, splitter.horizon + 1):
            sel = lead == h
            row = forecast_metrics(actual[sel], preds[sel], y_train=train0, season_length=season_length,
                                   metrics=metrics)
            by_lead.append({"lead": h, **row})
    return BacktestResult(
        predictions=preds, actuals=actual, positions=positions, index=labels[positions], lead=lead,
        metrics=scores, metrics_by_lead=by_lead, model_name=_name(model), splitter=splitter, model=current,
    )
