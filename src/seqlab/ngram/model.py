"""``NGramLM``: an n-gram (order N-1 Markov) language model behind the ``LanguageModel`` protocol.

Counting, smoothing and scoring are vectorised (see :mod:`seqlab.ngram._kernels`); the
model itself is the backoff form that ARPA files store, so what seqlab scores, what it
writes to ARPA and what KenLM reads back are the same numbers.
"""

from __future__ import annotations

import logging
import math
import sys
import warnings
from collections.abc import Iterable, Sequence
from itertools import chain, repeat
from pathlib import Path
from typing import Any, Self

import numpy as np

from seqlab.base import BaseModel, int_at_least
from seqlab.data.tokenize import Tokenizer, tokenizer_from_json, tokenizer_to_json
from seqlab.data.vocab import BOS, BOS_ID, PAD_ID, SPECIALS, UNK_ID, Vocabulary
from seqlab.exceptions import DataError, FormatError, InvalidParameterError
from seqlab.io import register
from seqlab.ngram import _kernels as K
from seqlab.ngram.smoothing import Estimate, ModifiedKneserNey, Smoothing
from seqlab.protocols import LanguageModelMixin, as_corpus, as_tokens

MAX_ORDER = 10
#: corpora with at least this many positions are scored by the compiled path
#: (:mod:`seqlab.ngram._fastscore`); below it, importing numba (~0.15 CPU-s) and its first
#: call in a process (~0.2 CPU-s to set up the compiler, even with every kernel cached) would
#: cost more than they save (the numpy scorer does ~2.6M tokens per CPU-s, the compiled one
#: ~6M), so the numpy scorer runs unless numba is loaded already. Both give equal bits.
FAST_SCORE_MIN_POSITIONS = 1_000_000
DEFAULT_SMOOTHING = ModifiedKneserNey()  # frozen, so one shared default instance is safe
log = logging.getLogger(__name__)  # debug records mark the phases of a fit (bench/ngram_memory.py)


