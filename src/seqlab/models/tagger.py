"""Neural sequence taggers (aligned sequence -> sequence): one tag per token.

:class:`NeuralTagger` over a word encoder (``--model``): ``bilstm`` and ``bilstm-crf`` (the
usual part-of-speech / NER taggers), ``lstm``, ``gru``, ``rnn`` (bidirectional by default,
stackable), ``transformer`` (encoder blocks with a padding mask) and ``cnn`` (same-length
convolutions). The output layer is a softmax per token, or a linear-chain CRF
(:class:`seqlab.nn.crf.LinearChainCRF`: forward-algorithm likelihood, Viterbi decoding, batched,
masked). Optional character-level word features (``char_features=True``: a char CNN per word,
Ma and Hovy 2016) help with words unseen in training.

Symbols: ``N`` sentences, ``L`` tokens, ``W`` characters per word, ``K`` tags. Inputs travel as
int64 ``(N, L)`` word ids, or ``(N, L, 1 + W)`` with the word id in column 0 and its characters
after it when char features are on.

>>> tagger = NeuralTagger(model="bilstm", d_embed=8, d_hidden=8, dropout=0.0, device="cpu",
...                       train=TrainConfig(max_steps=60, batch_size=2, batching="padded", lr=0.05))
>>> sents = [["the", "dog", "runs"], ["a", "cat", "sleeps"]] * 2
>>> tags = [["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB"]] * 2
>>> tagger.fit(sents, tags).predict([["the", "cat", "runs"]])
[['DET', 'NOUN', 'VERB']]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.data.vocab import UNK_ID, Vocabulary
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.io import register
from seqlab.models._sequence_data import BucketBatches
from seqlab.models.architectures import TAG_ARCHITECTURES
from seqlab.models.estimator import TorchEstimator
from seqlab.models.registry import Registry
from seqlab.nn.crf import LinearChainCRF
from seqlab.nn.recurrent import Recurrent
from seqlab.nn.textconv import CharCNN, MaskedConv, check_kernel_sizes
from seqlab.nn.transformer import PositionEmbedding, TransformerBlock
from seqlab.tag._common import check_tagged, check_untagged
from seqlab.train.batch import TensorBatch
from seqlab.train.config import TrainConfig

ENCODERS = ("lstm", "gru", "rnn", "transformer", "cnn")
MAX_WORD_CHARS = 20


@dataclass(frozen=True, kw_only=True)
class TaggerConfig:
    """Sizes of a :class:`SequenceTaggerNet` (``n_chars`` > 0 turns the char CNN on)."""

    vocab_size: int
    n_tags: int
    encoder: str = "lstm"
    bidirectional: bool = True
    crf: bool = False
    d_embed: int = 100
    d_hidden: int = 128
    n_layers: int = 1
    n_heads: int = 4
    kernel_sizes: tuple[int, ...] = (3,)
    n_filters: int = 128
    dropout: float = 0.3
    word_dropout: float = 0.0
    n_chars: int = 0
    d_char: int = 25
    char_filters: int = 30
    max_length: int = 512

    def __post_init__(self) -> None:
        if self.encoder not in ENCODERS:
            raise InvalidParameterError(f"encoder must be one of {', '.join(ENCODERS)}, got {self.encoder!r}.")
        for name in ("vocab_size", "n_tags", "d_embed", "d_hidden", "n_layers", "n_heads", "n_filters", "d_char",
                     "char_filters", "max_length"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParameterError(f"{name} must be an int >= 1, got {value!r}.")
        for name in ("dropout", "word_dropout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (isinstance(value, int | float) and 0 <= value < 1):
                raise InvalidParameterError(f"{name} must be in [0, 1), got {value!r}.")
        object.__setattr__(self, "kernel_sizes", check_kernel_sizes(self.kernel_sizes))
        if self.encoder == "transformer" and self.d_hidden % self.n_heads:
            raise InvalidParameterError(f"d_hidden ({self.d_hidden}) must be divisible by n_heads ({self.n_heads}).")


class SequenceTaggerNet(nn.Module):
    """Word (+ char) embeddings -> encoder -> per-token tag scores, with a softmax or CRF output layer."""

    def __init__(self, config: TaggerConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.d_embed, padding_idx=0)
        self.chars = CharCNN(config.n_chars, d_char=config.d_char, n_filters=config.char_filters) \
            if config.n_chars else None
        d_in = config.d_embed + (config.char_filters if self.chars is not None else 0)
        self.drop = nn.Dropout(config.dropout)
        if config.encoder == "transformer":
            self.proj = nn.Linear(d_in, config.d_hidden)
            self.pos = PositionEmbedding(config.d_hidden, max_length=config.max_length, overflow="sinusoidal")
            self.blocks = nn.ModuleList(TransformerBlock(config.d_hidden, config.n_heads, dropout=config.dropout)
                                        for _ in range(config.n_layers))
            self.norm = nn.LayerNorm(config.d_hidden)
            d_out = config.d_hidden
        elif config.encoder == "cnn":
            self.convs = nn.ModuleList()
            width = d_in
            for _ in range(config.n_layers):
                conv = MaskedConv(width, kernel_sizes=config.kernel_sizes, n_filters=config.n_filters)
                self.convs.append(conv)
                width = conv.output_size
            d_out = width
        else:
            self.rnn = Recurrent(d_in, config.d_hidden, cell=config.encoder, n_layers=config.n_layers,
                                 bidirectional=config.bidirectional,
                                 dropout=config.dropout if config.n_layers > 1 else 0.0)
            d_out = self.rnn.output_size
        self.out = nn.Linear(d_out, config.n_tags)
        self.crf = LinearChainCRF(config.n_tags) if config.crf else None

    def forward(self, inputs: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Tag scores (emissions) ``(N, L, K)``."""
        words = inputs[..., 0] if inputs.dim() == 3 else inputs                  # (N, L)
        n, length = words.shape
        if lengths is None:
            lengths = torch.full((n,), length, dtype=torch.long, device=words.device)
        mask = torch.arange(length, device=words.device)[None, :] < lengths[:, None]  # (N, L)
        x = self.embed(self._drop_words(words))                                  # (N, L, E)
        if self.chars is not None:
            x = torch.cat([x, self.chars(inputs[..., 1:])], dim=-1)              # (N, L, E + Fc)
        x = self.drop(x)
        if self.config.encoder == "transformer":
            h = self.pos(self.proj(x))                                           # (N, L, H)
            for block in self.blocks:
                h = block(h, mask=mask)
            h = self.norm(h)
        elif self.config.encoder == "cnn":
            h = x
            for conv in self.convs:
                h = conv(h, mask)                                                # (N, L, F')
        else:
            h, _ = self.rnn(x, lengths=lengths)                                  # (N, L, D*H)
        scores: Tensor = self.out(self.drop(h))                                  # (N, L, K)
        return scores

    def _drop_words(self, words: Tensor) -> Tensor:
        """In training, replace each word id by ``<unk>`` with probability ``word_dropout``.

        The ``<unk>`` row is then trained on the contexts of real words, so a word unseen in
        training gets a learned vector (and the tagger leans on its characters) instead of the
        untrained initial one (the word dropout of Stanza's and Kiperwasser and Goldberg's taggers).
        """
        if not self.training or self.config.word_dropout == 0:
            return words
        drop = torch.rand(words.shape, device=words.device) < self.config.word_dropout  # (N, L)
        return words.masked_fill(drop & (words > UNK_ID), UNK_ID)

    def loss(self, inputs: Tensor, lengths: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
        """Summed negative log-likelihood over real tokens (CRF: per sentence) and the token count."""
        emissions = self(inputs, lengths)                                        # (N, L, K)
        mask = targets != -100                                                   # (N, L)
        if self.crf is not None:
            return -self.crf.log_likelihood(emissions, targets, mask).sum(), mask.sum()
        total = F.cross_entropy(emissions.reshape(-1, emissions.size(-1)), targets.reshape(-1),
                                ignore_index=-100, reduction="sum")
        return total, mask.sum()

    def decode(self, inputs: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Best tags ``(N, L)`` and per-token probabilities ``(N, L, K)`` (CRF: marginals)."""
        emissions = self(inputs, lengths)
        mask = torch.arange(emissions.size(1), device=emissions.device)[None, :] < lengths[:, None]
        if self.crf is not None:
            tags, _ = self.crf.decode(emissions, mask)
            return tags, self.crf.marginals(emissions, mask)
        return emissions.argmax(-1), emissions.softmax(-1)


@dataclass(frozen=True)
class TagObjective:
    """Token-level negative log-likelihood (softmax or CRF); the count is the real tokens."""

    name: str = "tag_nll"
    perplexity: bool = False

    def __call__(self, module: nn.Module, batch: TensorBatch, state: Any) -> tuple[Tensor, Tensor, Any]:
        total, count = module.loss(batch.inputs, batch.lengths, batch.targets)  # type: ignore[operator]
        return total, count, None


TAG_OBJECTIVE = TagObjective()
_DEFAULT_TRAIN = TrainConfig(batching="padded", max_epochs=3, batch_size=32, lr=2e-3, eval_every=200)


@register
class NeuralTagger(TorchEstimator):
    """Sequence tagger: ``fit(sentences, tag_sequences)``, ``predict(sentences) -> tag lists``.

    Parameters
    ----------
    model : {"bilstm", "bilstm-crf", "lstm", "gru", "rnn", "transformer", "cnn"}, default="bilstm"
    d_embed, d_hidden, n_layers, n_heads, kernel_sizes, n_filters, dropout : sizes
    bidirectional : bool, default=True
        Recurrent encoders only.
    crf : bool, default=False
        A linear-chain CRF output layer (``bilstm-crf`` sets it).
    word_dropout : float, default=0.0
        In training, replace each word by ``<unk>`` with this probability, so that the ``<unk>``
        vector that unseen words get is trained (Stanza's taggers use 0.33).
    char_features : bool, default=False
        Add a char-CNN vector to each word's embedding.
    lowercase : bool, default=False
        Look words up lower-cased (one vector for "The" and "the"); the char CNN still sees the
        original case.
    min_count, max_vocab : word vocabulary limits; rarer words share ``<unk>``.
    train, device, random_state, threads : see :class:`~seqlab.models.TorchEstimator`.

    Attributes
    ----------
    tags_ : list of str
    vocabulary_ : Vocabulary
        The training words (lower-cased when ``lowercase``); what ``oov_accuracy`` counts as
        known, for the keys of :meth:`word_keys`.
    char_vocabulary_ : Vocabulary or None
    """

    architectures: ClassVar[Registry] = TAG_ARCHITECTURES
    objective: ClassVar[Any] = TAG_OBJECTIVE
    _fit_params: ClassVar[frozenset[str]] = TorchEstimator._fit_params | {"char_features", "lowercase"}
    _placeholder_fields: ClassVar[dict[str, Any]] = {"vocab_size": 10, "n_tags": 2, "n_chars": 0}

    def __init__(self, *, model: str = "bilstm", d_embed: int = 100, d_hidden: int = 128, n_layers: int = 1,
                 bidirectional: bool = True, crf: bool = False, n_heads: int = 4, kernel_sizes: Sequence[int] = (3,),
                 n_filters: int = 128, dropout: float = 0.3, word_dropout: float = 0.0, char_features: bool = False,
                 lowercase: bool = False, min_count: int = 1, max_vocab: int | None = None,
                 train: TrainConfig = _DEFAULT_TRAIN, device: str = "auto", random_state: int | None = None,
                 threads: int | None = None) -> None:
        self.model, self.d_embed, self.d_hidden, self.n_layers = model, d_embed, d_hidden, n_layers
        self.bidirectional, self.crf, self.n_heads, self.kernel_sizes = bidirectional, crf, n_heads, kernel_sizes
        self.n_filters, self.dropout, self.word_dropout = n_filters, dropout, word_dropout
        self.char_features, self.lowercase = char_features, lowercase
        self.min_count, self.max_vocab, self.train, self.device = min_count, max_vocab, train, device
        self.random_state, self.threads = random_state, threads

    def _config_overrides(self) -> dict[str, Any]:
        ks = self.kernel_sizes
        return {"kernel_sizes": (ks,) if isinstance(ks, int) else tuple(ks)}

    def _override_sources(self) -> set[str]:
        return {"kernel_sizes"}

    def _validate_params(self) -> None:
        fixed = self.architecture.fixed
        if "crf" in fixed and self.crf and not fixed["crf"]:
            raise InvalidParameterError(f"crf=True contradicts model={self.model!r}; use model='bilstm-crf'.")
        if "bidirectional" in fixed and not self.bidirectional:
            raise InvalidParameterError(f"model={self.model!r} is bidirectional; for a one-way LSTM use "
                                        "model='lstm' with bidirectional=False.")
        super()._validate_params()

    # ------------------------------------------------------------------ data
    def word_keys(self, sentences: list[list[str]]) -> list[list[str]]:
        """The keys ``sentences`` are looked up with in :attr:`vocabulary_` (lower-cased when ``lowercase``).

        A token counts as seen in training (``oov_accuracy``) when its key is in the vocabulary.
        """
        return [[w.lower() for w in s] for s in sentences] if self.lowercase else list(sentences)

    def _rows(self, sentences: list[list[str]]) -> list[np.ndarray]:
        words = [self.vocabulary_.encode(s) for s in self.word_keys(sentences)]
        if self.char_vocabulary_ is None:
            return words
        rows = []
        for s, ids in zip(sentences, words, strict=False):
            width = max(1, min(MAX_WORD_CHARS, max((len(w) for w in s), default=1)))
            row = np.zeros((len(s), 1 + width), dtype=np.int64)
            row[:, 0] = ids
            for t, w in enumerate(s):
                chars = self.char_vocabulary_.encode(list(w[:MAX_WORD_CHARS]))
                row[t, 1: 1 + len(chars)] = chars
            rows.append(row)
        return rows

    def _tag_ids(self, tag_lists: list[list[str]]) -> list[np.ndarray]:
        index = {t: i for i, t in enumerate(self.tags_)}
        out = []
        for i, ts in enumerate(tag_lists):
            unknown = [t for t in ts if t not in index]
            if unknown:
                raise DataError(f"tag {unknown[0]!r} (sentence {i}) was not seen in training; known: {self.tags_}.")
            out.append(np.array([index[t] for t in ts], dtype=np.int64))
        return out

    def _prepare(self, X: Any, y: Any = None, **kwargs: Any) -> tuple[list[np.ndarray], list[np.ndarray], None]:
        if y is None:
            raise DataError(f"{type(self).__name__}.fit needs tags: fit(sentences, tag_sequences).")
        sents, tag_lists = check_tagged(X, y)
        self.tags_ = sorted({t for ts in tag_lists for t in ts})
        self.vocabulary_ = Vocabulary.build(self.word_keys(sents), min_count=self.min_count, max_size=self.max_vocab)
        self.char_vocabulary_ = Vocabulary.build([list(w) for s in sents for w in s]) if self.char_features else None
        return self._rows(sents), self._tag_ids(tag_lists), None

    def _encode(self, X: Any, y: Any = None) -> tuple[list[np.ndarray], list[np.ndarray], None]:
        sents, tag_lists = check_tagged(X, y)
        return self._rows(sents), self._tag_ids(tag_lists), None

    def _data_fields(self) -> dict[str, Any]:
        return {"vocab_size": len(self.vocabulary_), "n_tags": len(self.tags_),
                "n_chars": len(self.char_vocabulary_) if self.char_vocabulary_ is not None else 0}

    def _batches(self, data: Any, *, shuffle: bool, rows: slice | None) -> BucketBatches:
        inputs, targets, _ = data
        return BucketBatches(inputs, targets, self.train.batch_size, shuffle, seed=self.seed_, shard=rows)

    def _extra_state(self) -> dict[str, Any]:
        return {"tags": self.tags_, "vocabulary": self.vocabulary_.to_json(),
                "char_vocabulary": None if self.char_vocabulary_ is None else self.char_vocabulary_.to_json()}

    def _restore_extra_state(self, state: dict[str, Any]) -> None:
        self.tags_ = list(state["tags"])
        self.vocabulary_ = Vocabulary.from_json(state["vocabulary"])
        chars = state.get("char_vocabulary")
        self.char_vocabulary_ = None if chars is None else Vocabulary.from_json(chars)

    # ------------------------------------------------------------------ prediction
    def _run(self, sentences: Any) -> tuple[list[list[str]], list[np.ndarray]]:
        sents = check_untagged(sentences)
        keep = [i for i, s in enumerate(sents) if s]
        tags: list[list[str]] = [[] for _ in sents]
        probs: list[np.ndarray] = [np.zeros((0, len(self.tags_))) for _ in sents]
        if not keep:
            return tags, probs
        with self._inference():
            rows = self._rows([sents[i] for i in keep])
            batches = BucketBatches(rows, np.zeros(len(rows), dtype=np.int64), max(64, self.train.batch_size),
                                    shuffle=False)
            for k in range(len(batches)):
                b = batches.batch(0, k)
                assert b.lengths is not None
                best, p = self.module_.decode(self._tensor(b.inputs), self._tensor(b.lengths))  # type: ignore[operator]
                best, p = best.cpu().numpy(), p.double().cpu().numpy()
                for j, r in enumerate(batches.indices(0, k)):
                    n = int(b.lengths[j])
                    tags[keep[r]] = [self.tags_[t] for t in best[j, :n]]
                    probs[keep[r]] = p[j, :n]
        return tags, probs

    def predict(self, sentences: Any) -> list[list[str]]:
        """One tag list per sentence (CRF: Viterbi; softmax: the most probable tag per token)."""
        return self._run(sentences)[0]

    def predict_proba(self, sentences: Any) -> list[np.ndarray]:
        """Per-token tag probabilities, one (T, n_tags) array per sentence (CRF: marginals)."""
        return self._run(sentences)[1]

    def score(self, sentences: Any, tags: Any) -> float:
        """Token accuracy."""
        from seqlab.evaluate.tagging import token_accuracy

        sents, tag_lists = check_tagged(sentences, tags)
        return token_accuracy(tag_lists, self.predict(sents))

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"model": "bilstm-crf", "d_embed": 8, "d_hidden": 8, "dropout": 0.0, "device": "cpu",
                "char_features": True, "train": TrainConfig(max_steps=3, batch_size=2, batching="padded")}

    @classmethod
    def _test_data(cls) -> tuple[list[list[str]], list[list[str]]]:
        return ([["the", "dog", "runs"], ["a", "cat", "sleeps", "."], ["dogs", "bark"]],
                [["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB", "."], ["NOUN", "VERB"]])
