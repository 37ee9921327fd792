"""Attention: scaled dot-product, multi-head self-attention with a KV cache, additive attention.

Symbols: ``N`` batch, ``L`` query steps, ``S`` key steps (``S = P + L`` with ``P`` cached
steps), ``E`` model width (``d_model``), ``h`` heads, ``D = E / h`` per-head width.

Two kinds of key/value cache serve incremental decoding:

- :class:`KVCache` appends in place (amortised O(1) per step): one growing cache per layer,
  for a single decoding path.
- a *value* cache, ``PastKV = (k, v)`` of shape (N, h, P, D) per layer, through the layers'
  ``step`` methods: each step returns a new, extended pair and never touches the one given,
  so one decoding state can be advanced several times (beam search, the ``LanguageModel``
  protocol's ``advance``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab._validation import check_int, check_probability
from seqlab.exceptions import DataError, InvalidParameterError

PastKV = tuple[Tensor, Tensor]
"""A value-style key/value cache of one attention layer: ``(k, v)``, each (N, h, P, D)."""


def _check_dropout(dropout: float, owner: str) -> float:
    """A layer's dropout rate in [0, 1) (the shared validator, named after the layer)."""
    return check_probability(dropout, f"dropout of {owner}")


def attention_mask(
    n_queries: int, n_keys: int, *, causal: bool, key_mask: Tensor | None = None, device: torch.device | None = None
) -> Tensor | None:
    """Boolean mask, True where a query may attend to a key; ``None`` when nothing is masked.

    Queries are the *last* ``n_queries`` of the ``n_keys`` positions (the rest came from a KV
    cache), so query ``i`` sits at position ``n_keys - n_queries + i`` and, when ``causal``,
    sees keys ``0 .. n_keys - n_queries + i``. ``key_mask`` (N, S) is True at real keys.
    Rows left with no visible key (all padding) attend uniformly instead of producing NaN;
    their outputs belong to padding anyway. Shape ``(N or 1, 1, L, S)``.
    """
    allowed = None
    if causal:
        q_pos = torch.arange(n_keys - n_queries, n_keys, device=device)  # (L,)
        allowed = (torch.arange(n_keys, device=device)[None, :] <= q_pos[:, None])[None, None]  # (1, 1, L, S)
    if key_mask is not None:
        keys = key_mask.to(device=device, dtype=torch.bool)[:, None, None, :]  # (N, 1, 1, S)
        allowed = keys if allowed is None else allowed & keys
        allowed = allowed | ~allowed.any(-1, keepdim=True)
    return allowed


def scaled_dot_product_attention(
    q: Tensor, k: Tensor, v: Tensor, *, causal: bool = False, key_mask: Tensor | None = None,
    dropout: float = 0.0,
) -> Tensor:
    r"""``softmax(q k^T / sqrt(D)) v`` through ``F.scaled_dot_product_attention``.

    Parameters
    ----------
    q : Tensor of shape (N, h, L, D)
    k, v : Tensor of shape (N, h, S, D)
        ``S >= L``; when ``S > L`` the queries are the last ``L`` positions (KV-cache decoding).
    causal : bool, default=False
        Each query sees only keys at its own position or earlier (autoregressive models).
    key_mask : Tensor of shape (N, S), bool, optional
        True at real keys, False at padding.
    dropout : float, default=0.0
        Dropout on the attention weights (pass 0.0 in evaluation).

    Returns
    -------
    Tensor of shape (N, h, L, D)

    Notes
    -----
    Plain-Python equivalent::

        scores = q @ k.transpose(-2, -1) / math.sqrt(D)        # (N, h, L, S)
        scores = scores.masked_fill(~allowed, float("-inf"))    # causal and padding mask
        out = scores.softmax(-1) @ v
    """
    n_q, n_k = q.size(-2), k.size(-2)
    if causal and key_mask is None and n_q == n_k:
        return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, is_causal=True)
    allowed = attention_mask(n_q, n_k, causal=causal and n_q > 1, key_mask=key_mask, device=q.device)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=dropout)


