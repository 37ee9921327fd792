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
    assert lm.sentence_log_prob(test[0]) == pytest.approx(sum(log_probs[:4]), abs=1e-12)


@pytest.mark.parametrize(("smoothing", "order"), [(ModifiedKneserNey(), 3), (WittenBell(), 2), (Laplace(), 1)],
                         ids=["mkn3", "wb2", "laplace1"])
def test_scoring_encoded_ids_equals_scoring_tokens(smoothing, order):
    corpus = [list("abcabd"), list("bcad"), list("dd"), list("abca"), list("cab")]
    lm = _fit(smoothing, order, corpus)
    test = [list("abd"), list("zab"), [], list("c"), list("qaxd")]  # z, q, x are OOV; one empty sentence
    stoi = lm.vocabulary_.stoi
    ids = np.asarray([stoi.get(t, 1) for s in test for t in s], dtype=np.int64)  # 1 = <unk>
    lengths = np.asarray([len(s) for s in test])
    log_probs, is_oov = lm.token_log_probs_ids(ids, lengths)
    expected, expected_oov = lm.token_log_probs(test)
    assert log_probs.shape == (ids.size + len(test),) and is_oov.dtype == bool
    assert np.array_equal(log_probs, expected)
    assert np.array_equal(is_oov, expected_oov)
    assert is_oov.tolist() == [t not in stoi for s in test for t in [*s, "</s>"]]
    # an independent path: the per-position distributions of next_log_probs
    per_token = [lm.log_prob(t, ["<s>", *s[:i]]) for s in test for i, t in enumerate([*s, "</s>"])]
    assert np.allclose(log_probs, per_token, rtol=0, atol=1e-12)
    # plain lists are accepted; an empty corpus scores nothing
    assert np.array_equal(lm.token_log_probs_ids(ids.tolist(), lengths.tolist())[0], expected)
    empty_lp, empty_oov = lm.token_log_probs_ids([], [])
    assert empty_lp.shape == (0,) and empty_oov.shape == (0,)


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
    for a, b in zip(big.keys + big.counts + big.suffix, small.keys + small.counts + small.suffix, strict=False):
        assert np.array_equal(a, b)
    # brute force: every 3-gram inside a sentence
    from collections import Counter

    brute: Counter[tuple[int, ...]] = Counter()
    for s in ids:
        padded = [2] + [raw.tokens.index(str(t)) + 4 for t in s] + [3]  # provisional ids, shifted past specials
        brute.update(tuple(padded[i:i + 3]) for i in range(len(padded) - 2))
    mats = K.ngram_ids(big.keys, V)
    ours = {tuple(row): int(c) for row, c in zip(mats[2].tolist(), big.counts[2].tolist(), strict=False)}
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


@pytest.mark.filterwarnings("ignore::seqlab.exceptions.DegenerateFitWarning")
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


def test_beam_search_scores_are_chain_rule_totals():
    from seqlab.generate import beam_search

    corpus = [list("abcabd"), list("bcad"), list("abca"), list("cab"), list("dab")] * 2
    lm = _fit(ModifiedKneserNey(), 3, corpus)
    hyps = beam_search(lm, ["a"], beam_size=3, max_new_tokens=6, length_penalty=0.0)
    assert hyps
    for h in hyps:
        scores = lm.full_scores(["a", *h.tokens], eos=h.finished)
        assert h.log_prob == pytest.approx(sum(p for p, _, _ in scores[1:]), abs=1e-9)


def test_fit_reads_a_one_shot_iterator_like_a_list():
    corpus = [list("abcabd"), list("bcad"), [], list("abca")]
    a = NGramLM(order=3, smoothing=WittenBell()).fit(corpus)
    b = NGramLM(order=3, smoothing=WittenBell()).fit(s for s in corpus)
    assert a.vocabulary_ == b.vocabulary_
    assert all(np.array_equal(x, y) for x, y in zip(a.log_probs_, b.log_probs_, strict=True))


def test_full_scores_without_sentence_boundaries():
    lm = _fit(KneserNey(), 2, [list("abcabd"), list("bcad")])
    with_bos = lm.full_scores(list("ab"))
    no_bos = lm.full_scores(list("ab"), bos=False, eos=False)
    assert len(with_bos) == 3 and len(no_bos) == 2
    assert no_bos[0][0] == pytest.approx(lm.ngram_log_prob("a"), abs=1e-12)  # no <s>: the unigram level
    assert no_bos[1][0] == pytest.approx(with_bos[1][0], abs=1e-12)  # p(b | a) either way


