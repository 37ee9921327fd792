"""Prediction intervals and quantiles for every forecaster.

Three ways to say how far off a forecast may be, from the most to the least model-bound:

- **analytic** (normal) intervals where the model has a closed form: AR(p) uses the MA(inf)
  weights ``psi_j`` of its lag polynomial, ``Var(e_h) = sigma2 * sum_{j<h} psi_j^2``, exactly as
  statsmodels ``AutoRegResults.get_prediction`` does; the baselines use the textbook formulas of
  Hyndman & Athanasopoulos (FPP3, section 5.5): persistence ``sigma * sqrt(h)``, seasonal naive
  ``sigma * sqrt(floor((h - 1) / m) + 1)``, mean ``sigma * sqrt(1 + 1 / T)``;
- **bootstrap**: simulate future paths by feeding the model its own forecasts plus residuals
  drawn from its in-sample one-step residuals (:class:`~seqlab.forecast.LagRegressor`);
- **conformal**: :class:`ConformalForecaster` wraps *any* forecaster (the ``Forecaster``
  protocol: ``fit``/``predict``, plus ``update`` if present), collects its walk-forward errors
  per lead on the end of the training series, and puts the empirical error quantiles around the
  forecast (split conformal with the finite-sample correction ``ceil((n + 1) level) / n``).
  It is the honest default for neural forecasters: it assumes nothing about their errors.

All of them return a :class:`Forecast` (``mean``, ``lower``, ``upper``) from
``predict_interval(horizon, coverage=0.9)`` (also reached through ``predict(horizon,
coverage=0.9)``) and an array of quantiles from ``predict_quantiles(horizon, q=...)``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Self

import numpy as np

from seqlab._validation import is_int
from seqlab.base import BaseModel
from seqlab.exceptions import DataError, InvalidParameterError

_NORMAL = NormalDist()


def check_coverage(coverage: Any) -> float:
    """``coverage`` as a float strictly between 0 and 1, else an ``InvalidParameterError``."""
    if isinstance(coverage, bool) or not isinstance(coverage, int | float | np.floating) or not 0 < coverage < 1:
        raise InvalidParameterError(
            f"coverage must be a float strictly between 0 and 1 (e.g. 0.9 for a 90% interval), got {coverage!r}."
        )
    return float(coverage)


def check_quantiles(q: Any) -> np.ndarray:
    """Quantile levels as a 1-D float array, each strictly between 0 and 1."""
    levels = np.atleast_1d(np.asarray(q, dtype=np.float64))
    if levels.ndim != 1 or levels.size == 0 or not np.all((levels > 0) & (levels < 1)):
        raise InvalidParameterError(f"q must hold quantile levels strictly between 0 and 1, got {q!r}.")
    return levels


def normal_quantile(level: float) -> float:
    """Standard normal quantile (inverse CDF) of ``level`` in (0, 1)."""
    return _NORMAL.inv_cdf(level)


def ma_weights(phi: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` MA(inf) weights ``psi_0 = 1, psi_j = sum_i phi_i psi_{j-i}`` of an AR polynomial.

    ``phi[i - 1]`` is the coefficient of lag ``i`` (zeros for lags the model leaves out).
    """
    psi = np.zeros(n)
    psi[0] = 1.0
    p = len(phi)
    for j in range(1, n):
        k = min(j, p)
        psi[j] = phi[:k] @ psi[j - 1 :: -1][:k]  # sum_{i=1..k} phi_i psi_{j-i}
    return psi


