"""Neural sequence classifiers (sequence -> label) for text and numeric sequences.

One facade, :class:`NeuralClassifier`, over four encoder families (``--model``):

* ``rnn``, ``lstm``, ``gru``, ``peephole``: a (stacked, optionally bidirectional) recurrent
  encoder run on packed sequences, then a pooling head (``last`` real step, ``mean``, ``max``
  or learned ``attention``);
* ``cnn``: Kim (2014): wide convolutions of several widths, ReLU, max-over-time pooling;
* ``cnn-lstm``: same-length convolution features fed to an LSTM, then pooling;
* ``transformer``: encoder blocks with a padding mask, then pooling (default ``mean``).

Inputs are texts (``str``, tokenised by the saved tokenizer), token lists, or numeric arrays of
shape ``(T, F)`` (variable ``T``), all through the same class. Embeddings are learned, or
pretrained (a seqlab ``Word2Vec`` directory or a word2vec text/binary file) used ``static``,
``non-static`` or ``multichannel`` (Kim's two channels: here one frozen and one fine-tuned
table, concatenated per token). Symbols: ``N`` batch, ``L`` length, ``E`` embedding size,
``H`` hidden size, ``C`` classes.

>>> clf = NeuralClassifier(model="cnn", d_embed=8, n_filters=4, kernel_sizes=(1, 2), dropout=0.0,
...                        train=TrainConfig(max_steps=30, batch_size=4, batching="padded", lr=0.05))
>>> X = ["good fine great", "bad awful poor", "great good", "poor bad"] * 3
>>> y = ["pos", "neg", "pos", "neg"] * 3
>>> clf.fit(X, y).predict(["fine great", "awful bad"]).tolist()
['pos', 'neg']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.data.vocab import Vocabulary
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.io import register
from seqlab.models._sequence_data import BucketBatches, check_numeric, check_tokens, is_numeric, load_pretrained
from seqlab.models.architectures import CLASSIFY_ARCHITECTURES
from seqlab.models.estimator import TorchEstimator
from seqlab.models.registry import Registry
from seqlab.nn.cells import CELLS
from seqlab.nn.pooling import POOLING_MODES, SequencePooling
from seqlab.nn.recurrent import Recurrent
from seqlab.nn.textconv import KimCNN, MaskedConv, check_kernel_sizes
from seqlab.nn.transformer import PositionEmbedding, TransformerBlock
from seqlab.train.batch import TensorBatch
from seqlab.train.config import TrainConfig

EMBEDDING_MODES = ("static", "non-static", "multichannel")


# ---------------------------------------------------------------------- configs
def _check_common(cfg: Any) -> None:
    if cfg.n_classes < 2:
        raise InvalidParameterError(f"n_classes must be >= 2, got {cfg.n_classes}.")
    if (cfg.vocab_size > 0) == (cfg.n_features > 0):
        raise InvalidParameterError("exactly one of vocab_size (text) and n_features (numeric) must be > 0; "
                                    f"got vocab_size={cfg.vocab_size}, n_features={cfg.n_features}.")
    if not (isinstance(cfg.d_embed, int) and cfg.d_embed >= 1):
        raise InvalidParameterError(f"d_embed must be an int >= 1, got {cfg.d_embed!r}.")
    if not (isinstance(cfg.dropout, int | float) and 0 <= cfg.dropout < 1):
        raise InvalidParameterError(f"dropout must be in [0, 1), got {cfg.dropout!r}.")
    if cfg.embeddings_mode not in EMBEDDING_MODES:
        raise InvalidParameterError(f"embeddings_mode must be one of {', '.join(EMBEDDING_MODES)}; "
                                    f"got {cfg.embeddings_mode!r}.")
    for name in ("d_hidden", "n_layers", "n_filters", "n_heads", "max_length"):
        value = getattr(cfg, name, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidParameterError(f"{name} must be an int >= 1, got {value!r}.")
    if hasattr(cfg, "kernel_sizes"):
        object.__setattr__(cfg, "kernel_sizes", check_kernel_sizes(cfg.kernel_sizes))
    if hasattr(cfg, "pooling") and cfg.pooling not in POOLING_MODES:
        raise InvalidParameterError(f"pooling must be one of {', '.join(POOLING_MODES)}; got {cfg.pooling!r}.")


@dataclass(frozen=True, kw_only=True)
class RecurrentClassifierConfig:
    """Recurrent encoder + pooling head (``cell`` one of ``seqlab.nn.CELLS``)."""

    n_classes: int
    vocab_size: int = 0
    n_features: int = 0
    d_embed: int = 100
    dropout: float = 0.2
    embeddings_mode: str = "non-static"
    cell: str = "lstm"
    d_hidden: int = 128
    n_layers: int = 1
    bidirectional: bool = False
    pooling: str = "last"

    def __post_init__(self) -> None:
        _check_common(self)
        if self.cell not in CELLS:
            raise InvalidParameterError(f"cell must be one of {sorted(CELLS)}, got {self.cell!r}.")


@dataclass(frozen=True, kw_only=True)
class ConvClassifierConfig:
    """Kim's CNN: ``kernel_sizes`` widths x ``n_filters`` filters, max-over-time pooling."""

    n_classes: int
    vocab_size: int = 0
    n_features: int = 0
    d_embed: int = 100
    dropout: float = 0.5
    embeddings_mode: str = "non-static"
    kernel_sizes: tuple[int, ...] = (3, 4, 5)
    n_filters: int = 100

    def __post_init__(self) -> None:
        _check_common(self)


