"""What every seqlab forecaster shares: the observed history and the ``update`` path.

The backtest (written once, :func:`seqlab.forecast.backtest`) talks to a forecaster through
three calls only:

- ``fit(series)``: estimate parameters on a training window (forgetting any earlier fit);
- ``update(new_values, refit=..., forget=k)``: append newly observed values to the history,
  drop the ``k`` oldest ones from the training window (sliding windows), and, if ``refit`` is
  true, re-estimate the parameters on the resulting window. ``refit=False`` keeps the
  parameters and only conditions later forecasts on the new values;
- ``predict(horizon)``: forecast the values after the end of the history.

``update(new, refit=True, forget=k)`` must give the same forecasts as ``fit`` on the new window
(``ARForecaster`` does it with updated normal equations instead of a refit from scratch; the
others refit). Forecasters that only implement ``fit``/``predict`` still work in the backtest,
which then refits them from scratch on every fold.
"""

from __future__ import annotations

import copy
from typing import Any, Self

import numpy as np

from seqlab._validation import check_horizon
from seqlab.base import BaseModel
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.forecast._data import as_values, future_index, index_info
from seqlab.forecast.intervals import (
    Forecast,
    Predictive,
    check_coverage,
    check_quantiles,
    interval_from,
)


class History:
    """A growable float64 buffer holding the current window of a series (amortised O(1) appends)."""

    def __init__(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64)
        self._buf = np.array(values, copy=True)
        self._start, self._stop = 0, len(values)

    @property
    def values(self) -> np.ndarray:
        """The current window, oldest first (a view: do not modify)."""
        return self._buf[self._start : self._stop]

    def __len__(self) -> int:
        return self._stop - self._start

    def extend(self, new: np.ndarray, forget: int = 0) -> None:
        """Append ``new`` values and drop the ``forget`` oldest ones (at least one value stays)."""
        n = len(new)
        if self._stop + n > len(self._buf):
            keep = self.values
            cap = max(2 * (len(keep) + n), 16)
            buf = np.empty((cap, *self._buf.shape[1:]))
            buf[: len(keep)] = keep
            self._buf, self._start, self._stop = buf, 0, len(keep)
        self._buf[self._stop : self._stop + n] = new
        self._stop += n
        self.drop(forget)

    def drop(self, k: int) -> None:
        """Drop the ``k`` oldest values (at least one value stays)."""
        self._start += max(0, min(int(k), len(self) - 1))


