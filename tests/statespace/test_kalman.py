"""KalmanFilter: hand-worked values, parity with pykalman / filterpy / statsmodels, missing data, EM, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.statespace import KalmanFilter, constant_velocity


@pytest.fixture
def track():  # type: ignore[no-untyped-def]
    mats = constant_velocity(2, q=0.1, r=2.0, p0=10.0)
    mats["x0"] = np.array([1.0, -2.0, 0.5, 0.3])
    _, z = KalmanFilter(**mats).sample(400, random_state=3)
    return mats, z


def test_hand_worked_scalar_step():
    # x0 = 0, P0 = 1, R = 1: gain 1/2, filtered mean z/2, variance 1/2,
    # log p(z0) = log N(z0; 0, P0 + R = 2)
    kf = KalmanFilter(F=[[1.0]], H=[[1.0]], Q=[[0.5]], R=[[1.0]], x0=[0.0], P0=[[1.0]])
    means, covs = kf.filter(np.array([2.0, 0.0]))
    assert means[0, 0] == pytest.approx(1.0) and covs[0, 0, 0] == pytest.approx(0.5)
    # step 1: predicted variance 0.5 + 0.5 = 1 -> gain 1/2 -> mean 1 + (0 - 1)/2 = 0.5
    assert means[1, 0] == pytest.approx(0.5) and covs[1, 0, 0] == pytest.approx(0.5)
    expected = -0.5 * (np.log(2 * np.pi * 2) + 4 / 2) - 0.5 * (np.log(2 * np.pi * 2) + 1 / 2)
    assert kf.log_likelihood([2.0, 0.0]) == pytest.approx(expected, rel=1e-12)


@pytest.mark.reference
def test_filter_smoother_loglik_match_pykalman(track):
    pykalman = pytest.importorskip("pykalman")
    mats, z = track
    ref = pykalman.KalmanFilter(transition_matrices=mats["F"], observation_matrices=mats["H"],
                                transition_covariance=mats["Q"], observation_covariance=mats["R"],
                                initial_state_mean=mats["x0"], initial_state_covariance=mats["P0"])
    kf = KalmanFilter(**mats)
    for ours, theirs in ((kf.filter(z), ref.filter(z)), (kf.smooth(z), ref.smooth(z))):
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10, atol=1e-12)
    assert kf.log_likelihood(z) == pytest.approx(ref.loglikelihood(z), rel=1e-10)
    # missing rows: NaN rows and a masked array behave as pykalman's masked observations
    zm = z.copy()
    zm[[5, 6, 100]] = np.nan
    masked = np.ma.masked_invalid(zm)
    np.testing.assert_allclose(kf.smooth(zm)[0], ref.smooth(masked)[0], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(kf.filter(masked)[0], ref.filter(masked)[0], rtol=1e-10, atol=1e-10)
    assert kf.log_likelihood(zm) == pytest.approx(ref.loglikelihood(masked), rel=1e-10)


@pytest.mark.reference
def test_em_matches_pykalman(track):
    pykalman = pytest.importorskip("pykalman")
    mats, z = track
    start = {**mats, "Q": np.eye(4), "R": np.eye(2), "x0": np.zeros(4), "P0": np.eye(4)}
    ref = pykalman.KalmanFilter(transition_matrices=mats["F"], observation_matrices=mats["H"],
                                transition_covariance=np.eye(4), observation_covariance=np.eye(2),
                                initial_state_mean=np.zeros(4), initial_state_covariance=np.eye(4),
                                em_vars=["transition_covariance", "observation_covariance",
                                         "initial_state_mean", "initial_state_covariance"])
    ref.em(z[:200], n_iter=4)
    kf = KalmanFilter(**start).em(z[:200], n_iter=4)
    np.testing.assert_allclose(kf.Q_, ref.transition_covariance, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(kf.R_, ref.observation_covariance, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(kf.x0_, ref.initial_state_mean, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(kf.P0_, ref.initial_state_covariance, rtol=1e-10, atol=1e-12)
    assert np.all(np.diff(kf.log_likelihoods_) > 0), "EM log-likelihood must increase"
    assert kf.log_likelihood(z[:200]) > kf.log_likelihoods_[-1]


@pytest.mark.reference
def test_filter_matches_filterpy_with_shifted_prior(track):
    filterpy_kalman = pytest.importorskip("filterpy.kalman")
    mats, z = track
    ref = filterpy_kalman.KalmanFilter(dim_x=4, dim_z=2)
    ref.F, ref.H, ref.Q, ref.R = mats["F"], mats["H"], mats["Q"], mats["R"]
    ref.x, ref.P = np.array([0.5, 1.0, 0.0, 0.2]), 5 * np.eye(4)
    # filterpy's x, P precede its first predict: seqlab's first-state prior is one step later
    kf = KalmanFilter(**{**mats, "x0": mats["F"] @ ref.x, "P0": mats["F"] @ ref.P @ mats["F"].T + mats["Q"]})
    means, covs = kf.filter(z)
    total = 0.0
    for t in range(len(z)):
        ref.predict()
        ref.update(z[t])
        np.testing.assert_allclose(means[t], ref.x.ravel(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(covs[t], ref.P, rtol=1e-10, atol=1e-12)
        total += ref.log_likelihood
    assert kf.log_likelihood(z) == pytest.approx(total, rel=1e-10)


@pytest.mark.reference
def test_filter_smoother_match_statsmodels(track):
    pytest.importorskip("statsmodels")
    from statsmodels.tsa.statespace.kalman_smoother import KalmanSmoother

    mats, z = track
    # tolerance=0: statsmodels otherwise freezes the covariances once they stop changing by
    # 1e-19 (its steady-state shortcut), which moves its means by about 1e-10 relative
    ref = KalmanSmoother(k_endog=2, k_states=4, initialization="known", initial_state=mats["x0"],
                         initial_state_cov=mats["P0"], tolerance=0)
    ref.bind(z.copy())
    ref["transition"], ref["design"], ref["selection"] = mats["F"], mats["H"], np.eye(4)
    ref["state_cov"], ref["obs_cov"] = mats["Q"], mats["R"]
    res = ref.smooth()
    kf = KalmanFilter(**mats)
    fm, fP = kf.filter(z)
    sm, sP = kf.smooth(z)
    np.testing.assert_allclose(fm, res.filtered_state.T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fP, res.filtered_state_cov.transpose(2, 0, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sm, res.smoothed_state.T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sP, res.smoothed_state_cov.transpose(2, 0, 1), rtol=1e-10, atol=1e-12)
    assert kf.log_likelihood(z) == pytest.approx(res.llf_obs.sum(), rel=1e-10)


def test_partially_observed_rows_use_the_observed_components(track):
    mats, z = track
    kf = KalmanFilter(**mats)
    zp = z.copy()
    zp[10, 1] = np.nan
    # the same step with a 1-D observation model for that row only
    one = KalmanFilter(**{**mats, "H": mats["H"][:1], "R": mats["R"][:1, :1]})
    m_all, P_all = kf.filter(zp[:11])
    m_pre, P_pre = kf.filter(zp[:10])
    m_one, _ = KalmanFilter(**{**one.get_params(), "x0": mats["F"] @ m_pre[-1],
                                "P0": mats["F"] @ P_pre[-1] @ mats["F"].T + mats["Q"]}).filter(zp[10:11, :1])
    np.testing.assert_allclose(m_all[-1], m_one[0], rtol=1e-12, atol=1e-12)


def test_control_input_shifts_the_prediction():
    kf = KalmanFilter(F=[[1.0]], H=[[1.0]], Q=[[1e-9]], R=[[1e6]], x0=[0.0], P0=[[1e-9]], B=[[2.0]])
    means, _ = kf.filter(np.zeros(4), u=np.array([9.0, 1.0, 1.0, 1.0]))  # u[0] is ignored
    np.testing.assert_allclose(means[:, 0], [0.0, 2.0, 4.0, 6.0], atol=1e-6)
    fm, fP = kf.predict(np.zeros(4), n_steps=2, u=np.array([9.0, 1.0, 1.0, 1.0]))
    assert fm.shape == (2, 1) and fP.shape == (2, 1, 1) and fm[0, 0] == pytest.approx(means[-1, 0])


def test_100k_steps_run_and_stay_finite():
    kf = KalmanFilter(**constant_velocity(2))
    _, z = kf.sample(100_000, random_state=0)
    means, covs = kf.smooth(z)
    assert means.shape == (100_000, 4) and covs.shape == (100_000, 4, 4)
    assert np.isfinite(kf.log_likelihood(z)) and np.all(np.isfinite(covs))


@pytest.mark.parametrize("change,match", [
    ({"F": np.eye(3)}, r"F must have shape \(4, 4\) .* got shape \(3, 3\)"),
    ({"H": np.ones((2, 3))}, r"H must have shape \(2, 4\)"),
    ({"Q": np.ones((4, 4)) - 2 * np.eye(4)}, r"Q \(shape \(4, 4\)\) must be positive semi-definite"),
    ({"R": np.array([[1.0, 0.5], [0.0, 1.0]])}, r"R \(shape \(2, 2\)\) must be symmetric"),
    ({"R": np.eye(3)}, r"R must have shape \(2, 2\)"),
    ({"x0": np.zeros((4, 1))}, r"x0 must have shape \(n,\)"),
])
def test_shape_and_matrix_errors_name_the_matrix(change, match):
    kf = KalmanFilter(**{**constant_velocity(2), **change})
    with pytest.raises(InvalidParameterError, match=match):
        kf.filter(np.zeros((3, 2)))


def test_data_errors():
    kf = KalmanFilter(**constant_velocity(2))
    with pytest.raises(DataError, match=r"z must have shape \(T, 2\) to match H of shape \(2, n\), got shape \(5, 3\)"):
        kf.filter(np.zeros((5, 3)))
    with pytest.raises(DataError, match="length 0"):
        kf.smooth(np.zeros((0, 2)))
    with pytest.raises(InvalidParameterError, match="B is None"):
        kf.filter(np.zeros((5, 2)), u=np.zeros((5, 1)))
    singular = KalmanFilter(**{**constant_velocity(2), "R": np.zeros((2, 2)), "P0": np.zeros((4, 4))})
    with pytest.raises(InvalidParameterError, match="innovation covariance .* step 0 is not positive definite"):
        singular.filter(np.zeros((3, 2)))


def test_fit_is_repeatable_and_saves(tmp_path, track):
    from seqlab import io
    from seqlab.exceptions import NotFittedError

    mats, z = track
    kf = KalmanFilter(**{**mats, "Q": np.eye(4), "R": np.eye(2)})
    with pytest.raises(NotFittedError):
        io.save(kf, tmp_path / "unfitted")
    kf.fit(z[:100])
    first = kf.R_.copy()
    kf.fit(z[:100])
    np.testing.assert_array_equal(kf.R_, first)  # fit forgets the earlier fit; em would continue
    assert kf.get_params()["R"] == np.eye(2).tolist(), "hyperparameters stay as given (as nested lists)"
    back = io.load(io.save(kf, tmp_path / "kf"))
    assert type(back) is KalmanFilter and back.n_iter_ == kf.n_iter_
    np.testing.assert_array_equal(back.smooth(z)[0], kf.smooth(z)[0])
