"""Metrics of sequence taggers: token accuracy, accuracy on unseen words, per-tag scores, entities.

Inputs are lists of tag lists, one per sentence (``y_true[i][j]`` is the tag of token ``j`` of
sentence ``i``); true and predicted lists must have the same shape.

Entity-level scores follow the CoNLL-2000/2003 ``conlleval`` definition: a chunk is a maximal
run ``B-X I-X ... I-X`` (an ``I-X`` after ``O`` or after a chunk of another type also opens
one); a predicted chunk counts as correct only when its type, start and end all equal a true
chunk's.

>>> y_true = [["B-PER", "I-PER", "O", "B-LOC"]]
>>> y_pred = [["B-PER", "I-PER", "O", "B-ORG"]]
>>> entity_scores(y_true, y_pred)["f1"]            # 1 of 2 predicted chunks right, 1 of 2 found
0.5
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from seqlab.evaluate.classification import confusion_matrix, precision_recall_f1
from seqlab.exceptions import DataError

Tags = Sequence[Sequence[str]]


def _flat_pairs(y_true: Tags, y_pred: Tags) -> tuple[list[str], list[str]]:
    if len(y_true) != len(y_pred):
        raise DataError(f"y_true has {len(y_true)} sentences but y_pred has {len(y_pred)}; "
                        "give one predicted tag list per sentence.")
    t: list[str] = []
    p: list[str] = []
    for i, (a, b) in enumerate(zip(y_true, y_pred, strict=False)):
        if isinstance(a, str) or isinstance(b, str):
            raise DataError(f"sentence {i} is a single str; give a list of tags per sentence.")
        if len(a) != len(b):
            raise DataError(f"sentence {i} has {len(a)} true tags but {len(b)} predicted; "
                            "the tag lists must align token by token.")
        t.extend(a)
        p.extend(b)
    return t, p


def token_accuracy(y_true: Tags, y_pred: Tags) -> float:
    """Fraction of tokens tagged correctly (``nan`` when there are no tokens)."""
    t, p = _flat_pairs(y_true, y_pred)
    return float(np.mean(np.asarray(t, dtype=object) == np.asarray(p, dtype=object))) if t else float("nan")


def oov_accuracy(sentences: Sequence[Sequence[str]], y_true: Tags, y_pred: Tags,
                 known: Collection[str]) -> tuple[float, int]:
    """Accuracy on the tokens not in ``known`` (the training words) and how many there are.

    Returns ``(nan, 0)`` when every token was seen in training.
    """
    t, p = _flat_pairs(y_true, y_pred)
    words = [w for s in sentences for w in s]
    if len(words) != len(t):
        raise DataError(f"the sentences hold {len(words)} tokens but the tags {len(t)}; they must align.")
    hits = [a == b for w, a, b in zip(words, t, p, strict=False) if w not in known]
    return (float(np.mean(hits)) if hits else float("nan")), len(hits)


def is_bio(tags: Tags) -> bool:
    """True when every tag is ``O`` or ``B-X``/``I-X`` and at least one is not ``O``."""
    flat = [t for s in tags for t in s]
    return any(t != "O" for t in flat) and all(t == "O" or (t[:2] in ("B-", "I-") and len(t) > 2) for t in flat)


def bio_chunks(tags: Sequence[str]) -> set[tuple[str, int, int]]:
    """Chunks ``(type, start, end)`` (end exclusive) of one BIO tag list, as ``conlleval`` reads them."""
    chunks: set[tuple[str, int, int]] = set()
    kind: str | None = None
    start = 0
    for j, tag in enumerate([*tags, "O"]):
        prefix, _, typ = tag.partition("-") if tag != "O" else ("O", "", "")
        opens = prefix == "B" or (prefix == "I" and typ != kind)
        if kind is not None and (prefix == "O" or opens):
            chunks.add((kind, start, j))
            kind = None
        if opens:
            kind, start = typ, j
    return chunks


def entity_scores(y_true: Tags, y_pred: Tags) -> dict[str, Any]:
    """CoNLL entity-level precision, recall and F1, overall and per type.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1``, ``true_entities``, ``predicted_entities``,
        ``correct`` and ``per_type`` (the same keys for each entity type).
    """
    _flat_pairs(y_true, y_pred)
    counts: dict[str, list[int]] = {}   # type -> [true, predicted, correct]
    for a, b in zip(y_true, y_pred, strict=False):
        ct, cp = bio_chunks(a), bio_chunks(b)
        for chunks, k in ((ct, 0), (cp, 1), (ct & cp, 2)):
            for typ, _, _ in chunks:
                counts.setdefault(typ, [0, 0, 0])[k] += 1

    def prf(n_true: int, n_pred: int, n_ok: int) -> dict[str, Any]:
        p = n_ok / n_pred if n_pred else 0.0
        r = n_ok / n_true if n_true else 0.0
        return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
                "true_entities": n_true, "predicted_entities": n_pred, "correct": n_ok}

    total = [sum(c[k] for c in counts.values()) for k in range(3)]
    return {**prf(*total), "per_type": {typ: prf(*c) for typ, c in sorted(counts.items())}}


def tagging_report(y_true: Tags, y_pred: Tags, *, sentences: Sequence[Sequence[str]] | None = None,
                   known: Collection[str] | None = None) -> dict[str, Any]:
    """Every tagging metric in one JSON-able dict (what ``seqlab tag eval`` prints).

    Keys: ``accuracy``, ``tokens``, ``oov_accuracy`` (None when no token is unseen) and
    ``oov_tokens`` (when ``sentences`` and ``known`` are given), ``per_tag`` (tag -> precision, recall, f1, support),
    ``labels`` and ``confusion`` (rows true, columns predicted), and ``entity_f1``,
    ``entity_precision``, ``entity_recall`` for BIO-tagged data.
    """
    t, p = _flat_pairs(y_true, y_pred)
    labels = sorted(set(t) | set(p))
    precision, recall, f1, support = precision_recall_f1(t, p, labels=labels)
    report: dict[str, Any] = {"accuracy": token_accuracy(y_true, y_pred), "tokens": len(t)}
    if sentences is not None and known is not None:
        acc, n = oov_accuracy(sentences, y_true, y_pred, known)
        report["oov_accuracy"], report["oov_tokens"] = (acc if n else None), n   # None: no unseen token
    report["per_tag"] = {lab: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                               "support": int(support[i])} for i, lab in enumerate(labels)}
    report["labels"] = labels
    report["confusion"] = confusion_matrix(t, p, labels=labels).tolist()
    if is_bio(y_true):
        ent = entity_scores(y_true, y_pred)
        report["entity_precision"], report["entity_recall"], report["entity_f1"] = (
            ent["precision"], ent["recall"], ent["f1"])
    return report