class KVCache:
    """Keys and values of the steps already processed by one attention layer.

    Incremental decoding feeds one new token at a time; the layer appends its key and value
    here and attends over everything cached, instead of recomputing the whole prefix. Keep one
    cache per layer (``[KVCache() for _ in blocks]``) and pass ``cache.length`` as the position
    offset of the new tokens. Storage grows by doubling, so appending is amortised O(1).

    Attributes
    ----------
    length : int
        Number of cached steps ``P``.
    """

    def __init__(self) -> None:
        self._k: Tensor | None = None  # (N, h, capacity, D)
        self._v: Tensor | None = None
        self.length = 0

    def append(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Add ``k``, ``v`` of shape (N, h, L, D); return all keys and values (N, h, P + L, D)."""
        new = k.size(2)
        if self._k is None or self._v is None:
            self._k = k.new_empty(*k.shape[:2], max(16, 2 * new), k.size(3))
            self._v = v.new_empty(*v.shape[:2], self._k.size(2), v.size(3))
        elif self._k.shape[:2] != k.shape[:2] or self._k.size(3) != k.size(3):
            raise DataError(f"KVCache holds keys of shape (N, h, ., D) = {tuple(self._k.shape[:2])}, "
                            f"{self._k.size(3)}; got {tuple(k.shape)}. Use one cache per layer and batch, "
                            "or reset() it.")
        end = self.length + new
        if end > self._k.size(2):
            capacity = max(end, 2 * self._k.size(2))
            self._k = torch.cat([self._k[:, :, : self.length], k.new_empty(*k.shape[:2], capacity - self.length,
                                                                          k.size(3))], 2)
            self._v = torch.cat([self._v[:, :, : self.length], v.new_empty(*v.shape[:2], capacity - self.length,
                                                                          v.size(3))], 2)
        self._k[:, :, self.length : end] = k
        self._v[:, :, self.length : end] = v
        self.length = end
        return self._k[:, :, :end], self._v[:, :, :end]

    def reorder(self, index: Tensor) -> None:
        """Keep batch rows ``index`` (N',), e.g. the surviving hypotheses of a beam search."""
        if self._k is not None and self._v is not None:
            self._k, self._v = self._k.index_select(0, index), self._v.index_select(0, index)

    def reset(self) -> None:
        """Forget every cached step."""
        self.__init__()  # type: ignore[misc]


class MultiHeadSelfAttention(nn.Module):
    r"""Multi-head self-attention (Vaswani et al. 2017; document 002), batch-first.

    Parameters
    ----------
    d_model : int
        Width ``E`` of inputs and outputs (torch ``embed_dim``).
    n_heads : int
        Heads ``h`` (torch ``num_heads``); ``d_model`` must be divisible by it.
    dropout : float, default=0.0
        Dropout on the attention weights, in training (torch ``dropout``).
    causal : bool, default=False
        Mask the future, for autoregressive models. A KV cache requires ``causal=True``.
    bias : bool, default=True

    Notes
    -----
    ==========  ==========================================
    ``x``       ``(N, L, E)``
    ``mask``    ``(N, S)`` bool, True at real tokens (optional)
    output      ``(N, L, E)``
    ==========  ==========================================

    Plain-Python equivalent::

        q, k, v = (x @ W_qkv.T + b_qkv).split(E, -1)              # each (N, L, E)
        q, k, v = (t.view(N, L, h, D).transpose(1, 2) for t in (q, k, v))
        if cache is not None:
            k, v = cache.append(k, v)                             # (N, h, P + L, D)
        y = softmax(q @ k.transpose(-2, -1) / sqrt(D) + causal_mask) @ v
        out = y.transpose(1, 2).reshape(N, L, E) @ W_out.T + b_out
    """

    def __init__(self, d_model: int, n_heads: int, *, dropout: float = 0.0, causal: bool = False,
                 bias: bool = True) -> None:
        super().__init__()
        self.d_model = check_int(d_model, "d_model of MultiHeadSelfAttention", low=1)
        self.n_heads = check_int(n_heads, "n_heads of MultiHeadSelfAttention", low=1)
        if d_model % n_heads:
            raise InvalidParameterError(f"d_model must be divisible by n_heads; got d_model={d_model}, "
                                        f"n_heads={n_heads}. Pick n_heads among the divisors of d_model.")
        self.dropout = _check_dropout(dropout, "MultiHeadSelfAttention")
        self.causal = bool(causal)
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.out = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, x: Tensor, *, mask: Tensor | None = None, cache: KVCache | None = None) -> Tensor:
        """Attend over ``x`` (N, L, E) and, if given, the cached past; returns (N, L, E).

        With a ``cache``, ``mask`` covers the cached steps too: shape (N, P + L).
        The cache is extended in place; :meth:`step` is the value-style alternative.
        """
        self._check_input(x, cached=cache is not None)
        return self._attend(x, mask, None if cache is None else cache.append)[0]

    def step(self, x: Tensor, past: PastKV | None = None, *, mask: Tensor | None = None) -> tuple[Tensor, PastKV]:
        """Value-style incremental attention: ``(output (N, L, E), present)``.

        ``past`` is the ``(k, v)`` pair, each (N, h, P, D), that an earlier call returned (or
        ``None`` at the start); ``present`` holds ``past`` extended by the ``L`` new steps, in
        new tensors, so ``past`` stays valid and can be stepped again along another path.
        ``mask`` is (N, P + L) as in :meth:`forward`.
        """
        self._check_input(x, cached=past is not None)
        if past is None:
            return self._attend(x, mask, None)

        def extend(k: Tensor, v: Tensor) -> PastKV:
            return torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)

        return self._attend(x, mask, extend)

    def _check_input(self, x: Tensor, *, cached: bool) -> None:
        if x.dim() != 3 or x.size(-1) != self.d_model:
            raise DataError(f"MultiHeadSelfAttention expects (N, L, {self.d_model}); got {tuple(x.shape)}.")
        if cached and not self.causal:
            raise InvalidParameterError("A KV cache is for causal (autoregressive) attention; "
                                        "build the layer with causal=True or call it without a cache.")

    def _attend(self, x: Tensor, mask: Tensor | None,
                extend: Callable[[Tensor, Tensor], PastKV] | None) -> tuple[Tensor, PastKV]:
        """Project, let ``extend`` prepend the cached past to the new keys/values, attend, project out."""
        n, length, _ = x.shape
        q, k, v = self.qkv(x).view(n, length, 3, self.n_heads, -1).permute(2, 0, 3, 1, 4)  # each (N, h, L, D)
        if extend is not None:
            k, v = extend(k, v)  # (N, h, S, D)
        if mask is not None and tuple(mask.shape) != (n, k.size(2)):
            raise DataError(f"mask must have shape (N, S) = {(n, k.size(2))} (S counts cached steps); "
                            f"got {tuple(mask.shape)}.")
        y = scaled_dot_product_attention(q, k, v, causal=self.causal, key_mask=mask,
                                         dropout=self.dropout if self.training else 0.0)  # (N, h, L, D)
        out: Tensor = self.out(y.transpose(1, 2).reshape(n, length, self.d_model))  # (N, L, E)
        return out, (k, v)


