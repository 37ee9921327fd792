"""Forecasting one long numeric series: lag windows, AR(p), baselines, walk-forward backtests.

A short tour (documents 000, 002 and 003):

1. **Lag windows.** :func:`lag_matrix` turns a series into a regression table: target
   ``x[t]``, features ``x[t-1], ..., x[t-p]`` and optional summaries of the past
   (``"mean"``, ``"rolling_std:10"``, ...), never anything from ``t`` on.
2. **Models.** :class:`ARForecaster` is the linear AR(p) model (least squares, the same numbers
   as statsmodels ``AutoReg``), :func:`select_order` picks ``p`` by AIC/BIC;
   :class:`LagRegressor` puts any scikit-learn regressor on the lag table (an ``MLPRegressor``
   gives document 003's feed-forward AR); :class:`Persistence`, :class:`SeasonalNaive` and
   :class:`MeanForecaster` are the baselines. Neural forecasters (MLP on lags, RNN/LSTM/GRU,
   causal conv) live in :mod:`seqlab.models.forecaster` (torch).
3. **Walk-forward validation.** :class:`WalkForward` never trains on the future of its test
   points; :func:`backtest` runs any forecaster through it, refitting every ``refit_every``
   folds (AR updates its normal equations instead of refitting from scratch), and reports
   MAE, RMSE, MAPE, sMAPE and MASE overall and per lead.

>>> import numpy as np
>>> from seqlab.forecast import ARForecaster, WalkForward, backtest
>>> rng = np.random.default_rng(0)
>>> x = np.zeros(200)
>>> for t in range(2, 200):
...     x[t] = 1.0 + 0.6 * x[t - 1] - 0.3 * x[t - 2] + rng.normal()
>>> result = backtest(ARForecaster(lags=2), x, WalkForward(initial=150))
>>> len(result.predictions), sorted(result.metrics)
(50, ['mae', 'mape', 'mase', 'rmse', 'smape'])

**Uncertainty.** ``predict_interval(horizon, coverage=0.9)`` (or ``predict(horizon,
coverage=0.9)``) returns a :class:`Forecast` with ``mean``, ``lower`` and ``upper``;
``predict_quantiles(horizon, q=...)`` the quantiles. AR intervals are analytic (statsmodels'
``get_prediction().conf_int()``), the baselines use the textbook normal formulas, LagRegressor a
residual bootstrap, and :class:`ConformalForecaster` wraps *any* forecaster (neural ones too) with
conformal intervals from its walk-forward errors. ``backtest(..., coverage=0.9)`` reports the
empirical coverage and the interval score. ``ARForecaster.summary()`` gives standard errors,
z and p-values; ``fit(y, X=...)``/``predict(h, X_future=...)`` add exogenous regressors (AR,
LagRegressor); a pandas ``Series`` in gives forecasts with the continued index.

Every forecaster follows the ``Forecaster`` protocol (``fit(series)``, ``predict(horizon)``)
plus ``update(new_values, refit=..., forget=...)``, the path the backtest uses to feed a fitted
model the newest observations (see :mod:`seqlab.forecast._base`).
"""

from seqlab.evaluate.forecast import (
    forecast_metrics,
    interval_coverage,
    interval_score,
    mae,
    mape,
    mase,
    rmse,
    smape,
)
from seqlab.forecast._base import BaseForecaster
from seqlab.forecast._data import as_values, infer_freq
from seqlab.forecast.ar import ARForecaster, ARSummary, OrderSelection, select_order
from seqlab.forecast.backtest import BacktestResult, backtest
from seqlab.forecast.baselines import MeanForecaster, Persistence, SeasonalNaive
from seqlab.forecast.intervals import ConformalForecaster, Forecast
from seqlab.forecast.lags import LagTable, lag_features, lag_matrix, min_history
from seqlab.forecast.regressor import LagRegressor
from seqlab.forecast.split import WalkForward, resolve_initial

__all__ = [
    "ARForecaster",
    "ARSummary",
    "ConformalForecaster",
    "Forecast",
    "BacktestResult",
    "BaseForecaster",
    "LagRegressor",
    "LagTable",
    "MeanForecaster",
    "OrderSelection",
    "Persistence",
    "SeasonalNaive",
    "WalkForward",
    "as_values",
    "backtest",
    "forecast_metrics",
    "interval_coverage",
    "infer_freq",
    "interval_score",
    "lag_features",
    "lag_matrix",
    "mae",
    "mape",
    "mase",
    "min_history",
    "resolve_initial",
    "rmse",
    "select_order",
    "smape",
]
