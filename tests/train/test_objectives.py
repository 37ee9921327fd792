"""The Trainer's loss comes from an objective: token cross-entropy (default) or mean squared error."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seqlab.data.streams import IGNORE_INDEX
from seqlab.data.windows import WindowBatches
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.models.lm import ModelOutput
from seqlab.train import TrainConfig, Trainer
from seqlab.train.batch import TensorBatch
from seqlab.train.objectives import MEAN_SQUARED_ERROR, TOKEN_CROSS_ENTROPY, unwrap_network


class FixedLogits(nn.Module):
    """An 'LM' whose logits are a fixed table, whatever the inputs."""

    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.logits = logits

    def forward(self, inputs, targets=None, state=None):
        return ModelOutput(self.logits, None, "next-state")


def test_token_cross_entropy_is_the_default_and_sums_over_unmasked_targets():
    assert Trainer(TrainConfig()).objective is TOKEN_CROSS_ENTROPY
    logits = torch.randn(2, 3, 5, generator=torch.Generator().manual_seed(0))
    targets = torch.tensor([[1, IGNORE_INDEX, 4], [0, 2, IGNORE_INDEX]])
    batch = TensorBatch(inputs=torch.zeros(2, 3, dtype=torch.long), targets=targets)
    total, count, state = TOKEN_CROSS_ENTROPY(FixedLogits(logits), batch, None)
    mean = F.cross_entropy(logits.reshape(-1, 5), targets.reshape(-1), ignore_index=IGNORE_INDEX)
    assert int(count) == 4 and state == "next-state"
    torch.testing.assert_close(total / count, mean, rtol=1e-6, atol=0)


class Wrapper(nn.Module):
    """Holds the network in ``.module``, as DistributedDataParallel does."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module


def test_unwrap_network_finds_the_network_bare_or_wrapped_and_names_a_wrong_one():
    net = nn.Linear(2, 3)
    assert unwrap_network(net, nn.Linear) is net
    assert unwrap_network(Wrapper(net), nn.Linear) is net
    with pytest.raises(TypeError, match="trains Linear networks, got a Identity module"):
        unwrap_network(Wrapper(nn.Identity()), nn.Linear)


def test_mean_squared_error_by_hand():
    module = nn.Identity()
    batch = TensorBatch(inputs=torch.tensor([[1.0, 2.0], [3.0, 5.0]]), targets=torch.tensor([[1.0, 0.0], [0.0, 5.0]]))
    total, count, state = MEAN_SQUARED_ERROR(module, batch, None)
    assert float(total) == 4.0 + 9.0 and int(count) == 4 and state is None


def test_window_batches_are_a_pure_function_of_seed_epoch_and_k():
    x, y = np.arange(20.0).reshape(10, 2, 1), np.arange(10.0).reshape(10, 1)
    data = WindowBatches(x, y, batch_size=4, seed=3)
    assert len(data) == 3
    again = WindowBatches(x, y, batch_size=4, seed=3)
    for epoch in (0, 1):
        seen = np.concatenate([data.batch(epoch, k).targets[:, 0] for k in range(len(data))])
        assert sorted(seen.tolist()) == list(range(10))  # every pair once per epoch
        for k in range(len(data)):
            np.testing.assert_array_equal(data.batch(epoch, k).inputs, again.batch(epoch, k).inputs)
    assert not np.array_equal(data.order(0), data.order(1))
    batch = data.batch(0, 0)
    assert batch.inputs.dtype == np.float32 and batch.continues is False
    np.testing.assert_array_equal(batch.inputs[:, 0, 0], 2 * batch.targets[:, 0])  # pairs stay together
    with pytest.raises(InvalidParameterError, match="batch_size"):
        WindowBatches(x, y, batch_size=0)
    with pytest.raises(DataError, match="same length"):
        WindowBatches(x, y[:5], batch_size=2)


def test_trainer_fits_a_regression_with_mean_squared_error_and_reports_no_perplexity():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    train = WindowBatches(x, y, batch_size=16, seed=0)
    torch.manual_seed(0)
    module = nn.Linear(3, 1)
    config = TrainConfig(lr=0.05, weight_decay=0.0, schedule="constant", clip=None, batch_size=16,
                         max_epochs=60, eval_every=40)
    trainer = Trainer(config, objective=MEAN_SQUARED_ERROR, quiet=True)
    before = trainer.evaluate(module, train)
    result = trainer.fit(module, train, valid=train)
    with torch.no_grad():
        direct = float(F.mse_loss(module(torch.from_numpy(train.inputs)), torch.from_numpy(train.targets)))
    assert result.valid_loss == pytest.approx(direct, rel=1e-5)
    assert result.valid_loss < 1e-3 * before
    assert result.steps == 60 * 4 and result.valid_perplexity is None
    assert all("valid_perplexity" not in r for r in result.history)
