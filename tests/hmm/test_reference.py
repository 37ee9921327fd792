"""Parity with hmmlearn: same parameters give the same score, decode, posteriors and EM trajectory."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from seqlab.hmm import CategoricalHMM, GaussianHMM

pytestmark = pytest.mark.reference
hmmlearn_hmm = pytest.importorskip("hmmlearn.hmm")


def categorical_setup(rng: np.random.Generator, n_states: int = 3, n_symbols: int = 5):  # type: ignore[no-untyped-def]
    params = {"startprob_": rng.dirichlet(np.ones(n_states)),
              "transmat_": rng.dirichlet(np.ones(n_states), size=n_states),
              "emissionprob_": rng.dirichlet(np.ones(n_symbols), size=n_states)}
    ours = CategoricalHMM(n_states=n_states, n_symbols=n_symbols)
    ref = hmmlearn_hmm.CategoricalHMM(n_components=n_states, n_features=n_symbols)
    for name, value in params.items():
        setattr(ours, name, value)
        setattr(ref, name, value)
    return ours, ref, params


def gaussian_setup(rng: np.random.Generator, covariance_type: str, n_states: int = 3, n_features: int = 2):  # type: ignore[no-untyped-def]
    means = 3 * rng.normal(size=(n_states, n_features))
    if covariance_type == "diag":
        covars = rng.uniform(0.5, 2.0, size=(n_states, n_features))
    else:
        a = rng.normal(size=(n_states, n_features, n_features))
        covars = a @ a.transpose(0, 2, 1) + np.eye(n_features)
    params = {"startprob_": rng.dirichlet(np.ones(n_states)),
              "transmat_": rng.dirichlet(np.ones(n_states), size=n_states), "means_": means, "covars_": covars}
    ours = GaussianHMM(n_states=n_states, covariance_type=covariance_type)
    ref = hmmlearn_hmm.GaussianHMM(n_components=n_states, covariance_type=covariance_type)
    for name, value in params.items():
        setattr(ours, name, value)
        setattr(ref, name, value)
    return ours, ref, params


def test_categorical_score_decode_posteriors_match_hmmlearn(rng):
    ours, ref, _ = categorical_setup(rng)
    seqs = [rng.integers(0, 5, n) for n in (1, 7, 300)]
    X = np.concatenate(seqs)[:, None]
    lengths = [len(s) for s in seqs]
    assert ours.score(seqs) == pytest.approx(ref.score(X, lengths) / len(X), rel=1e-10)
    for x in seqs:
        assert ours.log_likelihood(x) == pytest.approx(ref.score(x[:, None]), rel=1e-10)
        lp, path = ours.decode(x)
        ref_lp, ref_path = ref.decode(x[:, None], algorithm="viterbi")
        assert lp == pytest.approx(ref_lp, rel=1e-10)
        np.testing.assert_array_equal(path, ref_path)
        np.testing.assert_allclose(ours.predict_proba(x), ref.predict_proba(x[:, None]), rtol=1e-10, atol=1e-13)
        _, map_path = ours.decode(x, algorithm="map")
        np.testing.assert_array_equal(map_path, ref.decode(x[:, None], algorithm="map")[1])


@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_gaussian_score_decode_posteriors_match_hmmlearn(rng, covariance_type):
    ours, ref, _ = gaussian_setup(rng, covariance_type)
    x = 2 * rng.normal(size=(400, 2))
    assert ours.log_likelihood(x) == pytest.approx(ref.score(x), rel=1e-10)
    assert ours.score([x]) == pytest.approx(ref.score(x) / len(x), rel=1e-10)
    lp, path = ours.decode(x)
    ref_lp, ref_path = ref.decode(x)
    assert lp == pytest.approx(ref_lp, rel=1e-10)
    np.testing.assert_array_equal(path, ref_path)
    np.testing.assert_allclose(ours.predict_proba(x), ref.predict_proba(x), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ours.covars_, ref.covars_, rtol=0, atol=0)  # full-shape convention for diag too


def test_categorical_baum_welch_follows_hmmlearn_trajectory(rng):
    _, _, params = categorical_setup(rng)
    seqs = [rng.integers(0, 5, n) for n in (50, 120, 80, 1)]
    ref = hmmlearn_hmm.CategoricalHMM(n_components=3, n_features=5, init_params="", n_iter=30, tol=-np.inf)
    for name, value in params.items():
        setattr(ref, name, value.copy())
    ref.fit(np.concatenate(seqs)[:, None], [len(s) for s in seqs])
    ours = CategoricalHMM(n_states=3, n_symbols=5, n_iter=30, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.fit(seqs, init_params=params)
    np.testing.assert_allclose(ours.log_likelihoods_, ref.monitor_.history, rtol=0, atol=1e-8)
    assert ours.n_iter_ == 30
    np.testing.assert_allclose(ours.emissionprob_, ref.emissionprob_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.transmat_, ref.transmat_, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_gaussian_baum_welch_follows_hmmlearn_trajectory(rng, covariance_type):
    _, _, params = gaussian_setup(rng, covariance_type)
    seqs = [2 * rng.normal(size=(n, 2)) + rng.integers(-3, 3) for n in (200, 150, 90)]
    # hmmlearn's prior adds the scalar covars_prior to every entry of a full scatter matrix;
    # seqlab adds it to the diagonal only, which hmmlearn reproduces with covars_prior * I.
    prior = 1e-2 if covariance_type == "diag" else 1e-2 * np.eye(2)
    ref = hmmlearn_hmm.GaussianHMM(n_components=3, covariance_type=covariance_type, init_params="", n_iter=20,
                                   tol=-np.inf, covars_prior=prior)
    for name, value in params.items():
        setattr(ref, name, value.copy())
    ref.fit(np.concatenate(seqs), [len(s) for s in seqs])
    ours = GaussianHMM(n_states=3, covariance_type=covariance_type, n_iter=20, tol=0.0, covars_prior=1e-2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.fit(seqs, init_params=params)
    n = len(ours.log_likelihoods_)
    assert n >= 15, f"the run stopped after {n} iterations"
    np.testing.assert_allclose(ours.log_likelihoods_, list(ref.monitor_.history)[:n], rtol=0, atol=1e-8)
    if n == 20:
        np.testing.assert_allclose(ours.means_, ref.means_, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(ours.covars_, ref.covars_, rtol=1e-8, atol=1e-10)