@dataclass(frozen=True, kw_only=True)
class ConvRecurrentClassifierConfig:
    """Convolution features per step fed to an LSTM, then pooling."""

    n_classes: int
    vocab_size: int = 0
    n_features: int = 0
    d_embed: int = 100
    dropout: float = 0.2
    embeddings_mode: str = "non-static"
    kernel_sizes: tuple[int, ...] = (3,)
    n_filters: int = 100
    d_hidden: int = 128
    n_layers: int = 1
    bidirectional: bool = False
    pooling: str = "last"

    def __post_init__(self) -> None:
        _check_common(self)


@dataclass(frozen=True, kw_only=True)
class TransformerClassifierConfig:
    """Transformer encoder blocks (width ``d_hidden``) with a padding mask, then pooling."""

    n_classes: int
    vocab_size: int = 0
    n_features: int = 0
    d_embed: int = 100
    dropout: float = 0.1
    embeddings_mode: str = "non-static"
    d_hidden: int = 128
    n_layers: int = 2
    n_heads: int = 4
    max_length: int = 512
    pooling: str = "mean"

    def __post_init__(self) -> None:
        _check_common(self)
        if self.d_hidden % self.n_heads:
            raise InvalidParameterError(f"d_hidden ({self.d_hidden}) must be divisible by n_heads ({self.n_heads}).")


