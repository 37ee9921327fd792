"""One ``Trainer`` for every neural model: (truncated) BPTT, clipping, schedules, checkpoints, resume.

The loop is deliberately plain (nanoGPT's ``train.py`` shape): one step = one batch, the
learning rate is a pure function of the step, the batch order a pure function of
``(seed, epoch)``. A checkpoint holds the model files (``manifest.json`` + safetensors, so
it is an ordinary loadable model directory) plus ``trainer.pt``: optimizer state, torch RNG
state, the carried hidden state and the counters. Restoring all of it makes ``--resume``
continue bit for bit on CPU. Checkpoints are written atomically with
:func:`seqlab.io.write_directory`, and never after a non-finite loss.

The loss comes from the task, not the loop: an *objective*
(:mod:`seqlab.train.objectives`) turns one batch into a summed loss and a count. Language
models use the default token cross-entropy; the neural forecasters use mean squared error.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor, nn

from seqlab.exceptions import FormatError, SeqlabError
from seqlab.io import write_directory
from seqlab.train import distributed
from seqlab.train.config import TrainConfig
from seqlab.train.objectives import TOKEN_CROSS_ENTROPY, Objective

TRAINER_STATE = "trainer.pt"


class TrainingDivergedError(SeqlabError, FloatingPointError):
    """The training loss became NaN or infinite."""


class Batch(Protocol):
    """One batch: numpy ``inputs`` and ``targets``; ``continues`` lets a recurrent model carry its state."""

    @property
    def inputs(self) -> np.ndarray: ...

    @property
    def targets(self) -> np.ndarray: ...

    @property
    def continues(self) -> bool: ...


class Batches(Protocol):
    """What the trainer iterates: ``len()`` batches per epoch, ``batch(epoch, k)`` deterministic."""

    def __len__(self) -> int: ...

    def batch(self, epoch: int, k: int) -> Batch: ...


@dataclass
class TrainResult:
    """Summary of a run (what ``seqlab lm train --format json`` prints).

    Losses are the objective's mean per target; ``valid_perplexity`` is None unless the objective
    is a token log-likelihood; ``tokens_per_second`` counts the objective's targets.
    """

    train_loss: float
    valid_loss: float | None
    valid_perplexity: float | None
    steps: int
    seconds: float
    tokens_per_second: float
    stopped: str
    best_step: int | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The figures without the history (``best_step`` only when the best weights were restored)."""
        return {k: v for k, v in asdict(self).items() if k != "history" and not (k == "best_step" and v is None)}


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; ``"cuda"`` without CUDA is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise SeqlabError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}.")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise SeqlabError("device='cuda' was requested but CUDA is not available; use --device cpu or auto.")
    return torch.device(device)