class AdditiveAttention(nn.Module):
    r"""Additive (Bahdanau) attention: ``score(q, k) = v^T tanh(W_q q + W_k k)``.

    For encoder-decoders: a decoder state queries the encoder outputs.

    Parameters
    ----------
    d_query : int
        Width of the query (decoder state).
    d_key : int
        Width of the keys (encoder outputs).
    d_hidden : int
        Width of the scoring layer.

    Notes
    -----
    ==========  ===================================================
    ``query``   ``(N, Dq)`` or ``(N, L, Dq)``
    ``keys``    ``(N, S, Dk)``; ``values`` ``(N, S, Dv)``, default ``keys``
    ``mask``    ``(N, S)`` bool, True at real keys (optional)
    returns     ``(context (N, [L,] Dv), weights (N, [L,] S))``
    ==========  ===================================================

    Plain-Python equivalent for one query::

        scores = [v @ tanh(W_q @ q + W_k @ keys[s]) for s in range(S)]
        weights = softmax(scores)
        context = sum(weights[s] * values[s] for s in range(S))
    """

    def __init__(self, d_query: int, d_key: int, d_hidden: int) -> None:
        super().__init__()
        check_int(d_query, "d_query of AdditiveAttention", low=1)
        check_int(d_key, "d_key of AdditiveAttention", low=1)
        check_int(d_hidden, "d_hidden of AdditiveAttention", low=1)
        self.query_proj = nn.Linear(d_query, d_hidden, bias=False)
        self.key_proj = nn.Linear(d_key, d_hidden, bias=True)
        self.score = nn.Linear(d_hidden, 1, bias=False)

    def forward(self, query: Tensor, keys: Tensor, values: Tensor | None = None, *,
                mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Return ``(context, weights)``; see the class notes for shapes."""
        single = query.dim() == 2
        q = query.unsqueeze(1) if single else query  # (N, L, Dq)
        values = keys if values is None else values
        feats = torch.tanh(self.query_proj(q).unsqueeze(2) + self.key_proj(keys).unsqueeze(1))  # (N, L, S, d_hidden)
        scores = self.score(feats).squeeze(-1)  # (N, L, S)
        if mask is not None:
            scores = scores.masked_fill(~mask.bool()[:, None, :], float("-inf"))
        weights = scores.softmax(-1)  # (N, L, S)
        context = weights @ values  # (N, L, Dv)
        return (context.squeeze(1), weights.squeeze(1)) if single else (context, weights)
