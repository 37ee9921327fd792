"""Decoding over the ``LanguageModel`` protocol: greedy, sampling (temperature, top-k, top-p), beam search.

Written once for n-gram and neural models alike. A model exposes ``begin(context)`` and
``advance(state, token_id)``; both return the next-token natural-log distribution over the
vocabulary, shape (V,), and a decoding state. States are values: ``advance`` never changes
the state it is given, so beam search can branch from one state many times. Carrying the
state (an n-gram context, an RNN hidden state, a Transformer KV cache) means the prefix is
read once, not re-fed at every step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqlab._validation import is_int
from seqlab.data.vocab import EOS_ID
from seqlab.exceptions import InvalidParameterError
from seqlab.protocols import LanguageModel, as_tokens


@dataclass(frozen=True, kw_only=True)
class SamplingConfig:
    """How to pick each next token.

    Parameters
    ----------
    max_new_tokens : int, default=50
        Most tokens to generate (``</s>`` stops earlier when ``stop_at_eos``).
    temperature : float, default=1.0
        Log-probabilities are divided by it: < 1 sharpens, > 1 flattens.
    top_k : int or None
        Sample among the ``top_k`` most likely tokens only.
    top_p : float or None
        Nucleus sampling: the smallest set of most likely tokens whose mass reaches ``top_p``.
    greedy : bool, default=False
        Always take the most likely token (argmax); contradicts temperature/top_k/top_p.
    stop_at_eos : bool, default=True
        Stop when ``</s>`` is drawn (it is not included in the output).
    """

    max_new_tokens: int = 50
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    greedy: bool = False
    stop_at_eos: bool = True

    def __post_init__(self) -> None:
        if not _is_int(self.max_new_tokens) or self.max_new_tokens < 0:
            raise InvalidParameterError(f"max_new_tokens must be an int >= 0, got {self.max_new_tokens!r}.")
        if not (isinstance(self.temperature, int | float) and 0 < self.temperature < np.inf):
            raise InvalidParameterError(
                f"temperature must be a finite number > 0, got {self.temperature!r}. "
                "For argmax decoding use greedy=True."
            )
        if self.top_k is not None and (not _is_int(self.top_k) or self.top_k < 1):
            raise InvalidParameterError(f"top_k must be an int >= 1 or None, got {self.top_k!r}.")
        if self.top_p is not None and not (isinstance(self.top_p, int | float) and 0 < self.top_p <= 1):
            raise InvalidParameterError(f"top_p must be in (0, 1] or None, got {self.top_p!r}.")
        if self.greedy and (self.temperature != 1.0 or self.top_k is not None or self.top_p is not None):
            raise InvalidParameterError(
                "greedy=True ignores temperature, top_k and top_p; leave them unset or set greedy=False."
            )


_is_int = is_int  # the shared predicate of seqlab._validation


def filter_log_probs(log_probs: np.ndarray, config: SamplingConfig) -> np.ndarray:
    """Temperature, then top-k, then top-p, on log-probs of shape (V,) or (N, V); renormalised."""
    lp = np.asarray(log_probs, dtype=np.float64) / config.temperature
    if config.top_k is not None and config.top_k < lp.shape[-1]:
        kth = np.partition(lp, -config.top_k, axis=-1)[..., -config.top_k, None]
        lp = np.where(lp < kth, -np.inf, lp)
    if config.top_p is not None and config.top_p < 1:
        order = np.argsort(-lp, axis=-1, kind="stable")
        sorted_lp = np.take_along_axis(lp, order, axis=-1)
        probs = np.exp(sorted_lp - _logsumexp(sorted_lp))
        drop = np.cumsum(probs, axis=-1) - probs >= config.top_p  # mass before this token already reaches p
        sorted_lp = np.where(drop, -np.inf, sorted_lp)
        lp = np.empty_like(lp)
        np.put_along_axis(lp, order, sorted_lp, axis=-1)
    out: np.ndarray = lp - _logsumexp(lp)
    return out


def _logsumexp(a: np.ndarray) -> np.ndarray:
    m = np.max(a, axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out: np.ndarray = m + np.log(np.sum(np.exp(a - m), axis=-1, keepdims=True))
    return out


def choose(log_probs: np.ndarray, config: SamplingConfig, rng: np.random.Generator) -> int:
    """Pick one token id from a (V,) log-distribution according to ``config``."""
    if config.greedy:
        return int(np.argmax(log_probs))
    lp = filter_log_probs(log_probs, config)
    cdf = np.cumsum(np.exp(lp))
    return int(min(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"), len(cdf) - 1))


def sample_ids(lm: LanguageModel, prompt: Sequence[str] = (), config: SamplingConfig | None = None,
               *, seed: int | np.random.Generator | None = None) -> list[int]:
    """Generate token ids after ``<s> + prompt`` with carried decoding state."""
    config = config or SamplingConfig()
    rng = np.random.default_rng(seed)
    log_probs, state = lm.begin(as_tokens(lm, prompt, "prompt"))
    out: list[int] = []
    for _ in range(config.max_new_tokens):
        tok = choose(log_probs, config, rng)
        if tok == EOS_ID and config.stop_at_eos:
            break
        out.append(tok)
        if len(out) < config.max_new_tokens:
            log_probs, state = lm.advance(state, tok)
    return out


def generate(lm: LanguageModel, prompt: Sequence[str] = (), *, max_tokens: int = 50, temperature: float = 1.0,
             top_k: int | None = None, top_p: float | None = None, greedy: bool = False,
             seed: int | np.random.Generator | None = None) -> list[str]:
    """Sample a continuation of ``prompt`` (tokens) from ``lm``; stops at ``</s>``.

    The Markov-chain sampling of the source notes for n-grams, and ancestral sampling for
    neural models: each token is drawn from p(. | everything so far). A str prompt is split
    by the model's saved ``tokenizer_`` or refused (:func:`seqlab.protocols.as_tokens`).
    """
    config = SamplingConfig(max_new_tokens=max_tokens, temperature=temperature, top_k=top_k, top_p=top_p,
                            greedy=greedy)
    ids = sample_ids(lm, prompt, config, seed=seed)
    return lm.vocabulary_.decode(ids)


@dataclass(frozen=True)
class Hypothesis:
    """A beam-search result: tokens (without ``</s>``), total natural-log probability, finished flag."""

    tokens: list[str]
    log_prob: float
    finished: bool

    def score(self, length_penalty: float) -> float:
        """Length-normalised score: log_prob / (n_tokens + 1) ** length_penalty (``</s>`` counted)."""
        if not length_penalty:
            return self.log_prob
        return float(self.log_prob / (len(self.tokens) + int(self.finished)) ** length_penalty)


def beam_search(lm: LanguageModel, prompt: Sequence[str] = (), *, beam_size: int = 5, max_new_tokens: int = 50,
                length_penalty: float = 1.0) -> list[Hypothesis]:
    """Beam search for the most likely continuations of ``prompt``, best first.

    Keeps the ``beam_size`` best partial sequences by total log-probability at each step;
    a hypothesis ends when it emits ``</s>``. Final ranking divides by length**length_penalty
    (0 ranks by raw log-probability, which favours short outputs).
    """
    if not _is_int(beam_size) or beam_size < 1:
        raise InvalidParameterError(f"beam_size must be an int >= 1, got {beam_size!r}.")
    if not _is_int(max_new_tokens) or max_new_tokens < 1:
        raise InvalidParameterError(f"max_new_tokens must be an int >= 1, got {max_new_tokens!r}.")
    log_probs, state = lm.begin(as_tokens(lm, prompt, "prompt"))
    beams: list[tuple[float, list[int], np.ndarray, Any]] = [(0.0, [], log_probs, state)]
    finished: list[tuple[float, list[int]]] = []
    for step in range(max_new_tokens):
        candidates: list[tuple[float, list[int], int, Any]] = []
        for total, ids, lp, st in beams:
            top = np.argpartition(-lp, min(beam_size, lp.size - 1))[:beam_size]
            for tok in top:
                if np.isfinite(lp[tok]):
                    candidates.append((total + float(lp[tok]), ids, int(tok), st))
        candidates.sort(key=lambda c: -c[0])
        beams = []
        for total, ids, tok, st in candidates:
            if tok == EOS_ID:
                finished.append((total, ids))
            elif len(beams) < beam_size:
                if step + 1 < max_new_tokens:
                    nlp, nst = lm.advance(st, tok)
                else:
                    nlp, nst = log_probs, st  # never expanded again
                beams.append((total, ids + [tok], nlp, nst))
            if len(beams) >= beam_size and len(finished) >= beam_size:
                break
        if not beams:
            break
    decode = lm.vocabulary_.decode
    hyps = [Hypothesis(decode(ids), total, True) for total, ids in finished]
    hyps += [Hypothesis(decode(ids), total, False) for total, ids, _, _ in beams]
    hyps.sort(key=lambda h: -h.score(length_penalty))
    return hyps[:beam_size]
