"""The LanguageModel contract, tested once over every class that claims it (DESIGN.md, issue 10).

Parametrised over ``NGramLM`` with each smoothing strategy and ``NeuralLM`` with each
architecture (tiny sizes, a few training steps). A later language model joins by adding a
factory to ``LM_FACTORIES``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from seqlab import io
from seqlab.data.tokenize import WhitespaceTokenizer
from seqlab.data.vocab import BOS_ID, EOS_ID, PAD_ID
from seqlab.exceptions import DataError
from seqlab.generate import beam_search, generate
from seqlab.ngram import NGramLM
from seqlab.ngram import smoothing as S
from seqlab.protocols import LanguageModel, sentence_prefix

TRAIN = [s.split() for s in ("a b c a", "b c a b", "c a b c", "a a b b", "c c a a", "a b", "b a c")]
TEST = [s.split() for s in ("a b c", "c b a a", "b", "a zzz b")] + [[]]
SENTENCE = ["a", "b", "c", "a"]

SMOOTHINGS: dict[str, Callable[[], Any]] = {
    "mle": S.MLE, "laplace": S.Laplace, "lidstone": lambda: S.Lidstone(0.5),
    "absolute-discount": lambda: S.AbsoluteDiscount(0.5), "kneser-ney": lambda: S.KneserNey(0.5),
    "modified-kneser-ney": S.ModifiedKneserNey, "witten-bell": S.WittenBell, "katz": S.Katz,
    "stupid-backoff": S.StupidBackoff,
}
NOT_NORMALISED = {"ngram-stupid-backoff"}  # scores, not probabilities (Brants et al. 2007)
ZERO_PROB = {"ngram-mle"}  # unseen events get probability 0 (ln p = -inf)


def _ngram(smoothing: Callable[[], Any]) -> Callable[[], Any]:
    def make() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # modified KN falls back to default discounts on 7 sentences
            return NGramLM(order=3, smoothing=smoothing()).fit(TRAIN)
    return make


def _neural(arch: str) -> Callable[[], Any]:
    def make() -> Any:
        from seqlab.models.neural import NeuralLM
        from seqlab.train.config import TrainConfig

        # only the settings each architecture uses (others raise): heads for the Transformer, an
        # embedding width for the rest, no depth for the fixed window
        extra = {"n_heads": 2, "context_size": 16} if arch == "transformer" else {"d_embed": 8}
        if arch != "window":
            extra["n_layers"] = 1
        return NeuralLM(model=arch, d_hidden=8, dropout=0.0, device="cpu", **extra,
                        train=TrainConfig(max_steps=3, batch_size=2, bptt=4, eval_every=10)).fit(TRAIN)
    return make


def _mixture() -> Any:
    """An InterpolatedLM of two n-gram models, its weights fitted by EM."""
    from seqlab.mix import InterpolatedLM
    from seqlab.ngram import Lidstone, NGramLM

    parts = [NGramLM(order=1, smoothing=Lidstone(1.0)), NGramLM(order=2, smoothing=Lidstone(0.1))]
    return InterpolatedLM(parts).fit(TRAIN, valid=TRAIN[:3])


LM_FACTORIES: dict[str, Callable[[], Any]] = {f"ngram-{k}": _ngram(v) for k, v in SMOOTHINGS.items()}
LM_FACTORIES["mixture"] = _mixture
try:
    import torch  # noqa: F401

    from seqlab.models.neural import MODELS

    LM_FACTORIES.update({f"neural-{arch}": _neural(arch) for arch in MODELS})
except ImportError:  # the classical half works without torch
    pass

_CACHE: dict[str, Any] = {}


@pytest.fixture(params=sorted(LM_FACTORIES), scope="module")
def lm_case(request) -> tuple[str, Any]:
    name = request.param
    if name not in _CACHE:
        _CACHE[name] = LM_FACTORIES[name]()
    return name, _CACHE[name]


def _close(a: Any, b: Any, name: str, **kw: Any) -> None:
    tol = {"atol": 1e-5} if name.startswith("neural") else {"atol": 1e-10}
    np.testing.assert_allclose(a, b, **{**tol, **kw})


def test_every_lm_class_is_checked():
    assert any(k.startswith("ngram-") for k in LM_FACTORIES)
    assert len([k for k in LM_FACTORIES if k.startswith("ngram-")]) == len(SMOOTHINGS)


def test_is_a_language_model(lm_case):
    _, lm = lm_case
    assert isinstance(lm, LanguageModel)


@pytest.mark.parametrize("context", [[], ["a"], ["a", "b"], ["<s>", "c"], ["zzz", "a"], ["a", "b", "c", "a", "b"]])
def test_next_token_distribution_sums_to_one(lm_case, context):
    name, lm = lm_case
    lp = lm.next_log_probs(context)
    assert lp.shape == (len(lm.vocabulary_),)
    assert lp[PAD_ID] == -np.inf and lp[BOS_ID] == -np.inf, "<pad> and <s> are never predicted"
    if name in NOT_NORMALISED:
        assert np.all(np.isfinite(lp[EOS_ID:]))
        return
    assert np.exp(lp).sum() == pytest.approx(1.0, abs=1e-6 if name.startswith("neural") else 1e-12)


def test_one_bos_convention(lm_case):
    name, lm = lm_case
    for tok in ("a", "b", "</s>", "zzz"):
        assert lm.log_prob(tok, []) == lm.log_prob(tok, ["<s>"])
        assert lm.log_prob(tok, ["c"]) == lm.log_prob(tok, ["<s>", "c"])
    _close(lm.next_log_probs(["a", "</s>", "<s>", "b"]), lm.next_log_probs(["b"]), name)
    assert sentence_prefix(["<s>", "a"]) == ["a"] and sentence_prefix(["a"]) == ["a"]


def test_chained_log_prob_is_the_sentence_total(lm_case):
    name, lm = lm_case
    for sent in (SENTENCE, ["b"], [], ["zzz", "a"]):
        chained = sum(lm.log_prob(w, sent[:i]) for i, w in enumerate(sent)) + lm.log_prob("</s>", sent)
        total = lm.sentence_log_prob(sent)
        if name in ZERO_PROB and not np.isfinite(chained):
            assert total == chained
            continue
        _close(total, chained, name)


def test_token_log_probs_equal_chained_log_prob(lm_case):
    name, lm = lm_case
    log_probs, is_oov = lm.token_log_probs(TEST)
    expected, oov = [], []
    for sent in TEST:
        for i, w in enumerate([*sent, "</s>"]):
            expected.append(lm.log_prob(w, sent[:i]))
            oov.append(w not in lm.vocabulary_.stoi)
    assert log_probs.shape == (sum(len(s) + 1 for s in TEST),)
    _close(log_probs, expected, name)
    assert is_oov.tolist() == oov


def test_begin_advance_equals_next_log_probs(lm_case):
    name, lm = lm_case
    for prompt in ([], ["b"], ["<s>", "a"]):
        lp, state = lm.begin(prompt)
        _close(lp, lm.next_log_probs(prompt), name)
        history = sentence_prefix(prompt)
        for tok in SENTENCE:
            lp, new_state = lm.advance(state, lm.vocabulary_[tok])
            history.append(tok)
            _close(lp, lm.next_log_probs(history), name)
            again, _ = lm.advance(state, lm.vocabulary_[tok])  # states are values: branching is safe
            _close(again, lp, name)
            state = new_state


def test_score_is_mean_log_prob_and_minus_log_perplexity(lm_case):
    name, lm = lm_case
    corpus = [s for s in TEST if "zzz" not in s] if name in ZERO_PROB else TEST
    log_probs, _ = lm.token_log_probs(corpus)
    score = lm.score(corpus)
    _close(score, log_probs.mean(), name)
    if name not in ZERO_PROB:
        assert score == pytest.approx(-math.log(lm.perplexity(corpus)), rel=1e-12)
    else:
        assert lm.perplexity(corpus) == pytest.approx(math.exp(-score), rel=1e-12)


def test_save_load_gives_the_same_numbers(lm_case, tmp_path):
    name, lm = lm_case
    back = io.load(lm.save(tmp_path / "m"))
    assert type(back) is type(lm)
    _close(back.token_log_probs(TEST)[0], lm.token_log_probs(TEST)[0], name, atol=1e-12)
    _close(back.next_log_probs(["a", "b"]), lm.next_log_probs(["a", "b"]), name, atol=1e-12)
    assert back.generate(["a"], max_tokens=6, seed=3) == lm.generate(["a"], max_tokens=6, seed=3)


def test_generate_exists_and_is_the_shared_sampler(lm_case):
    _, lm = lm_case
    words = lm.generate(["a"], max_tokens=8, seed=5)
    assert len(words) <= 8 and all(w in lm.vocabulary_.stoi for w in words)
    assert words == generate(lm, ["a"], max_tokens=8, seed=5)
    assert lm.generate(["a"], max_tokens=5, greedy=True) == lm.generate(["a"], max_tokens=5, greedy=True)
    assert beam_search(lm, ["a"], beam_size=2, max_new_tokens=3)


# ---------------------------------------------------------------------- strings (never characters)
def test_strings_without_a_tokenizer_are_refused(lm_case):
    _, lm = lm_case
    assert getattr(lm, "tokenizer_", None) is None
    with pytest.raises(DataError, match="tokenizer"):
        lm.perplexity(["a b c"])
    with pytest.raises(DataError, match="tokenizer"):
        lm.token_log_probs(["a b c"])
    with pytest.raises(DataError, match="tokenizer"):
        generate(lm, "a b")
    with pytest.raises(DataError, match="tokenizer"):
        lm.generate("a b")
    with pytest.raises(DataError, match="tokenizer"):
        beam_search(lm, "a b")
    with pytest.raises(DataError, match="tokenizer"):
        lm.sentence_log_prob("a b")
    with pytest.raises(DataError, match="tokenizer"):
        lm.log_prob("a", "b c")
    with pytest.raises(DataError, match="single str"):
        lm.perplexity("a b c")


def test_a_corpus_where_a_sentence_is_expected_is_refused(lm_case):
    _, lm = lm_case
    with pytest.raises(DataError, match="sentence is expected"):
        lm.sentence_log_prob([["a", "b"], ["c"]])
    with pytest.raises(DataError):
        lm.log_prob(["a"], ["b"])


def test_strings_go_through_the_saved_tokenizer(lm_case, tmp_path):
    name, lm = lm_case
    lm.tokenizer_ = WhitespaceTokenizer()
    try:
        _close(lm.perplexity(["a b c", "c b a a"]), lm.perplexity([["a", "b", "c"], ["c", "b", "a", "a"]]), name)
        _close(lm.sentence_log_prob("a b c"), lm.sentence_log_prob(["a", "b", "c"]), name)
        _close(lm.log_prob("c", "a b"), lm.log_prob("c", ["a", "b"]), name)
        assert generate(lm, "a b", max_tokens=5, seed=1) == generate(lm, ["a", "b"], max_tokens=5, seed=1)
        assert lm.generate("a b", max_tokens=5, seed=1) == lm.generate(["a", "b"], max_tokens=5, seed=1)
        assert beam_search(lm, "a b", beam_size=2, max_new_tokens=3) == beam_search(
            lm, ["a", "b"], beam_size=2, max_new_tokens=3)
        back = io.load(lm.save(tmp_path / "m"))
        assert back.tokenizer_ == WhitespaceTokenizer()
        _close(back.sentence_log_prob("a b c"), lm.sentence_log_prob(["a", "b", "c"]), name)
    finally:
        del lm.tokenizer_


# ---------------------------------------------------------------------- NGramLM.score, one release of grace
def test_ngram_score_on_one_sentence_is_deprecated_but_keeps_its_value():
    lm = LM_FACTORIES["ngram-witten-bell"]()
    with pytest.warns(DeprecationWarning, match="sentence_log_prob"):
        old = lm.score("a b c")
    assert old == pytest.approx(lm.sentence_log_prob(["a", "b", "c"]), abs=1e-12)
    with pytest.warns(DeprecationWarning):
        assert lm.score(["a", "b", "c"]) == pytest.approx(old, abs=1e-12)
    with pytest.warns(DeprecationWarning):
        lm.score(["a", "b"], bos=False, eos=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        corpus_score = lm.score([["a", "b", "c"], ["b"]])  # a corpus: the mean, no warning
    log_probs, _ = lm.token_log_probs([["a", "b", "c"], ["b"]])
    assert corpus_score == pytest.approx(log_probs.mean(), abs=1e-12)
    assert corpus_score != pytest.approx(lm.sentence_log_prob(["a", "b", "c"]))


def test_evaluate_never_reads_a_str_sentence_as_characters(lm_case):
    from seqlab.evaluate import perplexity

    _, lm = lm_case
    with pytest.raises(DataError, match="tokenizer"):
        perplexity(lm, ["a b c"])


def test_a_tokenizer_set_before_fit_is_kept_and_not_taken_for_a_fit():
    from seqlab.exceptions import NotFittedError

    lm = NGramLM(order=2, smoothing=S.WittenBell())
    lm.tokenizer_ = WhitespaceTokenizer()
    assert not lm._is_fitted()
    with pytest.raises(NotFittedError):
        lm.perplexity(["a b"])
    lm.fit(TRAIN)
    assert lm.tokenizer_ == WhitespaceTokenizer()
    assert lm.perplexity(["a b"]) == lm.perplexity([["a", "b"]])
