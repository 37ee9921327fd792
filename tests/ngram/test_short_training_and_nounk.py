"""KenLM's rule for ARPA files without <unk>, and high-order models trained on short sentences."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from seqlab.ngram import NGramLM, make_smoothing, read_arpa

LN10 = math.log(10)

# A file like KenLM's lm/test_nounk.arpa: no <unk> unigram.
NOUNK = """\\data\\
ngram 1=5
ngram 2=4

\\1-grams:
-1.0\t<s>\t-0.30103
-0.5\t</s>
-0.6\ta\t-0.2
-0.7\tb\t-0.1
-0.9\tc

\\2-grams:
-0.3\t<s> a
-0.4\ta b
-0.2\tb </s>
-0.5\ta </s>

\\end\\
"""


@pytest.fixture
def nounk(tmp_path):
    path = tmp_path / "test_nounk.arpa"
    path.write_text(NOUNK)
    return path


def test_missing_unk_scores_minus_100_with_a_warning_as_kenlm_does(nounk):
    with pytest.warns(UserWarning, match="no <unk>.*-100"):
        lm = read_arpa(nounk)
    lp, oov = lm.token_log_probs([["a", "zzz", "b"], ["zzz"]])
    # by hand (log10): <s> a = -0.3; zzz = p(<unk>) -100 + b(a) -0.2; b after an unknown = p(b) -0.7;
    # </s> after b = -0.2 | zzz = -100 + b(<s>) -0.30103; </s> = -0.5
    expected = [-0.3, -100.2, -0.7, -0.2, -100.30103, -0.5]
    assert lp / LN10 == pytest.approx(expected, abs=1e-9)
    assert oov.tolist() == [False, True, False, False, True, False]
    assert math.isfinite(lm.perplexity([["a", "zzz", "b"]]))


def test_missing_unk_matches_the_kenlm_module(nounk):
    kenlm = pytest.importorskip("kenlm")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = read_arpa(nounk)
    ref = kenlm.Model(str(nounk))
    for sentence in ("a zzz b", "zzz", "c c zzz zzz a b", "a b"):
        ours = lm.token_log_probs([sentence.split()])[0].sum() / LN10
        assert ours == pytest.approx(ref.score(sentence), abs=1e-5), sentence


def test_a_file_with_unk_gives_no_warning(tmp_path):
    path = tmp_path / "unk.arpa"
    path.write_text(NOUNK.replace("ngram 1=5", "ngram 1=6").replace("-0.9\tc\n", "-0.9\tc\n-2.0\t<unk>\n"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lm = read_arpa(path)
    assert lm.token_log_probs([["zzz"]])[0][0] / LN10 == pytest.approx(-2.0 - 0.30103, abs=1e-9)


@pytest.mark.filterwarnings("ignore::seqlab.exceptions.DegenerateFitWarning")
@pytest.mark.parametrize("order", [6, 8, 10])
@pytest.mark.parametrize("smoothing", ["modified-kneser-ney", "kneser-ney", "witten-bell", "lidstone",
                                       "absolute-discount"])
def test_high_order_model_on_short_sentences_scores_long_ones(order, smoothing):
    lm = NGramLM(order=order, smoothing=make_smoothing(smoothing)).fit([["a", "b"], ["b", "c", "a"]])
    long = ["a", "b", "c", "a", "b", "c", "a", "b", "c", "zzz", "a"]
    lp, _ = lm.token_log_probs([long])
    assert lp.shape == (len(long) + 1,) and np.isfinite(lp).all()
    chain = [lm.log_prob(w, ["<s>", *long[:i]]) for i, w in enumerate(long + ["</s>"])]
    assert lp == pytest.approx(chain, abs=1e-9), "the vectorised scorer agrees with log_prob"
    context = long
    total = sum(math.exp(lm.log_prob(w, context)) for w in ["a", "b", "c", "</s>", "<unk>"])
    assert total == pytest.approx(1.0, abs=1e-12), "still a distribution in a context longer than any seen"