class BaseForecaster(BaseModel):
    """Base class of seqlab forecasters: history bookkeeping, ``update``, ``score``.

    Subclasses implement ``fit``, ``predict`` and ``_refit()`` (re-estimate on ``history_``);
    they call ``self._set_history(values)`` in ``fit``.
    """

    _history: History
    _input_kind = "series"  # scikit-learn tags: one array of shape (n_steps,) or (n_steps, n_features)

    def fit(self, series: Any) -> Self:
        """Estimate parameters on ``series`` (subclasses)."""
        raise NotImplementedError

    def predict(self, horizon: int = 1, *, coverage: float | None = None, X_future: Any = None,
                series: Any = None) -> Any:
        """Forecast the ``horizon`` values after the history.

        Parameters
        ----------
        horizon : int
        coverage : float in (0, 1) or None, default=None
            None returns the point forecasts; a float returns a :class:`~seqlab.forecast.Forecast`
            with a ``coverage`` prediction interval (same as :meth:`predict_interval`).
        X_future : array-like of shape (horizon, n_exog), optional
            Exogenous regressors of the forecast steps (models fitted with ``X`` only).
        series : array-like, optional
            Forecast the values after this series instead of after the history, with the fitted
            parameters (darts' ``predict(n, series=...)``: apply a global model to any series).

        Returns
        -------
        ndarray of shape (horizon,) or (horizon, n_features)
            A pandas ``Series``/``DataFrame`` with the continued index when the model was fitted
            on a pandas object.
        """
        if series is not None:
            return self._conditioned(series).predict(horizon, coverage=coverage, X_future=X_future)
        if coverage is not None:
            return self.predict_interval(horizon, coverage=coverage, X_future=X_future)
        self._check_fitted()
        horizon = check_horizon(horizon)
        out = self._point(horizon, self._check_exog_future(X_future, horizon))
        return self._wrap(out, horizon)

    def _point(self, horizon: int, X_future: np.ndarray | None) -> np.ndarray:
        """Point forecasts as an ndarray (subclasses)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ uncertainty
    def _predictive(self, horizon: int, X_future: np.ndarray | None) -> Predictive:
        """The forecast distribution (subclasses with a closed form or a simulation)."""
        raise DataError(
            f"{type(self).__name__} has no built-in prediction intervals; wrap it in "
            f"ConformalForecaster({type(self).__name__}(...), horizon=H) for conformal intervals."
        )

    def _conditioned(self, series: Any) -> Self:
        """A shallow copy whose history is ``series`` (same parameters): what ``predict(series=...)`` uses."""
        self._check_fitted()
        if getattr(self, "n_exog_", 0):
            raise DataError("predict(series=...) is not supported for a model with exogenous regressors.")
        y = as_values(series, name="series")
        if y.shape[1:] != self._history.values.shape[1:]:
            want = self._history.values.shape[1:]
            raise DataError(f"series must have {want[0] if want else 1} column(s) like the fitted one, "
                            f"got shape {y.shape}.")
        other = copy.copy(self)
        other._history = History(y)
        other._index = index_info(series)
        other._index_steps = 0
        return other

    def predict_interval(self, horizon: int = 1, *, coverage: float = 0.9, X_future: Any = None,
                         series: Any = None) -> Forecast:
        """Point forecasts with an equal-tailed ``coverage`` prediction interval at each lead.

        Returns
        -------
        Forecast
            ``mean``, ``lower``, ``upper`` of shape (horizon,) or (horizon, n_features), the
            ``method`` used (``"analytic"``, ``"bootstrap"``) and, for pandas input, the ``index``.

        Raises
        ------
        InvalidParameterError
            If ``coverage`` is not strictly between 0 and 1.
        """
        if series is not None:
            return self._conditioned(series).predict_interval(horizon, coverage=coverage, X_future=X_future)
        coverage = check_coverage(coverage)
        self._check_fitted()
        horizon = check_horizon(horizon)
        pred = self._predictive(horizon, self._check_exog_future(X_future, horizon))
        return interval_from(pred, coverage, index=self._future_index(horizon))

    def predict_quantiles(self, horizon: int = 1, *, q: Any = (0.05, 0.5, 0.95), X_future: Any = None) -> Any:
        """Forecast quantiles at levels ``q``: ndarray of shape (horizon, [n_features,] len(q)).

        A pandas ``DataFrame`` (one column per level, the continued index) for a 1-D series
        fitted as a pandas ``Series``.
        """
        levels = check_quantiles(q)
        self._check_fitted()
        horizon = check_horizon(horizon)
        pred = self._predictive(horizon, self._check_exog_future(X_future, horizon))
        out = pred.quantiles(levels)
        if getattr(self, "_index", None) is not None and out.ndim == 2:
            import pandas as pd

            return pd.DataFrame(out, index=self._future_index(horizon), columns=[float(v) for v in levels])
        return out

    # ------------------------------------------------------------------ pandas index
    def _remember_index(self, series: Any) -> None:
        """Keep what is needed to continue a pandas index (None for arrays and seqlab Series)."""
        self._index = index_info(series)
        self._index_steps = 0

    def _future_index(self, horizon: int) -> Any:
        info = getattr(self, "_index", None)
        if info is None:
            return None
        return future_index(info, self._index_steps, int(horizon))

    def _wrap(self, out: np.ndarray, horizon: int) -> Any:
        info = getattr(self, "_index", None)
        if info is None:
            return out
        import pandas as pd

        idx = self._future_index(horizon)
        if out.ndim == 1:
            return pd.Series(out, index=idx, name=info.name)
        return pd.DataFrame(out, index=idx, columns=info.columns)

    # ------------------------------------------------------------------ exogenous regressors
    def _set_exog(self, X: Any, n: int) -> None:
        """Validate and keep the exogenous regressors of the training series (None: no exog)."""
        if X is None:
            self._exog = None
            self.n_exog_ = 0
            return
        if not getattr(self, "_supports_exog", False):
            raise InvalidParameterError(f"{type(self).__name__} takes no exogenous regressors X; "
                                        "use ARForecaster or LagRegressor for them.")
        arr = _exog_array(X, "X")
        if len(arr) != n:
            raise DataError(f"X has {len(arr)} rows but the series has {n} values; give one row of "
                            "exogenous regressors per series value.")
        self._exog = History(arr)
        self.n_exog_ = int(arr.shape[1])

    def _check_exog_future(self, X_future: Any, horizon: Any) -> np.ndarray | None:
        k = getattr(self, "n_exog_", 0)
        if X_future is None:
            if k:
                raise DataError(f"this {type(self).__name__} was fitted with {k} exogenous regressor(s); "
                                f"pass X_future of shape ({horizon}, {k}).")
            return None
        if not k:
            raise DataError(f"X_future was given but this {type(self).__name__} was fitted without X; "
                            "fit it with X=... to use exogenous regressors.")
        arr = _exog_array(X_future, "X_future")
        if arr.shape != (horizon, k):
            raise DataError(f"X_future must have shape ({horizon}, {k}) (one row per forecast step), "
                            f"got {arr.shape}.")
        return arr

    def _check_exog_new(self, X: Any, n_new: int) -> np.ndarray | None:
        k = getattr(self, "n_exog_", 0)
        if X is None:
            if k and n_new:
                raise DataError(f"this {type(self).__name__} was fitted with exogenous regressors; "
                                f"pass X of shape ({n_new}, {k}) with the new values.")
            return None
        if not k:
            raise DataError(f"X was given but this {type(self).__name__} was fitted without exogenous regressors.")
        arr = _exog_array(X, "X", min_length=0)
        if arr.shape != (n_new, k):
            raise DataError(f"X must have shape ({n_new}, {k}) (one row per new value), got {arr.shape}.")
        return arr

    def _is_fitted(self) -> bool:  # cheaper than scanning vars(): called on every backtest step
        return "n_features_in_" in self.__dict__

    # ------------------------------------------------------------------ history
    def _set_history(self, values: np.ndarray) -> None:
        self._history = History(values)
        self.n_features_in_ = 1 if values.ndim == 1 else int(values.shape[1])

    @property
    def history_(self) -> np.ndarray:
        """The values the forecaster conditions on: the training window plus later updates."""
        self._check_fitted()
        return self._history.values

    def _check_new(self, new_values: Any) -> np.ndarray:
        new = as_values(new_values, name="new_values", min_length=0)
        ndim = 1 if self.n_features_in_ == 1 and new.ndim == 1 else 2
        if ndim == 2:
            new = new.reshape(len(new), -1)
            if new.shape[1] != self.n_features_in_ or self._history.values.ndim != 2:
                raise DataError(
                    f"new_values must have {self.n_features_in_} feature(s) like the fitted series, "
                    f"got shape {new.shape}."
                )
        return new

    # ------------------------------------------------------------------ the backtest path
    def update(self, new_values: Any, *, refit: bool = True, forget: int = 0, X: Any = None) -> Self:
        """Append observed values; optionally drop old ones and re-estimate (see module docs).

        Parameters
        ----------
        new_values : array-like of shape (k,) or (k, n_features)
            Values observed after the current history, oldest first.
        refit : bool, default=True
            Re-estimate the parameters on the new training window; False only conditions
            later forecasts on the new values.
        forget : int, default=0
            Drop this many of the oldest values from the training window (sliding windows).
        X : array-like of shape (k, n_exog), optional
            Exogenous regressors of the new values (models fitted with ``X`` only).
        """
        self._check_fitted()
        new = self._check_new(new_values)
        exog = self._check_exog_new(X, len(new))
        self._history.extend(new, forget)
        if exog is not None and self._exog is not None:
            self._exog.extend(exog, forget)
        self._index_steps = getattr(self, "_index_steps", 0) + len(new)
        if refit:
            self._refit()
        return self

    def _refit(self) -> None:
        exog = getattr(self, "_exog", None)
        index, steps = getattr(self, "_index", None), getattr(self, "_index_steps", 0)
        if exog is not None:
            fit: Any = self.fit  # subclasses that take exogenous regressors accept X
            fit(np.array(self._history.values), X=np.array(exog.values))
        else:
            self.fit(np.array(self._history.values))
        self._index, self._index_steps = index, steps

    def score(self, series: Any) -> float:
        """Negative MAE of one-step forecasts over ``series``, read as the continuation of the history.

        Parameters stay fixed; each forecast conditions on the true values before it.
        Higher is better (STYLE.md B2).
        """
        self._check_fitted()
        values = self._check_new(series)
        if len(values) == 0:
            raise DataError("score needs at least one value to forecast, got an empty series.")
        if getattr(self, "n_exog_", 0):
            raise DataError(f"score of a {type(self).__name__} with exogenous regressors is not supported; "
                            "use backtest(..., X=...) instead.")
        model = copy.deepcopy(self)
        preds = []
        for value in values:
            preds.append(np.asarray(model.predict(1))[0])
            model.update(value[None] if np.ndim(value) else [value], refit=False)
        return -float(np.mean(np.abs(np.asarray(preds) - values)))


def _exog_array(X: Any, name: str, min_length: int = 1) -> np.ndarray:
    """Exogenous regressors as a finite float64 (n, k) array; NaN and wrong shapes raise ``DataError``."""
    values = getattr(X, "values", X)
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric; could not convert it to floats ({exc}).") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise DataError(f"{name} must be 1-D or 2-D (n_steps, n_exog), got shape {arr.shape}.")
    if len(arr) < min_length:
        raise DataError(f"{name} is empty; it needs one row per series value.")
    if not np.isfinite(arr).all():
        row = int(np.argwhere(~np.isfinite(arr))[0][0])
        raise DataError(f"{name} has a NaN or infinite value in row {row}; exogenous regressors must be finite "
                        "(fill them before fitting).")
    return arr
