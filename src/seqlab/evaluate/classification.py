"""Classification metrics and stratified splits, shared by every classifier in seqlab.

The definitions are scikit-learn's (``sklearn.metrics``), so figures compare one to one:

- ``accuracy``: fraction of exact matches.
- per class ``precision = TP / (TP + FP)``, ``recall = TP / (TP + FN)`` and their harmonic
  mean ``F1``; a ratio with a zero denominator is 0 (scikit-learn's ``zero_division=0``).
- ``macro F1``: the unweighted mean of per-class F1; ``micro F1``: F1 of the pooled counts,
  which for single-label problems equals accuracy.
- ``log loss``: mean negative natural log of the probability given to the true class, with
  probabilities clipped to ``[eps, 1 - eps]`` (``eps`` the float64 machine epsilon).

Labels may be any hashable values (str, int); classes are ordered as ``numpy.unique`` sorts
them unless ``labels`` is given. Splits are stratified: every class keeps its proportion in
every part, up to rounding.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqlab._validation import check_int
from seqlab.exceptions import DataError, InvalidParameterError

Labels = Sequence[Any] | np.ndarray | None  # class labels in a chosen order (None: sorted unique)

__all__ = [
    "ClassificationReport",
    "accuracy",
    "classification_report",
    "confusion_matrix",
    "f1_score",
    "log_loss",
    "precision_recall_f1",
    "stratified_kfold",
    "stratified_split",
]


# ---------------------------------------------------------------------- label handling
def _as_labels(y: Any, name: str) -> np.ndarray:
    arr = np.asarray(list(y) if not isinstance(y, np.ndarray) else y)
    if arr.ndim != 1:
        raise DataError(f"{name} must be a 1-D sequence of labels, got shape {arr.shape}.")
    return arr


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t, p = _as_labels(y_true, "y_true"), _as_labels(y_pred, "y_pred")
    if len(t) != len(p):
        raise DataError(f"y_true and y_pred must have the same length, got {len(t)} and {len(p)}.")
    if len(t) == 0:
        raise DataError("y_true and y_pred are empty; metrics need at least one sample.")
    if t.dtype.kind != p.dtype.kind and {t.dtype.kind, p.dtype.kind} - {"i", "u"}:
        # mixed kinds (e.g. str vs int) would compare unequal everywhere: compare as strings
        t, p = t.astype(str), p.astype(str)
    return t, p


def _label_set(labels: Labels, *arrays: np.ndarray) -> np.ndarray:
    if labels is not None:
        out = np.asarray(list(labels))
        if len(out) == 0:
            raise InvalidParameterError("labels must name at least one class, got an empty list.")
        if len(np.unique(out)) != len(out):
            raise InvalidParameterError(f"labels must be unique, got {list(out)}.")
        return out
    return np.unique(np.concatenate(arrays))


def _codes(y: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Index of each label in ``labels``; -1 for labels not in it."""
    lookup = {lab: i for i, lab in enumerate(labels.tolist())}
    return np.fromiter((lookup.get(v, -1) for v in y.tolist()), dtype=np.int64, count=len(y))


