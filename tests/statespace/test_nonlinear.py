"""EKF / UKF and their smoothers: parity with filterpy on range-bearing tracking, autograd Jacobians, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.statespace import ExtendedKalmanFilter, KalmanFilter, UnscentedKalmanFilter

DT = 1.0
F = np.array([[1, DT, 0, 0], [0, 1, 0, 0], [0, 0, 1, DT], [0, 0, 0, 1.0]])  # state [px, vx, py, vy]
Q = 0.01 * np.kron(np.eye(2), np.array([[DT**3 / 3, DT**2 / 2], [DT**2 / 2, DT]]))
R = np.diag([0.5**2, 0.01**2])  # range (m), bearing (rad)


def f(x, u=None):  # type: ignore[no-untyped-def]
    return F @ x


def h(x):  # type: ignore[no-untyped-def]
    return np.array([np.hypot(x[0], x[2]), np.arctan2(x[2], x[0])])


def h_jacobian(x):  # type: ignore[no-untyped-def]
    r2 = x[0] ** 2 + x[2] ** 2
    r = np.sqrt(r2)
    return np.array([[x[0] / r, 0, x[2] / r, 0], [-x[2] / r2, 0, x[0] / r2, 0]])


@pytest.fixture
def radar():  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(4)
    x = np.array([100.0, 1.0, 50.0, 0.5])
    zs = []
    for _ in range(80):
        x = F @ x + rng.multivariate_normal(np.zeros(4), Q)
        zs.append(h(x) + rng.multivariate_normal(np.zeros(2), R))
    x0, P0 = np.array([99.0, 0.8, 51.0, 0.4]), np.diag([4.0, 1.0, 4.0, 1.0])
    return np.array(zs), x0, P0


@pytest.mark.reference
def test_ekf_and_rts_match_filterpy(radar):
    fk = pytest.importorskip("filterpy.kalman")
    z, x0, P0 = radar
    ekf = ExtendedKalmanFilter(f=f, h=h, F_jacobian=lambda x: F, H_jacobian=h_jacobian, Q=Q, R=R, x0=x0, P0=P0)
    means, covs = ekf.filter(z)
    ref = fk.ExtendedKalmanFilter(dim_x=4, dim_z=2)
    ref.x, ref.P, ref.F, ref.Q, ref.R = x0.copy(), P0.copy(), F, Q, R
    xs, ps = [], []
    for t, zt in enumerate(z):
        if t:
            ref.predict()
        ref.update(zt, h_jacobian, h)
        xs.append(ref.x.copy())
        ps.append(ref.P.copy())
    np.testing.assert_allclose(means, np.array(xs), rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(covs, np.array(ps), rtol=1e-8, atol=1e-10)
    smoothed, scovs = ekf.smooth(z)
    rx, rp, _, _ = fk.KalmanFilter(dim_x=4, dim_z=2).rts_smoother(np.array(xs), np.array(ps), Fs=[F] * len(z),
                                                                   Qs=[Q] * len(z))
    np.testing.assert_allclose(smoothed, rx, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(scovs, rp, rtol=1e-8, atol=1e-10)
    truth_free = np.abs(smoothed[:, 0] - means[:, 0]).max()
    assert truth_free > 0, "the smoother must change the estimates"


@pytest.mark.reference
def test_ukf_and_urts_match_filterpy(radar):
    fk = pytest.importorskip("filterpy.kalman")
    z, x0, P0 = radar
    ukf = UnscentedKalmanFilter(f=f, h=h, Q=Q, R=R, x0=x0, P0=P0, alpha=0.1, beta=2.0, kappa=-1.0)
    means, covs = ukf.filter(z)
    points = fk.MerweScaledSigmaPoints(4, alpha=0.1, beta=2.0, kappa=-1.0)
    ref = fk.UnscentedKalmanFilter(dim_x=4, dim_z=2, dt=DT, hx=h, fx=lambda x, dt: F @ x, points=points)
    ref.x, ref.P, ref.Q, ref.R = x0.copy(), P0.copy(), Q, R
    ref.sigmas_f = points.sigma_points(x0, P0)  # step 0 corrects the first-state prior without a predict
    xs, ps = [], []
    for t, zt in enumerate(z):
        if t:
            ref.predict()
        ref.update(zt)
        xs.append(ref.x.copy())
        ps.append(ref.P.copy())
    np.testing.assert_allclose(means, np.array(xs), rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(covs, np.array(ps), rtol=1e-8, atol=1e-10)
    smoothed, scovs = ukf.smooth(z)
    rx, rp, _ = ref.rts_smoother(np.array(xs), np.array(ps))
    np.testing.assert_allclose(smoothed, rx, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(scovs, rp, rtol=1e-8, atol=1e-10)


def test_linear_models_reduce_to_the_kalman_filter(radar):
    rng = np.random.default_rng(0)
    H = np.array([[1.0, 0, 0, 0], [0, 0, 1.0, 0]])
    z = np.array([H @ np.array([t, 1, 0.5 * t, 0.5]) for t in range(40)]) + rng.normal(size=(40, 2))
    z[[5, 6]] = np.nan
    x0, P0 = np.zeros(4), 10 * np.eye(4)
    kf = KalmanFilter(F=F, H=H, Q=Q, R=np.eye(2), x0=x0, P0=P0)
    ekf = ExtendedKalmanFilter(f=f, h=lambda x: H @ x, F_jacobian=lambda x: F, H_jacobian=lambda x: H, Q=Q,
                               R=np.eye(2), x0=x0, P0=P0)
    ukf = UnscentedKalmanFilter(f=f, h=lambda x: H @ x, Q=Q, R=np.eye(2), x0=x0, P0=P0, alpha=1.0, kappa=0.0)
    for model in (ekf, ukf):
        np.testing.assert_allclose(model.filter(z)[0], kf.filter(z)[0], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(model.smooth(z)[0], kf.smooth(z)[0], rtol=1e-9, atol=1e-9)
        assert model.log_likelihood(z) == pytest.approx(kf.log_likelihood(z), rel=1e-10)
        fm, fP = model.filter(z)
        x, P = model.step(fm[9], fP[9], z[10])
        np.testing.assert_allclose(x, fm[10], rtol=1e-10, atol=1e-10)


def test_torch_autograd_jacobians_equal_the_analytic_ones(radar):
    torch = pytest.importorskip("torch")
    z, x0, P0 = radar

    def h_any(x):  # type: ignore[no-untyped-def]
        lib = torch if isinstance(x, torch.Tensor) else np
        return lib.stack([lib.sqrt(x[0] ** 2 + x[2] ** 2), lib.arctan2(x[2], x[0])])

    def f_any(x):  # type: ignore[no-untyped-def]  # a mildly nonlinear drag on the velocity
        lib = torch if isinstance(x, torch.Tensor) else np
        return lib.stack([x[0] + x[1], x[1] - 0.01 * lib.tanh(x[1]), x[2] + x[3], x[3] - 0.01 * lib.tanh(x[3])])

    def f_jac(x):  # type: ignore[no-untyped-def]
        d1, d3 = 1 - 0.01 / np.cosh(x[1]) ** 2, 1 - 0.01 / np.cosh(x[3]) ** 2
        return np.array([[1, 1, 0, 0], [0, d1, 0, 0], [0, 0, 1, 1], [0, 0, 0, d3]])

    auto = ExtendedKalmanFilter(f=f_any, h=h_any, Q=Q, R=R, x0=x0, P0=P0)
    given = ExtendedKalmanFilter(f=f_any, h=h_any, F_jacobian=f_jac, H_jacobian=h_jacobian, Q=Q, R=R, x0=x0, P0=P0)
    np.testing.assert_allclose(auto.smooth(z[:20])[0], given.smooth(z[:20])[0], rtol=1e-10, atol=1e-10)


def test_bad_input_is_typed_and_one_line(radar):
    z, x0, P0 = radar
    bad_jac = ExtendedKalmanFilter(f=f, h=h, F_jacobian=lambda x: F, H_jacobian=lambda x: np.eye(4), Q=Q, R=R,
                                   x0=x0, P0=P0)
    with pytest.raises(InvalidParameterError, match=r"H_jacobian returned shape \(4, 4\); it must be \(2, 4\)"):
        bad_jac.filter(z)
    with pytest.raises(InvalidParameterError, match=r"P0 \(shape \(4, 4\)\) must be positive semi-definite"):
        UnscentedKalmanFilter(f=f, h=h, Q=Q, R=R, x0=x0, P0=-np.eye(4))
    with pytest.raises(InvalidParameterError, match="R must have shape"):
        ExtendedKalmanFilter(f=f, h=h, Q=Q, R=np.ones(3), x0=x0, P0=P0)
    ukf = UnscentedKalmanFilter(f=f, h=lambda x: x[:3], Q=Q, R=R, x0=x0, P0=P0)
    with pytest.raises(InvalidParameterError, match=r"h returned shape \(3,\)"):
        ukf.filter(z)
    with pytest.raises(DataError, match=r"z must have shape \(T, 2\)"):
        UnscentedKalmanFilter(f=f, h=h, Q=Q, R=R, x0=x0, P0=P0).filter(np.zeros((5, 3)))
    with pytest.raises(InvalidParameterError, match="alpha must be > 0"):
        UnscentedKalmanFilter(f=f, h=h, Q=Q, R=R, x0=x0, P0=P0, alpha=0.0)
    for err in (InvalidParameterError,):
        with pytest.raises(err) as info:
            bad_jac.filter(z)
        assert "\n" not in str(info.value)
