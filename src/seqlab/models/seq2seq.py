"""``Seq2Seq``: encoder-decoder translation with attention (recurrent or Transformer), fit/translate facade.

Source and target have their own tokenizer (``source_level``, ``target_level``: characters,
words, or whitespace-separated symbols such as phonemes) and their own vocabulary, both
saved with the model. Decoding goes through :mod:`seqlab.generate` -- the one batched beam
search and sampler used by every generator -- over a :class:`Seq2SeqStepper`.

>>> pairs = [("ab", "b a"), ("ba", "a b"), ("aab", "b a a")] * 4
>>> m = Seq2Seq(model="gru", attention="dot", d_hidden=16, d_embed=8, source_level="char",
...             target_level="whitespace", train=TrainConfig(max_steps=3, batch_size=4)).fit(pairs)
>>> len(m.translate(["ab", "ba"], beam_size=2))
2
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

from seqlab import io
from seqlab.base import int_at_least
from seqlab.data.pairs import Pairs
from seqlab.data.tokenize import Tokenizer, get_tokenizer
from seqlab.data.vocab import BOS_ID, Vocabulary
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.generate import SamplingConfig, beam_search_batch, sample_batch
from seqlab.models.estimator import TorchEstimator
from seqlab.models.seq2seq_architectures import SEQ2SEQ_ARCHITECTURES
from seqlab.models.seq2seq_net import ATTENTION_CHOICES, SEQ2SEQ_CROSS_ENTROPY, PairBatches, Seq2SeqNet
from seqlab.train.config import TrainConfig

__all__ = ["Seq2Seq", "Seq2SeqStepper"]

LEVELS = ("char", "word", "whitespace")
_DEFAULT_TRAIN = TrainConfig()


def as_pairs(data: Any, name: str = "pairs") -> Pairs:
    """A :class:`Pairs` value, or a sequence of (source, target) strings -> Pairs (validated)."""
    if isinstance(data, Pairs):
        return data
    if isinstance(data, str | bytes) or not isinstance(data, Iterable):
        raise DataError(f"{name} must be a Pairs value or a list of (source, target) strings; "
                        f"got {type(data).__name__}.")
    sources, targets = [], []
    for i, item in enumerate(data):
        if not (isinstance(item, tuple | list) and len(item) == 2 and all(isinstance(x, str) for x in item)):
            raise DataError(f"{name}[{i}] must be a (source, target) pair of strings; got {item!r:.60}.")
        if not item[0].strip() or not item[1].strip():
            raise DataError(f"{name}[{i}] has an empty {'source' if not item[0].strip() else 'target'}; "
                            "every pair needs text on both sides.")
        sources.append(item[0])
        targets.append(item[1])
    if not sources:
        raise DataError(f"{name} is empty; give at least one (source, target) pair.")
    return Pairs(sources, targets, name=name)


@io.register
class Seq2Seq(TorchEstimator):
    """Sequence-to-sequence model: (bi)LSTM/GRU/RNN encoder-decoder with attention, or a Transformer.

    Parameters
    ----------
    model : {"lstm", "gru", "rnn", "transformer"}
    attention : {"additive", "dot", "general", "none"} or None
        Recurrent models' attention (Bahdanau additive, Luong dot/general, or none: the
        decoder starts from the encoder's final state). None: additive, or the Transformer's
        multi-head cross-attention.
    source_level, target_level : {"char", "word", "whitespace"}
        How each side's text becomes tokens (``target_level`` None: same as the source).
    d_embed, d_hidden, n_layers, n_heads, dropout
        Sizes (``d_hidden`` is the Transformer's ``d_model``; ``n_heads`` Transformer only).
    bidirectional : bool, default=True
        Bidirectional recurrent encoder.
    max_source_length, max_target_length : int
        Longest source and target in tokens; longer inputs raise ``DataError``.
    teacher_forcing : float, default=1.0
        Probability of feeding the gold previous token in training (the floor of the
        ``scheduled_sampling`` schedule: "none", "linear" or "inverse_sigmoid" over ``schedule_steps``).
    label_smoothing : float, default=0.0
    min_count : int
        Training tokens seen fewer times become ``<unk>`` (each side).
    train : TrainConfig
    device : {"auto", "cpu", "cuda"}
    random_state : int or None
        Overrides ``train.seed`` when set.
    threads : int or None
        Torch threads while fitting and decoding (None: torch's setting).

    Attributes
    ----------
    source_vocabulary_, target_vocabulary_ : Vocabulary
    module_ : Seq2SeqNet
    config_ : Seq2SeqConfig
    train_result_ : dict
    """

    architectures = SEQ2SEQ_ARCHITECTURES
    objective = SEQ2SEQ_CROSS_ENTROPY
    module_: Seq2SeqNet
    _fit_params = TorchEstimator._fit_params | {"source_level", "target_level"}
    _placeholder_fields: ClassVar[dict[str, Any]] = {"src_vocab_size": 8, "tgt_vocab_size": 8}
    _summary_keys = ("steps", "valid_loss", "valid_perplexity")

    _constraints: ClassVar[dict[str, Any]] = {
        **TorchEstimator._constraints,
        "attention": (lambda v: v is None or v in ATTENTION_CHOICES, f"None or one of {list(ATTENTION_CHOICES)}"),
        "source_level": (lambda v: v in LEVELS, f"one of {list(LEVELS)}"),
        "target_level": (lambda v: v is None or v in LEVELS, f"None or one of {list(LEVELS)}"),
        "min_count": int_at_least(1),
    }

    def __init__(self, *, model: str = "lstm", attention: str | None = None, source_level: str = "char",
                 target_level: str | None = None, d_embed: int = 64, d_hidden: int = 128, n_layers: int = 1,
                 bidirectional: bool = True, n_heads: int = 4, dropout: float = 0.1, max_source_length: int = 256,
                 max_target_length: int = 256, teacher_forcing: float = 1.0, scheduled_sampling: str = "none",
                 schedule_steps: int = 1000, label_smoothing: float = 0.0, min_count: int = 1,
                 train: TrainConfig = _DEFAULT_TRAIN, device: str = "auto", random_state: int | None = None,
                 threads: int | None = None) -> None:
        self.model, self.attention, self.source_level, self.target_level = model, attention, source_level, target_level
        self.d_embed, self.d_hidden, self.n_layers, self.bidirectional = d_embed, d_hidden, n_layers, bidirectional
        self.n_heads, self.dropout = n_heads, dropout
        self.max_source_length, self.max_target_length = max_source_length, max_target_length
        self.teacher_forcing, self.scheduled_sampling, self.schedule_steps = (teacher_forcing, scheduled_sampling,
                                                                              schedule_steps)
        self.label_smoothing, self.min_count = label_smoothing, min_count
        self.train, self.device, self.random_state, self.threads = train, device, random_state, threads

    # ------------------------------------------------------------------ tokenization
    @property
    def source_tokenizer(self) -> Tokenizer:
        """How source text becomes tokens."""
        return get_tokenizer(self.source_level)

    @property
    def target_tokenizer(self) -> Tokenizer:
        """How target text becomes tokens (and tokens become text)."""
        return get_tokenizer(self.target_level or self.source_level)

    def _attention(self) -> str:
        if self.model == "transformer":
            if self.attention not in (None, "dot"):
                raise InvalidParameterError(f"model='transformer' uses multi-head scaled dot-product "
                                            f"cross-attention; attention={self.attention!r} applies to recurrent "
                                            "models. Leave attention unset.")
            return "multihead"
        return self.attention or "additive"

    def _config_overrides(self) -> dict[str, Any]:
        return {"attention": self._attention()}

    def _override_sources(self) -> set[str]:
        return {"attention"}

    def _encode_sources(self, sources: Sequence[str]) -> list[np.ndarray]:
        tok, vocab, limit = self.source_tokenizer, self.source_vocabulary_, self.max_source_length
        out = []
        for i, text in enumerate(sources):
            if not isinstance(text, str):
                raise DataError(f"source {i} must be a string, got {type(text).__name__}.")
            ids = vocab.encode(tok(text))
            if len(ids) == 0:
                raise DataError(f"source {i} ({text!r:.40}) has no tokens; give non-empty sources.")
            if len(ids) > limit:
                raise DataError(f"source {i} has {len(ids)} tokens, more than this model's limit of {limit} "
                                "(max_source_length); shorten it or train with a larger max_source_length.")
            out.append(ids)
        return out

    def _encode_targets(self, targets: Sequence[str]) -> list[np.ndarray]:
        tok, vocab, limit = self.target_tokenizer, self.target_vocabulary_, self.max_target_length
        out = []
        for i, text in enumerate(targets):
            ids = vocab.encode(tok(text), bos=True, eos=True)
            if len(ids) - 1 > limit:
                raise DataError(f"target {i} has {len(ids) - 2} tokens, more than the limit of {limit - 1} "
                                "(max_target_length - 1 for </s>); raise max_target_length.")
            out.append(ids)
        return out

    # ------------------------------------------------------------------ TorchEstimator hooks
    def _prepare(self, X: Any, y: Any = None, **kwargs: Any) -> Any:
        """Pairs (or sources ``X`` and targets ``y``) -> vocabularies of both sides + encoded ids."""
        if kwargs:
            raise InvalidParameterError(f"Seq2Seq.fit takes no option {', '.join(map(repr, kwargs))}.")
        data = as_pairs(X if y is None else list(zip(X, y, strict=True)))
        src_tok, tgt_tok = self.source_tokenizer, self.target_tokenizer
        self.source_vocabulary_ = Vocabulary.build((src_tok(s) for s in data.sources), min_count=self.min_count)
        self.target_vocabulary_ = Vocabulary.build((tgt_tok(t) for t in data.targets), min_count=self.min_count)
        return self._encode(data)

    def _encode(self, X: Any, y: Any = None) -> Any:
        data = as_pairs(X if y is None else list(zip(X, y, strict=True)), "valid" if y is None else "pairs")
        return self._encode_sources(data.sources), self._encode_targets(data.targets)

    def _data_fields(self) -> dict[str, Any]:
        return {"src_vocab_size": len(self.source_vocabulary_), "tgt_vocab_size": len(self.target_vocabulary_)}

    def _batches(self, data: Any, *, shuffle: bool, rows: slice | None) -> PairBatches:
        sources, targets = data
        return PairBatches(sources, targets, batch_size=self.train.batch_size, shuffle=shuffle, seed=self.seed_,
                           rows=rows)

    def _extra_state(self) -> dict[str, Any]:
        return {"source_vocabulary": self.source_vocabulary_.to_json(),
                "target_vocabulary": self.target_vocabulary_.to_json()}

    def _restore_extra_state(self, state: dict[str, Any]) -> None:
        self.source_vocabulary_ = Vocabulary.from_json(state["source_vocabulary"])
        self.target_vocabulary_ = Vocabulary.from_json(state["target_vocabulary"])

    # ------------------------------------------------------------------ decoding
    def translate(self, sources: Sequence[str], *, beam_size: int = 5, max_new_tokens: int | None = None,
                  length_penalty: float = 1.0, greedy: bool = False, temperature: float = 1.0,
                  top_k: int | None = None, top_p: float | None = None, repetition_penalty: float = 1.0,
                  no_repeat_ngram_size: int = 0, num_return_sequences: int = 1, batch_size: int = 64,
                  return_attention: bool = False, seed: int | None = None) -> Any:
        """Translate source strings; one output string each (``num_return_sequences`` > 1: a list each).

        ``beam_size > 1``: batched beam search; ``beam_size=1``: greedy (``greedy=True``) or,
        with any sampling knob, ancestral sampling. ``return_attention=True`` also returns, per
        source, the attention matrix ``(target tokens + </s>, source tokens)`` of the best
        output (``None`` for ``attention="none"``).
        """
        self._check_fitted()
        if isinstance(sources, str):
            raise DataError("translate takes a list of source strings, got a single str; wrap it: [text].")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidParameterError(f"batch_size must be an int >= 1, got {batch_size!r}.")
        length = self.config_.max_target_length - 1 if max_new_tokens is None else max_new_tokens
        if length > self.config_.max_target_length - 1 and self.model == "transformer":
            raise InvalidParameterError(f"max_new_tokens={length} exceeds the model's max_target_length - 1 = "
                                        f"{self.config_.max_target_length - 1}.")
        sampling = temperature != 1.0 or top_k is not None or top_p is not None
        if beam_size != 1 and (sampling or greedy):
            raise InvalidParameterError("beam search ignores greedy, temperature, top_k and top_p; use beam_size=1 "
                                        "to decode greedily or to sample.")
        encoded = self._encode_sources(sources)
        outputs: list[list[list[int]]] = []
        with self._inference():
            for start in range(0, len(encoded), batch_size):
                chunk = encoded[start:start + batch_size]
                stepper = Seq2SeqStepper(self, chunk)
                if beam_size == 1 and sampling:
                    cfg = SamplingConfig(max_new_tokens=length, temperature=temperature, top_k=top_k, top_p=top_p)
                    outputs += sample_batch(stepper, len(chunk), cfg, repetition_penalty=repetition_penalty,
                                            no_repeat_ngram_size=no_repeat_ngram_size,
                                            num_return_sequences=num_return_sequences,
                                            seed=None if seed is None else seed + start)
                else:
                    res = beam_search_batch(stepper, len(chunk), beam_size=beam_size, max_new_tokens=length,
                                            length_penalty=length_penalty, repetition_penalty=repetition_penalty,
                                            no_repeat_ngram_size=no_repeat_ngram_size,
                                            num_return_sequences=num_return_sequences)
                    outputs += [[r.ids for r in hyps] for hyps in res]
        detok = self.target_tokenizer.detokenize
        decode = self.target_vocabulary_.decode
        texts: list[Any] = [[detok(decode(ids)) for ids in outs] for outs in outputs]
        if num_return_sequences == 1:
            texts = [t[0] for t in texts]
        if not return_attention:
            return texts
        return texts, [self.attention_matrix(src, outs[0]) for src, outs in zip(encoded, outputs, strict=True)]

    def attention_matrix(self, source_ids: np.ndarray, target_ids: list[int]) -> np.ndarray | None:
        """Cross-attention weights ``(len(target_ids) + 1, len(source_ids))`` of a teacher-forced target
        (last row: the step that predicts ``</s>``); None without attention."""
        if self.config_.attention == "none":
            return None
        src = torch.as_tensor(np.asarray(source_ids)[None], device=self.device_)  # (1, S)
        inp = torch.as_tensor(np.r_[BOS_ID, target_ids].astype(np.int64)[None], device=self.device_)  # (1, L)
        with self._inference():
            _, weights = self.module_.decode_all(self.module_.encode(src), inp)
        assert weights is not None
        return weights[0].double().cpu().numpy()

    def tokenize_target(self, text: str) -> list[str]:
        """Target text -> tokens (for scoring outputs against references)."""
        return self.target_tokenizer(text)

    def evaluate(self, pairs: Any, *, beam_size: int = 5, batch_size: int = 64,
                 corpus_metrics: bool = True) -> dict[str, Any]:
        """Translate ``pairs``' sources and score them against every accepted reference.

        Returns ``exact_match``, ``token_error_rate`` and (with ``corpus_metrics``, sacrebleu)
        ``bleu`` and ``chrf``, plus ``sequences`` (the number of pairs).
        """
        from seqlab.evaluate.seq2seq import seq2seq_metrics

        data = as_pairs(pairs)
        outputs = self.translate(data.sources, beam_size=beam_size, batch_size=batch_size)
        hyps = [self.tokenize_target(o) for o in outputs]
        refs = [[self.tokenize_target(r) for r in rs] for rs in data.references]
        joiner = "" if (self.target_level or self.source_level) == "char" else " "
        return {**seq2seq_metrics(hyps, refs, joiner=joiner, corpus_metrics=corpus_metrics),
                "sequences": len(data)}

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"model": "gru", "attention": "dot", "d_hidden": 8, "d_embed": 4,
                "train": TrainConfig(max_steps=2, batch_size=4), "random_state": 0}

    @classmethod
    def _test_data(cls) -> list[tuple[str, str]]:
        return [("abc", "c b a"), ("ba", "a b"), ("cab", "b a c"), ("a", "a")]


class Seq2SeqStepper:
    """A :class:`~seqlab.generate.Stepper` over a fitted :class:`Seq2Seq`: rows decode the given sources.

    Each distinct source is encoded once (one padded batch); rows select from it.
    """

    def __init__(self, model: Seq2Seq, sources: list[np.ndarray]) -> None:
        self.model, self.net, self.sources = model, model.module_, sources
        self.net.eval()

    @torch.no_grad()
    def start(self, rows: np.ndarray) -> tuple[np.ndarray, Any]:
        width = max(len(s) for s in self.sources)
        src = np.zeros((len(self.sources), width), dtype=np.int64)
        for i, s in enumerate(self.sources):
            src[i, :len(s)] = s
        device = self.model.device_
        state = self.net.start(self.net.encode(torch.from_numpy(src).to(device)))
        state = self.net.select(state, torch.as_tensor(rows, device=device))
        return self.step(state, np.full(len(rows), BOS_ID, dtype=np.int64))

    @torch.no_grad()
    def step(self, state: Any, ids: np.ndarray) -> tuple[np.ndarray, Any]:
        logits, _, state = self.net.step(state, torch.as_tensor(ids, device=self.model.device_))
        logits = logits.double()  # (R, V)
        logits[:, [0, BOS_ID]] = float("-inf")  # <pad> and <s> are never produced: renormalised over the rest
        lp: Tensor = torch.log_softmax(logits, -1)
        return lp.cpu().numpy(), state

    def select(self, state: Any, index: np.ndarray) -> Any:
        return self.net.select(state, torch.as_tensor(index, device=self.model.device_))

    def history(self, i: int) -> list[int]:
        return []

