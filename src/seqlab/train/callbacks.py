"""Callbacks: what happens around the training loop, as a small list of objects (Lightning's idea).

The :class:`~seqlab.train.Trainer` calls, on every callback in order:

- ``on_step(trainer, run, record)`` after each optimisation step (``record``: step, lr, loss, tokens);
- ``on_eval(trainer, run, record) -> bool`` after each evaluation (``record``: step, train/valid
  loss); returning True asks the Trainer to stop (early stopping);
- ``on_checkpoint(trainer, run, payload)`` with the trainer state to keep (main process only);
- ``on_end(trainer, run, result)`` once, with the :class:`~seqlab.train.TrainResult`.

Early stopping, checkpoint writing and the JSON-lines metrics log are three of them; a user's
own callback is any object with some of these methods (subclass :class:`Callback` for defaults).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import Tensor

from seqlab.io import write_directory

TRAINER_STATE = "trainer.pt"


@dataclass
class RunState:
    """The counters of a run: all of it goes into ``trainer.pt``, so ``--resume`` continues bit for bit."""

    step: int = 0
    tokens: int = 0
    elapsed: float = 0.0
    budget_used: float = 0.0  # seconds of max_time spent, on the config's clock (wall or process CPU)
    best: float = math.inf
    bad_evals: int = 0
    last_train_loss: float = math.nan
    history: list[dict[str, Any]] = field(default_factory=list)
    carried: Any = None
    best_step: int | None = None
    best_weights: dict[str, Tensor] | None = None  # CPU copy, kept when TrainConfig.restore_best


class Callback:
    """Base class with no-op hooks; override the ones you need."""

    def on_step(self, trainer: Any, run: RunState, record: dict[str, Any]) -> None:
        """After each optimisation step."""

    def on_eval(self, trainer: Any, run: RunState, record: dict[str, Any]) -> bool:
        """After each evaluation; return True to stop training."""
        return False

    def on_checkpoint(self, trainer: Any, run: RunState, payload: dict[str, Any]) -> None:
        """With the trainer state of a checkpoint (main process only)."""

    def on_end(self, trainer: Any, run: RunState, result: Any) -> None:
        """Once, at the end of ``fit``."""


class EarlyStopping(Callback):
    """Stop after ``patience`` evaluations without a lower validation loss."""

    def __init__(self, patience: int) -> None:
        self.patience = patience

    def on_eval(self, trainer: Any, run: RunState, record: dict[str, Any]) -> bool:
        return "valid_loss" in record and run.bad_evals >= self.patience


class Checkpoint(Callback):
    """Write ``directory`` atomically at every evaluation: the model files plus ``trainer.pt``.

    ``write_model(tmp_dir)`` writes the model's manifest and weights (the estimator's own
    writer), so a checkpoint is an ordinary loadable model directory.
    """

    def __init__(self, directory: str | Path, write_model: Callable[[Path], None]) -> None:
        self.directory = Path(directory)
        self.write_model = write_model

    def on_checkpoint(self, trainer: Any, run: RunState, payload: dict[str, Any]) -> None:
        import torch

        def fill(tmp: Path) -> None:
            self.write_model(tmp)
            torch.save(payload, tmp / TRAINER_STATE)

        write_directory(self.directory, fill)


class JsonLinesLog(Callback):
    """Append one JSON object per logged step and per evaluation to ``path``."""

    def __init__(self, path: str | Path, every: int = 1) -> None:
        self.path = Path(path)
        self.every = every

    def _write(self, record: dict[str, Any]) -> None:
        clean = {k: (v if not (isinstance(v, float) and not math.isfinite(v)) else None) for k, v in record.items()}
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(clean) + "\n")

    def on_step(self, trainer: Any, run: RunState, record: dict[str, Any]) -> None:
        if trainer.dist.is_main and run.step % self.every == 0:
            self._write(record)

    def on_eval(self, trainer: Any, run: RunState, record: dict[str, Any]) -> bool:
        if trainer.dist.is_main:
            self._write(record)
        return False


class MetricsCsv(Callback):
    """Record the run's curve in a :class:`~seqlab.train.log.MetricsLog` (``metrics.csv`` columns).

    One row per logged step (train loss, learning rate) and one per evaluation (the validation
    metric: perplexity for a token log-likelihood, else the validation loss). The estimator
    saves the rows as ``metrics.csv`` in the model directory; ``seqlab report`` draws them.
    """

    def __init__(self, log: Any = None, every: int = 1) -> None:
        from seqlab.train.log import MetricsLog

        self.log = log if log is not None else MetricsLog(None)
        self.every = every

    def on_step(self, trainer: Any, run: RunState, record: dict[str, Any]) -> None:
        if run.step % self.every == 0:
            self.log.write(step=run.step, train_loss=record["loss"], lr=record["lr"])

    def on_eval(self, trainer: Any, run: RunState, record: dict[str, Any]) -> bool:
        metric = record.get("valid_perplexity", record.get("valid_loss"))
        loss = record.get("train_loss")
        self.log.write(step=run.step, train_loss=loss if loss is not None and math.isfinite(loss) else None,
                       valid_metric=metric)
        return False


__all__ = ["TRAINER_STATE", "Callback", "Checkpoint", "EarlyStopping", "JsonLinesLog", "MetricsCsv", "RunState"]
