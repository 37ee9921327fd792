"""``TrainConfig``: every knob of a training run, frozen and validated."""

from __future__ import annotations

import math
from dataclasses import dataclass

from seqlab.exceptions import InvalidParameterError
from seqlab.io import register


@register
@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """How to train a neural model (saved with the model and printed by ``seqlab info``).

    Parameters
    ----------
    optimizer : {"adamw", "sgd"}
    lr, weight_decay, momentum : float
        Peak learning rate; AdamW weight decay; SGD momentum.
    schedule : {"constant", "cosine", "step"}
        ``cosine`` decays to ``min_lr_ratio * lr`` at the end of the run: ``max_steps``,
        ``max_epochs`` worth of steps or the end of ``max_time``, whichever comes first (so a
        time-budgeted run anneals too); ``step`` multiplies by ``gamma`` every ``step_every``
        steps from ``step_start`` on (Zaremba et al.'s per-epoch halving). ``warmup_steps``
        ramps linearly from 0 before any schedule.
    clip : float or None
        Clip the global gradient norm to this value (document 001's exploding-gradient remedy).
    batching : {"stream", "padded"}
        ``stream``: truncated BPTT over the concatenated corpus, ``batch_size`` rows, windows of
        ``bptt`` steps, recurrent state carried across windows. ``padded``: one sentence per row.
    max_steps, max_epochs, max_time : stop after whichever comes first (``max_time`` in seconds);
        with none of them set, one epoch.
    clock : {"wall", "process"}
        What ``max_time`` measures: elapsed time, or this process's CPU time (a budget that
        means the same on a machine shared with other work).
    eval_every : int
        Evaluate on the validation data (and checkpoint) every this many steps.
    eval_batches : int or None
        Use at most this many validation batches per evaluation (None: all).
    patience : int or None
        Early stopping: stop after this many evaluations without improvement.
    restore_best : bool
        At the end of ``fit``, load the weights of the evaluation with the lowest validation
        loss (Keras' ``restore_best_weights``); False keeps the last weights.
    accumulate_steps : int
        Gradient accumulation: add the gradients of this many batches before each optimiser step
        (an effective batch of ``accumulate_steps * batch_size`` rows in the memory of one).
    precision : {"32", "bf16", "16"}
        ``bf16``: mixed precision through ``torch.autocast`` (CPU or CUDA); ``16``: float16 autocast
        with a gradient scaler (CUDA only); ``32``: full precision.
    seed : int
        Seeds initialisation, dropout and shuffling.
    """

    optimizer: str = "adamw"
    lr: float = 2e-3
    weight_decay: float = 0.01
    momentum: float = 0.0
    schedule: str = "cosine"
    warmup_steps: int = 0
    min_lr_ratio: float = 0.1
    step_every: int = 1000
    step_start: int = 0
    gamma: float = 0.5
    clip: float | None = 1.0
    batch_size: int = 32
    bptt: int = 64
    batching: str = "stream"
    max_steps: int | None = None
    max_epochs: int | None = None
    max_time: float | None = None
    clock: str = "wall"
    eval_every: int = 200
    eval_batches: int | None = None
    patience: int | None = None
    restore_best: bool = False
    log_every: int = 50
    accumulate_steps: int = 1
    precision: str = "32"
    seed: int = 0

    def __post_init__(self) -> None:
        choices = {"optimizer": ("adamw", "sgd"), "schedule": ("constant", "cosine", "step"),
                   "batching": ("stream", "padded"), "clock": ("wall", "process"), "precision": ("32", "bf16", "16")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise InvalidParameterError(f"{name} must be one of {list(allowed)}, got {getattr(self, name)!r}.")
        if not (isinstance(self.lr, int | float) and math.isfinite(self.lr) and self.lr > 0):
            raise InvalidParameterError(f"lr must be a positive number, got {self.lr!r}.")
        for name in ("weight_decay", "momentum", "min_lr_ratio", "gamma"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise InvalidParameterError(f"{name} must be a finite number >= 0, got {value!r}.")
        if self.clip is not None and not (isinstance(self.clip, int | float) and math.isfinite(self.clip)
                                          and self.clip > 0):
            raise InvalidParameterError(f"clip must be > 0 or None (no clipping), got {self.clip!r}.")
        for name in ("batch_size", "bptt", "eval_every", "log_every", "step_every", "accumulate_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParameterError(f"{name} must be an int >= 1, got {value!r}.")
        for name in ("max_steps", "max_epochs", "eval_batches", "patience"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise InvalidParameterError(f"{name} must be an int >= 1 or None, got {value!r}.")
        if self.max_time is not None and not (isinstance(self.max_time, int | float) and math.isfinite(self.max_time)
                                              and self.max_time > 0):
            raise InvalidParameterError(f"max_time must be > 0 seconds or None, got {self.max_time!r}.")
        if self.warmup_steps < 0 or self.step_start < 0:
            raise InvalidParameterError("warmup_steps and step_start must be >= 0.")
        if not 0 < self.gamma <= 1 or not 0 <= self.min_lr_ratio <= 1:
            raise InvalidParameterError(f"gamma must be in (0, 1] and min_lr_ratio in [0, 1]; "
                                        f"got {self.gamma} and {self.min_lr_ratio}.")

    @property
    def epochs_bound(self) -> int | None:
        """``max_epochs``, or 1 when no stopping rule is set at all."""
        if self.max_steps is None and self.max_epochs is None and self.max_time is None:
            return 1
        return self.max_epochs

    def lr_at(self, step: int, total_steps: int | None, time_fraction: float | None = None) -> float:
        """Learning rate for optimisation step ``step`` (0-based); ``time_fraction`` is the share of
        ``max_time`` used so far (None without a time budget)."""
        if self.warmup_steps and step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        if self.schedule == "step":
            n = max(0, (step - self.step_start) // self.step_every + 1) if step >= self.step_start else 0
            return self.lr * self.gamma**n
        if self.schedule == "cosine" and (total_steps or time_fraction is not None):
            progress = 0.0
            if total_steps:
                progress = (step - self.warmup_steps) / max(1, total_steps - self.warmup_steps)
            if time_fraction is not None:
                progress = max(progress, time_fraction)
            progress = min(1.0, max(0.0, progress))
            ratio = self.min_lr_ratio + (1 - self.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
            return self.lr * ratio
        return self.lr
