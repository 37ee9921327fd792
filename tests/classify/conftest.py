"""A tiny, slow, obviously-correct Lidstone n-gram LM implementing the LanguageModel protocol.

It lets the classifier's tests check that any protocol implementation plugs in (not only
``NGramLM``) and gives a brute-force reference for the vectorised scoring paths.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pytest

from seqlab import io
from seqlab.base import BaseModel
from seqlab.data.vocab import BOS, BOS_ID, EOS, PAD_ID, Vocabulary


@io.register
class ToyLidstoneLM(BaseModel):
    """p(w | h) = (c(h, w) + alpha) / (c(h) + alpha * V'), V' = every id but <pad> and <s>."""

    def __init__(self, *, order: int = 2, alpha: float = 0.5, vocabulary: Vocabulary | None = None) -> None:
        self.order, self.alpha, self.vocabulary = order, alpha, vocabulary

    def fit(self, sequences: Any) -> ToyLidstoneLM:
        seqs = [list(s) for s in sequences]
        self.vocabulary_ = self.vocabulary if self.vocabulary is not None else Vocabulary.build(seqs)
        self.ngrams_: Counter[tuple[str, ...]] = Counter()
        self.contexts_: Counter[tuple[str, ...]] = Counter()
        for s in seqs:
            padded = [BOS] * (self.order - 1) + [t if t in self.vocabulary_ else "<unk>" for t in s] + [EOS]
            for i in range(self.order - 1, len(padded)):
                h = tuple(padded[i - self.order + 1:i])
                self.ngrams_[h + (padded[i],)] += 1
                self.contexts_[h] += 1
        return self

    def _h(self, context: Any) -> tuple[str, ...]:
        context = list(context)
        while context and context[0] == BOS:  # an explicit sentence start; the padding below adds it
            context = context[1:]
        padded = [BOS] * (self.order - 1) + [t if t in self.vocabulary_ else "<unk>" for t in context]
        return tuple(padded[len(padded) - self.order + 1:]) if self.order > 1 else ()

    def log_prob(self, token: str, context: Any = ()) -> float:
        h = self._h(context)
        w = token if token in self.vocabulary_ else "<unk>"
        v = len(self.vocabulary_) - 2
        return math.log((self.ngrams_[h + (w,)] + self.alpha) / (self.contexts_[h] + self.alpha * v))

    def next_log_probs(self, context: Any) -> np.ndarray:
        out = np.array([self.log_prob(t, context) for t in self.vocabulary_.itos])
        out[[PAD_ID, BOS_ID]] = -np.inf
        return out

    def token_log_probs(self, corpus: Any) -> tuple[np.ndarray, np.ndarray]:
        lps, oov = [], []
        for s in corpus:
            s = list(s)
            for i, t in enumerate(s + [EOS]):
                lps.append(self.log_prob(t, s[max(0, i - self.order + 1):i]))
                oov.append(t not in self.vocabulary_)
        return np.array(lps), np.array(oov, dtype=bool)

    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return ({"vocabulary": self.vocabulary_.to_json(),
                 "ngrams": [[list(k), c] for k, c in self.ngrams_.items()],
                 "contexts": [[list(k), c] for k, c in self.contexts_.items()]}, {"dummy": np.zeros(2)})

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
        obj = cls(**params)
        obj.vocabulary_ = Vocabulary.from_json(state["vocabulary"])
        obj.ngrams_ = Counter({tuple(k): c for k, c in state["ngrams"]})
        obj.contexts_ = Counter({tuple(k): c for k, c in state["contexts"]})
        return obj


@pytest.fixture
def toy_lm() -> type[ToyLidstoneLM]:
    return ToyLidstoneLM
