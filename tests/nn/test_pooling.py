"""Pooling heads and text convolutions: padding never leaks into a real row's result."""

from __future__ import annotations

import pytest
import torch

from seqlab.exceptions import InvalidParameterError
from seqlab.nn.pooling import POOLING_MODES, SequencePooling
from seqlab.nn.textconv import CharCNN, KimCNN, MaskedConv


def _batch(pad: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    x = torch.randn(3, 5, 8)
    lengths = torch.tensor([5, 3, 1])
    mask = torch.arange(5)[None, :] < lengths[:, None]
    if pad:
        x = torch.cat([x, 100 * torch.randn(3, pad, 8)], 1)   # garbage at padded steps
        mask = torch.cat([mask, torch.zeros(3, pad, dtype=torch.bool)], 1)
    x = x.masked_fill(~mask.unsqueeze(-1), 0) + (~mask).unsqueeze(-1) * 7.0   # padding is never zero either
    return x, mask


@pytest.mark.parametrize("mode", POOLING_MODES)
def test_pooling_ignores_appended_padding(mode: str) -> None:
    torch.manual_seed(0)
    pool = SequencePooling(mode, 8, backward_half=4 if mode == "last" else 0)
    a = pool(*_batch(0))
    b = pool(*_batch(4))
    assert torch.allclose(a, b, atol=1e-6), mode


def test_pooling_values_by_hand() -> None:
    x = torch.tensor([[[1.0], [3.0], [100.0]]])
    mask = torch.tensor([[True, True, False]])
    assert SequencePooling("last", 1)(x, mask).item() == 3.0
    assert SequencePooling("mean", 1)(x, mask).item() == 2.0
    assert SequencePooling("max", 1)(x, mask).item() == 3.0
    with pytest.raises(InvalidParameterError, match="pooling"):
        SequencePooling("median", 1)


@pytest.mark.parametrize("layer", [lambda: KimCNN(8, kernel_sizes=(1, 2, 3, 7), n_filters=4),
                                   lambda: MaskedConv(8, kernel_sizes=(2, 3), n_filters=4)])
def test_convolutions_ignore_appended_padding(layer) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    conv = layer()
    (xa, ma), (xb, mb) = _batch(0), _batch(4)
    a, b = conv(xa, ma), conv(xb, mb)
    if a.dim() == 3:
        b = b[:, : a.size(1)]
    assert torch.allclose(a, b, atol=1e-6)


def test_char_cnn_padding_and_bad_widths() -> None:
    torch.manual_seed(0)
    cnn = CharCNN(10, d_char=4, n_filters=6)
    chars = torch.tensor([[[3, 4, 5, 0], [6, 0, 0, 0]]])
    wider = torch.cat([chars, torch.zeros(1, 2, 4, dtype=torch.long)], 2)
    longer = torch.cat([chars, torch.zeros(1, 1, 4, dtype=torch.long)], 1)
    assert torch.allclose(cnn(chars), cnn(wider), atol=1e-6), "wider char padding changes nothing"
    assert torch.allclose(cnn(chars), cnn(longer)[:, :2], atol=1e-6)
    assert cnn(longer)[0, 2].abs().sum() == 0, "a padded word gives zeros"
    with pytest.raises(InvalidParameterError, match="kernel_sizes"):
        KimCNN(4, kernel_sizes=(0,))
