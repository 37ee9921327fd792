"""Compiled Kalman filter and Rauch-Tung-Striebel smoother kernels.

State dimensions in tracking are tiny (2-12), so a BLAS call per step costs more than the
arithmetic. These kernels write the small matrix products, the Cholesky factorisation and the
triangular solves as plain loops compiled by numba (``cache=True``), which also keeps numba
from needing scipy's BLAS bindings. One call filters or smooths a whole sequence.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_LOG_2PI = float(np.log(2.0 * np.pi))


@njit(cache=True)
def _at(length: int, t: int) -> int:
    """Index of step ``t`` into a matrix stack of ``length`` (1: the same matrix at every step)."""
    return 0 if length == 1 else t


@njit(cache=True)
def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    n, k = a.shape
    m = b.shape[1]
    out = np.zeros((n, m))
    for i in range(n):
        for p in range(k):
            aip = a[i, p]
            for j in range(m):
                out[i, j] += aip * b[p, j]
    return out


@njit(cache=True)
def _matmul_t(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b.T``."""
    n, k = a.shape
    m = b.shape[0]
    out = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            acc = 0.0
            for p in range(k):
                acc += a[i, p] * b[j, p]
            out[i, j] = acc
    return out


@njit(cache=True)
def _matvec(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    n, k = a.shape
    out = np.zeros(n)
    for i in range(n):
        acc = 0.0
        for p in range(k):
            acc += a[i, p] * x[p]
        out[i] = acc
    return out


@njit(cache=True)
def _cholesky(s: np.ndarray) -> tuple[np.ndarray, bool]:
    """Lower Cholesky factor of ``s``; the flag is False when ``s`` is not positive definite."""
    n = s.shape[0]
    chol = np.zeros((n, n))
    for j in range(n):
        acc = s[j, j]
        for p in range(j):
            acc -= chol[j, p] * chol[j, p]
        if not acc > 0.0:
            return chol, False
        chol[j, j] = np.sqrt(acc)
        for i in range(j + 1, n):
            acc = s[i, j]
            for p in range(j):
                acc -= chol[i, p] * chol[j, p]
            chol[i, j] = acc / chol[j, j]
    return chol, True


@njit(cache=True)
def _chol_solve(chol: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``(L L^T) X = B`` for ``B`` of shape (n, m)."""
    n, m = b.shape
    y = np.empty((n, m))
    for c in range(m):
        for i in range(n):
            acc = b[i, c]
            for p in range(i):
                acc -= chol[i, p] * y[p, c]
            y[i, c] = acc / chol[i, i]
        for i in range(n - 1, -1, -1):
            acc = y[i, c]
            for p in range(i + 1, n):
                acc -= chol[p, i] * y[p, c]
            y[i, c] = acc / chol[i, i]
    return y


@njit(cache=True)
def _chol_into(s: np.ndarray, k: int, chol: np.ndarray) -> bool:
    """Lower Cholesky factor of ``s[:k, :k]`` written into ``chol``; False if not positive definite."""
    for j in range(k):
        acc = s[j, j]
        for p in range(j):
            acc -= chol[j, p] * chol[j, p]
        if not acc > 0.0:
            return False
        chol[j, j] = np.sqrt(acc)
        for i in range(j + 1, k):
            acc = s[i, j]
            for p in range(j):
                acc -= chol[i, p] * chol[j, p]
            chol[i, j] = acc / chol[j, j]
    return True


@njit(cache=True)
def _chol_solve_vec(chol: np.ndarray, k: int, b: np.ndarray, out: np.ndarray) -> None:
    """Solve ``(L L^T) x = b[:k]`` into ``out[:k]``."""
    for i in range(k):
        acc = b[i]
        for p in range(i):
            acc -= chol[i, p] * out[p]
        out[i] = acc / chol[i, i]
    for i in range(k - 1, -1, -1):
        acc = out[i]
        for p in range(i + 1, k):
            acc -= chol[p, i] * out[p]
        out[i] = acc / chol[i, i]


@njit(cache=True)
def kalman_filter(Fs: np.ndarray, Hs: np.ndarray, Qs: np.ndarray, Rs: np.ndarray, x0: np.ndarray, P0: np.ndarray,
                  z: np.ndarray, observed: np.ndarray,
                  offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, int]:
    """Filter ``z`` (T, m); ``observed[t, i]`` marks which components of ``z[t]`` exist.

    ``x0``/``P0`` are the prior of the first state (the one ``z[0]`` measures), so step 0 is a
    correction only; step t > 0 predicts with ``F x + offsets[t]`` (``offsets[t] = B u[t]``).
    The matrices are stacks with a leading time axis of length 1 (constant) or more:
    ``Fs[t-1]``/``Qs[t-1]`` move the state from step t-1 to t (pykalman's convention),
    ``Hs[t]``/``Rs[t]`` observe step t. All work buffers are allocated once, so a step costs
    only its arithmetic.

    Returns
    -------
    pred_mean, pred_cov, filt_mean, filt_cov, log_likelihood, status
        ``status`` is -1 on success, else the step whose innovation covariance was not
        positive definite.
    """
    T, m = z.shape
    n = Fs.shape[1]
    pred_m = np.empty((T, n))
    pred_P = np.empty((T, n, n))
    filt_m = np.empty((T, n))
    filt_P = np.empty((T, n, n))
    FP = np.empty((n, n))
    idx = np.empty(m, dtype=np.int64)
    PHt = np.empty((n, m))
    S = np.empty((m, m))
    chol = np.zeros((m, m))
    y = np.empty(m)
    col = np.empty(m)
    KT = np.empty((m, n))
    w = np.empty(m)
    ll = 0.0
    for t in range(T):
        xp = pred_m[t]
        Pp = pred_P[t]
        H = Hs[_at(Hs.shape[0], t)]
        R = Rs[_at(Rs.shape[0], t)]
        if t == 0:
            xp[:] = x0
            Pp[:, :] = P0
        else:
            F = Fs[_at(Fs.shape[0], t - 1)]
            Q = Qs[_at(Qs.shape[0], t - 1)]
            xf_prev = filt_m[t - 1]
            Pf_prev = filt_P[t - 1]
            for i in range(n):
                acc = offsets[t, i]
                for p in range(n):
                    acc += F[i, p] * xf_prev[p]
                xp[i] = acc
            for i in range(n):
                for j in range(n):
                    acc = 0.0
                    for p in range(n):
                        acc += F[i, p] * Pf_prev[p, j]
                    FP[i, j] = acc
            for i in range(n):
                for j in range(i, n):
                    acc = Q[i, j]
                    for p in range(n):
                        acc += FP[i, p] * F[j, p]
                    Pp[i, j] = acc
                    Pp[j, i] = acc
        k = 0
        for i in range(m):
            if observed[t, i]:
                idx[k] = i
                k += 1
        xf = filt_m[t]
        Pf = filt_P[t]
        xf[:] = xp
        Pf[:, :] = Pp
        if k == 0:
            continue
        for a in range(k):  # innovation y = z - H x and P H^T
            ra = idx[a]
            acc = z[t, ra]
            for p in range(n):
                acc -= H[ra, p] * xp[p]
            y[a] = acc
            for i in range(n):
                acc = 0.0
                for p in range(n):
                    acc += Pp[i, p] * H[ra, p]
                PHt[i, a] = acc
        for a in range(k):  # S = H P H^T + R
            ra = idx[a]
            for b in range(a, k):
                acc = R[ra, idx[b]]
                for p in range(n):
                    acc += H[ra, p] * PHt[p, b]
                S[a, b] = acc
                S[b, a] = acc
        if not _chol_into(S, k, chol):
            return pred_m, pred_P, filt_m, filt_P, -np.inf, t
        for i in range(n):  # KT = S^-1 (P H^T)^T, column by column
            for a in range(k):
                col[a] = PHt[i, a]
            _chol_solve_vec(chol, k, col, w)
            for a in range(k):
                KT[a, i] = w[a]
        _chol_solve_vec(chol, k, y, w)
        quad = 0.0
        logdet = 0.0
        for a in range(k):
            quad += y[a] * w[a]
            logdet += 2.0 * np.log(chol[a, a])
            for i in range(n):
                xf[i] += PHt[i, a] * w[a]
        for i in range(n):  # P - (P H^T) S^-1 (H P), kept exactly symmetric
            for j in range(i, n):
                acc = 0.0
                for a in range(k):
                    acc += PHt[i, a] * KT[a, j]
                v = Pp[i, j] - acc
                if j > i:
                    acc2 = 0.0
                    for a in range(k):
                        acc2 += PHt[j, a] * KT[a, i]
                    v = 0.5 * (v + Pp[j, i] - acc2)
                Pf[i, j] = v
                Pf[j, i] = v
        ll += -0.5 * (k * _LOG_2PI + logdet + quad)
    return pred_m, pred_P, filt_m, filt_P, ll, -1


@njit(cache=True)
def rts_smoother(Fs: np.ndarray, pred_m: np.ndarray, pred_P: np.ndarray, filt_m: np.ndarray,
                 filt_P: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Rauch-Tung-Striebel smoother; returns smoothed means, covariances, gains and a status.

    ``gains[t] = P_{t|t} F^T P_{t+1|t}^{-1}`` (t < T-1); ``status`` is -1 or the step whose
    predicted covariance was singular.
    """
    T, n = filt_m.shape
    sm = np.empty((T, n))
    sP = np.empty((T, n, n))
    gains = np.zeros((T, n, n))
    sm[T - 1] = filt_m[T - 1]
    sP[T - 1] = filt_P[T - 1]
    for t in range(T - 2, -1, -1):
        chol, ok = _cholesky(pred_P[t + 1])
        if not ok:
            return sm, sP, gains, t + 1
        FP = _matmul(Fs[_at(Fs.shape[0], t)], filt_P[t])  # (n, n) = (P F^T)^T
        J = _chol_solve(chol, FP).T.copy()  # P F^T Pp^-1
        gains[t] = J
        diff = sm[t + 1] - pred_m[t + 1]
        sm[t] = filt_m[t] + _matvec(J, diff)
        D = sP[t + 1] - pred_P[t + 1]
        P = filt_P[t] + _matmul_t(_matmul(J, D), J)
        for i in range(n):
            for j in range(i + 1, n):
                v = 0.5 * (P[i, j] + P[j, i])
                P[i, j] = v
                P[j, i] = v
        sP[t] = P
    return sm, sP, gains, -1


@njit(cache=True)
def em_statistics(Fs: np.ndarray, Hs: np.ndarray, z: np.ndarray, complete: np.ndarray, offsets: np.ndarray,
                  sm: np.ndarray, sP: np.ndarray, gains: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """M-step sums of pykalman's EM for Q and R (pairwise covariances from the RTS gains).

    Returns ``(Q_sum / (T-1), R_sum / n_complete)``; R uses fully observed steps only.
    """
    T, n = sm.shape
    m = Hs.shape[1]
    Qs = np.zeros((n, n))
    for t in range(T - 1):
        F = Fs[_at(Fs.shape[0], t)]
        pair = _matmul_t(sP[t + 1], gains[t])  # Cov(x_{t+1}, x_t | all)
        err = sm[t + 1] - _matvec(F, sm[t]) - offsets[t + 1]
        VA = _matmul_t(pair, F)
        FPF = _matmul_t(_matmul(F, sP[t]), F)
        for i in range(n):
            for j in range(n):
                Qs[i, j] += err[i] * err[j] + FPF[i, j] + sP[t + 1, i, j] - VA[i, j] - VA[j, i]
    Rs = np.zeros((m, m))
    count = 0
    for t in range(T):
        if not complete[t]:
            continue
        H = Hs[_at(Hs.shape[0], t)]
        err = z[t] - _matvec(H, sm[t])
        HPH = _matmul_t(_matmul(H, sP[t]), H)
        for i in range(m):
            for j in range(m):
                Rs[i, j] += err[i] * err[j] + HPH[i, j]
        count += 1
    if T > 1:
        Qs /= T - 1
    if count > 0:
        Rs /= count
    return Qs, Rs


@njit(cache=True)
def em_matrices(z: np.ndarray, complete: np.ndarray, offsets: np.ndarray, sm: np.ndarray, sP: np.ndarray,
                gains: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sums of pykalman's EM for F and H: ``F = A1 pinv(A2)``, ``H = C1 pinv(C2)``.

    ``A1 = sum_{t>=1} Cov(x_t, x_{t-1}) + E[x_t] E[x_{t-1}]^T - b_t E[x_{t-1}]^T``,
    ``A2 = sum_{t>=1} P_{t-1} + E[x_{t-1}] E[x_{t-1}]^T``; ``C1 = sum z_t E[x_t]^T`` and
    ``C2 = sum P_t + E[x_t] E[x_t]^T`` over fully observed steps.
    """
    T, n = sm.shape
    m = z.shape[1]
    A1 = np.zeros((n, n))
    A2 = np.zeros((n, n))
    for t in range(1, T):
        pair = _matmul_t(sP[t], gains[t - 1])  # Cov(x_t, x_{t-1} | all)
        for i in range(n):
            for j in range(n):
                A1[i, j] += pair[i, j] + (sm[t, i] - offsets[t, i]) * sm[t - 1, j]
                A2[i, j] += sP[t - 1, i, j] + sm[t - 1, i] * sm[t - 1, j]
    C1 = np.zeros((m, n))
    C2 = np.zeros((n, n))
    for t in range(T):
        if not complete[t]:
            continue
        for i in range(m):
            for j in range(n):
                C1[i, j] += z[t, i] * sm[t, j]
        for i in range(n):
            for j in range(n):
                C2[i, j] += sP[t, i, j] + sm[t, i] * sm[t, j]
    return A1, A2, C1, C2


@njit(cache=True)
def _gain_loglik(cross: np.ndarray, S: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """``K = cross S^-1`` and ``log N(y; 0, S)``; the flag is False when ``S`` is not positive definite."""
    chol, ok = _cholesky(S)
    if not ok:
        return np.zeros(cross.shape), -np.inf, False
    K = _chol_solve(chol, cross.T.copy()).T.copy()  # S symmetric: (S^-1 cross^T)^T
    w = np.empty(y.shape[0])
    _chol_solve_vec(chol, y.shape[0], y, w)
    quad = 0.0
    logdet = 0.0
    for a in range(y.shape[0]):
        quad += y[a] * w[a]
        logdet += 2.0 * np.log(chol[a, a])
    return K, -0.5 * (y.shape[0] * _LOG_2PI + logdet + quad), True


@njit(cache=True)
def ekf_correct(xp: np.ndarray, Pp: np.ndarray, H: np.ndarray, R: np.ndarray,
                y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """EKF correction with innovation ``y``: gain, mean, Joseph-form covariance (as filterpy), log-likelihood."""
    n = xp.shape[0]
    PHT = _matmul_t(Pp, H)  # (n, m)
    S = _matmul(H, PHT) + R
    K, ll, ok = _gain_loglik(PHT, S, y)
    if not ok:
        return xp, Pp, ll, False
    x = xp + _matvec(K, y)
    I_KH = np.eye(n) - _matmul(K, H)
    P = _matmul_t(_matmul(I_KH, Pp), I_KH) + _matmul_t(_matmul(K, R), K)
    return x, P, ll, True


@njit(cache=True)
def ukf_correct(xp: np.ndarray, Pp: np.ndarray, cross: np.ndarray, S: np.ndarray,
                y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """UKF correction: ``K = Pxz S^-1``, ``x = xp + K y``, ``P = Pp - K S K^T``, log-likelihood."""
    K, ll, ok = _gain_loglik(cross, S, y)
    if not ok:
        return xp, Pp, ll, False
    return xp + _matvec(K, y), Pp - _matmul_t(_matmul(K, S), K), ll, True


@njit(cache=True)
def sigma_points(x: np.ndarray, P: np.ndarray, scale: float) -> tuple[np.ndarray, bool]:
    """Rows ``x, x + L[:, k], x - L[:, k]`` with ``L L^T = scale * P``; False if ``P`` is not positive definite."""
    n = x.shape[0]
    chol, ok = _cholesky(scale * P)
    out = np.empty((2 * n + 1, n))
    out[0] = x
    for k in range(n):
        for i in range(n):
            out[1 + k, i] = x[i] + chol[i, k]
            out[1 + n + k, i] = x[i] - chol[i, k]
    return out, ok
