"""Hand-worked probabilities on a five-sentence corpus (arithmetic in the comments).

Corpus, padded the KenLM way (one <s>, one </s>):
    <s> a b c </s>  |  <s> a b </s>  |  <s> b c </s>  |  <s> a c </s>  |  <s> c </s>
Token counts a=3, b=3, c=4. The predicted vocabulary is {a, b, c, </s>, <unk>}: Vp = 5.
Bigram counts: <s> a 3, <s> b 1, <s> c 1 | a b 2, a c 1 | b c 2, b </s> 1 | c </s> 4.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from seqlab.ngram import MLE, KneserNey, Laplace, Lidstone, NGramLM

CORPUS = [s.split() for s in ("a b c", "a b", "b c", "a c", "c")]


def fit(smoothing, order=2):  # type: ignore[no-untyped-def]
    return NGramLM(order=order, smoothing=smoothing).fit(CORPUS)


def test_vocabulary_ids_most_frequent_first():
    lm = fit(MLE())
    # specials 0..3, then c (4 occurrences), then a and b (3 each, alphabetical)
    assert lm.vocabulary_.itos == ["<pad>", "<unk>", "<s>", "</s>", "c", "a", "b"]


def test_mle_values():
    lm = fit(MLE())
    assert lm.prob("b", ["a"]) == pytest.approx(2 / 3, abs=1e-12)  # c(a b) / c(a .) = 2 / 3
    assert lm.prob("c", ["a"]) == pytest.approx(1 / 3, abs=1e-12)  # c(a c) / c(a .) = 1 / 3
    assert lm.prob("a", ["a"]) == 0.0  # never seen
    assert lm.prob("</s>", ["c"]) == pytest.approx(1.0, abs=1e-12)  # 4 / 4
    assert lm.prob("a", ["<s>"]) == pytest.approx(3 / 5, abs=1e-12)  # 3 of 5 sentences start with a
    # "a b": p(a|<s>) p(b|a) p(</s>|b) = 3/5 * 2/3 * 1/3 = 2/15
    assert lm.sentence_log_prob(["a", "b"]) == pytest.approx(math.log(2 / 15), abs=1e-12)


def test_mle_unigram_model():
    lm = fit(MLE(), order=1)
    # 10 words + 5 </s> = 15 predicted tokens; p(c) = 4/15, p(</s>) = 5/15
    assert lm.prob("c") == pytest.approx(4 / 15, abs=1e-12)
    assert lm.prob("</s>") == pytest.approx(5 / 15, abs=1e-12)
    assert lm.prob("zzz") == 0.0  # <unk> never seen


def test_laplace_values():
    lm = fit(Laplace())
    assert lm.prob("b", ["a"]) == pytest.approx(3 / 8, abs=1e-12)  # (2 + 1) / (3 + 5)
    assert lm.prob("a", ["a"]) == pytest.approx(1 / 8, abs=1e-12)  # (0 + 1) / (3 + 5)
    assert lm.prob("zzz", ["a"]) == pytest.approx(1 / 8, abs=1e-12)  # unknown -> <unk>, also (0 + 1) / 8
    assert lm.prob("a", ["<s>"]) == pytest.approx(4 / 10, abs=1e-12)  # (3 + 1) / (5 + 5)
    # "a b" = 4/10 * 3/8 * p(</s>|b) with p(</s>|b) = (1 + 1) / (3 + 5) = 2/8  ->  0.0375
    assert lm.sentence_log_prob(["a", "b"]) == pytest.approx(math.log(0.0375), abs=1e-12)


def test_lidstone_values():
    lm = fit(Lidstone(alpha=0.5))
    assert lm.prob("b", ["a"]) == pytest.approx(2.5 / 5.5, abs=1e-12)  # (2 + .5) / (3 + .5 * 5)
    assert lm.prob("a", ["b"]) == pytest.approx(0.5 / 5.5, abs=1e-12)  # (0 + .5) / (3 + 2.5)


def test_kneser_ney_values():
    lm = fit(KneserNey(discount=0.5))
    # Unigram level: continuation counts N1+(. w): a 1 {<s>}, b 2 {<s>, a}, c 3 {<s>, a, b},
    # </s> 2 {b, c}, <unk> 0; total 8. gamma0 = 0.5 * 4 types / 8 = 0.25, spread as 0.25 / 5 = 0.05.
    assert math.exp(lm.ngram_log_prob("a")) == pytest.approx(0.5 / 8 + 0.05, abs=1e-12)  # 0.1125
    assert math.exp(lm.ngram_log_prob("b")) == pytest.approx(1.5 / 8 + 0.05, abs=1e-12)  # 0.2375
    assert math.exp(lm.ngram_log_prob("c")) == pytest.approx(2.5 / 8 + 0.05, abs=1e-12)  # 0.3625
    assert math.exp(lm.ngram_log_prob("zzz")) == pytest.approx(0.05, abs=1e-12)
    # Context a: c(a .) = 3 with 2 types, gamma(a) = 0.5 * 2 / 3 = 1/3.
    assert lm.prob("b", ["a"]) == pytest.approx(1.5 / 3 + 0.2375 / 3, abs=1e-12)  # 0.5791667
    assert lm.prob("c", ["a"]) == pytest.approx(0.5 / 3 + 0.3625 / 3, abs=1e-12)  # 0.2875
    assert lm.prob("a", ["a"]) == pytest.approx(0.1125 / 3, abs=1e-12)  # only the backoff share
    # An unseen context backs off completely.
    assert lm.prob("c", ["zzz"]) == pytest.approx(0.3625, abs=1e-12)
    assert np.exp(lm.next_log_probs(["a"])).sum() == pytest.approx(1.0, abs=1e-12)