@register
class NGramLM(LanguageModelMixin, BaseModel):
    """N-gram language model over token sequences (one sentence per sequence).

    Parameters
    ----------
    order : int, default=3
        Largest n-gram length N, 1..10 (``order=1`` is a unigram model).
    smoothing : Smoothing, default=ModifiedKneserNey()
        Strategy turning counts into probabilities (:mod:`seqlab.ngram.smoothing`).
    min_count : int, default=1
        Training tokens seen fewer times become ``<unk>``.
    memory : int or str, optional
        A memory budget (``"4G"``, ``"512M"`` or bytes) for fitting out of core
        (:mod:`seqlab.ngram.outofcore`): the peak stays within it plus a constant whatever
        the corpus size, and the fitted arrays of orders >= 2 are memory-mapped read-only
        from files under ``temp_dir`` (removed from the directory at once; their disk space
        is freed with the model). Same model as in memory, bit for bit.
    temp_dir : str, optional
        Where the out-of-core fit writes its files (default: the system's temporary directory).

    Attributes
    ----------
    vocabulary_ : Vocabulary
        Training tokens plus the fixed specials; ``V = len(vocabulary_)``.
    ngram_counts_ : list of int
        Number of distinct n-grams of each order 1..N (unigrams: every vocabulary id but ``<pad>``).
    discounts_ : list of tuple or None
        Modified Kneser-Ney ``(D1, D2, D3+)`` per order, as estimated.
    log_probs_, log_backoffs_ : list of ndarray
        Natural-log probability and backoff weight of every n-gram row, per order.
    keys_ : list of ndarray
        The sorted n-gram keys of each order (see :mod:`seqlab.ngram._kernels`).

    Notes
    -----
    KenLM's conventions: each sentence is scored as ``<s> w1 .. wk </s>``; ``<s>`` is never
    predicted, ``</s>`` is; unknown tokens are scored as ``<unk>`` and reported as OOV.

    Examples
    --------
    >>> from seqlab.ngram import NGramLM, Laplace
    >>> lm = NGramLM(order=2, smoothing=Laplace()).fit([["a", "b"], ["a", "c"]])
    >>> round(lm.log_prob("b", ["a"]), 4)   # ln((1 + 1) / (2 + 1 * 5))
    -1.2528
    """

    tokenizer_: Tokenizer  # set when fitted from text (the command line): how text becomes tokens

    _constraints = {
        "order": (lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_ORDER,
                  f"an int between 1 and {MAX_ORDER}"),
        "smoothing": (lambda v: isinstance(v, Smoothing),
                      "a seqlab.ngram smoothing strategy (e.g. ModifiedKneserNey())"),
        "min_count": int_at_least(1),
    }

    def __init__(self, *, order: int = 3, smoothing: Smoothing = DEFAULT_SMOOTHING, min_count: int = 1,
                 memory: int | str | None = None, temp_dir: str | None = None) -> None:
        self.order = order
        self.smoothing = smoothing
        self.min_count = min_count
        self.memory = memory
        self.temp_dir = temp_dir

    def _validate_params(self) -> None:
        super()._validate_params()
        if self.memory is not None:
            from seqlab.ngram.outofcore import parse_memory

            parse_memory(self.memory)
        if self.temp_dir is not None and not isinstance(self.temp_dir, str | Path):
            raise InvalidParameterError(f"temp_dir must be a directory path or None, got {self.temp_dir!r}.")

    # ------------------------------------------------------------------ fitting
    def fit(self, sequences: Iterable[Sequence[str]], vocabulary: Vocabulary | None = None, *,
            engine: Any = None) -> Self:
        """Count every n-gram of orders 1..N in ``sequences`` and smooth the counts.

        ``sequences`` may be any iterable (read once), e.g. a streamed file. ``vocabulary``
        fixes the vocabulary instead of building it from ``sequences`` (``min_count`` is then
        not applied; tokens outside it count as ``<unk>``): models that must be compared
        token for token, such as the class models of a Bayes classifier, share one.

        With ``memory`` set, counting is out of core (:mod:`seqlab.ngram.outofcore`): sorted
        runs on disk under ``temp_dir``, merged. ``engine`` (e.g. a
        :class:`~seqlab.ngram.dask_engine.DaskEngine`) counts on a cluster; ``sequences`` is then
        a list of shard files that the workers read themselves. Every path gives the same model.
        """
        self._validate_params()
        if isinstance(sequences, str | bytes):
            raise DataError("sequences must be a list of token sequences, got a single str. "
                            "Did you mean [text.split()]?")
        if engine is not None:
            return self._fit_engine(sequences, vocabulary, engine)
        if self.memory is not None:
            return self._fit_out_of_core(sequences, vocabulary)
        raw = K.read_corpus(sequences) if vocabulary is None else _read_with_vocabulary(sequences, vocabulary)
        if raw.ids.size == 0:
            raise DataError(f"the training corpus holds no tokens ({raw.lengths.size} sequences, all empty); "
                            "give at least one non-empty sequence.")
        vocab, remap = (_build_vocabulary(raw, self.min_count) if vocabulary is None
                        else _fixed_vocabulary(raw, vocabulary))
        ids, pos = K.with_boundaries(remap[raw.ids], raw.lengths)
        counts = K.count_ngrams(ids, pos, self.order, len(vocab))
        self._set_estimate(vocab, list(counts.keys), self.smoothing.estimate(counts))
        self.n_train_tokens_ = int(raw.ids.size)
        return self

    def _fit_out_of_core(self, sequences: Iterable[Sequence[str]], vocabulary: Vocabulary | None) -> Self:
        from seqlab.ngram import outofcore as ooc
        from seqlab.ngram.ondisk import estimate_on_disk

        budget = ooc.Budget(ooc.parse_memory(self.memory))  # type: ignore[arg-type]
        if vocabulary is not None and not isinstance(vocabulary, Vocabulary):
            raise InvalidParameterError("vocabulary must be a seqlab Vocabulary or None, "
                                        f"got {type(vocabulary).__name__}.")
        with ooc.scratch_dir(self.temp_dir) as tmp:
            sp = ooc.spool(sequences, tmp, budget.spool_tokens, stoi=None if vocabulary is None else vocabulary.stoi)
            log.debug("phase: corpus spooled, %d positions", sp.n_positions)
            if sp.n_tokens == 0:
                raise DataError(f"the training corpus holds no tokens ({sp.n_sentences} sequences, all empty); "
                                "give at least one non-empty sequence.")
            if vocabulary is None:
                vocab, remap = vocabulary_from_frequencies(sp.tokens, sp.freq, self.min_count)
            else:
                vocab, remap = _fixed_vocabulary(K.RawCorpus(np.empty(0, np.int64), np.empty(0, np.int64),
                                                             list(vocabulary.itos)), vocabulary)
            remap = np.concatenate([np.arange(ooc.OFFSET, dtype=np.int64), remap])
            counts, stats = ooc.count_spooled(sp, remap, self.order, len(vocab), budget)
            log.debug("phase: counted")
            keys, est = estimate_on_disk(self.smoothing, counts, tmp, budget)  # arrays mapped from tmp's files
            del counts
        K.trim_heap()
        self._set_estimate(vocab, keys, est)
        log.debug("phase: estimated")
        self.n_train_tokens_ = sp.n_tokens
        self.count_stats_ = stats
        return self

    def _fit_engine(self, sequences: Any, vocabulary: Vocabulary | None, engine: Any) -> Self:
        if vocabulary is not None:
            raise InvalidParameterError("a fixed vocabulary is not supported with engine=...; leave vocabulary=None.")
        vocab, counts, n_tokens, stats = engine.count(sequences, order=self.order, min_count=self.min_count)
        self._set_estimate(vocab, counts.keys, self.smoothing.estimate(counts))
        self.n_train_tokens_ = n_tokens
        self.count_stats_ = stats
        return self

    def _set_estimate(self, vocab: Vocabulary, keys: list[np.ndarray], est: Estimate) -> None:
        for attr in list(vars(self)):  # forget an earlier fit; tokenizer_ (how text is read) stays
            if attr.endswith("_") and not attr.startswith("_") and attr != "tokenizer_":
                delattr(self, attr)
        self._hash_index: Any = None  # built on first use by the compiled scorer
        self._token_index: Any = None  # built on first use by the compiled token-to-id mapping
        self.vocabulary_ = vocab
        self.keys_ = keys
        self.log_probs_ = est.log_probs
        self.log_backoffs_ = est.log_backoffs
        self.default_backoff_ = float(est.default_backoff)
        self.discounts_ = [tuple(d) for d in est.info["discounts"]] if "discounts" in est.info else None
        self.ngram_counts_ = [int(keys[0].size - 1)] + [int(k.size) for k in keys[1:]]

    # ------------------------------------------------------------------ the LanguageModel protocol
    def _context_ids(self, context: Sequence[str]) -> list[int]:
        ctx = list(context)
        if BOS in ctx:  # nothing before a <s> can matter
            ctx = ctx[len(ctx) - ctx[::-1].index(BOS):]
            ids = [BOS_ID] + [self.vocabulary_[t] for t in ctx]
        else:
            ids = [self.vocabulary_[t] for t in ctx]
        return ids[max(0, len(ids) - (self._n - 1)):] if self._n > 1 else []

    @property
    def _n(self) -> int:
        return len(self.keys_)

    def _next_ids(self, context_ids: Sequence[int]) -> np.ndarray:
        out = K.next_log_probs(context_ids, self.keys_, self.log_probs_, self.log_backoffs_,
                               len(self.vocabulary_), self.default_backoff_)
        out[[PAD_ID, BOS_ID]] = -np.inf
        return out

    def ngram_log_prob(self, token: str, context: Sequence[str] = ()) -> float:
        """ln p(token | context) with ``context`` used as given, no implied ``<s>``.

        The raw n-gram conditional that ARPA files and NLTK's ``score(word, context)`` hold:
        ``ngram_log_prob(w)`` is the unigram level. Only the last N-1 tokens matter; a
        ``"<s>"`` in ``context`` marks a sentence start. For the language-model meaning
        (``context`` is a sentence prefix) use :meth:`log_prob`.
        """
        self._check_fitted()
        ids = self._context_ids(as_tokens(self, context, "context"))
        return float(self._next_ids(ids)[self.vocabulary_[token]])

    def prob(self, token: str, context: Sequence[str] = ()) -> float:
        """p(token | <s> + context) (see :meth:`log_prob`)."""
        return math.exp(self.log_prob(token, context))

    def _compiled(self, positions: int) -> bool:
        """Whether to use the compiled path (:mod:`seqlab.ngram._fastscore`) for this many positions."""
        return self._n > 1 and (positions >= FAST_SCORE_MIN_POSITIONS or "numba" in sys.modules)

    def _index(self) -> Any:
        """The compiled scorer's hash tables (:class:`~seqlab.ngram._fastscore.HashIndex`), built on first use."""
        index = self.__dict__.get("_hash_index")
        if index is None:
            from seqlab.ngram._fastscore import HashIndex

            index = self._hash_index = HashIndex(self.keys_, self.log_probs_, self.log_backoffs_)
        return index

    def _score_ids(self, ids: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._compiled(ids.size):
            out: tuple[np.ndarray, np.ndarray] = self._index().score(ids, pos, len(self.vocabulary_),
                                                                     self.default_backoff_)
            return out
        rows = K.lookup(ids, pos, self.keys_, len(self.vocabulary_))
        return K.backoff_scores(pos, rows, self.log_probs_, self.log_backoffs_, self.default_backoff_)

    def _encode(self, seqs: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Concatenated vocabulary ids of ``seqs`` (unknown tokens -> ``<unk>``) and the tokens per sequence.

        On the compiled path the tokens are hashed as UTF-8 bytes in one pass
        (:class:`~seqlab.ngram._fastscore.TokenIndex`); otherwise, or where that path cannot
        tell (a token that is not a str), one dict look-up per token. Same ids either way.
        """
        lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
        total = int(lengths.sum())
        if self._compiled(total + 2 * lengths.size):
            index = self.__dict__.get("_token_index")
            if index is None:
                from seqlab.ngram._fastscore import TokenIndex

                index = self._token_index = TokenIndex(self.vocabulary_.itos)
            ids = index.encode(seqs, total, UNK_ID)
            if ids is not None:
                return ids, lengths
        return _encode_flat(seqs, self.vocabulary_.stoi)

    def token_log_probs(self, corpus: Iterable[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Per-token ln p over ``corpus`` (each sentence followed by ``</s>``), and the OOV mask.

        Tokens are mapped to vocabulary ids (unknown ones to ``<unk>``) and scored by
        :meth:`token_log_probs_ids`.
        """
        self._check_fitted()
        ids, lengths = self._encode(as_corpus(self, corpus))
        return self.token_log_probs_ids(ids, lengths)

    def token_log_probs_ids(self, ids: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`token_log_probs` for a corpus already encoded as ids of ``vocabulary_``.

        Callers that score one corpus under several models over the same vocabulary (the
        class models of :class:`~seqlab.classify.BayesSequenceClassifier`) encode it once
        and skip the token-to-id mapping for every model. Vectorised over the whole corpus:
        the n-gram of each position is found order by order, in the compiled hash tables
        (:mod:`seqlab.ngram._fastscore`) or by binary search in the sorted tables; same bits.

        Parameters
        ----------
        ids : array-like of int, shape (n_tokens,)
            The tokens of every sentence, concatenated, as ids in ``[0, len(vocabulary_))``;
            no ``<s>``/``</s>``: they are added around each sentence here.
        lengths : array-like of int, shape (n_sentences,)
            Tokens per sentence (0 for an empty sentence, which still predicts ``</s>``);
            they must sum to ``n_tokens``.

        Returns
        -------
        log_probs : ndarray of shape (n_tokens + n_sentences,)
            ln p of each token, and of the ``</s>`` closing each sentence, in corpus order.
        is_oov : ndarray of bool, same shape
            Where the predicted id is ``<unk>``.
        """
        self._check_fitted()
        ids, lengths = _check_encoded(ids, lengths, len(self.vocabulary_))
        if self._compiled(ids.size + 2 * lengths.size):
            out: tuple[np.ndarray, np.ndarray] = self._index().score_sentences(
                ids, lengths, len(self.vocabulary_), self.default_backoff_)
            return out
        ids, pos = K.with_boundaries(ids, lengths)
        lp, _len = self._score_ids(ids, pos)
        keep = pos > 0  # <s> is never predicted
        return lp[keep], ids[keep] == UNK_ID

    def begin(self, context: Sequence[str] = ()) -> tuple[np.ndarray, tuple[int, ...]]:
        """Start decoding after ``<s> + context``: (next log-probs of shape (V,), state).

        The state is an immutable tuple of the last N-1 ids, so beam search may branch from it.
        """
        self._check_fitted()
        state = tuple(self._context_ids([BOS, *self._prefix(context)]))
        return self._next_ids(state), state

    def advance(self, state: tuple[int, ...], token_id: int) -> tuple[np.ndarray, tuple[int, ...]]:
        """Feed one token id: (next log-probs of shape (V,), new state); ``state`` is unchanged."""
        self._check_fitted()
        token_id = int(token_id)
        if not 0 <= token_id < len(self.vocabulary_):
            raise InvalidParameterError(f"token_id must be a vocabulary id in [0, {len(self.vocabulary_)}), "
                                        f"got {token_id}.")
        new = (tuple(state) + (token_id,))[max(0, len(state) + 1 - (self._n - 1)):] if self._n > 1 else ()
        return self._next_ids(new), new

    # ------------------------------------------------------------------ KenLM-style conveniences
    def full_scores(self, sentence: Sequence[str] | str, *, bos: bool = True, eos: bool = True
                    ) -> list[tuple[float, int, bool]]:
        """Per predicted token: (ln p, length of the matched n-gram, is OOV), like KenLM's ``full_scores``.

        A str is split on whitespace. ``bos=False`` scores the first token without ``<s>``
        context; ``eos=False`` leaves ``</s>`` out.
        """
        self._check_fitted()
        toks = sentence.split() if isinstance(sentence, str) else _tokens(sentence, "sentence")
        ids, pos, _ = K.encode([toks], self.vocabulary_.stoi)
        if not bos:  # the first word has no context: score it as if it were a sentence start without <s>
            ids, pos = ids[1:], pos[1:] - 1
            pos[0] = 0
            lp0 = float(self._next_ids([])[ids[0]])
        lp, length = self._score_ids(ids, pos)
        keep = pos > 0
        out = [(float(p), int(n), bool(i == UNK_ID))
               for p, n, i in zip(lp[keep], length[keep], ids[keep], strict=True)]
        if not bos:
            out.insert(0, (lp0, 1, bool(ids[0] == UNK_ID)))
        return out if eos else out[:-1]

    def score(self, corpus: Any, y: Any = None, *, bos: bool | None = None, eos: bool | None = None) -> float:
        """Mean ln p per predicted token over a corpus (a list of token lists); higher is better.

        The meaning every language model shares (:class:`~seqlab.protocols.LanguageModelMixin`).
        Deprecated for one release: a single sentence (a str, or a list of str tokens), or
        ``bos``/``eos``, gives the sentence's total ln p as before, with a
        ``DeprecationWarning``; use :meth:`sentence_log_prob` (or :meth:`full_scores`) for that.
        """
        if bos is not None or eos is not None or _is_one_sentence(corpus):
            warnings.warn("NGramLM.score(sentence) is deprecated and will mean the corpus mean ln p per token "
                          "(as for every language model) in the next release; use "
                          "sentence_log_prob(tokens) for a sentence's total.", DeprecationWarning, stacklevel=2)
            flags = {"bos": True if bos is None else bos, "eos": True if eos is None else eos}
            return float(sum(p for p, _, _ in self.full_scores(corpus, **flags)))
        return super().score(corpus, y)

    # ------------------------------------------------------------------ ARPA
    def to_arpa(self, path: str | Path) -> Path:
        """Write the model as an ARPA file (log10; readable by KenLM and SRILM)."""
        from seqlab.ngram.arpa import write_arpa

        self._check_fitted()
        return write_arpa(self, path)

    @classmethod
    def from_arpa(cls, path: str | Path) -> NGramLM:
        """Read an ARPA file (e.g. from KenLM's ``lmplz``) into an ``NGramLM``."""
        from seqlab.ngram.arpa import read_arpa

        return read_arpa(path)

    # ------------------------------------------------------------------ persistence
    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        arrays: dict[str, np.ndarray] = {}
        for n in range(1, self._n + 1):
            arrays[f"keys_{n}"] = self.keys_[n - 1]
            arrays[f"log_probs_{n}"] = self.log_probs_[n - 1]
            arrays[f"log_backoffs_{n}"] = self.log_backoffs_[n - 1]
        state = {
            "vocabulary": self.vocabulary_.to_json(),
            "default_backoff": self.default_backoff_,
            "discounts": [list(d) for d in self.discounts_] if self.discounts_ else None,
            "n_train_tokens": getattr(self, "n_train_tokens_", None),
            "tokenizer": tokenizer_to_json(getattr(self, "tokenizer_", None)),
            "summary": {"order": self._n, "vocabulary": len(self.vocabulary_), "ngrams": self.ngram_counts_,
                        "smoothing": getattr(self.smoothing, "name", type(self.smoothing).__name__)},
        }
        return state, arrays

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        model = cls(**params)
        n = int(state["summary"]["order"])
        for k in range(1, n + 1):
            for name in ("keys", "log_probs", "log_backoffs"):
                if f"{name}_{k}" not in arrays:
                    raise FormatError(f"array {name}_{k} is missing from the n-gram model.")
        vocab = Vocabulary.from_json(state["vocabulary"])
        keys = [arrays[f"keys_{k}"] for k in range(1, n + 1)]
        if keys[0].size != len(vocab):
            raise FormatError(f"keys_1 has {keys[0].size} rows but the vocabulary has {len(vocab)} tokens.")
        info = {"discounts": state["discounts"]} if state.get("discounts") else {}
        est = Estimate([arrays[f"log_probs_{k}"] for k in range(1, n + 1)],
                       [arrays[f"log_backoffs_{k}"] for k in range(1, n + 1)], float(state["default_backoff"]), info)
        model._set_estimate(vocab, keys, est)
        if isinstance(state.get("tokenizer"), dict):
            model.tokenizer_ = tokenizer_from_json(state["tokenizer"])
        if state.get("n_train_tokens") is not None:
            model.n_train_tokens_ = int(state["n_train_tokens"])
        return model

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        from seqlab.ngram.smoothing import WittenBell

        return {"order": 2, "smoothing": WittenBell()}  # modified KN would warn on so little data

    @classmethod
    def _test_data(cls) -> list[list[str]]:
        return [s.split() for s in ("a b c a", "b c a b", "c a b c", "a a b b", "c c a a")]


# ---------------------------------------------------------------------- helpers
def _build_vocabulary(raw: K.RawCorpus, min_count: int) -> tuple[Vocabulary, np.ndarray]:
    """Vocabulary from provisional ids (most frequent first), and the provisional -> final id map."""
    return vocabulary_from_frequencies(raw.tokens, np.bincount(raw.ids, minlength=len(raw.tokens)), min_count)


def vocabulary_from_frequencies(tokens: Sequence[str], freq: np.ndarray, min_count: int
                                ) -> tuple[Vocabulary, np.ndarray]:
    """Vocabulary from token frequencies (most frequent first, ties by token), and the token -> id map.

    ``tokens[i]`` occurred ``freq[i]`` times; the result does not depend on the order of
    ``tokens``, so shards counted apart give the same vocabulary. Literal specials in the
    text (``<unk>``, ``<s>``, ...) map to ``<unk>``. ``tokens`` must be distinct, with one
    count each (every caller's tokens come from a first-seen table or a summed one).
    """
    tokens = tokens if isinstance(tokens, list) else list(tokens)
    freq = np.asarray(freq)
    if freq.shape != (len(tokens),) or len(set(tokens)) != len(tokens):
        raise InvalidParameterError(f"vocabulary_from_frequencies needs distinct tokens with one count each; got "
                                    f"{len(set(tokens))} distinct of {len(tokens)} tokens and counts of shape "
                                    f"{freq.shape}.")
    if min_count < 1:
        raise InvalidParameterError(f"min_count must be >= 1, got {min_count}.")
    freq = freq.astype(np.int64, copy=False)  # negated below: an unsigned count would wrap; floats truncate
    keep = freq >= min_count
    for special in SPECIALS:
        if special in tokens:
            keep[tokens.index(special)] = False
    # (-count, token) order: tokens sorted as str (a C-level key), then a stable sort by count
    by_token = np.fromiter(sorted(range(len(tokens)), key=tokens.__getitem__), dtype=np.int64, count=len(tokens))
    by_token = by_token[keep[by_token]]
    order = by_token[np.argsort(-freq[by_token], kind="stable")]
    vocab = Vocabulary(list(map(tokens.__getitem__, order.tolist())), freq[order].tolist())
    remap = np.full(len(tokens), UNK_ID, dtype=np.int64)
    remap[order] = np.arange(len(SPECIALS), len(SPECIALS) + order.size)
    return vocab, remap


def _read_with_vocabulary(sequences: Iterable[Sequence[str]], vocabulary: Vocabulary) -> K.RawCorpus:
    """One pass mapping tokens straight to the ids of a fixed vocabulary (others to ``<unk>``)."""
    if not isinstance(vocabulary, Vocabulary):
        raise InvalidParameterError(f"vocabulary must be a seqlab Vocabulary or None, got {type(vocabulary).__name__}.")
    seqs = [_tokens(s, f"sequences[{i}]") if not isinstance(s, list) else s for i, s in enumerate(sequences)]
    ids, lengths = _encode_flat(seqs, vocabulary.stoi)
    return K.RawCorpus(ids, lengths, list(vocabulary.itos))


def _encode_flat(seqs: list[list[str]], stoi: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ids of ``seqs`` (unknown tokens -> ``<unk>``) and the tokens per sequence, both int64."""
    lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    total = int(lengths.sum())
    ids = np.fromiter(map(stoi.get, chain.from_iterable(seqs), repeat(UNK_ID, total)), dtype=np.int64, count=total)
    return ids, lengths


def _check_encoded(ids: Any, lengths: Any, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    """``ids`` and ``lengths`` as 1-D int64 arrays, or a DataError saying what does not hold."""
    out = []
    for value, name in ((ids, "ids"), (lengths, "lengths")):
        arr = np.asarray(value)
        if arr.size == 0:
            arr = arr.astype(np.int64)
        if arr.ndim != 1 or arr.dtype.kind not in "iu":
            raise DataError(f"{name} must be a 1-D array of ints, got dtype {arr.dtype} with shape {arr.shape}; "
                            "pass e.g. np.asarray(values, dtype=np.int64).")
        out.append(arr.astype(np.int64, copy=False))
    ids_a, len_a = out
    if ids_a.size and (ids_a.min() < 0 or ids_a.max() >= vocab_size):
        raise DataError(f"ids must be vocabulary ids in [0, {vocab_size}), got values in "
                        f"[{ids_a.min()}, {ids_a.max()}]; encode tokens with the model's vocabulary_.")
    if len_a.size and len_a.min() < 0:
        raise DataError(f"lengths must be >= 0, got {len_a.min()}; give the number of tokens of each sentence.")
    if int(len_a.sum()) != ids_a.size:
        raise DataError(f"lengths must sum to the number of ids ({ids_a.size}), got sum {int(len_a.sum())}; "
                        "give one length per sentence, without <s>/</s>.")
    return ids_a, len_a


def _fixed_vocabulary(raw: K.RawCorpus, vocabulary: Vocabulary) -> tuple[Vocabulary, np.ndarray]:
    """A given vocabulary and the provisional -> final id map (literal specials become ``<unk>``)."""
    stoi = vocabulary.stoi
    remap = np.fromiter((stoi.get(t, UNK_ID) if t not in SPECIALS else UNK_ID for t in raw.tokens),
                        dtype=np.int64, count=len(raw.tokens))
    return vocabulary, remap


def _is_one_sentence(value: Any) -> bool:
    """A str, or a non-empty list whose items are all str: the old single-sentence ``score`` input."""
    if isinstance(value, str):
        return True
    return isinstance(value, list | tuple) and bool(value) and all(isinstance(t, str) for t in value)


def _tokens(seq: Any, name: str) -> list[str]:
    if isinstance(seq, str | bytes):
        raise DataError(f"{name} must be a list of tokens, got a str. Did you mean {name}.split()?")
    return [str(t) for t in seq]

