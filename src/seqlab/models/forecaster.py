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

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from seqlab._validation import check_int
from seqlab.base import Constraint, float_at_least, int_at_least
from seqlab.data.windows import WindowBatches
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.forecast import BaseForecaster, as_values
from seqlab.io import register
from seqlab.models.architectures import FORECAST_ARCHITECTURES
from seqlab.models.estimator import TorchEstimator
from seqlab.nn import CausalConv1d, Recurrent
from seqlab.train import TrainConfig
from seqlab.train.objectives import MEAN_SQUARED_ERROR

_NEVER = 10**9  # eval_every / log_every: no evaluation or log line during a forecaster's run


# ---------------------------------------------------------------------- configs and modules
@dataclass(frozen=True, kw_only=True)
class MLPConfig:
    """:class:`MLPNet`: ``n_layers`` ReLU layers of ``d_hidden`` units on the last ``lags`` steps."""

    n_features: int
    lags: int
    d_hidden: int = 10
    n_layers: int = 2

    def __post_init__(self) -> None:
        for name in ("n_features", "lags", "d_hidden", "n_layers"):
            check_int(getattr(self, name), name, low=1)


@dataclass(frozen=True, kw_only=True)
class RecurrentNetConfig:
    """:class:`RecurrentNet`: a ``cell`` stack reading the window, a linear head on its last state."""

    n_features: int
    cell: str = "lstm"
    d_hidden: int = 32
    n_layers: int = 1

    def __post_init__(self) -> None:
        for name in ("n_features", "d_hidden", "n_layers"):
            check_int(getattr(self, name), name, low=1)
        if self.cell not in ("lstm", "gru", "rnn"):
            raise InvalidParameterError(f"cell must be 'lstm', 'gru' or 'rnn', got {self.cell!r}.")


@dataclass(frozen=True, kw_only=True)
class ConvNetConfig:
    """:class:`ConvNet`: ``n_layers`` causal convolutions with dilation ``2**i``, a head on the last step."""

    n_features: int
    kernel_size: int = 2
    d_hidden: int = 16
    n_layers: int = 4

    def __post_init__(self) -> None:
        for name in ("n_features", "kernel_size", "d_hidden", "n_layers"):
            check_int(getattr(self, name), name, low=1)


class MLPNet(nn.Module):
    """Feed-forward AR: ``(N, L, C)`` window -> ``(N, C)`` next values (newest step first, like ``lag_matrix``)."""

    def __init__(self, config: MLPConfig) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        width = config.lags * config.n_features
        for _ in range(config.n_layers):
            layers += [nn.Linear(width, config.d_hidden), nn.ReLU()]
            width = config.d_hidden
        layers.append(nn.Linear(width, config.n_features))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:  # (N, L, C) -> (N, C)
        out: Tensor = self.net(x.flip(1).reshape(len(x), -1))  # (N, L * C), newest step first
        return out


class RecurrentNet(nn.Module):
    """Latent AR: a recurrent stack reads ``(N, L, C)``; a linear head maps its last state to ``(N, C)``."""

    def __init__(self, config: RecurrentNetConfig) -> None:
        super().__init__()
        self.config = config
        self.rnn = Recurrent(config.n_features, config.d_hidden, cell=config.cell, n_layers=config.n_layers,
                             return_sequences=False)
        self.head = nn.Linear(config.d_hidden, config.n_features)

    def forward(self, x: Tensor) -> Tensor:  # (N, L, C) -> (N, C)
        last, _ = self.rnn(x)  # (N, H): the hidden state after the newest step
        out: Tensor = self.head(last)
        return out


class ConvNet(nn.Module):
    """Causal convolutions over ``(N, L, C)``; a linear head on the newest step gives ``(N, C)``."""

    def __init__(self, config: ConvNetConfig) -> None:
        super().__init__()
        self.config = config
        c, h = config.n_features, config.d_hidden
        self.convs = nn.ModuleList(CausalConv1d(c if i == 0 else h, h, config.kernel_size, dilation=2**i)
                                   for i in range(config.n_layers))
        self.head = nn.Linear(h, c)

    def forward(self, x: Tensor) -> Tensor:  # (N, L, C) -> (N, C)
        for conv in self.convs:
            x = torch.relu(conv(x))  # (N, L, H), causal: step t sees inputs <= t
        out: Tensor = self.head(x[:, -1])
        return out


