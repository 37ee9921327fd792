"""ConditionalLM: the LanguageModel view per condition, learning from labels and vectors, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab import io
from seqlab.evaluate import perplexity
from seqlab.exceptions import DataError
from seqlab.generate import generate_sequences
from seqlab.models.conditional import ConditionalLM
from seqlab.train import TrainConfig

TEXTS = [["good", "day", "indeed"], ["bad", "day", "sadly"]] * 12
LABELS = ["pos", "neg"] * 12
TRAIN = TrainConfig(max_steps=150, batch_size=8, lr=0.02, schedule="constant")


@pytest.fixture(scope="module", params=["init", "input"])
def by_label(request):
    return ConditionalLM(model="gru", condition="label", inject=request.param, d_embed=8, d_hidden=16, dropout=0.0,
                         train=TRAIN, random_state=0).fit(TEXTS, LABELS)


def test_view_is_a_normalised_language_model(by_label):
    view = by_label.given("pos")
    for context in ([], ["good"], ["good", "day"], ["zzz"]):
        p = np.exp(view.next_log_probs(context))
        assert p.sum() == pytest.approx(1.0, abs=1e-9) and p[0] == 0 and p[2] == 0, "sums to 1; never <pad>/<s>"
    lp, oov = view.token_log_probs([["good", "day"]])
    chain, state = view.begin([])
    want = [chain[by_label.vocabulary_["good"]]]
    chain, state = view.advance(state, by_label.vocabulary_["good"])
    want.append(chain[by_label.vocabulary_["day"]])
    chain, _ = view.advance(state, by_label.vocabulary_["day"])
    want.append(chain[3])
    assert np.allclose(lp, want, atol=1e-9) and not oov.any(), "scoring == decoding step by step (</s> counted)"


def test_the_label_steers_generation(by_label):
    pos, neg = by_label.given("pos"), by_label.given("neg")
    v = by_label.vocabulary_
    assert pos.next_log_probs([])[v["good"]] > pos.next_log_probs([])[v["bad"]]
    assert neg.next_log_probs([])[v["bad"]] > neg.next_log_probs([])[v["good"]]
    assert generate_sequences(pos, [], greedy=True, max_new_tokens=5) == [["good", "day", "indeed"]]
    assert generate_sequences(neg, [], beam_size=3, max_new_tokens=5)[0] == ["bad", "day", "sadly"]
    assert perplexity(pos, [["good", "day", "indeed"]]) < perplexity(neg, [["good", "day", "indeed"]])
    assert by_label.perplexity(TEXTS[:2], LABELS[:2]) < 1.5, "150 steps learn the two sentences almost surely"


def test_vectors_condition_like_captioning():
    rng = np.random.default_rng(0)
    feats = np.where(np.array(LABELS)[:, None] == "pos", [1.0, 0.0, 0.5], [0.0, 1.0, 0.5]) \
        + 0.05 * rng.standard_normal((len(LABELS), 3))
    m = ConditionalLM(model="lstm", condition="vector", inject="both", d_embed=8, d_hidden=16, dropout=0.0,
                      train=TRAIN, random_state=0).fit(TEXTS, feats)
    assert generate_sequences(m.given([1.0, 0.0, 0.5]), [], greedy=True, max_new_tokens=5) == [["good", "day",
                                                                                                 "indeed"]]
    assert generate_sequences(m.given([0.0, 1.0, 0.5]), [], greedy=True, max_new_tokens=5)[0][0] == "bad"
    with pytest.raises(DataError, match="3 rows but there are 2 sequences"):
        m.perplexity(TEXTS[:2], feats[:3])
    with pytest.raises(DataError, match="2 columns; this model was trained on 3"):
        m.given([1.0, 0.0])


def test_bad_labels_and_round_trip(by_label, tmp_path):
    with pytest.raises(DataError, match="label 'spam' was not seen in training; known labels: neg, pos"):
        by_label.given("spam")
    with pytest.raises(DataError, match="3 labels for 2 sequences"):
        ConditionalLM(train=TRAIN).fit(TEXTS[:2], ["a", "b", "c"])
    again = io.load(by_label.save(tmp_path / "c"))
    assert again.labels_ == ["neg", "pos"]
    assert np.allclose(again.given("neg").next_log_probs(["bad"]), by_label.given("neg").next_log_probs(["bad"]))


def test_view_follows_the_language_model_contract(by_label):
    """The shared verbs (LanguageModelMixin) on the view: one <s> convention, chained = total = scored."""
    from seqlab.protocols import LanguageModel

    view = by_label.given("neg")
    assert isinstance(view, LanguageModel)
    for tok in ("good", "day", "</s>", "zzz"):
        assert view.log_prob(tok, []) == view.log_prob(tok, ["<s>"])
    sent = ["bad", "day", "zzz"]
    chained = sum(view.log_prob(w, sent[:i]) for i, w in enumerate(sent)) + view.log_prob("</s>", sent)
    assert view.sentence_log_prob(sent) == pytest.approx(chained, abs=1e-6)
    lp, oov = view.token_log_probs([sent, []])
    assert lp.sum() == pytest.approx(chained + view.log_prob("</s>", []), abs=1e-6)
    assert oov.tolist() == [False, False, True, False, False], "zzz is out of vocabulary; </s> never"
    assert view.perplexity([sent]) == pytest.approx(np.exp(-chained / 4), rel=1e-6)
    with pytest.raises(DataError, match="tokenizer"):
        view.token_log_probs(["bad day"])