@dataclass(frozen=True)
class Predictive:
    """The forecast distribution a forecaster hands to the interval code (internal protocol).

    Exactly one of ``std`` (normal, analytic), ``samples`` (simulated paths) or ``residuals``
    (conformal: one array of signed errors ``actual - forecast`` per lead) is set.
    """

    mean: np.ndarray  # (h,) or (h, n_features)
    method: str
    std: np.ndarray | None = None  # same shape as mean
    samples: np.ndarray | None = None  # (n_paths, h) or (n_paths, h, n_features)
    residuals: list[np.ndarray] | None = None  # per lead: (n_cal,) or (n_cal, n_features)

    def quantiles(self, levels: np.ndarray) -> np.ndarray:
        """Quantiles at ``levels``: shape ``mean.shape + (len(levels),)``."""
        if self.std is not None:
            z = np.array([normal_quantile(float(v)) for v in levels])
            return np.asarray(self.mean[..., None] + self.std[..., None] * z)
        if self.samples is not None:
            return np.asarray(np.moveaxis(np.quantile(self.samples, levels, axis=0), 0, -1))
        assert self.residuals is not None
        out = np.empty((*self.mean.shape, len(levels)))
        for h, res in enumerate(self.residuals):
            for k, level in enumerate(levels):
                out[h, ..., k] = self.mean[h] + conformal_quantile(res, float(level))
        return out


def conformal_quantile(residuals: np.ndarray, level: float) -> np.ndarray:
    """The split-conformal quantile of ``residuals`` at ``level`` (per column).

    Upper levels (>= 0.5) use the ``ceil((n + 1) level)``-th smallest residual, lower ones the
    ``floor((n + 1) level)``-th, so an interval built from two of them covers a new exchangeable
    error with probability at least ``hi - lo``. Raises ``DataError`` when ``n`` is too small for
    the level (it would need an infinite bound).
    """
    res = np.sort(np.asarray(residuals, dtype=np.float64), axis=0)
    n = len(res)
    if level >= 0.5:
        k = math.ceil((n + 1) * level)
    else:
        k = math.floor((n + 1) * level)
    if k < 1 or k > n:
        need = math.ceil(1 / min(level, 1 - level) - 1e-9) - 1
        raise DataError(
            f"conformal quantile {level:g} needs at least {need} calibration errors per lead, got {n}; "
            "use a longer series, a larger n_calibration or a lower coverage."
        )
    return np.asarray(res[k - 1])