# ---------------------------------------------------------------------- the facade
@register
class NeuralForecaster(TorchEstimator, BaseForecaster):
    """A torch forecaster of any registered architecture (see the module docstring).

    A :class:`~seqlab.models.TorchEstimator` whose data are the windows of one standardised
    series, whose objective is mean squared error, and whose training settings come from
    ``epochs``, ``lr`` and ``batch_size`` (Adam at a constant rate, no clipping).
    :class:`MLPForecaster`, :class:`RecurrentForecaster` and :class:`ConvForecaster` are the
    same model with each architecture's own defaults.

    Parameters
    ----------
    model : {"mlp", "lstm", "gru", "rnn", "conv"}, default="mlp"
        An entry of :data:`~seqlab.models.FORECAST_ARCHITECTURES`.
    lags : int, default=10
        Window length ``L`` fed to the network per forecast.
    d_hidden : int, default=32
        Hidden units (MLP layers, recurrent state, conv channels).
    n_layers : int, default=2
    kernel_size : int, default=2
        Convolution taps (``conv`` only; setting it for another architecture is an error).
    epochs, lr, batch_size : training length, Adam learning rate, minibatch size.
    refit_epochs : int, default=5
        Warm-start epochs when the backtest refits (0: never retrain after ``fit``).
    random_state : int, default=0
        Seeds initialisation and minibatch order.
    device : {"auto", "cpu", "cuda"}, default="cpu"
        Where to train and predict (these networks are tiny: the CPU is usually fastest).
    threads : int or None, default=1
        torch threads while fitting and predicting (None: torch's setting).
    """

    architectures = FORECAST_ARCHITECTURES
    objective = MEAN_SQUARED_ERROR
    _fit_params = TorchEstimator._fit_params | {"epochs", "lr", "batch_size", "refit_epochs"}
    _placeholder_fields: ClassVar[dict[str, Any]] = {"n_features": 1}
    _array_prefix: ClassVar[str] = "net."
    _summary_keys: ClassVar[tuple[str, ...]] = ()
    _constraints: ClassVar[dict[str, Constraint]] = {
        **{k: v for k, v in TorchEstimator._constraints.items() if k != "train"},
        "lags": int_at_least(1), "d_hidden": int_at_least(1), "n_layers": int_at_least(1),
        "epochs": int_at_least(1), "refit_epochs": int_at_least(0), "batch_size": int_at_least(1),
        "lr": float_at_least(0, strict=True),
    }

    lags: int
    epochs: int
    lr: float
    batch_size: int
    refit_epochs: int
    random_state: int

    def __init__(self, *, model: str = "mlp", lags: int = 10, d_hidden: int = 32, n_layers: int = 2,
                 kernel_size: int = 2, epochs: int = 100, lr: float = 1e-2, batch_size: int = 32,
                 refit_epochs: int = 5, random_state: int = 0, device: str = "cpu", threads: int | None = 1) -> None:
        self.model, self.lags, self.d_hidden, self.n_layers = model, lags, d_hidden, n_layers
        self.kernel_size, self.epochs, self.lr, self.batch_size = kernel_size, epochs, lr, batch_size
        self.refit_epochs, self.random_state, self.device, self.threads = refit_epochs, random_state, device, threads

    def _override_sources(self) -> set[str]:
        return {"lags"}  # the window length: a field of the MLP's config, a data setting for the others

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"model": "gru", "lags": 4, "epochs": 2, "d_hidden": 4, "n_layers": 1}

    # ------------------------------------------------------------------ TorchEstimator hooks
    def _train_config(self, epochs: int | None = None, seed: int | None = None) -> TrainConfig:
        """Adam (AdamW without decay), constant ``lr``, no clipping, ``epochs`` epochs, silent."""
        return TrainConfig(optimizer="adamw", lr=self.lr, weight_decay=0.0, schedule="constant", clip=None,
                           batch_size=self.batch_size, max_epochs=epochs or self.epochs, eval_every=_NEVER,
                           log_every=_NEVER, seed=self.seed_ if seed is None else seed)

    @property
    def seed_(self) -> int:
        return int(self.random_state)

    def _prepare(self, X: Any, y: Any = None, **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
        values = as_values(X)
        if len(values) < self.lags + 1:
            raise DataError(f"series has {len(values)} values but lags={self.lags} needs at least {self.lags + 1}; "
                            "use fewer lags or a longer series.")
        y2 = values.reshape(len(values), -1)
        self._remember_index(X)
        self._set_exog(None, len(values))
        self._set_history(values)
        self.mean_ = y2.mean(axis=0)
        scale = y2.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        return self._windows(self._standardised())

    def _data_fields(self) -> dict[str, Any]:
        return {"n_features": self.n_features_in_}

    def _batches(self, data: tuple[np.ndarray, np.ndarray], *, shuffle: bool, rows: slice | None) -> WindowBatches:
        X, T = data
        return WindowBatches(X, T, batch_size=self.batch_size, seed=self._batch_seed)

    def _extra_state(self) -> dict[str, Any]:
        return {"n_features": self.n_features_in_, "summary": {"train_mse": self.train_mse_}}

    def _restore_extra_state(self, state: dict[str, Any]) -> None:
        self.train_mse_ = float(state["summary"]["train_mse"])

    def _extra_arrays(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean_, "scale": self.scale_, "history": np.array(self._history.values)}

    def _restore_extra_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self._remember_index(None)
        self._set_exog(None, len(arrays["history"]))
        self._set_history(arrays["history"])
        self.mean_, self.scale_ = arrays["mean"], arrays["scale"]

    @classmethod
    def _upgrade_state(cls, params: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        if "config" in state:
            return state
        model = cls(**params)  # files of earlier releases: rebuild the config from the parameters
        values = model._config_values()
        return {**state, "config": {**values, "n_features": int(state["n_features"])}}

    @property
    def net_(self) -> nn.Module:
        """The fitted network (the same object as ``module_``)."""
        return self.module_

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
    def fit(self, series: Any, y: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        """Standardise ``series`` (n_steps,) or (n_steps, C) and train on all its windows."""
        self._batch_seed = int(self.random_state)
        super().fit(series, y, **kwargs)
        self.train_mse_ = self._mse(*self._windows(self._standardised()))
        return self

    def _mse(self, X: np.ndarray, T: np.ndarray) -> float:
        """Mean squared error of one-step predictions on standardised windows."""
        with self._inference():
            pred = self.module_(self._tensor(X.astype(np.float32)))  # (N, C)
            return float(((pred.double().cpu().numpy() - T) ** 2).mean())

    def _refit(self) -> None:
        """Warm start: ``refit_epochs`` more epochs on the current window (no rebuild)."""
        if not self.refit_epochs:
            return
        X, T = self._windows(self._standardised())
        if len(X) == 0:
            raise DataError(f"the training window of {len(self._history)} values has no complete window of "
                            f"lags={self.lags} + 1.")
        seed = int(self.random_state) + len(self._history)
        self._batch_seed = seed
        from seqlab.models.estimator import torch_threads

        with torch_threads(self.threads), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self._run_trainer((X, T), self._train_config(self.refit_epochs, seed))
        self.train_mse_ = self._mse(X, T)

    # ------------------------------------------------------------------ forecasts
    def _point(self, horizon: int, X_future: np.ndarray | None) -> np.ndarray:
        """Recursive forecasts: shape (horizon,) for a 1-D series, else (horizon, C)."""
        with self._inference():
            z = self._standardised()[-self.lags:]
            window = self._tensor(z.astype(np.float32))[None]  # (1, L, C)
            out = []
            for _ in range(horizon):
                nxt = self.module_(window)  # (1, C)
                out.append(nxt[0].double().cpu().numpy())
                window = torch.cat([window[:, 1:], nxt[:, None].float()], dim=1)  # (1, L, C): slide by one
        pred: np.ndarray = np.asarray(out) * self.scale_ + self.mean_
        return pred[:, 0] if self.n_features_in_ == 1 and self._history.values.ndim == 1 else pred

    @classmethod
    def _test_data(cls) -> np.ndarray:
        return np.sin(np.arange(60) / 4.0)


@register
class MLPForecaster(NeuralForecaster):
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
    device : {"auto", "cpu", "cuda"}, default="cpu"
        Where to train and predict (these networks are tiny: the CPU is usually fastest).
    threads : int or None, default=1
        torch threads while fitting and predicting (None: torch's setting).

    Examples
    --------
    >>> x = np.sin(np.arange(80) / 4.0)
    >>> model = MLPForecaster(lags=4, epochs=100).fit(x)
    >>> model.predict(3).shape
    (3,)
    """

    model = "mlp"

    def __init__(self, *, lags: int = 4, d_hidden: int = 10, n_layers: int = 2, epochs: int = 200,
                 lr: float = 1e-2, batch_size: int = 32, refit_epochs: int = 5, random_state: int = 0,
                 device: str = "cpu", threads: int | None = 1) -> None:
        self.lags, self.d_hidden, self.n_layers = lags, d_hidden, n_layers
        self.epochs, self.lr, self.batch_size = epochs, lr, batch_size
        self.refit_epochs, self.random_state, self.device, self.threads = refit_epochs, random_state, device, threads

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"lags": 3, "epochs": 3, "d_hidden": 4}


@register
class RecurrentForecaster(NeuralForecaster):
    """Latent autoregressive forecaster: an RNN/LSTM/GRU reads the last ``lags`` values.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"}, default="lstm"
        Recurrent cell (:class:`seqlab.nn.Recurrent`; ``"rnn"`` is the Elman cell).
    lags : int, default=12
        Window (BPTT) length ``L`` fed to the network per forecast.
    d_hidden : int, default=32
    n_layers : int, default=1
    epochs, lr, batch_size, refit_epochs, random_state, device, threads : as :class:`MLPForecaster`.
    """

    _constraints: ClassVar[dict[str, Constraint]] = {
        **NeuralForecaster._constraints,
        "cell": (lambda v: v in ("lstm", "gru", "rnn"), "'lstm', 'gru' or 'rnn'"),
    }

    def __init__(self, *, cell: str = "lstm", lags: int = 12, d_hidden: int = 32, n_layers: int = 1,
                 epochs: int = 100, lr: float = 1e-2, batch_size: int = 32, refit_epochs: int = 5,
                 random_state: int = 0, device: str = "cpu", threads: int | None = 1) -> None:
        self.cell, self.lags, self.d_hidden, self.n_layers = cell, lags, d_hidden, n_layers
        self.epochs, self.lr, self.batch_size = epochs, lr, batch_size
        self.refit_epochs, self.random_state, self.device, self.threads = refit_epochs, random_state, device, threads

    @property
    def model(self) -> str:  # type: ignore[override]
        """The registry entry: the cell name."""
        return self.cell

    def _override_sources(self) -> set[str]:
        return {"lags"}  # the window length, not a layer setting

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"lags": 4, "epochs": 2, "d_hidden": 4}


@register
class ConvForecaster(NeuralForecaster):
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
    epochs, lr, batch_size, refit_epochs, random_state, device, threads : as :class:`MLPForecaster`.
    """

    _constraints: ClassVar[dict[str, Constraint]] = {
        **NeuralForecaster._constraints, "kernel_size": int_at_least(1),
    }

    model = "conv"

    def __init__(self, *, lags: int = 16, kernel_size: int = 2, d_hidden: int = 16, n_layers: int = 4,
                 epochs: int = 100, lr: float = 1e-2, batch_size: int = 32, refit_epochs: int = 5,
                 random_state: int = 0, device: str = "cpu", threads: int | None = 1) -> None:
        self.lags, self.kernel_size, self.d_hidden, self.n_layers = lags, kernel_size, d_hidden, n_layers
        self.epochs, self.lr, self.batch_size = epochs, lr, batch_size
        self.refit_epochs, self.random_state, self.device, self.threads = refit_epochs, random_state, device, threads

    def _override_sources(self) -> set[str]:
        return {"lags"}  # the window length, not a layer setting

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"lags": 4, "epochs": 2, "d_hidden": 4, "n_layers": 2}


def from_name(name: str, *, lags: int = 10, epochs: int = 200, d_hidden: int = 32,
              random_state: int = 0) -> NeuralForecaster:
    """The CLI's ``--model mlp|lstm|gru|rnn|conv`` as a forecaster."""
    if name == "mlp":
        return MLPForecaster(lags=lags, epochs=epochs, d_hidden=d_hidden, random_state=random_state)
    if name in ("lstm", "gru", "rnn"):
        return RecurrentForecaster(cell=name, lags=lags, epochs=epochs, d_hidden=d_hidden, random_state=random_state)
    if name == "conv":
        return ConvForecaster(lags=lags, epochs=epochs, d_hidden=d_hidden, random_state=random_state)
    raise DataError(f"unknown neural forecaster {name!r}; choose mlp, lstm, gru, rnn or conv.")
