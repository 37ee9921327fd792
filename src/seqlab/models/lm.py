"""Neural language models: recurrent, convolutional, Transformer (GPT-style) and fixed-window.

Every model is a plain ``nn.Module`` built from one frozen config and shares makemore's
contract::

    out = model(inputs, targets=None, state=None)   # inputs (N, L) int64
    out.logits   # (N, L, V): next-token logits; <pad> and <s> are -inf (never predicted)
    out.loss     # mean cross-entropy over targets != -100, or None without targets
    out.state    # what to pass back as ``state`` to continue after ``inputs``

``state`` is the carried hidden state (recurrent), the key/value cache (Transformer) or the
last tokens of the receptive field (convolutional, fixed-window), so decoding feeds one token
at a time instead of re-feeding the prefix, and truncated BPTT carries state across windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab._validation import check_probability, int_at_least, require
from seqlab.data.vocab import BOS_ID, PAD_ID
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.nn import CELLS, DilatedCausalStack, PositionEmbedding, Recurrent, TransformerBlock

IGNORE_INDEX = -100


@dataclass
class ModelOutput:
    """What a language model's ``forward`` returns."""

    logits: Tensor
    loss: Tensor | None = None
    state: Any = None


def _positive(name: str, value: Any) -> None:
    require(value, int_at_least(1), name)


def _check_dropout(value: float) -> None:
    check_probability(value, "dropout")


# ---------------------------------------------------------------------- configs
@dataclass(frozen=True, kw_only=True)
class RecurrentLMConfig:
    """``RecurrentLM`` hyperparameters (``n_layers`` -> torch's ``num_layers``)."""

    vocab_size: int
    cell: str = "lstm"
    d_embed: int = 64
    d_hidden: int = 256
    n_layers: int = 2
    dropout: float = 0.1
    tie_weights: bool = False

    def __post_init__(self) -> None:
        for name in ("vocab_size", "d_embed", "d_hidden", "n_layers"):
            _positive(name, getattr(self, name))
        _check_dropout(self.dropout)
        if self.cell not in CELLS:
            raise InvalidParameterError(f"cell must be one of {list(CELLS)}, got {self.cell!r}.")
        if self.tie_weights and self.d_embed != self.d_hidden:
            raise InvalidParameterError(
                f"tie_weights needs d_embed == d_hidden, got {self.d_embed} and {self.d_hidden}; "
                "set them equal or turn tying off.")


@dataclass(frozen=True, kw_only=True)
class ConvLMConfig:
    """``ConvLM`` hyperparameters: ``n_layers`` residual causal convolutions with dilation 2**i."""

    vocab_size: int
    d_embed: int = 64
    d_hidden: int = 256
    n_layers: int = 4
    kernel_size: int = 3
    dropout: float = 0.1
    tie_weights: bool = False

    def __post_init__(self) -> None:
        for name in ("vocab_size", "d_embed", "d_hidden", "n_layers", "kernel_size"):
            _positive(name, getattr(self, name))
        _check_dropout(self.dropout)
        if self.tie_weights and self.d_embed != self.d_hidden:
            raise InvalidParameterError(
                f"tie_weights needs d_embed == d_hidden, got {self.d_embed} and {self.d_hidden}.")

    @property
    def receptive_field(self) -> int:
        """Number of input steps one output sees: ``1 + sum_i (kernel_size - 1) * 2**i``."""
        return 1 + sum((self.kernel_size - 1) * (1 << i) for i in range(self.n_layers))


@dataclass(frozen=True, kw_only=True)
class TransformerLMConfig:
    """``TransformerLM`` hyperparameters (GPT-2 layout, pre-norm)."""

    vocab_size: int
    d_model: int = 128
    n_layers: int = 2
    n_heads: int = 4
    d_ff: int | None = None
    context_size: int = 256
    dropout: float = 0.1
    positions: str = "learned"
    tie_weights: bool = True

    def __post_init__(self) -> None:
        for name in ("vocab_size", "d_model", "n_layers", "n_heads", "context_size"):
            _positive(name, getattr(self, name))
        if self.d_ff is not None:
            _positive("d_ff", self.d_ff)
        _check_dropout(self.dropout)
        if self.d_model % self.n_heads:
            raise InvalidParameterError(
                f"d_model must be divisible by n_heads, got d_model={self.d_model}, n_heads={self.n_heads}.")
        if self.positions not in ("learned", "sinusoidal"):
            raise InvalidParameterError(f"positions must be 'learned' or 'sinusoidal', got {self.positions!r}.")


