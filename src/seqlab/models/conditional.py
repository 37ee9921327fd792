"""``ConditionalLM``: a recurrent language model conditioned on a class label or a feature vector.

The documents' two ways of conditioning a decoder on a vector ``c`` (a label's embedding, an
image's features, a VAE's latent code): ``inject="init"`` maps ``c`` to the initial hidden
state, ``h_0 = tanh(W c + b)`` (the "latent vector as initial hidden state" of captioning), and
``inject="input"`` concatenates ``c`` to every input embedding; ``"both"`` does both.

For a fixed condition the model is an ordinary language model: :meth:`ConditionalLM.given`
returns a view that implements the :class:`~seqlab.protocols.LanguageModel` protocol, so
perplexity, sampling and beam search (:mod:`seqlab.generate`) work unchanged.

>>> texts = [["good", "day"], ["bad", "day"]] * 4
>>> lm = ConditionalLM(condition="label", d_hidden=8, d_embed=8, train=TrainConfig(max_steps=2, batch_size=4))
>>> lm = lm.fit(texts, ["pos", "neg"] * 4)
>>> lm.given("pos").next_log_probs([]).shape
(7,)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab import io
from seqlab._validation import check_sequences
from seqlab.base import int_at_least
from seqlab.data.batch import Batch, batch_indices, epoch_order
from seqlab.data.streams import encode_sentences
from seqlab.data.vocab import BOS_ID, PAD_ID, Vocabulary
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.models.estimator import TorchEstimator
from seqlab.models.registry import Registry
from seqlab.nn import Recurrent
from seqlab.protocols import LanguageModelMixin, as_corpus
from seqlab.train.batch import TensorBatch
from seqlab.train.config import TrainConfig

__all__ = ["CONDITIONAL_ARCHITECTURES", "ConditionalLM", "ConditionalLMConfig", "ConditionedDecoder", "FixedCondition"]

IGNORE_INDEX = -100
INJECT = ("init", "input", "both")
_DEFAULT_TRAIN = TrainConfig()


class ConditionedDecoder(nn.Module):
    """Recurrent decoder conditioned on a vector ``c`` (N, C): through ``h_0``, every input, or both.

    ``forward(ids (N, L), c (N, C), state=None) -> (logits (N, L, V), state)``; with a
    ``state`` the initial-state injection is skipped (decoding continues).
    """

    def __init__(self, vocab_size: int, d_cond: int, *, cell: str = "lstm", d_embed: int = 64, d_hidden: int = 256,
                 n_layers: int = 1, dropout: float = 0.0, inject: str = "init") -> None:
        super().__init__()
        if inject not in INJECT:
            raise InvalidParameterError(f"inject must be one of {', '.join(INJECT)}; got {inject!r}.")
        self.inject, self.cell, self.n_layers, self.d_hidden = inject, cell, n_layers, d_hidden
        self.embed = nn.Embedding(vocab_size, d_embed, padding_idx=PAD_ID)
        extra = d_cond if inject in ("input", "both") else 0
        self.rnn = Recurrent(d_embed + extra, d_hidden, cell=cell, n_layers=n_layers, dropout=dropout)
        self.init = nn.Linear(d_cond, n_layers * d_hidden) if inject in ("init", "both") else None
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(d_hidden, vocab_size)

    def initial_state(self, c: Tensor) -> Any:
        """The decoder state before the first token: from ``c`` (init injection) or zeros."""
        n = c.size(0)
        if self.init is None:
            h = c.new_zeros(self.n_layers, n, self.d_hidden)
        else:
            h = torch.tanh(self.init(c)).view(n, self.n_layers, self.d_hidden).transpose(0, 1).contiguous()  # (K, N, H)
        return (h, torch.zeros_like(h)) if self.rnn.has_cell_state else h

    def forward(self, ids: Tensor, c: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        x = self.drop(self.embed(ids))  # (N, L, E)
        if self.inject in ("input", "both"):
            x = torch.cat([x, c[:, None, :].expand(-1, ids.size(1), -1)], -1)  # (N, L, E + C)
        if state is None:
            state = self.initial_state(c)
        out, state = self.rnn(x, state)  # (N, L, H)
        return self.head(self.drop(out)), state  # (N, L, V)


@dataclass(frozen=True, kw_only=True)
class ConditionalLMConfig:
    """``ConditionalLM`` hyperparameters; ``n_labels`` (label) or ``n_features`` (vector) come from the data."""

    vocab_size: int
    cell: str = "lstm"
    condition: str = "label"
    inject: str = "init"
    n_labels: int = 0
    n_features: int = 0
    d_embed: int = 64
    d_hidden: int = 256
    n_layers: int = 1
    dropout: float = 0.1

    def __post_init__(self) -> None:
        if self.condition not in ("label", "vector"):
            raise InvalidParameterError(f"condition must be 'label' or 'vector'; got {self.condition!r}.")
        if self.inject not in INJECT:
            raise InvalidParameterError(f"inject must be one of {', '.join(INJECT)}; got {self.inject!r}.")
        if not 0.0 <= self.dropout < 1.0:
            raise InvalidParameterError(f"dropout must be in [0, 1), got {self.dropout!r}.")


class ConditionalRecurrentLM(nn.Module):
    """Label embedding or raw feature vector -> :class:`ConditionedDecoder`. ``forward(ids, condition)``."""

    def __init__(self, config: ConditionalLMConfig) -> None:
        super().__init__()
        self.config = c = config
        self.label_embed: nn.Embedding | None  # None: vectors condition the decoder as they are
        if c.condition == "label":
            self.label_embed = nn.Embedding(max(c.n_labels, 1), c.d_embed)
            d_cond = c.d_embed
        else:
            self.label_embed = None
            d_cond = max(c.n_features, 1)
        self.decoder = ConditionedDecoder(c.vocab_size, d_cond, cell=c.cell, d_embed=c.d_embed, d_hidden=c.d_hidden,
                                          n_layers=c.n_layers, dropout=c.dropout, inject=c.inject)

    def condition_vector(self, condition: Tensor) -> Tensor:
        """Labels (N,) or (N, 1) int64 -> embeddings (N, E); vectors (N, F) pass through."""
        if self.label_embed is not None:
            embedded: Tensor = self.label_embed(condition.reshape(-1).long())  # (N, E)
            return embedded
        return condition.float()  # (N, F)

    def forward(self, ids: Tensor, condition: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        logits, state = self.decoder(ids, self.condition_vector(condition), state)  # (N, L, V)
        return logits, state


CONDITIONAL_ARCHITECTURES = Registry("conditional language")
for _cell in ("lstm", "gru", "rnn"):
    CONDITIONAL_ARCHITECTURES.add(_cell, ConditionalLMConfig, ConditionalRecurrentLM,
                                  f"{_cell.upper()} language model conditioned on a label or a vector",
                                  {"cell": _cell})


@dataclass(frozen=True)
class ConditionalCrossEntropy:
    """Summed next-token cross-entropy; the condition travels in ``batch.source``."""

    name: str = "conditional_cross_entropy"
    perplexity: bool = True

    def __call__(self, module: nn.Module, batch: TensorBatch, state: Any) -> tuple[Tensor, Tensor, Any]:
        assert batch.source is not None
        logits, _ = module(batch.inputs, batch.source)  # (N, L, V)
        total = F.cross_entropy(logits.reshape(-1, logits.size(-1)), batch.targets.reshape(-1),
                                ignore_index=IGNORE_INDEX, reduction="sum")
        return total, (batch.targets != IGNORE_INDEX).sum(), None


class SentenceBatches:
    """Shuffled batches of ``[<s> .. </s>]`` sentences with one condition row each (``source``)."""

    def __init__(self, sentences: list[np.ndarray], conditions: np.ndarray, *, batch_size: int, shuffle: bool,
                 seed: int, rows: slice | None = None) -> None:
        self.sentences, self.conditions = sentences, conditions
        self.batch_size, self.shuffle, self.seed, self.rows = batch_size, shuffle, seed, rows

    def __len__(self) -> int:
        return -(-len(self.sentences) // self.batch_size)

    def batch(self, epoch: int, k: int) -> Batch:
        n = len(self.sentences)
        idx = batch_indices(epoch_order(n, seed=self.seed, epoch=epoch, shuffle=self.shuffle), k, self.batch_size,
                            self.rows)
        pieces = [self.sentences[i] for i in idx]
        width = max(len(p) for p in pieces) - 1
        inputs = np.full((len(idx), width), PAD_ID, dtype=np.int64)
        targets = np.full((len(idx), width), IGNORE_INDEX, dtype=np.int64)
        for r, p in enumerate(pieces):
            inputs[r, :len(p) - 1], targets[r, :len(p) - 1] = p[:-1], p[1:]
        lengths = np.array([len(p) - 1 for p in pieces], dtype=np.int64)
        return Batch(inputs=inputs, targets=targets, lengths=lengths, source=self.conditions[idx])


@io.register
class ConditionalLM(TorchEstimator):
    """Recurrent language model conditioned on a class label or a feature vector per sequence.

    Parameters
    ----------
    model : {"lstm", "gru", "rnn"}
    condition : {"label", "vector"}
        ``label``: one hashable label per sequence (its learned embedding conditions the
        decoder); ``vector``: one float vector per sequence (e.g. image features), used as is.
    inject : {"init", "input", "both"}
        Condition through the initial hidden state, concatenated to every input, or both.
    d_embed, d_hidden, n_layers, dropout
        Sizes (``d_embed`` is also the label embedding width).
    min_count : int
        Training tokens seen fewer times become ``<unk>``.
    train : TrainConfig
    device : {"auto", "cpu", "cuda"}
    random_state : int or None
    threads : int or None

    Attributes
    ----------
    vocabulary_ : Vocabulary
    labels_ : list of str
        The known labels (``condition="label"``), in id order.
    n_features_ : int
        Width of the condition vectors (``condition="vector"``).
    """

    architectures = CONDITIONAL_ARCHITECTURES
    objective = ConditionalCrossEntropy()
    _fit_params = TorchEstimator._fit_params | {"condition"}
    _placeholder_fields: ClassVar[dict[str, Any]] = {"vocab_size": 8, "n_labels": 2, "n_features": 2}
    _constraints: ClassVar[dict[str, Any]] = {
        **TorchEstimator._constraints,
        "condition": (lambda v: v in ("label", "vector"), "'label' or 'vector'"),
        "inject": (lambda v: v in INJECT, f"one of {list(INJECT)}"),
        "min_count": int_at_least(1),
    }

    def __init__(self, *, model: str = "lstm", condition: str = "label", inject: str = "init", d_embed: int = 64,
                 d_hidden: int = 256, n_layers: int = 1, dropout: float = 0.1, min_count: int = 1,
                 train: TrainConfig = _DEFAULT_TRAIN, device: str = "auto",
                 random_state: int | None = None, threads: int | None = None) -> None:
        self.model, self.condition, self.inject = model, condition, inject
        self.d_embed, self.d_hidden, self.n_layers, self.dropout = d_embed, d_hidden, n_layers, dropout
        self.min_count, self.train, self.device = min_count, train, device
        self.random_state, self.threads = random_state, threads

    def _config_overrides(self) -> dict[str, Any]:
        return {"condition": self.condition}

    def _override_sources(self) -> set[str]:
        return {"condition"}

    # ------------------------------------------------------------------ data
    def _conditions(self, conditions: Any, n: int, *, fitting: bool) -> np.ndarray:
        """Labels -> (n, 1) int64 ids; vectors -> (n, F) float32; with one-line errors naming the fix."""
        if self.condition == "label":
            labels = [str(c) for c in conditions] if not isinstance(conditions, str) else None
            if labels is None:
                raise DataError("conditions must be one label per sequence, got a single str; wrap it: [label].")
            if len(labels) != n:
                raise DataError(f"got {len(labels)} labels for {n} sequences; give one label per sequence.")
            if fitting:
                self.labels_ = sorted(set(labels))
            index = {lab: i for i, lab in enumerate(self.labels_)}
            unknown = sorted(set(labels) - set(index))
            if unknown:
                raise DataError(f"label {unknown[0]!r} was not seen in training; known labels: "
                                f"{', '.join(self.labels_)}.")
            return np.array([[index[lab]] for lab in labels], dtype=np.int64)
        vectors = np.asarray(conditions, dtype=np.float32)
        if vectors.ndim != 2:
            raise DataError(f"condition vectors must be a 2-D array (one row per sequence); got shape "
                            f"{vectors.shape}.")
        if vectors.shape[0] != n:
            raise DataError(f"the condition vectors have {vectors.shape[0]} rows but there are {n} sequences; "
                            "give one row per sequence (text line).")
        if fitting:
            self.n_features_ = int(vectors.shape[1])
        elif vectors.shape[1] != self.n_features_:
            raise DataError(f"condition vectors have {vectors.shape[1]} columns; this model was trained on "
                            f"{self.n_features_}.")
        if not np.isfinite(vectors).all():
            raise DataError("condition vectors contain NaN or infinity; clean them first.")
        return vectors

    def _prepare(self, X: Any, y: Any = None, **kwargs: Any) -> Any:
        if y is None:
            raise DataError("ConditionalLM.fit needs the sequences and their conditions: fit(sequences, conditions).")
        corpus = check_sequences(X)
        self.vocabulary_ = Vocabulary.build(corpus, min_count=self.min_count)
        cond = self._conditions(y, len(corpus), fitting=True)
        return encode_sentences(corpus, self.vocabulary_), cond

    def _encode(self, X: Any, y: Any = None) -> Any:
        corpus = check_sequences(X, name="valid")
        return encode_sentences(corpus, self.vocabulary_), self._conditions(y, len(corpus), fitting=False)

    def _data_fields(self) -> dict[str, Any]:
        return {"vocab_size": len(self.vocabulary_), "n_labels": len(getattr(self, "labels_", [])),
                "n_features": getattr(self, "n_features_", 0)}

    def _batches(self, data: Any, *, shuffle: bool, rows: slice | None) -> SentenceBatches:
        sentences, cond = data
        return SentenceBatches(sentences, cond, batch_size=self.train.batch_size, shuffle=shuffle, seed=self.seed_,
                               rows=rows)

    def _extra_state(self) -> dict[str, Any]:
        return {"vocabulary": self.vocabulary_.to_json(), "labels": getattr(self, "labels_", None),
                "n_features": getattr(self, "n_features_", None)}

    def _restore_extra_state(self, state: dict[str, Any]) -> None:
        self.vocabulary_ = Vocabulary.from_json(state["vocabulary"])
        if state.get("labels") is not None:
            self.labels_ = list(state["labels"])
        if state.get("n_features") is not None:
            self.n_features_ = int(state["n_features"])

    # ------------------------------------------------------------------ the LanguageModel view
    def given(self, condition: Any) -> FixedCondition:
        """A :class:`~seqlab.protocols.LanguageModel` for one fixed label or vector."""
        self._check_fitted()
        cond = self._conditions([condition] if self.condition == "label" else np.asarray(condition)[None], 1,
                                fitting=False)
        return FixedCondition(self, cond)

    def perplexity(self, sequences: Iterable[Sequence[str]], conditions: Any) -> float:
        """exp of the mean negative log-likelihood per token (``</s>`` included) under each sequence's condition."""
        corpus = check_sequences(sequences)
        cond = self._conditions(conditions, len(corpus), fitting=False)
        total, count = 0.0, 0
        for seq, c in zip(corpus, cond, strict=True):
            lp, _ = FixedCondition(self, c[None]).token_log_probs([seq])
            total += float(lp.sum())
            count += lp.size
        return math.exp(-total / count)

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"model": "gru", "d_hidden": 8, "d_embed": 4, "train": TrainConfig(max_steps=2, batch_size=2),
                "random_state": 0}

    @classmethod
    def _test_data(cls) -> tuple[list[list[str]], list[str]]:
        return [["a", "b"], ["b", "a", "a"], ["a"]], ["x", "y", "x"]


