"""hmmlearn's numbers frozen in ``golden/hmmlearn.npz``: checked even where hmmlearn is absent."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from seqlab.hmm import CategoricalHMM, GaussianHMM

GOLDEN = np.load(Path(__file__).with_name("golden") / "hmmlearn.npz")


def test_categorical_matches_frozen_hmmlearn_outputs():
    g = GOLDEN
    hmm = CategoricalHMM(n_states=3, n_symbols=4)
    hmm.startprob_, hmm.transmat_, hmm.emissionprob_ = g["startprob"], g["transmat"], g["emissionprob"]
    assert hmm.log_likelihood(g["x"]) == pytest.approx(float(g["score"]), rel=1e-10)
    lp, path = hmm.decode(g["x"])
    assert lp == pytest.approx(float(g["viterbi_logprob"]), rel=1e-10)
    np.testing.assert_array_equal(path, g["viterbi_path"])
    np.testing.assert_allclose(hmm.predict_proba(g["x"]), g["posteriors"], rtol=1e-10, atol=1e-13)
    fit = CategoricalHMM(n_states=3, n_symbols=4, n_iter=10, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit.fit([g["seq0"], g["seq1"]], init_params={"startprob_": g["startprob"], "transmat_": g["transmat"],
                                                     "emissionprob_": g["emissionprob"]})
    np.testing.assert_allclose(fit.log_likelihoods_, g["trajectory"], rtol=0, atol=1e-8)


def test_gaussian_matches_frozen_hmmlearn_outputs():
    g = GOLDEN
    hmm = GaussianHMM(n_states=3)
    hmm.startprob_, hmm.transmat_, hmm.means_, hmm.covars_ = g["startprob"], g["transmat"], g["means"], g["covars"]
    assert hmm.log_likelihood(g["y"]) == pytest.approx(float(g["gscore"]), rel=1e-10)
    lp, path = hmm.decode(g["y"])
    assert lp == pytest.approx(float(g["gviterbi_logprob"]), rel=1e-10)
    np.testing.assert_array_equal(path, g["gviterbi_path"])
    np.testing.assert_allclose(hmm.predict_proba(g["y"]), g["gposteriors"], rtol=1e-10, atol=1e-13)
