"""Neural forecasters (torch): an MLP on lag windows, RNN/LSTM/GRU and a causal CNN on the raw series.

Document 003's two strategies: the feed-forward autoregressive model ``x_t = f(x_{t-1}, ...,
x_{t-L})`` (:class:`MLPForecaster`, 10-10-1 ReLU units like the document's gluon net) and the
latent autoregressive model, whose recurrent hidden state summarises the past
(:class:`RecurrentForecaster` with ``cell="lstm" | "gru" | "rnn"``); :class:`ConvForecaster`
reads the window with a dilated causal convolution stack. All take 1-D or multivariate series
``(n_steps, C)`` and predict all ``C`` features of the next step; multi-step forecasts are
recursive (fed back, so errors build up).

They are :class:`~seqlab.forecast.BaseForecaster` s, so the one walk-forward ``backtest``
serves them: ``update(new, refit=False)`` conditions on new values; ``refit=True`` continues
training (warm start) for ``refit_epochs`` epochs on the current window rather than training
from scratch. Training runs on the shared :class:`seqlab.train.Trainer` with the mean squared
error objective on the standardised series: Adam (AdamW without weight decay) at a constant
learning rate, no clipping, minibatches of shuffled windows (:class:`seqlab.data.windows.WindowBatches`,
order a pure function of the seed and the epoch). Saved like every seqlab model: manifest + safetensors.

Module symbols: ``N`` windows, ``L`` window length (``lags``), ``C`` features, ``H`` hidden units.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Self

import numpy as np
import torch
from torch import Tensor, nn

from seqlab.base import Constraint, int_at_least
from seqlab.data.windows import WindowBatches
from seqlab.exceptions import DataError
from seqlab.forecast._base import BaseForecaster
from seqlab.forecast._data import as_values
from seqlab.forecast.ar import _check_horizon
from seqlab.io import register
from seqlab.nn import CausalConv1d, Recurrent
from seqlab.train import TrainConfig, Trainer
from seqlab.train.objectives import MEAN_SQUARED_ERROR

_NEVER = 10**9  # eval_every / log_every: no evaluation or log line during a forecaster's run


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one thread: these networks are tiny, and more threads only add contention."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class _MLP(nn.Module):
    def __init__(self, lags: int, c: int, d_hidden: int, n_layers: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = lags * c
        for _ in range(n_layers):
            layers += [nn.Linear(width, d_hidden), nn.ReLU()]
            width = d_hidden
        layers.append(nn.Linear(width, c))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:  # (N, L, C) -> (N, C)
        out: Tensor = self.net(x.flip(1).reshape(len(x), -1))  # newest step first, like lag_matrix
        return out


class _RNN(nn.Module):
    def __init__(self, c: int, d_hidden: int, n_layers: int, cell: str) -> None:
        super().__init__()
        self.rnn = Recurrent(c, d_hidden, cell=cell, n_layers=n_layers, return_sequences=False)
        self.head = nn.Linear(d_hidden, c)

    def forward(self, x: Tensor) -> Tensor:  # (N, L, C) -> (N, C)
        last, _ = self.rnn(x)  # (N, H): the hidden state after the newest step
        out: Tensor = self.head(last)
        return out


class _Conv(nn.Module):
    def __init__(self, c: int, d_hidden: int, n_layers: int, kernel_size: int) -> None:
        super().__init__()
        convs = [CausalConv1d(c if i == 0 else d_hidden, d_hidden, kernel_size, dilation=2**i) for i in range(n_layers)]
        self.convs = nn.ModuleList(convs)
        self.head = nn.Linear(d_hidden, c)

    def forward(self, x: Tensor) -> Tensor:  # (N, L, C) -> (N, C)
        for conv in self.convs:
            x = torch.relu(conv(x))  # (N, L, H), causal: step t sees inputs <= t
        out: Tensor = self.head(x[:, -1])
        return out


class _NeuralForecaster(BaseForecaster):
    """Shared fit/predict/update/save of the torch forecasters (see the module docstring)."""

    _constraints: ClassVar[dict[str, Constraint]] = {
        "lags": int_at_least(1), "d_hidden": int_at_least(1), "n_layers": int_at_least(1),
        "epochs": int_at_least(1), "refit_epochs": int_at_least(0), "batch_size": int_at_least(1),
        "lr": (lambda v: isinstance(v, int | float) and v > 0, "a positive number"),
    }

    lags: int
    epochs: int
    lr: float
    batch_size: int
    refit_epochs: int
    random_state: int
    net_: nn.Module

    def _build(self, c: int) -> nn.Module:
        raise NotImplementedError

    # ------------------------------------------------------------------ data
    def _windows(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All (window, next value) pairs of the standardised window ``z``: (N, L, C), (N, C)."""
        L = self.lags
        idx = np.arange(L, len(z))[:, None] - np.arange(L, 0, -1)[None, :]  # oldest first
        return z[idx], z[L:]

    def _standardised(self) -> np.ndarray:
        y = self._history.values.reshape(len(self._history), -1)
        z: np.ndarray = (y - self.mean_) / self.scale_
        return z

    # ------------------------------------------------------------------ training
    def fit(self, series: Any) -> Self:
        """Standardise ``series`` (n_steps,) or (n_steps, C) and train on all its windows."""
        self._validate_params()
        y = as_values(series)
        if len(y) < self.lags + 1:
            raise DataError(f"series has {len(y)} values but lags={self.lags} needs at least {self.lags + 1}; "
                            "use fewer lags or a longer series.")
        y2 = y.reshape(len(y), -1)
        self._set_history(y)
        self.mean_ = y2.mean(axis=0)
        scale = y2.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        with torch.random.fork_rng(devices=[]), _one_thread():
            torch.manual_seed(self.random_state)
            self.net_ = self._build(y2.shape[1])
            self._train(self.epochs, seed=self.random_state)
        return self

    def _train_config(self, epochs: int, seed: int) -> TrainConfig:
        """The Trainer settings of a (re)fit: Adam, constant ``lr``, no clipping, ``epochs`` epochs."""
        return TrainConfig(optimizer="adamw", lr=self.lr, weight_decay=0.0, schedule="constant", clip=None,
                           batch_size=self.batch_size, max_epochs=epochs, eval_every=_NEVER, log_every=_NEVER,
                           seed=seed)

    def _train(self, epochs: int, *, seed: int) -> None:
        X, T = self._windows(self._standardised())
        if len(X) == 0:
            raise DataError(f"the training window of {len(self._history)} values has no complete window of "
                            f"lags={self.lags} + 1.")
        data = WindowBatches(X, T, batch_size=self.batch_size, seed=seed)
        trainer = Trainer(self._train_config(epochs, seed), objective=MEAN_SQUARED_ERROR, quiet=True)
        trainer.fit(self.net_, data)
        self.net_.eval()
        self.train_mse_ = trainer.evaluate(self.net_, data)  # on the standardised scale

    def _refit(self) -> None:
        if self.refit_epochs:
            with torch.random.fork_rng(devices=[]), _one_thread():
                torch.manual_seed(self.random_state + len(self._history))
                self._train(self.refit_epochs, seed=self.random_state + len(self._history))

    # ------------------------------------------------------------------ forecasts
    @torch.no_grad()
    def predict(self, horizon: int = 1) -> np.ndarray:
        """Recursive forecasts: shape (horizon,) for a 1-D series, else (horizon, C)."""
        self._check_fitted()
        horizon = _check_horizon(horizon)
        z = self._standardised()[-self.lags :]
        window = torch.from_numpy(z).float()[None]  # (1, L, C)
        out = []
        with _one_thread():
            for _ in range(horizon):
                nxt = self.net_(window)  # (1, C)
                out.append(nxt[0].double().numpy())
                window = torch.cat([window[:, 1:], nxt[:, None].float()], dim=1)
        pred: np.ndarray = np.asarray(out) * self.scale_ + self.mean_
        return pred[:, 0] if self.n_features_in_ == 1 and self._history.values.ndim == 1 else pred

    # ------------------------------------------------------------------ persistence
    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        arrays = {f"net.{k}": v.detach().cpu().numpy() for k, v in self.net_.state_dict().items()}
        arrays.update(mean=self.mean_, scale=self.scale_, history=np.array(self._history.values))
        return {"n_features": self.n_features_in_, "summary": {"train_mse": self.train_mse_}}, arrays

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        model = cls(**params)
        model._set_history(arrays["history"])
        model.mean_, model.scale_ = arrays["mean"], arrays["scale"]
        model.train_mse_ = float(state["summary"]["train_mse"])
        model.net_ = model._build(int(state["n_features"]))
        weights = {k[4:]: torch.from_numpy(v.copy()) for k, v in arrays.items() if k.startswith("net.")}
        try:
            model.net_.load_state_dict(weights, strict=True)
        except RuntimeError as exc:
            raise DataError(f"saved network weights do not fit {cls.__name__}({params}): {exc}") from None
        model.net_.eval()
        return model

    @classmethod
    def _test_data(cls) -> np.ndarray:
        return np.sin(np.arange(60) / 4.0)


