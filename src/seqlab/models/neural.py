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
import dataclasses
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import torch
from torch import Tensor

from seqlab import io
from seqlab._validation import check_sequences
from seqlab.base import BaseModel, float_at_least, int_at_least
from seqlab.data.streams import PaddedBatches, StreamBatches, encode_sentences, encode_stream, pad_batch
from seqlab.data.tokenize import Tokenizer, tokenizer_from_json, tokenizer_to_json
from seqlab.data.vocab import BOS_ID, Vocabulary
from seqlab.exceptions import DataError, FormatError, InvalidParameterError
from seqlab.models.lm import _LMBase, build_module, init_uniform_
from seqlab.protocols import LanguageModelMixin, as_corpus
from seqlab.train.config import TrainConfig
from seqlab.train.trainer import Trainer, TrainResult, resolve_device

#: ``--model`` name -> (module family, fixed config fields)
MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    "rnn": ("recurrent", {"cell": "rnn"}),
    "jordan": ("recurrent", {"cell": "jordan"}),
    "lstm": ("recurrent", {"cell": "lstm"}),
    "peephole": ("recurrent", {"cell": "peephole"}),
    "gru": ("recurrent", {"cell": "gru"}),
    "conv": ("conv", {}),
    "transformer": ("transformer", {}),
    "window": ("window", {}),
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
class NeuralLM(LanguageModelMixin, BaseModel):
    """A neural language model (recurrent, convolutional, Transformer or fixed-window) with a fit/score API.

    Parameters
    ----------
    model : {"rnn", "jordan", "lstm", "peephole", "gru", "conv", "transformer", "window"}
    n_layers, d_hidden, d_embed : int
        Depth, hidden width (``d_model`` for the Transformer) and embedding width (unused by the
        Transformer, whose embeddings are ``d_model`` wide).
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

    Attributes
    ----------
    vocabulary_ : Vocabulary
    module_ : torch.nn.Module
    config_ : the frozen model config (``RecurrentLMConfig``, ...)
    train_result_ : dict
        Final figures of the last ``fit`` (``train_loss``, ``valid_loss``, ``steps``, ...).
    """

    tokenizer_: Tokenizer  # set by the command line: how text becomes tokens for this model

    _constraints: ClassVar[dict[str, Any]] = {
        "model": (lambda v: v in MODELS, f"one of {list(MODELS)}"),
        "n_layers": int_at_least(1),
        "d_hidden": int_at_least(1),
        "d_embed": int_at_least(1),
        "n_heads": int_at_least(1),
        "train": (lambda v: isinstance(v, TrainConfig), "a TrainConfig"),
        "device": (lambda v: isinstance(v, str), "'auto', 'cpu' or 'cuda'"),
        "init_range": float_at_least(0, strict=True, optional=True),
    }

    def __init__(self, *, model: str = "lstm", n_layers: int = 2, d_hidden: int = 256, d_embed: int = 64,
                 n_heads: int = 4, context_size: int | None = None, kernel_size: int = 3, dropout: float = 0.1,
                 tie_weights: bool | None = None, positions: str = "learned", min_count: int = 1,
                 max_vocab: int | None = None, init_range: float | None = None, train: TrainConfig = _DEFAULT_TRAIN,
                 device: str = "auto") -> None:
        self.model, self.n_layers, self.d_hidden, self.d_embed = model, n_layers, d_hidden, d_embed
        self.n_heads, self.context_size, self.kernel_size, self.dropout = n_heads, context_size, kernel_size, dropout
        self.tie_weights, self.positions, self.min_count, self.max_vocab = tie_weights, positions, min_count, max_vocab
        self.init_range, self.train, self.device = init_range, train, device

    # ------------------------------------------------------------------ building
    def _config_fields(self, vocab_size: int) -> tuple[str, dict[str, Any]]:
        family, fixed = MODELS[self.model]
        tie = self.tie_weights if self.tie_weights is not None else family == "transformer"
        common = {"vocab_size": vocab_size, "n_layers": self.n_layers, "dropout": self.dropout, "tie_weights": tie}
        if family == "transformer":
            fields = {**common, "d_model": self.d_hidden, "n_heads": self.n_heads, "positions": self.positions,
                      "context_size": self.context_size or 256}
        elif family == "window":
            fields = {k: v for k, v in common.items() if k != "n_layers"}
            fields.update(d_embed=self.d_embed, d_hidden=self.d_hidden, context_size=self.context_size or 4)
        elif family == "conv":
            fields = {**common, "d_embed": self.d_embed, "d_hidden": self.d_hidden, "kernel_size": self.kernel_size}
        else:
            fields = {**common, **fixed, "d_embed": self.d_embed, "d_hidden": self.d_hidden}
        return family, fields

    def _build(self, vocabulary: Vocabulary) -> None:
        family, fields = self._config_fields(len(vocabulary))
        torch.manual_seed(self.train.seed)
        module = build_module(family, fields)
        if self.init_range is not None:
            init_uniform_(module, self.init_range)
        self.vocabulary_ = vocabulary
        self.family_ = family
        self.config_: Any = module.config
        self.device_ = resolve_device(self.device)
        self.module_: _LMBase = module.to(self.device_)
        self.train_result_: dict[str, Any] = {}

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
                             shuffle=shuffle, seed=cfg.seed, max_length=limit or cfg.bptt, rows=rows)

    # ------------------------------------------------------------------ fitting
    def fit(self, sequences: Iterable[Sequence[str]], *, valid: Iterable[Sequence[str]] | None = None,
            vocabulary: Vocabulary | None = None, checkpoint_dir: str | Path | None = None, resume: bool = False,
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
        """
        self._validate_params()
        if self.min_count < 1:
            raise InvalidParameterError(f"min_count must be >= 1, got {self.min_count}.")
        corpus = check_sequences(sequences)
        valid_corpus = check_sequences(valid, name="valid") if valid is not None else None
        if vocabulary is None:
            vocabulary = Vocabulary.build(corpus, min_count=self.min_count, max_size=self.max_vocab)
        self._build(vocabulary)
        trainer = Trainer(self.train, device=self.device_, checkpoint_dir=checkpoint_dir,
                          write_model=self._write_files if checkpoint_dir is not None else None,
                          metrics_path=metrics_path, quiet=quiet)
        rows = trainer.dist.rows(self.train.batch_size)
        train_batches = self._batches(corpus, shuffle=True, rows=rows)
        valid_batches = self._batches(valid_corpus, shuffle=False, rows=rows) if valid_corpus else None
        if resume:
            self._load_checkpoint_weights(Path(checkpoint_dir) if checkpoint_dir is not None else None)
        result: TrainResult = trainer.fit(self.module_, train_batches, valid_batches, resume=resume)
        self.module_.eval()
        self.train_result_ = result.summary()
        self.history_ = result.history
        return self

    def _load_checkpoint_weights(self, path: Path | None) -> None:
        if path is None:
            raise InvalidParameterError("resume=True needs checkpoint_dir.")
        try:
            other = io.load(path)
        except FormatError as exc:
            raise FormatError(f"Cannot resume from {path}: {exc}") from None
        if not isinstance(other, NeuralLM):
            raise FormatError(f"Cannot resume from {path}: it holds a {type(other).__name__}, not a NeuralLM.")
        if other.config_ != self.config_ or other.vocabulary_ != self.vocabulary_:
            raise FormatError(
                f"Cannot resume from {path}: it holds {other.config_}, but this run builds {self.config_} "
                "(or uses another vocabulary). Use the same model flags and data, or a new output directory.")
        self.module_.load_state_dict(other.module_.state_dict())

    # ------------------------------------------------------------------ persistence
    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        arrays: dict[str, np.ndarray] = {}
        seen: dict[int, str] = {}
        for name, tensor in self.module_.state_dict().items():
            ptr = tensor.data_ptr()
            if ptr in seen:  # tied weights are stored once (as safetensors' save_model does)
                continue
            seen[ptr] = name
            arrays[name] = tensor.detach().cpu().numpy()
        summary = {"architecture": self.model, "parameters": self.module_.num_parameters(),
                   "vocab_size": len(self.vocabulary_), **{k: v for k, v in self.train_result_.items()
                                                          if k in ("steps", "valid_perplexity")}}
        result = {k: v for k, v in self.train_result_.items() if k not in _TIMINGS}  # deterministic part only
        meta = {"family": self.family_, "config": dataclasses.asdict(self.config_),
                "vocabulary": self.vocabulary_.to_json(), "train_result": result, "summary": summary,
                "tokenizer": tokenizer_to_json(getattr(self, "tokenizer_", None))}
        return meta, arrays

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        obj = cls(**params)
        obj.vocabulary_ = Vocabulary.from_json(state["vocabulary"])
        obj.family_ = state["family"]
        module = build_module(state["family"], state["config"])
        tensors = {k: torch.from_numpy(v.copy()) for k, v in arrays.items()}
        missing, unexpected = module.load_state_dict(tensors, strict=False)
        tied = {"head.weight"} if getattr(module.config, "tie_weights", False) else set()
        if unexpected or set(missing) - tied:
            raise FormatError(f"The saved weights do not fit a {state['family']} model: missing {sorted(missing)}, "
                              f"unexpected {sorted(unexpected)}.")
        obj.config_ = module.config
        obj.device_ = resolve_device(obj.device)
        obj.module_ = module.to(obj.device_).eval()
        obj.train_result_ = dict(state.get("train_result") or {})
        if isinstance(state.get("tokenizer"), dict):
            obj.tokenizer_ = tokenizer_from_json(state["tokenizer"])
        return obj

    def _write_files(self, directory: Path) -> None:
        """Write manifest + weights into ``directory`` (used for checkpoints and :meth:`save`)."""
        from safetensors.numpy import save_file

        meta, arrays = self._to_state()
        arrays = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
        save_file(arrays, str(directory / io.ARRAYS))
        io.write_json(directory / io.MANIFEST, io.make_manifest(self, meta, arrays))

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
        short = [i for i in order if limit is None or len(encoded[i]) - 1 <= limit]
        for idx in _token_budget_batches(short, encoded):
            batch = pad_batch([encoded[i] for i in idx])
            logp, _ = self._forward(torch.from_numpy(batch.inputs))
            targets = torch.from_numpy(batch.targets).clamp(min=0).to(logp.device)
            picked = logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1).double().cpu().numpy()
            for row, i in enumerate(idx):
                scores[i] = picked[row, : batch.lengths[row]]
        for i in order:
            if limit is not None and len(encoded[i]) - 1 > limit:
                scores[i] = self._score_long(encoded[i], limit)
        oov = [np.append(self.vocabulary_.is_oov(s), False) for s in sentences]
        if not encoded:
            return np.empty(0), np.empty(0, dtype=bool)
        return np.concatenate(scores), np.concatenate(oov)

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
