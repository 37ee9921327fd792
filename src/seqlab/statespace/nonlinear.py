"""Nonlinear Gaussian filters: the extended and the unscented Kalman filter, with their smoothers.

Both follow the Bayes filter of document 001 for ``x_t = f(x_{t-1}) + w_t`` and
``z_t = h(x_t) + v_t`` (``w ~ N(0, Q)``, ``v ~ N(0, R)``) and keep the belief Gaussian:

- :class:`ExtendedKalmanFilter` linearises ``f`` and ``h`` at the current estimate with their
  Jacobians (given by the user, or computed by torch autograd when torch is installed);
- :class:`UnscentedKalmanFilter` pushes Van der Merwe's scaled sigma points through ``f`` and
  ``h`` and refits a Gaussian (no Jacobians).

As for :class:`~seqlab.statespace.KalmanFilter`, ``x0``/``P0`` are the prior of the **first**
state (the one ``z[0]`` measures): step 0 is a correction only. The arithmetic of a step is
that of filterpy's ``ExtendedKalmanFilter`` (Joseph-form covariance update) and
``UnscentedKalmanFilter`` with ``MerweScaledSigmaPoints``; parity tests hold them to 1e-8.
Missing observations (NaN rows, or ``None`` for :meth:`step`) skip the correction.

>>> import numpy as np
>>> f = lambda x: np.array([x[0] + x[1], x[1]])                  # constant velocity
>>> h = lambda x: np.array([np.hypot(x[0], 10.0)])               # distance to a post 10 m aside
>>> ukf = UnscentedKalmanFilter(f=f, h=h, Q=0.01 * np.eye(2), R=[[0.1]], x0=[0.0, 1.0], P0=np.eye(2))
>>> z = np.array([[np.hypot(t, 10.0)] for t in range(20)])
>>> means, covs = ukf.filter(z)
>>> bool(abs(means[-1, 0] - 19) < 1.0)
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.statespace import _kernels as kern

Fn = Callable[..., Any]


def _matrix(value: Any, name: str, shape: tuple[int, ...], psd: bool) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a numeric array, got {type(value).__name__}.") from None
    if arr.shape != shape:
        raise InvalidParameterError(f"{name} must have shape {shape}, got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError(f"{name} (shape {arr.shape}) must be finite.")
    if psd:
        if not np.allclose(arr, arr.T, rtol=1e-10, atol=1e-12):
            raise InvalidParameterError(f"{name} (shape {arr.shape}) must be symmetric.")
        low = float(np.linalg.eigvalsh(arr).min())
        if low < -1e-10 * max(1.0, float(np.abs(arr).max())):
            raise InvalidParameterError(f"{name} (shape {arr.shape}) must be positive semi-definite; it has "
                                        f"eigenvalue {low:.3g}.")
    return arr


def autograd_jacobian(fn: Fn, x: np.ndarray, name: str, *args: Any) -> np.ndarray:
    """Jacobian of ``fn`` at ``x`` by torch autograd (torch is imported here, lazily).

    ``fn`` receives a float64 torch tensor and must use operations torch can differentiate
    (arithmetic, indexing, ``torch.sin``...; not ``np.sin``).
    """
    try:
        import torch
    except ImportError:
        raise InvalidParameterError(f"{name} was not given and torch is not installed to compute it; pass {name}= "
                                    "or install the torch extra: pip install 'seqlab[torch]'.") from None

    def wrapped(v: Any) -> Any:
        out = fn(v, *args)
        if isinstance(out, list | tuple):
            out = torch.stack([torch.as_tensor(o, dtype=torch.float64) for o in out])
        return torch.as_tensor(out, dtype=torch.float64).reshape(-1)

    try:
        jac = torch.autograd.functional.jacobian(  # type: ignore[no-untyped-call]
            wrapped, torch.as_tensor(x, dtype=torch.float64))
    except Exception as exc:  # noqa: BLE001 - any failure inside user code becomes one typed error
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidParameterError(f"{name} could not be computed by torch autograd ({first}); write the function "
                                    f"with torch operations or pass {name}=.") from None
    return np.asarray(jac.detach().numpy(), dtype=np.float64).reshape(-1, len(x))


class _NonlinearFilter:
    """Shared validation, data handling and the filtering loop of the EKF and the UKF."""

    f: Fn
    h: Fn

    def _setup(self, *, f: Fn, h: Fn, Q: Any, R: Any, x0: Any, P0: Any, residual_z: Fn | None) -> None:
        if not callable(f) or not callable(h):
            raise InvalidParameterError("f and h must be callables: f(x[, u]) -> next state, h(x) -> observation.")
        self.f, self.h = f, h
        self.x0 = np.asarray(x0, dtype=np.float64)
        if self.x0.ndim != 1 or not np.all(np.isfinite(self.x0)):
            raise InvalidParameterError(f"x0 must be a finite array of shape (n,), got shape {self.x0.shape}.")
        n = len(self.x0)
        self.P0 = _matrix(P0, "P0", (n, n), psd=True)
        self.Q = _matrix(Q, "Q", (n, n), psd=True)
        R_arr = np.asarray(R, dtype=np.float64)
        m = R_arr.shape[0] if R_arr.ndim == 2 else -1
        self.R = _matrix(R, "R", (m, m) if m > 0 else (1, 1), psd=True)
        self.residual_z = residual_z
        self.n, self.m = n, self.R.shape[0]

    # ------------------------------------------------------------------ helpers
    def _fx(self, x: np.ndarray, u: np.ndarray | None) -> np.ndarray:
        out = np.asarray(self.f(x) if u is None else self.f(x, u), dtype=np.float64).reshape(-1)
        if out.shape != (self.n,):
            raise InvalidParameterError(f"f returned shape {out.shape}; it must return the next state of shape "
                                        f"({self.n},).")
        return out

    def _hx(self, x: np.ndarray) -> np.ndarray:
        out = np.asarray(self.h(x), dtype=np.float64).reshape(-1)
        if out.shape != (self.m,):
            raise InvalidParameterError(f"h returned shape {out.shape}; it must return an observation of shape "
                                        f"({self.m},) to match R.")
        return out

    def _residual(self, z: np.ndarray, zp: np.ndarray) -> np.ndarray:
        if self.residual_z is None:
            diff: np.ndarray = z - zp
            return diff
        out: np.ndarray = np.asarray(self.residual_z(z, zp), dtype=np.float64).reshape(-1)
        return out

    def _observations(self, z: Any) -> np.ndarray:
        try:
            arr = np.asarray(np.ma.filled(z, np.nan) if isinstance(z, np.ma.MaskedArray) else z, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise DataError(f"z must be numeric ({exc}).") from None
        if arr.ndim == 1 and self.m == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[1] != self.m:
            raise DataError(f"z must have shape (T, {self.m}) to match R of shape ({self.m}, {self.m}), "
                            f"got shape {arr.shape}.")
        if len(arr) == 0:
            raise DataError("z has length 0; give at least one observation step.")
        if np.any(np.isinf(arr)):
            raise DataError("z holds an infinite value; use NaN for missing observations.")
        return arr

    def _controls(self, u: Any, T: int) -> list[np.ndarray | None]:
        if u is None:
            return [None] * T
        arr = np.asarray(u, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or len(arr) != T:
            raise DataError(f"u must have shape ({T}, p) to match z, got shape {arr.shape}.")
        return list(arr)

    # ------------------------------------------------------------------ passes
    def _predict(self, x: np.ndarray, P: np.ndarray, u: np.ndarray | None, step: int) -> tuple[Any, ...]:
        raise NotImplementedError

    def _update(self, xp: np.ndarray, Pp: np.ndarray, z: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray, float]:
        raise NotImplementedError

    def _run(self, z: Any, u: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
        zz = self._observations(z)
        controls = self._controls(u, len(zz))
        T, n = len(zz), self.n
        pm, pP, fm, fP = np.empty((T, n)), np.empty((T, n, n)), np.empty((T, n)), np.empty((T, n, n))
        ll = 0.0
        x, P = self.x0, self.P0
        for t in range(T):
            if t == 0:
                xp, Pp = self.x0.copy(), self.P0.copy()
            else:
                xp, Pp = self._predict(x, P, controls[t], t)[:2]
            pm[t], pP[t] = xp, Pp
            if np.all(np.isnan(zz[t])):
                x, P = xp, Pp
            elif np.any(np.isnan(zz[t])):
                raise DataError(f"z[{t}] is partly missing; the nonlinear filters need whole observations or "
                                "a row of NaN.")
            else:
                x, P, step_ll = self._update(xp, Pp, zz[t], t)
                ll += step_ll
            fm[t], fP[t] = x, P
        return pm, pP, fm, fP, ll

    def filter(self, z: Any, u: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Filtered means ``(T, n)`` and covariances ``(T, n, n)``; NaN rows of ``z`` are missing."""
        _, _, fm, fP, _ = self._run(z, u)
        return fm, fP

    def log_likelihood(self, z: Any, u: Any = None) -> float:
        """Sum of the innovations' Gaussian log-densities (the filter's approximate ``log p(z)``)."""
        return self._run(z, u)[4]

    def step(self, x: Any, P: Any, z: Any = None, u: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """One predict-then-correct step from the filtered ``(x, P)`` of the previous step (``z=None``: missing)."""
        xx = np.asarray(x, dtype=np.float64).reshape(-1)
        PP = np.asarray(P, dtype=np.float64)
        if xx.shape != (self.n,) or PP.shape != (self.n, self.n):
            raise DataError(f"x and P must have shapes ({self.n},) and ({self.n}, {self.n}), got {xx.shape} and "
                            f"{PP.shape}.")
        xp, Pp = self._predict(xx, PP, None if u is None else np.asarray(u, dtype=np.float64), 1)[:2]
        if z is None:
            return xp, Pp
        zz = self._observations(np.asarray(z, dtype=np.float64).reshape(1, -1))[0]
        if np.all(np.isnan(zz)):
            return xp, Pp
        return self._update(xp, Pp, zz, 1)[:2]


class ExtendedKalmanFilter(_NonlinearFilter):
    """Extended Kalman filter and its RTS smoother.

    Parameters (keyword-only)
    -------------------------
    f : callable
        ``f(x) -> x_next`` (or ``f(x, u)`` when a control input ``u`` is given).
    h : callable
        ``h(x) -> z`` of shape ``(m,)``.
    Q, R : array-like of shapes (n, n) and (m, m)
        Process- and measurement-noise covariances.
    x0, P0 : array-like of shapes (n,) and (n, n)
        Prior of the first state.
    F_jacobian, H_jacobian : callable, optional
        ``F_jacobian(x[, u]) -> (n, n)`` and ``H_jacobian(x) -> (m, n)``. When omitted they
        are computed by torch autograd (torch is imported only then; ``f``/``h`` must then
        work on torch tensors).
    residual_z : callable, optional
        ``residual_z(z, h(x)) -> y``, e.g. to wrap angle differences (filterpy's ``residual``).

    Examples
    --------
    >>> import numpy as np
    >>> ekf = ExtendedKalmanFilter(f=lambda x: x, h=lambda x: x**2, F_jacobian=lambda x: np.eye(1),
    ...                            H_jacobian=lambda x: np.diag(2 * x), Q=[[0.01]], R=[[0.1]], x0=[1.5],
    ...                            P0=[[1.0]])
    >>> means, _ = ekf.filter(np.full(30, 4.0))
    >>> round(float(means[-1, 0]), 1)
    2.0
    """

    def __init__(self, *, f: Fn, h: Fn, Q: Any, R: Any, x0: Any, P0: Any, F_jacobian: Fn | None = None,
                 H_jacobian: Fn | None = None, residual_z: Fn | None = None) -> None:
        self._setup(f=f, h=h, Q=Q, R=R, x0=x0, P0=P0, residual_z=residual_z)
        self.F_jacobian, self.H_jacobian = F_jacobian, H_jacobian

    def _jacobian(self, which: str, x: np.ndarray, u: np.ndarray | None) -> np.ndarray:
        fn, user, shape = ((self.f, self.F_jacobian, (self.n, self.n)) if which == "F_jacobian"
                           else (self.h, self.H_jacobian, (self.m, self.n)))
        args = () if u is None else (u,)
        if user is None:
            jac = autograd_jacobian(fn, x, which, *args)
        else:
            jac = np.asarray(user(x, *args), dtype=np.float64)
        if jac.shape != shape:
            raise InvalidParameterError(f"{which} returned shape {jac.shape}; it must be {shape} "
                                        f"(n={self.n} state variables, m={self.m} observed).")
        return jac

    def _predict(self, x: np.ndarray, P: np.ndarray, u: np.ndarray | None, step: int) -> tuple[Any, ...]:
        F = self._jacobian("F_jacobian", x, u)
        return self._fx(x, u), F @ P @ F.T + self.Q, F

    def _update(self, xp: np.ndarray, Pp: np.ndarray, z: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray, float]:
        H = self._jacobian("H_jacobian", xp, None)
        y = self._residual(z, self._hx(xp))
        x, P, ll, ok = kern.ekf_correct(xp, Pp, H, self.R, y)  # Joseph-form covariance, as filterpy
        if not ok:
            raise InvalidParameterError(f"the innovation covariance at step {step} is not positive definite; make R "
                                        "positive definite.")
        return x, P, ll

    def smooth(self, z: Any, u: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Extended RTS smoother: means ``(T, n)`` and covariances ``(T, n, n)`` given all of ``z``.

        The backward pass linearises ``f`` at each filtered mean (the Jacobians of the forward
        pass), ``J_t = P_t F_t^T P_{t+1|t}^{-1}``.
        """
        zz = self._observations(z)
        controls = self._controls(u, len(zz))
        pm, pP, fm, fP, _ = self._run(zz, u)
        sm, sP = fm.copy(), fP.copy()
        for t in range(len(zz) - 2, -1, -1):
            F = self._jacobian("F_jacobian", fm[t], controls[t + 1])
            J = np.linalg.solve(pP[t + 1].T, (fP[t] @ F.T).T).T
            sm[t] = fm[t] + J @ (sm[t + 1] - pm[t + 1])
            sP[t] = fP[t] + J @ (sP[t + 1] - pP[t + 1]) @ J.T
        return sm, sP


def merwe_weights(n: int, alpha: float, beta: float, kappa: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Van der Merwe's scaled sigma-point weights ``(Wm, Wc, lambda)`` for ``2n + 1`` points."""
    lam = alpha**2 * (n + kappa) - n
    Wm = np.full(2 * n + 1, 0.5 / (n + lam))
    Wc = Wm.copy()
    Wm[0] = lam / (n + lam)
    Wc[0] = lam / (n + lam) + (1.0 - alpha**2 + beta)
    return Wm, Wc, lam


def merwe_sigma_points(x: np.ndarray, P: np.ndarray, lam: float) -> np.ndarray:
    """``2n + 1`` sigma points ``x, x + sqrt((n+lambda) P)_k, x - sqrt((n+lambda) P)_k`` (rows)."""
    out, ok = kern.sigma_points(x, P, len(x) + lam)  # columns of L = filterpy's rows of the upper factor
    if not ok:
        raise InvalidParameterError("the state covariance is not positive definite, so its sigma points are "
                                    "undefined; make P0 and Q positive definite.")
    return out


class UnscentedKalmanFilter(_NonlinearFilter):
    """Unscented Kalman filter (Van der Merwe's scaled sigma points) and the URTS smoother.

    Parameters (keyword-only)
    -------------------------
    f, h, Q, R, x0, P0, residual_z
        As for :class:`ExtendedKalmanFilter`; no Jacobians are needed.
    alpha, beta, kappa : float, default=0.1, 2.0, 0.0
        Spread of the sigma points, prior knowledge of the distribution (2 is optimal for a
        Gaussian) and secondary scaling; filterpy's ``MerweScaledSigmaPoints(n, alpha, beta, kappa)``.

    The sigma points are redrawn from the predicted mean and covariance before the correction,
    as filterpy does.
    """

    def __init__(self, *, f: Fn, h: Fn, Q: Any, R: Any, x0: Any, P0: Any, alpha: float = 0.1, beta: float = 2.0,
                 kappa: float = 0.0, residual_z: Fn | None = None) -> None:
        self._setup(f=f, h=h, Q=Q, R=R, x0=x0, P0=P0, residual_z=residual_z)
        for name, value in (("alpha", alpha), ("beta", beta), ("kappa", kappa)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
                raise InvalidParameterError(f"{name} must be a finite float, got {value!r}.")
        if not alpha > 0:
            raise InvalidParameterError(f"alpha must be > 0, got {alpha!r}.")
        if not self.n + kappa > 0:
            raise InvalidParameterError(f"kappa must be > -n = {-self.n}, got {kappa!r}.")
        self.alpha, self.beta, self.kappa = float(alpha), float(beta), float(kappa)
        self.Wm, self.Wc, self._lam = merwe_weights(self.n, self.alpha, self.beta, self.kappa)

    def _transform(self, sigmas: np.ndarray, noise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean = self.Wm @ sigmas
        d = sigmas - mean
        return mean, d.T @ (self.Wc[:, None] * d) + noise

    def _predict(self, x: np.ndarray, P: np.ndarray, u: np.ndarray | None, step: int) -> tuple[Any, ...]:
        sigmas = merwe_sigma_points(x, P, self._lam)
        sf = np.stack([self._fx(s, u) for s in sigmas])
        xp, Pp = self._transform(sf, self.Q)
        return xp, Pp, sigmas, sf

    def _update(self, xp: np.ndarray, Pp: np.ndarray, z: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray, float]:
        sigmas = merwe_sigma_points(xp, Pp, self._lam)
        sh = np.stack([self._hx(s) for s in sigmas])
        zp, S = self._transform(sh, self.R)
        cross = (sigmas - xp).T @ (self.Wc[:, None] * (sh - zp))  # (n, m)
        x, P, ll, ok = kern.ukf_correct(xp, Pp, cross, S, self._residual(z, zp))
        if not ok:
            raise InvalidParameterError(f"the innovation covariance at step {step} is not positive definite; make R "
                                        "positive definite.")
        return x, P, ll

    def smooth(self, z: Any, u: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Unscented RTS smoother (Särkkä 2008; filterpy's ``UnscentedKalmanFilter.rts_smoother``)."""
        zz = self._observations(z)
        controls = self._controls(u, len(zz))
        _, _, fm, fP, _ = self._run(zz, u)
        sm, sP = fm.copy(), fP.copy()
        for t in range(len(zz) - 2, -1, -1):
            xb, Pb, sigmas, sf = self._predict(fm[t], fP[t], controls[t + 1], t + 1)
            cross = (sigmas - fm[t]).T @ (self.Wc[:, None] * (sf - xb))  # (n, n)
            K = np.linalg.solve(Pb.T, cross.T).T
            sm[t] = fm[t] + K @ (sm[t + 1] - xb)
            sP[t] = fP[t] + K @ (sP[t + 1] - Pb) @ K.T
        return sm, sP
