"""Online Kalman filtering, time-varying matrices and EM of F and H (pykalman parity)."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.statespace import KalmanFilter, OnlineKalman, constant_velocity


@pytest.fixture
def track():  # type: ignore[no-untyped-def]
    mats = constant_velocity(2, q=0.1, r=2.0, p0=10.0)
    mats["x0"] = np.array([1.0, -2.0, 0.5, 0.3])
    _, z = KalmanFilter(**mats).sample(150, random_state=3)
    return mats, z


def test_step_and_online_equal_the_batch_filter_with_missing_values(track):
    mats, z = track
    z = z.copy()
    z[[4, 5, 40]] = np.nan
    z[60, 1] = np.nan  # one component missing
    kf = KalmanFilter(**mats)
    means, covs = kf.filter(z)
    online = OnlineKalman(kf)
    for t in range(len(z)):
        x, P = online.update(None if t == 5 else z[t])
        np.testing.assert_allclose(x, means[t], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(P, covs[t], rtol=1e-12, atol=1e-12)
    assert online.log_likelihood_ == pytest.approx(kf.log_likelihood(z), rel=1e-12)
    assert online.t_ == len(z)
    np.testing.assert_allclose(online.predict(3)[0], kf.predict(z, n_steps=3)[0], rtol=1e-12)
    x, P = means[9], covs[9]
    for name in ("step", "filter_update"):
        x1, P1 = getattr(kf, name)(x, P, z[10])
        np.testing.assert_allclose(x1, means[10], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(P1, covs[10], rtol=1e-12, atol=1e-12)


@pytest.mark.reference
def test_filter_update_matches_pykalman(track):
    pykalman = pytest.importorskip("pykalman")
    mats, z = track
    ref = pykalman.KalmanFilter(transition_matrices=mats["F"], observation_matrices=mats["H"],
                                transition_covariance=mats["Q"], observation_covariance=mats["R"],
                                initial_state_mean=mats["x0"], initial_state_covariance=mats["P0"])
    kf = KalmanFilter(**mats)
    x, P = mats["x0"], mats["P0"]
    for t in range(1, 20):
        obs = None if t == 7 else z[t]
        rx, rP = ref.filter_update(x, P, obs)
        ox, oP = kf.filter_update(x, P, obs)
        np.testing.assert_allclose(ox, rx, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(oP, rP, rtol=1e-10, atol=1e-10)
        x, P = ox, oP


@pytest.mark.reference
def test_time_varying_matrices_match_pykalman(rng):
    pykalman = pytest.importorskip("pykalman")
    T, n, m = 60, 2, 2
    F = np.stack([np.array([[1.0, 0.1 * (1 + np.sin(t))], [0.0, 0.95]]) for t in range(T - 1)])
    H = np.stack([np.array([[1.0, 0.0], [0.0, 1.0 + 0.5 * np.cos(t)]]) for t in range(T)])
    Q, R = 0.05 * np.eye(n), 0.5 * np.eye(m)
    x0, P0 = np.zeros(n), np.eye(n)
    kf = KalmanFilter(F=F, H=H, Q=Q, R=R, x0=x0, P0=P0)
    _, z = kf.sample(T, random_state=1)
    ref = pykalman.KalmanFilter(transition_matrices=F, observation_matrices=H, transition_covariance=Q,
                                observation_covariance=R, initial_state_mean=x0, initial_state_covariance=P0)
    for ours, theirs in ((kf.filter(z), ref.filter(z)), (kf.smooth(z), ref.smooth(z))):
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10, atol=1e-12)
    assert kf.log_likelihood(z) == pytest.approx(ref.loglikelihood(z), rel=1e-10)
    online = OnlineKalman(kf)
    for t in range(T):
        x, _ = online.update(z[t])
    np.testing.assert_allclose(x, kf.filter(z)[0][-1], rtol=1e-12)
    # time-varying Q and R too: the constant stack repeated is the constant model
    tv = KalmanFilter(F=F, H=H, Q=np.repeat(Q[None], T - 1, 0), R=np.repeat(R[None], T, 0), x0=x0, P0=P0)
    np.testing.assert_allclose(tv.smooth(z)[0], kf.smooth(z)[0], rtol=1e-12, atol=1e-12)
    with pytest.raises(DataError, match="F has a time axis of 59 steps but z has 70 steps"):
        kf.filter(np.zeros((70, 2)))
    with pytest.raises(InvalidParameterError, match="time-varying"):
        kf.em(z, em_vars=["F"])


@pytest.mark.reference
@pytest.mark.parametrize("em_vars", [["F", "H"], "all", ["transition_matrices", "observation_covariance"]])
def test_em_of_F_and_H_matches_pykalman(track, em_vars):
    pykalman = pytest.importorskip("pykalman")
    mats, z = track
    z = z[:120].copy()
    z[[10, 11]] = np.nan
    start = {**mats, "F": 0.9 * mats["F"], "H": mats["H"] + 0.1, "Q": np.eye(4), "R": np.eye(2),
             "x0": np.zeros(4), "P0": np.eye(4)}
    names = {"F": "transition_matrices", "H": "observation_matrices", "Q": "transition_covariance",
             "R": "observation_covariance", "x0": "initial_state_mean", "P0": "initial_state_covariance"}
    ref_vars = list(names.values()) if em_vars == "all" else [names.get(v, v) for v in em_vars]
    ref = pykalman.KalmanFilter(transition_matrices=start["F"], observation_matrices=start["H"],
                                transition_covariance=start["Q"], observation_covariance=start["R"],
                                initial_state_mean=start["x0"], initial_state_covariance=start["P0"],
                                em_vars=ref_vars)
    ref.em(np.ma.masked_invalid(z), n_iter=3)
    kf = KalmanFilter(**start).em(z, n_iter=3, em_vars=em_vars)
    for ours, attr in (("F", "transition_matrices"), ("H", "observation_matrices"), ("Q", "transition_covariance"),
                       ("R", "observation_covariance"), ("x0", "initial_state_mean"),
                       ("P0", "initial_state_covariance")):
        np.testing.assert_allclose(getattr(kf, f"{ours}_"), getattr(ref, attr), rtol=1e-8, atol=1e-10, err_msg=ours)
    assert np.all(np.diff(kf.log_likelihoods_) > 0)


def test_keyword_only_constructor_and_bad_online_input(track):
    mats, _ = track
    with pytest.raises(TypeError):
        KalmanFilter(mats["F"], mats["H"], mats["Q"], mats["R"], mats["x0"], mats["P0"])  # type: ignore[misc]
    kf = KalmanFilter(**mats)
    with pytest.raises(DataError, match=r"x and P must have shapes \(4,\) and \(4, 4\)"):
        kf.step(np.zeros(3), np.eye(4), np.zeros(2))
    with pytest.raises(DataError, match=r"z must have shape \(T, 2\)"):
        kf.step(np.zeros(4), np.eye(4), np.zeros(3))
    with pytest.raises(InvalidParameterError, match="em_vars"):
        kf.em(np.zeros((5, 2)), em_vars=["G"])
    with pytest.raises(InvalidParameterError, match="needs a KalmanFilter"):
        OnlineKalman("kf")  # type: ignore[arg-type]
