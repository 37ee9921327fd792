"""Benchmark: seqlab's HMMs and Kalman filter against hmmlearn, statsmodels, filterpy and pykalman.

Runs both sides on the same data in one process and writes ``bench/results/statespace.json``:

1. Baum-Welch time per iteration from identical starting parameters (and the largest
   difference between the two log-likelihood trajectories): 50 sequences x 1,000 steps of a
   3-state, 10-symbol categorical HMM, and one 100,000-step 1-D Gaussian sequence.
2. ``sample(100_000)`` from a 3-state Gaussian and a 3-state categorical HMM.
3. Kalman filter + RTS smoother on 100,000 steps of a 2-D constant-velocity model against
   statsmodels' state-space smoother and filterpy (full length) and pykalman (first 10,000 steps:
   its pure-Python loop takes about 48 s for 100,000), with the largest differences of the results.
5. GMMHMM (3 states x 2 components, diagonal, 2-D, 20,000 steps, 5 iterations) and PoissonHMM (3 states, 3
   count features, 100,000 steps) Baum-Welch against hmmlearn from identical starts.
6. EKF and UKF (+ RTS / URTS smoothers) on 2,000 steps of range-bearing radar tracking against
   filterpy's ExtendedKalmanFilter / UnscentedKalmanFilter (largest differences; time of one
   filter pass + smoother on each side).
4. Fitting that works: on 10 seeds of planted 3-state models (categorical and Gaussian), the
   number of fits that reach the planted model's log-likelihood, for seqlab's default start with
   ``n_init=5`` restarts and for hmmlearn's default initialisation.

Usage: ``PYTHONPATH=src python bench/statespace.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

warnings.filterwarnings("ignore")

from seqlab.hmm import GMMHMM, CategoricalHMM, GaussianHMM, PoissonHMM  # noqa: E402
from seqlab.hmm.gmm import hmmlearn_priors  # noqa: E402
from seqlab.statespace import (  # noqa: E402
    ExtendedKalmanFilter,
    KalmanFilter,
    UnscentedKalmanFilter,
    constant_velocity,
)

RESULTS = Path(__file__).parent / "results" / "statespace.json"
STICKY = np.array([[0.90, 0.05, 0.05], [0.05, 0.90, 0.05], [0.05, 0.05, 0.90]])


def timed(fn: Any, repeat: int = 1) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls, and the last result."""
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def set_params(model: Any, params: dict[str, np.ndarray]) -> Any:
    for name, value in params.items():
        setattr(model, name, np.array(value, copy=True))
    return model


# ---------------------------------------------------------------------- 1. Baum-Welch
def _compare_with_hmmlearn(out: dict[str, Any], ours: Any, n_iter: int, make_ref: Any, fit_ref: Any,
                           repeat: int) -> dict[str, Any]:
    """Time hmmlearn's log and scaling implementations from the same start; record the ratios
    and how far their log-likelihood trajectories are from seqlab's."""
    for impl in ("log", "scaling"):
        ref = make_ref(impl)
        t_ref, _ = timed(lambda ref=ref: fit_ref(ref), repeat=repeat)
        out[f"hmmlearn_{impl}_s_per_iter"] = t_ref / n_iter
        out[f"max_abs_loglik_trajectory_diff_{impl}"] = float(
            np.max(np.abs(np.array(ref.monitor_.history)[: ours.n_iter_] - ours.log_likelihoods_)))
    out["ratio_hmmlearn_default_log_over_seqlab"] = out["hmmlearn_log_s_per_iter"] / out["seqlab_s_per_iter"]
    out["ratio_hmmlearn_scaling_over_seqlab"] = out["hmmlearn_scaling_s_per_iter"] / out["seqlab_s_per_iter"]
    return out