@register
class MLPForecaster(_NeuralForecaster):
    """Feed-forward autoregressive forecaster: an MLP on the last ``lags`` values (document 003).

    Parameters
    ----------
    lags : int, default=4
        Window length ``L`` (document 003 uses an "embedding" of 4).
    d_hidden : int, default=10
        Units per hidden layer (ReLU).
    n_layers : int, default=2
        Hidden layers (document 003: two of 10).
    epochs, lr, batch_size : training length, Adam learning rate, minibatch size.
    refit_epochs : int, default=5
        Warm-start epochs when the backtest refits (0: never retrain after ``fit``).
    random_state : int, default=0
        Seeds initialisation and minibatch order.

    Examples
    --------
    >>> x = np.sin(np.arange(80) / 4.0)
    >>> model = MLPForecaster(lags=4, epochs=100).fit(x)
    >>> model.predict(3).shape
    (3,)
    """

    def __init__(self, *, lags: int = 4, d_hidden: int = 10, n_layers: int = 2, epochs: int = 200,
                 lr: float = 1e-2, batch_size: int = 32, refit_epochs: int = 5, random_state: int = 0) -> None:
        self.lags, self.d_hidden, self.n_layers = lags, d_hidden, n_layers
        self.epochs, self.lr, self.batch_size = epochs, lr, batch_size
        self.refit_epochs, self.random_state = refit_epochs, random_state

    def _build(self, c: int) -> nn.Module:
        return _MLP(self.lags, c, self.d_hidden, self.n_layers)

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"lags": 3, "epochs": 3, "d_hidden": 4}