# ---------------------------------------------------------------------- module
class InputLayer(nn.Module):
    """Token ids (N, L) -> embeddings (N, L, E or 2E); numeric (N, L, F) passes through."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.text = config.vocab_size > 0
        self.size = config.n_features
        if self.text:
            self.embed = nn.Embedding(config.vocab_size, config.d_embed, padding_idx=0)
            self.embed_static: nn.Embedding | None = None
            if config.embeddings_mode == "static":
                self.embed.weight.requires_grad_(False)
            if config.embeddings_mode == "multichannel":
                self.embed_static = nn.Embedding(config.vocab_size, config.d_embed, padding_idx=0)
                self.embed_static.weight.requires_grad_(False)
            self.size = config.d_embed * (2 if self.embed_static is not None else 1)

    def forward(self, inputs: Tensor) -> Tensor:
        if not self.text:
            return inputs                                                        # (N, L, F)
        x: Tensor = self.embed(inputs)                                           # (N, L, E)
        if self.embed_static is not None:
            x = torch.cat([x, self.embed_static(inputs)], dim=-1)                # (N, L, 2E)
        return x


class SequenceEncoder(nn.Module):
    """The encoder of a classifier config: ``(x (N, L, C), mask (N, L)) -> (N, L, D)`` or ``(N, D)`` (CNN)."""

    def __init__(self, config: Any, d_in: int) -> None:
        super().__init__()
        self.kind = type(config).__name__
        self.pool: SequencePooling | None = None
        if isinstance(config, ConvClassifierConfig):
            self.cnn = KimCNN(d_in, kernel_sizes=config.kernel_sizes, n_filters=config.n_filters)
            self.output_size = self.cnn.output_size
            return
        if isinstance(config, TransformerClassifierConfig):
            self.proj = nn.Linear(d_in, config.d_hidden)
            self.pos = PositionEmbedding(config.d_hidden, max_length=config.max_length, overflow="sinusoidal")
            self.blocks = nn.ModuleList(TransformerBlock(config.d_hidden, config.n_heads, dropout=config.dropout)
                                        for _ in range(config.n_layers))
            self.norm = nn.LayerNorm(config.d_hidden)
            self.output_size = config.d_hidden
            backward = 0
        else:
            self.conv = None
            if isinstance(config, ConvRecurrentClassifierConfig):
                self.conv = MaskedConv(d_in, kernel_sizes=config.kernel_sizes, n_filters=config.n_filters)
                d_in = self.conv.output_size
            cell = getattr(config, "cell", "lstm")
            self.rnn = Recurrent(d_in, config.d_hidden, cell=cell, n_layers=config.n_layers,
                                 bidirectional=config.bidirectional,
                                 dropout=config.dropout if config.n_layers > 1 else 0.0)
            self.output_size = self.rnn.output_size
            backward = config.d_hidden if config.bidirectional else 0
        self.pool = SequencePooling(config.pooling, self.output_size, backward_half=backward)

    def forward(self, x: Tensor, mask: Tensor, lengths: Tensor) -> Tensor:
        if self.pool is None:
            pooled: Tensor = self.cnn(x, mask)                                   # (N, len(ks) * F)
            return pooled
        if hasattr(self, "blocks"):
            h = self.pos(self.proj(x))                                           # (N, L, H)
            for block in self.blocks:
                h = block(h, mask=mask)                                          # (N, L, H)
            h = self.norm(h)
        else:
            if self.conv is not None:
                x = self.conv(x, mask)                                           # (N, L, len(ks) * F)
            h, _ = self.rnn(x, lengths=lengths)                                  # (N, L, D*H), 0 at padding
        out: Tensor = self.pool(h, mask)                                         # (N, D)
        return out


class SequenceClassifierNet(nn.Module):
    """Input layer -> encoder -> pooled vector -> dropout -> linear: ``forward(inputs, lengths) -> logits (N, C)``."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.config = config
        self.inputs = InputLayer(config)
        self.encoder = SequenceEncoder(config, self.inputs.size)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(self.encoder.output_size, config.n_classes)

    def features(self, inputs: Tensor, lengths: Tensor | None = None) -> Tensor:
        """The pooled representation (N, D) that the output layer reads."""
        n, length = inputs.shape[:2]
        if lengths is None:
            lengths = torch.full((n,), length, dtype=torch.long, device=inputs.device)
        mask = torch.arange(length, device=inputs.device)[None, :] < lengths[:, None]  # (N, L)
        x = self.drop(self.inputs(inputs))                                       # (N, L, C)
        features: Tensor = self.encoder(x, mask, lengths)                        # (N, D)
        return features

    def forward(self, inputs: Tensor, lengths: Tensor | None = None) -> Tensor:
        logits: Tensor = self.head(self.drop(self.features(inputs, lengths)))   # (N, C)
        return logits


# ---------------------------------------------------------------------- objective
@dataclass(frozen=True)
class ClassCrossEntropy:
    """Summed (optionally example-weighted) cross-entropy of one label per row; the count is the rows."""

    name: str = "class_cross_entropy"
    perplexity: bool = False

    def __call__(self, module: nn.Module, batch: TensorBatch, state: Any) -> tuple[Tensor, Tensor, Any]:
        logits = module(batch.inputs, batch.lengths)                             # (N, C)
        losses = F.cross_entropy(logits, batch.targets, reduction="none")        # (N,)
        if batch.weights is not None:
            losses = losses * batch.weights
        return losses.sum(), torch.tensor(batch.size, device=logits.device), None


CLASS_CROSS_ENTROPY = ClassCrossEntropy()

_DEFAULT_TRAIN = TrainConfig(batching="padded", max_epochs=5, batch_size=32, lr=2e-3, eval_every=100)