def bench_baum_welch_categorical(n_iter: int) -> dict[str, Any]:
    from hmmlearn import hmm

    rng = np.random.default_rng(0)
    truth = set_params(CategoricalHMM(n_states=3, n_symbols=10), {
        "startprob_": np.full(3, 1 / 3), "transmat_": STICKY, "emissionprob_": rng.dirichlet(np.ones(10), 3)})
    seqs = [truth.sample(1000, random_state=s)[0] for s in range(50)]
    start = {"startprob_": rng.dirichlet(np.ones(3)), "transmat_": rng.dirichlet(np.ones(3) * 5, 3),
             "emissionprob_": rng.dirichlet(np.ones(10), 3)}
    X, lengths = np.concatenate(seqs)[:, None], [1000] * 50
    out: dict[str, Any] = {"data": "50 sequences x 1,000 steps, 3 states, 10 symbols", "n_iter": n_iter}
    ours = CategoricalHMM(n_states=3, n_symbols=10, n_iter=n_iter, tol=0.0)
    ours.fit(seqs[:2], init_params=start)  # compile outside the clock
    t_ours, _ = timed(lambda: ours.fit(seqs, init_params=start), repeat=3)
    out["seqlab_s_per_iter"] = t_ours / ours.n_iter_
    return _compare_with_hmmlearn(out, ours, n_iter, lambda impl: hmm.CategoricalHMM(
        n_components=3, n_features=10, n_iter=n_iter, tol=-np.inf, init_params="", implementation=impl),
        lambda ref: set_params(ref, start).fit(X, lengths), repeat=3)


def bench_baum_welch_gaussian(n_iter: int) -> dict[str, Any]:
    from hmmlearn import hmm

    truth = set_params(GaussianHMM(n_states=3), {"startprob_": np.full(3, 1 / 3), "transmat_": STICKY,
                                                 "means_": [[-2.0], [0.0], [2.0]], "covars_": [[1.0], [0.5], [1.0]]})
    x, _ = truth.sample(100_000, random_state=0)
    start = {"startprob_": np.full(3, 1 / 3), "transmat_": np.full((3, 3), 1 / 3),
             "means_": np.array([[-1.0], [0.1], [1.0]]), "covars_": np.array([[2.0], [2.0], [2.0]])}
    out: dict[str, Any] = {"data": "one 100,000-step 1-D sequence, 3 states, diagonal covariances",
                           "n_iter": n_iter}
    ours = GaussianHMM(n_states=3, n_iter=n_iter, tol=0.0)
    ours.fit([x[:100]], init_params=start)
    t_ours, _ = timed(lambda: ours.fit([x], init_params=start), repeat=3)
    out["seqlab_s_per_iter"] = t_ours / ours.n_iter_
    return _compare_with_hmmlearn(out, ours, n_iter, lambda impl: hmm.GaussianHMM(
        n_components=3, n_iter=n_iter, tol=-np.inf, init_params="", implementation=impl),
        lambda ref: set_params(ref, start).fit(x), repeat=2)


def bench_baum_welch_gmm(n_iter: int, n: int) -> dict[str, Any]:
    from hmmlearn import hmm

    rng = np.random.default_rng(2)
    truth = set_params(GMMHMM(n_states=3, n_mix=2), {
        "startprob_": np.full(3, 1 / 3), "transmat_": STICKY, "weights_": [[0.5, 0.5], [0.3, 0.7], [0.6, 0.4]],
        "means_": 3 * rng.normal(size=(3, 2, 2)), "covars_": rng.uniform(0.3, 1.0, size=(3, 2, 2))})
    x, _ = truth.sample(n, random_state=0)
    start = {"startprob_": np.full(3, 1 / 3), "transmat_": np.full((3, 3), 1 / 3),
             "weights_": np.full((3, 2), 0.5), "means_": truth.means_ + rng.normal(scale=0.5, size=(3, 2, 2)),
             "covars_": np.ones((3, 2, 2))}
    out: dict[str, Any] = {"data": f"one {n:,}-step 2-D sequence, 3 states x 2 diagonal components",
                           "n_iter": n_iter}
    ours = GMMHMM(n_states=3, n_mix=2, covars_prior=1e-2, n_iter=n_iter, tol=0.0)
    ours.fit([x[:100]], init_params=start)
    t_ours, _ = timed(lambda: ours.fit([x], init_params=start), repeat=2)
    out["seqlab_s_per_iter"] = t_ours / ours.n_iter_
    priors = hmmlearn_priors("diag", 1e-2, 3, 2, 2)
    return _compare_with_hmmlearn(out, ours, n_iter, lambda impl: hmm.GMMHMM(
        n_components=3, n_mix=2, covariance_type="diag", n_iter=n_iter, tol=-np.inf, init_params="",
        implementation=impl, **priors), lambda ref: set_params(ref, start).fit(x), repeat=1)