@dataclass(frozen=True, kw_only=True)
class WindowLMConfig:
    """``WindowLM`` hyperparameters: Bengio et al.'s fixed window of ``context_size`` previous tokens."""

    vocab_size: int
    context_size: int = 4
    d_embed: int = 64
    d_hidden: int = 256
    dropout: float = 0.1
    tie_weights: bool = False

    def __post_init__(self) -> None:
        for name in ("vocab_size", "context_size", "d_embed", "d_hidden"):
            _positive(name, getattr(self, name))
        _check_dropout(self.dropout)
        if self.tie_weights and self.d_embed != self.d_hidden:
            raise InvalidParameterError(
                f"tie_weights needs d_embed == d_hidden, got {self.d_embed} and {self.d_hidden}.")


# ---------------------------------------------------------------------- shared head
class _LMBase(nn.Module):
    """Embedding-in, logits-out plumbing shared by the four models."""

    #: True when ``state`` may be carried across truncated-BPTT windows during training.
    carries_state: ClassVar[bool] = True
    #: Longest input the model accepts in one call (``None``: unbounded).
    max_length: int | None = None

    def _init_head(self, vocab_size: int, d_embed: int, d_out: int, tie: bool) -> None:
        self.embed = nn.Embedding(vocab_size, d_embed)
        self.head = nn.Linear(d_out, vocab_size)
        if tie:
            self.head.weight = self.embed.weight
        never = torch.zeros(vocab_size, dtype=torch.bool)
        never[[PAD_ID, BOS_ID]] = True
        self.register_buffer("_never", never, persistent=False)

    def _check_inputs(self, inputs: Tensor) -> None:
        if inputs.dim() != 2 or inputs.dtype not in (torch.int64, torch.int32):
            raise DataError(f"inputs must be an int tensor of shape (N, L); got {inputs.dtype} {tuple(inputs.shape)}.")
        if inputs.numel() == 0:
            raise DataError(f"inputs is an empty batch (shape {tuple(inputs.shape)}); give at least one token.")
        vocab = self.embed.num_embeddings
        top = int(inputs.max())
        if top >= vocab or int(inputs.min()) < 0:
            raise DataError(
                f"inputs hold token id {top}, but the model's vocabulary has {vocab} ids; the data was encoded "
                "with a different vocabulary than the model's. Encode it with the model's vocabulary_.")

    def _output(self, hidden: Tensor, targets: Tensor | None, state: Any) -> ModelOutput:
        logits = self.head(hidden).masked_fill(self._never, float("-inf"))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=IGNORE_INDEX)
        return ModelOutput(logits, loss, state)

    def num_parameters(self) -> int:
        """Number of trainable parameters (tied weights counted once)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


# ---------------------------------------------------------------------- models
class RecurrentLM(_LMBase):
    """Embedding -> recurrent stack (Elman, Jordan, LSTM, peephole LSTM or GRU) -> softmax.

    ``state`` is the stack's hidden state (``(h, c)`` for LSTMs), carried across windows in
    truncated BPTT and across steps in decoding.
    """

    def __init__(self, config: RecurrentLMConfig) -> None:
        super().__init__()
        self.config = config
        self._init_head(config.vocab_size, config.d_embed, config.d_hidden, config.tie_weights)
        self.drop = nn.Dropout(config.dropout)
        self.rnn = Recurrent(config.d_embed, config.d_hidden, cell=config.cell, n_layers=config.n_layers,
                             dropout=config.dropout)

    def forward(self, inputs: Tensor, targets: Tensor | None = None, state: Any = None) -> ModelOutput:
        self._check_inputs(inputs)
        hidden, state = self.rnn(self.drop(self.embed(inputs)), state)
        return self._output(self.drop(hidden), targets, state)


class ConvLM(_LMBase):
    """Embedding -> :class:`seqlab.nn.DilatedCausalStack` (TCN/WaveNet residual stack) -> layer norm -> softmax.

    ``state`` holds the last ``receptive_field - 1`` input ids, prepended to the next call, so
    a continuation equals running over the whole history.
    """

    def __init__(self, config: ConvLMConfig) -> None:
        super().__init__()
        self.config = config
        self._init_head(config.vocab_size, config.d_embed, config.d_hidden, config.tie_weights)
        self.inp = nn.Linear(config.d_embed, config.d_hidden)
        self.stack = DilatedCausalStack(config.d_hidden, kernel_size=config.kernel_size, n_layers=config.n_layers,
                                        dropout=config.dropout)
        self.norm = nn.LayerNorm(config.d_hidden)

    def forward(self, inputs: Tensor, targets: Tensor | None = None, state: Any = None) -> ModelOutput:
        self._check_inputs(inputs)
        past = 0 if state is None else state.size(1)
        full = inputs if state is None else torch.cat([state, inputs], 1)
        h = self.stack(self.inp(self.embed(full)))
        keep = self.config.receptive_field - 1
        new_state = full[:, max(0, full.size(1) - keep):] if keep else full[:, :0]
        return self._output(self.norm(h[:, past:]), targets, new_state)


class TransformerLM(_LMBase):
    """GPT-style decoder: token + position embeddings -> pre-norm blocks -> layer norm -> softmax.

    Built from :class:`seqlab.nn.PositionEmbedding` and causal :class:`seqlab.nn.TransformerBlock`.
    ``state`` is ``(position, [(k, v) per layer])``: the value-style key/value cache of everything
    fed so far (:meth:`seqlab.nn.TransformerBlock.step`), which a call extends into new tensors and
    never modifies, so one state can be continued several ways (beam search).
    Learned positions refuse inputs beyond ``context_size``; sinusoidal ones extend to any length.
    """

    carries_state = False

    def __init__(self, config: TransformerLMConfig) -> None:
        super().__init__()
        self.config = config
        self._init_head(config.vocab_size, config.d_model, config.d_model, config.tie_weights)
        learned = config.positions == "learned"
        self.pos = PositionEmbedding(config.d_model, max_length=config.context_size if learned else None,
                                     kind=config.positions)
        self.max_length = config.context_size if learned else None
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(
            TransformerBlock(config.d_model, config.n_heads, d_hidden=config.d_ff, dropout=config.dropout, causal=True)
            for _ in range(config.n_layers))
        self.norm = nn.LayerNorm(config.d_model)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, inputs: Tensor, targets: Tensor | None = None, state: Any = None) -> ModelOutput:
        self._check_inputs(inputs)
        start, caches = (0, [None] * len(self.blocks)) if state is None else state
        end = start + inputs.size(1)
        if self.max_length is not None and end > self.max_length:
            raise DataError(
                f"The sequence reaches position {end}, but this TransformerLM's learned position table has "
                f"{self.max_length} entries; use shorter inputs (--bptt <= context_size), a larger "
                "context_size, or positions='sinusoidal'.")
        x = self.drop(self.pos(self.embed(inputs), offset=start))
        new_caches = []
        for block, cache in zip(self.blocks, caches, strict=True):
            x, cache = cast(TransformerBlock, block).step(x, cache)
            new_caches.append(cache)
        return self._output(self.norm(x), targets, (end, new_caches))


class WindowLM(_LMBase):
    """Bengio et al.'s fixed-window LM (document 001): ``softmax(U tanh(W [e1; ..; en] + b1) + b2)``.

    Position ``t`` sees the ``context_size`` ids ending at ``t`` (padded on the left with ``<s>``
    at the start); ``state`` holds the last ``context_size - 1`` ids.
    """

    def __init__(self, config: WindowLMConfig) -> None:
        super().__init__()
        self.config = config
        self._init_head(config.vocab_size, config.d_embed, config.d_hidden, config.tie_weights)
        self.hidden = nn.Linear(config.context_size * config.d_embed, config.d_hidden)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, inputs: Tensor, targets: Tensor | None = None, state: Any = None) -> ModelOutput:
        self._check_inputs(inputs)
        c = self.config.context_size
        if state is None:
            full = F.pad(inputs, (c - 1, 0), value=BOS_ID)
        else:
            full = torch.cat([state, inputs], 1)
        windows = full.unfold(1, c, 1)  # (N, L, c): ids t-c+1 .. t
        e = self.embed(windows).flatten(2)  # (N, L, c * d_embed)
        h = self.drop(torch.tanh(self.hidden(self.drop(e))))
        return self._output(h, targets, full[:, full.size(1) - (c - 1):])


ARCHITECTURES: dict[str, tuple[type[_LMBase], type]] = {
    "recurrent": (RecurrentLM, RecurrentLMConfig),
    "conv": (ConvLM, ConvLMConfig),
    "transformer": (TransformerLM, TransformerLMConfig),
    "window": (WindowLM, WindowLMConfig),
}


def build_module(family: str, config_fields: dict[str, Any]) -> _LMBase:
    """Build ``family``'s module from config fields (as saved in a manifest)."""
    if family not in ARCHITECTURES:
        raise InvalidParameterError(f"Unknown model family {family!r}; choose from {sorted(ARCHITECTURES)}.")
    module_cls, config_cls = ARCHITECTURES[family]
    return module_cls(config_cls(**config_fields))


def init_uniform_(module: nn.Module, init_range: float) -> None:
    """Draw every parameter except layer-norm gains and shifts from ``U(-init_range, init_range)`` in place.

    Zaremba et al.'s scheme for their Penn Treebank LSTMs (``init_range`` 0.1 for the small one).
    """
    with torch.no_grad():
        for sub in module.modules():
            if isinstance(sub, nn.LayerNorm):
                continue
            for param in sub.parameters(recurse=False):
                param.uniform_(-init_range, init_range)
