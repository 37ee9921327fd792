"""Baseline forecasters every model must beat: persistence, seasonal naive, mean.

They need no parameters beyond the history itself, so ``update(..., refit=True)`` costs
nothing more than appending. They accept 1-D and n-D series (each column forecast alike).

Their prediction intervals are the normal ones of Hyndman & Athanasopoulos, *Forecasting:
Principles and Practice* (3rd ed.), section 5.5, with ``sigma`` the root mean square of the
in-sample one-step residuals of the history: persistence ``sigma sqrt(h)``, seasonal naive
``sigma sqrt(floor((h - 1) / m) + 1)``, mean ``sigma sqrt(1 + 1 / T)`` (there ``sigma`` divides
by ``T - 1``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np

from seqlab.base import Constraint, int_at_least
from seqlab.exceptions import DataError
from seqlab.forecast._base import BaseForecaster
from seqlab.forecast._data import as_values
from seqlab.forecast.intervals import Predictive
from seqlab.io import register


def _rms(residuals: np.ndarray, ddof: int, name: str) -> np.ndarray:
    """Root mean square of residuals per column, dividing by ``n - ddof``."""
    n = len(residuals)
    if n - ddof < 1:
        raise DataError(f"{name} prediction intervals need more history: {n} residual(s) are too few.")
    return np.asarray(np.sqrt(np.sum(residuals**2, axis=0) / (n - ddof)))


class _HistoryBaseline(BaseForecaster):
    """Shared fit/save of baselines whose state is the history window."""

    _min_length = 1

    def fit(self, series: Any, X: Any = None) -> Self:
        """Remember ``series`` of shape (n_steps,) or (n_steps, n_features); ``X`` is refused (no regressors)."""
        self._validate_params()
        y = as_values(series)
        self._set_exog(X, len(y))
        need = self._needed()
        if len(y) < need:
            raise DataError(f"{type(self).__name__} needs at least {need} values, got {len(y)}.")
        self._set_history(y)
        self._remember_index(series)
        self._refit()
        return self

    def _needed(self) -> int:
        return self._min_length

    def _refit(self) -> None:
        """Baselines keep no estimated state beyond what predict reads from the history."""

    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        return {}, {"history": np.array(self._history.values)}

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        model = cls(**params)
        model._set_history(arrays["history"])
        model._remember_index(None)
        model._refit()
        return model

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {}

    @classmethod
    def _test_data(cls) -> np.ndarray:
        return np.sin(np.arange(40) / 3.0) + np.arange(40) / 20.0


@register
class Persistence(_HistoryBaseline):
    """The naive forecast: every future value equals the last observed one.

    Examples
    --------
    >>> Persistence().fit([1.0, 2.0, 5.0]).predict(2).tolist()
    [5.0, 5.0]
    """

    def __init__(self) -> None:
        pass

    def _point(self, horizon: int, X_future: np.ndarray | None) -> np.ndarray:
        """Repeat the last value ``horizon`` times: shape (horizon,) or (horizon, n_features)."""
        last = self._history.values[-1]
        return np.repeat(last[None] if np.ndim(last) else np.array([last]), horizon, axis=0)

    def _predictive(self, horizon: int, X_future: np.ndarray | None) -> Predictive:
        """Random walk: ``std_h = sigma sqrt(h)``."""
        y = self._history.values
        sigma = _rms(np.diff(y, axis=0), 0, "Persistence")
        h = np.arange(1, horizon + 1).reshape((horizon,) + (1,) * (y.ndim - 1))
        mean = self._point(horizon, None)
        return Predictive(mean=mean, method="analytic", std=np.sqrt(h) * sigma * np.ones_like(mean))


@register
class SeasonalNaive(_HistoryBaseline):
    """Seasonal naive forecast: ``x[t + h] = x[t + h - m * ceil(h / m)]`` (the value one season back).

    Parameters
    ----------
    season_length : int, default=1
        The period ``m`` (12 for monthly data with a yearly cycle); ``m = 1`` is persistence.

    Examples
    --------
    >>> SeasonalNaive(season_length=2).fit([1.0, 2.0, 3.0, 4.0]).predict(3).tolist()
    [3.0, 4.0, 3.0]
    """

    _constraints: ClassVar[dict[str, Constraint]] = {
        "season_length": int_at_least(1),
    }

    def __init__(self, *, season_length: int = 1) -> None:
        self.season_length = season_length

    def _needed(self) -> int:
        return int(self.season_length)

    def _point(self, horizon: int, X_future: np.ndarray | None) -> np.ndarray:
        """The last season repeated: shape (horizon,) or (horizon, n_features)."""
        m = self.season_length
        season = self._history.values[len(self._history) - m :]
        return np.array(season[np.arange(horizon) % m])

    def _predictive(self, horizon: int, X_future: np.ndarray | None) -> Predictive:
        """``std_h = sigma sqrt(k + 1)`` with ``k = floor((h - 1) / m)`` whole seasons ahead."""
        y = self._history.values
        m = self.season_length
        sigma = _rms(y[m:] - y[:-m], 0, "SeasonalNaive")
        k = (np.arange(1, horizon + 1) - 1) // m
        mean = self._point(horizon, None)
        scale = np.sqrt(k + 1.0).reshape((horizon,) + (1,) * (y.ndim - 1))
        return Predictive(mean=mean, method="analytic", std=scale * sigma * np.ones_like(mean))


@register
class MeanForecaster(_HistoryBaseline):
    """Forecast the mean of the training window (of the last ``window`` values if given).

    Parameters
    ----------
    window : int or None, default=None
        Average over the last ``window`` values only; None uses the whole history.

    Examples
    --------
    >>> MeanForecaster().fit([1.0, 2.0, 6.0]).predict(2).tolist()
    [3.0, 3.0]
    """

    _constraints: ClassVar[dict[str, Constraint]] = {
        "window": int_at_least(1, optional=True),
    }

    def __init__(self, *, window: int | None = None) -> None:
        self.window = window

    def _refit(self) -> None:
        y = self._history.values
        self.mean_ = y[-self.window :].mean(axis=0) if self.window else y.mean(axis=0)

    def update(self, new_values: Any, *, refit: bool = True, forget: int = 0, X: Any = None) -> Self:
        """Append values; the mean moves only when ``refit`` is true (it is the only parameter)."""
        return super().update(new_values, refit=refit, forget=forget, X=X)

    def _point(self, horizon: int, X_future: np.ndarray | None) -> np.ndarray:
        """The fitted mean repeated: shape (horizon,) or (horizon, n_features)."""
        mean = np.asarray(self.mean_)
        return np.repeat(mean[None] if mean.ndim else np.array([float(mean)]), horizon, axis=0)

    def _predictive(self, horizon: int, X_future: np.ndarray | None) -> Predictive:
        """``std = sigma sqrt(1 + 1 / T)`` at every lead (``sigma`` with ``T - 1`` in the denominator)."""
        y = self._history.values
        y = y[-self.window :] if self.window else y
        sigma = _rms(y - y.mean(axis=0), 1, "MeanForecaster")
        mean = self._point(horizon, None)
        return Predictive(mean=mean, method="analytic", std=sigma * np.sqrt(1 + 1 / len(y)) * np.ones_like(mean))
