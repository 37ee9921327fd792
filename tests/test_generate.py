"""Decoding over the LanguageModel protocol, checked by exact enumeration on a toy bigram model."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqlab.data.vocab import BOS_ID, EOS_ID, PAD_ID, Vocabulary
from seqlab.exceptions import InvalidParameterError
from seqlab.generate import SamplingConfig, beam_search, choose, filter_log_probs, generate, sample_ids


class ToyBigram:
    """A fixed bigram LM: row ``i`` of ``table`` is p(. | previous id i); state = previous id."""

    def __init__(self, table: np.ndarray, vocabulary: Vocabulary) -> None:
        self.table, self.vocabulary_ = table, vocabulary
        self.advanced = 0

    def begin(self, context: list[str]) -> tuple[np.ndarray, Any]:
        prev = BOS_ID
        for tok in context:
            prev = self.vocabulary_[tok]
        return self.table[prev], prev

    def advance(self, state: Any, token_id: int) -> tuple[np.ndarray, Any]:
        self.advanced += 1
        return self.table[token_id], token_id


def toy_model(rng: np.random.Generator, n_words: int = 3) -> ToyBigram:
    vocab = Vocabulary([f"w{i}" for i in range(n_words)])
    v = len(vocab)
    probs = rng.dirichlet(np.ones(v - 2), size=v)  # over </s>(3) and the words; never <pad> or <s>
    table = np.full((v, v), -np.inf)
    table[:, [1] + list(range(3, v))] = np.log(probs)  # <unk>, </s> and the words; never <pad> or <s>
    return ToyBigram(table, vocab)


def sequence_log_prob(lm: ToyBigram, ids: list[int]) -> float:
    prev, total = BOS_ID, 0.0
    for i in ids:
        total += lm.table[prev, i]
        prev = i
    return total


@given(logits=st.lists(st.floats(-20, 5), min_size=2, max_size=30), temperature=st.floats(0.1, 5.0),
       top_k=st.none() | st.integers(1, 40), top_p=st.none() | st.floats(0.01, 1.0))
def test_filtered_distribution_sums_to_one(logits, temperature, top_k, top_p):
    cfg = SamplingConfig(temperature=temperature, top_k=top_k, top_p=top_p)
    lp = filter_log_probs(np.array(logits), cfg)
    assert np.exp(lp).sum() == pytest.approx(1.0, abs=1e-9), "filtered distribution must be normalised"
    kept = np.isfinite(lp).sum()
    assert kept >= 1, "at least one token survives filtering"
    if top_k is not None:
        assert kept <= max(top_k, 1) or len(set(np.array(logits) / temperature)) < len(logits), "top-k keeps <= k"


def test_top_p_keeps_smallest_nucleus():
    lp = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    kept = np.isfinite(filter_log_probs(lp, SamplingConfig(top_p=0.75)))
    assert kept.tolist() == [True, True, False, False], "0.5 + 0.3 >= 0.75: the first two tokens form the nucleus"
    kept = np.isfinite(filter_log_probs(lp, SamplingConfig(top_p=0.8)))
    assert kept.tolist() == [True, True, False, False], "mass 0.8 is reached exactly by two tokens"


def test_top_k_one_equals_greedy(rng):
    lm = toy_model(rng, 5)
    for seed in range(5):
        a = sample_ids(lm, [], SamplingConfig(top_k=1, max_new_tokens=20), seed=seed)
        b = sample_ids(lm, [], SamplingConfig(greedy=True, max_new_tokens=20), seed=seed + 100)
        assert a == b, "top_k=1 must pick the argmax at every step"


def test_sampling_frequencies_match_the_distribution(rng):
    lp = np.log(np.array([0.0, 0.1, 0.0, 0.2, 0.3, 0.4]) + 1e-300)
    draws = np.bincount([choose(lp, SamplingConfig(), rng) for _ in range(20000)], minlength=6) / 20000
    # 4 standard errors of a proportion near 0.4 with n=20000 is about 0.014
    assert np.allclose(draws, np.exp(lp), atol=0.015), f"empirical {draws} vs {np.exp(lp)}"
    assert draws[PAD_ID] == 0 and draws[BOS_ID] == 0, "zero-probability ids are never drawn"


def test_generation_stops_at_eos_and_respects_seed(rng):
    lm = toy_model(rng)
    a = generate(lm, [], max_tokens=200, seed=3)
    b = generate(lm, [], max_tokens=200, seed=3)
    assert a == b, "same seed, same sample"
    assert "</s>" not in a and len(a) < 200, "a toy chain with EOS mass stops well before 200 tokens"


def test_beam_search_finds_the_exact_best_sequence(rng):
    lm = toy_model(rng, 3)
    v = len(lm.vocabulary_)
    words = [1] + list(range(4, v))
    best, best_lp = None, -np.inf
    for n in range(0, 4):  # enumerate every finished sequence of up to 3 tokens
        for ids in itertools.product(words, repeat=n):
            lp = sequence_log_prob(lm, list(ids) + [EOS_ID])
            if lp > best_lp:
                best, best_lp = list(ids), lp
    hyps = beam_search(lm, [], beam_size=v * v * v, max_new_tokens=3, length_penalty=0.0)
    finished = [h for h in hyps if h.finished]
    assert finished[0].log_prob == pytest.approx(best_lp, abs=1e-12), "a wide enough beam is exhaustive"
    assert finished[0].tokens == lm.vocabulary_.decode(best)


@pytest.mark.parametrize("kwargs", [dict(greedy=True, top_k=5), dict(temperature=0), dict(top_p=0),
                                    dict(top_k=0), dict(max_new_tokens=-1), dict(greedy=True, temperature=0.5)])
def test_contradictory_or_bad_settings_raise(kwargs):
    with pytest.raises(InvalidParameterError):
        SamplingConfig(**kwargs)
