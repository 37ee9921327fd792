"""CategoricalHMM / GaussianHMM behaviour: fitting, restarts, warnings, save/load, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from seqlab import io
from seqlab.exceptions import ConvergenceWarning, DataError, InvalidParameterError, NotFittedError
from seqlab.hmm import CategoricalHMM, GaussianHMM


def planted_categorical() -> CategoricalHMM:
    hmm = CategoricalHMM(n_states=2, n_symbols=4)
    hmm.startprob_ = np.array([0.5, 0.5])
    hmm.transmat_ = np.array([[0.95, 0.05], [0.05, 0.95]])
    hmm.emissionprob_ = np.array([[0.7, 0.2, 0.05, 0.05], [0.05, 0.05, 0.2, 0.7]])
    return hmm


def test_fit_recovers_planted_model_and_records_the_run():
    truth = planted_categorical()
    seqs = [truth.sample(500, random_state=s)[0] for s in range(6)]
    model = CategoricalHMM(n_states=2, n_symbols=4, n_init=3, random_state=0).fit(seqs)
    assert model.score(seqs) >= truth.score(seqs) - 1e-6, "fit is worse than the planted model"
    order = np.argsort(model.emissionprob_[:, 0])[::-1]
    np.testing.assert_allclose(model.emissionprob_[order], truth.emissionprob_, atol=0.05)
    ll = model.log_likelihoods_
    assert len(ll) == model.n_iter_ >= 2
    assert np.all(np.diff(ll) >= 0), "log_likelihoods_ decreased"
    assert model.converged_ and model.best_init_ in range(3)
    assert model.init_log_likelihoods_.shape == (3,)
    assert model.init_log_likelihoods_[model.best_init_] == model.init_log_likelihoods_.max()


def test_same_seed_same_model_and_fit_forgets_previous_fit():
    seqs = [planted_categorical().sample(300, random_state=1)[0]]
    a = CategoricalHMM(n_states=2, n_init=2, random_state=5).fit(seqs)
    b = CategoricalHMM(n_states=2, n_init=2, random_state=5).fit(seqs)
    np.testing.assert_array_equal(a.emissionprob_, b.emissionprob_)
    a.fit(seqs)
    np.testing.assert_array_equal(a.transmat_, b.transmat_)


def test_gaussian_log_likelihoods_never_decrease_and_warn_at_n_iter(rng):
    x = np.concatenate([rng.normal(-2, 1, 300), rng.normal(2, 0.5, 300)])
    with pytest.warns(ConvergenceWarning, match="n_iter=3"):
        model = GaussianHMM(n_states=2, n_iter=3, tol=0.0, random_state=0).fit([x])
    assert model.n_iter_ == 3 and not model.converged_
    full = GaussianHMM(n_states=2, covariance_type="full", random_state=0).fit([x[:, None]])
    assert np.all(np.diff(full.log_likelihoods_) >= 0)
    assert full.covars_.shape == (2, 1, 1) and model.covars_.shape == (2, 1, 1)
    assert sorted(full.means_.ravel().round(0).tolist()) == [-2.0, 2.0]


def test_identical_points_keep_a_positive_covariance():
    # two states on constant data: the covariance prior keeps every variance positive
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = GaussianHMM(n_states=2, random_state=0, n_iter=20).fit([np.ones(50)])
    assert np.all(np.linalg.eigvalsh(model.covars_) > 0)
    assert np.isfinite(model.score([np.ones(50)]))


@pytest.mark.parametrize("cls,data", [(CategoricalHMM, [np.array([0, 1, 2, 1, 0])]),
                                      (GaussianHMM, [np.array([[0.1, 1.0], [0.3, 0.9], [2.0, -1.0]])])])
def test_save_load_round_trip(tmp_path, cls, data):
    model = cls(n_states=2, n_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(data)
    io.save(model, tmp_path / "m")
    loaded = io.load(tmp_path / "m")
    assert type(loaded) is cls and loaded.get_params() == model.get_params()
    assert loaded.score(data) == model.score(data)
    np.testing.assert_array_equal(loaded.log_likelihoods_, model.log_likelihoods_)
    assert loaded.best_init_ == model.best_init_


def test_hand_set_parameters_are_saved_without_fitting(tmp_path):
    hmm = planted_categorical()
    io.save(hmm, tmp_path / "m")
    assert io.load(tmp_path / "m").log_likelihood([0, 3]) == hmm.log_likelihood([0, 3])


# ---------------------------------------------------------------------- bad input
def test_symbols_outside_the_alphabet():
    hmm = planted_categorical()
    with pytest.raises(DataError, match=r"symbol 4 at step 2, outside 0\.\.3"):
        hmm.score([[0, 1, 4]])
    with pytest.raises(DataError, match="symbol -1"):
        hmm.log_likelihood([-1, 0])
    with pytest.raises(DataError, match="symbol 9"):
        CategoricalHMM(n_states=2, n_symbols=3).fit([[0, 1, 9]])
    with pytest.raises(DataError, match="integer symbol ids"):
        hmm.predict([0.5, 1.0])


def test_length_zero_sequences():
    with pytest.raises(DataError, match=r"sequences\[1\] has length 0"):
        CategoricalHMM(n_states=2).fit([[0, 1], []])
    with pytest.raises(DataError, match="has length 0"):
        planted_categorical().decode([])
    with pytest.raises(DataError, match="is empty"):
        GaussianHMM(n_states=2).fit([])


@pytest.mark.parametrize("name,value,match", [
    ("transmat_", [[0.9, 0.2], [0.5, 0.5]], r"transmat_ \(shape \(2, 2\)\) must sum to 1 along its last axis; row 0"),
    ("transmat_", [[1.1, -0.1], [0.5, 0.5]], r"transmat_ \(shape \(2, 2\)\) must hold finite non-negative"),
    ("startprob_", [0.2, 0.2], r"startprob_ \(shape \(2,\)\) must sum to 1"),
    ("emissionprob_", [[0.5, 0.5], [0.5, 0.5]], r"emissionprob_ must have shape \(2, 4\), got shape \(2, 2\)"),
])
def test_bad_fixed_probability_matrices(name, value, match):
    hmm = planted_categorical()
    setattr(hmm, name, np.array(value))
    with pytest.raises(InvalidParameterError, match=match):
        hmm.score([[0, 1]])


def test_singular_and_misshaped_covariances():
    hmm = GaussianHMM(n_states=2, covariance_type="full")
    hmm.startprob_, hmm.transmat_ = np.array([0.5, 0.5]), np.eye(2)
    hmm.means_ = np.zeros((2, 2))
    hmm.covars_ = np.array([np.eye(2), [[1.0, 1.0], [1.0, 1.0]]])
    with pytest.raises(InvalidParameterError, match=r"covars_\[1\] .* not positive definite"):
        hmm.log_likelihood(np.zeros((3, 2)))
    diag = GaussianHMM(n_states=2)
    diag.startprob_, diag.transmat_, diag.means_ = np.array([0.5, 0.5]), np.eye(2), np.zeros((2, 1))
    diag.covars_ = np.array([[1.0], [0.0]])
    with pytest.raises(InvalidParameterError, match="state 1 .* singular"):
        diag.log_likelihood(np.zeros(3))
    diag.covars_ = np.ones((3, 1))
    with pytest.raises(InvalidParameterError, match=r"covars_ must have shape \(2, 1\)"):
        diag.log_likelihood(np.zeros(3))
    diag.covars_ = np.ones((2, 1))
    with pytest.raises(DataError, match="has 2 features per step but the model has 1"):
        diag.log_likelihood(np.zeros((3, 2)))


def test_unfitted_and_bad_hyperparameters():
    with pytest.raises(NotFittedError, match="not fitted"):
        CategoricalHMM().score([[0]])
    partial = CategoricalHMM(n_states=2)
    partial.startprob_ = np.array([0.5, 0.5])
    with pytest.raises(NotFittedError, match="missing transmat_, emissionprob_"):
        partial.predict([0])
    with pytest.raises(InvalidParameterError, match="'n_states' parameter"):
        CategoricalHMM(n_states=0).fit([[0, 1]])
    with pytest.raises(InvalidParameterError, match="'covariance_type'"):
        GaussianHMM(covariance_type="bogus").fit([np.zeros(3)])
    with pytest.raises(InvalidParameterError, match="algorithm"):
        planted_categorical().decode([0], algorithm="beam")


def test_alphabet_inferred_and_bad_starting_parameters():
    model = CategoricalHMM(n_states=2, n_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit([[0, 4, 4, 1]])
    assert model.emissionprob_.shape == (2, 5), "n_symbols=None takes max(symbol) + 1"
    bad = {"startprob_": [0.5, 0.5], "transmat_": [[0.5, 0.5], [0.5, 0.5]], "emissionprob_": [[0.5, 0.6], [0.5, 0.5]]}
    with pytest.raises(InvalidParameterError, match="emissionprob_ .* row 0 sums to 1.1"):
        CategoricalHMM(n_states=2, n_symbols=2).fit([[0, 1]], init_params=bad)
