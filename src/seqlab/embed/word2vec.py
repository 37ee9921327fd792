"""``Word2Vec``: skip-gram and CBOW word vectors, trained by compiled Hogwild SGD.

The model follows Mikolov et al. (2013) and the original ``word2vec.c`` as gensim does:
frequent-word subsampling, a dynamic window (the reach is drawn per word), negative sampling
from the unigram distribution raised to ``ns_exponent`` or a hierarchical softmax over a
Huffman tree, and a learning rate that decays linearly from ``alpha`` to ``min_alpha`` over
the sentences of all epochs (gensim's schedule when it knows the corpus size, as it does when
trained through its constructor). The hot loop is :func:`seqlab.embed._kernels.train_chunk`
(numba, no GIL); ``workers`` Python threads run it on disjoint chunks of sentences while a
producer thread streams and encodes the corpus.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np

from seqlab import io
from seqlab._validation import is_int, is_real
from seqlab.base import BaseModel
from seqlab.data import SPECIALS, LineCorpus, Vocabulary
from seqlab.embed import _kernels
from seqlab.embed._tables import Tables, alias_table, huffman_paths, subsample_thresholds
from seqlab.embed.embeddings import Embeddings
from seqlab.exceptions import DataError, FormatError, InvalidParameterError

logger = logging.getLogger(__name__)

_N_SPECIALS = len(SPECIALS)
_MAX_SENTENCE = 10000  # longer sentences are split into pieces of this many words
_CHUNK_WORDS = 20000  # words per job handed to a worker thread
_LOSS_EVERY = 8  # the progress loss is estimated on one example in eight


_is_int, _is_real = is_int, is_real  # the shared predicates of seqlab._validation


@io.register
class Word2Vec(BaseModel):
    """Word2Vec word embeddings (skip-gram or CBOW; negative sampling or hierarchical softmax).

    Parameters
    ----------
    architecture : {"skipgram", "cbow"} or None, default=None (skip-gram)
        Skip-gram predicts each context word from the centre word; CBOW predicts the centre
        word from the mean of its context vectors.
    sg : {0, 1} or None, default=None
        gensim's spelling of the same choice (``sg=1`` skip-gram, ``sg=0`` CBOW), for users
        moving over; giving both ``sg`` and a contradicting ``architecture`` is an error.
    loss : {"negative", "hierarchical"}, default="negative"
        Negative sampling, or a hierarchical softmax over a Huffman tree of the vocabulary.
    negative : int or None, default=None
        Noise words drawn per example with ``loss="negative"`` (None means 5). Must be left
        unset with ``loss="hierarchical"``.
    window : int, default=5
        Largest distance between centre and context word; the reach used for each word is
        drawn uniformly from 1..window (the "dynamic window" of word2vec.c).
    vector_size : int, default=100
        Dimension ``D`` of the word vectors.
    min_count : int, default=5
        Words seen fewer times are dropped from the text before training.
    max_vocab_size : int or None, default=None
        Memory cap while counting (as in gensim): whenever more distinct words than this are
        held, the rarest are pruned with a rising threshold. None means no cap.
    sample : float, default=1e-3
        Frequent-word subsampling threshold: a word of frequency ``f`` (share of the kept
        words) is kept with probability ``(sqrt(f / sample) + 1) * sample / f`` (capped at 1),
        the formula of word2vec.c and gensim. 0 disables it.
    alpha, min_alpha : float, default=0.025, 0.0001
        Learning rate, decayed linearly from ``alpha`` to ``min_alpha`` over all epochs, in
        step with the share of sentences trained (as gensim does with ``total_examples``, its
        default), not of words (word2vec.c's rule). The two differ where sentence lengths vary
        along the text: on the bundled kjv+shakespeare+austen corpus (long verses first) the
        word schedule left the vectors of all but the 1,000 most frequent words 9% shorter than
        gensim's after one CBOW epoch (mean norm 0.318 vs 0.350; 0.355 with this schedule).
    epochs : int, default=5
        Passes over the corpus.
    workers : int, default=2
        Threads that train in parallel on shared weights (lock-free, as word2vec.c). With
        ``workers=1`` a fit is exactly reproducible for a given ``seed``.
    seed : int, default=1
        Seeds the initial vectors and each worker's random generator.
    ns_exponent : float, default=0.75
        Negatives are drawn with probability proportional to ``count ** ns_exponent``.

    Attributes
    ----------
    vocabulary_ : Vocabulary
        Specials (ids 0-3) followed by the kept words, most frequent first. Word ``vocabulary_
        id i`` has row ``i - 4`` in the weight matrices and in :attr:`wv`.
    input_vectors_ : ndarray of shape (V, D), float32
        The word vectors (``syn0``).
    output_vectors_ : ndarray of shape (V, D), float32 or None
        Output vectors for negative sampling (``syn1neg``).
    tree_vectors_ : ndarray of shape (V - 1, D), float32 or None
        Inner-node vectors of the Huffman tree (``syn1``) for the hierarchical softmax.
    loss_history_ : list of float
        Mean loss per training example in each epoch (estimated on one example in eight).
    train_stats_ : dict
        Words seen, seconds and words per second of the last call to ``fit``/``train``.

    Examples
    --------
    >>> corpus = [["the", "king", "rules"], ["the", "queen", "rules"]] * 50
    >>> model = Word2Vec(vector_size=16, min_count=1, epochs=2, workers=1).fit(corpus)
    >>> model.wv["king"].shape
    (16,)
    """

    def __init__(self, *, architecture: str | None = None, sg: int | None = None, loss: str = "negative",
                 negative: int | None = None,
                 window: int = 5, vector_size: int = 100, min_count: int = 5, max_vocab_size: int | None = None,
                 sample: float = 1e-3, alpha: float = 0.025, min_alpha: float = 0.0001, epochs: int = 5,
                 workers: int = 2, seed: int = 1, ns_exponent: float = 0.75) -> None:
        self.architecture = architecture
        self.sg = sg
        self.loss = loss
        self.negative = negative
        self.window = window
        self.vector_size = vector_size
        self.min_count = min_count
        self.max_vocab_size = max_vocab_size
        self.sample = sample
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.epochs = epochs
        self.workers = workers
        self.seed = seed
        self.ns_exponent = ns_exponent

    _constraints = {
        "architecture": (lambda v: v in (None, "skipgram", "cbow"), "None, 'skipgram' or 'cbow'"),
        "sg": (lambda v: v is None or (v in (0, 1) and not isinstance(v, float)), "None, 0 or 1"),
        "loss": (lambda v: v in ("negative", "hierarchical"), "'negative' or 'hierarchical'"),
        "negative": (lambda v: v is None or (_is_int(v) and 1 <= v <= 100), "None or an int between 1 and 100"),
        "window": (lambda v: _is_int(v) and 1 <= v <= 1000, "an int between 1 and 1000"),
        "vector_size": (lambda v: _is_int(v) and v >= 1, "an int >= 1"),
        "min_count": (lambda v: _is_int(v) and v >= 1, "an int >= 1"),
        "max_vocab_size": (lambda v: v is None or (_is_int(v) and v >= 1), "None or an int >= 1"),
        "sample": (lambda v: _is_real(v) and 0 <= v < 1, "a float in [0, 1)"),
        "alpha": (lambda v: _is_real(v) and v > 0, "a float > 0"),
        "min_alpha": (lambda v: _is_real(v) and v >= 0, "a float >= 0"),
        "epochs": (lambda v: _is_int(v) and v >= 1, "an int >= 1"),
        "workers": (lambda v: _is_int(v) and 1 <= v <= 64, "an int between 1 and 64"),
        "seed": (lambda v: _is_int(v) and v >= 0, "an int >= 0"),
        "ns_exponent": (lambda v: _is_real(v) and -10 <= v <= 10, "a float between -10 and 10"),
    }

    # ------------------------------------------------------------------ fitting
    @property
    def _architecture(self) -> str:
        """The architecture in use: ``architecture``, else ``sg``, else skip-gram."""
        if self.architecture is not None:
            return self.architecture
        return "cbow" if self.sg == 0 else "skipgram"

    def _validate_params(self) -> None:
        super()._validate_params()
        if self.sg is not None and self.architecture is not None and self._architecture != (
                "skipgram" if self.sg else "cbow"):
            raise InvalidParameterError(
                f"sg={self.sg} contradicts architecture={self.architecture!r}; give only one of them."
            )
        if self.loss == "hierarchical" and self.negative is not None:
            raise InvalidParameterError(
                f"negative={self.negative} has no effect with loss='hierarchical'; leave negative unset "
                "or use loss='negative'."
            )
        if self.min_alpha > self.alpha:
            raise InvalidParameterError(
                f"min_alpha must be <= alpha; got alpha={self.alpha}, min_alpha={self.min_alpha}."
            )

    @property
    def _n_negative(self) -> int:
        if self.loss == "hierarchical":
            return 0
        return 5 if self.negative is None else int(self.negative)

    def fit(self, corpus: Iterable[Sequence[str]] | str | os.PathLike[str], y: None = None, *,
            progress: bool | None = None, log: Any = None) -> Self:
        """Build the vocabulary from ``corpus`` and train ``epochs`` passes over it.

        Parameters
        ----------
        corpus : restartable iterable of token lists, or a path
            A list of token lists, a :class:`~seqlab.data.LineCorpus`, or the path of a text
            file with one whitespace-tokenised sentence per line (streamed from disk on each
            pass, never loaded whole). One-shot generators are refused: the corpus is read
            ``epochs + 1`` times.
        y : None
            Ignored (scikit-learn convention).
        progress : bool or None, default=None
            Show a progress bar on stderr (None: only when stderr is a terminal).
        log : seqlab.train.log.MetricsLog, optional
            Receives one row per epoch (mean loss; the clocks of the whole run on the last row,
            since the worker threads pipeline the epochs).

        Returns
        -------
        self : Word2Vec

        Raises
        ------
        DataError
            The corpus is empty, a one-shot iterator, not made of token lists, or no word
            occurs ``min_count`` times.
        """
        self._validate_params()
        corpus = _as_corpus(corpus)
        for attr in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, attr)
        self._embeddings: Embeddings | None = None
        self._n_calls = 0  # the workers' random streams depend on the seed and the call number only
        counts, n_raw, n_sentences = _count_words(corpus, self.max_vocab_size)
        self.vocabulary_ = _build_vocabulary(counts, self.min_count, n_raw)
        rng = np.random.default_rng(self.seed)
        n_words, dim = len(self.vocabulary_) - _N_SPECIALS, int(self.vector_size)
        self.input_vectors_ = _initial_vectors(rng, n_words, dim)
        self.output_vectors_ = np.zeros((n_words, dim), np.float32) if self.loss == "negative" else None
        self.tree_vectors_ = np.zeros((max(n_words - 1, 1), dim), np.float32) if self.loss == "hierarchical" else None
        self.loss_history_: list[float] = []
        self._run(corpus, self.epochs, progress, words_per_epoch=int(sum(self.vocabulary_.counts or [])),
                  sentences_per_epoch=n_sentences)
        for epoch, loss in enumerate(self.loss_history_ if log is not None else [], 1):
            last = epoch == len(self.loss_history_)
            log.write(step=epoch, train_loss=loss, lr=self._alpha_at(epoch / len(self.loss_history_)),
                      wall_seconds=self.train_stats_["seconds"] if last else None,
                      cpu_seconds=self.train_stats_["cpu_seconds"] if last else None)
        return self

    def train(self, corpus: Iterable[Sequence[str]] | str | os.PathLike[str], *, epochs: int | None = None,
              update_vocab: bool = False, progress: bool | None = None) -> Self:
        """Continue training a fitted model on more text.

        The learning rate decays again from ``alpha`` to ``min_alpha`` over this call.

        Parameters
        ----------
        corpus : restartable iterable of token lists, or a path
            As in :meth:`fit`.
        epochs : int, optional
            Passes over ``corpus`` (default: the ``epochs`` hyperparameter).
        update_vocab : bool, default=False
            Add the words of ``corpus`` that reach ``min_count`` (counted over this corpus plus
            the earlier counts) with fresh random vectors; otherwise unknown words are skipped.
        progress : bool or None
            As in :meth:`fit`.
        """
        self._check_fitted()
        self._validate_params()
        corpus = _as_corpus(corpus)
        n_epochs = self.epochs if epochs is None else epochs
        if not _is_int(n_epochs) or n_epochs < 1:
            raise InvalidParameterError(f"epochs must be an int >= 1, got {n_epochs!r}.")
        if update_vocab:
            self._grow_vocabulary(corpus)
        self._embeddings = None
        stoi = self.vocabulary_.stoi
        words, sentences = 0, 0
        for sent in corpus:
            words += sum(1 for w in sent if stoi.get(w, 0) >= _N_SPECIALS)
            sentences += _n_pieces(len(sent))
        self._run(corpus, int(n_epochs), progress, words_per_epoch=words, sentences_per_epoch=sentences)
        return self

    def _grow_vocabulary(self, corpus: Iterable[Sequence[str]]) -> None:
        counts, _, _ = _count_words(corpus, self.max_vocab_size)
        old = self.vocabulary_
        old_counts = list(old.counts or [])
        merged = Counter(dict(zip(old.itos[_N_SPECIALS:], old_counts, strict=True)))
        merged.update(counts)
        new_words = sorted((w for w, c in merged.items() if w not in old.stoi and c >= self.min_count
                            and w not in SPECIALS), key=lambda w: (-merged[w], w))
        tokens = old.itos[_N_SPECIALS:] + new_words
        self.vocabulary_ = Vocabulary(tokens, [merged[w] for w in tokens])
        if not new_words:
            return
        rng = np.random.default_rng([self.seed, len(tokens)])
        dim = self.input_vectors_.shape[1]
        fresh = _initial_vectors(rng, len(new_words), dim)
        self.input_vectors_ = np.vstack([self.input_vectors_, fresh])
        if self.output_vectors_ is not None:
            self.output_vectors_ = np.vstack([self.output_vectors_, np.zeros_like(fresh)])
        if self.tree_vectors_ is not None:  # the Huffman tree changes: inner nodes restart at zero
            self.tree_vectors_ = np.zeros((max(len(tokens) - 1, 1), dim), np.float32)

    # ------------------------------------------------------------------ the training loop
    def _run(self, corpus: Iterable[Sequence[str]], epochs: int, progress: bool | None, *,
             words_per_epoch: int, sentences_per_epoch: int) -> None:
        """Train ``epochs`` passes over ``corpus``.

        ``sentences_per_epoch`` (training sentences, long ones counted in pieces as
        :func:`_chunks` cuts them) sets the learning-rate schedule; ``words_per_epoch`` (known
        words) only sizes the progress bar.
        """
        tables = Tables.build(self.vocabulary_, self.sample, self.ns_exponent, self.loss == "hierarchical")
        stoi = _RowIndex((w, i - _N_SPECIALS) for w, i in self.vocabulary_.stoi.items() if i >= _N_SPECIALS)
        total = max(sentences_per_epoch * epochs, 1)
        bar = _progress_bar(max(words_per_epoch * epochs, 1), progress)
        jobs: queue.Queue[tuple[int, np.ndarray, np.ndarray, float, float] | None] = queue.Queue(2 * self.workers)
        sums = {"loss": 0.0, "n_loss": 0, "examples": 0, "kept": 0, "words": 0}
        raw = [0]
        epoch_loss: dict[int, list[float]] = {e: [0.0, 0.0] for e in range(epochs)}
        lock = threading.Lock()
        errors: list[BaseException] = []
        call = getattr(self, "_n_calls", 0)
        self._n_calls = call + 1

        def work(index: int) -> None:
            state = np.array([(self.seed * 1_000_003 + index * 7919 + call * 104_729 + 1) & (2**48 - 1)], np.uint64)
            try:
                while (job := jobs.get()) is not None:
                    epoch, ids, starts, a0, a1 = job
                    loss, n_loss, n_ex, kept = _kernels.train_chunk(
                        self.input_vectors_, self.output_vectors_ if self.output_vectors_ is not None else _EMPTY,
                        self.tree_vectors_ if self.tree_vectors_ is not None else _EMPTY,
                        ids, starts, tables.sample_int, tables.ns_keep, tables.ns_alias, tables.points, tables.codes,
                        tables.code_lens, self._architecture == "skipgram", self.loss == "hierarchical",
                        self._n_negative, int(self.window), True, a0, a1, state, _LOSS_EVERY)
                    with lock:
                        sums["loss"] += loss
                        sums["n_loss"] += n_loss
                        sums["examples"] += n_ex
                        sums["kept"] += kept
                        sums["words"] += len(ids)
                        epoch_loss[epoch][0] += loss
                        epoch_loss[epoch][1] += n_loss
                        if bar is not None:
                            bar.update(len(ids))
                            bar.set_postfix(loss=f"{sums['loss'] / max(sums['n_loss'], 1):.4f}", refresh=False)
            except BaseException as exc:  # surfaced in the main thread
                errors.append(exc)
                while jobs.get() is not None:  # drain so the producer never blocks
                    pass

        threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(self.workers)]
        start, cpu0 = time.perf_counter(), time.process_time()
        for t in threads:
            t.start()
        done = 0
        try:
            for epoch in range(epochs):
                for ids, starts in _chunks(corpus, stoi, raw):
                    a0 = self._alpha_at(done / total)
                    done += len(starts) - 1  # sentences in this job
                    a1 = self._alpha_at(done / total)
                    jobs.put((epoch, ids, starts, a0, a1))
                    if errors:  # a worker failed: stop producing, report it below
                        break
                if errors:
                    break
        finally:
            for _ in threads:
                jobs.put(None)
            for t in threads:
                t.join()
            if bar is not None:
                bar.set_postfix(loss=f"{sums['loss'] / max(sums['n_loss'], 1):.4f}", refresh=True)
                bar.close()
        if errors:
            raise errors[0]
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu0
        self.loss_history_ = list(getattr(self, "loss_history_", [])) + [
            s / n if n else float("nan") for s, n in (epoch_loss[e] for e in range(epochs))]
        self.train_stats_ = {"words": sums["words"], "raw_words": raw[0], "words_kept": sums["kept"],
                             "examples": sums["examples"],
                             "seconds": seconds, "cpu_seconds": cpu,
                             "words_per_second": sums["words"] / max(seconds, 1e-9)}
        logger.info("trained on %d words in %.1fs (%.0f words/s)", sums["words"], seconds,
                    self.train_stats_["words_per_second"])

    def _alpha_at(self, progress: float) -> float:
        return float(self.alpha - (self.alpha - self.min_alpha) * min(max(progress, 0.0), 1.0))

    # ------------------------------------------------------------------ results
    @property
    def wv(self) -> Embeddings:
        """The learned vectors as an :class:`Embeddings` query object (gensim's name)."""
        return self.embeddings_

    @property
    def embeddings_(self) -> Embeddings:
        """The learned vectors as an :class:`Embeddings` query object (built once per fit)."""
        self._check_fitted()
        if getattr(self, "_embeddings", None) is None:
            words = self.vocabulary_.itos[_N_SPECIALS:]
            self._embeddings = Embeddings(words, self.input_vectors_.copy(), counts=self.vocabulary_.counts)
        return self._embeddings  # type: ignore[return-value]

    def hs_log_prob(self, word: str, context: str) -> float:
        """``log p(word | context)`` under the hierarchical softmax (skip-gram view).

        Only for ``loss="hierarchical"``; used to check that the tree defines a distribution.
        """
        self._check_fitted()
        if self.tree_vectors_ is None:
            raise InvalidParameterError("hs_log_prob needs loss='hierarchical'; this model uses negative sampling.")
        tables = Tables.build(self.vocabulary_, self.sample, self.ns_exponent, True)
        w, c = self.wv.index(word), self.wv.index(context)
        n = tables.code_lens[w]
        return float(_kernels.hs_path_log_prob(self.input_vectors_[c], self.tree_vectors_, tables.points[w, :n],
                                               tables.codes[w, :n]))

    # ------------------------------------------------------------------ persistence
    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        arrays = {"input_vectors": self.input_vectors_}
        if self.output_vectors_ is not None:
            arrays["output_vectors"] = self.output_vectors_
        if self.tree_vectors_ is not None:
            arrays["tree_vectors"] = self.tree_vectors_
        losses = [float(x) if math.isfinite(x) else None for x in self.loss_history_]  # an unmeasured epoch: null
        meta = {"vocabulary": self.vocabulary_.to_json(), "loss_history": losses,
                "run": getattr(self, "train_stats_", {}),  # timings of the fitting run (informational)
                "summary": {"words": len(self.vocabulary_) - _N_SPECIALS,
                            "vector_size": int(self.input_vectors_.shape[1])}}
        return meta, arrays

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        model = cls(**params)
        model.vocabulary_ = Vocabulary.from_json(state["vocabulary"])
        model.input_vectors_ = arrays["input_vectors"].astype(np.float32, copy=True)
        n = len(model.vocabulary_) - _N_SPECIALS
        if model.input_vectors_.ndim != 2 or model.input_vectors_.shape[0] != n:
            raise FormatError(f"input_vectors has shape {model.input_vectors_.shape}, "
                              f"but the vocabulary has {n} words.")
        out, tree = arrays.get("output_vectors"), arrays.get("tree_vectors")
        model.output_vectors_ = None if out is None else out.astype(np.float32, copy=True)
        model.tree_vectors_ = None if tree is None else tree.astype(np.float32, copy=True)
        model.loss_history_ = [math.nan if x is None else float(x) for x in state.get("loss_history", [])]
        model.train_stats_ = dict(state.get("run", {}))
        model._embeddings = None
        return model

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"vector_size": 8, "min_count": 1, "epochs": 2, "workers": 1, "window": 2}

    @classmethod
    def _test_data(cls) -> list[list[str]]:
        return [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat", "on", "the", "rug"]] * 20


_EMPTY = np.zeros((1, 1), np.float32)


def _initial_vectors(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    """Input vectors uniform in [-1/D, 1/D), gensim 4's range (word2vec.c draws from half of it).

    The range matters on short runs: with the narrower start, 3 CBOW epochs on a 1.9M-token
    corpus scored WordSim-353 Spearman 0.138 against gensim's 0.182 (bench/word2vec.py).
    """
    return ((rng.random((n, dim), dtype=np.float32) * 2.0 - 1.0) / dim).astype(np.float32)


# ---------------------------------------------------------------------- corpus handling
def _as_corpus(corpus: Any) -> Iterable[Sequence[str]]:
    """A restartable iterable of token lists, or a clear ``DataError``."""
    if isinstance(corpus, str | os.PathLike):
        if not str(corpus):
            raise DataError("corpus is an empty path; give a text file (one sentence per line) or token lists.")
        return LineCorpus(Path(corpus))
    if isinstance(corpus, bytes):
        raise DataError("corpus must be a list of token lists or a file path, got bytes; decode it first.")
    if not isinstance(corpus, Iterable):
        raise DataError(f"corpus must be a restartable iterable of token lists or a file path, "
                        f"got {type(corpus).__name__}.")
    if isinstance(corpus, Iterator):
        raise DataError(
            f"corpus is a one-shot {type(corpus).__name__}, but Word2Vec reads it once per epoch plus once for "
            "the vocabulary; pass a list, a seqlab.data.LineCorpus(path) or a file path instead."
        )
    return corpus


def _check_sentence(sent: Any, index: int) -> None:
    if isinstance(sent, str | bytes):
        raise DataError(f"corpus[{index}] is a str, but each sentence must be a list of tokens. "
                        f"Did you mean corpus[{index}].split()?")


def _count_words(corpus: Iterable[Sequence[str]], max_vocab_size: int | None) -> tuple[Counter[str], int, int]:
    """Word counts over ``corpus`` (pruned like gensim when ``max_vocab_size`` is exceeded).

    Returns the counts, the number of tokens and the number of training sentences
    (:func:`_n_pieces` of each sentence), which the learning-rate schedule runs on.
    """
    counts: Counter[str] = Counter()
    n_raw, n_sentences, min_reduce = 0, 0, 1
    for i, sent in enumerate(corpus):
        _check_sentence(sent, i)
        counts.update(sent)
        n_raw += len(sent)
        n_sentences += _n_pieces(len(sent))
        if max_vocab_size is not None and len(counts) > max_vocab_size:
            counts = Counter({w: c for w, c in counts.items() if c > min_reduce})
            min_reduce += 1
    return counts, n_raw, n_sentences


def _n_pieces(n_words: int) -> int:
    """Training sentences made of one corpus sentence: none if empty, else pieces of ``_MAX_SENTENCE``."""
    return -(-n_words // _MAX_SENTENCE)


def _build_vocabulary(counts: Counter[str], min_count: int, n_raw: int) -> Vocabulary:
    if n_raw == 0:
        raise DataError("The corpus holds no tokens (empty, or only blank lines); give a non-empty corpus.")
    vocab = Vocabulary.from_counter(counts, min_count=min_count)
    if not counts:
        raise DataError(f"max_vocab_size pruned every word of the {n_raw} tokens; raise max_vocab_size or "
                        "leave it unset.")
    if len(vocab) == _N_SPECIALS:
        top, top_count = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        raise DataError(
            f"No word occurs at least min_count={min_count} times (the most frequent, {top!r}, occurs "
            f"{top_count} times in {n_raw} tokens); lower min_count or give more text."
        )
    return vocab


class _RowIndex(dict[str, int]):
    """word -> row; unknown words map to -1 (they are dropped before training)."""

    def __missing__(self, key: str) -> int:
        return -1


def _chunks(corpus: Iterable[Sequence[str]], stoi: _RowIndex,
            raw: list[int]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Encode ``corpus`` into jobs ``(ids, starts)`` of about ``_CHUNK_WORDS`` tokens; ``raw[0]`` counts tokens."""
    get = stoi.__getitem__
    buf: list[int] = []
    lens: list[int] = []
    for i, sent in enumerate(corpus):
        _check_sentence(sent, i)
        n = len(sent)
        if n == 0:
            continue
        buf.extend(map(get, sent))
        if n <= _MAX_SENTENCE:
            lens.append(n)
        else:
            lens.extend([_MAX_SENTENCE] * (n // _MAX_SENTENCE) + ([n % _MAX_SENTENCE] if n % _MAX_SENTENCE else []))
        if len(buf) >= _CHUNK_WORDS:
            raw[0] += len(buf)
            yield _encode(buf, lens)
            buf, lens = [], []
    if buf:
        raw[0] += len(buf)
        yield _encode(buf, lens)


def _encode(buf: list[int], lens: list[int]) -> tuple[np.ndarray, np.ndarray]:
    raw = np.array(buf, dtype=np.int32)
    keep = raw >= 0
    sentence = np.repeat(np.arange(len(lens)), lens)
    kept_lens = np.bincount(sentence[keep], minlength=len(lens))
    starts = np.zeros(len(lens) + 1, np.int64)
    np.cumsum(kept_lens, out=starts[1:])
    return raw[keep], starts


def _progress_bar(total: int, progress: bool | None) -> Any:
    if progress is False:
        return None
    from seqlab.progress import tqdm_class

    tqdm = tqdm_class()

    return tqdm(total=total, unit="word", unit_scale=True, file=sys.stderr, leave=False,
                disable=None if progress is None else False, desc="word2vec", smoothing=0.1)


__all__ = ["Word2Vec", "alias_table", "huffman_paths", "subsample_thresholds"]
