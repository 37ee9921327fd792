"""Metrics of sequence-to-sequence outputs: exact match, token error rate, BLEU and chrF.

Hypotheses and references are token lists (characters, phonemes or words). Each hypothesis
may have several accepted references (CMUdict variants): exact match counts a hit on any of
them, and the token error rate takes the closest one. BLEU and chrF come from ``sacrebleu``,
the field's reference implementation (``pip install seqlab[bench]``), on space-joined tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from seqlab.exceptions import DataError, SeqlabError

__all__ = ["bleu", "chrf", "edit_distance", "exact_match", "seq2seq_metrics", "token_error_rate"]

Tokens = Sequence[str]


def _references(hypotheses: Sequence[Tokens], references: Sequence[Any]) -> list[list[list[str]]]:
    """Normalise references to one list of token lists per hypothesis (a single token list is wrapped)."""
    if len(hypotheses) != len(references):
        raise DataError(f"got {len(hypotheses)} hypotheses and {len(references)} references; give one "
                        "reference (or list of accepted references) per hypothesis.")
    if not hypotheses:
        raise DataError("no hypotheses to score; give at least one.")
    out = []
    for ref in references:
        if isinstance(ref, str):
            raise DataError(f"a reference must be a token list, got the string {ref[:30]!r}; split it first.")
        items = list(ref)
        if not items or isinstance(items[0], str):
            out.append([list(items)])
        else:
            out.append([list(r) for r in items])
    return out


def edit_distance(a: Tokens, b: Tokens) -> int:
    """Levenshtein distance between two token lists (insertions, deletions, substitutions cost 1).

    One numpy row per token of the shorter list: substitutions and deletions come from the row
    above, and the insertion chain ``cur[j] = min(cur[j], cur[j-1] + 1)`` is a running minimum
    (``j + cummin(cur - j)``), so a 1-token hypothesis against a million-token reference costs
    one pass over the reference, not a Python loop over every cell.

    >>> edit_distance("kitten", "sitting")
    3
    """
    if len(a) > len(b):
        a, b = b, a
    ids: dict[Any, int] = {}
    a_ids = np.array([ids.setdefault(t, len(ids)) for t in a], dtype=np.int64)
    b_ids = np.array([ids.setdefault(t, len(ids)) for t in b], dtype=np.int64)
    col = np.arange(len(b) + 1)
    prev = col.copy()
    for i, x in enumerate(a_ids, 1):
        cur = np.empty_like(prev)
        cur[0] = i
        cur[1:] = np.minimum(prev[:-1] + (b_ids != x), prev[1:] + 1)  # substitute or delete
        prev = col + np.minimum.accumulate(cur - col)  # insert
    return int(prev[-1])


def exact_match(hypotheses: Sequence[Tokens], references: Sequence[Any]) -> float:
    """Fraction of hypotheses equal to one of their references (sequence accuracy; 1 - WER for G2P).

    >>> exact_match([["a", "b"], ["c"]], [[["a", "b"], ["x"]], ["d"]])
    0.5
    """
    refs = _references(hypotheses, references)
    hits = sum(any(list(h) == r for r in rs) for h, rs in zip(hypotheses, refs, strict=True))
    return hits / len(refs)


def token_error_rate(hypotheses: Sequence[Tokens], references: Sequence[Any]) -> float:
    """Summed edit distance / summed reference length (PER for phonemes, CER for characters, WER for words).

    With several references the closest one is used (its distance and its length).

    >>> token_error_rate([["a", "b", "c"]], [["a", "x", "c", "d"]])
    0.5
    """
    refs = _references(hypotheses, references)
    errors = length = 0
    for h, rs in zip(hypotheses, refs, strict=True):
        d, r = min(((edit_distance(list(h), r), r) for r in rs), key=lambda t: (t[0], len(t[1])))
        errors += d
        length += len(r)
    if length == 0:
        raise DataError("every reference is empty; the token error rate needs reference tokens.")
    return errors / length


def _sacrebleu() -> Any:
    try:
        import sacrebleu
    except ImportError:
        raise SeqlabError("BLEU and chrF need sacrebleu; install it with `pip install seqlab[bench]`.") from None
    return sacrebleu


def _streams(hypotheses: Sequence[Tokens], references: Sequence[Any],
             joiner: str) -> tuple[list[str], list[list[str | None]]]:
    """Joined hypotheses and sacrebleu's reference streams: stream ``k`` holds each row's ``k``-th reference
    (None where a row has fewer)."""
    refs = _references(hypotheses, references)
    width = max(len(rs) for rs in refs)
    streams = [[joiner.join(rs[k]) if k < len(rs) else None for rs in refs] for k in range(width)]
    return [joiner.join(h) for h in hypotheses], streams


def bleu(hypotheses: Sequence[Tokens], references: Sequence[Any], *, joiner: str = " ") -> float:
    """Corpus BLEU (0-100) by ``sacrebleu.corpus_bleu`` on tokens joined by ``joiner``."""
    hyps, streams = _streams(hypotheses, references, joiner)
    return float(_sacrebleu().corpus_bleu(hyps, streams).score)


def chrf(hypotheses: Sequence[Tokens], references: Sequence[Any], *, joiner: str = " ") -> float:
    """Corpus chrF (0-100) by ``sacrebleu.corpus_chrf`` on tokens joined by ``joiner``."""
    hyps, streams = _streams(hypotheses, references, joiner)
    return float(_sacrebleu().corpus_chrf(hyps, streams).score)


def seq2seq_metrics(hypotheses: Sequence[Tokens], references: Sequence[Any], *, joiner: str = " ",
                    corpus_metrics: bool = True) -> dict[str, float]:
    """``exact_match``, ``token_error_rate`` and (when ``corpus_metrics``) ``bleu`` and ``chrf`` in one dict."""
    out = {"exact_match": exact_match(hypotheses, references),
           "token_error_rate": token_error_rate(hypotheses, references)}
    if corpus_metrics:
        out["bleu"] = bleu(hypotheses, references, joiner=joiner)
        out["chrf"] = chrf(hypotheses, references, joiner=joiner)
    return out
