"""The compiled hash scorer gives the numpy scorer's results bit for bit, for every kind of model."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from seqlab.ngram import MLE, Katz, ModifiedKneserNey, NGramLM, StupidBackoff, WittenBell, read_arpa
from seqlab.ngram import _kernels as K

pytest.importorskip("numba")
from seqlab.ngram._fastscore import HashIndex  # noqa: E402


def corpus(n: int, seed: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    return [[f"w{w}" for w in rng.zipf(1.4, size=rng.integers(0, 25)) % 300] for _ in range(n)]


def both(lm: NGramLM, sents: list[list[str]]) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    ids, pos, _ = K.encode(sents, lm.vocabulary_.stoi)
    V = len(lm.vocabulary_)
    ref = K.backoff_scores(pos, K.lookup(ids, pos, lm.keys_, V), lm.log_probs_, lm.log_backoffs_, lm.default_backoff_)
    fast = HashIndex(lm.keys_, lm.log_probs_, lm.log_backoffs_).score(ids, pos, V, lm.default_backoff_)
    return ref, fast


@pytest.mark.parametrize("order", [2, 3, 5])
@pytest.mark.parametrize("smoothing", [ModifiedKneserNey(), WittenBell(), Katz(), MLE(), StupidBackoff()],
                         ids=lambda s: s.name)
def test_hash_scorer_equals_numpy_scorer(order, smoothing):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = NGramLM(order=order, smoothing=smoothing).fit(corpus(1500, 0))
    test = corpus(400, 1) + [["never", "seen", "w1"], []]
    (lp_ref, n_ref), (lp_fast, n_fast) = both(lm, test)
    assert np.array_equal(lp_ref, lp_fast, equal_nan=True), "log-probs differ"
    assert np.array_equal(n_ref, n_fast), "matched lengths differ"
    n_predicted = sum(len(s) + 1 for s in test)
    assert (~np.isnan(lp_fast)).sum() == n_predicted, "every token and </s> gets a score, <s> none"


def test_pruned_arpa_without_every_suffix(tmp_path):
    """An ARPA model may hold an n-gram whose suffix is missing; look-ups follow prefixes only."""
    arpa = tmp_path / "p.arpa"
    arpa.write_text("\\data\\\nngram 1=5\nngram 2=2\nngram 3=1\n\n\\1-grams:\n-1\t<unk>\t0\n0\t<s>\t-0.3\n"
                    "-0.5\t</s>\t0\n-0.4\ta\t-0.2\n-0.6\tb\t-0.1\n\n\\2-grams:\n-0.2\t<s> a\t-0.05\n"
                    "-0.3\ta b\t-0.07\n\n\\3-grams:\n-0.1\t<s> a a\n\n\\end\\\n")
    lm = read_arpa(arpa)
    (lp_ref, n_ref), (lp_fast, n_fast) = both(lm, [["a", "a", "b", "a"], ["b"], ["a", "b", "zz"]])
    assert np.array_equal(lp_ref, lp_fast, equal_nan=True) and np.array_equal(n_ref, n_fast)
    assert 3 in n_fast.tolist(), "the trigram <s> a a should be matched"


def test_model_uses_the_same_numbers_on_both_paths(monkeypatch):
    from seqlab.ngram import model as M

    lm = NGramLM(order=4).fit(corpus(800, 2))
    test = corpus(200, 3)
    monkeypatch.setattr(M, "FAST_SCORE_MIN_POSITIONS", 1)
    fast = lm.token_log_probs(test)[0]
    monkeypatch.setattr(M, "FAST_SCORE_MIN_POSITIONS", 10**12)
    monkeypatch.setattr(M.sys, "modules", {k: v for k, v in M.sys.modules.items() if k != "numba"})
    slow = lm.token_log_probs(test)[0]
    assert np.array_equal(fast, slow)
    assert lm._hash_index is not None