# ---------------------------------------------------------------------- facade
@register
class NeuralClassifier(TorchEstimator):
    """Sequence classifier with the scikit-learn contract (``fit``, ``predict``, ``predict_proba``, ``score``).

    Parameters
    ----------
    model : {"rnn", "lstm", "gru", "peephole", "cnn", "cnn-lstm", "transformer"}, default="lstm"
    d_embed, d_hidden, n_layers, bidirectional, dropout : architecture sizes
        (``d_embed``: token embedding size, unused for numeric inputs).
    pooling : {"last", "mean", "max", "attention"}, optional
        Head of the recurrent and Transformer encoders (default ``last``, Transformer ``mean``);
        ``cnn`` always pools max-over-time.
    kernel_sizes, n_filters : CNN widths and filters per width.
    n_heads, max_length : Transformer heads and learned positions (longer inputs use sinusoids).
    embeddings : str, optional
        Pretrained vectors: a seqlab ``Word2Vec`` model directory or a word2vec text/binary file.
    embeddings_mode : {"static", "non-static", "multichannel"}, default="non-static"
    class_weight : {"balanced"} or None
        ``balanced`` weighs each example by ``n / (n_classes * count(class))`` (scikit-learn's rule).
    tokenizer : {"word", "whitespace", "char"}, default="word"
        How ``str`` inputs are split (token lists are used as they are); saved with the model.
    lowercase : bool, default=True
    min_count, max_vocab : vocabulary limits (rarer tokens become ``<unk>``).
    truncate : int or None, default=400
        Keep at most this many steps of each sequence (the first ones).
    train, device, random_state, threads : see :class:`~seqlab.models.TorchEstimator`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    vocabulary_ : Vocabulary or None (numeric inputs)
    n_features_in_ : int or None (text inputs)
    embeddings_missing_ : int
        Vocabulary words the pretrained table lacked (initialised ``U(-0.25, 0.25)``).
    """

    architectures: ClassVar[Registry] = CLASSIFY_ARCHITECTURES
    objective: ClassVar[Any] = CLASS_CROSS_ENTROPY
    _fit_params: ClassVar[frozenset[str]] = TorchEstimator._fit_params | {
        "embeddings", "class_weight", "tokenizer", "lowercase", "truncate"}
    _placeholder_fields: ClassVar[dict[str, Any]] = {"n_classes": 2, "vocab_size": 10}
    _summary_keys: ClassVar[tuple[str, ...]] = ("steps", "valid_loss")
    _estimator_type = "classifier"

    def __init__(self, *, model: str = "lstm", d_embed: int = 100, d_hidden: int = 128, n_layers: int = 1,
                 bidirectional: bool = False, pooling: str | None = None, kernel_sizes: Sequence[int] = (3, 4, 5),
                 n_filters: int = 100, n_heads: int = 4, max_length: int = 512, dropout: float = 0.2,
                 embeddings: str | None = None, embeddings_mode: str = "non-static", class_weight: str | None = None,
                 tokenizer: str = "word", lowercase: bool = True, min_count: int = 1, max_vocab: int | None = None,
                 truncate: int | None = 400, train: TrainConfig = _DEFAULT_TRAIN, device: str = "auto",
                 random_state: int | None = None, threads: int | None = None) -> None:
        self.model, self.d_embed, self.d_hidden, self.n_layers = model, d_embed, d_hidden, n_layers
        self.bidirectional, self.pooling = bidirectional, pooling
        self.kernel_sizes, self.n_filters = kernel_sizes, n_filters
        self.n_heads, self.max_length, self.dropout = n_heads, max_length, dropout
        self.embeddings, self.embeddings_mode, self.class_weight = embeddings, embeddings_mode, class_weight
        self.tokenizer, self.lowercase, self.min_count, self.max_vocab = tokenizer, lowercase, min_count, max_vocab
        self.truncate, self.train, self.device = truncate, train, device
        self.random_state, self.threads = random_state, threads

    # ------------------------------------------------------------------ scikit-learn glue
    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags(), input_tags=InputTags(two_d_array=False, string=True))

    # ------------------------------------------------------------------ configuration
    def _config_overrides(self) -> dict[str, Any]:
        default = "mean" if self.model == "transformer" else "last"
        return {"pooling": self.pooling or default,
                "kernel_sizes": tuple(self.kernel_sizes) if not isinstance(self.kernel_sizes, int)
                else (self.kernel_sizes,)}

    def _override_sources(self) -> set[str]:
        return {"pooling", "kernel_sizes"}

    def _validate_params(self) -> None:
        if self.model == "cnn" and self.pooling not in (None, "max"):
            raise InvalidParameterError(f"pooling={self.pooling!r} does not apply to model='cnn' (Kim's CNN always "
                                        "pools max-over-time); leave pooling unset or use cnn-lstm.")
        if self.model not in ("cnn", "cnn-lstm") and (tuple(np.atleast_1d(self.kernel_sizes)) != (3, 4, 5)
                                                      or self.n_filters != 100):
            raise InvalidParameterError(f"kernel_sizes and n_filters apply to the cnn and cnn-lstm models, "
                                        f"not {self.model!r}; leave them at their defaults.")
        check_kernel_sizes(tuple(np.atleast_1d(self.kernel_sizes).tolist()))
        if self.class_weight not in (None, "balanced"):
            raise InvalidParameterError(f"class_weight must be None or 'balanced', got {self.class_weight!r}.")
        if self.embeddings is None and self.embeddings_mode in ("static", "multichannel"):
            raise InvalidParameterError(f"embeddings_mode={self.embeddings_mode!r} needs pretrained embeddings "
                                        "(embeddings=PATH); without them use 'non-static' (learned).")
        if self.truncate is not None and (not isinstance(self.truncate, int) or self.truncate < 1):
            raise InvalidParameterError(f"truncate must be None or an int >= 1, got {self.truncate!r}.")
        super()._validate_params()

    # ------------------------------------------------------------------ data hooks
    def _tokenizer(self) -> Any:
        from seqlab.data.tokenize import get_tokenizer

        return get_tokenizer(self.tokenizer, lowercase=self.lowercase)

    def _rows(self, X: Any, *, fitting: bool) -> list[np.ndarray]:
        if isinstance(X, np.ndarray) and X.dtype.kind in "fiu" and X.ndim == 3:
            X = list(X)
        if isinstance(X, str | bytes) or not hasattr(X, "__len__"):
            raise DataError("X must be a list of texts, token lists or (T, F) arrays; got "
                            f"{type(X).__name__}. Did you mean [text]?")
        if len(X) == 0:
            raise DataError("X holds no sequences; give at least one.")
        numeric = is_numeric(X)
        if fitting:
            self.n_features_in_: int | None = None
            self.vocabulary_: Vocabulary | None = None
            if numeric:
                rows = check_numeric(X, None)
                self.n_features_in_ = int(rows[0].shape[1])
            else:
                seqs = check_tokens(X, self._tokenizer())
                self.vocabulary_ = Vocabulary.build(seqs, min_count=self.min_count, max_size=self.max_vocab)
                rows = [self.vocabulary_.encode(s) for s in seqs]
        elif self.vocabulary_ is None:
            if not numeric:
                raise DataError(f"this {type(self).__name__} was fitted on numeric (T, {self.n_features_in_}) "
                                "arrays; give arrays, not text.")
            rows = check_numeric(X, self.n_features_in_)
        else:
            if numeric:
                raise DataError(f"this {type(self).__name__} was fitted on text; give texts or token lists.")
            rows = [self.vocabulary_.encode(s) for s in check_tokens(X, self._tokenizer())]
        return [r[: self.truncate] for r in rows] if self.truncate else rows

    def _labels(self, y: Any, n: int) -> np.ndarray:
        labels = np.asarray(y)
        if labels.ndim != 1 or len(labels) != n:
            raise DataError(f"got {n} sequences but {len(labels) if labels.ndim == 1 else labels.shape} labels; "
                            "give one label per sequence.")
        return labels

    def _prepare(self, X: Any, y: Any = None, **kwargs: Any) -> tuple[list[np.ndarray], np.ndarray, Any]:
        if y is None:
            raise DataError(f"{type(self).__name__}.fit needs labels: fit(X, y).")
        rows = self._rows(X, fitting=True)
        labels = self._labels(y, len(rows))
        classes, codes = np.unique(labels, return_inverse=True)
        if len(classes) < 2:
            raise DataError(f"the labels hold a single class {classes[0]!r}; a classifier needs at least two.")
        self.classes_ = classes
        weights = None
        if self.class_weight == "balanced":
            counts = np.bincount(codes)
            weights = (len(codes) / (len(classes) * counts))[codes]
        self.embeddings_missing_ = 0
        return rows, codes.astype(np.int64), weights

    def _encode(self, X: Any, y: Any = None) -> tuple[list[np.ndarray], np.ndarray, None]:
        rows = self._rows(X, fitting=False)
        if y is None:
            return rows, np.zeros(len(rows), dtype=np.int64), None
        labels = self._labels(y, len(rows))
        index = {c: i for i, c in enumerate(self.classes_.tolist())}
        unknown = [lab for lab in labels.tolist() if lab not in index]
        if unknown:
            raise DataError(f"label {unknown[0]!r} was not seen in training; known: {self.classes_.tolist()}.")
        return rows, np.array([index[lab] for lab in labels.tolist()], dtype=np.int64), None

    def _data_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"n_classes": len(self.classes_)}
        if self.vocabulary_ is not None:
            fields.update(vocab_size=len(self.vocabulary_), n_features=0)
        else:
            fields.update(vocab_size=0, n_features=self.n_features_in_)
        return fields

    def _batches(self, data: Any, *, shuffle: bool, rows: slice | None) -> BucketBatches:
        inputs, targets, weights = data
        return BucketBatches(inputs, targets, self.train.batch_size, shuffle, seed=self.seed_, weights=weights,
                             shard=rows)

    def _init_module(self, module: nn.Module) -> None:
        if self.embeddings is None or self.vocabulary_ is None:
            return
        words = [self.vocabulary_.token(i) for i in range(len(self.vocabulary_))]
        table, missing = load_pretrained(self.embeddings, words, d_embed=self.d_embed, seed=self.seed_)
        self.embeddings_missing_ = missing
        layer: Any = module.inputs
        with torch.no_grad():
            layer.embed.weight.copy_(torch.from_numpy(table))
            if layer.embed_static is not None:
                layer.embed_static.weight.copy_(torch.from_numpy(table))

    def _extra_state(self) -> dict[str, Any]:
        return {"classes": self.classes_.tolist(), "classes_dtype": self.classes_.dtype.str,
                "vocabulary": None if self.vocabulary_ is None else self.vocabulary_.to_json(),
                "n_features_in": self.n_features_in_, "tokenizer": self._tokenizer().to_json(),
                "embeddings_missing": self.embeddings_missing_}

    def _restore_extra_state(self, state: dict[str, Any]) -> None:
        self.classes_ = np.array(state["classes"], dtype=np.dtype(state["classes_dtype"]))
        self.vocabulary_ = None if state["vocabulary"] is None else Vocabulary.from_json(state["vocabulary"])
        self.n_features_in_ = state["n_features_in"]
        self.embeddings_missing_ = int(state.get("embeddings_missing", 0))

    # ------------------------------------------------------------------ prediction
    def decision_function(self, X: Any) -> np.ndarray:
        """Logits, shape (n, n_classes), in the order of ``classes_``."""
        with self._inference():
            rows = self._rows(X, fitting=False)
            batches = BucketBatches(rows, np.zeros(len(rows), dtype=np.int64), max(64, self.train.batch_size),
                                    shuffle=False)
            out = np.empty((len(rows), len(self.classes_)), dtype=np.float64)
            for k in range(len(batches)):
                b = batches.batch(0, k)
                assert b.lengths is not None
                logits = self.module_(self._tensor(b.inputs), self._tensor(b.lengths))  # (N, C)
                out[batches.indices(0, k)] = logits.double().cpu().numpy()
        return out

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log class probabilities, shape (n, n_classes)."""
        logits = self.decision_function(X)
        out: np.ndarray = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n, n_classes); rows sum to one."""
        out: np.ndarray = np.exp(self.predict_log_proba(X))
        return out

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sequence."""
        out: np.ndarray = self.classes_[np.argmax(self.decision_function(X), axis=1)]
        return out

    def score(self, X: Any, y: Any) -> float:
        """Accuracy (scikit-learn's classifier score)."""
        labels = self._labels(y, len(X))
        return float(np.mean(self.predict(X) == labels))

    # ------------------------------------------------------------------ conformance
    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"model": "gru", "d_embed": 8, "d_hidden": 8, "dropout": 0.0, "device": "cpu",
                "train": TrainConfig(max_steps=3, batch_size=2, batching="padded", eval_every=10)}

    @classmethod
    def _test_data(cls) -> tuple[list[str], list[str]]:
        return (["a b a", "b b", "c d c", "d c d", "a a b"], ["x", "x", "y", "y", "x"])


def fit_summary(model: NeuralClassifier) -> dict[str, Any]:
    """What ``classify train`` prints about a fitted neural classifier."""
    out: dict[str, Any] = {"architecture": model.model, "parameters": model.num_parameters(),
                           "classes": len(model.classes_), **model.train_result_}
    if model.embeddings is not None:
        out["embeddings_missing"] = model.embeddings_missing_
    return out