def bench_baum_welch_poisson(n_iter: int, n: int) -> dict[str, Any]:
    from hmmlearn import hmm

    truth = set_params(PoissonHMM(n_states=3), {"startprob_": np.full(3, 1 / 3), "transmat_": STICKY,
                                                "lambdas_": [[1.0, 5.0, 2.0], [4.0, 1.0, 8.0], [10.0, 3.0, 0.5]]})
    x, _ = truth.sample(n, random_state=0)
    start = {"startprob_": np.full(3, 1 / 3), "transmat_": np.full((3, 3), 1 / 3),
             "lambdas_": np.array([[2.0, 3.0, 3.0], [3.0, 2.0, 5.0], [6.0, 3.0, 2.0]])}
    out: dict[str, Any] = {"data": f"one {n:,}-step sequence of 3 counts, 3 states", "n_iter": n_iter}
    ours = PoissonHMM(n_states=3, n_iter=n_iter, tol=0.0)
    ours.fit([x[:100]], init_params=start)
    t_ours, _ = timed(lambda: ours.fit([x], init_params=start), repeat=2)
    out["seqlab_s_per_iter"] = t_ours / ours.n_iter_
    return _compare_with_hmmlearn(out, ours, n_iter, lambda impl: hmm.PoissonHMM(
        n_components=3, n_iter=n_iter, tol=-np.inf, init_params="", implementation=impl),
        lambda ref: set_params(ref, start).fit(x), repeat=1)


# ---------------------------------------------------------------------- 2. sampling
def bench_sample(n: int) -> dict[str, Any]:
    from hmmlearn import hmm

    rng = np.random.default_rng(1)
    gauss = {"startprob_": np.full(3, 1 / 3), "transmat_": STICKY, "means_": np.array([[-2.0], [0.0], [2.0]]),
             "covars_": np.array([[1.0], [0.5], [1.0]])}
    cat = {"startprob_": np.full(3, 1 / 3), "transmat_": STICKY, "emissionprob_": rng.dirichlet(np.ones(10), 3)}
    out: dict[str, Any] = {"n": n}
    for name, ours, ref, params in (
            ("gaussian", GaussianHMM(n_states=3), hmm.GaussianHMM(n_components=3), gauss),
            ("categorical", CategoricalHMM(n_states=3, n_symbols=10),
             hmm.CategoricalHMM(n_components=3, n_features=10), cat)):
        set_params(ours, params)
        set_params(ref, params)
        ours.sample(10, random_state=0)
        t_ours, (x_ours, z_ours) = timed(lambda ours=ours: ours.sample(n, random_state=0), repeat=3)
        t_ref, (x_ref, z_ref) = timed(lambda ref=ref: ref.sample(n, random_state=0))
        out[name] = {"seqlab_s": t_ours, "hmmlearn_s": t_ref, "ratio_hmmlearn_over_seqlab": t_ref / t_ours,
                     "state_frequencies_seqlab": np.bincount(z_ours, minlength=3).tolist(),
                     "state_frequencies_hmmlearn": np.bincount(z_ref, minlength=3).tolist()}
    return out


