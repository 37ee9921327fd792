"""Encoder-decoder attention: Luong's multiplicative scores, cross-attention, a Transformer decoder block.

Symbols: ``N`` batch, ``L`` decoder (query) steps, ``S`` encoder (key) steps, ``H`` widths.
Every attention here takes a key mask ``(N, S)``, True at real source steps: padding gets
weight exactly 0 (its score is ``-inf`` before the softmax).

- :class:`MultiplicativeAttention`: Luong et al. (2015) ``dot`` (``q . k``) and ``general``
  (``q . W k``) scores; :class:`~seqlab.nn.attention.AdditiveAttention` is Bahdanau's
  ``concat`` score. :func:`make_attention` builds any of the three by name.
- :class:`CrossAttention`: multi-head attention of decoder states over encoder outputs, whose
  keys and values are projected once per source (:meth:`CrossAttention.memory`).
- :class:`TransformerDecoderBlock`: pre-norm causal self-attention, cross-attention and a
  feed-forward layer, with value-style incremental decoding (:meth:`TransformerDecoderBlock.step`).
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from seqlab._validation import check_int
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.nn.attention import AdditiveAttention, MultiHeadSelfAttention, PastKV, _check_dropout
from seqlab.nn.transformer import FeedForward

__all__ = ["ATTENTIONS", "CrossAttention", "MultiplicativeAttention", "TransformerDecoderBlock", "make_attention",
           "select_rows"]

ATTENTIONS = ("additive", "dot", "general")


def _masked_softmax(scores: Tensor, mask: Tensor | None) -> Tensor:
    """Softmax over the last axis of scores (..., S) with ``mask`` (N, S) True at real keys."""
    if mask is not None:
        m = mask.bool()
        shape = (m.size(0),) + (1,) * (scores.dim() - 2) + (m.size(1),)
        scores = scores.masked_fill(~m.view(shape), float("-inf"))
    return scores.softmax(-1)


class MultiplicativeAttention(nn.Module):
    r"""Luong attention: ``score(q, k) = q . k`` (``"dot"``) or ``q . W k`` (``"general"``).

    Parameters
    ----------
    d_query, d_key : int
        Widths of the query (decoder state) and the keys (encoder outputs); ``"dot"`` needs
        them equal.
    score : {"dot", "general"}, default="general"

    Notes
    -----
    ==========  ===================================================
    ``query``   ``(N, Dq)`` or ``(N, L, Dq)``
    ``keys``    ``(N, S, Dk)``; ``values`` ``(N, S, Dv)``, default ``keys``
    ``mask``    ``(N, S)`` bool, True at real keys (optional)
    returns     ``(context (N, [L,] Dv), weights (N, [L,] S))``
    ==========  ===================================================

    Plain-Python equivalent for one query::

        scores = [q @ W @ keys[s] for s in range(S)]      # W = identity for "dot"
        weights = softmax(scores)
        context = sum(weights[s] * values[s] for s in range(S))
    """

    def __init__(self, d_query: int, d_key: int, *, score: str = "general") -> None:
        super().__init__()
        check_int(d_query, "d_query of MultiplicativeAttention", low=1)
        check_int(d_key, "d_key of MultiplicativeAttention", low=1)
        if score not in ("dot", "general"):
            raise InvalidParameterError(f"score must be 'dot' or 'general'; got {score!r}.")
        if score == "dot" and d_query != d_key:
            raise InvalidParameterError(f"dot attention needs d_query == d_key; got {d_query} and {d_key}. "
                                        "Use score='general' (a learned W) or project the keys.")
        self.score_kind = score
        self.key_proj = nn.Linear(d_key, d_query, bias=False) if score == "general" else None

    def forward(self, query: Tensor, keys: Tensor, values: Tensor | None = None, *,
                mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Return ``(context, weights)``; see the class notes for shapes."""
        single = query.dim() == 2
        q = query.unsqueeze(1) if single else query  # (N, L, Dq)
        values = keys if values is None else values
        k = keys if self.key_proj is None else self.key_proj(keys)  # (N, S, Dq)
        weights = _masked_softmax(q @ k.transpose(1, 2), mask)  # (N, L, S)
        context = weights @ values  # (N, L, Dv)
        return (context.squeeze(1), weights.squeeze(1)) if single else (context, weights)


def make_attention(kind: str, d_query: int, d_key: int, *, d_hidden: int | None = None) -> nn.Module:
    """``"additive"`` (Bahdanau), ``"dot"`` or ``"general"`` (Luong) attention of queries over keys."""
    if kind == "additive":
        return AdditiveAttention(d_query, d_key, d_hidden or d_query)
    if kind in ("dot", "general"):
        return MultiplicativeAttention(d_query, d_key, score=kind)
    raise InvalidParameterError(f"attention must be one of {', '.join(ATTENTIONS)}; got {kind!r}.")


