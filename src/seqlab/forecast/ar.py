"""AR(p): linear autoregression fitted by least squares, with incremental walk-forward refits.

Document 003: ``X_t = c + sum_{i=1..p} phi_i X_{t-i} + eps_t``. The conditional least-squares
fit on the lag table is exactly statsmodels' ``AutoReg(y, p, trend="c").fit()``, so the
coefficients, ``sigma2``, AIC and BIC match it (``tests/forecast`` checks rtol=1e-8).

Refitting on every walk-forward step does not rebuild anything: the model keeps the normal
equations ``G = X'X``, ``b = X'y`` of its training window and adds (and, for sliding windows,
subtracts) the rows that enter (leave) the window, then solves the small ``(p+1) x (p+1)``
system. The values are centred on the mean of the first training window before they enter
``G``, which keeps ``G`` well conditioned, so the updated solution agrees with a fresh
least-squares fit to about 1e-10.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np

from seqlab._validation import check_horizon
from seqlab.base import Constraint, int_at_least
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.forecast._base import BaseForecaster
from seqlab.forecast._data import as_values
from seqlab.forecast.lags import normalize_lags
from seqlab.io import register


def _design(z: np.ndarray, rows: np.ndarray, lags: np.ndarray, const: bool) -> np.ndarray:
    """Rows ``[1, z[t-l1], ..., z[t-lp]]`` for each feature origin ``t`` in ``rows``: (n_rows, k)."""
    X: np.ndarray = z[rows[:, None] - lags[None, :]]  # (n_rows, p)
    if const:
        X = np.concatenate([np.ones((len(rows), 1)), X], axis=1)
    return X


def information_criteria(ssr: float, nobs: int, k: int) -> dict[str, float]:
    """Gaussian log-likelihood, AIC, BIC and HQIC of a least-squares fit, as statsmodels ``AutoReg`` defines them.

    ``sigma2 = ssr / nobs``, ``llf = -nobs/2 (log(2 pi sigma2) + 1)``, and each criterion counts
    ``k + 1`` parameters (the ``k`` regression coefficients plus ``sigma2``).
    """
    sigma2 = ssr / nobs
    llf = -nobs * (math.log(2 * math.pi * sigma2) + 1) / 2 if sigma2 > 0 else math.inf
    df = k + 1
    return {
        "sigma2": sigma2,
        "llf": llf,
        "aic": -2 * llf + 2 * df,
        "bic": -2 * llf + math.log(nobs) * df,
        "hqic": -2 * llf + 2 * math.log(math.log(nobs)) * df,
    }


@register
class ARForecaster(BaseForecaster):
    """Autoregressive model AR(p) of a 1-D series, fitted by conditional least squares.

    Parameters
    ----------
    lags : int or list of int, default=1
        ``p`` (lags 1..p) or an explicit list of lags such as ``[1, 2, 9]``.
    trend : {"c", "n"}, default="c"
        ``"c"`` includes a constant ``c``; ``"n"`` fits without one.
    multistep : {"recursive", "direct"}, default="recursive"
        How ``predict(horizon)`` looks beyond one step. ``"recursive"`` feeds each forecast back
        in as the next input (errors build up, document 003); ``"direct"`` fits one regression
        per lead ``h = 1..max_horizon`` of ``x[t+h-1]`` on the same lags.
    max_horizon : int, default=1
        Number of direct models (only with ``multistep="direct"``; ``predict`` allows up to it).

    Attributes
    ----------
    params_ : ndarray of shape (n_models, k)
        ``[c, phi_1, ..., phi_p]`` (no ``c`` for ``trend="n"``), one row per direct lead
        (one row for recursive), in statsmodels' ``AutoRegResults.params`` order.
    coef_ : ndarray of shape (p,)
        ``phi`` of the one-step model.
    intercept_ : float
        ``c`` of the one-step model (0.0 for ``trend="n"``).
    sigma2_, llf_, aic_, bic_, hqic_ : float
        Residual variance (``ssr / nobs``) and criteria of the one-step model (statsmodels' definitions).
    nobs_ : int
        Rows used by the one-step fit: ``len(window) - max(lags)``.
    history_ : ndarray of shape (n,)
        The training window plus later updates (what forecasts condition on).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([0.0, 1.0, 1.5, 1.75, 1.875, 1.9375])   # x_t = 1 + 0.5 x_{t-1} exactly
    >>> model = ARForecaster(lags=1).fit(x)
    >>> round(model.intercept_, 10), model.coef_.round(10).tolist()
    (1.0, [0.5])
    >>> model.predict(2).round(6).tolist()                    # 1 + 0.5 * 1.9375, 1 + 0.5 * 1.96875
    [1.96875, 1.984375]
    """

    _constraints: ClassVar[dict[str, Constraint]] = {
        "trend": (lambda v: v in ("c", "n"), "'c' or 'n'"),
        "multistep": (lambda v: v in ("recursive", "direct"), "'recursive' or 'direct'"),
        "max_horizon": int_at_least(1),
    }

    def __init__(
        self,
        *,
        lags: int | Sequence[int] = 1,
        trend: str = "c",
        multistep: str = "recursive",
        max_horizon: int = 1,
    ) -> None:
        self.lags = lags
        self.trend = trend
        self.multistep = multistep
        self.max_horizon = max_horizon

    # ------------------------------------------------------------------ setup
    def _setup(self) -> None:
        self._validate_params()
        lag_tuple = normalize_lags(self.lags)
        if not lag_tuple and self.trend == "n":
            raise InvalidParameterError("ARForecaster with lags=0 needs trend='c' (otherwise it has no parameters).")
        self._lags = np.asarray(lag_tuple, dtype=np.intp)
        self._p = int(self._lags.max(initial=0))
        self._const = self.trend == "c"
        self._n_models = self.max_horizon if self.multistep == "direct" else 1
        self._row = np.ones(len(self._lags) + self._const)  # scratch row for rank-one updates

    def _row_range(self, h: int, length: int) -> tuple[int, int]:
        """Feature origins ``t`` whose lead-``h`` target ``t + h - 1`` lies in a window of ``length``."""
        return self._p, max(self._p, length - h + 1)

    # ------------------------------------------------------------------ fit
    def fit(self, series: Any) -> Self:
        """Fit by least squares on ``series`` of shape (n_steps,) (a seqlab ``Series`` works too)."""
        self._setup()
        y = as_values(series)
        if y.ndim != 1:
            raise DataError(
                f"ARForecaster models a 1-D series, got shape {y.shape}; use LagRegressor or a neural "
                "forecaster for several features."
            )
        need = self._p + self._n_models
        if len(y) < need:
            raise DataError(
                f"series has {len(y)} values but AR with lags up to {self._p}"
                f"{' and ' + str(self._n_models) + ' direct leads' if self._n_models > 1 else ''} needs at least "
                f"{need}; use fewer lags or a longer series."
            )
        self._set_history(y)
        k = len(self._lags) + self._const
        params = np.empty((self._n_models, k))
        for h in range(1, self._n_models + 1):
            lo, hi = self._row_range(h, len(y))
            rows = np.arange(lo, hi)
            X = _design(y, rows, self._lags, self._const)
            params[h - 1] = np.linalg.lstsq(X, y[rows + h - 1], rcond=None)[0]
            if h == 1:
                resid = y[rows] - X @ params[0]
                self._set_summary(float(resid @ resid), len(rows), k)
        self.params_ = params
        # normal equations of the centred window, ready for incremental updates
        self._shift = float(y.mean()) if self._const else 0.0
        self._gram = np.zeros((self._n_models, k, k))
        self._xty = np.zeros((self._n_models, k))
        self._yty = np.zeros(self._n_models)
        z = y - self._shift
        for m in range(self._n_models):
            self._add_rows(m, z, self._p, len(z) - m, 1.0)
        return self

    def _set_summary(self, ssr: float, nobs: int, k: int) -> None:
        self.nobs_ = nobs
        self._ssr = max(ssr, 0.0)

    def _criterion(self, name: str) -> float:
        self._check_fitted()
        k = len(self._lags) + self._const
        return information_criteria(self._ssr, self.nobs_, k)[name]

    sigma2_ = property(lambda self: self._criterion("sigma2"), doc="Residual variance ssr / nobs.")
    llf_ = property(lambda self: self._criterion("llf"), doc="Gaussian conditional log-likelihood.")
    aic_ = property(lambda self: self._criterion("aic"), doc="AIC as statsmodels AutoRegResults.aic.")
    bic_ = property(lambda self: self._criterion("bic"), doc="BIC as statsmodels AutoRegResults.bic.")
    hqic_ = property(lambda self: self._criterion("hqic"), doc="HQIC as statsmodels AutoRegResults.hqic.")

    @property
    def coef_(self) -> np.ndarray:
        self._check_fitted()
        return self.params_[0, int(self._const) :]

    @property
    def intercept_(self) -> float:
        self._check_fitted()
        return float(self.params_[0, 0]) if self._const else 0.0

    # ------------------------------------------------------------------ incremental updates
    def _add_rows(self, m: int, z: np.ndarray, lo: int, hi: int, sign: float) -> None:
        """Add (sign=+1) or remove (sign=-1) the lead-``m+1`` rows with feature origins in [lo, hi)."""
        if hi <= lo:
            return
        if hi - lo == 1:  # the walk-forward step: one rank-one update
            x = self._row
            x[int(self._const) :] = z[lo - self._lags]
            t1 = z[lo + m]
            self._gram[m] += np.outer(x, sign * x)
            self._xty[m] += (sign * t1) * x
            self._yty[m] += sign * t1 * t1
            return
        rows = np.arange(lo, hi)
        X = _design(z, rows, self._lags, self._const)
        t = z[rows + m]
        self._gram[m] += sign * (X.T @ X)
        self._xty[m] += sign * (X.T @ t)
        self._yty[m] += sign * (t @ t)

    def update(self, new_values: Any, *, refit: bool = True, forget: int = 0) -> Self:
        """Append values, drop ``forget`` old ones, and re-solve the updated normal equations if ``refit``.

        Gives the same parameters as ``fit`` on the new window (to ~1e-10), in O(k^2) per new value.
        """
        self._check_fitted()
        new = self._check_new(new_values)
        old_len = len(self._history)
        forget = min(int(forget), old_len + len(new) - 1)
        self._history.extend(new)
        z = self._history.values - self._shift  # old window + new values, before dropping
        for m in range(self._n_models):
            h = m + 1
            old_hi = max(self._p, old_len - h + 1)
            self._add_rows(m, z, self._p, min(self._p + forget, old_hi), -1.0)  # rows leaving the window
            self._add_rows(m, z, max(old_hi, self._p + forget), len(z) - h + 1, 1.0)  # rows entering it
        self._history.drop(forget)
        if refit:
            self._solve()
        return self

    def _solve(self) -> None:
        for m in range(self._n_models):
            lo, hi = self._row_range(m + 1, len(self._history))
            if hi - lo < 1:
                raise DataError(f"the training window of {len(self._history)} values leaves no rows for lead {m + 1}.")
            try:
                theta = np.linalg.solve(self._gram[m], self._xty[m])
            except np.linalg.LinAlgError:  # singular (e.g. a constant window): minimum-norm solution
                theta = np.linalg.lstsq(self._gram[m], self._xty[m], rcond=None)[0]
            if m == 0:
                ssr = self._yty[0] - 2 * theta @ self._xty[0] + theta @ self._gram[0] @ theta
                self._set_summary(float(ssr), hi - lo, len(theta))
            if self._const:  # undo the centring: y - s = c' + sum phi (y_lag - s)
                theta = theta.copy()
                theta[0] += self._shift * (1.0 - theta[1:].sum())
            self.params_[m] = theta

    # ------------------------------------------------------------------ forecasts
    def predict(self, horizon: int = 1) -> np.ndarray:
        """Forecast the next ``horizon`` values after the history: ndarray of shape (horizon,)."""
        self._check_fitted()
        horizon = check_horizon(horizon)
        y = self._history.values
        if self.multistep == "direct":
            if horizon > self._n_models:
                raise InvalidParameterError(
                    f"horizon={horizon} exceeds max_horizon={self._n_models} of this direct AR model; "
                    "refit with a larger max_horizon or use multistep='recursive'."
                )
            x = y[len(y) - self._lags]
            out: np.ndarray = self.params_[:horizon, int(self._const) :] @ x
            return out + (self.params_[:horizon, 0] if self._const else 0.0)
        c = float(self.params_[0, 0]) if self._const else 0.0
        phi = self.params_[0, int(self._const) :]
        if horizon == 1:
            return np.array([c + phi @ y[len(y) - self._lags]])
        buf = np.concatenate([y[len(y) - self._p :], np.empty(horizon)])
        for i in range(horizon):
            t = self._p + i
            buf[t] = c + phi @ buf[t - self._lags]
        return buf[self._p :].copy()

    def score(self, series: Any) -> float:
        """Negative MAE of one-step forecasts over ``series`` continuing the history (parameters fixed)."""
        self._check_fitted()
        new = self._check_new(series)
        if len(new) == 0:
            raise DataError("score needs at least one value to forecast, got an empty series.")
        full = np.concatenate([self._history.values[len(self._history) - self._p :], new])
        rows = np.arange(self._p, len(full))
        preds = _design(full, rows, self._lags, False) @ self.coef_ + self.intercept_
        return -float(np.mean(np.abs(preds - new)))

    # ------------------------------------------------------------------ persistence
    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        meta = {
            "shift": self._shift,
            "ssr": self._ssr,
            "summary": {"nobs": self.nobs_, "sigma2": self.sigma2_, "aic": self.aic_, "bic": self.bic_},
        }
        arrays = {"params": self.params_, "history": np.array(self._history.values), "gram": self._gram,
                  "xty": self._xty, "yty": self._yty}
        return meta, arrays

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        model = cls(**params)
        model._setup()
        k = len(model._lags) + model._const
        if arrays["params"].shape != (model._n_models, k) or arrays["gram"].shape != (model._n_models, k, k):
            raise DataError(f"saved AR arrays do not fit lags={params['lags']!r}: params {arrays['params'].shape}.")
        model._set_history(arrays["history"])
        model.params_ = arrays["params"].copy()
        model._gram, model._xty, model._yty = arrays["gram"].copy(), arrays["xty"].copy(), arrays["yty"].copy()
        model._shift = float(state["shift"])
        model._set_summary(float(state["ssr"]), int(state["summary"]["nobs"]), k)
        return model

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"lags": 2}

    @classmethod
    def _test_data(cls) -> np.ndarray:
        rng = np.random.default_rng(0)
        x = np.zeros(60)
        for t in range(2, 60):
            x[t] = 0.5 + 0.6 * x[t - 1] - 0.2 * x[t - 2] + rng.normal()
        return x


_check_horizon = check_horizon  # the shared validator (seqlab._validation); this name stays for older imports


@dataclass(frozen=True)
class OrderSelection:
    """Result of :func:`select_order`: the chosen order and every candidate's criteria."""

    order: int
    ic: str
    criteria: dict[int, dict[str, float]]


def select_order(series: Any, max_lags: int, *, ic: str = "aic", trend: str = "c") -> OrderSelection:
    """Choose the AR order in 0..max_lags by AIC, BIC or HQIC, as statsmodels ``ar_select_order`` does.

    Every candidate is fitted on the same rows (the first ``max_lags`` values are held back), so
    the criteria are comparable; ties go to the smaller order. The criteria follow
    ``AutoRegResults.aic``/``bic`` (the constant counts as a parameter); statsmodels'
    ``ar_select_order`` reports them one parameter lower for ``trend="c"``, a constant offset that
    never changes the chosen order.
    """
    if ic not in ("aic", "bic", "hqic"):
        raise InvalidParameterError(f"ic must be 'aic', 'bic' or 'hqic', got {ic!r}.")
    if trend not in ("c", "n"):
        raise InvalidParameterError(f"trend must be 'c' or 'n', got {trend!r}.")
    if isinstance(max_lags, bool) or not isinstance(max_lags, int | np.integer) or max_lags < 1:
        raise InvalidParameterError(f"max_lags must be an int >= 1, got {max_lags!r}.")
    y = as_values(series)
    if y.ndim != 1 or len(y) < max_lags + 2:
        raise DataError(f"select_order needs a 1-D series of at least max_lags + 2 = {max_lags + 2} values, "
                        f"got shape {y.shape}.")
    rows = np.arange(max_lags, len(y))
    full = _design(y, rows, np.arange(1, max_lags + 1), trend == "c")
    target = y[rows]
    criteria: dict[int, dict[str, float]] = {}
    for p in range(max_lags + 1):
        X = full[:, : p + (trend == "c")]
        if X.shape[1] == 0:
            resid = target
        else:
            resid = target - X @ np.linalg.lstsq(X, target, rcond=None)[0]
        criteria[p] = information_criteria(float(resid @ resid), len(rows), X.shape[1])
    best = min(criteria, key=lambda p: (criteria[p][ic], p))
    return OrderSelection(order=best, ic=ic, criteria=criteria)
