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

from seqlab._validation import is_int
from seqlab.base import Constraint, int_at_least
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.forecast._base import BaseForecaster
from seqlab.forecast._data import as_many, as_values
from seqlab.forecast._var import var_coefs, var_fit, var_forecast, var_forecast_cov
from seqlab.forecast.intervals import Predictive, ma_weights, normal_quantile
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

    _supports_exog = True
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
    def fit(self, series: Any, X: Any = None) -> Self:
        """Fit by least squares on ``series`` of shape (n_steps,) (a seqlab or pandas ``Series`` works too).

        ``X`` of shape (n_steps, n_exog) adds exogenous regressors (ARX): row ``t`` of ``X``
        enters the equation of ``x[t]``, after the lags, as in statsmodels ``AutoReg(exog=X)``.
        Forecasts then need ``X_future``.

        ``series`` may also be a list of 1-D arrays (or pandas Series) ``[y1, y2, ...]``: one global
        AR fitted on the rows of all of them (the lag windows never cross from one series into
        the next), as darts fits a global model. ``predict`` then forecasts the last series;
        ``predict(h, series=y)`` any other.
        """
        self._setup()
        many = as_many(series)
        if many is not None:
            if X is not None:
                raise InvalidParameterError("ARForecaster fitted on several series takes no exogenous X.")
            ys = [as_values(s, name=f"series[{i}]") for i, s in enumerate(many)]
            if any(y.ndim != 1 for y in ys):
                raise DataError("a global ARForecaster takes several 1-D series; got "
                                f"shapes {[y.shape for y in ys]}.")
            series, y = many[-1], ys[-1]
        else:
            ys = None
            y = as_values(series)
        self._pool = ys[:-1] if ys is not None else []
        if y.ndim == 2:
            return self._fit_multi(series, y, X)
        self._multi = False
        self.__dict__.pop("sigma_u_", None)  # forget an earlier multi-column fit
        need = self._p + self._n_models + 1  # at least two equations: one leaves no residual to estimate sigma2 from
        short = [len(v) for v in [*self._pool, y] if len(v) < need]
        if short:
            raise DataError(
                f"series has {short[0]} values but AR with lags up to {self._p}"
                f"{' and ' + str(self._n_models) + ' direct leads' if self._n_models > 1 else ''} needs at least "
                f"{need}; use fewer lags or a longer series."
            )
        self._set_history(y)
        self._set_exog(X, len(y))
        if self._exog is not None and self._n_models > 1:
            raise InvalidParameterError("ARForecaster with exogenous regressors X supports multistep='recursive' only.")
        self._remember_index(series)
        exog = None if self._exog is None else self._exog.values
        k = len(self._lags) + self._const
        params = np.empty((self._n_models, k + self.n_exog_))
        self._lead_sigma2 = np.empty(self._n_models)
        for h in range(1, self._n_models + 1):
            D, target = self._stacked(h, y, exog)
            params[h - 1] = np.linalg.lstsq(D, target, rcond=None)[0]
            resid = target - D @ params[h - 1]
            self._lead_sigma2[h - 1] = float(resid @ resid) / len(target)
            if h == 1:
                self._set_summary(float(resid @ resid), len(target), k + self.n_exog_)
        self.params_ = params
        # normal equations of the centred window, ready for incremental updates
        self._shift = float(y.mean()) if self._const else 0.0
        self._gram = np.zeros((self._n_models, k, k))
        self._xty = np.zeros((self._n_models, k))
        self._yty = np.zeros(self._n_models)
        for other in self._pool:  # the other series of a global model: their rows stay in G for good
            for m in range(self._n_models):
                self._add_rows(m, other - self._shift, self._p, len(other) - m, 1.0)
        z = y - self._shift
        for m in range(self._n_models):
            self._add_rows(m, z, self._p, len(z) - m, 1.0)
        return self

    def _stacked(self, h: int, y: np.ndarray, exog: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Design and lead-``h`` targets of ``y`` stacked under those of the other series of a global fit."""
        designs, targets = [], []
        for v in [*self._pool, y]:
            lo, hi = self._row_range(h, len(v))
            rows = np.arange(lo, hi)
            D = _design(v, rows, self._lags, self._const)
            if exog is not None:
                D = np.concatenate([D, exog[rows]], axis=1)
            designs.append(D)
            targets.append(v[rows + h - 1])
        return np.concatenate(designs), np.concatenate(targets)

    def _fit_multi(self, series: Any, y: np.ndarray, X: Any) -> Self:
        """Multi-column series: a VAR(p), every column on a constant and the lags of all columns."""
        if X is not None or self._n_models > 1:
            raise InvalidParameterError("ARForecaster on a multi-column series supports neither exogenous X nor "
                                        "multistep='direct'; fit one column at a time for those.")
        if not len(self._lags):
            raise InvalidParameterError("ARForecaster on a multi-column series needs lags >= 1.")
        k = y.shape[1]
        n_params = int(self._const) + k * len(self._lags)
        if len(y) - self._p <= n_params:
            raise DataError(f"series has {len(y)} rows but a {k}-column AR with lags up to {self._p} has "
                            f"{n_params} parameters per column; use fewer lags or a longer series.")
        self._multi = True
        self._set_history(y)
        self._set_exog(None, len(y))
        self._remember_index(series)
        self._fit_var_params()
        return self

    def _fit_var_params(self) -> None:
        y = self._history.values
        params, resid = var_fit(y, self._lags, self._const)
        self.params_ = params
        self.nobs_ = len(resid)
        dof = self.nobs_ - params.shape[0]
        self.sigma_u_ = resid.T @ resid / dof  # statsmodels VARResults.sigma_u (degrees-of-freedom adjusted)

    def _set_summary(self, ssr: float, nobs: int, k: int) -> None:
        self.nobs_ = nobs
        self._ssr = max(ssr, 0.0)

    def _criterion(self, name: str) -> float:
        self._check_fitted()
        if self._multi:
            raise DataError(f"{name} is defined for a one-column AR; this one models {self.n_features_in_} columns "
                            "(see sigma_u_ for the residual covariance).")
        k = len(self._lags) + self._const + self.n_exog_
        return information_criteria(self._ssr, self.nobs_, k)[name]

    sigma2_ = property(lambda self: self._criterion("sigma2"), doc="Residual variance ssr / nobs.")
    llf_ = property(lambda self: self._criterion("llf"), doc="Gaussian conditional log-likelihood.")
    aic_ = property(lambda self: self._criterion("aic"), doc="AIC as statsmodels AutoRegResults.aic.")
    bic_ = property(lambda self: self._criterion("bic"), doc="BIC as statsmodels AutoRegResults.bic.")
    hqic_ = property(lambda self: self._criterion("hqic"), doc="HQIC as statsmodels AutoRegResults.hqic.")

    @property
    def coef_(self) -> np.ndarray:
        """``phi`` of the one-step model (the lag coefficients, without exogenous ones).

        For a multi-column series: the lag matrices ``A_l`` of shape (max_lag, k, k), as
        statsmodels ``VARResults.coefs``.
        """
        self._check_fitted()
        if self._multi:
            return var_coefs(self.params_, self._lags, self._const, self.n_features_in_)
        return self.params_[0, int(self._const) : int(self._const) + len(self._lags)]

    @property
    def exog_coef_(self) -> np.ndarray:
        """Coefficients of the exogenous regressors: shape (n_exog,) (empty without ``X``)."""
        self._check_fitted()
        return self.params_[0, int(self._const) + len(self._lags) :]

    @property
    def intercept_(self) -> Any:
        self._check_fitted()
        if self._multi:
            return self.params_[0].copy() if self._const else np.zeros(self.n_features_in_)
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

    def update(self, new_values: Any, *, refit: bool = True, forget: int = 0, X: Any = None) -> Self:
        """Append values, drop ``forget`` old ones, and re-solve the updated normal equations if ``refit``.

        Gives the same parameters as ``fit`` on the new window (to ~1e-10), in O(k^2) per new value.
        With exogenous regressors the new window is refitted from scratch (pass their rows as ``X``).
        """
        self._check_fitted()
        if self.n_exog_ or X is not None or self._multi:
            return super().update(new_values, refit=refit, forget=forget, X=X)
        new = self._check_new(new_values)
        self._index_steps += len(new)
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
            ssr = float(self._yty[m] - 2 * theta @ self._xty[m] + theta @ self._gram[m] @ theta)
            n_rows = hi - lo + sum(max(0, len(v) - self._p - m) for v in self._pool)
            self._lead_sigma2[m] = max(ssr, 0.0) / n_rows
            if m == 0:
                self._set_summary(ssr, n_rows, len(theta))
            if self._const:  # undo the centring: y - s = c' + sum phi (y_lag - s)
                theta = theta.copy()
                theta[0] += self._shift * (1.0 - theta[1:].sum())
            self.params_[m] = theta

    # ------------------------------------------------------------------ forecasts
    def _point(self, horizon: int, X_future: np.ndarray | None) -> np.ndarray:
        """Forecast the next ``horizon`` values after the history: ndarray of shape (horizon,) or (horizon, k)."""
        y = self._history.values
        if self._multi:
            return var_forecast(y, self.params_, self._lags, self._const, horizon)
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
        phi = self.coef_
        shift = np.full(horizon, c) if X_future is None else c + X_future @ self.exog_coef_
        if horizon == 1:
            return np.array([shift[0] + phi @ y[len(y) - self._lags]])
        buf = np.concatenate([y[len(y) - self._p :], np.empty(horizon)])
        for i in range(horizon):
            t = self._p + i
            buf[t] = shift[i] + phi @ buf[t - self._lags]
        return buf[self._p :].copy()

    def _predictive(self, horizon: int, X_future: np.ndarray | None) -> Predictive:
        """Normal forecast distribution: ``Var(e_h) = sigma2 sum_{j<h} psi_j^2`` (statsmodels' formula).

        Direct models use each lead's own residual variance instead (its error is one regression error).
        """
        mean = self._point(horizon, X_future)
        if self._multi:  # statsmodels VARResults.forecast_interval: diagonal of the forecast MSE matrices
            cov = var_forecast_cov(self.coef_, self.sigma_u_, horizon)
            return Predictive(mean=mean, method="analytic", std=np.sqrt(np.diagonal(cov, axis1=1, axis2=2)))
        if self.multistep == "direct":
            std = np.sqrt(self._lead_sigma2[:horizon])
        else:
            phi = np.zeros(self._p)
            phi[self._lags - 1] = self.coef_
            psi = ma_weights(phi, horizon)
            std = np.sqrt(self.sigma2_ * np.cumsum(psi**2))
        return Predictive(mean=mean, method="analytic", std=std)

    # ------------------------------------------------------------------ inference
    def summary(self, *, alpha: float = 0.05) -> ARSummary:
        """Coefficients with standard errors, z statistics, p-values and confidence intervals.

        The covariance is ``sigma2 * inv(X'X)`` with ``sigma2 = ssr / nobs``, as statsmodels
        ``AutoReg(...).fit()`` computes it (non-robust, normal ``z``); the numbers equal
        ``AutoRegResults.bse``/``tvalues``/``pvalues``/``conf_int`` to 1e-6 (``tests/forecast``).
        """
        self._check_fitted()
        if self._multi:
            raise DataError("summary() is defined for a one-column AR; fit each column alone for its table.")
        if not 0 < alpha < 1:
            raise InvalidParameterError(f"alpha must be strictly between 0 and 1, got {alpha!r}.")
        D, _ = self._stacked(1, self._history.values, None if self._exog is None else self._exog.values)
        cov = self.sigma2_ * np.linalg.pinv(D.T @ D)
        params = self.params_[0]
        bse = np.sqrt(np.diag(cov))
        z = np.divide(params, bse, out=np.full_like(params, np.nan), where=bse > 0)
        pvalues = np.array([math.erfc(abs(v) / math.sqrt(2)) for v in z])
        q = normal_quantile(1 - alpha / 2)
        names = (["const"] if self._const else []) + [f"y.L{lag}" for lag in self._lags]
        names += [f"x{j + 1}" for j in range(self.n_exog_)]
        return ARSummary(names=names, params=params.copy(), bse=bse, zvalues=z, pvalues=pvalues,
                         conf_int=np.stack([params - q * bse, params + q * bse], axis=1), cov_params=cov,
                         nobs=self.nobs_, sigma2=self.sigma2_, llf=self.llf_, aic=self.aic_, bic=self.bic_,
                         hqic=self.hqic_, alpha=alpha)

    def score(self, series: Any) -> float:
        """Negative MAE of one-step forecasts over ``series`` continuing the history (parameters fixed)."""
        self._check_fitted()
        if self.n_exog_ or self._multi:
            return super().score(series)
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
        if self._multi:
            return {"multi": True, "nobs": self.nobs_}, {"params": self.params_, "sigma_u": self.sigma_u_,
                                                       "history": np.array(self._history.values)}
        meta = {
            "shift": self._shift,
            "ssr": self._ssr,
            "summary": {"nobs": self.nobs_, "sigma2": self.sigma2_, "aic": self.aic_, "bic": self.bic_},
        }
        arrays = {"params": self.params_, "history": np.array(self._history.values), "gram": self._gram,
                  "xty": self._xty, "yty": self._yty, "lead_sigma2": self._lead_sigma2}
        if self._exog is not None:
            arrays["exog"] = np.array(self._exog.values)
        meta["n_pool"] = len(self._pool)
        arrays.update({f"pool.{i}": v for i, v in enumerate(self._pool)})
        return meta, arrays

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        model = cls(**params)
        model._setup()
        if state.get("multi"):
            history = arrays["history"]
            if history.ndim != 2 or arrays["params"].shape != (model._const + history.shape[1] * len(model._lags),
                                                               history.shape[1]):
                raise DataError(f"saved multi-column AR arrays do not fit lags={params['lags']!r}.")
            model._multi = True
            model._pool = []
            model._set_history(history)
            model._set_exog(None, len(history))
            model._remember_index(None)
            model.params_, model.sigma_u_ = arrays["params"].copy(), arrays["sigma_u"].copy()
            model.nobs_ = int(state["nobs"])
            return model
        model._multi = False
        k = len(model._lags) + model._const
        n_exog = arrays["exog"].shape[1] if "exog" in arrays else 0
        if arrays["params"].shape != (model._n_models, k + n_exog) or arrays["gram"].shape != (model._n_models, k, k):
            raise DataError(f"saved AR arrays do not fit lags={params['lags']!r}: params {arrays['params'].shape}.")
        model._set_history(arrays["history"])
        model._set_exog(arrays.get("exog"), len(arrays["history"]))
        model._remember_index(None)
        model._pool = [arrays[f"pool.{i}"].copy() for i in range(int(state.get("n_pool", 0)))]
        model.params_ = arrays["params"].copy()
        if "lead_sigma2" in arrays:
            model._lead_sigma2 = arrays["lead_sigma2"].copy()
        else:  # files written before intervals existed: the one-step variance for every lead
            model._lead_sigma2 = np.full(model._n_models, float(state["ssr"]) / int(state["summary"]["nobs"]))
        model._gram, model._xty, model._yty = arrays["gram"].copy(), arrays["xty"].copy(), arrays["yty"].copy()
        model._shift = float(state["shift"])
        model._set_summary(float(state["ssr"]), int(state["summary"]["nobs"]), k + n_exog)
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


@dataclass(frozen=True)
class ARSummary:
    """What :meth:`ARForecaster.summary` returns: the coefficient table and fit statistics.

    ``params``, ``bse``, ``zvalues``, ``pvalues`` have shape (k,), ``conf_int`` (k, 2) and
    ``cov_params`` (k, k), in the order of ``names`` (``const``, ``y.L1``, ..., ``x1``, ...).
    ``str(summary)`` is a printable table.
    """

    names: list[str]
    params: np.ndarray
    bse: np.ndarray
    zvalues: np.ndarray
    pvalues: np.ndarray
    conf_int: np.ndarray
    cov_params: np.ndarray
    nobs: int
    sigma2: float
    llf: float
    aic: float
    bic: float
    hqic: float
    alpha: float = 0.05

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: one row per coefficient plus the fit statistics."""
        lo, hi = f"[{self.alpha / 2:g}", f"{1 - self.alpha / 2:g}]"
        rows = [{"name": n, "coef": float(c), "std_err": float(s), "z": float(z), "p_value": float(p),
                 lo: float(a), hi: float(b)}
                for n, c, s, z, p, (a, b) in zip(self.names, self.params, self.bse, self.zvalues, self.pvalues,
                                                 self.conf_int, strict=True)]
        return {"coefficients": rows, "nobs": self.nobs, "sigma2": self.sigma2, "llf": self.llf, "aic": self.aic,
                "bic": self.bic, "hqic": self.hqic}

    def __str__(self) -> str:
        lo, hi = f"[{self.alpha / 2:g}", f"{1 - self.alpha / 2:g}]"
        head = f"{'':>8} {'coef':>11} {'std err':>10} {'z':>8} {'P>|z|':>8} {lo:>10} {hi:>10}"
        lines = [f"AR results: nobs {self.nobs}, sigma2 {self.sigma2:.6g}, log-likelihood {self.llf:.6g}",
                 f"AIC {self.aic:.6g}  BIC {self.bic:.6g}  HQIC {self.hqic:.6g}", head]
        for n, c, s, z, p, (a, b) in zip(self.names, self.params, self.bse, self.zvalues, self.pvalues,
                                         self.conf_int, strict=True):
            lines.append(f"{n:>8} {c:11.4f} {s:10.4f} {z:8.3f} {p:8.3f} {a:10.4f} {b:10.4f}")
        return "\n".join(lines)


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
    if not is_int(max_lags, 1):
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
