"""``NeuralLM``: the fit/score/sample facade over the neural language models.

It implements the same :class:`~seqlab.protocols.LanguageModel` protocol as ``NGramLM``, so
:func:`seqlab.evaluate.perplexity`, :mod:`seqlab.generate` and the Bayes classifier use neural
and n-gram models alike. Decoding is stateful: ``begin``/``advance`` carry the recurrent state
or the Transformer's key/value cache, one token per call, instead of re-feeding the prefix.

>>> lm = NeuralLM(model="lstm", d_hidden=16, d_embed=8, n_layers=1,
...               train=TrainConfig(max_steps=5, batch_size=2, bptt=4)).fit([["a", "b"], ["a", "c"]])
>>> lm.next_log_probs(["a"]).shape
(7,)
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import torch
from torch import Tensor, nn

from seqlab import io
from seqlab._validation import check_sequences
from seqlab.base import float_at_least, int_at_least
from seqlab.data.streams import PaddedBatches, StreamBatches, encode_sentences, encode_stream, pad_batch
from seqlab.data.tokenize import Tokenizer, tokenizer_from_json, tokenizer_to_json
from seqlab.data.vocab import BOS_ID, Vocabulary
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.models.architectures import LM_ARCHITECTURES
from seqlab.models.estimator import TorchEstimator
from seqlab.models.lm import TransformerLMConfig, WindowLMConfig, _LMBase, init_uniform_
from seqlab.protocols import LanguageModelMixin, as_corpus
from seqlab.train.config import TrainConfig
from seqlab.train.objectives import TOKEN_CROSS_ENTROPY

#: Kept for scripts written against earlier releases: name -> (module family, fixed config fields).
MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    name: ({"RecurrentLMConfig": "recurrent", "ConvLMConfig": "conv", "TransformerLMConfig": "transformer",
            "WindowLMConfig": "window"}[LM_ARCHITECTURES[name].config.__name__], LM_ARCHITECTURES[name].fixed)
    for name in LM_ARCHITECTURES
}


_DEFAULT_TRAIN = TrainConfig()
_TIMINGS = ("seconds", "tokens_per_second")


@contextlib.contextmanager
def _single_step_kernels(single: bool) -> Iterator[None]:
    """One-token decoding steps skip oneDNN: its fused RNN primitive costs ~2 ms per call on CPU,
    4x the plain kernels' whole step (measured for a 2x256 LSTM); sequences keep it."""
    if not single:
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch warns about TF32 when toggling oneDNN
        with torch.backends.mkldnn.flags(enabled=False):
            yield


_SCORE_TOKENS = 2048  # inputs per scoring batch: bounds the (tokens x vocabulary) logits in memory
_STATEFUL_WINDOW = 4096  # longer sentences are scored in windows that carry the state (bounded memory)


