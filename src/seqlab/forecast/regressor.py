"""Any scikit-learn regressor as a forecaster, trained on the lag table (document 003's MLP AR).

``LagRegressor(estimator=MLPRegressor(...), lags=4)`` is the feed-forward autoregressive model of
document 003: ``x_t = f(x_{t-1}, ..., x_{t-4})``. Multi-step forecasts are recursive: each
forecast is appended to the history and becomes an input of the next one, which is why their
errors build up with the horizon.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np

from seqlab._validation import check_horizon
from seqlab.base import positional_deprecated
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.forecast._base import BaseForecaster
from seqlab.forecast._data import as_values
from seqlab.forecast.lags import lag_features, lag_matrix, min_history


class LagRegressor(BaseForecaster):
    """Forecaster that fits ``estimator`` on ``lag_matrix(series, lags, extra)``.

    Parameters
    ----------
    estimator : scikit-learn regressor
        Anything with ``fit(X, y)`` and ``predict(X)``; cloned in ``fit`` (with
        ``sklearn.base.clone`` when scikit-learn is installed), so the given object stays unfitted.
        For an n-D series it must accept 2-D targets (most scikit-learn regressors do).
    lags : int or list of int, default=1
    extra : sequence of str, default=()
        Summary features, see :func:`seqlab.forecast.lag_matrix`.

    Attributes
    ----------
    estimator_ : the fitted clone of ``estimator``
    columns_ : tuple of str
        Feature names of the lag table.

    Notes
    -----
    Not saved by :mod:`seqlab.io`: a fitted scikit-learn estimator can only be stored by pickling,
    which seqlab never does. Save an :class:`ARForecaster` or a neural forecaster instead.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> x = np.arange(10.0)
    >>> LagRegressor(estimator=LinearRegression(), lags=2).fit(x).predict(2).round(6).tolist()
    [10.0, 11.0]
    """

    @positional_deprecated  # LagRegressor(Ridge(), ...) still works for one release, with a warning
    def __init__(self, *, estimator: Any = None, lags: int | Sequence[int] = 1, extra: Sequence[str] = ()) -> None:
        self.estimator = estimator
        self.lags = lags
        self.extra = extra

    def fit(self, series: Any) -> Self:
        """Build the lag table of ``series`` and fit a clone of the estimator on it."""
        if self.estimator is None or not (hasattr(self.estimator, "fit") and hasattr(self.estimator, "predict")):
            raise InvalidParameterError(
                "LagRegressor needs an estimator with fit and predict (e.g. sklearn's Ridge()), "
                f"got {self.estimator!r}."
            )
        y = as_values(series)
        table = lag_matrix(y, self.lags, self.extra)
        self.estimator_ = _clone(self.estimator)
        target = table.y if table.y.ndim == 1 else table.y
        self.estimator_.fit(table.X, target)
        self.columns_ = table.columns
        self._set_history(y)
        return self

    def predict(self, horizon: int = 1) -> np.ndarray:
        """Recursive forecasts: shape (horizon,) or (horizon, n_features)."""
        self._check_fitted()
        horizon = check_horizon(horizon)
        need = min_history(self.lags, self.extra)
        history = self._history.values
        # only the tail matters unless an expanding feature (mean/std over all history) is used
        expanding = any(str(e) in ("mean", "std") for e in self.extra)
        buf = list(history if expanding else history[len(history) - need :])
        out = []
        for _ in range(horizon):
            row = lag_features(np.asarray(buf), self.lags, self.extra)
            value = np.asarray(self.estimator_.predict(row[None, :]), dtype=np.float64).reshape(history.shape[1:])
            out.append(value)
            buf.append(value)
        return np.asarray(out)

    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        raise DataError("LagRegressor cannot be saved: its scikit-learn estimator could only be pickled, "
                        "which seqlab never does. Save an ARForecaster or a neural forecaster instead.")


def _clone(estimator: Any) -> Any:
    try:
        from sklearn.base import clone
    except ImportError:  # plain objects with fit/predict
        import copy

        return copy.deepcopy(estimator)
    return clone(estimator)