class Trainer:
    """Train a module on deterministic batches, minimising the task's objective.

    Parameters
    ----------
    config : TrainConfig
    device : torch.device
    objective : Objective, default=TOKEN_CROSS_ENTROPY
        The loss (:mod:`seqlab.train.objectives`): token cross-entropy for a language model on
        :class:`~seqlab.data.streams.StreamBatches` or ``PaddedBatches``; mean squared error for
        a forecaster on :class:`~seqlab.data.windows.WindowBatches`.
    checkpoint_dir : path, optional
        Where checkpoints go (replaced atomically at every evaluation).
    write_model : callable, optional
        ``write_model(tmp_dir)`` writes the model files of a checkpoint (the facade's manifest
        and weights); required with ``checkpoint_dir``.
    metrics_path : path, optional
        Append one JSON object per log/eval line.
    quiet : bool
        No progress bar.
    """

    def __init__(self, config: TrainConfig, *, device: torch.device | None = None,
                 checkpoint_dir: str | Path | None = None, write_model: Callable[[Path], None] | None = None,
                 metrics_path: str | Path | None = None, quiet: bool = False,
                 objective: Objective = TOKEN_CROSS_ENTROPY) -> None:
        self.config = config
        self.objective = objective
        self.device = device or torch.device("cpu")
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.write_model = write_model
        self.metrics_path = Path(metrics_path) if metrics_path is not None else None
        self.quiet = quiet
        self.dist = distributed.current(self.device)

    # ------------------------------------------------------------------ pieces
    def make_optimizer(self, module: nn.Module) -> torch.optim.Optimizer:
        cfg = self.config
        params = [p for p in module.parameters() if p.requires_grad]
        if cfg.optimizer == "sgd":
            return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum)
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)

    def _total_steps(self, per_epoch: int) -> int | None:
        cfg = self.config
        epochs = cfg.epochs_bound
        bounds = [b for b in (cfg.max_steps, epochs * per_epoch if epochs else None) if b]
        return min(bounds) if bounds else None

    def _tensors(self, batch: Batch) -> tuple[Tensor, Tensor]:
        return (torch.from_numpy(batch.inputs).to(self.device), torch.from_numpy(batch.targets).to(self.device))

    def _sum_loss(self, module: nn.Module, batch: Batch, state: Any) -> tuple[Tensor, Tensor, Any]:
        """``(summed loss, number of targets, new state)`` of the objective on ``batch``."""
        inputs, targets = self._tensors(batch)
        return self.objective(module, inputs, targets, state)

    @torch.no_grad()
    def evaluate(self, module: nn.Module, data: Batches) -> float:
        """Mean objective per target, e.g. negative log-likelihood per token (state carried across stream windows)."""
        was_training = module.training
        module.eval()
        carries = getattr(_unwrap(module), "carries_state", False)
        total = torch.zeros((), dtype=torch.float64, device=self.device)
        count = torch.zeros((), dtype=torch.float64, device=self.device)
        state = None
        n = len(data) if self.config.eval_batches is None else min(len(data), self.config.eval_batches)
        for k in range(n):
            batch = data.batch(0, k)
            state = state if (carries and batch.continues) else None
            loss_sum, tokens, state = self._sum_loss(module, batch, state)
            total += loss_sum.double()
            count += tokens.double()
        module.train(was_training)
        total, count = self.dist.all_sum(total), self.dist.all_sum(count)
        return float(total / count) if count > 0 else math.nan

    # ------------------------------------------------------------------ main loop
    def fit(self, module: nn.Module, train: Batches, valid: Batches | None = None, *,
            resume: bool = False) -> TrainResult:
        """Train ``module`` in place; returns the run summary."""
        from seqlab.models.lm import detach_state  # here, not at the top: seqlab.models imports this module

        cfg = self.config
        module.to(self.device).train()
        model = self.dist.wrap(module, self.device)
        optimizer = self.make_optimizer(module)
        per_epoch = len(train)
        if per_epoch == 0:
            raise SeqlabError("The training data yields no batch; give more data or a smaller --batch-size.")
        total_steps = self._total_steps(per_epoch)
        carries = getattr(module, "carries_state", False)

        run = _RunState()
        if resume:
            run = self._restore(optimizer)
        log_loss, log_tokens, log_steps = 0.0, 0, 0
        start = time.perf_counter() - run.elapsed
        budget_start = time.process_time() - run.elapsed if cfg.clock == "process" else start
        now = time.process_time if cfg.clock == "process" else time.perf_counter
        bar = self._bar(total_steps, run.step)
        stopped = "max_epochs"
        try:
            while True:
                if total_steps is not None and run.step >= total_steps:
                    stopped = "max_steps" if cfg.max_steps and run.step >= cfg.max_steps else "max_epochs"
                    break
                if cfg.max_time is not None and now() - budget_start >= cfg.max_time:
                    stopped = "max_time"
                    break
                epoch, k = divmod(run.step, per_epoch)
                batch = train.batch(epoch, k)
                state = detach_state(run.carried) if (carries and batch.continues) else None
                lr = cfg.lr_at(run.step, total_steps)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                loss_sum, tokens, new_state = self._sum_loss(model, batch, state)
                global_tokens = self.dist.all_sum(tokens.double())
                if global_tokens.item() == 0:
                    run.step += 1
                    continue
                loss = loss_sum * self.dist.world_size / global_tokens
                mean = float(self.dist.all_sum(loss_sum.detach().double()) / global_tokens)
                if not math.isfinite(mean):
                    raise TrainingDivergedError(self._diverged_message(run.step, mean))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                if cfg.clip is not None:
                    nn.utils.clip_grad_norm_(module.parameters(), cfg.clip)
                optimizer.step()
                run.carried = new_state if carries else None
                run.step += 1
                n_tok = int(global_tokens.item())
                log_loss += mean * n_tok
                log_tokens += n_tok
                log_steps += 1
                run.tokens += n_tok
                if bar is not None:
                    bar.update(1)
                    seconds = time.perf_counter() - start
                    shown = {"ppl": f"{math.exp(min(mean, 50)):.1f}"} if self.objective.perplexity else {}
                    bar.set_postfix(loss=f"{mean:.3f}", **shown,
                                    tok_s=f"{run.tokens / max(seconds, 1e-9):.0f}", refresh=False)
                if run.step % cfg.log_every == 0:
                    self._log({"event": "train", "step": run.step, "lr": lr, "loss": mean,
                               "tokens": run.tokens, "seconds": time.perf_counter() - start})
                run.last_train_loss = log_loss / max(log_tokens, 1)
                if run.step % cfg.eval_every == 0:
                    log_loss, log_tokens, log_steps = 0.0, 0, 0
                    if self._evaluate_and_checkpoint(module, valid, optimizer, run, start):
                        stopped = "early_stopping"
                        break
        finally:
            if bar is not None:
                bar.close()
        if run.step % cfg.eval_every != 0 or run.history == [] or run.history[-1]["step"] != run.step:
            self._evaluate_and_checkpoint(module, valid, optimizer, run, start, final=True)
        seconds = time.perf_counter() - start
        valid_loss = run.history[-1].get("valid_loss") if run.history else None
        if cfg.restore_best and run.best_weights is not None:
            module.load_state_dict(run.best_weights)
            valid_loss = run.best
        return TrainResult(
            train_loss=run.last_train_loss, valid_loss=valid_loss,
            valid_perplexity=math.exp(valid_loss) if valid_loss is not None and self.objective.perplexity else None,
            steps=run.step, seconds=seconds, tokens_per_second=run.tokens / max(seconds, 1e-9),
            stopped=stopped, best_step=run.best_step if cfg.restore_best else None, history=run.history)

    # ------------------------------------------------------------------ evaluation, checkpoints
    def _evaluate_and_checkpoint(self, module: nn.Module, valid: Batches | None, optimizer: torch.optim.Optimizer,
                                 run: _RunState, start: float, final: bool = False) -> bool:
        """Evaluate, record, checkpoint; return True when early stopping says stop."""
        record: dict[str, Any] = {"event": "eval", "step": run.step, "train_loss": run.last_train_loss,
                                  "seconds": time.perf_counter() - start}
        stop = False
        if valid is not None:
            loss = self.evaluate(module, valid)
            record["valid_loss"] = loss
            if self.objective.perplexity:
                record["valid_perplexity"] = math.exp(loss) if math.isfinite(loss) else math.nan
            if loss < run.best:
                run.best, run.bad_evals = loss, 0
                if self.config.restore_best:
                    run.best_step = run.step
                    run.best_weights = {k: v.detach().to("cpu", copy=True) for k, v in module.state_dict().items()}
            else:
                run.bad_evals += 1
                stop = self.config.patience is not None and run.bad_evals >= self.config.patience
        run.history.append(record)
        self._log(record)
        run.elapsed = time.perf_counter() - start
        self.save_checkpoint(optimizer, run)
        return stop and not final

    def save_checkpoint(self, optimizer: torch.optim.Optimizer, run: _RunState) -> None:
        """Write model files + ``trainer.pt`` to ``checkpoint_dir`` atomically (main process only)."""
        if self.checkpoint_dir is None or not self.dist.is_main:
            return
        if self.write_model is None:
            raise SeqlabError("Trainer.checkpoint_dir needs write_model to write the model files.")
        payload = {"step": run.step, "tokens": run.tokens, "elapsed": run.elapsed, "best": run.best,
                   "bad_evals": run.bad_evals, "last_train_loss": run.last_train_loss,
                   "history": json.dumps(run.history), "optimizer": optimizer.state_dict(),
                   "rng": torch.get_rng_state(), "carried": _to_cpu(run.carried),
                   "best_step": -1 if run.best_step is None else run.best_step, "best_weights": run.best_weights or {}}
        write_model = self.write_model

        def fill(tmp: Path) -> None:
            write_model(tmp)
            torch.save(payload, tmp / TRAINER_STATE)

        write_directory(self.checkpoint_dir, fill)

    def _restore(self, optimizer: torch.optim.Optimizer) -> _RunState:
        if self.checkpoint_dir is None or not (self.checkpoint_dir / TRAINER_STATE).is_file():
            raise SeqlabError(f"Cannot resume: no {TRAINER_STATE} in {self.checkpoint_dir}; "
                              "train without --resume first.")
        file = self.checkpoint_dir / TRAINER_STATE
        try:
            payload = torch.load(file, map_location="cpu", weights_only=True)
            optimizer.load_state_dict(payload["optimizer"])
        except (RuntimeError, KeyError, ValueError) as exc:
            raise FormatError(f"{file} is not a usable trainer state for this model ({exc}).") from None
        torch.set_rng_state(payload["rng"])
        return _RunState(step=int(payload["step"]), tokens=int(payload["tokens"]), elapsed=float(payload["elapsed"]),
                         best=float(payload["best"]), bad_evals=int(payload["bad_evals"]),
                         last_train_loss=float(payload["last_train_loss"]), history=json.loads(payload["history"]),
                         carried=_to_device(payload["carried"], self.device),
                         best_step=None if payload.get("best_step", -1) < 0 else int(payload["best_step"]),
                         best_weights=payload.get("best_weights") or None)

    def _diverged_message(self, step: int, value: float) -> str:
        where = (f"the last good checkpoint is kept in {self.checkpoint_dir}" if self.checkpoint_dir is not None
                 else "no checkpoint was being written")
        return (f"training loss became {value} at step {step + 1}; stopped without updating ({where}). "
                "Lower --lr, set --clip, or check the data.")

    def _bar(self, total: int | None, initial: int) -> Any:
        if self.quiet or not self.dist.is_main:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=total, initial=initial, file=sys.stderr, disable=None, leave=False, unit="step")

    def _log(self, record: dict[str, Any]) -> None:
        if self.metrics_path is None or not self.dist.is_main:
            return
        with open(self.metrics_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")


@dataclass
class _RunState:
    step: int = 0
    tokens: int = 0
    elapsed: float = 0.0
    best: float = math.inf
    bad_evals: int = 0
    last_train_loss: float = math.nan
    history: list[dict[str, Any]] = field(default_factory=list)
    carried: Any = None
    best_step: int | None = None
    best_weights: dict[str, Tensor] | None = None  # CPU copy, kept when TrainConfig.restore_best


def _unwrap(module: nn.Module) -> nn.Module:
    return module.module if isinstance(module, nn.parallel.DistributedDataParallel) else module


def _to_cpu(state: Any) -> Any:
    if isinstance(state, Tensor):
        return state.detach().cpu()
    if isinstance(state, tuple | list):
        return [_to_cpu(s) for s in state]  # lists: torch.load(weights_only=True) reads them back
    return state


def _to_device(state: Any, device: torch.device) -> Any:
    if isinstance(state, Tensor):
        return state.to(device)
    if isinstance(state, list):
        return tuple(_to_device(s, device) for s in state)
    return state
