"""Language-model metrics, written once against the ``LanguageModel`` protocol.

Language models: perplexity and cross-entropy in bits, computed from
``LanguageModel.token_log_probs`` (so n-gram and neural models are measured identically).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from seqlab.protocols import LanguageModel, as_corpus


@dataclass(frozen=True)
class PerplexityReport:
    """Corpus-level language-model figures.

    ``tokens`` counts every predicted token (words + one ``</s>`` per sentence), OOV ones
    included; ``perplexity`` includes OOV tokens scored as ``<unk>`` (KenLM's "including
    OOVs"), ``perplexity_excl_oov`` leaves them out of both the sum and the count.
    """

    perplexity: float
    bits_per_token: float
    tokens: int
    oov: int
    log_prob: float
    perplexity_excl_oov: float
    sentences: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def perplexity_report(lm: LanguageModel, corpus: Iterable[Sequence[str]]) -> PerplexityReport:
    """Score ``corpus`` with ``lm`` and summarise it (natural-log sums, reported as ppl and bits)."""
    corpus = as_corpus(lm, corpus)  # a str sentence goes through lm.tokenizer_ or is refused, never split in chars
    log_probs, is_oov = lm.token_log_probs(corpus)
    return summarise_log_probs(np.asarray(log_probs, dtype=np.float64), np.asarray(is_oov, dtype=bool), len(corpus))


def summarise_log_probs(log_probs: np.ndarray, is_oov: np.ndarray, sentences: int) -> PerplexityReport:
    """Perplexity figures from per-token natural-log probabilities and an OOV mask."""
    n = int(log_probs.size)
    total = float(log_probs.sum())
    kept = log_probs[~is_oov]
    ppl = math.exp(-total / n) if n else math.nan
    ppl_excl = math.exp(-float(kept.sum()) / kept.size) if kept.size else math.nan
    bits = (-total / n) / math.log(2) if n else math.nan
    return PerplexityReport(perplexity=ppl, bits_per_token=bits, tokens=n, oov=int(is_oov.sum()),
                            log_prob=total, perplexity_excl_oov=ppl_excl, sentences=sentences)


def perplexity(lm: LanguageModel, corpus: Iterable[Sequence[str]]) -> float:
    """exp of the mean negative log-likelihood per predicted token (``</s>`` included)."""
    return perplexity_report(lm, corpus).perplexity
