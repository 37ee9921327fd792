"""Seq2seq metrics: edit distance against a brute-force reference, exact match, TER, sacrebleu parity."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqlab.evaluate import bleu, chrf, edit_distance, exact_match, seq2seq_metrics, token_error_rate
from seqlab.exceptions import DataError

toks = st.lists(st.sampled_from("abc"), max_size=7)


def recursive_distance(a: str, b: str) -> int:
    """Textbook Levenshtein recursion (exponential without the cache; fine on 7 symbols)."""

    @functools.cache
    def d(i: int, j: int) -> int:
        if i == 0 or j == 0:
            return i + j
        return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))

    return d(len(a), len(b))


@given(a=toks, b=toks)
def test_edit_distance_matches_recursion(a, b):
    assert edit_distance(a, b) == recursive_distance("".join(a), "".join(b))
    assert edit_distance(a, b) == edit_distance(b, a), "symmetric"


def test_exact_match_and_ter_by_hand():
    hyps = [["HH", "AH0", "L", "OW1"], ["K", "AE1", "T"]]
    refs = [[["HH", "AH0", "L", "OW1"], ["HH", "EH0", "L", "OW1"]], [["K", "AA1", "T"]]]
    assert exact_match(hyps, refs) == 0.5, "first matches a variant, second does not"
    assert token_error_rate(hyps, refs) == pytest.approx(1 / 7), "0 errors on 4 + 1 substitution on 3"
    # the closest variant is used: 'HH EH0 L OW1' vs hyp differs by 1, but the exact variant wins
    assert token_error_rate([["HH", "EH1", "L", "OW1"]], refs[:1]) == pytest.approx(1 / 4)


def test_sacrebleu_parity():
    sacrebleu = pytest.importorskip("sacrebleu")
    hyps = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "ran", "here"]]
    refs = [["the", "cat", "sat", "on", "a", "mat"], ["the", "dog", "ran", "here"]]
    want = sacrebleu.corpus_bleu([" ".join(h) for h in hyps], [[" ".join(r) for r in refs]]).score
    assert bleu(hyps, refs) == pytest.approx(want, rel=1e-12)
    want = sacrebleu.corpus_chrf([" ".join(h) for h in hyps], [[" ".join(r) for r in refs]]).score
    assert chrf(hyps, refs) == pytest.approx(want, rel=1e-12)
    assert bleu(refs, refs) == pytest.approx(100.0), "identical output scores 100"
    multi = [[refs[0], hyps[0]], [refs[1]]]
    assert bleu(hyps, multi) > bleu(hyps, refs), "a second reference equal to the hypothesis raises BLEU"
    out = seq2seq_metrics(hyps, refs)
    assert set(out) == {"exact_match", "token_error_rate", "bleu", "chrf"} and out["exact_match"] == 0.0


def test_bad_inputs():
    with pytest.raises(DataError, match="2 hypotheses and 1 references"):
        exact_match([["a"], ["b"]], [["a"]])
    with pytest.raises(DataError, match="token list"):
        exact_match([["a"]], ["a"])
    with pytest.raises(DataError, match="no hypotheses"):
        token_error_rate([], [])
