"""The Kalman filter and smoother against the joint Gaussian of a tiny model (brute force)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from seqlab.statespace import KalmanFilter


def random_spd(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.normal(size=(n, n))
    return a @ a.T + 0.1 * np.eye(n)


def joint_moments(F, H, Q, R, x0, P0, T):  # type: ignore[no-untyped-def]
    """Mean and covariance of the stacked states (T*n) and observations (T*m)."""
    n, m = F.shape[0], H.shape[0]
    means = [x0]
    covs = [P0]
    for _ in range(1, T):
        means.append(F @ means[-1])
        covs.append(F @ covs[-1] @ F.T + Q)
    Sxx = np.zeros((T * n, T * n))
    for s in range(T):
        for t in range(s, T):
            block = covs[s] @ np.linalg.matrix_power(F, t - s).T  # Cov(x_s, x_t)
            Sxx[s * n:(s + 1) * n, t * n:(t + 1) * n] = block
            Sxx[t * n:(t + 1) * n, s * n:(s + 1) * n] = block.T
    Hb = np.kron(np.eye(T), H)
    Szz = Hb @ Sxx @ Hb.T + np.kron(np.eye(T), R)
    return np.concatenate(means), Sxx, Hb, Szz, m


@given(st.integers(1, 5), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2**32 - 1))
def test_loglik_and_smoother_equal_the_joint_gaussian(T, n, m, seed):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    F, H = rng.normal(size=(n, n)) * 0.8, rng.normal(size=(m, n))
    Q, R, P0 = random_spd(rng, n), random_spd(rng, m), random_spd(rng, n)
    x0 = rng.normal(size=n)
    z = rng.normal(size=(T, m))
    mu_x, Sxx, Hb, Szz, _ = joint_moments(F, H, Q, R, x0, P0, T)
    mu_z = Hb @ mu_x
    diff = z.ravel() - mu_z
    _, logdet = np.linalg.slogdet(Szz)
    brute = -0.5 * (len(diff) * np.log(2 * np.pi) + logdet + diff @ np.linalg.solve(Szz, diff))
    kf = KalmanFilter(F=F, H=H, Q=Q, R=R, x0=x0, P0=P0)
    assert np.isclose(kf.log_likelihood(z), brute, rtol=1e-9, atol=1e-9), "log-likelihood != joint Gaussian"
    # E[x | z] and Cov(x | z) by Gaussian conditioning of the stacked vector
    gain = Sxx @ Hb.T @ np.linalg.inv(Szz)
    post_mean = (mu_x + gain @ diff).reshape(T, n)
    post_cov = Sxx - gain @ Hb @ Sxx
    sm, sP = kf.smooth(z)
    np.testing.assert_allclose(sm, post_mean, rtol=1e-7, atol=1e-8)
    for t in range(T):
        np.testing.assert_allclose(sP[t], post_cov[t * n:(t + 1) * n, t * n:(t + 1) * n], rtol=1e-7, atol=1e-8)
    # the filter's last step conditions on everything too
    fm, fP = kf.filter(z)
    np.testing.assert_allclose(fm[-1], sm[-1], rtol=1e-12, atol=1e-12)
