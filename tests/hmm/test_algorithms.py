"""Invariants of the compiled HMM kernels: brute-force enumeration, Viterbi optimality, long sequences."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqlab.hmm import CategoricalHMM, GaussianHMM
from seqlab.hmm import _algorithms as alg


def random_model(rng: np.random.Generator, n_states: int, n_symbols: int) -> tuple[np.ndarray, ...]:
    start = rng.dirichlet(np.ones(n_states))
    trans = rng.dirichlet(np.ones(n_states), size=n_states)
    emit = rng.dirichlet(np.ones(n_symbols), size=n_states)
    return start, trans, emit


def path_log_probs(start, trans, emit, x):  # type: ignore[no-untyped-def]
    """log p(x, z) for every state path z (brute force)."""
    n_states = len(start)
    out = {}
    for path in itertools.product(range(n_states), repeat=len(x)):
        lp = np.log(start[path[0]]) + np.log(emit[path[0], x[0]])
        for t in range(1, len(x)):
            lp += np.log(trans[path[t - 1], path[t]]) + np.log(emit[path[t], x[t]])
        out[path] = lp
    return out


tiny = st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 6), st.integers(0, 2**32 - 1))


@given(tiny)
def test_forward_equals_brute_force_enumeration(case):  # type: ignore[no-untyped-def]
    n_states, n_symbols, n_steps, seed = case
    rng = np.random.default_rng(seed)
    start, trans, emit = random_model(rng, n_states, n_symbols)
    x = rng.integers(0, n_symbols, n_steps)
    brute = np.logaddexp.reduce(list(path_log_probs(start, trans, emit, x).values()))
    log_emit = np.log(emit).T[x]
    ours = alg.forward_log_likelihood(start, trans, log_emit, np.array([0, n_steps]))[0]
    assert ours == pytest.approx(brute, rel=1e-12, abs=1e-12), "forward disagrees with enumeration"


@given(tiny)
def test_viterbi_beats_every_enumerated_path_and_posteriors_match(case):  # type: ignore[no-untyped-def]
    n_states, n_symbols, n_steps, seed = case
    rng = np.random.default_rng(seed)
    start, trans, emit = random_model(rng, n_states, n_symbols)
    x = rng.integers(0, n_symbols, n_steps)
    paths = path_log_probs(start, trans, emit, x)
    best, path = alg.viterbi(np.log(start), np.log(trans), np.log(emit).T[x])
    assert best >= max(paths.values()) - 1e-12, "a path scores above the Viterbi path"
    assert best == pytest.approx(paths[tuple(path.tolist())], rel=1e-12, abs=1e-12), "Viterbi score is not its path's"
    # posteriors by enumeration: P(z_t = k | x) = sum of path probs with z_t = k / total
    total = np.logaddexp.reduce(list(paths.values()))
    expected = np.zeros((n_steps, n_states))
    for p, lp in paths.items():
        expected[np.arange(n_steps), list(p)] += np.exp(lp - total)
    _, gamma = alg.posteriors(start, trans, np.log(emit).T[x])
    np.testing.assert_allclose(gamma, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gamma.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_hand_worked_two_step_likelihood():
    # start (0.6, 0.4); trans [[0.7, 0.3], [0.4, 0.6]]; emit of symbol 0: (0.5, 0.1), symbol 1: (0.5, 0.9)
    # alpha_1 = (0.6*0.5, 0.4*0.1) = (0.30, 0.04)
    # alpha_2(0) = (0.30*0.7 + 0.04*0.4) * 0.5 = 0.226 * 0.5 = 0.113
    # alpha_2(1) = (0.30*0.3 + 0.04*0.6) * 0.9 = 0.114 * 0.9 = 0.1026
    # p(x = [0, 1]) = 0.2156
    hmm = CategoricalHMM(n_states=2, n_symbols=2)
    hmm.startprob_ = np.array([0.6, 0.4])
    hmm.transmat_ = np.array([[0.7, 0.3], [0.4, 0.6]])
    hmm.emissionprob_ = np.array([[0.5, 0.5], [0.1, 0.9]])
    assert hmm.log_likelihood([0, 1]) == pytest.approx(np.log(0.2156), rel=1e-12)
    assert hmm.score([[0, 1]]) == pytest.approx(np.log(0.2156) / 2, rel=1e-12)


def test_100k_steps_neither_underflow_nor_overflow(rng):
    hmm = GaussianHMM(n_states=3)
    hmm.startprob_ = np.full(3, 1 / 3)
    hmm.transmat_ = np.full((3, 3), 0.05) + 0.85 * np.eye(3)
    hmm.means_ = np.array([[-50.0], [0.0], [50.0]])
    hmm.covars_ = np.array([[1e-2], [1.0], [100.0]])
    x, states = hmm.sample(100_000, random_state=rng)
    ll = hmm.log_likelihood(x)
    assert np.isfinite(ll), f"log-likelihood is {ll}"
    gamma = hmm.predict_proba(x)
    assert np.all(np.isfinite(gamma)), "posteriors hold NaN or inf"
    np.testing.assert_allclose(gamma.sum(axis=1), 1.0, rtol=0, atol=1e-10)
    assert (hmm.predict(x) == states).mean() > 0.99, "well separated states must be decoded"
    # the likelihood per step is an average of per-step densities: far from 0 and from exp(-700)
    assert -20 < ll / len(x) < 5, f"mean log-likelihood per step {ll / len(x)} is implausible"


def test_sample_follows_the_chain(rng):
    hmm = CategoricalHMM(n_states=2, n_symbols=3)
    hmm.startprob_ = np.array([1.0, 0.0])
    hmm.transmat_ = np.array([[0.9, 0.1], [0.2, 0.8]])
    hmm.emissionprob_ = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    x, z = hmm.sample(100_000, random_state=1)
    assert z[0] == 0, "startprob_ puts all mass on state 0"
    # stationary distribution of the chain: (2/3, 1/3); 100k correlated draws: sd of the mean ~ 0.005
    assert abs((z == 0).mean() - 2 / 3) < 0.02, "state frequencies do not match the stationary distribution"
    assert abs((x[z == 1] == 2).mean() - 0.8) < 0.01, "emissions do not follow emissionprob_"
    x2, z2 = hmm.sample(100_000, random_state=1)
    assert np.array_equal(x, x2) and np.array_equal(z, z2), "same seed must give the same sample"
