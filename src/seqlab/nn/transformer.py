"""Position embeddings and the pre-norm Transformer block (document 002; GPT-2 layout).

Symbols: ``N`` batch, ``L`` steps, ``E`` model width (``d_model``), ``P`` cached steps.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from seqlab._validation import check_int
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.nn.attention import KVCache, MultiHeadSelfAttention, PastKV, _check_dropout


def sinusoidal_table(length: int, d_model: int, *, offset: int = 0, device: torch.device | None = None) -> Tensor:
    r"""Fixed sine/cosine position codes (Vaswani et al. 2017) for positions ``offset .. offset + length - 1``.

    ``PE[p, 2i] = sin(p / 10000^(2i / E))`` and ``PE[p, 2i + 1] = cos(p / 10000^(2i / E))``.
    Returns a float32 tensor of shape (length, d_model).
    """
    pos = torch.arange(offset, offset + length, dtype=torch.float32, device=device)[:, None]  # (L, 1)
    freq = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32, device=device)
                     * (-math.log(10000.0) / d_model))  # (ceil(E / 2),)
    table = torch.zeros(length, d_model, device=device)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq)[:, : d_model // 2]
    return table


class PositionEmbedding(nn.Module):
    """Adds a position code to each step: learned table or fixed sinusoids.

    Parameters
    ----------
    d_model : int
        Width ``E`` of the codes (equal to the token embedding width).
    max_length : int, optional
        Rows of the learned table (positions ``0 .. max_length - 1``); required for
        ``kind="learned"``, ignored by ``kind="sinusoidal"`` (defined for every position).
    kind : {"learned", "sinusoidal"}, default="learned"
    overflow : {"error", "sinusoidal"}, default="error"
        What a learned table does past ``max_length``: raise a ``DataError`` naming the limit,
        or fall back to sinusoidal codes for the positions beyond it (document 002 notes a
        learned table cannot serve positions it never saw).

    Notes
    -----
    ==========  ===============================================
    ``x``       ``(N, L, E)``; ``offset`` = position of ``x[:, 0]`` (``P`` with a KV cache)
    output      ``(N, L, E)``: ``x + table[offset : offset + L]``
    ==========  ===============================================
    """

    def __init__(self, d_model: int, *, max_length: int | None = None, kind: str = "learned",
                 overflow: str = "error") -> None:
        super().__init__()
        self.d_model = check_int(d_model, "d_model of PositionEmbedding", low=1)
        if kind not in ("learned", "sinusoidal"):
            raise InvalidParameterError(f"kind must be 'learned' or 'sinusoidal'; got {kind!r}.")
        if overflow not in ("error", "sinusoidal"):
            raise InvalidParameterError(f"overflow must be 'error' or 'sinusoidal'; got {overflow!r}.")
        if kind == "learned" and max_length is None:
            raise InvalidParameterError("A learned position table needs max_length (the longest sequence, "
                                        "an int >= 1); got None. Or use kind='sinusoidal'.")
        self.max_length = None if max_length is None else check_int(max_length, "max_length", low=1)
        self.kind, self.overflow = kind, overflow
        self.table = nn.Embedding(max_length, d_model) if kind == "learned" else None  # type: ignore[arg-type]
        if self.table is not None:
            nn.init.normal_(self.table.weight, std=0.02)

    def codes(self, length: int, *, offset: int = 0, device: torch.device | None = None) -> Tensor:
        """Position codes for ``offset .. offset + length - 1``, shape (length, E)."""
        if self.table is None:
            return sinusoidal_table(length, self.d_model, offset=offset, device=device)
        assert self.max_length is not None
        end = offset + length
        if end <= self.max_length:
            return self.table.weight[offset:end]
        if self.overflow == "error":
            raise DataError(f"Positions must be below max_length={self.max_length} of the learned position "
                            f"table; got a sequence reaching position {end - 1} (length {length}, offset "
                            f"{offset}). Use shorter windows, a larger max_length, or overflow='sinusoidal'.")
        inside = self.table.weight[min(offset, self.max_length) : self.max_length]
        start = max(offset, self.max_length)
        beyond = sinusoidal_table(end - start, self.d_model, offset=start, device=device).to(inside.dtype)
        return torch.cat([inside, beyond], 0)

    def forward(self, x: Tensor, *, offset: int = 0) -> Tensor:
        """Return ``x + codes`` for ``x`` of shape (N, L, E)."""
        return x + self.codes(x.size(1), offset=offset, device=x.device).to(x.dtype)  # (N, L, E)


class FeedForward(nn.Module):
    """Position-wise feed-forward network: ``Linear(E, d_hidden) -> activation -> Linear(d_hidden, E)``."""

    def __init__(self, d_model: int, d_hidden: int, *, dropout: float = 0.0, activation: str = "gelu") -> None:
        super().__init__()
        check_int(d_model, "d_model of FeedForward", low=1)
        check_int(d_hidden, "d_hidden of FeedForward", low=1)
        if activation not in ("gelu", "relu"):
            raise InvalidParameterError(f"activation must be 'gelu' or 'relu'; got {activation!r}.")
        self.up, self.down = nn.Linear(d_model, d_hidden), nn.Linear(d_hidden, d_model)
        self.act = nn.GELU() if activation == "gelu" else nn.ReLU()
        self.drop = nn.Dropout(_check_dropout(dropout, "FeedForward"))

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.drop(self.down(self.act(self.up(x))))  # (N, L, E)
        return out


class TransformerBlock(nn.Module):
    r"""Pre-norm Transformer block: ``x + attn(ln(x))``, then ``x + ff(ln(x))`` (GPT-2 layout).

    Parameters
    ----------
    d_model : int
        Width ``E`` (torch ``d_model``).
    n_heads : int
        Attention heads (torch ``nhead``); must divide ``d_model``.
    d_hidden : int, optional
        Feed-forward width (torch ``dim_feedforward``); default ``4 * d_model``.
    dropout : float, default=0.0
        On attention weights, the attention output and the feed-forward output (torch ``dropout``).
    causal : bool, default=False
        Mask the future (autoregressive LMs); needed for a KV cache.
    activation : {"gelu", "relu"}, default="gelu"
    norm_eps : float, default=1e-5
        LayerNorm epsilon (torch ``layer_norm_eps``).

    Notes
    -----
    ==========  =====================================================
    ``x``       ``(N, L, E)``
    ``mask``    ``(N, S)`` bool key mask, True at real tokens (optional)
    ``cache``   a :class:`KVCache` for incremental decoding (optional)
    output      ``(N, L, E)``
    ==========  =====================================================

    :meth:`step` is the value-style form of incremental decoding: it takes the layer's
    ``(k, v)`` pair (or ``None``) and returns the output with a new, extended pair, leaving
    the given one untouched (decoding states that beam search may advance several times).

    Plain-Python equivalent::

        x = x + dropout(self_attention(layer_norm_1(x), causal_mask, cache))
        x = x + dropout(W_2 @ gelu(W_1 @ layer_norm_2(x)))          # at every position

    Because only the attention mixes time steps, a causal attention makes the whole block
    causal, and a stack of causal blocks is an autoregressive model (document 002).
    """

    def __init__(self, d_model: int, n_heads: int, *, d_hidden: int | None = None, dropout: float = 0.0,
                 causal: bool = False, activation: str = "gelu", norm_eps: float = 1e-5) -> None:
        super().__init__()
        dropout = _check_dropout(dropout, "TransformerBlock")
        self.norm1 = nn.LayerNorm(check_int(d_model, "d_model of TransformerBlock", low=1), eps=norm_eps)
        self.attn = MultiHeadSelfAttention(d_model, n_heads, dropout=dropout, causal=causal)
        self.drop = nn.Dropout(dropout)
        self.norm2 = nn.LayerNorm(d_model, eps=norm_eps)
        self.ff = FeedForward(d_model, 4 * d_model if d_hidden is None else d_hidden, dropout=dropout,
                              activation=activation)

    def forward(self, x: Tensor, *, mask: Tensor | None = None, cache: KVCache | None = None) -> Tensor:
        """Return the block's output (N, L, E); a ``cache`` is extended in place."""
        x = x + self.drop(self.attn(self.norm1(x), mask=mask, cache=cache))  # (N, L, E)
        out: Tensor = x + self.ff(self.norm2(x))  # (N, L, E)
        return out

    def step(self, x: Tensor, past: PastKV | None = None, *, mask: Tensor | None = None) -> tuple[Tensor, PastKV]:
        """Value-style incremental decoding: ``(output (N, L, E), present)``; ``past`` is not modified.

        See :meth:`MultiHeadSelfAttention.step`.
        """
        a, present = self.attn.step(self.norm1(x), past, mask=mask)
        x = x + self.drop(a)  # (N, L, E)
        out: Tensor = x + self.ff(self.norm2(x))  # (N, L, E)
        return out, present
