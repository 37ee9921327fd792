"""The protocols every model family implements, so shared code is written once.

``LanguageModel`` is the contract of n-gram and neural language models alike: perplexity
(:mod:`seqlab.evaluate`), sampling and beam search (:mod:`seqlab.generate`) and the Bayes
classifier (:mod:`seqlab.classify`) use nothing else. Log probabilities are natural logs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from seqlab.data.vocab import Vocabulary


@runtime_checkable
class LanguageModel(Protocol):
    """A model of p(next token | previous tokens) over a fixed :class:`~seqlab.data.Vocabulary`.

    Conventions (DESIGN.md): each sentence is scored with ``<s>`` as its first context and
    ``</s>`` predicted at its end; ``<s>`` is never predicted; tokens outside the vocabulary
    are scored as ``<unk>`` and reported as OOV. Vector results are indexed by vocabulary id;
    ids that cannot be predicted (``<pad>``, ``<s>``) carry ``-inf``.
    """

    vocabulary_: Vocabulary

    def fit(self, sequences: Iterable[Sequence[str]]) -> Self:
        """Fit on token sequences (one sentence or document each)."""
        ...

    def log_prob(self, token: str, context: Sequence[str] = ()) -> float:
        """ln p(token | context); ``context`` excludes ``<s>`` unless given explicitly."""
        ...

    def next_log_probs(self, context: Sequence[str]) -> np.ndarray:
        """ln p(w | context) for every vocabulary id w: ndarray of shape (V,)."""
        ...

    def token_log_probs(self, corpus: Iterable[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Per-token ln p over a corpus, each sentence followed by ``</s>``.

        Returns ``(log_probs, is_oov)``, two flat arrays with one entry per predicted token
        (sum of sentence lengths + one ``</s>`` per sentence), in corpus order.
        """
        ...

    def begin(self, context: Sequence[str]) -> tuple[np.ndarray, Any]:
        """Start decoding after ``<s> + context``: (next log-probs of shape (V,), state)."""
        ...

    def advance(self, state: Any, token_id: int) -> tuple[np.ndarray, Any]:
        """Feed one token id to a decoding state: (next log-probs of shape (V,), new state)."""
        ...


@runtime_checkable
class Forecaster(Protocol):
    """A model of a numeric series that predicts the next ``horizon`` values."""

    def fit(self, series: np.ndarray) -> Self:
        """Fit on a series of shape (n_steps,) or (n_steps, n_features)."""
        ...

    def predict(self, horizon: int) -> np.ndarray:
        """Forecast the ``horizon`` values after the end of the fitted (or updated) series."""
        ...


@runtime_checkable
class SequenceClassifier(Protocol):
    """scikit-learn classifier contract over lists of sequences."""

    classes_: np.ndarray

    def fit(self, sequences: Sequence[Sequence[str]], labels: Sequence[Any]) -> Self: ...

    def predict(self, sequences: Sequence[Sequence[str]]) -> np.ndarray: ...

    def predict_proba(self, sequences: Sequence[Sequence[str]]) -> np.ndarray: ...

    def score(self, sequences: Sequence[Sequence[str]], labels: Sequence[Any]) -> float: ...