# ---------------------------------------------------------------------- 3. Kalman
def bench_kalman(n: int, n_pykalman: int) -> dict[str, Any]:
    from filterpy.kalman import KalmanFilter as FilterpyKF
    from filterpy.kalman import rts_smoother
    from pykalman import KalmanFilter as PykalmanKF
    from statsmodels.tsa.statespace.kalman_smoother import KalmanSmoother

    mats = constant_velocity(2, q=0.1, r=2.0, p0=10.0)
    kf = KalmanFilter(**mats)
    _, z = kf.sample(n, random_state=0)
    kf.smooth(z[:10])  # compile outside the clock

    def ours() -> tuple[np.ndarray, ...]:
        fm, fP = kf.filter(z)
        sm, sP = kf.smooth(z)
        return fm, fP, sm, sP

    t_ours, (fm, fP, sm, sP) = timed(ours, repeat=3)
    ll_ours = kf.log_likelihood(z)

    def statsmodels_run(**options: Any) -> Any:
        ks = KalmanSmoother(k_endog=2, k_states=4, initialization="known", initial_state=mats["x0"],
                            initial_state_cov=mats["P0"], **options)
        ks.bind(z.copy())
        ks["transition"], ks["design"], ks["selection"] = mats["F"], mats["H"], np.eye(4)
        ks["state_cov"], ks["obs_cov"] = mats["Q"], mats["R"]
        return ks.smooth()

    t_sm, res_default = timed(statsmodels_run, repeat=2)
    # statsmodels freezes the covariances once they change by less than tolerance=1e-19 (a
    # steady-state shortcut worth ~1e-10 relative); tolerance=0 runs the exact recursion
    t_sm_exact, res = timed(lambda: statsmodels_run(tolerance=0), repeat=2)

    def rel(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0)))

    out: dict[str, Any] = {"data": f"{n:,} steps, 2-D constant velocity (4 states, 2 observations)",
                           "seqlab_filter_smooth_s": t_ours, "statsmodels_filter_smooth_s": t_sm,
                           "ratio_statsmodels_over_seqlab": t_sm / t_ours,
                           "statsmodels_tolerance0_filter_smooth_s": t_sm_exact,
                           "statsmodels_default_max_rel_diff_smoothed_mean": rel(sm, res_default.smoothed_state.T),
                           "statsmodels_tolerance0_max_rel_diff": {
                               "filtered_mean": rel(fm, res.filtered_state.T),
                               "filtered_cov": rel(fP, res.filtered_state_cov.transpose(2, 0, 1)),
                               "smoothed_mean": rel(sm, res.smoothed_state.T),
                               "smoothed_cov": rel(sP, res.smoothed_state_cov.transpose(2, 0, 1)),
                               "log_likelihood": abs(ll_ours - res.llf_obs.sum()) / abs(ll_ours)}}

    # filterpy: x, P precede the first predict, so start one step earlier (see KalmanFilter docs)
    def filterpy_run() -> tuple[np.ndarray, ...]:
        f = FilterpyKF(dim_x=4, dim_z=2)
        f.F, f.H, f.Q, f.R = mats["F"], mats["H"], mats["Q"], mats["R"]
        f.x = np.linalg.solve(mats["F"], mats["x0"])
        f.P = np.linalg.solve(mats["F"], np.linalg.solve(mats["F"], (mats["P0"] - mats["Q"])).T).T
        means, covs, _, _ = f.batch_filter(z)
        xs, Ps, _, _ = rts_smoother(means, covs, [mats["F"]] * len(z), [mats["Q"]] * len(z))
        return means, covs, xs, Ps

    t_fp, (fpm, fpP, fps, fpPs) = timed(filterpy_run)
    out.update({"filterpy_filter_smooth_s": t_fp, "ratio_filterpy_over_seqlab": t_fp / t_ours,
                "filterpy_max_rel_diff": {"filtered_mean": rel(fm, fpm), "filtered_cov": rel(fP, fpP),
                                          "smoothed_mean": rel(sm, fps), "smoothed_cov": rel(sP, fpPs)}})

    zs = z[:n_pykalman]
    pk = PykalmanKF(transition_matrices=mats["F"], observation_matrices=mats["H"], transition_covariance=mats["Q"],
                    observation_covariance=mats["R"], initial_state_mean=mats["x0"],
                    initial_state_covariance=mats["P0"])
    t_pk, (pkf, pks) = timed(lambda: (pk.filter(zs), pk.smooth(zs)))
    t_ours_sub, (fm2, fP2, sm2, sP2) = timed(lambda: (*kf.filter(zs), *kf.smooth(zs)), repeat=3)
    out.update({"pykalman_subset_steps": n_pykalman, "pykalman_filter_smooth_s": t_pk,
                "seqlab_filter_smooth_subset_s": t_ours_sub, "ratio_pykalman_over_seqlab_subset": t_pk / t_ours_sub,
                "pykalman_max_rel_diff": {"filtered_mean": rel(fm2, pkf[0]), "filtered_cov": rel(fP2, pkf[1]),
                                          "smoothed_mean": rel(sm2, pks[0]), "smoothed_cov": rel(sP2, pks[1]),
                                          "log_likelihood": abs(kf.log_likelihood(zs) - pk.loglikelihood(zs))
                                          / abs(kf.log_likelihood(zs))}})
    return out


