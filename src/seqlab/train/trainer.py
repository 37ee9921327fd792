"""One ``Trainer`` for every neural model: (truncated) BPTT, clipping, schedules, checkpoints, resume.

The loop is deliberately plain (nanoGPT's ``train.py`` shape): one step = one batch, the
learning rate is a pure function of the step, the batch order a pure function of
``(seed, epoch)``. A checkpoint holds the model files (``manifest.json`` + safetensors, so
it is an ordinary loadable model directory) plus ``trainer.pt``: optimizer state, torch RNG
state, the carried hidden state and the counters. Restoring all of it makes ``--resume``
continue bit for bit on CPU. Checkpoints are written atomically with
:func:`seqlab.io.write_directory`, and never after a non-finite loss.

The loss comes from the task, not the loop: an *objective*
(:mod:`seqlab.train.objectives`) turns one :class:`~seqlab.train.batch.TensorBatch` (inputs,
targets, lengths, optional source and weights) into a summed loss and a count. What happens
around the loop (checkpoints, early stopping, logs, user hooks) is a list of callbacks
(:mod:`seqlab.train.callbacks`) with ``on_step``, ``on_eval``, ``on_checkpoint`` and ``on_end``.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from seqlab.exceptions import FormatError, SeqlabError
from seqlab.nn import detach_state
from seqlab.train import distributed
from seqlab.train.batch import Batches, TensorBatch, to_device
from seqlab.train.callbacks import TRAINER_STATE, Checkpoint, EarlyStopping, JsonLinesLog, RunState
from seqlab.train.config import TrainConfig
from seqlab.train.objectives import TOKEN_CROSS_ENTROPY, Objective


class TrainingDivergedError(SeqlabError, FloatingPointError):
    """The training loss (or the validation loss) became NaN or infinite."""


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


class Trainer:
    """Train a module on deterministic batches, minimising the task's objective.

    Parameters
    ----------
    config : TrainConfig
    device : torch.device
    objective : Objective, default=TOKEN_CROSS_ENTROPY
        The loss (:mod:`seqlab.train.objectives`), called on each :class:`TensorBatch`.
    callbacks : list of Callback
        Hooks around the loop (:mod:`seqlab.train.callbacks`). Early stopping (``patience``),
        checkpoints (``checkpoint_dir``) and the metrics log (``metrics_path``) are added from the
        arguments below.
    checkpoint_dir : path, optional
        Where checkpoints go (replaced atomically at every evaluation).
    write_model : callable, optional
        ``write_model(tmp_dir)`` writes the model files of a checkpoint; required with ``checkpoint_dir``.
    metrics_path : path, optional
        Append one JSON object per log/eval line.
    quiet : bool
        No progress bar.

    Attributes
    ----------
    last_state : dict or None
        The trainer state of the last evaluation (what ``trainer.pt`` holds), kept in memory so the
        model's final ``save`` writes this run's own optimizer state, never a copy from disk.
    """

    def __init__(self, config: TrainConfig, *, device: torch.device | None = None,
                 checkpoint_dir: str | Path | None = None, write_model: Callable[[Path], None] | None = None,
                 metrics_path: str | Path | None = None, quiet: bool = False,
                 objective: Objective = TOKEN_CROSS_ENTROPY, callbacks: Sequence[Any] = ()) -> None:
        self.config = config
        self.objective = objective
        self.device = device or torch.device("cpu")
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.quiet = quiet
        self.dist = distributed.current(self.device)
        self.callbacks: list[Any] = list(callbacks)
        if config.patience is not None:
            self.callbacks.append(EarlyStopping(config.patience))
        if self.checkpoint_dir is not None:
            if write_model is None:
                raise SeqlabError("Trainer.checkpoint_dir needs write_model to write the model files.")
            self.callbacks.append(Checkpoint(self.checkpoint_dir, write_model))
        if metrics_path is not None:
            self.callbacks.append(JsonLinesLog(metrics_path, every=config.log_every))
        self.last_state: dict[str, Any] | None = None
        self._deadline: float | None = None  # clock value at which the time budget ends (None: no budget)
        self._now: Callable[[], float] = time.perf_counter
        self._budget_start = 0.0  # clock value at which the (possibly resumed) budget began

    # ------------------------------------------------------------------ pieces
    def make_optimizer(self, module: nn.Module) -> torch.optim.Optimizer:
        """AdamW or SGD; weight decay on weight matrices only (biases, norms and embeddings excluded, as nanoGPT)."""
        cfg = self.config
        decay, no_decay = _decay_groups(module)
        if cfg.optimizer == "sgd":
            return torch.optim.SGD(decay + no_decay, lr=cfg.lr, momentum=cfg.momentum)
        groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
        return torch.optim.AdamW([g for g in groups if g["params"]], lr=cfg.lr)

    def _total_steps(self, per_epoch: int) -> int | None:
        cfg = self.config
        epochs = cfg.epochs_bound
        bounds = [b for b in (cfg.max_steps, epochs * per_epoch if epochs else None) if b]
        return min(bounds) if bounds else None

    def _autocast(self) -> Any:
        """``torch.autocast`` for ``config.precision`` (bf16 on CPU or CUDA, fp16 on CUDA), else a no-op."""
        precision = self.config.precision
        if precision == "32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if precision == "bf16" else torch.float16
        return torch.autocast(device_type=self.device.type, dtype=dtype)

    def _sum_loss(self, module: nn.Module, batch: Any, state: Any) -> tuple[Tensor, Tensor, Any]:
        """``(summed loss, number of targets, new state)`` of the objective on ``batch``."""
        tensors = batch if isinstance(batch, TensorBatch) else to_device(batch, self.device)
        with self._autocast():
            loss_sum, count, new_state = self.objective(module, tensors, state)
        return loss_sum.float(), count, new_state

    def _time_fraction(self) -> float | None:
        """Share of ``max_time`` used so far, resumed runs included (None without a time budget)."""
        max_time = self.config.max_time
        return None if max_time is None else (self._now() - self._budget_start) / max_time

    def _out_of_time(self) -> bool:
        return self._deadline is not None and self._now() >= self._deadline

    @torch.no_grad()
    def evaluate(self, module: nn.Module, data: Batches) -> float:
        """Mean objective per target, e.g. negative log-likelihood per token (state carried across stream windows).

        Inside ``fit`` with ``max_time`` set, evaluation stops at the end of the time budget (after
        at least one batch), so the budget bounds the whole run, evaluations included.
        """
        was_training = module.training
        module.eval()
        carries = getattr(_unwrap(module), "carries_state", False)
        total = torch.zeros((), dtype=torch.float64, device=self.device)
        count = torch.zeros((), dtype=torch.float64, device=self.device)
        state = None
        n = len(data) if self.config.eval_batches is None else min(len(data), self.config.eval_batches)
        for k in range(n):
            if k > 0 and self._out_of_time() and self.dist.world_size == 1:
                break
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
        cfg = self.config
        module.to(self.device).train()
        model = self.dist.wrap(module, self.device)
        optimizer = self.make_optimizer(module)
        scaler = torch.amp.GradScaler("cuda") if cfg.precision == "16" and self.device.type == "cuda" else None
        per_epoch = len(train)
        if per_epoch == 0:
            raise SeqlabError("The training data yields no batch; give more data or a smaller --batch-size.")
        total_steps = self._total_steps(per_epoch)
        carries = getattr(module, "carries_state", False)

        run = RunState()
        if resume:
            run = self._restore(optimizer)
        log_loss, log_tokens = 0.0, 0
        start = time.perf_counter() - run.elapsed
        if cfg.clock == "process":
            self._now = time.process_time
        else:
            self._now = time.perf_counter
        self._budget_start = self._now() - run.budget_used
        self._deadline = self._budget_start + cfg.max_time if cfg.max_time is not None else None
        bar = self._bar(total_steps, run.step)
        stopped = "max_epochs"
        batches_seen = run.step * cfg.accumulate_steps
        try:
            while True:
                if total_steps is not None and run.step >= total_steps:
                    stopped = "max_steps" if cfg.max_steps and run.step >= cfg.max_steps else "max_epochs"
                    break
                if self._out_of_time():
                    stopped = "max_time"
                    break
                lr = cfg.lr_at(run.step, total_steps, self._time_fraction())
                for group in optimizer.param_groups:
                    group["lr"] = lr
                optimizer.zero_grad(set_to_none=True)
                step_loss, step_tokens = 0.0, 0
                for _ in range(cfg.accumulate_steps):  # gradients of several batches add up before one step
                    epoch, k = divmod(batches_seen, per_epoch)
                    batches_seen += 1
                    batch = train.batch(epoch, k)
                    state = detach_state(run.carried) if (carries and batch.continues) else None
                    loss_sum, tokens, new_state = self._sum_loss(model, batch, state)
                    run.carried = new_state if carries else None
                    global_tokens = self.dist.all_sum(tokens.double())
                    if global_tokens.item() == 0:
                        continue
                    mean = float(self.dist.all_sum(loss_sum.detach().double()) / global_tokens)
                    if not math.isfinite(mean):
                        raise TrainingDivergedError(self._diverged_message(run.step, mean))
                    loss = loss_sum * self.dist.world_size / global_tokens / cfg.accumulate_steps
                    (scaler.scale(loss) if scaler is not None else loss).backward()  # type: ignore[no-untyped-call]
                    n_tok = int(global_tokens.item())
                    step_loss += mean * n_tok
                    step_tokens += n_tok
                if step_tokens == 0:
                    run.step += 1
                    continue
                if scaler is not None:
                    scaler.unscale_(optimizer)
                if cfg.clip is not None:
                    nn.utils.clip_grad_norm_(module.parameters(), cfg.clip)
                if scaler is not None:
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    optimizer.step()
                run.step += 1
                mean = step_loss / step_tokens
                log_loss += step_loss
                log_tokens += step_tokens
                run.tokens += step_tokens
                seconds = time.perf_counter() - start
                if bar is not None:
                    bar.update(1)
                    shown = {"ppl": f"{math.exp(min(mean, 50)):.1f}"} if self.objective.perplexity else {}
                    bar.set_postfix(loss=f"{mean:.3f}", **shown,
                                    tok_s=f"{run.tokens / max(seconds, 1e-9):.0f}", refresh=False)
                record = {"event": "train", "step": run.step, "lr": lr, "loss": mean, "tokens": run.tokens,
                          "seconds": seconds}
                for cb in self.callbacks:
                    _call(cb, "on_step", self, run, record)
                run.last_train_loss = log_loss / max(log_tokens, 1)
                if run.step % cfg.eval_every == 0:
                    log_loss, log_tokens = 0.0, 0
                    if self._evaluate_and_checkpoint(module, valid, optimizer, run, start):
                        stopped = "early_stopping"
                        break
        finally:
            if bar is not None:
                bar.close()
        if run.history == [] or run.history[-1]["step"] != run.step:
            self._evaluate_and_checkpoint(module, valid, optimizer, run, start, final=True)
        seconds = time.perf_counter() - start
        valid_loss = run.history[-1].get("valid_loss") if run.history else None
        if cfg.restore_best and run.best_weights is not None:
            module.load_state_dict(run.best_weights)
            valid_loss = run.best
        result = TrainResult(
            train_loss=run.last_train_loss, valid_loss=valid_loss,
            valid_perplexity=math.exp(valid_loss) if valid_loss is not None and self.objective.perplexity else None,
            steps=run.step, seconds=seconds, tokens_per_second=run.tokens / max(seconds, 1e-9),
            stopped=stopped, best_step=run.best_step if cfg.restore_best else None, history=run.history)
        for cb in self.callbacks:
            _call(cb, "on_end", self, run, result)
        return result

    # ------------------------------------------------------------------ evaluation, checkpoints
    def _evaluate_and_checkpoint(self, module: nn.Module, valid: Batches | None, optimizer: torch.optim.Optimizer,
                                 run: RunState, start: float, final: bool = False) -> bool:
        """Evaluate, record, checkpoint; return True when a callback (early stopping) says stop."""
        record: dict[str, Any] = {"event": "eval", "step": run.step, "train_loss": run.last_train_loss,
                                  "seconds": time.perf_counter() - start}
        if valid is not None:
            loss = self.evaluate(module, valid)
            if not math.isfinite(loss):
                raise TrainingDivergedError(self._diverged_message(run.step - 1, loss, what="validation loss"))
            record["valid_loss"] = loss
            if self.objective.perplexity:
                record["valid_perplexity"] = math.exp(min(loss, 700.0))
            if loss < run.best:
                run.best, run.bad_evals = loss, 0
                if self.config.restore_best:
                    run.best_step = run.step
                    run.best_weights = {k: v.detach().to("cpu", copy=True) for k, v in module.state_dict().items()}
            else:
                run.bad_evals += 1
        run.history.append(record)
        stop = False
        for cb in self.callbacks:
            stop = bool(_call(cb, "on_eval", self, run, record)) or stop
        run.elapsed = time.perf_counter() - start
        run.budget_used = self._now() - self._budget_start
        self.last_state = self._state_payload(optimizer, run)
        if self.dist.is_main:
            for cb in self.callbacks:
                _call(cb, "on_checkpoint", self, run, self.last_state)
        return stop and not final

    def _state_payload(self, optimizer: torch.optim.Optimizer, run: RunState) -> dict[str, Any]:
        """Everything ``--resume`` needs besides the weights (loadable with ``torch.load(weights_only=True)``)."""
        return {"step": run.step, "tokens": run.tokens, "elapsed": run.elapsed, "budget_used": run.budget_used,
                "best": run.best,
                "bad_evals": run.bad_evals, "last_train_loss": run.last_train_loss,
                "history": json.dumps(run.history), "optimizer": optimizer.state_dict(),
                "rng": torch.get_rng_state(), "carried": _to_cpu(run.carried),
                "best_step": -1 if run.best_step is None else run.best_step, "best_weights": run.best_weights or {}}

    def _restore(self, optimizer: torch.optim.Optimizer) -> RunState:
        if self.checkpoint_dir is None or not (self.checkpoint_dir / TRAINER_STATE).is_file():
            raise SeqlabError(f"Cannot resume: no {TRAINER_STATE} in {self.checkpoint_dir}; "
                              "train without --resume first.")
        file = self.checkpoint_dir / TRAINER_STATE
        try:
            payload = torch.load(file, map_location="cpu", weights_only=True)
            optimizer.load_state_dict(payload["optimizer"])
            torch.set_rng_state(payload["rng"])
            return RunState(step=int(payload["step"]), tokens=int(payload["tokens"]),
                            elapsed=float(payload["elapsed"]),
                            budget_used=float(payload.get("budget_used", payload["elapsed"])),
                            best=float(payload["best"]),
                            bad_evals=int(payload["bad_evals"]), last_train_loss=float(payload["last_train_loss"]),
                            history=json.loads(payload["history"]),
                            carried=_to_device(payload["carried"], self.device),
                            best_step=None if payload.get("best_step", -1) < 0 else int(payload["best_step"]),
                            best_weights=payload.get("best_weights") or None)
        except Exception as exc:  # pickled, truncated or foreign files: never a traceback, never unpickled
            raise FormatError(f"{file} is not a seqlab checkpoint usable by this model ({type(exc).__name__}); "
                              "train without --resume or into a new directory.") from None

    def _diverged_message(self, step: int, value: float, what: str = "training loss") -> str:
        if self.checkpoint_dir is None:
            where = "no checkpoint was being written"
        elif (self.checkpoint_dir / TRAINER_STATE).is_file():
            where = f"the last good checkpoint is kept in {self.checkpoint_dir}"
        else:
            where = f"no checkpoint had been written to {self.checkpoint_dir} yet"
        return (f"{what} became {value} at step {step + 1}; stopped without updating ({where}). "
                "Lower --lr, set --clip, or check the data.")

    def _bar(self, total: int | None, initial: int) -> Any:
        if self.quiet or not self.dist.is_main:
            return None
        from seqlab.progress import tqdm_class

        tqdm = tqdm_class()

        return tqdm(total=total, initial=initial, file=sys.stderr, disable=None, leave=False, unit="step")


def _call(callback: Any, hook: str, *args: Any) -> Any:
    """Call ``callback.hook(*args)`` when the callback has that hook (duck-typed callbacks)."""
    method = getattr(callback, hook, None)
    return method(*args) if method is not None else None


def _decay_groups(module: nn.Module) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """Trainable parameters split into (weight matrices, the rest: biases, norms, embeddings); tied ones once."""
    no_decay_ids = {id(p) for m in module.modules() if isinstance(m, nn.Embedding | nn.EmbeddingBag)
                    for p in m.parameters(recurse=False)}
    decay: list[nn.Parameter] = []
    no_decay: list[nn.Parameter] = []
    seen: set[int] = set()
    for p in module.parameters():
        if not p.requires_grad or id(p) in seen:
            continue
        seen.add(id(p))
        (decay if p.dim() >= 2 and id(p) not in no_decay_ids else no_decay).append(p)
    return decay, no_decay


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