class FixedCondition(LanguageModelMixin):
    """A :class:`~seqlab.protocols.LanguageModel` view of a :class:`ConditionalLM` for one condition.

    It provides the protocol's primitives (``token_log_probs``, ``begin``, ``advance``); the
    shared verbs (``log_prob``, ``next_log_probs``, ``sentence_log_prob``, ``score``,
    ``perplexity``, ``generate``) come from :class:`~seqlab.protocols.LanguageModelMixin`.
    """

    def __init__(self, model: ConditionalLM, condition: np.ndarray) -> None:
        self.model, self.vocabulary_ = model, model.vocabulary_
        self._cond = model._tensor(condition)  # (1, 1) label id or (1, F) vector

    def fit(self, sequences: Iterable[Sequence[str]]) -> FixedCondition:
        raise InvalidParameterError("fit the ConditionalLM itself: model.fit(sequences, conditions).")

    def _run(self, ids: list[int], state: Any = None) -> tuple[np.ndarray, Any]:
        with self.model._inference():
            logits, state = self.model.module_(torch.tensor([ids], device=self.model.device_), self._cond, state)
            logits = logits[0].double()  # (L, V)
            logits[:, [PAD_ID, BOS_ID]] = float("-inf")  # never predicted: renormalised over the rest
            lp = torch.log_softmax(logits, -1)
        return lp.cpu().numpy(), state

    def token_log_probs(self, corpus: Iterable[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        out, oov = [], []
        for seq in as_corpus(self, corpus):
            ids = encode_sentences([list(seq)], self.vocabulary_)[0]
            lp, _ = self._run(ids[:-1].tolist())
            out.append(lp[np.arange(len(ids) - 1), ids[1:]])
            oov.append(np.r_[self.vocabulary_.is_oov(list(seq)), False])
        return np.concatenate(out), np.concatenate(oov)

    def begin(self, context: Sequence[str]) -> tuple[np.ndarray, Any]:
        ids = [BOS_ID, *self.vocabulary_.encode(self._prefix(context)).tolist()]
        lp, state = self._run(ids)
        return lp[-1], state

    def advance(self, state: Any, token_id: int) -> tuple[np.ndarray, Any]:
        lp, new = self._run([int(token_id)], state)  # the recurrent state is a value: never modified in place
        return lp[-1], new
