"""Attention, Transformer block, position embeddings: causality, KV cache, reference math, bad input."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.nn import (
    AdditiveAttention,
    KVCache,
    MultiHeadSelfAttention,
    PositionEmbedding,
    TransformerBlock,
    scaled_dot_product_attention,
    sinusoidal_table,
)

ATOL = 1e-5


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def _naive_attention(q, k, v, allowed):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    scores = scores.masked_fill(~allowed, float("-inf"))
    return scores.softmax(-1) @ v


@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_equals_the_textbook_formula_with_padding(causal):
    q, k, v = torch.randn(2, 3, 5, 4), torch.randn(2, 3, 5, 4), torch.randn(2, 3, 5, 4)
    key_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]).bool()
    allowed = key_mask[:, None, None, :].expand(2, 1, 5, 5)
    if causal:
        allowed = allowed & torch.ones(5, 5).tril().bool()
    got = scaled_dot_product_attention(q, k, v, causal=causal, key_mask=key_mask)
    torch.testing.assert_close(got, _naive_attention(q, k, v, allowed), atol=ATOL, rtol=0)


@pytest.mark.reference
def test_self_attention_equals_torch_multihead_attention():
    ours = MultiHeadSelfAttention(8, 2, causal=True)
    ref = nn.MultiheadAttention(8, 2, batch_first=True)
    with torch.no_grad():
        ref.in_proj_weight.copy_(ours.qkv.weight)
        ref.in_proj_bias.copy_(ours.qkv.bias)
        ref.out_proj.weight.copy_(ours.out.weight)
        ref.out_proj.bias.copy_(ours.out.bias)
    x = torch.randn(3, 6, 8)
    future = torch.ones(6, 6).triu(1).bool()  # torch: True = not allowed
    want, _ = ref(x, x, x, attn_mask=future, need_weights=False)
    torch.testing.assert_close(ours(x), want, atol=ATOL, rtol=0)


@settings(max_examples=30)  # each example builds a fresh layer; 30 keeps the file fast
@given(length=st.integers(2, 9), cut=st.integers(1, 8), seed=st.integers(0, 2**16))
def test_causal_attention_and_block_ignore_the_future(length, cut, seed):
    cut = min(cut, length - 1)
    torch.manual_seed(seed)
    block = TransformerBlock(8, 2, causal=True).eval()
    x = torch.randn(2, length, 8)
    changed = x.clone()
    changed[:, cut:] = torch.randn(2, length - cut, 8) * 10  # rewrite steps >= cut
    with torch.no_grad():
        torch.testing.assert_close(block(changed)[:, :cut], block(x)[:, :cut], atol=ATOL, rtol=0)
        torch.testing.assert_close(block.attn(changed)[:, :cut], block.attn(x)[:, :cut], atol=ATOL, rtol=0)
        assert not torch.allclose(block(changed)[:, cut:], block(x)[:, cut:]), "the future must still matter"


def test_non_causal_block_does_see_the_future():
    block = TransformerBlock(8, 2, causal=False).eval()
    x = torch.randn(1, 5, 8)
    changed = x.clone()
    changed[:, -1] += torch.randn(8)  # not a constant shift: LayerNorm would remove that
    assert not torch.allclose(block(changed)[:, 0], block(x)[:, 0])


@pytest.mark.parametrize("chunks", [[1] * 7, [3, 1, 2, 1], [7]])
@pytest.mark.parametrize("kind", ["learned", "sinusoidal"])
def test_kv_cache_decoding_equals_full_recomputation(chunks, kind):
    blocks = nn.ModuleList(TransformerBlock(16, 4, causal=True) for _ in range(2)).eval()
    pos = PositionEmbedding(16, max_length=16, kind=kind)
    x = torch.randn(3, 7, 16)

    def run(inp, caches=None, offset=0):
        h = pos(inp, offset=offset)
        for i, block in enumerate(blocks):
            h = block(h, cache=None if caches is None else caches[i])
        return h

    with torch.no_grad():
        full = run(x)
        caches = [KVCache() for _ in blocks]
        outs, start = [], 0
        for size in chunks:
            outs.append(run(x[:, start : start + size], caches, offset=caches[0].length))
            start += size
    torch.testing.assert_close(torch.cat(outs, 1), full, atol=ATOL, rtol=0)
    assert caches[0].length == 7


@pytest.mark.parametrize("chunks", [[1] * 7, [3, 1, 2, 1], [7]])
def test_value_cache_steps_equal_full_recomputation_and_the_in_place_cache(chunks):
    blocks = nn.ModuleList(TransformerBlock(16, 4, causal=True) for _ in range(2)).eval()
    x = torch.randn(3, 7, 16)
    with torch.no_grad():
        full = blocks[1](blocks[0](x))
        pasts, caches, outs, in_place, start = [None, None], [KVCache(), KVCache()], [], [], 0
        for size in chunks:
            h = g = x[:, start : start + size]
            for i, block in enumerate(blocks):
                h, pasts[i] = block.step(h, pasts[i])
                g = block(g, cache=caches[i])
            outs.append(h)
            in_place.append(g)
            start += size
    torch.testing.assert_close(torch.cat(outs, 1), full, atol=ATOL, rtol=0)
    torch.testing.assert_close(torch.cat(outs, 1), torch.cat(in_place, 1), atol=ATOL, rtol=0)
    assert pasts[0][0].shape == (3, 4, 7, 4)


def test_value_cache_step_leaves_the_past_untouched_and_can_branch():
    attn = MultiHeadSelfAttention(8, 2, causal=True).eval()
    x = torch.randn(1, 4, 8)
    with torch.no_grad():
        _, past = attn.step(x[:, :3])
        saved = (past[0].clone(), past[1].clone())
        y_a, present_a = attn.step(x[:, 3:], past)
        y_b, _ = attn.step(torch.randn(1, 1, 8), past)  # another continuation of the same past
        y_a2, _ = attn.step(x[:, 3:], past)
        full = attn(x)
    assert torch.equal(past[0], saved[0]) and torch.equal(past[1], saved[1])
    assert present_a[0].size(2) == 4 and past[0].size(2) == 3
    torch.testing.assert_close(y_a, full[:, 3:], atol=ATOL, rtol=0)
    torch.testing.assert_close(y_a2, y_a, atol=0, rtol=0)
    assert not torch.allclose(y_b, y_a)
    with pytest.raises(InvalidParameterError, match="causal"):
        MultiHeadSelfAttention(8, 2).step(torch.randn(1, 1, 8), past)


def test_kv_cache_grows_and_reorders_rows():
    cache = KVCache()
    ks = [torch.randn(2, 1, 1, 3) for _ in range(40)]  # beyond the initial capacity
    for k in ks:
        all_k, _ = cache.append(k, k)
    torch.testing.assert_close(all_k, torch.cat(ks, 2), atol=0, rtol=0)
    cache.reorder(torch.tensor([1, 1]))
    k, _ = cache.append(ks[0][[1, 1]], ks[0][[1, 1]])
    torch.testing.assert_close(k[0, :, :40], torch.cat(ks, 2)[1], atol=0, rtol=0)
    cache.reset()
    assert cache.length == 0


def test_sinusoidal_table_matches_the_formula():
    table = sinusoidal_table(50, 6)
    for p in (0, 7, 49):
        for i in range(3):  # PE[p, 2i] = sin(p / 10000^(2i/6)), PE[p, 2i+1] = cos(...)
            angle = p / 10000 ** (2 * i / 6)
            assert table[p, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-5)
            assert table[p, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-5)
    assert sinusoidal_table(4, 5).shape == (4, 5)  # odd widths work
    torch.testing.assert_close(sinusoidal_table(3, 6, offset=10), table[10:13], atol=1e-5, rtol=0)


def test_learned_positions_raise_past_the_table_or_fall_back():
    strict = PositionEmbedding(4, max_length=5)
    x = torch.zeros(1, 6, 4)
    with pytest.raises(DataError, match="max_length=5"):
        strict(x)
    with pytest.raises(DataError, match="max_length=5"):
        strict(torch.zeros(1, 1, 4), offset=5)
    assert strict(torch.zeros(1, 5, 4)).shape == (1, 5, 4)
    lenient = PositionEmbedding(4, max_length=5, overflow="sinusoidal")
    lenient.load_state_dict(strict.state_dict())
    out = lenient(x)[0]
    torch.testing.assert_close(out[:5], strict.table.weight, atol=0, rtol=0)
    torch.testing.assert_close(out[5], sinusoidal_table(1, 4, offset=5)[0], atol=1e-6, rtol=0)
    torch.testing.assert_close(lenient(torch.zeros(1, 2, 4), offset=4)[0], out[4:6], atol=0, rtol=0)
    # sinusoidal positions are defined everywhere
    assert PositionEmbedding(4, kind="sinusoidal")(torch.zeros(1, 1000, 4)).shape == (1, 1000, 4)


def test_additive_attention_follows_its_equations():
    att = AdditiveAttention(3, 4, 5)
    q, keys = torch.randn(2, 3), torch.randn(2, 6, 4)
    mask = torch.tensor([[1] * 6, [1, 1, 1, 0, 0, 0]]).bool()
    context, weights = att(q, keys, mask=mask)
    for n in range(2):
        scores = torch.stack([att.score.weight[0] @ torch.tanh(att.query_proj.weight @ q[n]
                                                               + att.key_proj(keys[n, s])) for s in range(6)])
        scores = scores.masked_fill(~mask[n], float("-inf"))
        w = scores.softmax(0)
        torch.testing.assert_close(weights[n], w, atol=ATOL, rtol=0)
        torch.testing.assert_close(context[n], w @ keys[n], atol=ATOL, rtol=0)
    assert torch.all(weights[1, 3:] == 0)


def test_attention_bad_arguments_raise():
    with pytest.raises(InvalidParameterError, match="divisible"):
        MultiHeadSelfAttention(10, 3)
    with pytest.raises(InvalidParameterError):
        MultiHeadSelfAttention(0, 1)
    with pytest.raises(InvalidParameterError):
        TransformerBlock(8, 2, dropout=1.5)
    with pytest.raises(InvalidParameterError):
        PositionEmbedding(8)  # learned without max_length
    with pytest.raises(InvalidParameterError):
        PositionEmbedding(8, max_length=4, overflow="wrap")
    with pytest.raises(InvalidParameterError, match="causal"):
        MultiHeadSelfAttention(8, 2)(torch.randn(1, 2, 8), cache=KVCache())
    with pytest.raises(DataError, match=r"\(N, L, 8\)"):
        MultiHeadSelfAttention(8, 2)(torch.randn(1, 2, 6))
    with pytest.raises(DataError, match="mask"):
        MultiHeadSelfAttention(8, 2)(torch.randn(1, 2, 8), mask=torch.ones(1, 3, dtype=torch.bool))
