"""Intrinsic evaluation of word vectors: analogy accuracy and word-similarity correlation.

Both follow gensim's ``KeyedVectors.evaluate_word_analogies`` / ``evaluate_word_pairs`` so that
figures are comparable: the same files (``questions-words.txt``, ``wordsim353.tsv``), the same
vocabulary restriction, case folding and coverage rules. Analogies are scored in batches of
questions with one matrix product each instead of one query per question.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from seqlab.exceptions import DataError, FormatError, InvalidParameterError

if TYPE_CHECKING:
    from seqlab.embed.embeddings import Embeddings

_BATCH = 256


def _read_text_lines(path: str | os.PathLike[str]) -> list[str]:
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p} does not exist or is not a file; give the path of an evaluation file.")
    raw = p.read_bytes()
    try:
        return raw.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise FormatError(f"{p}: line {line} is not valid UTF-8 (byte offset {exc.start}); fix the file.") from None


def _ok_vocab(emb: Embeddings, restrict_vocab: int, case_insensitive: bool) -> tuple[dict[str, int], list[str]]:
    """Searchable words: the first ``restrict_vocab``; the most frequent case variant wins."""
    if not isinstance(restrict_vocab, int) or restrict_vocab < 1:
        raise InvalidParameterError(f"restrict_vocab must be an int >= 1, got {restrict_vocab!r}.")
    keys = emb.index_to_key[:restrict_vocab]
    folded = [k.upper() for k in keys] if case_insensitive else list(keys)
    ok: dict[str, int] = {}
    for i in range(len(keys) - 1, -1, -1):
        ok[folded[i]] = i
    return ok, folded


def evaluate_analogies(emb: Embeddings, path: str | os.PathLike[str], restrict_vocab: int = 30000, *,
                       case_insensitive: bool = True, method: str = "3cosadd") -> dict[str, Any]:
    """See :meth:`seqlab.embed.Embeddings.evaluate_analogies`."""
    if method not in ("3cosadd", "3cosmul"):
        raise InvalidParameterError(f"method must be '3cosadd' or '3cosmul', got {method!r}.")
    ok, folded = _ok_vocab(emb, restrict_vocab, case_insensitive)
    names: list[str] = []
    asked: list[int] = []
    quads: list[tuple[int, int, int, int, int]] = []  # (section, a, b, c, expected)
    for line_no, line in enumerate(_read_text_lines(path), start=1):
        if line.startswith(": "):
            names.append(line[2:].strip())
            asked.append(0)
            continue
        words = line.split()
        if len(words) != 4:
            continue  # gensim skips malformed lines too
        if not names:
            raise FormatError(f"{path}: line {line_no} comes before any ': section' header.")
        if case_insensitive:
            words = [w.upper() for w in words]
        asked[-1] += 1
        if all(w in ok for w in words):
            quads.append((len(names) - 1, *(ok[w] for w in words)))  # type: ignore[arg-type]
    if not names or not sum(asked):
        raise FormatError(f"{path} holds no analogy questions (': section' headers then 'a b c d' lines).")
    correct = np.zeros(len(quads), bool)
    if quads:
        q = np.asarray(quads, dtype=np.int64)
        units = emb.unit_vectors[: len(folded)]
        for lo in range(0, len(q), _BATCH):
            correct[lo:lo + _BATCH] = _answer_batch(units, folded, q[lo:lo + _BATCH], method)
    sections = []
    sec = np.asarray([t[0] for t in quads], dtype=np.int64)
    for s, name in enumerate(names):
        mask = sec == s
        n_cov, n_ok = int(mask.sum()), int(correct[mask].sum())
        sections.append({"section": name, "correct": n_ok, "covered": n_cov, "questions": asked[s],
                         "accuracy": n_ok / n_cov if n_cov else float("nan")})
    n_cov, n_ok, n_all = len(quads), int(correct.sum()), int(sum(asked))
    return {"accuracy": n_ok / n_cov if n_cov else float("nan"), "coverage": n_cov / n_all,
            "correct": n_ok, "covered": n_cov, "questions": n_all, "sections": sections}


def _answer_batch(units: np.ndarray, folded: list[str], q: np.ndarray, method: str) -> np.ndarray:
    """Whether each question (a, b, c, expected) is answered correctly."""
    a, b, c, d = q[:, 1], q[:, 2], q[:, 3], q[:, 4]
    if method == "3cosadd":
        scores = (units[b] + units[c] - units[a]) @ units.T  # (n, R); ranking as gensim's normalised mean
    else:
        scores = _shifted_cos(units, b) * _shifted_cos(units, c) / (_shifted_cos(units, a) + 1e-6)
    rows = np.arange(len(q))
    for col in (a, b, c):
        scores[rows, col] = -np.inf
    k = min(8, scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable"), 1)
    out = np.zeros(len(q), bool)
    for r in range(len(q)):
        ignore = {folded[a[r]], folded[b[r]], folded[c[r]]}
        predicted = None
        for i in top[r, :5]:  # gensim looks at the five best answers only
            predicted = folded[i]
            if predicted not in ignore:
                break
        out[r] = predicted == folded[d[r]]
    return out


def _shifted_cos(units: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Cosines of the given rows with every word, mapped to [0, 1] (Levy & Goldberg's 3CosMul)."""
    return np.asarray((1.0 + units[rows] @ units.T) / 2.0)


def evaluate_similarity(emb: Embeddings, path: str | os.PathLike[str], restrict_vocab: int = 300000, *,
                        case_insensitive: bool = True) -> dict[str, Any]:
    """See :meth:`seqlab.embed.Embeddings.evaluate_similarity`."""
    ok, _ = _ok_vocab(emb, restrict_vocab, case_insensitive)
    gold: list[float] = []
    model: list[float] = []
    n_pairs = 0
    units = emb.unit_vectors
    for line in _read_text_lines(path):
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            continue
        try:
            score = float(parts[2])
        except ValueError:
            continue
        w1, w2 = (parts[0].upper(), parts[1].upper()) if case_insensitive else (parts[0], parts[1])
        n_pairs += 1
        if w1 in ok and w2 in ok:
            gold.append(score)
            model.append(float(units[ok[w1]] @ units[ok[w2]]))
    if n_pairs == 0:
        raise FormatError(f"{path} holds no 'word1<TAB>word2<TAB>score' lines.")
    if len(gold) < 3:
        raise DataError(f"Only {len(gold)} of the {n_pairs} pairs in {path} have both words in the vocabulary; "
                        "need at least 3 to correlate.")
    g, m = np.asarray(gold), np.asarray(model)
    return {"spearman": _pearson(_rank(g), _rank(m)), "pearson": _pearson(g, m),
            "coverage": len(gold) / n_pairs, "pairs": n_pairs, "covered": len(gold)}


def _rank(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (scipy's ``rankdata(method='average')``)."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    ranks = np.empty(len(x))
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and xs[j + 1] == xs[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    x, y = x - x.mean(), y - y.mean()
    den = float(np.sqrt((x @ x) * (y @ y)))
    return float(x @ y) / den if den > 0 else float("nan")