def _token_budget_batches(order: list[int], encoded: list[np.ndarray]) -> list[list[int]]:
    """Group sentence indices (sorted by length) into batches of about ``_SCORE_TOKENS`` padded inputs."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        width = len(encoded[i]) - 1
        if current and (len(current) + 1) * width > _SCORE_TOKENS:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


@io.register
class NeuralLM(LanguageModelMixin, TorchEstimator):
    """A neural language model (recurrent, convolutional, Transformer or fixed-window) with a fit/score API.

    Parameters
    ----------
    model : {"rnn", "jordan", "lstm", "peephole", "gru", "conv", "transformer", "window"}
        An entry of :data:`LM_ARCHITECTURES`.
    n_layers, d_hidden, d_embed : int
        Depth, hidden width (``d_model`` for the Transformer) and embedding width (not the
        Transformer's, whose embeddings are ``d_model`` wide; setting it for one is an error).
    n_heads : int
        Attention heads (Transformer).
    context_size : int or None
        Position-table length (Transformer, default 256) or window size (fixed-window, default 4).
    kernel_size : int
        Convolution taps (conv).
    dropout : float
    tie_weights : bool or None
        Share input embedding and output weights (None: on for the Transformer only).
    positions : {"learned", "sinusoidal"}
        Transformer position embeddings.
    init_range : float or None
        Draw every weight except layer norms from ``U(-init_range, init_range)``, Zaremba et
        al.'s initialisation (0.1 for their PTB LSTMs); None keeps each layer's own default.
    min_count, max_vocab : vocabulary built from the training data when ``fit`` gets none.
    train : TrainConfig
    device : {"auto", "cpu", "cuda"}
    random_state : int or None
        Seed of initialisation, dropout and batch order (None: ``train.seed``).
    threads : int or None
        torch threads while fitting and scoring (None: torch's setting).

    Attributes
    ----------
    vocabulary_ : Vocabulary
    module_ : torch.nn.Module
    config_ : the frozen model config (``RecurrentLMConfig``, ...)
    train_result_ : dict
        Final figures of the last ``fit`` (``train_loss``, ``valid_loss``, ``steps``, ...).
    """

    architectures = LM_ARCHITECTURES
    objective = TOKEN_CROSS_ENTROPY
    module_: _LMBase
    tokenizer_: Tokenizer  # how text becomes tokens for this model (set by the command line, saved with it)
    _placeholder_fields: ClassVar[dict[str, Any]] = {"vocab_size": 8}
    _summary_keys: ClassVar[tuple[str, ...]] = ("steps", "valid_perplexity")

    _constraints: ClassVar[dict[str, Any]] = {
        **TorchEstimator._constraints,
        "model": (lambda v: v in LM_ARCHITECTURES, f"one of {LM_ARCHITECTURES.names()}"),
        "n_layers": int_at_least(1),
        "d_hidden": int_at_least(1),
        "d_embed": int_at_least(1),
        "n_heads": int_at_least(1),
        "min_count": int_at_least(1),
        "max_vocab": int_at_least(1, optional=True),
        "init_range": float_at_least(0, strict=True, optional=True),
    }

    def __init__(self, *, model: str = "lstm", n_layers: int = 2, d_hidden: int = 256, d_embed: int = 64,
                 n_heads: int = 4, context_size: int | None = None, kernel_size: int = 3, dropout: float = 0.1,
                 tie_weights: bool | None = None, positions: str = "learned", min_count: int = 1,
                 max_vocab: int | None = None, init_range: float | None = None, train: TrainConfig = _DEFAULT_TRAIN,
                 device: str = "auto", random_state: int | None = None, threads: int | None = None) -> None:
        self.model, self.n_layers, self.d_hidden, self.d_embed = model, n_layers, d_hidden, d_embed
        self.n_heads, self.context_size, self.kernel_size, self.dropout = n_heads, context_size, kernel_size, dropout
        self.tie_weights, self.positions, self.min_count, self.max_vocab = tie_weights, positions, min_count, max_vocab
        self.init_range, self.train, self.device = init_range, train, device
        self.random_state, self.threads = random_state, threads

    # ------------------------------------------------------------------ the TorchEstimator hooks
    def _config_overrides(self) -> dict[str, Any]:
        transformer = self.architecture.config is TransformerLMConfig
        tie = self.tie_weights if self.tie_weights is not None else transformer
        out: dict[str, Any] = {"tie_weights": tie}
        if transformer:
            out.update(d_model=self.d_hidden, context_size=self.context_size or 256)
        elif self.architecture.config is WindowLMConfig:
            out.update(context_size=self.context_size or 4)
        return out

    def _override_sources(self) -> set[str]:
        return {"d_hidden", "tie_weights", "context_size"}

    def _prepare(self, X: Any, y: Any = None, *, vocabulary: Vocabulary | None = None,
                 **kwargs: Any) -> list[list[str]]:
        corpus = check_sequences(X)
        if vocabulary is None:
            vocabulary = Vocabulary.build(corpus, min_count=self.min_count, max_size=self.max_vocab)
        self.vocabulary_ = vocabulary
        return corpus

    def _encode(self, X: Any, y: Any = None) -> list[list[str]] | None:
        corpus = [s for s in check_sequences(X, name="valid", allow_empty=True) if s]
        return corpus or None

    def _data_fields(self) -> dict[str, Any]:
        return {"vocab_size": len(self.vocabulary_)}

    def _init_module(self, module: nn.Module) -> None:
        if self.init_range is not None:
            init_uniform_(module, self.init_range)

    def _batches(self, corpus: list[list[str]], *, shuffle: bool, rows: slice | None) -> Any:
        cfg = self.train
        limit = self.module_.max_length
        if cfg.batching == "stream":
            if limit is not None and cfg.bptt > limit:
                raise InvalidParameterError(
                    f"bptt ({cfg.bptt}) exceeds the Transformer's position table ({limit}); "
                    f"use --bptt <= {limit} or a larger context_size.")
            return StreamBatches(encode_stream(corpus, self.vocabulary_), batch_size=cfg.batch_size, bptt=cfg.bptt,
                                 rows=rows)
        return PaddedBatches(encode_sentences(corpus, self.vocabulary_), batch_size=cfg.batch_size,
                             shuffle=shuffle, seed=self.seed_, max_length=limit or cfg.bptt, rows=rows)

    def _extra_state(self) -> dict[str, Any]:
        return {"family": MODELS[self.model][0], "vocabulary": self.vocabulary_.to_json(),
                "tokenizer": tokenizer_to_json(getattr(self, "tokenizer_", None))}

    def _restore_extra_state(self, state: dict[str, Any]) -> None:
        self.vocabulary_ = Vocabulary.from_json(state["vocabulary"])
        if isinstance(state.get("tokenizer"), dict):
            self.tokenizer_ = tokenizer_from_json(state["tokenizer"])

    @property
    def history_(self) -> list[dict[str, Any]]:
        """Every evaluation of the last ``fit`` (the same list as ``train_history_``)."""
        return self.train_history_

    @property
    def family_(self) -> str:
        """The module family of ``model``: ``recurrent``, ``conv``, ``transformer`` or ``window``."""
        return MODELS[self.model][0]

    def fit(self, sequences: Iterable[Sequence[str]], y: Any = None, *,  # type: ignore[override]
            valid: Iterable[Sequence[str]] | None = None, vocabulary: Vocabulary | None = None,
            checkpoint_dir: str | Path | None = None, resume: bool = False, callbacks: Sequence[Any] = (),
            metrics_path: str | Path | None = None, quiet: bool = True) -> Self:
        """Train on token sequences (one sentence or line each).

        Parameters
        ----------
        sequences : list of token lists
        valid : list of token lists, optional
            Validation data for evaluation / early stopping.
        vocabulary : Vocabulary, optional
            Use this vocabulary (e.g. an ``NGramLM``'s ``vocabulary_``, so perplexities are
            comparable); by default one is built with ``min_count`` / ``max_vocab``.
        checkpoint_dir : path, optional
            Write checkpoints here (a loadable model directory plus ``trainer.pt``).
        resume : bool
            Continue from the checkpoint in ``checkpoint_dir``.
        callbacks, metrics_path, quiet : see :meth:`TorchEstimator.fit`.
        """
        return super().fit(sequences, y, valid=valid, checkpoint_dir=checkpoint_dir, resume=resume,
                           callbacks=callbacks, metrics_path=metrics_path, quiet=quiet, vocabulary=vocabulary)

    # ------------------------------------------------------------------ scoring
    def _forward(self, ids: Tensor, state: Any = None, *, last_only: bool = False) -> tuple[Tensor, Any]:
        """Log-probs after each input (float32), or after the last one only (float64)."""
        with torch.no_grad(), _single_step_kernels(ids.size(1) == 1):
            out = self.module_(ids.to(self.device_), None, state)
        if last_only:
            return torch.log_softmax(out.logits[:, -1:].double(), -1), out.state
        return torch.log_softmax(out.logits, -1), out.state

    def token_log_probs(self, corpus: Iterable[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Per-token ln p of every word and ``</s>``, batched; each sentence starts from ``<s>``."""
        self._check_fitted()
        sentences = as_corpus(self, corpus)
        encoded = encode_sentences(sentences, self.vocabulary_)
        scores: list[np.ndarray] = [np.empty(0)] * len(encoded)
        limit = self.module_.max_length
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        cap = limit if limit is not None else _STATEFUL_WINDOW
        short = [i for i in order if len(encoded[i]) - 1 <= cap]
        for idx in _token_budget_batches(short, encoded):
            batch = pad_batch([encoded[i] for i in idx])
            logp, _ = self._forward(torch.from_numpy(batch.inputs))
            targets = torch.from_numpy(batch.targets).clamp(min=0).to(logp.device)
            picked = logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1).double().cpu().numpy()
            for row, i in enumerate(idx):
                scores[i] = picked[row, : batch.lengths[row]]
        for i in order:
            if len(encoded[i]) - 1 > cap:  # a very long line: windows, never one huge tensor
                scores[i] = (self._score_long(encoded[i], limit) if limit is not None
                             else self._score_stateful(encoded[i], _STATEFUL_WINDOW))
        oov = [np.append(self.vocabulary_.is_oov(s), False) for s in sentences]
        if not encoded:
            return np.empty(0), np.empty(0, dtype=bool)
        return np.concatenate(scores), np.concatenate(oov)

    def _score_stateful(self, ids: np.ndarray, window: int) -> np.ndarray:
        """Score a long sequence ``window`` inputs at a time, carrying the model's state between windows.

        Exact for the models that carry state (recurrent stacks; convolutions and fixed windows keep
        their receptive field): the same numbers as one pass, in bounded memory.
        """
        n = len(ids) - 1
        out = np.empty(n)
        state = None
        for start in range(0, n, window):
            end = min(start + window, n)
            logp, state = self._forward(torch.from_numpy(ids[start:end][None, :]), state)  # (1, w, V)
            targets = torch.from_numpy(ids[start + 1: end + 1]).unsqueeze(-1).to(logp.device)  # (w, 1)
            out[start:end] = logp[0].gather(-1, targets).squeeze(-1).double().cpu().numpy()
        return out

    def _score_long(self, ids: np.ndarray, window: int) -> np.ndarray:
        """Score a sequence longer than the position table: each window of ``window`` inputs scores
        its last ``window // 2`` positions, so every prediction sees at least half a window."""
        n = len(ids) - 1
        out = np.empty(n)
        stride = max(1, window // 2)
        done = 0
        while done < n:
            end = min(window if done == 0 else done + stride, n)
            start = max(0, end - window)
            logp, _ = self._forward(torch.from_numpy(ids[start:end][None, :]))
            targets = torch.from_numpy(ids[start + 1: end + 1]).unsqueeze(-1).to(logp.device)
            out[done:end] = logp[0].gather(-1, targets).squeeze(-1).double().cpu().numpy()[done - start:]
            done = end
        return out

    # ------------------------------------------------------------------ decoding
    def begin(self, context: Sequence[str]) -> tuple[np.ndarray, Any]:
        """Feed ``<s> + context``: (next log-probs (V,), decoding state)."""
        self._check_fitted()
        ids = [BOS_ID, *self.vocabulary_.encode(self._prefix(context)).tolist()]
        return self._feed(tuple(ids), None, ids)

    def advance(self, state: Any, token_id: int) -> tuple[np.ndarray, Any]:
        """Feed one token id to a decoding state (the state given is not modified)."""
        history, module_state = state
        token_id = int(token_id)
        if not 0 <= token_id < len(self.vocabulary_):
            raise DataError(f"token_id must be in [0, {len(self.vocabulary_)}), got {token_id}.")
        return self._feed((*history, token_id), module_state, [token_id])

    def _feed(self, history: tuple[int, ...], module_state: Any, new: list[int]) -> tuple[np.ndarray, Any]:
        limit = self.module_.max_length
        if limit is not None and len(history) > limit:  # position table full: re-feed the recent window
            history = history[len(history) - limit:]
            module_state, new = None, list(history)
        logp, module_state = self._forward(torch.tensor([new], dtype=torch.int64), module_state, last_only=True)
        keep = history if limit is not None else ()
        return logp[0, -1].cpu().numpy(), (keep, module_state)

    # ------------------------------------------------------------------ conformance hooks
    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"model": "lstm", "n_layers": 1, "d_hidden": 8, "d_embed": 8, "dropout": 0.0, "device": "cpu",
                "train": TrainConfig(max_steps=3, batch_size=2, bptt=4, eval_every=10)}

    @classmethod
    def _test_data(cls) -> list[list[str]]:
        return [["a", "b", "c"], ["a", "c"], ["b", "a", "c", "b"]]
