"""Smoke test: every sequence layer can memorise one small batch (minGPT/makemore habit)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from seqlab.nn import DilatedCausalStack, PositionEmbedding, Recurrent, TokenEmbedding, TransformerBlock


class _Tiny(nn.Module):
    def __init__(self, body: str) -> None:
        super().__init__()
        self.emb = TokenEmbedding(12, 16)
        self.body_kind = body
        if body == "transformer":
            self.pos = PositionEmbedding(16, max_length=8)
            self.body = TransformerBlock(16, 2, causal=True)
        elif body == "conv":
            self.body = DilatedCausalStack(16, kernel_size=2, n_layers=3)
        else:
            self.body = Recurrent(16, 16, cell=body)
        self.head = nn.Linear(16, 12)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.emb(ids)  # (N, L, 16)
        if self.body_kind == "transformer":
            x = self.body(self.pos(x))
        elif self.body_kind == "conv":
            x = self.body(x)
        else:
            x, _ = self.body(x)
        return self.head(x)  # (N, L, 12)


@pytest.mark.slow
@pytest.mark.parametrize("body", ["peephole", "jordan", "transformer", "conv"])  # fused built-ins are torch's
def test_can_overfit_one_batch(body):
    torch.manual_seed(0)
    model = _Tiny(body)
    ids = torch.randint(4, 12, (4, 8))
    inputs, targets = ids[:, :-1], ids[:, 1:]
    opt = torch.optim.Adam(model.parameters(), lr=3e-2)
    for _ in range(100):
        loss = nn.functional.cross_entropy(model(inputs).flatten(0, 1), targets.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
    # ln(8) ~ 2.08 is the loss of a uniform guess over the 8 symbols in play; memorised is far below
    assert loss.item() < 0.2, f"{body} did not memorise the batch: loss {loss.item():.3f}"
