"""Any scikit-learn regressor as a forecaster, trained on the lag table (document 003's MLP AR).

``LagRegressor(estimator=MLPRegressor(...), lags=4)`` is the feed-forward autoregressive model of
document 003: ``x_t = f(x_{t-1}, ..., x_{t-4})``. Multi-step forecasts are recursive: each
forecast is appended to the history and becomes an input of the next one, which is why their
errors build up with the horizon.

Prediction intervals come from a residual bootstrap: ``n_paths`` future paths are simulated by
feeding the model its own forecast plus an in-sample one-step residual drawn at random, and the
interval is read off the paths' quantiles. In-sample residuals of a flexible model (a random
forest nearly interpolates its training data) are too small; wrap such a model in
:class:`~seqlab.forecast.ConformalForecaster` for honest intervals.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, ClassVar, Self

import numpy as np

from seqlab.base import Constraint, int_at_least, positional_deprecated
from seqlab.exceptions import InvalidParameterError
from seqlab.forecast._base import BaseForecaster
from seqlab.forecast._data import as_many, as_values
from seqlab.forecast.intervals import Predictive
from seqlab.forecast.lags import lag_features, lag_matrix, min_history
from seqlab.io import register


@register
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
    n_paths : int, default=500
        Simulated paths of the residual bootstrap behind ``predict_interval``.
    random_state : int, default=0
        Seed of the bootstrap draws.

    Attributes
    ----------
    estimator_ : the fitted clone of ``estimator``
    columns_ : tuple of str
        Feature names of the lag table (then ``"exog0"``, ... for exogenous regressors).
    residuals_ : ndarray of shape (n_rows,) or (n_rows, n_features)
        In-sample one-step residuals (what the bootstrap resamples).

    Notes
    -----
    ``save``/``load`` store the fitted estimator as JSON + arrays, never pickle: linear models
    (``coef_``, ``intercept_``), ``MLPRegressor`` and decision trees / random forests / extra
    trees (their node tables). Other estimators raise a one-line ``FormatError`` on ``save``.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> x = np.arange(10.0)
    >>> LagRegressor(estimator=LinearRegression(), lags=2).fit(x).predict(2).round(6).tolist()
    [10.0, 11.0]
    """

    _supports_exog = True
    _constraints: ClassVar[dict[str, Constraint]] = {
        "n_paths": int_at_least(10),
        "random_state": int_at_least(0),
    }

    @positional_deprecated  # LagRegressor(Ridge(), ...) still works for one release, with a warning
    def __init__(self, *, estimator: Any = None, lags: int | Sequence[int] = 1, extra: Sequence[str] = (),
                 n_paths: int = 500, random_state: int = 0) -> None:
        self.estimator = estimator
        self.lags = lags
        self.extra = extra
        self.n_paths = n_paths
        self.random_state = random_state

    def fit(self, series: Any, X: Any = None) -> Self:
        """Build the lag table of ``series`` (plus the rows of ``X``) and fit a clone of the estimator on it.

        A list of arrays ``[y1, y2, ...]`` fits one global model on the stacked lag tables of all
        of them (no window crosses two series); ``predict`` then continues the last one and
        ``predict(h, series=y)`` any other.
        """
        self._validate_params()
        if self.estimator is None or not (hasattr(self.estimator, "fit") and hasattr(self.estimator, "predict")):
            raise InvalidParameterError(
                "LagRegressor needs an estimator with fit and predict (e.g. sklearn's Ridge()), "
                f"got {self.estimator!r}."
            )
        many = as_many(series)
        if many is not None:
            if X is not None:
                raise InvalidParameterError("LagRegressor fitted on several series takes no exogenous X.")
            ys = [as_values(s, name=f"series[{i}]") for i, s in enumerate(many)]
            tables = [lag_matrix(v, self.lags, self.extra) for v in ys]
            series, y = many[-1], ys[-1]
            pool = ys[:-1]
            table = tables[-1]
            features = np.concatenate([t.X for t in tables])
            target = np.concatenate([t.y for t in tables])
        else:
            y = as_values(series)
            pool = []
            table = lag_matrix(y, self.lags, self.extra)
            features, target = table.X, table.y
        self._set_history(y)
        self._set_exog(X, len(y))
        columns = table.columns
        if self._exog is not None:
            features = np.concatenate([features, self._exog.values[table.index]], axis=1)
            columns = columns + tuple(f"exog{j}" for j in range(self.n_exog_))
        self.estimator_ = _clone(self.estimator)
        self.estimator_.fit(features, target)
        fitted = np.asarray(self.estimator_.predict(features), dtype=np.float64).reshape(target.shape)
        self.residuals_ = target - fitted
        self.columns_ = columns
        self._remember_index(series)
        self._pool = pool
        return self

    def _refit(self) -> None:
        """Refit on the current window (of the last series, beside the others of a global fit)."""
        pool = getattr(self, "_pool", [])
        if not pool:
            super()._refit()
            return
        index, steps = self._index, self._index_steps
        self.fit([*pool, np.array(self._history.values)])
        self._index, self._index_steps = index, steps

    def _paths(self, buffers: list[list[np.ndarray]], horizon: int, X_future: np.ndarray | None,
               noise: np.ndarray | None) -> np.ndarray:
        """Recursive forecasts of each buffer: (n_buffers, horizon[, n_features])."""
        shape = self._history.values.shape[1:]
        out = np.empty((len(buffers), horizon, *shape))
        for i in range(horizon):
            rows = np.stack([lag_features(np.asarray(buf), self.lags, self.extra) for buf in buffers])
            if X_future is not None:
                rows = np.concatenate([rows, np.repeat(X_future[i][None], len(buffers), axis=0)], axis=1)
            values = np.asarray(self.estimator_.predict(rows), dtype=np.float64).reshape(len(buffers), *shape)
            if noise is not None:
                values = values + noise[:, i]
            out[:, i] = values
            for buf, v in zip(buffers, values, strict=True):
                buf.append(v)
        return out

    def _start(self) -> list[np.ndarray]:
        need = min_history(self.lags, self.extra)
        history = self._history.values
        # only the tail matters unless an expanding feature (mean/std over all history) is used
        expanding = any(str(e) in ("mean", "std") for e in self.extra)
        return list(history if expanding else history[len(history) - need :])

    def _point(self, horizon: int, X_future: np.ndarray | None) -> np.ndarray:
        """Recursive forecasts: shape (horizon,) or (horizon, n_features)."""
        return np.asarray(self._paths([self._start()], horizon, X_future, None)[0])

    def _predictive(self, horizon: int, X_future: np.ndarray | None) -> Predictive:
        """Residual bootstrap: ``n_paths`` recursive paths, each step plus a resampled residual."""
        rng = np.random.default_rng(self.random_state)
        res = self.residuals_
        noise = res[rng.integers(0, len(res), size=(self.n_paths, horizon))]
        start = self._start()
        samples = self._paths([list(start) for _ in range(self.n_paths)], horizon, X_future, noise)
        return Predictive(mean=self._point(horizon, X_future), method="bootstrap", samples=samples)

    # ------------------------------------------------------------------ persistence
    def _manifest_params(self) -> dict[str, Any]:
        """The manifest's params leave the scikit-learn estimator out: its class and fitted
        parameters travel in the state, as JSON + arrays (no pickle)."""
        return {**self.get_params(deep=False), "estimator": None}

    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        from seqlab.forecast._sklearn_io import export_estimator

        self._check_fitted()
        est_meta, est_arrays = export_estimator(self.estimator_)
        meta = {"estimator": est_meta, "columns": list(self.columns_),
                "template_params": _json_or_none(self.estimator)}
        arrays = {f"estimator.{k}": v for k, v in est_arrays.items()}
        arrays["history"] = np.array(self._history.values)
        arrays["residuals"] = self.residuals_
        if self._exog is not None:
            arrays["exog"] = np.array(self._exog.values)
        return meta, arrays

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        from seqlab.forecast._sklearn_io import import_estimator

        est_arrays = {k.removeprefix("estimator."): v for k, v in arrays.items() if k.startswith("estimator.")}
        fitted = import_estimator(state["estimator"], est_arrays)
        params = {**params, "estimator": type(fitted)(**(state.get("template_params") or state["estimator"]["params"]))}
        model = cls(**params)
        model._set_history(arrays["history"])
        model._set_exog(arrays.get("exog"), len(arrays["history"]))
        model._remember_index(None)
        model.estimator_ = fitted
        model.residuals_ = arrays["residuals"].copy()
        model.columns_ = tuple(state["columns"])
        return model

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        from sklearn.linear_model import Ridge

        return {"estimator": Ridge(alpha=0.5), "lags": 3, "n_paths": 50}

    @classmethod
    def _test_data(cls) -> np.ndarray:
        return np.sin(np.arange(60) / 4.0) + np.arange(60) / 30.0


def _json_or_none(estimator: Any) -> dict[str, Any] | None:
    import json

    try:
        return dict(json.loads(json.dumps(estimator.get_params(deep=False))))
    except (TypeError, AttributeError):
        return None


def _clone(estimator: Any) -> Any:
    try:
        from sklearn.base import clone
    except ImportError:  # plain objects with fit/predict
        return copy.deepcopy(estimator)
    return clone(estimator)