# ---------------------------------------------------------------------- metrics
def accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples whose predicted label equals the true one."""
    t, p = _pair(y_true, y_pred)
    return float(np.mean(t == p))


def confusion_matrix(y_true: Any, y_pred: Any, *, labels: Labels = None) -> np.ndarray:
    """Counts ``C[i, j]`` of samples of true class ``labels[i]`` predicted as ``labels[j]``.

    Returns
    -------
    ndarray of shape (n_classes, n_classes), int64
        Rows are true classes, columns predictions (scikit-learn's layout). Samples whose
        true or predicted label is not in ``labels`` are left out, as scikit-learn does.
    """
    t, p = _pair(y_true, y_pred)
    labs = _label_set(labels, t, p)
    k = len(labs)
    ti, pi = _codes(t, labs), _codes(p, labs)
    keep = (ti >= 0) & (pi >= 0)
    return np.bincount(ti[keep] * k + pi[keep], minlength=k * k).reshape(k, k).astype(np.int64)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros_like(num, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def precision_recall_f1(y_true: Any, y_pred: Any, *, labels: Labels = None
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision, recall, F1 and support (number of true samples of each class).

    Returns
    -------
    precision, recall, f1 : ndarray of shape (n_classes,)
    support : ndarray of shape (n_classes,), int64
        In the order of ``labels`` (default: the sorted union of both label arrays).
    """
    cm = confusion_matrix(y_true, y_pred, labels=labels).astype(np.float64)
    tp = np.diag(cm)
    precision = _ratio(tp, cm.sum(axis=0))
    recall = _ratio(tp, cm.sum(axis=1))
    f1 = _ratio(2 * precision * recall, precision + recall)
    return precision, recall, f1, cm.sum(axis=1).astype(np.int64)


def f1_score(y_true: Any, y_pred: Any, *, average: str | None = "macro",
             labels: Labels = None) -> float | np.ndarray:
    """F1 averaged as ``"macro"`` (mean over classes), ``"micro"`` (pooled counts) or ``None`` (per class)."""
    if average not in ("macro", "micro", None):
        raise InvalidParameterError(f"average must be 'macro', 'micro' or None, got {average!r}.")
    if average == "micro":
        cm = confusion_matrix(y_true, y_pred, labels=labels)
        tp = float(np.trace(cm))
        fp = float(cm.sum() - tp)  # every off-diagonal count is one FP and one FN
        return tp / (tp + fp) if tp + fp > 0 else 0.0
    _, _, f1, _ = precision_recall_f1(y_true, y_pred, labels=labels)
    return f1 if average is None else float(f1.mean())


def log_loss(y_true: Any, proba: Any, *, labels: Labels = None) -> float:
    """Mean negative natural log of the probability assigned to each sample's true class.

    Parameters
    ----------
    y_true : sequence of labels, length n_samples
    proba : array-like of shape (n_samples, n_classes)
        Class probabilities, columns in the order of ``labels`` (default: the sorted unique
        values of ``y_true``, as ``predict_proba``'s ``classes_`` are ordered).
    labels : sequence, optional
        The classes of the columns of ``proba``.
    """
    t = _as_labels(y_true, "y_true")
    prob = np.asarray(proba, dtype=np.float64)
    if prob.ndim != 2 or prob.shape[0] != len(t):
        raise DataError(f"proba must have shape (n_samples={len(t)}, n_classes), got {prob.shape}.")
    labs = _label_set(labels, t)
    if prob.shape[1] != len(labs):
        raise DataError(f"proba has {prob.shape[1]} columns but there are {len(labs)} classes {list(labs)}; "
                        "pass labels= in the column order.")
    idx = _codes(t, labs)
    if (idx < 0).any():
        bad = t[idx < 0][0]
        raise DataError(f"y_true holds the label {bad!r}, which is not among the classes {list(labs)}.")
    eps = np.finfo(np.float64).eps
    p = np.clip(prob[np.arange(len(t)), idx], eps, 1 - eps)
    return float(-np.mean(np.log(p)))


# ---------------------------------------------------------------------- report
@dataclass(frozen=True)
class ClassificationReport:
    """Accuracy, macro/micro F1 and per-class figures; ``str(report)`` is a printed table."""

    accuracy: float
    macro_f1: float
    micro_f1: float
    labels: list[Any]
    precision: list[float]
    recall: list[float]
    f1: list[float]
    support: list[int]
    confusion: list[list[int]] = field(repr=False)
    log_loss: float | None = None

    def per_class(self) -> dict[str, dict[str, float | int]]:
        """``{label: {"precision", "recall", "f1", "support"}}`` (labels as strings, for JSON)."""
        figures = zip(self.labels, self.precision, self.recall, self.f1, self.support, strict=True)
        return {str(lab): {"precision": p, "recall": r, "f1": f, "support": s} for lab, p, r, f, s in figures}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able figures: ``accuracy``, ``macro_f1``, ``micro_f1``, ``per_class``, ``confusion``."""
        out: dict[str, Any] = {"accuracy": self.accuracy, "macro_f1": self.macro_f1, "micro_f1": self.micro_f1,
                               "n_samples": int(sum(self.support)), "per_class": self.per_class(),
                               "labels": [str(x) for x in self.labels], "confusion": self.confusion}
        if self.log_loss is not None:
            out["log_loss"] = self.log_loss
        return out

    def __str__(self) -> str:
        figures = zip(self.labels, self.precision, self.recall, self.f1, self.support, strict=True)
        rows = [[str(lab), f"{p:.4f}", f"{r:.4f}", f"{f:.4f}", str(s)] for lab, p, r, f, s in figures]
        n = sum(self.support)
        rows.append(["macro avg", f"{np.mean(self.precision):.4f}", f"{np.mean(self.recall):.4f}",
                     f"{self.macro_f1:.4f}", str(n)])
        head = ["class", "precision", "recall", "f1", "support"]
        widths = [max(len(head[i]), *(len(r[i]) for r in rows)) for i in range(len(head))]

        def line(cells: list[str]) -> str:
            padded = (c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
            return "  ".join(padded)

        out = [line(head), "  ".join("-" * w for w in widths), *map(line, rows), "",
               f"accuracy  {self.accuracy:.4f}   macro F1  {self.macro_f1:.4f}   micro F1  {self.micro_f1:.4f}"]
        if self.log_loss is not None:
            out[-1] += f"   log loss  {self.log_loss:.4f}"
        return "\n".join(out)


def classification_report(y_true: Any, y_pred: Any, *, labels: Labels = None,
                          proba: Any = None) -> ClassificationReport:
    """All the figures above for one set of predictions (``proba`` adds the log loss).

    ``proba``'s columns must follow ``labels`` (or the sorted labels of ``y_true``).
    """
    t, p = _pair(y_true, y_pred)
    labs = _label_set(labels, t, p)
    prec, rec, f1, support = precision_recall_f1(t, p, labels=labs)
    loss = log_loss(t, proba, labels=labs) if proba is not None else None
    return ClassificationReport(
        accuracy=accuracy(t, p), macro_f1=float(f1.mean()),
        micro_f1=float(f1_score(t, p, average="micro", labels=labs)),
        labels=labs.tolist(), precision=prec.tolist(), recall=rec.tolist(), f1=f1.tolist(),
        support=support.tolist(), confusion=confusion_matrix(t, p, labels=labs.tolist()).tolist(), log_loss=loss)


# ---------------------------------------------------------------------- splits
def _class_indices(labels: Any, rng: np.random.Generator | None) -> list[np.ndarray]:
    y = _as_labels(labels, "labels")
    if len(y) == 0:
        raise DataError("labels is empty; a split needs at least one sample.")
    _, codes = np.unique(y, return_inverse=True)
    groups = []
    for c in range(codes.max() + 1):
        idx = np.flatnonzero(codes == c)
        if rng is not None:
            idx = rng.permutation(idx)
        groups.append(idx)
    return groups


def stratified_split(labels: Any, *, test_size: float = 0.2, random_state: int | None = 0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Hold-out split keeping each class's proportion: ``(train_indices, test_indices)``.

    Each class contributes ``round(test_size * n_class)`` samples to the test part, but at
    least one when it has two or more samples and never all of them, so every class with
    two samples is seen in training and tested. Indices are sorted; the same
    ``random_state`` gives the same split.
    """
    if not isinstance(test_size, float | int) or not 0 < test_size < 1:
        raise InvalidParameterError(f"test_size must be a fraction between 0 and 1, got {test_size!r}.")
    rng = np.random.default_rng(random_state)
    train, test = [], []
    for idx in _class_indices(labels, rng):
        n = len(idx)
        k = int(np.floor(test_size * n + 0.5))
        k = min(max(k, 1 if n >= 2 else 0), n - 1)
        test.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def stratified_kfold(labels: Any, *, n_splits: int = 5, shuffle: bool = True, random_state: int | None = 0
                     ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``n_splits`` ``(train_indices, test_indices)`` pairs; the test parts partition the data.

    Each class is dealt round-robin over the folds (after shuffling when ``shuffle``), with
    the starting fold rotated from class to class, so every fold holds ``n_class // n_splits``
    or one more of each class and fold sizes differ by at most one per class.
    Raises ``DataError`` when ``n_splits`` exceeds the number of samples.
    """
    n_splits = check_int(n_splits, "n_splits", low=2)
    rng = np.random.default_rng(random_state) if shuffle else None
    groups = _class_indices(labels, rng)
    n = sum(len(g) for g in groups)
    if n_splits > n:
        raise DataError(f"n_splits={n_splits} is more than the {n} samples; use n_splits <= {n}.")
    fold_of = np.empty(n, dtype=np.int64)
    offset = 0
    for idx in groups:
        fold_of[idx] = (np.arange(len(idx)) + offset) % n_splits
        offset += len(idx)
    for k in range(n_splits):
        yield np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
