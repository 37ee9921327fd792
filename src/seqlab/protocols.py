"""The protocols every model family implements, so shared code is written once.

``LanguageModel`` is the contract of n-gram and neural language models alike: perplexity
(:mod:`seqlab.evaluate`), sampling and beam search (:mod:`seqlab.generate`) and the Bayes
classifier (:mod:`seqlab.classify`) use nothing else. Log probabilities are natural logs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

import numpy as np

from seqlab.data.vocab import BOS
from seqlab.exceptions import DataError

if TYPE_CHECKING:
    from seqlab.data.tokenize import Tokenizer
    from seqlab.data.vocab import Vocabulary


@runtime_checkable
class LanguageModel(Protocol):
    """A model of p(next token | previous tokens) over a fixed :class:`~seqlab.data.Vocabulary`.

    Conventions (DESIGN.md): each sentence is scored with ``<s>`` as its first context and
    ``</s>`` predicted at its end; ``<s>`` is never predicted; tokens outside the vocabulary
    are scored as ``<unk>`` and reported as OOV. Vector results are indexed by vocabulary id;
    ids that cannot be predicted (``<pad>``, ``<s>``) carry ``-inf``.

    One ``<s>`` convention for every family: a ``context`` is the prefix of a sentence, with
    ``<s>`` implied before it; an explicit leading ``<s>`` is accepted and not doubled
    (:func:`sentence_prefix`). So ``log_prob("a", []) == log_prob("a", ["<s>"])`` and, for a
    sentence ``w``, ``sum(log_prob(w[i], w[:i])) + log_prob("</s>", w)`` is its chain-rule
    total, ``sentence_log_prob(w)``. ``score(corpus)`` is the mean ln p per predicted token
    (higher is better) and ``perplexity(corpus) == exp(-score(corpus))``.
    :class:`LanguageModelMixin` implements every verb but the primitives once.
    """

    vocabulary_: Vocabulary

    def fit(self, sequences: Iterable[Sequence[str]]) -> Self:
        """Fit on token sequences (one sentence or document each)."""
        ...

    def log_prob(self, token: str, context: Sequence[str] = ()) -> float:
        """ln p(token | <s> + context): ``context`` is a sentence prefix (a leading ``<s>`` is not doubled)."""
        ...

    def next_log_probs(self, context: Sequence[str]) -> np.ndarray:
        """ln p(w | <s> + context) for every vocabulary id w: ndarray of shape (V,)."""
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

    def sentence_log_prob(self, sentence: Sequence[str]) -> float:
        """Total ln p of ``<s> sentence </s>`` by the chain rule (KenLM's per-sentence score)."""
        ...

    def score(self, corpus: Iterable[Sequence[str]]) -> float:
        """Mean ln p per predicted token over ``corpus`` (``</s>`` included); higher is better."""
        ...

    def perplexity(self, corpus: Iterable[Sequence[str]]) -> float:
        """exp(-score(corpus))."""
        ...

    def generate(self, prompt: Sequence[str] = (), max_tokens: int = 50) -> list[str]:
        """Sample a continuation of ``<s> + prompt``, stopping at ``</s>`` (``max_new_tokens`` is the alias)."""
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

    def update(self, new_values: Any, *, refit: bool = True, forget: int = 0) -> Self:
        """Append observed values, drop the ``forget`` oldest, and re-estimate if ``refit`` (the backtest path)."""
        ...

    def score(self, series: Any) -> float:
        """Negative MAE of one-step forecasts over ``series`` read as the continuation; higher is better."""
        ...


@runtime_checkable
class SequenceClassifier(Protocol):
    """scikit-learn classifier contract over lists of sequences.

    ``predict_proba`` rows sum to 1 over ``classes_``; ``predict`` is the ``classes_`` entry of
    the most probable class; ``score`` is accuracy (higher is better). A str where a sequence is
    expected is split by the model's ``tokenizer_`` or refused, never read as characters.
    """

    classes_: np.ndarray

    def fit(self, sequences: Sequence[Sequence[str]], labels: Sequence[Any]) -> Self: ...

    def predict(self, sequences: Sequence[Sequence[str]]) -> np.ndarray: ...

    def predict_proba(self, sequences: Sequence[Sequence[str]]) -> np.ndarray: ...

    def predict_log_proba(self, sequences: Sequence[Sequence[str]]) -> np.ndarray: ...

    def score(self, sequences: Sequence[Sequence[str]], labels: Sequence[Any]) -> float: ...


# ---------------------------------------------------------------------- shared LM verbs
def sentence_prefix(context: Sequence[str]) -> list[str]:
    """The one ``<s>`` convention: ``context`` is a sentence prefix with ``<s>`` implied before it.

    An explicit ``<s>`` is accepted and never doubled: everything up to and including the
    last ``<s>`` is dropped (nothing before a sentence start can matter), so ``[]``,
    ``["<s>"]`` and ``["x", "</s>", "<s>"]`` are the same (empty) prefix.
    """
    ctx = [str(t) for t in context]
    if BOS in ctx:
        ctx = ctx[len(ctx) - ctx[::-1].index(BOS):]
    return ctx


def as_tokens(model: Any, value: Any, name: str = "tokens") -> list[str]:
    """``value`` as a list of tokens; a str is tokenised with ``model.tokenizer_`` or refused.

    A str is never iterated as characters: it goes through the model's saved tokenizer
    (``tokenizer_``, a :class:`~seqlab.data.tokenize.Tokenizer` or its JSON form) when the
    model has one, and otherwise raises :class:`~seqlab.exceptions.DataError`.
    """
    if type(value) is list:  # the common case first: ABC checks cost more than the rest of the work
        if value and not isinstance(value[0], str):
            raise DataError(
                f"{name}[0] is a {type(value[0]).__name__}, but {name} must be a list of str tokens "
                "(a corpus where a sentence is expected?).")
        return value
    if isinstance(value, bytes):
        raise DataError(f"{name} must be a list of tokens or a str, got bytes; decode it first.")
    if isinstance(value, str):
        tokenizer = model_tokenizer(model)
        if tokenizer is None:
            raise DataError(
                f"{name} is a str, but this {type(model).__name__} has no tokenizer_ to split it; "
                f"pass a list of tokens instead (e.g. {name}.split()).")
        return tokenizer(value)
    if not isinstance(value, Iterable):
        raise DataError(f"{name} must be a list of tokens, got {type(value).__name__}.")
    out = value if isinstance(value, list) else list(value)
    if out and not isinstance(out[0], str):  # the first token tells a corpus from a sentence, cheaply
        raise DataError(
            f"{name}[0] is a {type(out[0]).__name__}, but {name} must be a list of str tokens "
            "(a corpus where a sentence is expected?).")
    return out


def as_corpus(model: Any, corpus: Any, name: str = "corpus") -> list[list[str]]:
    """``corpus`` as a list of token lists; each str sentence goes through :func:`as_tokens`.

    A single str where a corpus is expected raises :class:`~seqlab.exceptions.DataError`.
    """
    if isinstance(corpus, str | bytes):
        raise DataError(f"{name} must be a list of sentences, got a single str; "
                        f"wrap it in a list ([{name}]) to score one sentence.")
    if type(corpus) is list and all(type(sent) is list and (not sent or type(sent[0]) is str) for sent in corpus):
        return list(corpus)  # already lists of str tokens (the first token of each tells, as in as_tokens)
    if not isinstance(corpus, Iterable):
        raise DataError(f"{name} must be a list of sentences, got {type(corpus).__name__}.")
    return [as_tokens(model, sent, f"{name}[{i}]") for i, sent in enumerate(corpus)]


def model_tokenizer(model: Any) -> Tokenizer | None:
    """The model's saved tokenizer as a :class:`~seqlab.data.tokenize.Tokenizer`, or None."""
    from seqlab.data.tokenize import Tokenizer, tokenizer_from_json

    saved = getattr(model, "tokenizer_", None)
    if isinstance(saved, Tokenizer):
        return saved
    if isinstance(saved, dict):
        return tokenizer_from_json(saved)
    return None


class LanguageModelMixin:
    """The verbs every language model shares, written once over its primitives.

    A class provides ``vocabulary_``, ``token_log_probs(corpus)``, ``begin(context)`` and
    ``advance(state, token_id)`` (and may override ``next_log_probs`` for speed); it gets
    ``next_log_probs``, ``log_prob``, ``sentence_log_prob``, ``score``, ``perplexity`` and
    ``generate`` with one meaning for every family:

    - ``context`` is the sentence prefix: ``<s>`` is implied at its start, an explicit
      leading ``<s>`` is accepted and not doubled (:func:`sentence_prefix`), so
      ``log_prob(w, []) == log_prob(w, ["<s>"])`` and
      ``sum(log_prob(w_i, w[:i])) + log_prob("</s>", w) == sentence_log_prob(w)``;
    - ``score(corpus)`` is the mean ln p per predicted token (``</s>`` included, higher is
      better) and ``perplexity(corpus) == exp(-score(corpus))``;
    - a str where tokens are expected goes through the model's ``tokenizer_`` or raises
      :class:`~seqlab.exceptions.DataError` (:func:`as_tokens`); never characters.
    """

    vocabulary_: Vocabulary

    # primitives, provided by each model
    def token_log_probs(self, corpus: Iterable[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def begin(self, context: Sequence[str]) -> tuple[np.ndarray, Any]:
        raise NotImplementedError

    def advance(self, state: Any, token_id: int) -> tuple[np.ndarray, Any]:
        raise NotImplementedError

    # shared verbs
    def _prefix(self, context: Any, name: str = "context") -> list[str]:
        """The sentence prefix ``context`` means (str tokenised, ``<s>`` convention applied)."""
        return sentence_prefix(as_tokens(self, context, name))

    def next_log_probs(self, context: Sequence[str] = ()) -> np.ndarray:
        """ln p(w | <s> + context) for every vocabulary id w: ndarray of shape (V,).

        ``<pad>`` and ``<s>`` (never predicted) carry ``-inf``.
        """
        return self.begin(self._prefix(context))[0]

    def log_prob(self, token: str, context: Sequence[str] = ()) -> float:
        """ln p(token | <s> + context), natural log; an unknown token is scored as ``<unk>``."""
        if not isinstance(token, str):
            raise DataError(f"token must be a str, got {type(token).__name__}; "
                            "score a whole sentence with sentence_log_prob.")
        return float(self.next_log_probs(context)[self.vocabulary_[token]])

    def sentence_log_prob(self, sentence: Sequence[str]) -> float:
        """Total ln p of one sentence by the chain rule: ``<s> w1 .. wk </s>`` (KenLM's ``score``, natural log)."""
        tokens = as_tokens(self, sentence, "sentence")
        log_probs, _ = self.token_log_probs([tokens])
        return float(np.sum(log_probs))

    def score(self, corpus: Iterable[Sequence[str]], y: Any = None) -> float:
        """Mean ln p per predicted token over ``corpus`` (``</s>`` included); higher is better.

        ``y`` is ignored (scikit-learn passes it to unsupervised estimators).
        """
        return self._mean_log_prob(corpus)

    def perplexity(self, corpus: Iterable[Sequence[str]]) -> float:
        """exp of the mean negative ln p per predicted token (``</s>`` included, OOVs as ``<unk>``)."""
        return math.exp(-self._mean_log_prob(corpus))

    def _mean_log_prob(self, corpus: Iterable[Sequence[str]]) -> float:
        log_probs, _ = self.token_log_probs(as_corpus(self, corpus))
        if np.size(log_probs) == 0:
            raise DataError("corpus holds no sentences to score; give at least one (an empty one predicts </s>).")
        return float(np.mean(log_probs))

    def generate(self, prompt: Sequence[str] | str = (), max_tokens: int = 50, temperature: float = 1.0,
                 top_k: int | None = None, top_p: float | None = None, greedy: bool = False,
                 seed: int | np.random.Generator | None = None, *, max_new_tokens: int | None = None,
                 **options: Any) -> list[str]:
        """Sample a continuation of ``prompt`` (after ``<s>``); stops at ``</s>``, which is not returned.

        One implementation for every family: :func:`seqlab.generate.generate` over
        ``begin``/``advance``. A str prompt goes through ``tokenizer_`` (see :func:`as_tokens`).
        ``max_new_tokens`` is the length's name everywhere else (``max_tokens`` stays its alias).
        Any option of :func:`seqlab.generate.generate_sequences` (``beam_size``,
        ``repetition_penalty``, ``no_repeat_ngram_size``, ``stop``, ...) gives its first sequence.
        """
        from seqlab.generate import generate, generate_sequences

        if options:
            length = max_new_tokens if max_new_tokens is not None else max_tokens
            return generate_sequences(self, prompt, max_new_tokens=length, temperature=temperature,  # type: ignore[arg-type]
                                      top_k=top_k, top_p=top_p, greedy=greedy, seed=seed, **options)[0]
        return generate(self, prompt, max_tokens=max_tokens, temperature=temperature,  # type: ignore[arg-type]
                        top_k=top_k, top_p=top_p, greedy=greedy, seed=seed, max_new_tokens=max_new_tokens)
