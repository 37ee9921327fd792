"""Linear-Gaussian state-space model: Kalman filter, RTS smoother, forecasts and EM."""

from __future__ import annotations

import warnings
from typing import Any, Self

import numpy as np

from seqlab.base import BaseModel
from seqlab.exceptions import ConvergenceWarning, DataError, InvalidParameterError
from seqlab.io import register
from seqlab.statespace import _kernels as kern

_MATRICES = ("F", "H", "Q", "R", "x0", "P0", "B")
_EM_VARS = ("F", "H", "Q", "R", "x0", "P0")
_DEFAULT_EM_VARS = ("Q", "R", "x0", "P0")
#: pykalman's ``em_vars`` names, accepted as aliases
_PYKALMAN_NAMES = {"transition_matrices": "F", "observation_matrices": "H", "transition_covariance": "Q",
                   "observation_covariance": "R", "initial_state_mean": "x0", "initial_state_covariance": "P0"}
#: matrices that may carry a leading time axis
_TIME_VARYING = ("F", "H", "Q", "R")


@register
class KalmanFilter(BaseModel):
    """Kalman filter and Rauch-Tung-Striebel smoother for ``x_t = F x_{t-1} + B u_t + w_t``,
    ``z_t = H x_t + v_t`` with ``w_t ~ N(0, Q)``, ``v_t ~ N(0, R)`` (document 001: the Bayes
    filter's linear-Gaussian special case).

    Parameters (keyword-only)
    -------------------------
    F : array-like of shape (n, n) or (T-1, n, n)
        Transition matrix; with a leading time axis, ``F[t]`` moves ``x_t`` to ``x_{t+1}``
        (pykalman's convention; a stack of length T is accepted, its last matrix unused).
    H : array-like of shape (m, n) or (T, m, n)
        Observation matrix; with a time axis, ``H[t]`` observes ``x_t``.
    Q : array-like of shape (n, n) or (T-1, n, n)
        Process-noise covariance (symmetric positive semi-definite), time-indexed like ``F``.
    R : array-like of shape (m, m) or (T, m, m)
        Measurement-noise covariance (symmetric positive semi-definite), time-indexed like ``H``.
    x0 : array-like of shape (n,)
        Mean of the **first** state, the one the first observation ``z[0]`` measures.
    P0 : array-like of shape (n, n)
        Covariance of the first state.
    B : array-like of shape (n, p), optional
        Control matrix; ``u[t]`` (t >= 1) moves the state from step t-1 to step t.

    Notes
    -----
    ``x0``/``P0`` follow pykalman (``initial_state_mean``/``initial_state_covariance``) and
    statsmodels (``initialization="known"``): step 0 is a correction without a prediction.
    filterpy's ``KalmanFilter.x``/``P`` are instead the state *before* its first ``predict``;
    to reproduce a filterpy run that starts from ``x``, ``P`` use
    ``x0 = F @ x (+ B @ u[0])`` and ``P0 = F @ P @ F.T + Q``.

    Learned matrices (after :meth:`em` or :meth:`fit`) are stored as ``Q_``, ``R_``, ``x0_``,
    ``P0_`` (with ``F_``, ``H_``, ``B_``); every method uses them when present, else the
    constructor's. ``get_params`` returns the matrices as nested lists, so that a model saves
    to a seqlab model directory (``save``/``seqlab.io.load``) like any other.

    Examples
    --------
    >>> import numpy as np
    >>> kf = KalmanFilter(F=[[1.0]], H=[[1.0]], Q=[[0.01]], R=[[1.0]], x0=[0.0], P0=[[1.0]])
    >>> means, covs = kf.filter(np.array([1.0, 1.2, 0.9]))
    >>> means.shape, covs.shape
    ((3, 1), (3, 1, 1))
    """

    def __init__(self, *, F: Any, H: Any, Q: Any, R: Any, x0: Any, P0: Any, B: Any = None) -> None:
        self.F, self.H, self.Q, self.R, self.x0, self.P0, self.B = F, H, Q, R, x0, P0, B

    @classmethod
    def _param_names(cls) -> list[str]:
        return sorted(_MATRICES)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The seven matrices (arrays as nested lists: JSON-able for model files)."""
        return {name: v.tolist() if isinstance(v, np.ndarray) else v
                for name, v in super().get_params(deep).items()}

    # ------------------------------------------------------------------ validation
    def _matrices(self) -> dict[str, Any]:
        """The model as float64 arrays, checked for shapes and symmetry (learned values first)."""
        raw = {name: getattr(self, f"{name}_", getattr(self, name)) for name in _MATRICES}
        out: dict[str, Any] = {}
        for name in _MATRICES:
            value = raw[name]
            if value is None:
                if name != "B":
                    raise InvalidParameterError(f"{name} is required for KalmanFilter, got None.")
                out[name] = None
                continue
            try:
                arr = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                raise InvalidParameterError(f"{name} must be a numeric array, got {type(value).__name__}.") from None
            if not np.all(np.isfinite(arr)):
                raise InvalidParameterError(f"{name} (shape {arr.shape}) must be finite.")
            out[name] = arr
        x0 = out["x0"]
        assert x0 is not None
        if x0.ndim != 1:
            raise InvalidParameterError(f"x0 must have shape (n,), got shape {x0.shape}.")
        n = len(x0)
        H = out["H"]
        assert H is not None
        m = H.shape[-2] if H.ndim in (2, 3) else -1
        expected = {"F": (n, n), "H": (m, n), "Q": (n, n), "R": (m, m), "P0": (n, n)}
        for name, shape in expected.items():
            arr = out[name]
            assert arr is not None
            ok = arr.shape == shape or (name in _TIME_VARYING and arr.ndim == 3 and arr.shape[1:] == shape
                                        and len(arr) >= 1)
            if not ok or m < 1:
                what = shape if m >= 1 else "(m, n)"
                extra = f" or (T, {', '.join(map(str, shape))})" if name in _TIME_VARYING and m >= 1 else ""
                raise InvalidParameterError(f"{name} must have shape {what}{extra} "
                                            f"(n={n} from x0, m from H's rows), got shape {arr.shape}.")
        for name in ("Q", "R", "P0"):
            arr = out[name]
            assert arr is not None
            if not np.allclose(arr, np.swapaxes(arr, -1, -2), rtol=1e-10, atol=1e-12):
                raise InvalidParameterError(f"{name} (shape {arr.shape}) must be symmetric.")
            low = float(np.linalg.eigvalsh(arr).min())
            if low < -1e-10 * max(1.0, float(np.abs(arr).max())):
                raise InvalidParameterError(f"{name} (shape {arr.shape}) must be positive semi-definite; "
                                            f"it has eigenvalue {low:.3g}.")
        B = out["B"]
        if B is not None and (B.ndim != 2 or B.shape[0] != n):
            raise InvalidParameterError(f"B must have shape ({n}, p), got shape {B.shape}.")
        return out

    @staticmethod
    def _stacks(mats: dict[str, Any], T: int) -> dict[str, np.ndarray]:
        """F, H, Q, R as stacks with a leading time axis (length 1 when constant), checked against ``T`` steps."""
        out = {}
        for name in _TIME_VARYING:
            arr = mats[name]
            if arr.ndim == 2:
                out[name] = arr[None]
                continue
            need = T - 1 if name in ("F", "Q") else T
            if len(arr) < max(need, 1):
                rule = "F[t] moves x_t to x_{t+1}" if name in ("F", "Q") else f"{name}[t] observes step t"
                raise DataError(f"{name} has a time axis of {len(arr)} steps but z has {T} steps; a time-varying "
                                f"{name} needs at least {max(need, 1)} ({rule}).")
            out[name] = np.ascontiguousarray(arr)
        return out

    @staticmethod
    def _last(arr: np.ndarray) -> np.ndarray:
        """The constant matrix, or the last one of a time-varying stack."""
        out: np.ndarray = arr if arr.ndim == 2 else arr[-1]
        return out

    def _observations(self, z: Any, m: int) -> tuple[np.ndarray, np.ndarray]:
        """``z`` as (T, m) floats plus the mask of observed entries (NaN or masked = missing)."""
        mask = np.ma.getmaskarray(z) if isinstance(z, np.ma.MaskedArray) else None
        try:
            arr = np.asarray(np.ma.getdata(z) if mask is not None else z, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise DataError(f"z must be numeric ({exc}).") from None
        if arr.ndim == 1 and m == 1:
            arr = arr[:, None]
            mask = None if mask is None else mask.reshape(-1, 1)
        if arr.ndim != 2 or arr.shape[1] != m:
            raise DataError(f"z must have shape (T, {m}) to match H of shape ({m}, n), got shape {arr.shape}.")
        if len(arr) == 0:
            raise DataError("z has length 0; give at least one observation step.")
        observed = ~np.isnan(arr)
        if mask is not None:
            observed &= ~mask
        if np.any(np.isinf(arr)):
            raise DataError("z holds an infinite value; use NaN (or a masked array) for missing observations.")
        return np.where(observed, arr, 0.0), observed

    def _offsets(self, mats: dict[str, np.ndarray | None], u: Any, T: int) -> np.ndarray:
        n = mats["F"].shape[-1]  # type: ignore[union-attr]
        B = mats["B"]
        if u is None:
            return np.zeros((T, n))
        if B is None:
            raise InvalidParameterError("a control input u was given but B is None; pass B of shape (n, p).")
        arr = np.asarray(u, dtype=np.float64)
        if arr.ndim == 1 and B.shape[1] == 1:
            arr = arr[:, None]
        if arr.shape != (T, B.shape[1]):
            raise DataError(f"u must have shape ({T}, {B.shape[1]}) to match z and B of shape {B.shape}, "
                            f"got shape {arr.shape}.")
        return np.ascontiguousarray(arr @ B.T)

    # ------------------------------------------------------------------ core passes
    def _run_filter(self, z: Any, u: Any = None) -> tuple[tuple[np.ndarray, ...], float, dict[str, Any]]:
        mats = self._matrices()
        H = mats["H"]
        assert H is not None
        zz, observed = self._observations(z, H.shape[-2])
        offsets = self._offsets(mats, u, len(zz))
        st = self._stacks(mats, len(zz))
        pm, pP, fm, fP, ll, status = kern.kalman_filter(st["F"], st["H"], st["Q"], st["R"], mats["x0"], mats["P0"],
                                                        zz, observed, offsets)
        if status >= 0:
            raise InvalidParameterError(f"the innovation covariance H P H^T + R at step {status} is not positive "
                                        "definite; make R (or P0) positive definite.")
        return (pm, pP, fm, fP), float(ll), {"mats": mats, "stacks": st, "z": zz, "observed": observed,
                                             "offsets": offsets}

    def filter(self, z: Any, u: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Filtered means ``(T, n)`` and covariances ``(T, n, n)`` of ``x_t`` given ``z[:t+1]``.

        ``z`` has shape ``(T, m)`` (or ``(T,)`` when m = 1); NaN entries or masked entries are
        missing: the filter only predicts there (or corrects with the observed components).
        ``u`` has shape ``(T, p)`` and needs ``B``.
        """
        (_, _, fm, fP), _, _ = self._run_filter(z, u)
        return fm, fP

    def smooth(self, z: Any, u: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Rauch-Tung-Striebel smoothed means ``(T, n)`` and covariances ``(T, n, n)`` given all of ``z``."""
        sm, sP, _ = self._smooth_all(z, u)[:3]
        return sm, sP

    def _smooth_all(self, z: Any, u: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, dict[str, Any]]:
        (pm, pP, fm, fP), ll, ctx = self._run_filter(z, u)
        sm, sP, gains, status = kern.rts_smoother(ctx["stacks"]["F"], pm, pP, fm, fP)
        if status >= 0:
            raise InvalidParameterError(f"the predicted covariance at step {status} is singular, so the smoother "
                                        "gain is undefined; make Q positive definite.")
        return sm, sP, gains, ll, ctx

    def log_likelihood(self, z: Any, u: Any = None) -> float:
        """Total natural-log likelihood ``log p(z_1..z_T)`` from the innovations (missing steps add 0)."""
        return self._run_filter(z, u)[1]

    def predict(self, z: Any, n_steps: int = 1, u: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Filter ``z`` and forecast the next ``n_steps`` states: means ``(n_steps, n)``, covariances.

        A time-varying model forecasts with its last ``F`` and ``Q``.
        """
        if isinstance(n_steps, bool) or not isinstance(n_steps, int | np.integer) or n_steps < 1:
            raise InvalidParameterError(f"n_steps must be an int >= 1, got {n_steps!r}.")
        (_, _, fm, fP), _, ctx = self._run_filter(z, u)
        F, Q = self._last(ctx["mats"]["F"]), self._last(ctx["mats"]["Q"])
        x, P = fm[-1], fP[-1]
        means, covs = np.empty((n_steps, len(x))), np.empty((n_steps, len(x), len(x)))
        for h in range(n_steps):
            x, P = F @ x, F @ P @ F.T + Q
            means[h], covs[h] = x, P
        return means, covs

    # ------------------------------------------------------------------ EM
    def em(self, z: Any, u: Any = None, *, n_iter: int = 10, em_vars: Any = _DEFAULT_EM_VARS,
           tol: float | None = None, log: Any = None) -> Self:
        """Estimate ``em_vars`` by expectation-maximisation, as pykalman's ``em``.

        ``em_vars`` holds any of ``"F", "H", "Q", "R", "x0", "P0"`` (pykalman's names such as
        ``"transition_matrices"`` are accepted too), or ``"all"``; the default leaves F and H
        as given. Each iteration filters and smooths with the current matrices (E-step) and
        sets the chosen matrices to their closed-form maximisers in pykalman's order (H, then
        R with the new H, F, then Q with the new F, then x0 and P0; Shumway & Stoffer). R and
        H use fully observed steps only. ``log_likelihoods_`` records the log-likelihood before
        each M-step; with ``tol`` the loop stops once a gain is below it. F and H must be
        constant (no time axis) to be estimated. ``log`` (a :class:`seqlab.train.log.MetricsLog`)
        receives one row per iteration.
        """
        chosen = self._em_vars(em_vars)
        if isinstance(n_iter, bool) or not isinstance(n_iter, int) or n_iter < 1:
            raise InvalidParameterError(f"n_iter must be an int >= 1, got {n_iter!r}.")
        history: list[float] = []
        converged = False
        for _ in range(n_iter):
            sm, sP, gains, ll, ctx = self._smooth_all(z, u)
            history.append(ll)
            if log is not None:  # negative log-likelihood per time step
                log.write(step=len(history), train_loss=-float(ll) / max(len(ctx["z"]), 1))
            mats, st = ctx["mats"], dict(ctx["stacks"])
            complete = ctx["observed"].all(axis=1)
            new: dict[str, Any] = {}
            if "F" in chosen or "H" in chosen:
                A1, A2, C1, C2 = kern.em_matrices(ctx["z"], complete, ctx["offsets"], sm, sP, gains)
                if "H" in chosen:
                    new["H"] = C1 @ np.linalg.pinv(C2)
                    st["H"] = new["H"][None]
                if "F" in chosen:
                    new["F"] = A1 @ np.linalg.pinv(A2)
                    st["F"] = new["F"][None]
            Qn, Rn = kern.em_statistics(st["F"], st["H"], ctx["z"], complete, ctx["offsets"], sm, sP, gains)
            new.update({"Q": Qn, "R": Rn, "x0": sm[0].copy(), "P0": sP[0].copy()})
            for name in _MATRICES:
                value = new[name] if name in chosen else mats[name]
                setattr(self, f"{name}_", None if value is None else np.array(value))
            if tol is not None and len(history) >= 2 and history[-1] - history[-2] < tol:
                converged = True
                break
        self.log_likelihoods_ = np.array(history)
        self.n_iter_ = len(history)
        if tol is not None and not converged:
            warnings.warn(f"KalmanFilter.em stopped after n_iter={n_iter} iterations with a last gain >= tol={tol}.",
                          ConvergenceWarning, stacklevel=2)
        return self

    def _em_vars(self, em_vars: Any) -> tuple[str, ...]:
        if isinstance(em_vars, str):
            em_vars = _EM_VARS if em_vars == "all" else (em_vars,)
        chosen = tuple(_PYKALMAN_NAMES.get(v, v) for v in em_vars)
        bad = [v for v in chosen if v not in _EM_VARS]
        if bad:
            raise InvalidParameterError(f"em_vars may hold {list(_EM_VARS)} (or pykalman's names, or 'all'), "
                                        f"got {bad}.")
        mats = self._matrices()
        varying = [v for v in ("F", "H") if v in chosen and mats[v].ndim == 3]
        if varying:
            raise InvalidParameterError(f"em_vars includes {varying[0]}, which is time-varying (shape "
                                        f"{mats[varying[0]].shape}); EM estimates one constant {varying[0]}.")
        return chosen

    def fit(self, z: Any, y: Any = None) -> Self:
        """Estimate Q, R, x0 and P0 by :meth:`em` (10 iterations) from the constructor's matrices.

        Unlike :meth:`em`, which continues from the current estimates, ``fit`` forgets an
        earlier fit first (the estimator contract: same data, same model).
        """
        for attr in [a for a in vars(self) if a.endswith("_") and not a.startswith("_")]:
            delattr(self, attr)
        return self.em(z)

    # ------------------------------------------------------------------ persistence
    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        meta: dict[str, Any] = {"n_iter_": int(self.n_iter_)}
        arrays = {name: np.asarray(getattr(self, f"{name}_"), dtype=np.float64)
                  for name in _MATRICES if getattr(self, f"{name}_") is not None}
        arrays["log_likelihoods"] = np.asarray(self.log_likelihoods_, dtype=np.float64)
        return meta, arrays

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        model = cls(**params)
        for name in _MATRICES:
            setattr(model, f"{name}_", arrays.get(name))
        model.log_likelihoods_ = arrays["log_likelihoods"]
        model.n_iter_ = int(state["n_iter_"])
        model._matrices()  # validate what was read
        return model

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"F": [[1.0]], "H": [[1.0]], "Q": [[0.1]], "R": [[1.0]], "x0": [0.0], "P0": [[1.0]]}

    @classmethod
    def _test_data(cls) -> np.ndarray:
        return np.array([0.1, 0.5, 0.3, 0.9, 1.4, 1.1, 1.8, 2.2, 1.9, 2.5])[:, None]

    def sample(self, n: int, random_state: int | np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Simulate ``n`` steps: ``(states (n, n_state), observations (n, m))``."""
        mats = self._matrices()
        st = self._stacks(mats, n)
        rng = np.random.default_rng(random_state)
        x0, P0 = mats["x0"], mats["P0"]
        m = st["H"].shape[1]
        states = np.empty((n, len(x0)))
        obs = np.empty((n, m))
        states[0] = rng.multivariate_normal(x0, P0)
        if all(len(st[k]) == 1 for k in _TIME_VARYING):  # constant model: vectorised noise draws
            F, H, Q, R = (st[k][0] for k in _TIME_VARYING)
            w = rng.multivariate_normal(np.zeros(len(x0)), Q, size=n)
            for t in range(1, n):
                states[t] = F @ states[t - 1] + w[t]
            return states, states @ H.T + rng.multivariate_normal(np.zeros(m), R, size=n)
        for t in range(n):
            if t > 0:
                f = st["F"][0 if len(st["F"]) == 1 else t - 1]
                q = st["Q"][0 if len(st["Q"]) == 1 else t - 1]
                states[t] = f @ states[t - 1] + rng.multivariate_normal(np.zeros(len(x0)), q)
            h = st["H"][0 if len(st["H"]) == 1 else t]
            r = st["R"][0 if len(st["R"]) == 1 else t]
            obs[t] = h @ states[t] + rng.multivariate_normal(np.zeros(m), r)
        return states, obs

    # ------------------------------------------------------------------ online use
    def filter_update(self, x: Any, P: Any, z: Any = None, *, u: Any = None, F: Any = None, H: Any = None,
                      Q: Any = None, R: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """One predict-then-correct step from the filtered ``(x, P)`` of the previous step (pykalman's name).

        Parameters
        ----------
        x, P : array-like of shapes (n,) and (n, n)
            Filtered mean and covariance of step t-1.
        z : array-like of shape (m,), optional
            Observation of step t; ``None``, NaN entries or a masked array mean missing (the
            step only predicts, or corrects with the observed components).
        u : array-like of shape (p,), optional
            Control input of step t (needs ``B``).
        F, H, Q, R : array-like, optional
            Matrices of this step, overriding the model's (how to run a time-varying model online).

        Returns
        -------
        x, P : ndarray of shapes (n,) and (n, n)
            The filtered mean and covariance of step t, equal to :meth:`filter` run over the whole
            sequence (the same compiled correction).
        """
        mats = self._matrices()
        for name, value in (("F", F), ("H", H), ("Q", Q), ("R", R)):
            if value is not None:
                mats[name] = np.asarray(value, dtype=np.float64)
            elif mats[name].ndim == 3:
                raise InvalidParameterError(f"{name} is time-varying (shape {mats[name].shape}); pass this step's "
                                            f"{name}= to filter_update, or use OnlineKalman, which tracks the step.")
        n = len(mats["x0"])
        xp, Pp = self._state(x, P, n)
        offset = self._offsets(mats, None if u is None else np.atleast_2d(np.asarray(u, dtype=np.float64)), 1)[0]
        xp = mats["F"] @ xp + offset
        Pp = mats["F"] @ Pp @ mats["F"].T + mats["Q"]
        return self._correct(mats, xp, 0.5 * (Pp + Pp.T), z)[:2]

    def step(self, x: Any, P: Any, z: Any = None, u: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Alias of :meth:`filter_update`: ``x, P = kf.step(x, P, z)`` (filterpy's predict + update)."""
        return self.filter_update(x, P, z, u=u)

    @staticmethod
    def _state(x: Any, P: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
        xx = np.asarray(x, dtype=np.float64).reshape(-1)
        PP = np.asarray(P, dtype=np.float64)
        if xx.shape != (n,) or PP.shape != (n, n):
            raise DataError(f"x and P must have shapes ({n},) and ({n}, {n}), got {xx.shape} and {PP.shape}.")
        if not (np.all(np.isfinite(xx)) and np.all(np.isfinite(PP))):
            raise DataError("x and P must be finite.")
        return xx, PP

    def _correct(self, mats: dict[str, Any], xp: np.ndarray, Pp: np.ndarray,
                 z: Any) -> tuple[np.ndarray, np.ndarray, float]:
        """Correct the prior ``(xp, Pp)`` of one step with ``z`` (``None`` = missing) by the batch kernel."""
        H = mats["H"]
        m = H.shape[0]
        if z is None:
            return xp, Pp, 0.0
        zz, observed = self._observations(np.ma.atleast_2d(z) if isinstance(z, np.ma.MaskedArray)
                                          else np.atleast_2d(np.asarray(z, dtype=np.float64)).reshape(1, -1), m)
        _, _, fm, fP, ll, status = kern.kalman_filter(np.eye(len(xp))[None], H[None], np.zeros_like(Pp)[None],
                                                      mats["R"][None], xp, Pp, zz, observed,
                                                      np.zeros((1, len(xp))))
        if status >= 0:
            raise InvalidParameterError("the innovation covariance H P H^T + R is not positive definite; make R "
                                        "(or P) positive definite.")
        return fm[0], fP[0], float(ll)


class OnlineKalman:
    """A Kalman filter fed one observation at a time; its estimates equal :meth:`KalmanFilter.filter`'s.

    Examples
    --------
    >>> import numpy as np
    >>> kf = KalmanFilter(F=[[1.0]], H=[[1.0]], Q=[[0.01]], R=[[1.0]], x0=[0.0], P0=[[1.0]])
    >>> online = OnlineKalman(kf)
    >>> for z in (1.0, None, 1.2):            # None: a missing observation (predict only)
    ...     x, P = online.update(z)
    >>> bool(np.allclose(x, kf.filter(np.array([1.0, np.nan, 1.2]))[0][-1]))
    True

    Attributes
    ----------
    x_, P_ : ndarray
        Filtered mean ``(n,)`` and covariance ``(n, n)`` after the last :meth:`update`.
    t_ : int
        Number of steps seen.
    log_likelihood_ : float
        Running total of the innovations' log-likelihood (missing steps add 0).

    A time-varying model is followed step by step (F of step t - 1, H of step t, ...); the stacks
    must be long enough for the steps fed.
    """

    def __init__(self, model: KalmanFilter) -> None:
        if not isinstance(model, KalmanFilter):
            raise InvalidParameterError(f"OnlineKalman needs a KalmanFilter, got {type(model).__name__}.")
        self.model = model
        self._mats = model._matrices()
        self.t_ = 0
        self.log_likelihood_ = 0.0
        self.x_: np.ndarray | None = None
        self.P_: np.ndarray | None = None

    def _at(self, name: str, t: int) -> np.ndarray:
        arr = self._mats[name]
        if arr.ndim == 2:
            return arr  # type: ignore[no-any-return]
        if t >= len(arr):
            raise DataError(f"{name} is time-varying with {len(arr)} steps; it has no matrix for step {t}.")
        return arr[t]  # type: ignore[no-any-return]

    def update(self, z: Any = None, u: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Take observation ``z`` (shape ``(m,)``; ``None`` or NaN = missing) of the next step; return ``(x, P)``."""
        mats = dict(self._mats)
        t = self.t_
        mats["H"], mats["R"] = self._at("H", t), self._at("R", t)
        if t == 0:
            if u is not None:
                raise DataError("u was given for step 0, but step 0 has no prediction (x0 is its prior).")
            xp, Pp = np.asarray(mats["x0"]), np.asarray(mats["P0"])
        else:
            assert self.x_ is not None and self.P_ is not None
            F, Q = self._at("F", t - 1), self._at("Q", t - 1)
            offset = self.model._offsets(mats, None if u is None else np.atleast_2d(np.asarray(u, dtype=float)), 1)[0]
            xp = F @ self.x_ + offset
            Pp = F @ self.P_ @ F.T + Q
            Pp = 0.5 * (Pp + Pp.T)
        x, P, ll = self.model._correct(mats, xp, Pp, z)
        self.x_, self.P_ = x, P
        self.log_likelihood_ += ll
        self.t_ += 1
        return x, P

    def predict(self, n_steps: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Forecast the next ``n_steps`` states from the current estimate (the state is not changed)."""
        if self.x_ is None or self.P_ is None:
            raise InvalidParameterError("OnlineKalman has seen no observation yet; call update first.")
        x, P = self.x_, self.P_
        means, covs = np.empty((n_steps, len(x))), np.empty((n_steps, len(x), len(x)))
        for h in range(n_steps):
            F, Q = self._at("F", self.t_ - 1 + h), self._at("Q", self.t_ - 1 + h)
            x, P = F @ x, F @ P @ F.T + Q
            means[h], covs[h] = x, P
        return means, covs


def constant_velocity(n_dims: int = 2, dt: float = 1.0, q: float = 1e-2, r: float = 1.0,
                      p0: float = 1e3) -> dict[str, np.ndarray]:
    """Matrices of a constant-velocity model in ``n_dims`` dimensions (positions observed).

    State ``[p_1..p_d, v_1..v_d]``; ``Q`` is the discretised white-noise-acceleration
    covariance with intensity ``q``; ``R = r I``; ``x0 = 0`` with a vague ``P0 = p0 I``.
    Use as ``KalmanFilter(**constant_velocity(2))``.
    """
    eye = np.eye(n_dims)
    F = np.block([[eye, dt * eye], [np.zeros((n_dims, n_dims)), eye]])
    H = np.hstack([eye, np.zeros((n_dims, n_dims))])
    Q = q * np.block([[dt**3 / 3 * eye, dt**2 / 2 * eye], [dt**2 / 2 * eye, dt * eye]])
    return {"F": F, "H": H, "Q": Q, "R": r * eye, "x0": np.zeros(2 * n_dims), "P0": p0 * np.eye(2 * n_dims)}