class CrossAttention(nn.Module):
    r"""Multi-head attention of decoder states (queries) over encoder outputs (keys and values).

    Parameters
    ----------
    d_model : int
        Width ``E`` of queries, memory and output; divisible by ``n_heads``.
    n_heads : int
    dropout : float, default=0.0
        On the attention weights, in training.

    Notes
    -----
    ==========  ==========================================
    ``x``       ``(N, L, E)`` decoder states
    ``memory``  ``(k, v)`` from :meth:`memory`, each ``(N, h, S, E/h)``
    ``mask``    ``(N, S)`` bool, True at real source steps
    returns     ``(output (N, L, E), weights (N, L, S))`` (weights averaged over heads)
    ==========  ==========================================
    """

    def __init__(self, d_model: int, n_heads: int, *, dropout: float = 0.0) -> None:
        super().__init__()
        self.d_model = check_int(d_model, "d_model of CrossAttention", low=1)
        self.n_heads = check_int(n_heads, "n_heads of CrossAttention", low=1)
        if d_model % n_heads:
            raise InvalidParameterError(f"d_model must be divisible by n_heads; got d_model={d_model}, "
                                        f"n_heads={n_heads}.")
        self.dropout = nn.Dropout(_check_dropout(dropout, "CrossAttention"))
        self.q = nn.Linear(d_model, d_model)
        self.kv = nn.Linear(d_model, 2 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def memory(self, encoded: Tensor) -> PastKV:
        """Project encoder outputs (N, S, E) once into keys and values, each (N, h, S, D)."""
        n, s, _ = encoded.shape
        k, v = self.kv(encoded).view(n, s, 2, self.n_heads, -1).permute(2, 0, 3, 1, 4)  # each (N, h, S, D)
        return k, v

    def forward(self, x: Tensor, memory: PastKV, *, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        n, length, _ = x.shape
        k, v = memory
        if mask is not None and tuple(mask.shape) != (n, k.size(2)):
            raise DataError(f"mask must have shape (N, S) = {(n, k.size(2))}; got {tuple(mask.shape)}.")
        q = self.q(x).view(n, length, self.n_heads, -1).transpose(1, 2)  # (N, h, L, D)
        weights = _masked_softmax(q @ k.transpose(-2, -1) / math.sqrt(q.size(-1)), mask)  # (N, h, L, S)
        y = self.dropout(weights) @ v  # (N, h, L, D)
        out: Tensor = self.out(y.transpose(1, 2).reshape(n, length, self.d_model))  # (N, L, E)
        return out, weights.mean(1)


class TransformerDecoderBlock(nn.Module):
    r"""Pre-norm decoder block: causal self-attention, cross-attention over the source, feed-forward.

    Parameters
    ----------
    d_model, n_heads : int
    d_hidden : int, optional
        Feed-forward width; default ``4 * d_model``.
    dropout : float, default=0.0

    Notes
    -----
    Plain-Python equivalent::

        x = x + dropout(self_attention(ln1(x), causal_mask, past))
        x = x + dropout(cross_attention(ln2(x), memory, source_mask))
        x = x + dropout(feed_forward(ln3(x)))

    :meth:`step` takes the self-attention's ``(k, v)`` cache (or ``None``) and returns a new,
    extended one; the given cache is never changed, so beam search can branch from it.
    """

    def __init__(self, d_model: int, n_heads: int, *, d_hidden: int | None = None, dropout: float = 0.0) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.self_attn = MultiHeadSelfAttention(d_model, n_heads, dropout=dropout, causal=True)
        self.norm2 = nn.LayerNorm(d_model)
        self.cross = CrossAttention(d_model, n_heads, dropout=dropout)
        self.norm3 = nn.LayerNorm(d_model)
        self.ff = FeedForward(d_model, d_hidden or 4 * d_model, dropout=dropout)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor, memory: PastKV, *, mask: Tensor | None = None,
                target_mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Whole target at once (teacher forcing): ``(output (N, L, E), cross weights (N, L, S))``."""
        x = x + self.drop(self.self_attn(self.norm1(x), mask=target_mask))  # (N, L, E)
        a, weights = self.cross(self.norm2(x), memory, mask=mask)
        x = x + self.drop(a)  # (N, L, E)
        out: Tensor = x + self.ff(self.norm3(x))  # (N, L, E)
        return out, weights

    def step(self, x: Tensor, past: PastKV | None, memory: PastKV, *,
             mask: Tensor | None = None) -> tuple[Tensor, PastKV, Tensor]:
        """New step(s) ``x`` (N, L, E) after the cached ones: ``(output, present, cross weights)``."""
        a, present = self.self_attn.step(self.norm1(x), past)
        x = x + self.drop(a)  # (N, L, E)
        c, weights = self.cross(self.norm2(x), memory, mask=mask)
        x = x + self.drop(c)  # (N, L, E)
        out: Tensor = x + self.ff(self.norm3(x))  # (N, L, E)
        return out, present, weights


def select_rows(tree: object, index: Tensor) -> object:
    """``index_select(0, index)`` on every tensor of a nested tuple/list (batch-first tensors)."""
    if isinstance(tree, Tensor):
        return tree.index_select(0, index)
    if isinstance(tree, tuple | list):
        return type(tree)(select_rows(t, index) for t in tree)
    return tree

