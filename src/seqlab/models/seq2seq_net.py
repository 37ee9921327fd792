"""The encoder-decoder network behind :class:`~seqlab.models.Seq2Seq`: config, module, batches, objective.

Recurrent models (Sutskever et al. 2014; Luong et al. 2015): a (bi)directional, stacked
LSTM/GRU/Elman encoder; a bridge maps its final states to the decoder's initial state; the
decoder reads the shifted target (teacher forcing) and, with attention, each of its states
``h_t`` attends over the encoder outputs to form ``h~_t = tanh(W_c [c_t; h_t])`` (Luong's
attentional state, no input feeding, so teacher forcing runs the decoder in one fused call).
``attention="none"`` is the plain model whose decoder starts from the encoder's final state.
Transformer (Vaswani et al. 2017): pre-norm encoder blocks and decoder blocks with causal
self-attention and cross-attention; decoding caches the self-attention keys and values and
projects the source's keys and values once.

Batches are :class:`~seqlab.data.batch.Batch` values: ``source`` (N, S) and ``source_lengths``
for the encoder, ``inputs`` = ``[<s>, y_1 .. y_L]`` for the decoder and ``targets`` =
``[y_1 .. y_L, </s>]`` with ``-100`` at padding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.data.batch import Batch, batch_indices, epoch_order
from seqlab.data.vocab import PAD_ID
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.nn import PositionEmbedding, Recurrent, TransformerBlock
from seqlab.nn.seq2seq_attention import TransformerDecoderBlock, make_attention, select_rows
from seqlab.train.batch import TensorBatch
from seqlab.train.objectives import unwrap_network

IGNORE_INDEX = -100
CELLS = ("lstm", "gru", "rnn")
MODELS = (*CELLS, "transformer")
ATTENTION_CHOICES = ("additive", "dot", "general", "none")
SCHEDULES = ("none", "linear", "inverse_sigmoid")
_Block = TypeVar("_Block", bound=nn.Module)


def _int(name: str, value: Any, low: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidParameterError(f"{name} must be an int >= {low}, got {value!r}.")


@dataclass(frozen=True, kw_only=True)
class Seq2SeqConfig:
    """Encoder-decoder hyperparameters (``n_layers`` -> torch ``num_layers``, ``d_hidden`` -> ``hidden_size``).

    ``attention`` is one of additive/dot/general/none for recurrent models and ``"multihead"``
    for the Transformer (``d_hidden`` is its ``d_model``; ``d_embed`` and ``bidirectional``
    are then unused). ``teacher_forcing`` is the probability of feeding the gold previous
    token in training (the floor of a ``scheduled_sampling`` schedule that starts at 1 and
    reaches it after ``schedule_steps`` steps, Bengio et al. 2015).
    """

    src_vocab_size: int
    tgt_vocab_size: int
    model: str = "lstm"
    attention: str = "additive"
    d_embed: int = 64
    d_hidden: int = 128
    n_layers: int = 1
    bidirectional: bool = True
    n_heads: int = 4
    dropout: float = 0.1
    max_source_length: int = 256
    max_target_length: int = 256
    teacher_forcing: float = 1.0
    scheduled_sampling: str = "none"
    schedule_steps: int = 1000
    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        for name in ("src_vocab_size", "tgt_vocab_size", "d_embed", "d_hidden", "n_layers", "n_heads",
                     "max_source_length", "max_target_length", "schedule_steps"):
            _int(name, getattr(self, name))
        if self.model not in MODELS:
            raise InvalidParameterError(f"model must be one of {', '.join(MODELS)}; got {self.model!r}.")
        allowed = ("multihead",) if self.model == "transformer" else ATTENTION_CHOICES
        if self.attention not in allowed:
            raise InvalidParameterError(f"attention for model={self.model!r} must be one of {', '.join(allowed)}; "
                                        f"got {self.attention!r}.")
        if self.model == "transformer" and self.d_hidden % self.n_heads:
            raise InvalidParameterError(f"d_hidden must be divisible by n_heads for the Transformer; got "
                                        f"d_hidden={self.d_hidden}, n_heads={self.n_heads}.")
        for name in ("dropout", "label_smoothing"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise InvalidParameterError(f"{name} must be in [0, 1), got {getattr(self, name)!r}.")
        if not 0.0 <= self.teacher_forcing <= 1.0:
            raise InvalidParameterError(f"teacher_forcing must be in [0, 1], got {self.teacher_forcing!r}.")
        if self.scheduled_sampling not in SCHEDULES:
            raise InvalidParameterError(f"scheduled_sampling must be one of {', '.join(SCHEDULES)}; "
                                        f"got {self.scheduled_sampling!r}.")

    def teacher_forcing_at(self, step: int) -> float:
        """Probability of feeding the gold token at training step ``step`` (a pure function)."""
        floor = self.teacher_forcing
        if self.scheduled_sampling == "linear":
            return max(floor, 1.0 - (1.0 - floor) * step / self.schedule_steps)
        if self.scheduled_sampling == "inverse_sigmoid":
            k = self.schedule_steps / 10  # the ratio has fallen about halfway by step ~ k * ln(k)
            return floor + (1.0 - floor) * k / (k + math.exp(min(step / k, 700.0)))
        return floor


# ---------------------------------------------------------------------- batches
def make_batch(sources: list[np.ndarray], targets: list[np.ndarray]) -> Batch:
    """``sources`` (ids, no specials) and ``targets`` (``[<s>, y.., </s>]``) -> one padded :class:`Batch`."""
    n = len(sources)
    s = max(len(x) for x in sources)
    length = max(len(y) for y in targets) - 1
    source = np.full((n, s), PAD_ID, dtype=np.int64)
    inputs = np.full((n, length), PAD_ID, dtype=np.int64)
    out = np.full((n, length), IGNORE_INDEX, dtype=np.int64)
    for i, (x, y) in enumerate(zip(sources, targets, strict=True)):
        source[i, :len(x)] = x
        inputs[i, :len(y) - 1] = y[:-1]
        out[i, :len(y) - 1] = y[1:]
    return Batch(inputs=inputs, targets=out, lengths=np.array([len(y) - 1 for y in targets], dtype=np.int64),
                 source=source, source_lengths=np.array([len(x) for x in sources], dtype=np.int64))


class PairBatches:
    """Deterministic batches of (source, target) id arrays; each epoch shuffled, then bucketed by length.

    Batches of ``batch_size`` pairs; within windows of 50 batches pairs are sorted by source
    length, so little padding is computed. ``rows`` selects this process's share (DDP).
    """

    def __init__(self, sources: list[np.ndarray], targets: list[np.ndarray], *, batch_size: int,
                 shuffle: bool, seed: int, rows: slice | None = None) -> None:
        if not sources:
            raise DataError("No pair to batch; give at least one (source, target) pair.")
        self.sources, self.targets = sources, targets
        self.batch_size, self.shuffle, self.seed, self.rows = batch_size, shuffle, seed, rows
        self._cache: tuple[int, np.ndarray] | None = None

    def __len__(self) -> int:
        return -(-len(self.sources) // self.batch_size)

    def _order(self, epoch: int) -> np.ndarray:
        if self._cache is not None and self._cache[0] == epoch:
            return self._cache[1]
        n = len(self.sources)
        order = epoch_order(n, seed=self.seed, epoch=epoch, shuffle=self.shuffle)
        window = 50 * self.batch_size
        lengths = np.array([len(s) for s in self.sources])
        for start in range(0, n, window):  # bucket: sort each window by source length (stable)
            chunk = order[start:start + window]
            order[start:start + window] = chunk[np.argsort(lengths[chunk], kind="stable")]
        self._cache = (epoch, order)
        return order

    def batch(self, epoch: int, k: int) -> Batch:
        idx = batch_indices(self._order(epoch), k, self.batch_size, self.rows)
        return make_batch([self.sources[i] for i in idx], [self.targets[i] for i in idx])


# ---------------------------------------------------------------------- objective
@dataclass(frozen=True)
class Seq2SeqCrossEntropy:
    """Summed (label-smoothed) cross-entropy of the target tokens; padding (-100) ignored."""

    name: str = "seq2seq_cross_entropy"
    perplexity: bool = True

    def __call__(self, module: nn.Module, batch: TensorBatch, state: Any) -> tuple[Tensor, Tensor, Any]:
        assert batch.source is not None, "seq2seq batches carry the encoder source"
        logits = module(batch.source, batch.inputs)  # (N, L, V)
        targets = batch.targets  # (N, L), -100 at padding
        net = unwrap_network(module, Seq2SeqNet)
        smoothing = net.config.label_smoothing if net.training else 0.0
        total = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                                ignore_index=IGNORE_INDEX, reduction="sum", label_smoothing=smoothing)
        return total, (targets != IGNORE_INDEX).sum(), None


SEQ2SEQ_CROSS_ENTROPY = Seq2SeqCrossEntropy()


# ---------------------------------------------------------------------- the module
def _blocks(stack: nn.ModuleList | Recurrent, kind: type[_Block]) -> list[_Block]:
    """The layers of a Transformer stack (an ``nn.ModuleList``) typed as ``kind``: iterating the list
    yields plain modules. A recurrent stack here would mix up the two model kinds: ``TypeError``."""
    if not isinstance(stack, nn.ModuleList):
        raise TypeError(f"expected a stack of {kind.__name__} layers, found a {type(stack).__name__}.")
    blocks = []
    for block in stack:
        if not isinstance(block, kind):
            raise TypeError(f"expected {kind.__name__} layers, found a {type(block).__name__}.")
        blocks.append(block)
    return blocks


class Seq2SeqNet(nn.Module):
    """Encoder-decoder module; see the module docstring.

    ``forward(source, inputs)`` returns logits ``(N, L, V)`` under teacher forcing (or scheduled
    sampling in training); :meth:`encode`, :meth:`start`, :meth:`step` decode incrementally,
    and :meth:`decode_all` gives the logits and cross-attention weights of a whole target.
    """

    updates: Tensor  # a registered buffer (see __init__)

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        self.config = c = config
        self.transformer = c.model == "transformer"
        # training forwards seen (drives scheduled sampling); a saved buffer, so --resume goes on with the schedule
        self.register_buffer("updates", torch.zeros(1, dtype=torch.long))
        self.drop = nn.Dropout(c.dropout)
        h = c.d_hidden
        self.encoder: nn.ModuleList | Recurrent  # Transformer blocks, or one recurrent stack
        self.decoder: nn.ModuleList | Recurrent
        if self.transformer:
            self.src_embed = nn.Embedding(c.src_vocab_size, h, padding_idx=PAD_ID)
            self.tgt_embed = nn.Embedding(c.tgt_vocab_size, h, padding_idx=PAD_ID)
            self.src_pos = PositionEmbedding(h, max_length=c.max_source_length)
            self.tgt_pos = PositionEmbedding(h, max_length=c.max_target_length + 1)
            self.encoder = nn.ModuleList(TransformerBlock(h, c.n_heads, dropout=c.dropout) for _ in range(c.n_layers))
            self.enc_norm = nn.LayerNorm(h)
            self.decoder = nn.ModuleList(TransformerDecoderBlock(h, c.n_heads, dropout=c.dropout)
                                         for _ in range(c.n_layers))
            self.dec_norm = nn.LayerNorm(h)
            self._init_transformer_scales()
        else:
            d = 2 if c.bidirectional else 1
            self.src_embed = nn.Embedding(c.src_vocab_size, c.d_embed, padding_idx=PAD_ID)
            self.tgt_embed = nn.Embedding(c.tgt_vocab_size, c.d_embed, padding_idx=PAD_ID)
            self.encoder = Recurrent(c.d_embed, h, cell=c.model, n_layers=c.n_layers, bidirectional=c.bidirectional,
                                     dropout=c.dropout)
            self.bridge = nn.Linear(d * h, h)
            self.bridge_c = nn.Linear(d * h, h) if c.model == "lstm" else None
            self.memory_proj = nn.Linear(d * h, h, bias=False) if d == 2 and c.attention != "none" else None
            self.decoder = Recurrent(c.d_embed, h, cell=c.model, n_layers=c.n_layers, dropout=c.dropout)
            if c.attention != "none":
                self.attention = make_attention(c.attention, h, h)
                self.combine = nn.Linear(2 * h, h, bias=False)
        self.head = nn.Linear(h, c.tgt_vocab_size)

    def _init_transformer_scales(self) -> None:
        """Token embeddings ~ N(0, 1/E) and learned positions ~ N(0, 1): after the sqrt(E) factor of
        :meth:`encode` / :meth:`decode_all` both have unit scale, as in Vaswani et al.

        With ``nn.Embedding``'s default N(0, 1) the scaled tokens had std sqrt(E) (8 at E = 64)
        against the position table's N(0, 0.02), so position was ~400x weaker than identity and the
        model had to learn order almost from nothing (dates: 43% exact match in one CPU minute).
        Only the initial values change; saved models load and decode as before.
        """
        h = self.config.d_hidden
        for embed in (self.src_embed, self.tgt_embed):
            nn.init.normal_(embed.weight, std=h ** -0.5)
            with torch.no_grad():
                embed.weight[PAD_ID].zero_()
        for pos in (self.src_pos, self.tgt_pos):
            assert pos.table is not None  # learned tables (kind="learned")
            nn.init.normal_(pos.table.weight, std=1.0)

    def num_parameters(self) -> int:
        """Trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def _encoder_blocks(self) -> list[TransformerBlock]:
        """The Transformer's encoder blocks, in order."""
        return _blocks(self.encoder, TransformerBlock)

    def _decoder_blocks(self) -> list[TransformerDecoderBlock]:
        """The Transformer's decoder blocks, in order."""
        return _blocks(self.decoder, TransformerDecoderBlock)

    # ---------------------------------------------------------------- encoder
    def encode(self, source: Tensor) -> Any:
        """Encode source ids (N, S) (padding = 0 at the end): the decoder's view of the source."""
        n, s = source.shape
        if s > self.config.max_source_length:
            raise DataError(f"a source of {s} tokens exceeds this model's limit of {self.config.max_source_length} "
                            "(max_source_length); shorten it or train with a larger limit.")
        mask = source != PAD_ID  # (N, S) True at real tokens
        if self.transformer:
            x = self.drop(self.src_pos(self.src_embed(source) * math.sqrt(self.config.d_hidden)))  # (N, S, E)
            for block in self._encoder_blocks():
                x = block(x, mask=mask)  # (N, S, E)
            x = self.enc_norm(x)
            memories = [block.cross.memory(x) for block in self._decoder_blocks()]  # per layer (k, v): (N, h, S, D)
            return memories, mask
        lengths = mask.sum(1).clamp(min=1)  # (N,)
        out, final = self.encoder(self.src_embed(source), lengths=lengths)  # (N, S, D*H)
        k, d = self.config.n_layers, 2 if self.config.bidirectional else 1

        def bridge(t: Tensor, layer: nn.Linear) -> Tensor:  # (K*D, N, H) -> (K, N, H)
            t = t.view(k, d, n, -1).permute(0, 2, 1, 3).reshape(k, n, -1)  # (K, N, D*H)
            return torch.tanh(layer(t)).contiguous()

        if isinstance(final, tuple):
            assert self.bridge_c is not None
            state: Any = (bridge(final[0], self.bridge), bridge(final[1], self.bridge_c))
        else:
            state = bridge(final, self.bridge)
        memory = out if self.memory_proj is None else self.memory_proj(out)  # (N, S, H)
        return state, memory, mask

    # ---------------------------------------------------------------- decoder
    def _attend(self, dec: Tensor, memory: Tensor, mask: Tensor) -> tuple[Tensor, Tensor | None]:
        if self.config.attention == "none":
            return dec, None
        context, weights = self.attention(dec, memory, mask=mask)  # (N, L, H), (N, L, S)
        return torch.tanh(self.combine(torch.cat([context, dec], -1))), weights  # (N, L, H)

    def decode_all(self, encoded: Any, inputs: Tensor) -> tuple[Tensor, Tensor | None]:
        """Teacher-forced decoder over inputs (N, L): ``(logits (N, L, V), attention (N, L, S) or None)``."""
        if self.transformer:
            memories, mask = encoded
            x = self.drop(self.tgt_pos(self.tgt_embed(inputs) * math.sqrt(self.config.d_hidden)))  # (N, L, E)
            target_mask = None
            weights = None
            for block, memory in zip(self._decoder_blocks(), memories, strict=True):
                x, weights = block(x, memory, mask=mask, target_mask=target_mask)  # (N, L, E), (N, L, S)
            return self.head(self.drop(self.dec_norm(x))), weights
        state, memory, mask = encoded
        dec, _ = self.decoder(self.drop(self.tgt_embed(inputs)), state)  # (N, L, H)
        out, weights = self._attend(dec, memory, mask)
        return self.head(self.drop(out)), weights  # (N, L, V)

    def start(self, encoded: Any) -> Any:
        """The decoding state before the first target token (``<s>`` is fed by the first :meth:`step`)."""
        if self.transformer:
            memories, mask = encoded
            return [None] * len(self._decoder_blocks()), memories, mask, 0
        return encoded

    def step(self, state: Any, ids: Tensor) -> tuple[Tensor, Tensor | None, Any]:
        """Feed one token per row, ids (N,): ``(logits (N, V), attention (N, S) or None, new state)``."""
        if self.transformer:
            pasts, memories, mask, offset = state
            if offset >= self.config.max_target_length + 1:
                raise DataError(f"target longer than this model's limit of {self.config.max_target_length} tokens "
                                "(max_target_length); lower max_new_tokens.")
            x = self.tgt_pos(self.tgt_embed(ids[:, None]) * math.sqrt(self.config.d_hidden), offset=offset)
            new_pasts = []
            weights = None
            for block, past, memory in zip(self._decoder_blocks(), pasts, memories, strict=True):
                x, present, weights = block.step(x, past, memory, mask=mask)  # (N, 1, E)
                new_pasts.append(present)
            logits = self.head(self.dec_norm(x))[:, 0]  # (N, V)
            return logits, None if weights is None else weights[:, 0], (new_pasts, memories, mask, offset + 1)
        rnn_state, memory, mask = state
        dec, rnn_state = self.decoder(self.tgt_embed(ids[:, None]), rnn_state)  # (N, 1, H)
        out, weights = self._attend(dec, memory, mask)
        logits = self.head(self.drop(out))[:, 0]  # (N, V)
        return logits, None if weights is None else weights[:, 0], (rnn_state, memory, mask)

    def select(self, state: Any, index: Tensor) -> Any:
        """Keep decoding rows ``index`` of a state (beam reordering, finished rows dropped)."""
        if self.transformer:
            return select_rows(state, index)  # every tensor is batch-first
        rnn_state, memory, mask = state
        rnn_state = tuple(t.index_select(1, index) for t in rnn_state) if isinstance(rnn_state, tuple) \
            else rnn_state.index_select(1, index)  # (K, N, H): batch on axis 1
        return rnn_state, memory.index_select(0, index), mask.index_select(0, index)

    def free_running(self, encoded: Any, inputs: Tensor, gold_ratio: float) -> Tensor:
        """Step-by-step decoding that feeds the gold previous token with probability ``gold_ratio``
        (per row and step) and the model's own argmax otherwise: logits (N, L, V).
        ``gold_ratio=1`` is teacher forcing computed one step at a time; 0 is free running."""
        state = self.start(encoded)
        logits_all: list[Tensor] = []  # per step (N, V)
        prev = inputs[:, 0]
        for t in range(inputs.size(1)):
            if t > 0:
                use_gold = torch.rand(inputs.size(0), device=inputs.device) < gold_ratio  # (N,)
                prev = torch.where(use_gold, inputs[:, t], logits_all[-1].argmax(-1))
            logits, _, state = self.step(state, prev)
            logits_all.append(logits)
        return torch.stack(logits_all, 1)  # (N, L, V)

    def forward(self, source: Tensor, inputs: Tensor) -> Tensor:
        """Source ids (N, S) (0 = padding) and decoder inputs (N, L) -> logits (N, L, V)."""
        encoded = self.encode(source)
        if self.training:
            ratio = self.config.teacher_forcing_at(int(self.updates))
            self.updates.add_(1)
            if ratio < 1.0:
                return self.free_running(encoded, inputs, ratio)
        return self.decode_all(encoded, inputs)[0]