@register
class RecurrentForecaster(_NeuralForecaster):
    """Latent autoregressive forecaster: an RNN/LSTM/GRU reads the last ``lags`` values.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"}, default="lstm"
        Recurrent cell (:class:`seqlab.nn.Recurrent`; ``"rnn"`` is the Elman cell).
    lags : int, default=12
        Window (BPTT) length ``L`` fed to the network per forecast.
    d_hidden : int, default=32
    n_layers : int, default=1
    epochs, lr, batch_size, refit_epochs, random_state : as :class:`MLPForecaster`.
    """

    _constraints: ClassVar[dict[str, Constraint]] = {
        **_NeuralForecaster._constraints,
        "cell": (lambda v: v in ("lstm", "gru", "rnn"), "'lstm', 'gru' or 'rnn'"),
    }

    def __init__(self, *, cell: str = "lstm", lags: int = 12, d_hidden: int = 32, n_layers: int = 1,
                 epochs: int = 100, lr: float = 1e-2, batch_size: int = 32, refit_epochs: int = 5,
                 random_state: int = 0) -> None:
        self.cell, self.lags, self.d_hidden, self.n_layers = cell, lags, d_hidden, n_layers
        self.epochs, self.lr, self.batch_size = epochs, lr, batch_size
        self.refit_epochs, self.random_state = refit_epochs, random_state

    def _build(self, c: int) -> nn.Module:
        return _RNN(c, self.d_hidden, self.n_layers, self.cell)

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"lags": 4, "epochs": 2, "d_hidden": 4}


@register
class ConvForecaster(_NeuralForecaster):
    """Causal-convolution forecaster: dilated causal Conv1d layers over the last ``lags`` values.

    Parameters
    ----------
    lags : int, default=16
        Window length ``L``; the receptive field is ``1 + (kernel_size - 1) * (2**n_layers - 1)``.
    kernel_size : int, default=2
    d_hidden : int, default=16
        Channels of every conv layer.
    n_layers : int, default=4
        Layer ``i`` has dilation ``2**i``.
    epochs, lr, batch_size, refit_epochs, random_state : as :class:`MLPForecaster`.
    """

    _constraints: ClassVar[dict[str, Constraint]] = {
        **_NeuralForecaster._constraints, "kernel_size": int_at_least(1),
    }

    def __init__(self, *, lags: int = 16, kernel_size: int = 2, d_hidden: int = 16, n_layers: int = 4,
                 epochs: int = 100, lr: float = 1e-2, batch_size: int = 32, refit_epochs: int = 5,
                 random_state: int = 0) -> None:
        self.lags, self.kernel_size, self.d_hidden, self.n_layers = lags, kernel_size, d_hidden, n_layers
        self.epochs, self.lr, self.batch_size = epochs, lr, batch_size
        self.refit_epochs, self.random_state = refit_epochs, random_state

    def _build(self, c: int) -> nn.Module:
        return _Conv(c, self.d_hidden, self.n_layers, self.kernel_size)

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"lags": 4, "epochs": 2, "d_hidden": 4, "n_layers": 2}


def from_name(name: str, *, lags: int = 10, epochs: int = 200, d_hidden: int = 32,
              random_state: int = 0) -> _NeuralForecaster:
    """The CLI's ``--model mlp|lstm|gru|rnn|conv`` as a forecaster."""
    if name == "mlp":
        return MLPForecaster(lags=lags, epochs=epochs, d_hidden=d_hidden, random_state=random_state)
    if name in ("lstm", "gru", "rnn"):
        return RecurrentForecaster(cell=name, lags=lags, epochs=epochs, d_hidden=d_hidden, random_state=random_state)
    if name == "conv":
        return ConvForecaster(lags=lags, epochs=epochs, d_hidden=d_hidden, random_state=random_state)
    raise DataError(f"unknown neural forecaster {name!r}; choose mlp, lstm, gru, rnn or conv.")