def test_modified_kn_falls_back_with_a_warning_on_tiny_corpora():
    from seqlab.exceptions import DegenerateFitWarning

    with pytest.warns(DegenerateFitWarning) as caught:
        lm = NGramLM(order=2).fit([list("ab"), list("ab")])  # every bigram seen twice: t1 = 0
    assert any("order 2" in str(w.message) for w in caught)
    assert lm.discounts_[1] == (0.5, 1.0, 1.5)  # KenLM's --discount_fallback values
    assert np.exp(lm.next_log_probs(["a"])).sum() == pytest.approx(1.0, abs=1e-12)
    custom = ModifiedKneserNey(fallback=(0.4, 0.8, 1.2))
    with pytest.warns(DegenerateFitWarning):
        assert NGramLM(order=2, smoothing=custom).fit([list("ab")] * 2).discounts_[1] == (0.4, 0.8, 1.2)
    with pytest.raises(ValueError):
        ModifiedKneserNey(fallback=(0.5, 3.0, 1.5))  # D2 must lie in [0, 2]


@given(corpus=st.lists(st.lists(tokens, min_size=0, max_size=8), min_size=0, max_size=12),
       chunk=st.integers(1, 9))
def test_read_corpus_list_path_equals_the_streamed_one(corpus, chunk):
    """A list of lists is mapped in one C pass; a generator (or a list of tuples) by the chunked loop: same ids."""
    fast = K.read_corpus(corpus)
    for slow in (K.read_corpus((s for s in corpus), chunk_tokens=chunk), K.read_corpus([tuple(s) for s in corpus])):
        assert np.array_equal(fast.ids, slow.ids) and np.array_equal(fast.lengths, slow.lengths)
        assert fast.tokens == slow.tokens and fast.ids.dtype == fast.lengths.dtype == np.int64


def test_read_corpus_refuses_a_str_inside_a_list():
    from seqlab.exceptions import DataError

    with pytest.raises(DataError, match="got a str"):
        K.read_corpus([["a", "b"], "c d"])


@given(counts=st.dictionaries(st.sampled_from(["<unk>", "<s>", "</s>", "<pad>", "a", "B", "b", "é", "ab", "a b", "z",
                                                "\u00e9", "e\u0301", "10", "9", ""]),
                              st.integers(0, 6), max_size=16),
       min_count=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_vocabulary_from_frequencies_equals_the_counter_path(counts, min_count, seed):
    """The vectorised build gives the vocabulary (ids, order, counts) and the remap of the
    one-by-one build, whatever the order of the tokens."""
    from seqlab.ngram.model import vocabulary_from_frequencies

    tokens = list(counts)
    np.random.default_rng(seed).shuffle(tokens)
    freq = np.asarray([counts[t] for t in tokens], dtype=np.int64)
    vocab, remap = vocabulary_from_frequencies(tokens, freq, min_count)
    ref_vocab, ref_remap = _vocabulary_one_by_one(tokens, freq, min_count)
    assert vocab.itos == ref_vocab.itos and vocab.counts == ref_vocab.counts
    assert np.array_equal(remap, ref_remap) and remap.dtype == np.int64
    unsigned, _ = vocabulary_from_frequencies(tokens, freq.astype(np.uint32), min_count)
    assert unsigned.itos == vocab.itos and unsigned.counts == vocab.counts


def _vocabulary_one_by_one(tokens, freq, min_count):
    """The reference: a counter without the specials, ``Vocabulary.from_counter``, one lookup per token."""
    from seqlab.data.vocab import SPECIALS, UNK_ID, Vocabulary

    counter = {t: int(c) for t, c in zip(tokens, freq, strict=True) if t not in SPECIALS}
    vocab = Vocabulary.from_counter(counter, min_count=min_count)
    remap = np.array([vocab.stoi.get(t, UNK_ID) if t not in SPECIALS else UNK_ID for t in tokens], dtype=np.int64)
    return vocab, remap


def test_vocabulary_from_frequencies_refuses_repeated_tokens():
    from seqlab.exceptions import InvalidParameterError
    from seqlab.ngram.model import vocabulary_from_frequencies

    with pytest.raises(InvalidParameterError, match="distinct tokens"):
        vocabulary_from_frequencies(["a", "b", "a"], np.array([1, 2, 3]), 1)
    with pytest.raises(InvalidParameterError, match="distinct tokens"):
        vocabulary_from_frequencies(["a", "b"], np.array([1, 2, 3]), 1)