@dataclass(frozen=True)
class Forecast:
    """Point forecasts with a prediction interval.

    Attributes
    ----------
    mean : ndarray of shape (horizon,) or (horizon, n_features)
        The point forecasts (what ``predict(horizon)`` returns).
    lower, upper : ndarray, same shape as ``mean``
        Interval bounds: ``P(lower <= y <= upper) ~ coverage`` at each lead.
    coverage : float
    method : str
        ``"analytic"``, ``"bootstrap"`` or ``"conformal"``.
    index : array-like or None
        Labels of the forecast steps (a pandas ``Index`` when the model was fitted on a pandas
        ``Series``: the continued index).
    """

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    coverage: float
    method: str
    index: Any = field(default=None, repr=False)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return np.asarray(self.mean, dtype=dtype)

    def __len__(self) -> int:
        return len(self.mean)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: ``{"coverage", "method", "index", "mean", "lower", "upper"}``."""
        index = None if self.index is None else [str(v) if not isinstance(v, int | float) else v
                                                 for v in np.asarray(self.index).tolist()]
        return {"coverage": self.coverage, "method": self.method, "index": index,
                "mean": self.mean.tolist(), "lower": self.lower.tolist(), "upper": self.upper.tolist()}

    def to_frame(self) -> Any:
        """A pandas ``DataFrame`` with columns ``mean``, ``lower``, ``upper`` (1-D forecasts only)."""
        import pandas as pd

        if self.mean.ndim != 1:
            raise DataError(f"to_frame works for 1-D forecasts, these have shape {self.mean.shape}.")
        return pd.DataFrame({"mean": self.mean, "lower": self.lower, "upper": self.upper}, index=self.index)


def interval_from(pred: Predictive, coverage: float, index: Any = None) -> Forecast:
    """An equal-tailed ``coverage`` interval from a forecast distribution."""
    alpha = 1.0 - coverage
    bounds = pred.quantiles(np.array([alpha / 2, 1 - alpha / 2]))
    return Forecast(mean=pred.mean, lower=bounds[..., 0], upper=bounds[..., 1], coverage=coverage,
                    method=pred.method, index=index)


# ---------------------------------------------------------------------- conformal wrapper
class ConformalForecaster(BaseModel):
    """Conformal prediction intervals for any forecaster, from its walk-forward errors.

    ``fit(series)`` first runs a walk-forward over the last ``n_calibration`` points of
    ``series`` (the wrapped model is fitted once on the points before them and, with
    ``refit_every=None``, only fed the new values after that, which costs one extra fit), keeps
    the errors ``actual - forecast`` of every lead ``1..horizon``, then fits the model on the
    whole series. ``predict_interval`` puts the conformal quantiles of each lead's errors around
    the model's forecast. ``update`` feeds the model new values and adds the errors of the
    forecasts it made before them, so the calibration stays current in a backtest.

    Parameters
    ----------
    model : Forecaster
        Any object with ``fit(series)`` and ``predict(horizon)`` (cloned, left untouched).
    horizon : int, default=12
        Largest lead with calibrated intervals.
    n_calibration : int or float, default=0.3
        Calibration points at the end of the series: a count, or a fraction of the series.
    refit_every : int or None, default=None
        Refit schedule of the calibration walk-forward (None: fit once, then only update).
    max_errors : int or None, default=None
        Keep at most this many of the newest errors per lead (None: all).

    Attributes
    ----------
    model_ : the fitted wrapped forecaster
    errors_ : list of ndarray
        Per lead ``h = 1..horizon``: the calibration errors ``actual - forecast``.

    Examples
    --------
    >>> import numpy as np
    >>> from seqlab.forecast import ConformalForecaster, Persistence
    >>> x = np.cumsum(np.random.default_rng(0).normal(size=200))
    >>> fc = ConformalForecaster(Persistence(), horizon=3).fit(x).predict_interval(3, coverage=0.8)
    >>> bool(np.all(fc.lower < fc.mean) and np.all(fc.mean < fc.upper))
    True
    """

    def __init__(self, model: Any = None, *, horizon: int = 12, n_calibration: int | float = 0.3,
                 refit_every: int | None = None, max_errors: int | None = None) -> None:
        self.model = model
        self.horizon = horizon
        self.n_calibration = n_calibration
        self.refit_every = refit_every
        self.max_errors = max_errors

    @classmethod
    def _param_names(cls) -> list[str]:
        return ["horizon", "max_errors", "model", "n_calibration", "refit_every"]

    def _is_fitted(self) -> bool:
        return "model_" in self.__dict__

    def _calibration_size(self, n: int) -> int:
        cal = self.n_calibration
        if isinstance(cal, bool) or not isinstance(cal, int | float | np.integer | np.floating) or cal <= 0:
            raise InvalidParameterError(f"n_calibration must be a count >= 1 or a fraction in (0, 1), got {cal!r}.")
        size = int(round(cal * n)) if isinstance(cal, float | np.floating) and cal < 1 else int(cal)
        return size

    def fit(self, series: Any, **fit_kwargs: Any) -> Self:
        """Calibrate on the end of ``series``, then fit the wrapped model on all of it."""
        from seqlab.forecast._data import as_values
        from seqlab.forecast.backtest import backtest
        from seqlab.forecast.split import WalkForward

        if self.model is None or not (hasattr(self.model, "fit") and hasattr(self.model, "predict")):
            raise InvalidParameterError(
                f"ConformalForecaster needs a forecaster with fit and predict, got {self.model!r}.")
        if not is_int(self.horizon, 1):
            raise InvalidParameterError(f"The 'horizon' parameter of ConformalForecaster must be an int >= 1. "
                                        f"Got {self.horizon!r} instead.")
        y = as_values(series)
        cal = self._calibration_size(len(y))
        initial = len(y) - cal
        if cal < self.horizon or initial < 2:
            raise DataError(
                f"ConformalForecaster needs calibration points >= horizon={self.horizon} and a training part "
                f"before them; the series has {len(y)} values and n_calibration gives {cal}. "
                "Use a longer series or change n_calibration."
            )
        result = backtest(self.model, y, WalkForward(initial=initial, horizon=self.horizon,
                                                     refit_every=self.refit_every))
        err = result.actuals - result.predictions
        self.errors_ = [err[result.lead == h] for h in range(1, self.horizon + 1)]
        self.model_ = _fresh(self.model)
        self.model_.fit(series, **fit_kwargs)
        self._series = np.array(y, copy=True)
        self._pending: list[tuple[int, np.ndarray]] = []  # (steps seen since the origin, forecast path)
        return self

    def predict(self, horizon: int = 1, *, coverage: float | None = None, **kwargs: Any) -> Any:
        """The wrapped model's forecasts; with ``coverage`` a :class:`Forecast` with conformal bounds."""
        self._check_fitted()
        if coverage is not None:
            return self.predict_interval(horizon, coverage=coverage, **kwargs)
        return self.model_.predict(horizon, **kwargs)

    def _predictive(self, horizon: int, **kwargs: Any) -> Predictive:
        self._check_fitted()
        if not is_int(horizon, 1, self.horizon):
            raise InvalidParameterError(f"horizon must be an int in 1..{self.horizon} (the calibrated horizon of "
                                        f"this ConformalForecaster), got {horizon!r}.")
        mean = np.asarray(self.model_.predict(horizon, **kwargs), dtype=np.float64)
        errors = self.errors_[:horizon]
        if self.max_errors is not None:
            errors = [e[-self.max_errors :] for e in errors]
        return Predictive(mean=mean, method="conformal", residuals=errors)

    def predict_interval(self, horizon: int = 1, *, coverage: float = 0.9, **kwargs: Any) -> Forecast:
        """Conformal ``coverage`` interval around the wrapped model's forecasts, lead by lead."""
        coverage = check_coverage(coverage)
        pred = self._predictive(horizon, **kwargs)
        return interval_from(pred, coverage, index=_forecast_index(self.model_, horizon))

    def predict_quantiles(self, horizon: int = 1, *, q: Sequence[float] | float = (0.05, 0.5, 0.95),
                          **kwargs: Any) -> np.ndarray:
        """Forecast + conformal quantiles of each lead's errors: shape ``(horizon, [n_features,] len(q))``."""
        return self._predictive(horizon, **kwargs).quantiles(check_quantiles(q))

    def update(self, new_values: Any, *, refit: bool = True, forget: int = 0) -> Self:
        """Score the pending forecasts against ``new_values``, then pass them to the wrapped model."""
        self._check_fitted()
        new = np.asarray(new_values, dtype=np.float64)
        if len(new) == 0:
            return self
        self._pending.append((0, np.asarray(self.model_.predict(self.horizon), dtype=np.float64)))
        kept = []
        for seen, path in self._pending:
            for j in range(len(new)):
                lead = seen + j + 1
                if lead <= self.horizon:
                    self.errors_[lead - 1] = np.concatenate([self.errors_[lead - 1], (new[j] - path[lead - 1])[None]])
            if seen + len(new) < self.horizon:
                kept.append((seen + len(new), path))
        self._pending = kept
        self._series = np.concatenate([self._series, new.reshape(len(new), *self._series.shape[1:])])
        self._series = self._series[min(int(forget), len(self._series) - 1) :]
        if hasattr(self.model_, "update"):
            self.model_.update(new_values, refit=refit, forget=forget)
        else:  # a bare fit/predict model can only be conditioned on new values by refitting it
            self.model_.fit(self._series)
        return self


def _fresh(model: Any) -> Any:
    return model.clone() if hasattr(model, "clone") else copy.deepcopy(model)


def _forecast_index(model: Any, horizon: int) -> Any:
    fn = getattr(model, "_future_index", None)
    return fn(horizon) if callable(fn) else None
