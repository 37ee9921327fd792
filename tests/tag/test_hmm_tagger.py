"""HMMTagger: counts by hand, Viterbi and posteriors vs brute-force enumeration, save/load, bad input."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from seqlab.exceptions import DataError, InvalidParameterError, NotFittedError
from seqlab.tag import HMMTagger

SENTS = [["the", "dog", "barks"], ["the", "cat", "sleeps"], ["a", "dog", "sleeps"], ["dogs", "bark"]]
TAGS = [["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB"], ["NOUN", "VERB"]]


def test_counts_by_hand() -> None:
    m = HMMTagger(transition_smoothing=1.0, unknown="unk").fit(SENTS, TAGS)
    assert m.tags_ == ["DET", "NOUN", "VERB"]
    # starts: DET 3, NOUN 1 (+1 each) -> (4, 2, 1) / 7
    assert m.startprob_ == pytest.approx(np.array([4, 2, 1]) / 7)
    # DET -> NOUN 3 times: (0+1, 3+1, 0+1) / 6
    assert m.transmat_[0] == pytest.approx(np.array([1, 4, 1]) / 6)
    # NOUN tokens: dog 2, cat 1, dogs 1 -> c(NOUN) = 4; once-seen words tagged NOUN: cat, dogs -> h = 2 + 0.5
    noun = 1
    assert np.exp(m.log_emit_[m.vocabulary_["dog"], noun]) == pytest.approx(2 / (4 + 2.5))
    assert np.exp(m.log_unknown_[noun]) == pytest.approx(2.5 / 6.5)
    seen = np.exp(m.log_emit_[:, noun]).sum() + np.exp(m.log_unknown_[noun])
    assert seen == pytest.approx(1.0), "known words plus the unknown mass sum to one per tag"


def _joint(m: HMMTagger, sent: list[str], path: tuple[int, ...]) -> float:
    e = m._log_emissions(sent)
    lp = np.log(m.startprob_[path[0]]) + e[0, path[0]]
    for t in range(1, len(sent)):
        lp += np.log(m.transmat_[path[t - 1], path[t]]) + e[t, path[t]]
    return float(lp)


@pytest.mark.parametrize("unknown", ["suffix", "unk"])
def test_viterbi_and_posteriors_equal_enumeration(unknown: str) -> None:
    m = HMMTagger(unknown=unknown, max_suffix=2).fit(SENTS, TAGS)
    sent = ["the", "Cats", "bark", "loudly"]
    paths = list(itertools.product(range(3), repeat=len(sent)))
    scores = np.array([_joint(m, sent, p) for p in paths])
    best = paths[int(np.argmax(scores))]
    assert m.predict([sent]) == [[m.tags_[i] for i in best]]
    post = np.zeros((len(sent), 3))
    weights = np.exp(scores - scores.max())
    for w, p in zip(weights / weights.sum(), paths, strict=False):
        post[np.arange(len(sent)), p] += w
    got = m.predict_proba([sent])[0]
    assert got == pytest.approx(post, abs=1e-10)
    assert got.sum(axis=1) == pytest.approx(np.ones(len(sent)), abs=1e-12)


def test_suffix_model_helps_unknown_words() -> None:
    sents = [["he", "walked"], ["she", "talked"], ["they", "jumped"], ["the", "walk"], ["the", "talk"],
             ["the", "jump"], ["she", "ran"], ["he", "cooked"]]
    tags = [["PRON", "VERB"]] * 3 + [["DET", "NOUN"]] * 3 + [["PRON", "VERB"]] * 2
    m = HMMTagger(max_suffix=2).fit(sents, tags)
    table = m.suffix_table_
    assert table["l:ed"][m.tags_.index("VERB")] > table["l:"][m.tags_.index("VERB")], "-ed points to VERB"
    verb = m.tags_.index("VERB")
    with_suffix = m.predict_proba([["the", "parked"]])[0][1, verb]
    without = HMMTagger(unknown="unk").fit(sents, tags).predict_proba([["the", "parked"]])[0][1, verb]
    assert with_suffix > without, (with_suffix, without)


def test_save_load_same_predictions(tmp_path: Path) -> None:
    m = HMMTagger().fit(SENTS, TAGS)
    m.save(tmp_path / "m")
    back = HMMTagger.load(tmp_path / "m")
    test = [["the", "dogs", "sleep"], ["unseen", "Words"], []]
    assert back.predict(test) == m.predict(test)
    for a, b in zip(back.predict_proba(test), m.predict_proba(test), strict=False):
        assert a == pytest.approx(b)


def test_bad_input() -> None:
    with pytest.raises(DataError, match="2 tokens but 3 tags"):
        HMMTagger().fit([["a", "b"]], [["X", "Y", "Z"]])
    with pytest.raises(DataError, match="1 sentences but 2 tag lists"):
        HMMTagger().fit([["a"]], [["X"], ["Y"]])
    with pytest.raises(DataError, match="single str"):
        HMMTagger().fit("a b", [["X"]])
    with pytest.raises(InvalidParameterError, match="unknown"):
        HMMTagger(unknown="guess").fit(SENTS, TAGS)
    with pytest.raises(NotFittedError):
        HMMTagger().predict([["a"]])
    assert HMMTagger().fit(SENTS, TAGS).score(SENTS, TAGS) == 1.0
