"""Neural layers for sequences (torch): recurrent, convolutional, attention, transformer.

Every layer is a plain ``torch.nn.Module``, batch-first: inputs are ``(N, L, C)`` (batch,
time, features), token ids ``(N, L)``. Layers return tensors; recurrent layers return
``(output, state)``. Constructor arguments are checked at once (``InvalidParameterError``),
bad inputs raise ``DataError`` with the expected shape. The task models in
``seqlab.models`` are assembled from these.

A recurrent language-model body, with padded batches and a carried state:

>>> import torch
>>> from seqlab.nn import Recurrent, TokenEmbedding, detach_state
>>> emb = TokenEmbedding(vocab_size=50, d_model=16)
>>> rnn = Recurrent(16, 32, cell="lstm", n_layers=2, dropout=0.1)   # fused nn.LSTM inside
>>> ids = torch.randint(4, 50, (3, 7))
>>> out, state = rnn(emb(ids), lengths=torch.tensor([7, 5, 2]))     # zeros at padded steps
>>> tuple(out.shape)
(3, 7, 32)
>>> out, state = rnn(emb(ids), detach_state(state))                 # next BPTT window

Custom cells (``"peephole"``, ``"jordan"``) run seqlab's own loop; ``"rnn"``, ``"lstm"`` and
``"gru"`` use torch's fused kernels. A causal Transformer block decoded token by token with
a KV cache gives the same outputs as recomputing the whole prefix:

>>> from seqlab.nn import KVCache, PositionEmbedding, TransformerBlock
>>> block, pos = TransformerBlock(16, n_heads=4, causal=True), PositionEmbedding(16, max_length=32)
>>> x = torch.randn(2, 5, 16)
>>> full = block(pos(x))
>>> cache = KVCache()
>>> steps = [block(pos(x[:, t : t + 1], offset=cache.length), cache=cache) for t in range(5)]
>>> torch.allclose(torch.cat(steps, 1), full, atol=1e-5)
True

``KVCache`` appends in place. Where a decoding state must be a value that can be continued
several ways (beam search), ``block.step(x, past)`` takes the layer's ``(k, v)`` pair
(``PastKV``, or ``None``) and returns ``(output, present)`` without modifying ``past``:

>>> h, past = block.step(pos(x[:, :4]))
>>> h_next, present = block.step(pos(x[:, 4:], offset=4), past)
>>> torch.allclose(h_next, full[:, 4:], atol=1e-5), past[0].size(2), present[0].size(2)
(True, 4, 5)

Convolutions: ``CausalConv1d`` (dilated, never sees the future), ``DilatedCausalStack``
(TCN/WaveNet residual stack), ``SameConv1d`` (non-causal, same length).
"""

from seqlab.nn.attention import (
    AdditiveAttention,
    KVCache,
    MultiHeadSelfAttention,
    PastKV,
    attention_mask,
    scaled_dot_product_attention,
)
from seqlab.nn.cells import (
    CELLS,
    ElmanCell,
    GRUCell,
    JordanCell,
    LSTMCell,
    PeepholeLSTMCell,
    State,
    detach_state,
    make_cell,
)
from seqlab.nn.conv import CausalConv1d, DilatedCausalStack, SameConv1d
from seqlab.nn.embedding import TokenEmbedding
from seqlab.nn.recurrent import Recurrent
from seqlab.nn.transformer import FeedForward, PositionEmbedding, TransformerBlock, sinusoidal_table

__all__ = [
    "CELLS",
    "AdditiveAttention",
    "CausalConv1d",
    "DilatedCausalStack",
    "ElmanCell",
    "FeedForward",
    "GRUCell",
    "JordanCell",
    "KVCache",
    "LSTMCell",
    "MultiHeadSelfAttention",
    "PastKV",
    "PeepholeLSTMCell",
    "PositionEmbedding",
    "Recurrent",
    "SameConv1d",
    "State",
    "TokenEmbedding",
    "TransformerBlock",
    "attention_mask",
    "detach_state",
    "make_cell",
    "scaled_dot_product_attention",
    "sinusoidal_table",
]
