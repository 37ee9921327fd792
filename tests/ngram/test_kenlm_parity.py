"""Parity with KenLM (lmplz + query) on the reference KJV slice: scores, perplexity, discounts, ARPA."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seqlab.ngram import read_arpa

pytestmark = pytest.mark.reference
LN10 = math.log(10)

# KenLM's lmplz figures for the reference corpus (shared/reference/ngram/README.md).
KENLM_COUNTS = {3: [6185, 51464, 123229], 5: [6185, 51464, 123229, 176011, 200906]}
KENLM_DISCOUNTS_O5 = [(0.568129, 1.05832, 1.51055), (0.709831, 1.10908, 1.48332), (0.806172, 1.24805, 1.56352),
                      (0.884628, 1.33088, 1.57385), (0.888304, 1.32226, 1.62237)]


def sentence_totals_log10(log_probs: np.ndarray, test: list[list[str]]) -> np.ndarray:
    ends = np.cumsum([len(s) + 1 for s in test])
    return np.add.reduceat(log_probs, np.r_[0, ends[:-1]]) / LN10


@pytest.mark.parametrize("order", [3, 5])
def test_counts_and_per_sentence_scores_match_kenlm_query(kjv_small, kjv_models, kenlm_query, order):
    _, test = kjv_small
    lm = kjv_models[order]
    query = kenlm_query[order]
    assert lm.ngram_counts_ == KENLM_COUNTS[order]
    log_probs, is_oov = lm.token_log_probs(test)
    assert log_probs.size == query.n_tokens
    assert int(is_oov.sum()) == query.oov
    ours = sentence_totals_log10(log_probs, test)
    assert np.abs(ours - np.asarray(query.totals)).max() == pytest.approx(0, abs=1e-4)
    # Per token: the same log10 probability and the same matched n-gram length as KenLM.
    kenlm_tokens = np.asarray([lp for sent in query.tokens for _, lp, _ in sent])
    kenlm_lengths = np.asarray([n for sent in query.tokens for _, _, n in sent])
    assert np.abs(log_probs / LN10 - kenlm_tokens).max() == pytest.approx(0, abs=2e-5)
    lengths = np.concatenate([[n for _, n, _ in lm.full_scores(s)] for s in test])
    assert (lengths == kenlm_lengths).all()


@pytest.mark.parametrize("order", [3, 5])
def test_perplexity_incl_and_excl_oov_match_kenlm(kjv_small, kjv_models, kenlm_query, order):
    from seqlab.evaluate import perplexity_report

    _, test = kjv_small
    query = kenlm_query[order]
    rep = perplexity_report(kjv_models[order], test)
    assert rep.perplexity == pytest.approx(query.ppl_incl, rel=5e-4)
    assert rep.perplexity_excl_oov == pytest.approx(query.ppl_excl, rel=5e-4)
    assert kjv_models[order].perplexity(test) == pytest.approx(query.ppl_incl, rel=5e-4)
    assert (rep.tokens, rep.oov) == (query.n_tokens, query.oov)


def test_modified_kn_discounts_match_lmplz(kjv_models):
    ours = np.asarray(kjv_models[5].discounts_)
    assert ours == pytest.approx(np.asarray(KENLM_DISCOUNTS_O5), abs=1e-5)


def test_every_ngram_weight_equals_kenlm_arpa(kjv_models, fixtures_dir):
    """Read lmplz's ARPA file and compare every probability and backoff with seqlab's own fit."""
    ours = kjv_models[3]
    ref = read_arpa(fixtures_dir / "kjv-small.o3.arpa.xz")
    assert ref.vocabulary_.itos[:4] == ours.vocabulary_.itos[:4]
    assert set(ref.vocabulary_.itos) == set(ours.vocabulary_.itos)
    # Map KenLM's ids onto ours through the token strings, then compare n-gram by n-gram.
    to_ours = np.asarray([ours.vocabulary_.stoi[t] for t in ref.vocabulary_.itos])
    from seqlab.ngram._kernels import find_rows, keys_from_ids, ngram_ids

    ref_mats = [to_ours[m] for m in ngram_ids(ref.keys_, len(ref.vocabulary_))]
    keys, perms = keys_from_ids(ref_mats, len(ours.vocabulary_))
    for n in range(1, 4):
        rows = find_rows(ours.keys_[n - 1], keys[n - 1])
        assert (rows >= 0).all()
        ref_p = ref.log_probs_[n - 1][perms[n - 1]] / LN10
        our_p = ours.log_probs_[n - 1][rows] / LN10
        finite = np.isfinite(ref_p) & np.isfinite(our_p)
        assert np.abs(ref_p[finite] - our_p[finite]).max() == pytest.approx(0, abs=2e-6)
        if n < 3:
            ref_b = ref.log_backoffs_[n - 1][perms[n - 1]] / LN10
            our_b = ours.log_backoffs_[n - 1][rows] / LN10
            assert np.abs(ref_b - our_b).max() == pytest.approx(0, abs=2e-6)


def test_kenlm_arpa_read_by_seqlab_scores_like_query(kjv_small, kenlm_query, fixtures_dir):
    _, test = kjv_small
    query = kenlm_query[3]
    ref = read_arpa(fixtures_dir / "kjv-small.o3.arpa.xz")
    log_probs, _ = ref.token_log_probs(test)
    assert np.abs(sentence_totals_log10(log_probs, test) - query.totals).max() == pytest.approx(0, abs=1e-4)


@pytest.mark.parametrize("order", [3, 5])
def test_arpa_written_by_seqlab_scores_the_same_in_kenlm(kjv_small, kjv_models, kenlm_query, order, tmp_path):
    kenlm = pytest.importorskip("kenlm")
    _, test = kjv_small
    lm = kjv_models[order]
    path = lm.to_arpa(tmp_path / "model.arpa")
    model = kenlm.Model(str(path))
    totals = np.asarray([model.score(" ".join(s), bos=True, eos=True) for s in test])
    log_probs, is_oov = lm.token_log_probs(test)
    assert np.abs(totals - sentence_totals_log10(log_probs, test)).max() == pytest.approx(0, abs=1e-4)
    query = kenlm_query[order]
    n = sum(len(s) + 1 for s in test)
    assert 10 ** (-totals.sum() / n) == pytest.approx(query.ppl_incl, rel=5e-4)
    assert model.order == order


def test_arpa_read_back_equals_original_to_arpa_precision(kjv_small, kjv_models, tmp_path):
    _, test = kjv_small
    lm = kjv_models[3]
    back = read_arpa(lm.to_arpa(tmp_path / "o3.arpa"))
    assert back.vocabulary_ == lm.vocabulary_
    assert back.ngram_counts_ == lm.ngram_counts_
    a, _ = lm.token_log_probs(test)
    b, _ = back.token_log_probs(test)
    assert np.abs(a - b).max() == pytest.approx(0, abs=1e-6)
    ctx = ["<s>", "and", "god"]
    assert np.allclose(back.next_log_probs(ctx)[4:], lm.next_log_probs(ctx)[4:], atol=1e-6)


@pytest.mark.parametrize("order", [2, 4])
def test_against_lmplz_when_on_path(kjv_small, order, tmp_path):
    """Other orders and another training size, against a local KenLM build (skipped without ``lmplz``)."""
    import shutil
    import subprocess

    from seqlab.ngram import NGramLM

    lmplz = shutil.which("lmplz")
    if lmplz is None:
        pytest.skip("KenLM's lmplz is not on PATH")
    train, test = kjv_small
    train = train[:3000]
    text = tmp_path / "train.txt"
    text.write_text("\n".join(" ".join(s) for s in train) + "\n")
    with open(text) as f, open(tmp_path / "ref.arpa", "w") as out:
        subprocess.run([lmplz, "-o", str(order), "-S", "100M", "-T", str(tmp_path)], stdin=f, stdout=out,
                       stderr=subprocess.DEVNULL, check=True)
    ref = read_arpa(tmp_path / "ref.arpa")
    ours = NGramLM(order=order).fit(train)
    assert ours.ngram_counts_ == ref.ngram_counts_
    a, oov = ours.token_log_probs(test)
    b, _ = ref.token_log_probs(test)
    assert np.abs(sentence_totals_log10(a, test) - sentence_totals_log10(b, test)).max() == pytest.approx(0, abs=1e-4)
    assert math.exp(-a.sum() / a.size) == pytest.approx(math.exp(-b.sum() / b.size), rel=5e-4)
