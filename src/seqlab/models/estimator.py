"""``TorchEstimator``: the one home of a neural model's life cycle.

Every neural task model (language models, forecasters, classifiers, taggers, encoder-decoders,
autoencoders) is a frozen config, an ``nn.Module``, a batches function and an objective. What
they all need around those four pieces lives here once:

- hyperparameters as keyword-only ``__init__`` arguments (scikit-learn), turned into the
  architecture's frozen config and validated by ``check_params``/``fit`` *before* any data is
  read; a setting the chosen architecture has no field for (``n_heads`` for an LSTM) raises;
- ``fit``: prepare the data (vocabulary, classes), build the module on the device with the seed,
  hand the task's batches and objective to the one :class:`~seqlab.train.Trainer`, keep the run's
  figures and its trainer state (for ``--resume``) in memory;
- ``save``/``load``: manifest + safetensors through :mod:`seqlab.io` (tied weights stored once,
  shapes checked against the config before a module is allocated, ``FormatError`` otherwise),
  ``trainer.pt`` and the run's ``metrics.csv`` beside them, and the distributed barrier so that
  every process leaves together;
- ``device`` (``"auto"``: CUDA when present), ``random_state`` (``seed`` in ``TrainConfig``), and
  ``threads``.

A subclass declares ``architectures`` (a :class:`~seqlab.models.registry.Registry`) and
``objective``, and implements ``_prepare``, ``_encode``, ``_data_fields``, ``_batches`` and,
when it keeps more than weights, ``_extra_state``/``_restore_extra_state``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import torch
from torch import Tensor, nn

from seqlab import io
from seqlab.base import BaseModel, int_at_least
from seqlab.exceptions import FormatError, InvalidParameterError, SeqlabError
from seqlab.models.registry import Architecture, Registry
from seqlab.train import distributed
from seqlab.train.batch import Batches
from seqlab.train.callbacks import TRAINER_STATE, MetricsCsv
from seqlab.train.config import TrainConfig
from seqlab.train.log import FILENAME as METRICS_FILE
from seqlab.train.log import read_metrics, write_metrics
from seqlab.train.objectives import TOKEN_CROSS_ENTROPY, Objective
from seqlab.train.trainer import Trainer, TrainResult

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; ``"cuda"`` without CUDA is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, str) or (device not in ("cpu", "cuda") and not device.startswith("cuda:")):
        raise SeqlabError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}.")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise SeqlabError("device='cuda' was requested but CUDA is not available; use --device cpu or auto.")
    return torch.device(device)


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` torch threads (None: leave torch's setting alone)."""
    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class TorchEstimator(BaseModel):
    """Base class of every neural fit/predict facade (see the module docstring).

    Subclass parameters always include ``model`` (an ``architectures`` name), ``train``
    (a ``TrainConfig``), ``device``, ``random_state`` and ``threads``.

    Attributes
    ----------
    module_ : torch.nn.Module
        The fitted network (after ``fit`` or ``load``).
    config_ : dataclass
        The architecture's frozen config.
    device_ : torch.device
    train_result_ : dict
        Final figures of the last ``fit`` (losses, steps, timing, why it stopped).
    train_history_ : list of dict
        Every evaluation of the last ``fit``.
    """

    architectures: ClassVar[Registry]
    objective: ClassVar[Objective] = TOKEN_CROSS_ENTROPY
    #: Estimator parameters that are about fitting, not the architecture (never config fields).
    _fit_params: ClassVar[frozenset[str]] = frozenset(
        {"model", "train", "device", "random_state", "seed", "threads", "min_count", "max_vocab", "init_range"})
    #: Data-derived config fields with stand-in values, so a config can be validated before fitting.
    _placeholder_fields: ClassVar[dict[str, Any]] = {}
    #: Prefix of the weight arrays in the model file.
    _array_prefix: ClassVar[str] = ""
    #: Summary keys copied from ``train_result_`` into the manifest summary.
    _summary_keys: ClassVar[tuple[str, ...]] = ("steps", "valid_loss")

    _constraints: ClassVar[dict[str, Any]] = {
        "train": (lambda v: isinstance(v, TrainConfig), "a TrainConfig"),
        "device": (lambda v: isinstance(v, str) and (v in DEVICES or v.startswith("cuda:")),
                   "'auto', 'cpu', 'cuda' or 'cuda:N'"),
        "random_state": int_at_least(0, optional=True),
        "threads": int_at_least(1, optional=True),
    }

    model: str
    train: TrainConfig
    device: str
    random_state: int | None
    threads: int | None
    module_: nn.Module

    # ------------------------------------------------------------------ hooks (subclasses)
    def _prepare(self, X: Any, y: Any = None, **kwargs: Any) -> Any:
        """Validate and encode the training data; set data-derived fitted attributes. Returns the data."""
        raise NotImplementedError

    def _encode(self, X: Any, y: Any = None) -> Any:
        """Encode validation or new data with the fitted vocabulary, classes, scaling."""
        raise NotImplementedError

    def _data_fields(self) -> dict[str, Any]:
        """Config fields that come from the data, e.g. ``{"vocab_size": 5000}``."""
        return {}

    def _batches(self, data: Any, *, shuffle: bool, rows: slice | None) -> Batches:
        """The task's deterministic batches over encoded ``data``."""
        raise NotImplementedError

    def _config_overrides(self) -> dict[str, Any]:
        """Config fields computed from parameters (e.g. a default that depends on the architecture)."""
        return {}

    def _override_sources(self) -> set[str]:
        """Parameters that :meth:`_config_overrides` reads (so they count as used by every architecture)."""
        return set()

    def _extra_state(self) -> dict[str, Any]:
        """JSON state saved beside the weights (vocabulary, classes, tokenizer)."""
        return {}

    def _restore_extra_state(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`_extra_state`."""

    def _extra_arrays(self) -> dict[str, np.ndarray]:
        """Arrays saved beside the weights (e.g. a forecaster's scaling)."""
        return {}

    def _restore_extra_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Inverse of :meth:`_extra_arrays`."""

    def _init_module(self, module: nn.Module) -> None:
        """Change a freshly built module's initial weights (e.g. a uniform range); default: keep them."""

    # ------------------------------------------------------------------ configuration
    @property
    def architecture(self) -> Architecture:
        """The registry entry named by ``model``."""
        return self.architectures[self.model]

    @property
    def seed_(self) -> int:
        """The seed of this fit: ``random_state`` when set, else ``train.seed``."""
        return self.train.seed if self.random_state is None else int(self.random_state)

    @classmethod
    def _upgrade_state(cls, params: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        """Bring the manifest state of an older release to today's form (default: unchanged)."""
        return state

    def _train_config(self) -> TrainConfig:
        """The Trainer's config: ``train`` with the seed of :attr:`seed_`."""
        if self.train.seed == self.seed_:
            return self.train
        return dataclasses.replace(self.train, seed=self.seed_)

    def _config_values(self) -> dict[str, Any]:
        """Config fields from same-named parameters, the architecture's fixed fields and the overrides.

        A parameter set away from its default that the architecture's config has no field for is an
        error (it would be silently ignored otherwise).
        """
        arch = self.architecture
        fields = arch.fields
        defaults = {name: p.default for name, p in inspect.signature(type(self).__init__).parameters.items()}
        values: dict[str, Any] = {}
        overrides = self._config_overrides()
        used = self._override_sources()
        for name in self._param_names():
            if name in self._fit_params:
                continue
            value = getattr(self, name)
            if name in fields:
                values[name] = value
            elif name not in used and not _same_value(value, defaults.get(name)):
                usable = sorted(p for p in self._param_names() if p in fields)
                raise InvalidParameterError(
                    f"{name}={value!r} does not apply to {type(self).__name__}(model={self.model!r}); "
                    f"its settings are: {', '.join(usable)}. Leave {name} at its default.")
        values.update(arch.fixed)
        values.update({k: v for k, v in overrides.items() if k in fields})
        return values

    def _make_config(self, data_fields: dict[str, Any]) -> Any:
        return self.architecture.config(**{**self._config_values(), **data_fields})

    def _validate_params(self) -> None:
        """Check every parameter and build the config with stand-in data sizes: fails before data is read."""
        super()._validate_params()
        self.architecture  # noqa: B018  (an unknown model name raises here)
        self._make_config(dict(self._placeholder_fields))

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        """Build ``module_`` for the fitted data on ``device_``, seeded by :attr:`seed_`."""
        config = self._make_config(self._data_fields())
        _check_buildable(self.architecture, config, type(self).__name__)
        torch.manual_seed(self.seed_)
        module = self.architecture.build(config)
        self._init_module(module)
        self.config_: Any = config
        self.device_ = resolve_device(self.device)
        self.module_ = module.to(self.device_)
        self.train_result_: dict[str, Any] = {}
        self.train_history_: list[dict[str, Any]] = []
        self._trainer_state: dict[str, Any] | None = None

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any = None, *, valid: Any = None, checkpoint_dir: str | Path | None = None,
            resume: bool = False, callbacks: Sequence[Any] = (), metrics_path: str | Path | None = None,
            quiet: bool = True, **prepare: Any) -> Self:
        """Train on ``X`` (and targets ``y`` for supervised tasks).

        Parameters
        ----------
        X : sequences or series
            Training data in the task's form.
        y : array-like, optional
            Targets of supervised tasks.
        valid : optional
            Validation data for evaluation / early stopping: ``X_valid`` or ``(X_valid, y_valid)``.
        checkpoint_dir : path, optional
            Write checkpoints here (a loadable model directory plus ``trainer.pt``).
        resume : bool
            Continue from the checkpoint in ``checkpoint_dir`` (same model settings and data).
        callbacks : list
            Extra :mod:`seqlab.train.callbacks` objects.
        metrics_path : path, optional
            Append the training log as JSON lines.
        **prepare
            Task-specific data options (e.g. a language model's ``vocabulary``).
        """
        self._validate_params()
        if resume and checkpoint_dir is None:
            raise InvalidParameterError("resume=True needs checkpoint_dir.")
        with torch_threads(self.threads), torch.random.fork_rng(devices=[]):
            data = self._prepare(X, y, **prepare)
            valid_data = None
            if valid is not None:
                valid_data = self._encode(*valid) if isinstance(valid, tuple) else self._encode(valid)
            self._build()
            self._run_trainer(data, self._train_config(), valid_data=valid_data, callbacks=callbacks,
                              checkpoint_dir=checkpoint_dir, resume=resume, metrics_path=metrics_path, quiet=quiet)
        return self

    def _run_trainer(self, data: Any, config: TrainConfig, *, valid_data: Any = None, callbacks: Sequence[Any] = (),
                     checkpoint_dir: str | Path | None = None, resume: bool = False,
                     metrics_path: str | Path | None = None, quiet: bool = True) -> TrainResult:
        """Train ``module_`` as it is (fresh from ``_build``, or warm for a refit) on encoded ``data``."""
        curve = MetricsCsv(every=config.log_every)  # the run's metrics.csv, saved with the model
        if resume and checkpoint_dir is not None and (Path(checkpoint_dir) / METRICS_FILE).is_file():
            curve.log.rows.extend(read_metrics(Path(checkpoint_dir) / METRICS_FILE))
        trainer = Trainer(config, device=self.device_, objective=self.objective, callbacks=[*callbacks, curve],
                          checkpoint_dir=checkpoint_dir,
                          write_model=(lambda tmp: self._write_checkpoint(tmp, curve.log.rows))
                          if checkpoint_dir else None,
                          metrics_path=metrics_path, quiet=quiet)
        rows = trainer.dist.rows(config.batch_size)
        train_batches = self._batches(data, shuffle=True, rows=rows)
        valid_batches = self._batches(valid_data, shuffle=False, rows=rows) if valid_data is not None else None
        if resume:
            self._load_checkpoint_weights(Path(checkpoint_dir))  # type: ignore[arg-type]
        result = trainer.fit(self.module_, train_batches, valid_batches, resume=resume)
        self.module_.eval()
        self.train_result_ = result.summary()
        self.train_history_ = result.history
        self._trainer_state = trainer.last_state
        self._metrics_rows = curve.log.rows
        return result

    def _write_checkpoint(self, directory: Path, rows: list[dict[str, Any]]) -> None:
        """A checkpoint's model files and its training curve so far (``trainer.pt`` is the Trainer's)."""
        io.write_model_files(self, directory)
        write_metrics(directory / METRICS_FILE, rows)

    def _load_checkpoint_weights(self, path: Path) -> None:
        try:
            other = io.load(path)
        except FormatError as exc:
            raise FormatError(f"Cannot resume from {path}: {exc}") from None
        if type(other) is not type(self):
            raise FormatError(f"Cannot resume from {path}: it holds a {type(other).__name__}, "
                              f"not a {type(self).__name__}.")
        if other.config_ != self.config_ or other._extra_state() != self._extra_state():
            raise FormatError(
                f"Cannot resume from {path}: it holds {other.config_}, but this run builds {self.config_} "
                "(or uses another vocabulary). Use the same model flags and data, or a new output directory.")
        self.module_.load_state_dict(other.module_.state_dict())

    # ------------------------------------------------------------------ inference helpers
    @contextlib.contextmanager
    def _inference(self) -> Iterator[None]:
        """``eval()`` mode, no autograd and this model's thread setting, for predictions and scoring."""
        self._check_fitted()
        self.module_.eval()
        with torch.no_grad(), torch_threads(self.threads):
            yield

    _eval_module = _inference  # the name the task families' first drafts used

    def _tensor(self, array: np.ndarray) -> Tensor:
        """A numpy array as a tensor on the model's device."""
        return torch.from_numpy(np.ascontiguousarray(array)).to(self.device_)

    _to_device = _tensor

    def num_parameters(self) -> int:
        """Trainable parameters of the fitted module (tied weights counted once)."""
        self._check_fitted()
        return sum(p.numel() for p in self.module_.parameters() if p.requires_grad)

    # ------------------------------------------------------------------ persistence
    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        arrays: dict[str, np.ndarray] = {}
        seen: set[int] = set()
        for name, tensor in self.module_.state_dict().items():
            ptr = tensor.data_ptr()
            if ptr in seen:  # tied weights are stored once (as safetensors' save_model does)
                continue
            seen.add(ptr)
            arrays[self._array_prefix + name] = tensor.detach().cpu().numpy()
        arrays.update(self._extra_arrays())
        timings = ("seconds", "tokens_per_second")
        result = {k: v for k, v in self.train_result_.items() if k not in timings}  # the deterministic part
        summary = {"architecture": self.model, "parameters": self.num_parameters(),
                   **{k: v for k, v in self.train_result_.items() if k in self._summary_keys}}
        meta = {"config": dataclasses.asdict(self.config_), "train_result": result, "summary": summary,
                **self._extra_state()}
        return meta, arrays

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        obj = cls(**params)
        state = cls._upgrade_state(params, state)
        obj._restore_extra_state(state)
        arch = obj.architecture
        config = arch.config(**state["config"])
        weights = {k[len(cls._array_prefix):]: v for k, v in arrays.items() if k.startswith(cls._array_prefix)}
        _check_shapes(arch, config, weights, cls.__name__)  # before allocating anything
        module = arch.build(config)
        tensors = {k: torch.from_numpy(v.copy()) for k, v in weights.items()}
        missing, unexpected = module.load_state_dict(tensors, strict=False)
        if unexpected or set(missing) - _tied_names(module):
            raise FormatError(f"The saved weights do not fit a {cls.__name__}(model={obj.model!r}): "
                              f"missing {sorted(missing)}, unexpected {sorted(unexpected)}.")
        obj._restore_extra_arrays(arrays)
        obj.config_ = config
        obj.device_ = resolve_device(obj.device)
        obj.module_ = module.to(obj.device_).eval()
        obj.train_result_ = dict(state.get("train_result") or {})
        obj.train_history_ = []
        obj._trainer_state = None
        return obj

    def save(self, path: str | Path) -> Path:
        """Write the model directory (plus ``trainer.pt`` after a fit, so ``--resume`` can go on).

        Under ``torchrun`` only the first process writes; every process waits at a barrier until it
        has, so none exits while the files are being written.
        """
        self._check_fitted()
        path = Path(path)
        try:
            if distributed.current_rank_is_main():
                extra: dict[str, Any] = {}
                if self._trainer_state is not None:
                    payload = self._trainer_state
                    extra[TRAINER_STATE] = lambda file: torch.save(payload, file)
                rows = getattr(self, "_metrics_rows", None)
                if rows:
                    extra[METRICS_FILE] = lambda file: write_metrics(file, rows)
                io.save(self, path, extra_files=extra)
        finally:  # also when writing fails: the other processes are waiting
            distributed.barrier()
        return path

    # ------------------------------------------------------------------ conformance
    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        raise NotImplementedError


def _same_value(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return a is b


def _tied_names(module: nn.Module) -> set[str]:
    """State-dict names that share storage with an earlier name (tied weights, saved once)."""
    seen: set[int] = set()
    tied = set()
    for name, tensor in module.state_dict().items():
        if tensor.data_ptr() in seen:
            tied.add(name)
        seen.add(tensor.data_ptr())
    return tied


#: Most layers a config may ask for: building 10**12 modules would loop for ever before memory ran out.
MAX_LAYERS = 4096


def _check_buildable(arch: Architecture, config: Any, owner: str) -> None:
    """Refuse a config whose module would not fit in memory, before anything is allocated.

    The module is built on torch's ``meta`` device (shapes only) and its parameters counted;
    sizes past the machine's memory (``--hidden 10**12``) are a ``MemoryError`` naming the size,
    which the command line reports as one line, instead of an allocator traceback.
    """
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if "layers" in field.name and isinstance(value, int) and value > MAX_LAYERS:
            raise InvalidParameterError(f"{owner}: {field.name} must be at most {MAX_LAYERS}, got {value}.")
    try:
        ghost = _meta_module(arch, config)
    except (RuntimeError, OverflowError) as exc:  # sizes past what torch can even describe
        raise MemoryError(f"{owner}: these sizes cannot be allocated ({str(exc).splitlines()[0][:100]})") from None
    n_bytes = sum(p.numel() * p.element_size() for p in ghost.parameters())
    limit = _memory_bytes()
    if limit is not None and 3 * n_bytes > limit:  # weights, gradients and optimizer state
        raise MemoryError(f"{owner}: these sizes make a module of {n_bytes / 2**30:.3g} GiB of weights (about 3x "
                          f"that to train), more than this machine's {limit / 2**30:.3g} GiB of memory")


def _meta_module(arch: Architecture, config: Any) -> nn.Module:
    """``arch.build(config)`` on torch's ``meta`` device: shapes only, nothing is allocated, whatever the sizes."""
    with torch.device("meta"):
        module: nn.Module = arch.build(config)
    return module


def _memory_bytes() -> int | None:
    """Physical memory of this machine in bytes (None where the platform does not say)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def _check_shapes(arch: Architecture, config: Any, weights: dict[str, np.ndarray], owner: str) -> None:
    """Refuse weights whose shapes differ from what ``config`` builds, without allocating the module."""
    try:
        ghost = _meta_module(arch, config)
    except Exception as exc:
        raise FormatError(f"{owner}: the saved config describes a module that cannot be built "
                          f"({str(exc).splitlines()[0][:120]}); the model directory is damaged.") from None
    expected = {k: tuple(v.shape) for k, v in ghost.state_dict().items()}
    for name, array in weights.items():
        if name in expected and tuple(array.shape) != expected[name]:
            raise FormatError(f"{owner}: saved array {name!r} has shape {list(array.shape)}, but the saved "
                              f"config builds {list(expected[name])}; the model directory is damaged.")


__all__ = ["TorchEstimator", "resolve_device", "torch_threads"]
