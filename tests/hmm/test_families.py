"""hmmlearn calling conventions, spherical/tied covariances, GMMHMM, PoissonHMM, supervised fitting.

Parity tests: same parameters give hmmlearn's log-likelihood, posteriors and Viterbi path, and
Baum-Welch from the same start follows hmmlearn's trajectory (1e-8).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from seqlab import io
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.hmm import GMMHMM, CategoricalHMM, GaussianHMM, PoissonHMM
from seqlab.hmm.gmm import hmmlearn_priors

hmmlearn_hmm = pytest.importorskip("hmmlearn.hmm")


def _chain(rng: np.random.Generator, k: int) -> dict[str, np.ndarray]:
    return {"startprob_": rng.dirichlet(np.ones(k)), "transmat_": rng.dirichlet(np.ones(k) * 3, size=k)}


def _copy_to(models, params):  # type: ignore[no-untyped-def]
    for model in models:
        for name, value in params.items():
            setattr(model, name, np.array(value, copy=True))


def _gaussian_params(rng, ctype, k=3, d=2):  # type: ignore[no-untyped-def]
    params = {**_chain(rng, k), "means_": 3 * rng.normal(size=(k, d))}
    if ctype == "spherical":
        params["covars_"] = rng.uniform(0.5, 2.0, size=k)
    else:
        a = rng.normal(size=(d, d))
        params["covars_"] = a @ a.T + np.eye(d)
    return params


@pytest.mark.parametrize("ctype", ["spherical", "tied"])
def test_gaussian_spherical_tied_match_hmmlearn(rng, ctype):
    params = _gaussian_params(rng, ctype)
    ours = GaussianHMM(n_states=3, covariance_type=ctype)
    ref = hmmlearn_hmm.GaussianHMM(n_components=3, covariance_type=ctype)
    _copy_to([ours, ref], params)
    x = 2 * rng.normal(size=(300, 2))
    assert ours.log_likelihood(x) == pytest.approx(ref.score(x), rel=1e-10)
    np.testing.assert_allclose(ours.predict_proba(x), ref.predict_proba(x), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(x), ref.predict(x))
    np.testing.assert_allclose(ours.covars_, ref.covars_, rtol=1e-12)
    assert ours.aic(x) == pytest.approx(ref.aic(x), rel=1e-10)
    assert ours.bic(x) == pytest.approx(ref.bic(x), rel=1e-10)
    # Baum-Welch from the same start: prior added on the diagonal (hmmlearn: pass prior * I for tied)
    seqs = [2 * rng.normal(size=(n, 2)) + rng.integers(-3, 3) for n in (200, 120)]
    prior = 1e-2 if ctype == "spherical" else 1e-2 * np.eye(2)
    ref = hmmlearn_hmm.GaussianHMM(n_components=3, covariance_type=ctype, init_params="", n_iter=10,
                                   tol=-np.inf, covars_prior=prior)
    _copy_to([ref], params)
    ref.fit(np.concatenate(seqs), [len(s) for s in seqs])
    ours = GaussianHMM(n_states=3, covariance_type=ctype, n_iter=10, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.fit(np.concatenate(seqs), lengths=[len(s) for s in seqs], init_params=params)
    n = len(ours.log_likelihoods_)
    np.testing.assert_allclose(ours.log_likelihoods_, list(ref.monitor_.history)[:n], rtol=0, atol=1e-8)
    if n == 10:
        np.testing.assert_allclose(ours.means_, ref.means_, rtol=1e-8, atol=1e-10)
        # hmmlearn 0.3 stores spherical variances tiled to (K, D) after fit (its covars_ view is then wrong)
        theirs = ref._covars_ if ctype == "spherical" else ref.covars_
        mine = np.diagonal(ours.covars_, axis1=1, axis2=2) if ctype == "spherical" else ours.covars_
        np.testing.assert_allclose(mine, theirs, rtol=1e-8, atol=1e-10)


def test_poisson_matches_hmmlearn(rng):
    k, d = 3, 2
    params = {**_chain(rng, k), "lambdas_": rng.uniform(0.5, 12.0, size=(k, d))}
    ours, ref = PoissonHMM(n_states=k), hmmlearn_hmm.PoissonHMM(n_components=k)
    _copy_to([ours, ref], params)
    seqs = [ours.sample(n, random_state=i)[0] for i, n in enumerate((150, 90, 1))]
    X, lengths = np.concatenate(seqs), [len(s) for s in seqs]
    assert ours.log_likelihood(X, lengths) == pytest.approx(ref.score(X, lengths), rel=1e-10)
    assert ours.score(X, lengths) == pytest.approx(ref.score(X, lengths) / len(X), rel=1e-10)
    ll, post = ours.score_samples(X, lengths)
    ref_ll, ref_post = ref.score_samples(X, lengths)
    assert ll == pytest.approx(ref_ll, rel=1e-10)
    np.testing.assert_allclose(post, ref_post, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(X, lengths), ref.predict(X, lengths))
    assert ours.aic(X, lengths) == pytest.approx(ref.aic(X, lengths), rel=1e-10)
    assert ours.bic(X, lengths) == pytest.approx(ref.bic(X, lengths), rel=1e-10)
    ref = hmmlearn_hmm.PoissonHMM(n_components=k, init_params="", n_iter=15, tol=-np.inf)
    _copy_to([ref], params)
    ref.fit(X, lengths)
    fitted = PoissonHMM(n_states=k, n_iter=15, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted.fit(X, lengths, init_params=params)  # hmmlearn's positional lengths
    np.testing.assert_allclose(fitted.log_likelihoods_, ref.monitor_.history, rtol=0, atol=1e-8)
    np.testing.assert_allclose(fitted.lambdas_, ref.lambdas_, rtol=1e-8)
    np.testing.assert_allclose(fitted.transmat_, ref.transmat_, rtol=1e-8, atol=1e-12)


def _gmm_params(rng, ctype, k=2, m=2, d=2):  # type: ignore[no-untyped-def]
    params = {**_chain(rng, k), "weights_": rng.dirichlet(np.ones(m) * 2, size=k),
              "means_": 3 * rng.normal(size=(k, m, d))}
    if ctype == "spherical":
        params["covars_"] = rng.uniform(0.5, 2.0, size=(k, m))
    elif ctype == "diag":
        params["covars_"] = rng.uniform(0.5, 2.0, size=(k, m, d))
    elif ctype == "full":
        a = rng.normal(size=(k, m, d, d))
        params["covars_"] = a @ np.swapaxes(a, -1, -2) + np.eye(d)
    else:
        a = rng.normal(size=(k, d, d))
        params["covars_"] = a @ np.swapaxes(a, -1, -2) + np.eye(d)
    return params


@pytest.mark.parametrize("ctype", ["diag", "full", "spherical", "tied"])
def test_gmmhmm_matches_hmmlearn(rng, ctype):
    k, m, d = 2, 3, 2
    params = _gmm_params(rng, ctype, k, m, d)
    ours = GMMHMM(n_states=k, n_mix=m, covariance_type=ctype, covars_prior=0.05)
    _copy_to([ours], params)
    seqs = [ours.sample(n, random_state=i)[0] for i, n in enumerate((160, 70))]
    X, lengths = np.concatenate(seqs), [len(s) for s in seqs]
    ref = hmmlearn_hmm.GMMHMM(n_components=k, n_mix=m, covariance_type=ctype, init_params="", n_iter=1,
                              tol=-np.inf, **hmmlearn_priors(ctype, 0.05, k, m, d))
    _copy_to([ref], params)
    assert ours.log_likelihood(X, lengths) == pytest.approx(ref.score(X, lengths), rel=1e-10)
    np.testing.assert_allclose(ours.predict_proba(X, lengths), ref.predict_proba(X, lengths), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(X, lengths), ref.predict(X, lengths))
    # one Baum-Welch iteration from the same start, then the next log-likelihood
    ref.fit(X, lengths)
    fitted = GMMHMM(n_states=k, n_mix=m, covariance_type=ctype, covars_prior=0.05, n_iter=1, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted.fit(X, lengths=lengths, init_params=params)
    for name in ("startprob_", "transmat_", "weights_", "means_", "covars_"):
        np.testing.assert_allclose(getattr(fitted, name), getattr(ref, name), rtol=1e-8, atol=1e-10, err_msg=name)
    assert fitted.log_likelihoods_[0] == pytest.approx(ref.monitor_.history[0], abs=1e-8)
    assert fitted.log_likelihood(X, lengths) == pytest.approx(ref.score(X, lengths), abs=1e-8)
    assert fitted.log_likelihood(X, lengths) >= fitted.log_likelihoods_[0] - 1e-9, "EM step lowered the likelihood"


def test_gmmhmm_fit_save_load_sample(rng, tmp_path):
    truth = GMMHMM(n_states=2, n_mix=2)
    _copy_to([truth], {"startprob_": [0.5, 0.5], "transmat_": [[0.95, 0.05], [0.05, 0.95]],
                       "weights_": [[0.5, 0.5], [0.3, 0.7]], "means_": [[[-6.0], [-3.0]], [[3.0], [6.0]]],
                       "covars_": [[[0.5], [0.5]], [[0.5], [0.5]]]})
    x, _ = truth.sample(600, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GMMHMM(n_states=2, n_mix=2, n_init=2, random_state=0).fit([x])
    assert np.all(np.diff(model.log_likelihoods_) >= -1e-9)
    assert model.score([x]) >= truth.score([x]) - 0.02
    model.save(tmp_path / "gmm")
    back = io.load(tmp_path / "gmm")
    assert back.log_likelihood(x) == pytest.approx(model.log_likelihood(x), rel=1e-12)
    assert model.n_fit_params() == 1 + 2 + 2 * 1 + 2 * 2 * 1 + 2 * 2 * 1


def test_lengths_calling_convention_and_bad_lengths(rng):
    hmm = CategoricalHMM(n_states=2, n_symbols=3)
    _copy_to([hmm], {"startprob_": [0.6, 0.4], "transmat_": [[0.8, 0.2], [0.3, 0.7]],
                     "emissionprob_": [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]]})
    seqs = [rng.integers(0, 3, n) for n in (5, 9, 2)]
    X, lengths = np.concatenate(seqs)[:, None], [5, 9, 2]
    total = sum(hmm.log_likelihood(s) for s in seqs)
    assert hmm.log_likelihood(X, lengths) == pytest.approx(total, rel=1e-12)
    assert hmm.score(X, lengths) == pytest.approx(total / 16, rel=1e-12)
    assert hmm.score(seqs) == pytest.approx(total / 16, rel=1e-12)
    np.testing.assert_array_equal(hmm.predict(X, lengths), np.concatenate([hmm.predict(s) for s in seqs]))
    lp, path = hmm.decode(X, lengths)
    assert lp == pytest.approx(sum(hmm.decode(s)[0] for s in seqs))
    assert hmm.predict_proba(X, lengths).shape == (16, 2)
    assert hmm.n_fit_params() == 1 + 2 + 2 * 2
    assert hmm.bic(X, lengths) == pytest.approx(-2 * total + 7 * np.log(16))
    for bad, match in (([5, 9], "lengths sum to 14 but X has 16 rows"), ([5, 0, 11], "ints >= 1"),
                       ([5.5, 10.5], "ints >= 1")):
        with pytest.raises(DataError, match=match):
            hmm.score(X, lengths=bad) if "sum" not in match else hmm.log_likelihood(X, bad)
    with pytest.raises(DataError, match="lengths sum to 3 but sequences has 16 rows"):
        CategoricalHMM(n_states=2).fit(X, lengths=[1, 2])


def test_fit_supervised_counts_with_smoothing():
    seqs = [np.array([0, 0, 1, 2]), np.array([2, 1])]
    states = [np.array([0, 0, 1, 1]), np.array([1, 0])]
    hmm = CategoricalHMM(n_states=2, n_symbols=3).fit_supervised(seqs, states, pseudocount=1.0,
                                                                emission_pseudocount=0.5)
    np.testing.assert_allclose(hmm.startprob_, [(1 + 1) / 4, (1 + 1) / 4])
    # transitions: 0->0 once, 0->1 once, 1->1 once, 1->0 once; each row + 1 smoothing
    np.testing.assert_allclose(hmm.transmat_, [[2 / 4, 2 / 4], [2 / 4, 2 / 4]])
    # state 0 emits 0, 0, 1; state 1 emits 1, 2, 2; + 0.5 each
    np.testing.assert_allclose(hmm.emissionprob_, np.array([[2.5, 1.5, 0.5], [0.5, 1.5, 2.5]]) / 4.5)
    raw = CategoricalHMM(n_states=2, n_symbols=3).fit_supervised(np.concatenate(seqs), np.concatenate(states),
                                                                lengths=[4, 2], pseudocount=0.0)
    np.testing.assert_allclose(raw.emissionprob_, [[2 / 3, 1 / 3, 0], [0, 1 / 3, 2 / 3]])
    g = GaussianHMM(n_states=2, covariance_type="full", covars_prior=0.0).fit_supervised(
        [np.array([[0.0], [1.0], [5.0], [7.0]])], [np.array([0, 0, 1, 1])])
    np.testing.assert_allclose(g.means_.ravel(), [0.5, 6.0])
    np.testing.assert_allclose(g.covars_.ravel(), [0.25, 1.0])
    p = PoissonHMM(n_states=2).fit_supervised([np.array([1, 3, 10, 12])], [np.array([0, 0, 1, 1])])
    np.testing.assert_allclose(p.lambdas_.ravel(), [2.0, 11.0])
    with pytest.raises(DataError, match=r"states\[0\] has shape \(3,\) but sequence 0 has 4 steps"):
        hmm.fit_supervised(seqs[:1], [np.array([0, 1, 1])])
    with pytest.raises(DataError, match="outside 0..1"):
        hmm.fit_supervised(seqs[:1], [np.array([0, 1, 2, 1])])
    with pytest.raises(InvalidParameterError, match="pseudocount"):
        hmm.fit_supervised(seqs, states, pseudocount=-1)


def test_bad_covariances_are_typed_errors():
    tied = GaussianHMM(n_states=2, covariance_type="tied")
    _copy_to([tied], {"startprob_": [0.5, 0.5], "transmat_": [[0.5, 0.5], [0.5, 0.5]],
                      "means_": [[0.0, 0.0], [1.0, 1.0]], "covars_": [[1.0, 2.0], [2.0, 1.0]]})
    with pytest.raises(InvalidParameterError, match="not positive definite"):
        tied.log_likelihood(np.zeros((3, 2)))
    sph = GaussianHMM(n_states=2, covariance_type="spherical")
    _copy_to([sph], {"startprob_": [0.5, 0.5], "transmat_": [[0.5, 0.5], [0.5, 0.5]], "means_": [[0.0], [1.0]],
                     "covars_": [1.0, 0.0]})
    with pytest.raises(InvalidParameterError, match="state 1"):
        sph.log_likelihood(np.zeros(3))
    with pytest.raises(DataError, match="non-negative integer counts"):
        PoissonHMM(n_states=2).fit([np.array([1.0, 2.5])])


@pytest.mark.parametrize("ctype", ["spherical", "tied"])
def test_spherical_tied_fit_from_default_start_sample_and_save(ctype, tmp_path):
    truth = GaussianHMM(n_states=2, covariance_type=ctype)
    cov = [0.5, 0.5] if ctype == "spherical" else [[0.5, 0.1], [0.1, 0.4]]
    _copy_to([truth], {"startprob_": [0.5, 0.5], "transmat_": [[0.95, 0.05], [0.05, 0.95]],
                       "means_": [[-3.0, 0.0], [3.0, 1.0]], "covars_": cov})
    x, z = truth.sample(800, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianHMM(n_states=2, covariance_type=ctype, random_state=0).fit([x])
    assert model.score([x]) >= truth.score([x]) - 1e-3
    assert np.all(np.diff(model.log_likelihoods_) >= 0)
    assert model.covars_.shape == (2, 2, 2)
    if ctype == "tied":
        np.testing.assert_array_equal(model.covars_[0], model.covars_[1])
    else:
        assert model.covars_[0, 0, 0] == model.covars_[0, 1, 1] and model.covars_[0, 0, 1] == 0
    back = io.load(model.save(tmp_path / ctype))
    assert back.log_likelihood(x) == pytest.approx(model.log_likelihood(x), rel=1e-12)
    assert (model.predict(x) == z).mean() > 0.95 or (model.predict(x) != z).mean() > 0.95


def test_gmmhmm_fit_supervised_fits_each_state_mixture(rng):
    x = np.concatenate([rng.normal(-5, 0.3, 200), rng.normal(-1, 0.3, 200), rng.normal(4, 0.5, 400)])[:, None]
    states = np.repeat([0, 0, 1], [200, 200, 400])
    model = GMMHMM(n_states=2, n_mix=2, random_state=0).fit_supervised([x], [states])
    np.testing.assert_allclose(np.sort(model.means_[0].ravel()), [-5, -1], atol=0.1)
    np.testing.assert_allclose(model.weights_[0], [0.5, 0.5], atol=0.05)
    assert abs(model.means_[1].ravel() @ model.weights_[1] - 4) < 0.1
    np.testing.assert_allclose(model.transmat_, [[400 / 402, 2 / 402], [1 / 401, 400 / 401]])
