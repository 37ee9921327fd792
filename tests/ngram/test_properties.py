"""Invariants: distributions sum to 1, the scoring paths agree, counting is chunk-independent."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqlab import io
from seqlab.ngram import (
    MLE,
    AbsoluteDiscount,
    Katz,
    KneserNey,
    Laplace,
    Lidstone,
    ModifiedKneserNey,
    NGramLM,
    StupidBackoff,
    WittenBell,
)
from seqlab.ngram import _kernels as K
from seqlab.protocols import LanguageModel

NORMALISED = [MLE(), Laplace(), Lidstone(alpha=0.3), AbsoluteDiscount(discount=0.6), KneserNey(discount=0.75),
              ModifiedKneserNey(), WittenBell(), Katz()]

tokens = st.sampled_from(list("abcdef"))
corpora = st.lists(st.lists(tokens, min_size=0, max_size=8), min_size=1, max_size=12).filter(
    lambda c: any(c))


def _fit(smoothing, order, corpus):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DegenerateFitWarning on tiny corpora is expected
        return NGramLM(order=order, smoothing=smoothing).fit(corpus)


@pytest.mark.parametrize("smoothing", NORMALISED, ids=lambda s: type(s).__name__)
@given(corpus=corpora, order=st.integers(1, 4), data=st.data())
def test_next_token_distribution_sums_to_one(smoothing, corpus, order, data):
    lm = _fit(smoothing, order, corpus)
    seen = data.draw(st.sampled_from([s for s in corpus if s]))
    cut = data.draw(st.integers(0, len(seen)))
    contexts = [
        ["<s>", *seen[:cut]],  # seen: a sentence prefix from the training data
        [*seen[:cut], "zzz"][-(order - 1):] if order > 1 else [],  # partly seen: ends in an unknown token
        data.draw(st.lists(tokens | st.just("zzz"), max_size=4)),  # anything, often unseen
        ["zzz", "yyy"],  # unseen
    ]
    for ctx in contexts:
        lp = lm.next_log_probs(ctx)
        assert lp.shape == (len(lm.vocabulary_),)
        assert lp[0] == -np.inf and lp[2] == -np.inf  # <pad>, <s> are never predicted
        assert np.exp(lp).sum() == pytest.approx(1.0, abs=1e-9)
        assert lp[1] > -np.inf or isinstance(smoothing, MLE)  # <unk> is reachable


def test_stupid_backoff_is_documented_as_unnormalised():
    lm = _fit(StupidBackoff(), 3, [list("abcab"), list("bca")])
    assert not StupidBackoff.normalised
    assert np.exp(lm.next_log_probs(["a", "b"])).sum() != pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("smoothing", [*NORMALISED, StupidBackoff()], ids=lambda s: type(s).__name__)
def test_corpus_scoring_agrees_with_next_token_distributions(smoothing):
    corpus = [list("abcabd"), list("bcad"), list("dd"), list("abca"), list("cab")]
    lm = _fit(smoothing, 3, corpus)
    test = [list("abd"), list("zab"), list("c"), []]
    log_probs, is_oov = lm.token_log_probs(test)
    expected, oov = [], []
    for sent in test:
        for i, tok in enumerate([*sent, "</s>"]):
            expected.append(lm.log_prob(tok, ["<s>", *sent[:i]]))
            oov.append(tok not in lm.vocabulary_)
    expected = np.asarray(expected)
    assert np.array_equal(np.isneginf(log_probs), np.isneginf(expected))  # MLE: the same zeros
    finite = np.isfinite(expected)
    assert np.allclose(log_probs[finite], expected[finite], rtol=0, atol=1e-12)
    assert is_oov.tolist() == oov
    assert lm.score(test[0]) == pytest.approx(sum(log_probs[:4]), abs=1e-12)


def test_begin_advance_states_are_immutable_values():
    lm = _fit(ModifiedKneserNey(), 3, [list("abcabd"), list("bcad"), list("abca")])
    assert isinstance(lm, LanguageModel)
    lp0, s0 = lm.begin(["a"])
    assert np.allclose(lp0, lm.next_log_probs(["<s>", "a"]))
    b = lm.vocabulary_["b"]
    lp1, s1 = lm.advance(s0, b)
    lp2, s2 = lm.advance(s0, lm.vocabulary_["c"])  # branching from the same state
    assert s0 == lm.begin(["a"])[1] and s1 != s2
    assert np.allclose(lp1, lm.next_log_probs(["<s>", "a", "b"]))
    lp3, _ = lm.advance(s1, lm.vocabulary_["c"])
    assert np.allclose(lp3, lm.next_log_probs(["a", "b", "c"]))


def test_counting_is_independent_of_chunk_size(rng):
    ids = [rng.integers(4, 12, size=rng.integers(0, 9)).tolist() for _ in range(200)]
    raw = K.read_corpus([[str(t) for t in s] for s in ids])
    flat, pos = K.with_boundaries(raw.ids + 4, raw.lengths)
    V = int(flat.max()) + 1
    big = K.count_ngrams(flat, pos, 4, V)
    small = K.count_ngrams(flat, pos, 4, V, chunk=7)
    for a, b in zip(big.keys + big.counts + big.suffix, small.keys + small.counts + small.suffix):
        assert np.array_equal(a, b)
    # brute force: every 3-gram inside a sentence
    from collections import Counter

    brute: Counter[tuple[int, ...]] = Counter()
    for s in ids:
        padded = [2] + [raw.tokens.index(str(t)) + 4 for t in s] + [3]  # provisional ids, shifted past specials
        brute.update(tuple(padded[i:i + 3]) for i in range(len(padded) - 2))
    mats = K.ngram_ids(big.keys, V)
    ours = {tuple(row): int(c) for row, c in zip(mats[2].tolist(), big.counts[2].tolist())}
    assert ours == dict(brute)


def test_save_load_round_trip(tmp_path):
    lm = _fit(WittenBell(), 4, [list("abcabd"), list("bcad"), list("abca")])
    lm.save(tmp_path / "m")
    back = io.load(tmp_path / "m")
    assert isinstance(back, NGramLM) and back.get_params() == lm.get_params()
    assert back.vocabulary_ == lm.vocabulary_
    test = [list("abd"), list("zzab")]
    assert np.array_equal(back.token_log_probs(test)[0], lm.token_log_probs(test)[0])


def test_generate_is_seeded_and_stops_at_end_of_sentence():
    lm = _fit(ModifiedKneserNey(), 2, [list("abc"), list("abd"), list("bcd")] * 3)
    a = lm.generate(["a"], max_tokens=30, seed=3)
    assert a == lm.generate(["a"], max_tokens=30, seed=3)
    assert "</s>" not in a and len(a) <= 30
    assert lm.generate(["a"], max_tokens=5, greedy=True) == lm.generate(["a"], max_tokens=5, greedy=True)
    assert lm.generate([], max_tokens=0, seed=1) == []


def test_min_count_maps_rare_tokens_to_unk():
    lm = NGramLM(order=2, min_count=2).fit([list("aab"), list("ac")])
    assert "b" not in lm.vocabulary_ and "a" in lm.vocabulary_
    _, is_oov = lm.token_log_probs([list("ab")])
    assert is_oov.tolist() == [False, True, False]


def test_high_orders_fit_and_score():
    corpus = [list("abcdefghij") * 2, list("jihgfedcba")]
    lm = NGramLM(order=10, smoothing=WittenBell()).fit(corpus)
    assert len(lm.ngram_counts_) == 10
    assert np.exp(lm.next_log_probs(list("abcdefghi"))).sum() == pytest.approx(1.0, abs=1e-9)