# ---------------------------------------------------------------------- 6. EKF / UKF
def bench_nonlinear(n: int) -> dict[str, Any]:
    from filterpy.kalman import ExtendedKalmanFilter as FilterpyEKF
    from filterpy.kalman import KalmanFilter as FilterpyKF
    from filterpy.kalman import MerweScaledSigmaPoints
    from filterpy.kalman import UnscentedKalmanFilter as FilterpyUKF

    F = np.array([[1, 1.0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1.0], [0, 0, 0, 1.0]])
    Q = 0.01 * np.kron(np.eye(2), np.array([[1 / 3, 1 / 2], [1 / 2, 1.0]]))
    R = np.diag([0.25, 1e-4])

    def f(x: np.ndarray) -> np.ndarray:
        return F @ x

    def h(x: np.ndarray) -> np.ndarray:
        return np.array([np.hypot(x[0], x[2]), np.arctan2(x[2], x[0])])

    def hj(x: np.ndarray) -> np.ndarray:
        r2 = x[0] ** 2 + x[2] ** 2
        r = np.sqrt(r2)
        return np.array([[x[0] / r, 0, x[2] / r, 0], [-x[2] / r2, 0, x[0] / r2, 0]])

    rng = np.random.default_rng(0)
    x = np.array([100.0, 1.0, 50.0, 0.5])
    zs = []
    for _ in range(n):
        x = F @ x + rng.multivariate_normal(np.zeros(4), Q)
        zs.append(h(x) + rng.multivariate_normal(np.zeros(2), R))
    z = np.array(zs)
    x0, P0 = np.array([99.0, 0.8, 51.0, 0.4]), np.diag([4.0, 1.0, 4.0, 1.0])
    out: dict[str, Any] = {"data": f"{n:,} steps of range-bearing radar tracking (4 states, 2 observations)"}

    ekf = ExtendedKalmanFilter(f=f, h=h, F_jacobian=lambda x: F, H_jacobian=hj, Q=Q, R=R, x0=x0, P0=P0)
    ekf.smooth(z[:5])  # compile outside the clock
    fm, fP = ekf.filter(z)
    t_ours, (sm, sP) = timed(lambda: ekf.smooth(z), repeat=2)  # the smoother runs its own filter pass

    def filterpy_ekf() -> tuple[np.ndarray, ...]:
        ref = FilterpyEKF(dim_x=4, dim_z=2)
        ref.x, ref.P, ref.F, ref.Q, ref.R = x0.copy(), P0.copy(), F, Q, R
        xs, ps = np.empty((n, 4)), np.empty((n, 4, 4))
        for t in range(n):
            if t:
                ref.predict()
            ref.update(z[t], hj, h)
            xs[t], ps[t] = ref.x, ref.P
        rx, rp, _, _ = FilterpyKF(dim_x=4, dim_z=2).rts_smoother(xs, ps, Fs=[F] * n, Qs=[Q] * n)
        return xs, ps, rx, rp

    t_ref, (rfm, rfP, rsm, rsP) = timed(filterpy_ekf, repeat=2)
    out["ekf"] = {"seqlab_filter_smooth_s": t_ours, "filterpy_filter_smooth_s": t_ref,
                  "ratio_filterpy_over_seqlab": t_ref / t_ours,
                  "max_abs_diff": {"filtered_mean": float(np.abs(fm - rfm).max()),
                                   "filtered_cov": float(np.abs(fP - rfP).max()),
                                   "smoothed_mean": float(np.abs(sm - rsm).max()),
                                   "smoothed_cov": float(np.abs(sP - rsP).max())}}

    ukf = UnscentedKalmanFilter(f=f, h=h, Q=Q, R=R, x0=x0, P0=P0, alpha=0.1, beta=2.0, kappa=-1.0)
    ukf.smooth(z[:5])  # compile outside the clock
    fm, fP = ukf.filter(z)
    t_ours, (sm, sP) = timed(lambda: ukf.smooth(z), repeat=2)  # the smoother runs its own filter pass

    def filterpy_ukf() -> tuple[np.ndarray, ...]:
        points = MerweScaledSigmaPoints(4, alpha=0.1, beta=2.0, kappa=-1.0)
        ref = FilterpyUKF(dim_x=4, dim_z=2, dt=1.0, hx=h, fx=lambda x, dt: F @ x, points=points)
        ref.x, ref.P, ref.Q, ref.R = x0.copy(), P0.copy(), Q, R
        ref.sigmas_f = points.sigma_points(x0, P0)
        xs, ps = np.empty((n, 4)), np.empty((n, 4, 4))
        for t in range(n):
            if t:
                ref.predict()
            ref.update(z[t])
            xs[t], ps[t] = ref.x, ref.P
        rx, rp, _ = ref.rts_smoother(xs, ps)
        return xs, ps, rx, rp

    t_ref, (rfm, rfP, rsm, rsP) = timed(filterpy_ukf, repeat=2)
    out["ukf"] = {"seqlab_filter_smooth_s": t_ours, "filterpy_filter_smooth_s": t_ref,
                  "ratio_filterpy_over_seqlab": t_ref / t_ours,
                  "max_abs_diff": {"filtered_mean": float(np.abs(fm - rfm).max()),
                                   "filtered_cov": float(np.abs(fP - rfP).max()),
                                   "smoothed_mean": float(np.abs(sm - rsm).max()),
                                   "smoothed_cov": float(np.abs(sP - rsP).max())}}
    return out


