"""Tagging metrics: hand-worked values, seqeval parity for entity scores, sklearn parity per tag."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.evaluate import bio_chunks, entity_scores, is_bio, oov_accuracy, tagging_report, token_accuracy
from seqlab.exceptions import DataError


def test_token_and_oov_accuracy_by_hand() -> None:
    sents = [["the", "cat", "zorbed"], ["a", "glimp"]]
    y_true = [["DET", "NOUN", "VERB"], ["DET", "NOUN"]]
    y_pred = [["DET", "NOUN", "NOUN"], ["DET", "NOUN"]]
    assert token_accuracy(y_true, y_pred) == pytest.approx(4 / 5)
    acc, n = oov_accuracy(sents, y_true, y_pred, known={"the", "cat", "a"})
    assert (acc, n) == (0.5, 2), "zorbed wrong, glimp right"
    assert np.isnan(oov_accuracy(sents, y_true, y_pred, known={"the", "cat", "a", "zorbed", "glimp"})[0])


def test_bio_chunks_conlleval_rules() -> None:
    assert bio_chunks(["B-PER", "I-PER", "O", "B-LOC", "B-LOC"]) == {("PER", 0, 2), ("LOC", 3, 4), ("LOC", 4, 5)}
    assert bio_chunks(["O", "I-ORG", "I-ORG", "I-PER"]) == {("ORG", 1, 3), ("PER", 3, 4)}, "I- opens a chunk"
    assert bio_chunks(["O", "O"]) == set()


def test_entity_scores_by_hand() -> None:
    y_true = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    y_pred = [["B-PER", "O", "O", "B-LOC"], ["B-ORG", "B-ORG"]]
    got = entity_scores(y_true, y_pred)
    # true: PER(0,2) LOC(3,4) ORG(0,1) -> 3; predicted: PER(0,1) LOC ORG(0,1) ORG(1,2) -> 4; correct: LOC, ORG -> 2
    assert (got["true_entities"], got["predicted_entities"], got["correct"]) == (3, 4, 2)
    assert got["precision"] == pytest.approx(0.5) and got["recall"] == pytest.approx(2 / 3)
    assert got["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert got["per_type"]["PER"]["correct"] == 0


@pytest.mark.reference
def test_entity_scores_match_seqeval(rng: np.random.Generator) -> None:
    seqeval = pytest.importorskip("seqeval.metrics")
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    y_true = [[tags[i] for i in rng.integers(0, 5, size=rng.integers(1, 12))] for _ in range(200)]
    y_pred = [[t if rng.random() < 0.7 else tags[rng.integers(0, 5)] for t in s] for s in y_true]
    got = entity_scores(y_true, y_pred)
    assert got["f1"] == pytest.approx(seqeval.f1_score(y_true, y_pred), abs=1e-12)
    assert got["precision"] == pytest.approx(seqeval.precision_score(y_true, y_pred), abs=1e-12)
    assert got["recall"] == pytest.approx(seqeval.recall_score(y_true, y_pred), abs=1e-12)


def test_report_per_tag_matches_sklearn(rng: np.random.Generator) -> None:
    from sklearn.metrics import precision_recall_fscore_support

    tags = ["NOUN", "VERB", "DET", "ADJ"]
    y_true = [[tags[i] for i in rng.integers(0, 4, size=8)] for _ in range(30)]
    y_pred = [[t if rng.random() < 0.6 else tags[rng.integers(0, 4)] for t in s] for s in y_true]
    report = tagging_report(y_true, y_pred)
    flat_t = [t for s in y_true for t in s]
    flat_p = [t for s in y_pred for t in s]
    p, r, f, s = precision_recall_fscore_support(flat_t, flat_p, labels=report["labels"], zero_division=0)
    for i, lab in enumerate(report["labels"]):
        row = report["per_tag"][lab]
        assert (row["precision"], row["recall"], row["f1"], row["support"]) == pytest.approx((p[i], r[i], f[i], s[i]))
    assert np.asarray(report["confusion"]).sum() == report["tokens"] == 240
    assert "entity_f1" not in report and not is_bio(y_true)


def test_misaligned_tags_raise() -> None:
    with pytest.raises(DataError, match="sentence 0 has 2 true tags but 1"):
        token_accuracy([["A", "B"]], [["A"]])
    with pytest.raises(DataError, match="sentences"):
        token_accuracy([["A"]], [])
