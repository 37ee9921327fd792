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
_EM_VARS = ("Q", "R", "x0", "P0")


@register
class KalmanFilter(BaseModel):
    """Kalman filter and Rauch-Tung-Striebel smoother for ``x_t = F x_{t-1} + B u_t + w_t``,
    ``z_t = H x_t + v_t`` with ``w_t ~ N(0, Q)``, ``v_t ~ N(0, R)`` (document 001: the Bayes
    filter's linear-Gaussian special case).

    Parameters
    ----------
    F : array-like of shape (n, n)
        Transition matrix.
    H : array-like of shape (m, n)
        Observation matrix.
    Q : array-like of shape (n, n)
        Process-noise covariance (symmetric positive semi-definite).
    R : array-like of shape (m, m)
        Measurement-noise covariance (symmetric positive semi-definite).
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

    def __init__(self, F: Any, H: Any, Q: Any, R: Any, x0: Any, P0: Any, B: Any = None) -> None:
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
        m = H.shape[0] if H.ndim == 2 else -1
        expected = {"F": (n, n), "H": (m, n), "Q": (n, n), "R": (m, m), "P0": (n, n)}
        for name, shape in expected.items():
            arr = out[name]
            assert arr is not None
            if arr.shape != shape or m < 1:
                raise InvalidParameterError(f"{name} must have shape {shape if m >= 1 else '(m, n)'} "
                                            f"(n={n} from x0, m from H's rows), got shape {arr.shape}.")
        for name in ("Q", "R", "P0"):
            arr = out[name]
            assert arr is not None
            if not np.allclose(arr, arr.T, rtol=1e-10, atol=1e-12):
                raise InvalidParameterError(f"{name} (shape {arr.shape}) must be symmetric.")
            if np.linalg.eigvalsh(arr).min() < -1e-10 * max(1.0, np.abs(arr).max()):
                raise InvalidParameterError(f"{name} (shape {arr.shape}) must be positive semi-definite; "
                                            f"it has eigenvalue {np.linalg.eigvalsh(arr).min():.3g}.")
        B = out["B"]
        if B is not None and (B.ndim != 2 or B.shape[0] != n):
            raise InvalidParameterError(f"B must have shape ({n}, p), got shape {B.shape}.")
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
        n = mats["F"].shape[0]  # type: ignore[union-attr]
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
        zz, observed = self._observations(z, H.shape[0])
        offsets = self._offsets(mats, u, len(zz))
        pm, pP, fm, fP, ll, status = kern.kalman_filter(mats["F"], H, mats["Q"], mats["R"], mats["x0"], mats["P0"],
                                                        zz, observed, offsets)
        if status >= 0:
            raise InvalidParameterError(f"the innovation covariance H P H^T + R at step {status} is not positive "
                                        "definite; make R (or P0) positive definite.")
        return (pm, pP, fm, fP), float(ll), {"mats": mats, "z": zz, "observed": observed, "offsets": offsets}

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
        sm, sP, gains, status = kern.rts_smoother(ctx["mats"]["F"], pm, pP, fm, fP)
        if status >= 0:
            raise InvalidParameterError(f"the predicted covariance at step {status} is singular, so the smoother "
                                        "gain is undefined; make Q positive definite.")
        return sm, sP, gains, ll, ctx

    def log_likelihood(self, z: Any, u: Any = None) -> float:
        """Total natural-log likelihood ``log p(z_1..z_T)`` from the innovations (missing steps add 0)."""
        return self._run_filter(z, u)[1]

    def predict(self, z: Any, n_steps: int = 1, u: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Filter ``z`` and forecast the next ``n_steps`` states: means ``(n_steps, n)``, covariances."""
        if isinstance(n_steps, bool) or not isinstance(n_steps, int | np.integer) or n_steps < 1:
            raise InvalidParameterError(f"n_steps must be an int >= 1, got {n_steps!r}.")
        (_, _, fm, fP), _, ctx = self._run_filter(z, u)
        F, Q = ctx["mats"]["F"], ctx["mats"]["Q"]
        x, P = fm[-1], fP[-1]
        means, covs = np.empty((n_steps, len(x))), np.empty((n_steps, len(x), len(x)))
        for h in range(n_steps):
            x, P = F @ x, F @ P @ F.T + Q
            means[h], covs[h] = x, P
        return means, covs

    # ------------------------------------------------------------------ EM
    def em(self, z: Any, u: Any = None, *, n_iter: int = 10, em_vars: tuple[str, ...] = _EM_VARS,
           tol: float | None = None, log: Any = None) -> Self:
        """Estimate ``em_vars`` (any of Q, R, x0, P0) by expectation-maximisation, as pykalman's ``em``.

        Each iteration filters and smooths with the current matrices (E-step) and sets the
        chosen matrices to their closed-form maximisers (Shumway & Stoffer; pykalman's
        formulas, R from fully observed steps only). ``log_likelihoods_`` records the
        log-likelihood before each M-step; with ``tol`` the loop stops once a gain is below it.
        ``log`` (a :class:`seqlab.train.log.MetricsLog`) receives one row per iteration.
        """
        bad = [v for v in em_vars if v not in _EM_VARS]
        if bad:
            raise InvalidParameterError(f"em_vars may hold {list(_EM_VARS)}, got {bad}.")
        if isinstance(n_iter, bool) or not isinstance(n_iter, int) or n_iter < 1:
            raise InvalidParameterError(f"n_iter must be an int >= 1, got {n_iter!r}.")
        history: list[float] = []
        converged = False
        for _ in range(n_iter):
            sm, sP, gains, ll, ctx = self._smooth_all(z, u)
            history.append(ll)
            if log is not None:  # negative log-likelihood per time step
                log.write(step=len(history), train_loss=-float(ll) / max(len(ctx["z"]), 1))
            mats = ctx["mats"]
            complete = ctx["observed"].all(axis=1)
            Qn, Rn = kern.em_statistics(mats["F"], mats["H"], ctx["z"], complete, ctx["offsets"], sm, sP, gains)
            new = {"Q": Qn, "R": Rn, "x0": sm[0].copy(), "P0": sP[0].copy()}
            for name in _MATRICES:
                value = new[name] if name in em_vars else mats[name]
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
        rng = np.random.default_rng(random_state)
        F, H, Q, R, x0, P0 = (mats[k] for k in ("F", "H", "Q", "R", "x0", "P0"))
        assert F is not None and H is not None and Q is not None and R is not None and x0 is not None
        states = np.empty((n, len(x0)))
        states[0] = rng.multivariate_normal(x0, P0)
        w = rng.multivariate_normal(np.zeros(len(x0)), Q, size=n)
        for t in range(1, n):
            states[t] = F @ states[t - 1] + w[t]
        obs = states @ H.T + rng.multivariate_normal(np.zeros(H.shape[0]), R, size=n)
        return states, obs


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
