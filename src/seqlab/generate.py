"""Decoding over the ``LanguageModel`` protocol: greedy, sampling (temperature, top-k, top-p), beam search.

Written once for n-gram and neural models alike. A model exposes ``begin(context)`` and
``advance(state, token_id)``; both return the next-token natural-log distribution over the
vocabulary, shape (V,), and a decoding state. States are values: ``advance`` never changes
the state it is given, so beam search can branch from one state many times. Carrying the
state (an n-gram context, an RNN hidden state, a Transformer KV cache) means the prefix is
read once, not re-fed at every step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

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
             seed: int | np.random.Generator | None = None, max_new_tokens: int | None = None) -> list[str]:
    """Sample a continuation of ``prompt`` (tokens) from ``lm``; stops at ``</s>``.

    The Markov-chain sampling of the source notes for n-grams, and ancestral sampling for
    neural models: each token is drawn from p(. | everything so far). A str prompt is split
    by the model's saved ``tokenizer_`` or refused (:func:`seqlab.protocols.as_tokens`).
    ``max_new_tokens`` is the length's name everywhere else; ``max_tokens`` stays its alias.
    For beam search, penalties, stop strings and several sequences see :func:`generate_sequences`.
    """
    if max_new_tokens is not None:
        if max_tokens not in (50, max_new_tokens):
            raise InvalidParameterError(f"max_tokens={max_tokens} is an alias of max_new_tokens={max_new_tokens}; "
                                        "give only max_new_tokens.")
        max_tokens = max_new_tokens
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
    stepper = LMStepper(lm, [as_tokens(lm, prompt, "prompt")])
    (results,) = beam_search_batch(stepper, 1, beam_size=beam_size, max_new_tokens=max_new_tokens,
                                   length_penalty=length_penalty, num_return_sequences=beam_size)
    decode = lm.vocabulary_.decode
    return [Hypothesis(decode(r.ids), r.log_prob, r.finished) for r in results]


# ---------------------------------------------------------------------------------------------------------------
# Batched decoding over a Stepper: one beam search and one sampler for LMs, conditional LMs, seq2seq and VAEs.
# ---------------------------------------------------------------------------------------------------------------
class Stepper(Protocol):
    """Decoding rows advanced together; each row belongs to one input (a prompt, a source, a latent code).

    ``start(rows)`` opens one decoding row per entry of ``rows`` (the input index of each row)
    and returns the first next-token log-probs, shape (R, V), and the state of those rows.
    ``step(state, ids)`` feeds one token id per row, shape (R,), and returns (R, V) log-probs
    and the new state. ``select(state, index)`` keeps the rows ``index`` (reordered, repeated)
    without changing ``state``. ``history(i)`` gives the token ids already in the context of
    input ``i`` (a prompt), which ``repetition_penalty`` and ``no_repeat_ngram_size`` count.
    """

    def start(self, rows: np.ndarray) -> tuple[np.ndarray, Any]: ...

    def step(self, state: Any, ids: np.ndarray) -> tuple[np.ndarray, Any]: ...

    def select(self, state: Any, index: np.ndarray) -> Any: ...

    def history(self, i: int) -> list[int]: ...


class LMStepper:
    """A :class:`Stepper` over the ``LanguageModel`` protocol: one ``begin``/``advance`` state per row."""

    def __init__(self, lm: LanguageModel, prompts: Sequence[Sequence[str]]) -> None:
        self.lm, self.prompts = lm, [list(p) for p in prompts]
        self._first: dict[int, tuple[np.ndarray, Any]] = {}

    def start(self, rows: np.ndarray) -> tuple[np.ndarray, list[Any]]:
        for i in set(rows.tolist()) - set(self._first):
            self._first[i] = self.lm.begin(self.prompts[i])  # read each prompt once
        return np.stack([self._first[i][0] for i in rows]), [self._first[i][1] for i in rows]

    def step(self, state: list[Any], ids: np.ndarray) -> tuple[np.ndarray, list[Any]]:
        out = [self.lm.advance(st, int(t)) for st, t in zip(state, ids, strict=True)]
        return np.stack([lp for lp, _ in out]), [st for _, st in out]

    def select(self, state: list[Any], index: np.ndarray) -> list[Any]:
        return [state[i] for i in index]

    def history(self, i: int) -> list[int]:
        return [self.lm.vocabulary_[t] for t in self.prompts[i]]


@dataclass(frozen=True)
class BeamResult:
    """One decoded sequence: ids (without ``</s>``), summed log-prob, length-normalised score, finished flag."""

    ids: list[int]
    log_prob: float
    score: float
    finished: bool


def _check_decoding(beam_size: int, max_new_tokens: int, length_penalty: float, repetition_penalty: float,
                    no_repeat_ngram_size: int, num_return_sequences: int) -> None:
    if not _is_int(beam_size) or beam_size < 1:
        raise InvalidParameterError(f"beam_size must be an int >= 1, got {beam_size!r}.")
    if not _is_int(max_new_tokens) or max_new_tokens < 1:
        raise InvalidParameterError(f"max_new_tokens must be an int >= 1, got {max_new_tokens!r}.")
    if not (isinstance(length_penalty, int | float) and np.isfinite(length_penalty)):
        raise InvalidParameterError(f"length_penalty must be a finite number, got {length_penalty!r}.")
    if not (isinstance(repetition_penalty, int | float) and 0 < repetition_penalty < np.inf):
        raise InvalidParameterError(f"repetition_penalty must be a finite number > 0 (1 = off), "
                                    f"got {repetition_penalty!r}.")
    if not _is_int(no_repeat_ngram_size) or no_repeat_ngram_size < 0:
        raise InvalidParameterError(f"no_repeat_ngram_size must be an int >= 0 (0 = off), "
                                    f"got {no_repeat_ngram_size!r}.")
    if not _is_int(num_return_sequences) or num_return_sequences < 1:
        raise InvalidParameterError(f"num_return_sequences must be an int >= 1, got {num_return_sequences!r}.")


def process_log_probs(log_probs: np.ndarray, histories: Sequence[Sequence[int]], *, repetition_penalty: float = 1.0,
                      no_repeat_ngram_size: int = 0) -> np.ndarray:
    """Apply the repetition penalty and the n-gram ban to (R, V) log-probs; each row renormalised.

    ``repetition_penalty`` (Keskar et al. 2019, CTRL) multiplies the log-probability of every
    token already in the row's history by the penalty (> 1 discourages repeats; log-probs are
    negative, so this is CTRL's rule for negative logits). ``no_repeat_ngram_size = n`` bans any
    token that would complete an n-gram already in the history. ``</s>`` is never banned, so a
    row always keeps a way to end.
    """
    lp = np.array(log_probs, dtype=np.float64)
    if repetition_penalty == 1.0 and not no_repeat_ngram_size:
        return lp
    n = no_repeat_ngram_size
    for r, hist in enumerate(histories):
        if repetition_penalty != 1.0 and len(hist):
            seen = np.unique(np.asarray(hist, dtype=np.int64))
            lp[r, seen] = lp[r, seen] * repetition_penalty
        if n and len(hist) >= n - 1:
            tail = tuple(hist[len(hist) - n + 1:]) if n > 1 else ()
            banned = [hist[k + n - 1] for k in range(len(hist) - n + 1) if tuple(hist[k:k + n - 1]) == tail]
            banned = [b for b in banned if b != EOS_ID]
            lp[r, banned] = -np.inf
    out: np.ndarray = lp - _logsumexp(lp)
    return out


def _best_extensions(totals: np.ndarray, log_probs: np.ndarray, m: int) -> tuple[list[list[int]], list[list[float]]]:
    """The ``m`` best (beam, token) extensions of each input, best first, ties by lower flat index.

    ``totals`` (A, K) beam scores, ``log_probs`` (A, K, V) next-token log-probabilities; returns
    per input the flat indices ``beam * V + token`` and their totals, as Python lists (the
    selection loop then runs on plain ints and floats).
    """
    cand = (totals[:, :, None] + log_probs).reshape(len(totals), -1)  # (A, K * V)
    m = min(m, cand.shape[1])
    top = np.argpartition(-cand, min(m, cand.shape[1] - 1), axis=1)[:, :m]  # (A, m), unordered
    vals = np.take_along_axis(cand, top, 1)
    order = np.lexsort((top, -vals), axis=-1)  # best first; ties by lower (beam, token)
    return np.take_along_axis(top, order, 1).tolist(), np.take_along_axis(vals, order, 1).tolist()


def beam_search_batch(stepper: Stepper, n_inputs: int, *, beam_size: int = 5, max_new_tokens: int = 50,
                      length_penalty: float = 1.0, repetition_penalty: float = 1.0, no_repeat_ngram_size: int = 0,
                      num_return_sequences: int = 1) -> list[list[BeamResult]]:
    """Batched beam search: every input's ``beam_size`` beams are advanced together, one ``step`` per token.

    At each step the ``2 * beam_size`` best extensions of an input's beams are visited best
    first: one ending in ``</s>`` (among the first ``beam_size``) finishes a hypothesis, the
    others refill the beams. An input is done when it holds ``beam_size`` finished hypotheses
    and the best live beam's score at the current length does not beat the worst of them
    (HF's ``early_stopping=False`` rule), or after ``max_new_tokens`` tokens, when the live
    beams are returned unfinished; done inputs leave the batch. Results are ranked by
    ``log_prob / length ** length_penalty``
    (length counts ``</s>``; 0 ranks by raw log-probability). ``beam_size=1`` is greedy
    decoding, and each input's result does not depend on the other inputs in the batch.

    Returns
    -------
    list (one per input) of list of BeamResult
        ``num_return_sequences`` results each, best first.
    """
    _check_decoding(beam_size, max_new_tokens, length_penalty, repetition_penalty, no_repeat_ngram_size,
                    num_return_sequences)
    if num_return_sequences > beam_size:
        raise InvalidParameterError(f"num_return_sequences={num_return_sequences} exceeds beam_size={beam_size}; "
                                    "a beam search returns at most beam_size sequences.")
    k = beam_size

    def score(total: float, length: int) -> float:
        return float(total / max(length, 1) ** length_penalty) if length_penalty else total

    prefixes = [list(stepper.history(i)) for i in range(n_inputs)]
    active = list(range(n_inputs))
    log_probs, state = stepper.start(np.repeat(np.arange(n_inputs), k))
    totals = np.tile(np.r_[0.0, np.full(k - 1, -np.inf)], (n_inputs, 1))  # (n, K): one live beam at first
    beams: list[list[list[int]]] = [[[] for _ in range(k)] for _ in range(n_inputs)]
    finished: list[list[BeamResult]] = [[] for _ in range(n_inputs)]
    for step in range(max_new_tokens):
        histories = [prefixes[i] + beams[i][b] for i in active for b in range(k)]
        lp = process_log_probs(log_probs, histories, repetition_penalty=repetition_penalty,
                               no_repeat_ngram_size=no_repeat_ngram_size)
        v = lp.shape[1]
        top, vals = _best_extensions(totals[active], lp.reshape(len(active), k, v), 2 * k)
        keep_rows, feed, still, still_totals = [], [], [], []
        for a, i in enumerate(active):
            new_beams, new_totals = [], []
            for rank, (flat, total) in enumerate(zip(top[a], vals[a], strict=True)):
                if not math.isfinite(total):
                    break
                b, tok = divmod(flat, v)
                if tok == EOS_ID:
                    if rank < k:
                        ids = beams[i][b]
                        finished[i].append(BeamResult(list(ids), total, score(total, len(ids) + 1), True))
                    continue
                new_beams.append((b, tok))
                new_totals.append(total)
                if len(new_beams) == k:
                    break
            finished[i] = sorted(finished[i], key=lambda h: -h.score)[:k]  # the k best finished so far
            if not new_beams or (len(finished[i]) >= k
                                 and finished[i][-1].score >= score(max(new_totals), step + 1)):
                continue  # done (no live beam can overtake the k-th finished one at this length): leaves the batch
            pad = k - len(new_beams)
            still_totals.append(new_totals + [-math.inf] * pad)
            beams[i] = [beams[i][b] + [tok] for b, tok in new_beams] + [[] for _ in range(pad)]
            src = [a * k + b for b, _ in new_beams]
            keep_rows += src + [src[0]] * pad  # padding rows carry -inf totals and are never chosen
            feed += [tok for _, tok in new_beams] + [new_beams[0][1]] * pad
            still.append(i)
        if still:
            totals[still] = still_totals
        active = still
        if not active:
            break
        if step + 1 < max_new_tokens:
            state = stepper.select(state, np.asarray(keep_rows, dtype=np.int64))
            log_probs, state = stepper.step(state, np.asarray(feed, dtype=np.int64))
    results = []
    for i in range(n_inputs):
        hyps = list(finished[i])
        if i in active:
            hyps += [BeamResult(list(ids), float(t), score(float(t), len(ids)), False)
                     for ids, t in zip(beams[i], totals[i], strict=True) if np.isfinite(t)]
        hyps.sort(key=lambda h: -h.score)
        results.append(hyps[:num_return_sequences])
    return results


def sample_batch(stepper: Stepper, n_inputs: int, config: SamplingConfig | None = None, *,
                 repetition_penalty: float = 1.0, no_repeat_ngram_size: int = 0, num_return_sequences: int = 1,
                 stop: Sequence[str] = (), token: Callable[[int], str] | None = None, joiner: str = " ",
                 callback: Callable[[str], None] | None = None,
                 seed: int | np.random.Generator | None = None) -> list[list[list[int]]]:
    """Greedy or sampled decoding of ``num_return_sequences`` rows per input, advanced together.

    Rows are drawn in order (input 0's rows first) from one generator, so one row with a seed
    gives the same ids as :func:`sample_ids`. A row ends at ``</s>`` (when
    ``config.stop_at_eos``), after ``config.max_new_tokens`` tokens, or when its text (tokens
    through ``token`` joined by ``joiner``) contains one of the ``stop`` strings; the token
    that completed a stop string is kept. ``callback(text)`` receives each new token's text
    as it is chosen (streaming; one row only).

    Returns
    -------
    list (one per input) of list (one per returned sequence) of token ids
    """
    config = config or SamplingConfig()
    _check_decoding(1, max(config.max_new_tokens, 1), 0.0, repetition_penalty, no_repeat_ngram_size,
                    num_return_sequences)
    stops = [stop] if isinstance(stop, str) else list(stop)
    if any(not isinstance(s, str) or not s for s in stops):
        raise InvalidParameterError(f"stop strings must be non-empty strings, got {stop!r}.")
    if (stops or callback is not None) and token is None:
        raise InvalidParameterError("stop strings and streaming need token=vocabulary.token to read token text.")
    if callback is not None and n_inputs * num_return_sequences != 1:
        raise InvalidParameterError(f"streaming prints one sequence; got {n_inputs} inputs x "
                                    f"{num_return_sequences} sequences. Stream one at a time.")
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(n_inputs), num_return_sequences)
    out: list[list[int]] = [[] for _ in rows]
    texts = [""] * len(rows)
    prefixes = [list(stepper.history(i)) for i in range(n_inputs)]
    if config.max_new_tokens == 0:
        return [[out[r] for r in range(i * num_return_sequences, (i + 1) * num_return_sequences)]
                for i in range(n_inputs)]
    log_probs, state = stepper.start(rows)
    live = list(range(len(rows)))
    for step in range(config.max_new_tokens):
        lp = process_log_probs(log_probs, [prefixes[rows[r]] + out[r] for r in live],
                               repetition_penalty=repetition_penalty, no_repeat_ngram_size=no_repeat_ngram_size)
        keep, feed = [], []
        for a, r in enumerate(live):
            tok = choose(lp[a], config, rng)
            if tok == EOS_ID and config.stop_at_eos:
                continue
            out[r].append(tok)
            if token is not None and (stops or callback is not None):
                piece = token(tok)
                texts[r] = texts[r] + joiner + piece if texts[r] else piece
                if callback is not None:
                    callback(piece)
                if any(s in texts[r] for s in stops):
                    continue
            keep.append(a)
            feed.append(tok)
        live = [live[a] for a in keep]
        if not live or step + 1 == config.max_new_tokens:
            break
        state = stepper.select(state, np.asarray(keep, dtype=np.int64))
        log_probs, state = stepper.step(state, np.asarray(feed, dtype=np.int64))
    return [[out[r] for r in range(i * num_return_sequences, (i + 1) * num_return_sequences)]
            for i in range(n_inputs)]


def generate_sequences(lm: LanguageModel, prompt: Sequence[str] = (), *, max_new_tokens: int | None = None,
                       max_tokens: int | None = None, temperature: float = 1.0, top_k: int | None = None,
                       top_p: float | None = None, greedy: bool = False, beam_size: int = 1,
                       length_penalty: float = 1.0, repetition_penalty: float = 1.0, no_repeat_ngram_size: int = 0,
                       stop: Sequence[str] = (), joiner: str = " ", num_return_sequences: int = 1,
                       callback: Callable[[str], None] | None = None,
                       seed: int | np.random.Generator | None = None) -> list[list[str]]:
    """Every decoding option of HF ``generate`` over any ``LanguageModel``: ``num_return_sequences`` token lists.

    ``beam_size > 1`` runs :func:`beam_search_batch` (no sampling knobs, no streaming, no stop
    strings); otherwise greedy or sampled decoding by :func:`sample_batch`. ``max_tokens`` is
    the older name of ``max_new_tokens`` (give one; default 50).
    """
    if max_new_tokens is not None and max_tokens is not None and max_new_tokens != max_tokens:
        raise InvalidParameterError(f"max_tokens={max_tokens} is an alias of max_new_tokens={max_new_tokens}; "
                                    "give only max_new_tokens.")
    length = max_new_tokens if max_new_tokens is not None else max_tokens if max_tokens is not None else 50
    stepper = LMStepper(lm, [as_tokens(lm, prompt, "prompt")])
    decode = lm.vocabulary_.decode
    if not _is_int(beam_size) or beam_size < 1:
        raise InvalidParameterError(f"beam_size must be an int >= 1, got {beam_size!r}.")
    if beam_size > 1:
        if temperature != 1.0 or top_k is not None or top_p is not None:
            raise InvalidParameterError("beam search ignores temperature, top_k and top_p; leave them unset "
                                        "or use beam_size=1 to sample.")
        if callback is not None or stop:
            raise InvalidParameterError("streaming and stop strings need beam_size=1; a beam's best sequence "
                                        "is known only at the end.")
        (hyps,) = beam_search_batch(stepper, 1, beam_size=beam_size, max_new_tokens=length,
                                    length_penalty=length_penalty, repetition_penalty=repetition_penalty,
                                    no_repeat_ngram_size=no_repeat_ngram_size,
                                    num_return_sequences=num_return_sequences)
        return [decode(h.ids) for h in hyps]
    config = SamplingConfig(max_new_tokens=length, temperature=temperature, top_k=top_k, top_p=top_p, greedy=greedy)
    (rows,) = sample_batch(stepper, 1, config, repetition_penalty=repetition_penalty,
                           no_repeat_ngram_size=no_repeat_ngram_size, num_return_sequences=num_return_sequences,
                           stop=stop, token=lm.vocabulary_.token, joiner=joiner, callback=callback, seed=seed)
    return [decode(ids) for ids in rows]
