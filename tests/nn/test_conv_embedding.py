"""Convolutions (causality, receptive field, same padding) and the token embedding layer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.data.vocab import Vocabulary
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.nn import CausalConv1d, DilatedCausalStack, SameConv1d, TokenEmbedding

ATOL = 1e-5


@settings(max_examples=30)  # each example builds a fresh layer; 30 keeps the file fast
@given(kernel=st.integers(1, 4), dilation=st.integers(1, 3), length=st.integers(2, 12),
       cut=st.integers(1, 11), seed=st.integers(0, 2**16), gated=st.booleans())
def test_causal_layers_ignore_the_future(kernel, dilation, length, cut, seed, gated):
    cut = min(cut, length - 1)
    torch.manual_seed(seed)
    conv = CausalConv1d(3, 4, kernel, dilation=dilation)
    stack = DilatedCausalStack(3, kernel_size=kernel, n_layers=3, gated=gated)
    x = torch.randn(2, length, 3)
    changed = x.clone()
    changed[:, cut:] = torch.randn(2, length - cut, 3) * 10
    with torch.no_grad():
        for layer in (conv, stack):
            torch.testing.assert_close(layer(changed)[:, :cut], layer(x)[:, :cut], atol=ATOL, rtol=0)


def test_causal_conv_hand_worked_and_receptive_field():
    conv = CausalConv1d(1, 1, 2, dilation=2, bias=False)
    with torch.no_grad():
        conv.conv.weight.copy_(torch.tensor([[[10.0, 1.0]]]))  # out[t] = 10 x[t-2] + 1 x[t]
    x = torch.tensor([1.0, 2.0, 3.0, 4.0]).view(1, 4, 1)
    assert conv(x).flatten().tolist() == [1.0, 2.0, 13.0, 24.0]
    assert conv.receptive_field == 3
    # kernel 2, dilations 1, 2, 4: 1 + 1 + 2 + 4 = 8 steps
    assert DilatedCausalStack(2, kernel_size=2, n_layers=3).receptive_field == 8


def test_stack_output_depends_on_its_whole_receptive_field():
    stack = DilatedCausalStack(2, kernel_size=2, n_layers=3, gated=True).eval()  # gates never cut a path to 0
    x = torch.randn(1, 10, 2)
    base = stack(x)[0, -1]
    for t in range(10):
        changed = x.clone()
        changed[0, t] += 3.0
        moved = not torch.allclose(stack(changed)[0, -1], base)
        assert moved == (t >= 10 - stack.receptive_field), f"step {t}"


def test_same_conv_keeps_length_and_sees_both_sides():
    conv = SameConv1d(2, 3, 3)
    x = torch.randn(2, 7, 2)
    assert conv(x).shape == (2, 7, 3)
    changed = x.clone()
    changed[:, 4] += 5
    assert not torch.allclose(conv(changed)[:, 3], conv(x)[:, 3]), "step 3 must see step 4"
    assert torch.allclose(conv(changed)[:, 1], conv(x)[:, 1]), "step 1 is outside a width-3 window of step 4"


def test_conv_bad_arguments_raise():
    with pytest.raises(InvalidParameterError):
        CausalConv1d(2, 3, 0)
    with pytest.raises(InvalidParameterError):
        CausalConv1d(2, 3, 2, dilation=0)
    with pytest.raises(InvalidParameterError):
        DilatedCausalStack(0)
    with pytest.raises(DataError, match=r"\(N, L, 2\)"):
        CausalConv1d(2, 3, 2)(torch.randn(1, 2, 5))


def test_token_embedding_pads_and_checks_ids():
    emb = TokenEmbedding(6, 3)
    out = emb(torch.tensor([[0, 4, 5]]))
    assert out.shape == (1, 3, 3)
    assert torch.all(out[0, 0] == 0), "<pad> (id 0) maps to zeros"
    with pytest.raises(DataError, match="vocab_size"):
        emb(torch.tensor([[1, 6]]))
    with pytest.raises(DataError, match="integer"):
        emb(torch.tensor([[1.0]]))
    with pytest.raises(InvalidParameterError):
        TokenEmbedding(0, 3)
    with pytest.raises(InvalidParameterError):
        TokenEmbedding(5, 3, padding_idx=5)


def test_from_pretrained_matrix_frozen_or_trainable(rng):
    matrix = rng.normal(size=(5, 4)).astype(np.float32)
    frozen = TokenEmbedding.from_pretrained(matrix, padding_idx=None)
    np.testing.assert_allclose(frozen(torch.tensor([[3]]))[0, 0].numpy(), matrix[3], atol=0)
    assert not frozen.weight.requires_grad
    trainable = TokenEmbedding.from_pretrained(torch.from_numpy(matrix), freeze=False)
    assert trainable.weight.requires_grad
    vocab = Vocabulary(["a", "b", "c"])
    with pytest.raises(DataError, match="rows"):
        TokenEmbedding.from_pretrained(matrix, vocabulary=vocab if len(vocab) != 5 else None)
    with pytest.raises(InvalidParameterError):
        TokenEmbedding.from_pretrained([[1.0, 2.0]])


def test_from_pretrained_uses_the_embeddings_to_torch_seam():
    class FakeEmbeddings:  # stands in for seqlab.embed.Embeddings (branch embed)
        def __init__(self):
            self.calls = []

        def to_torch(self, vocabulary, *, freeze=True):
            self.calls.append((vocabulary, freeze))
            return torch.nn.Embedding.from_pretrained(torch.arange(12.0).view(4, 3), freeze=freeze)

    fake, vocab = FakeEmbeddings(), object()
    layer = TokenEmbedding.from_pretrained(fake, vocab, freeze=False)
    assert fake.calls == [(vocab, False)]
    torch.testing.assert_close(layer.weight.detach(), torch.arange(12.0).view(4, 3), atol=0, rtol=0)
    assert layer.weight.requires_grad
