"""The seam between the language models and the layers they are built from.

The language models ask this module for a recurrent stack, a causal convolution and a
Transformer block. The recurrent runner and the convolution stack come from :mod:`seqlab.nn`.
The attention block below stays local on purpose: decoding states must be *values* (beam search
advances one state several times), so its key/value cache is an immutable ``(k, v)`` pair per
layer that each step extends into a new tensor, where ``seqlab.nn.KVCache`` appends in place.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.exceptions import InvalidParameterError
from seqlab.nn import Recurrent

RecurrentState = Any
CELLS = ("rnn", "jordan", "lstm", "peephole", "gru")


def recurrent_stack(cell: str, d_in: int, d_hidden: int, n_layers: int, dropout: float) -> nn.Module:
    """A batch-first recurrent stack ``(x (N, L, d_in), state) -> (y (N, L, d_hidden), state)``.

    :class:`seqlab.nn.Recurrent`: torch's fused kernels for Elman/LSTM/GRU, seqlab's eager loop
    (input projection hoisted) for the Jordan and peephole cells.
    """
    if cell not in CELLS:
        raise InvalidParameterError(f"cell must be one of {list(CELLS)}, got {cell!r}.")
    return Recurrent(d_in, d_hidden, cell=cell, n_layers=n_layers, dropout=dropout)


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
        if past == 0 or length == 1:  # one new query may see every key: no mask needed
            y = F.scaled_dot_product_attention(q, k, v, is_causal=past == 0 and length > 1, dropout_p=p)
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