# ---------------------------------------------------------------------- 4. planted models
def planted_models() -> dict[str, dict[str, np.ndarray]]:
    rng = np.random.default_rng(42)
    emit = rng.dirichlet(np.full(10, 0.5), 3)
    return {
        "categorical": {"startprob_": np.array([0.6, 0.3, 0.1]), "transmat_": STICKY, "emissionprob_": emit},
        "gaussian": {"startprob_": np.array([0.6, 0.3, 0.1]), "transmat_": STICKY,
                     "means_": np.array([[-1.0], [0.5], [2.0]]), "covars_": np.array([[0.3], [0.5], [0.4]])},
    }


def bench_planted(n_seeds: int, n_init: int) -> dict[str, Any]:
    from hmmlearn import hmm

    out: dict[str, Any] = {"n_seeds": n_seeds, "seqlab_n_init": n_init,
                           "criterion": "fitted total log-likelihood >= planted model's - 1 nat, on the training data"}
    for family, params in planted_models().items():
        rows = []
        for seed in range(n_seeds):
            if family == "categorical":
                truth = set_params(CategoricalHMM(n_states=3, n_symbols=10), params)
                seqs = [truth.sample(500, random_state=1000 * seed + i)[0] for i in range(10)]
                ours = CategoricalHMM(n_states=3, n_symbols=10, n_init=n_init, random_state=seed)
                ref = hmm.CategoricalHMM(n_components=3, n_features=10, n_iter=100, tol=1e-4, random_state=seed)
                X = np.concatenate(seqs)[:, None]
            else:
                truth = set_params(GaussianHMM(n_states=3), params)
                seqs = [truth.sample(5000, random_state=seed)[0]]
                ours = GaussianHMM(n_states=3, n_init=n_init, random_state=seed)
                ref = hmm.GaussianHMM(n_components=3, n_iter=100, tol=1e-4, random_state=seed)
                X = seqs[0]
            lengths = [len(s) for s in seqs]
            true_ll = sum(truth.log_likelihood(s) for s in seqs)
            t_ours, _ = timed(lambda ours=ours, seqs=seqs: ours.fit(seqs))
            ours_ll = sum(ours.log_likelihood(s) for s in seqs)
            t_ref, _ = timed(lambda ref=ref, X=X, lengths=lengths: ref.fit(X, lengths))
            ref_ll = float(ref.score(X, lengths))
            rows.append({"seed": seed, "planted_loglik": true_ll, "seqlab_loglik": ours_ll,
                         "seqlab_best_init": ours.best_init_, "seqlab_n_iter": ours.n_iter_, "seqlab_fit_s": t_ours,
                         "hmmlearn_loglik": ref_ll, "hmmlearn_fit_s": t_ref,
                         "seqlab_reached": bool(ours_ll >= true_ll - 1.0),
                         "hmmlearn_reached": bool(ref_ll >= true_ll - 1.0)})
        out[family] = {"seqlab_reached": sum(r["seqlab_reached"] for r in rows),
                       "hmmlearn_default_reached": sum(r["hmmlearn_reached"] for r in rows), "runs": rows}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, to check the script runs")
    parser.add_argument("--only", nargs="*", default=None,
                        help="sections to run (bw_cat bw_gauss bw_gmm bw_poisson sample kalman nonlinear planted)")
    args = parser.parse_args()
    quick = args.quick
    sections = {
        "baum_welch_categorical": ("bw_cat", lambda: bench_baum_welch_categorical(3 if quick else 10)),
        "baum_welch_gaussian": ("bw_gauss", lambda: bench_baum_welch_gaussian(3 if quick else 10)),
        "baum_welch_gmm": ("bw_gmm", lambda: bench_baum_welch_gmm(3 if quick else 5, 5_000 if quick else 20_000)),
        "baum_welch_poisson": ("bw_poisson",
                               lambda: bench_baum_welch_poisson(3 if quick else 10, 5_000 if quick else 100_000)),
        "sample": ("sample", lambda: bench_sample(5_000 if quick else 100_000)),
        "kalman": ("kalman", lambda: bench_kalman(5_000 if quick else 100_000, 1_000 if quick else 10_000)),
        "nonlinear_filters": ("nonlinear", lambda: bench_nonlinear(300 if quick else 2_000)),
        "planted_fits": ("planted", lambda: bench_planted(2 if quick else 10, 5)),
    }
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() and args.only else {}
    import hmmlearn
    import statsmodels

    results["environment"] = {"python": platform.python_version(), "machine": platform.machine(),
                              "hmmlearn": hmmlearn.__version__, "statsmodels": statsmodels.__version__,
                              "numpy": np.__version__, "quick": quick}
    for key, (short, fn) in sections.items():
        if args.only is not None and short not in args.only:
            continue
        t0 = time.perf_counter()
        results[key] = fn()
        print(f"{key}: done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if not quick:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "planted_fits"}, indent=2))
    if "planted_fits" in results:
        pf = results["planted_fits"]
        print(json.dumps({f: {k: pf[f][k] for k in ("seqlab_reached", "hmmlearn_default_reached")}
                          for f in ("categorical", "gaussian")}))


if __name__ == "__main__":
    main()
