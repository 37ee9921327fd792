"""The seam between the language models and the layers they are built from.

The language models ask this module for a recurrent stack, a causal convolution and a
Transformer block. Where :mod:`seqlab.nn` provides a layer it is used; the small local versions
below exist so the models work on their own (fused torch built-ins for Elman/LSTM/GRU; an eager
loop with the input projection hoisted out of it for the Jordan and peephole cells).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.exceptions import InvalidParameterError

RecurrentState = Any
CELLS = ("rnn", "jordan", "lstm", "peephole", "gru")


class _FusedRecurrent(nn.Module):
    """torch's fused ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` (``n_layers`` -> ``num_layers``), batch-first."""

    def __init__(self, cell: str, d_in: int, d_hidden: int, n_layers: int, dropout: float) -> None:
        super().__init__()
        kind = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = kind(d_in, d_hidden, num_layers=n_layers, batch_first=True,
                        dropout=dropout if n_layers > 1 else 0.0)

    def forward(self, x: Tensor, state: RecurrentState = None) -> tuple[Tensor, RecurrentState]:
        return self.rnn(x, state)  # type: ignore[no-any-return]


class _LoopLayer(nn.Module):
    """One Jordan or peephole-LSTM layer: input projection hoisted, time iterated with ``unbind(1)``.

    Jordan (document 003): ``h_t = tanh(W x_t + U y_{t-1} + b)``, ``y_t = tanh(W_y h_t + b_y)``;
    the layer outputs ``y_t`` and carries ``y``. Peephole LSTM (Gers & Schmidhuber): the input
    and forget gates look at ``c_{t-1}``, the output gate at ``c_t`` (diagonal weights).
    """

    def __init__(self, cell: str, d_in: int, d_hidden: int) -> None:
        super().__init__()
        self.cell, self.d_hidden = cell, d_hidden
        gates = 4 if cell == "peephole" else 1
        self.w_in = nn.Linear(d_in, gates * d_hidden)
        self.w_rec = nn.Linear(d_hidden, gates * d_hidden, bias=False)
        if cell == "jordan":
            self.w_out = nn.Linear(d_hidden, d_hidden)
        else:
            self.peep = nn.Parameter(torch.zeros(3, d_hidden))
        bound = 1.0 / math.sqrt(d_hidden)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: Tensor, state: RecurrentState = None) -> tuple[Tensor, RecurrentState]:
        n = x.size(0)
        zeros = x.new_zeros(n, self.d_hidden)
        projected = self.w_in(x)  # (N, L, gates * H): one matmul for all steps
        outputs = []
        if self.cell == "jordan":
            y = zeros if state is None else state
            for xt in projected.unbind(1):
                y = torch.tanh(self.w_out(torch.tanh(xt + self.w_rec(y))))
                outputs.append(y)
            return torch.stack(outputs, 1), y
        h, c = (zeros, zeros) if state is None else state
        p_i, p_f, p_o = self.peep
        for xt in projected.unbind(1):
            i, f, g, o = (xt + self.w_rec(h)).chunk(4, -1)
            c = torch.sigmoid(f + p_f * c) * c + torch.sigmoid(i + p_i * c) * torch.tanh(g)
            h = torch.sigmoid(o + p_o * c) * torch.tanh(c)
            outputs.append(h)
        return torch.stack(outputs, 1), (h, c)


class _LoopRecurrent(nn.Module):
    """A stack of :class:`_LoopLayer` with inter-layer dropout; state is a tuple per layer."""

    def __init__(self, cell: str, d_in: int, d_hidden: int, n_layers: int, dropout: float) -> None:
        super().__init__()
        self.layers = nn.ModuleList(_LoopLayer(cell, d_in if i == 0 else d_hidden, d_hidden) for i in range(n_layers))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor, state: RecurrentState = None) -> tuple[Tensor, RecurrentState]:
        new_state = []
        for i, layer in enumerate(self.layers):
            if i > 0:
                x = self.drop(x)
            x, s = layer(x, None if state is None else state[i])
            new_state.append(s)
        return x, tuple(new_state)


def recurrent_stack(cell: str, d_in: int, d_hidden: int, n_layers: int, dropout: float) -> nn.Module:
    """A batch-first recurrent stack ``(x (N, L, d_in), state) -> (y (N, L, d_hidden), state)``."""
    if cell not in CELLS:
        raise InvalidParameterError(f"cell must be one of {list(CELLS)}, got {cell!r}.")
    if cell in ("rnn", "lstm", "gru"):
        return _FusedRecurrent(cell, d_in, d_hidden, n_layers, dropout)
    return _LoopRecurrent(cell, d_in, d_hidden, n_layers, dropout)


class CausalConv1d(nn.Module):
    """Batch-first 1-D convolution whose output at ``t`` sees inputs at steps ``<= t`` only."""

    def __init__(self, channels: int, kernel_size: int, dilation: int = 1) -> None:
        super().__init__()
        self.left_pad = (kernel_size - 1) * dilation
        self.conv = nn.Conv1d(channels, channels, kernel_size, dilation=dilation)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(F.pad(x.transpose(1, 2), (self.left_pad, 0))).transpose(1, 2)  # type: ignore[no-any-return]


class ConvBlock(nn.Module):
    """Pre-norm residual block: ``x + dropout(gelu(causal_conv(layer_norm(x))))``."""

    def __init__(self, channels: int, kernel_size: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.conv = CausalConv1d(channels, kernel_size, dilation)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.drop(F.gelu(self.conv(self.norm(x))))


KVCache = tuple[Tensor, Tensor]


class SelfAttention(nn.Module):
    """Multi-head causal self-attention with an optional key/value cache for incremental decoding."""

    def __init__(self, d_model: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.n_heads, self.dropout = n_heads, dropout
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x: Tensor, cache: KVCache | None = None) -> tuple[Tensor, KVCache]:
        n, length, d = x.shape
        q, k, v = (t.view(n, length, self.n_heads, -1).transpose(1, 2) for t in self.qkv(x).split(d, -1))
        past = 0
        if cache is not None:
            past = cache[0].size(2)
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
        p = self.dropout if self.training else 0.0
        if past == 0:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=length > 1, dropout_p=p)
        else:  # new query i sees every cached key and new keys <= i
            mask = torch.ones(length, past + length, dtype=torch.bool, device=x.device).tril(past)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        return self.proj(y.transpose(1, 2).reshape(n, length, d)), (k, v)


class TransformerBlock(nn.Module):
    """Pre-norm block: ``x + attn(ln(x))`` then ``x + mlp(ln(x))`` (GPT-2)."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = SelfAttention(d_model, n_heads, dropout)
        self.mlp = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model), nn.Dropout(dropout))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor, cache: KVCache | None = None) -> tuple[Tensor, KVCache]:
        a, cache = self.attn(self.ln1(x), cache)
        x = x + self.drop(a)
        return x + self.mlp(self.ln2(x)), cache


def sinusoidal_positions(positions: Tensor, d_model: int) -> Tensor:
    """Vaswani et al.'s fixed position code for integer ``positions`` of shape (L,): (L, d_model)."""
    half = torch.arange(0, d_model, 2, device=positions.device, dtype=torch.float32)
    freq = torch.exp(-math.log(10000.0) * half / d_model)
    angles = positions.float()[:, None] * freq[None, :]
    out = torch.zeros(len(positions), d_model, device=positions.device)
    out[:, 0::2] = torch.sin(angles)
    out[:, 1::2] = torch.cos(angles[:, : d_model // 2])
    return out
