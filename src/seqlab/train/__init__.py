"""One ``Trainer`` for every neural model, configured by a frozen ``TrainConfig``; the loss is an ``Objective``.

Names are imported on first use: :mod:`seqlab.train.log` (the ``metrics.csv`` writer the
classical fitters share) imports without torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "TrainConfig": "seqlab.train.config",
    "Objective": "seqlab.train.objectives",
    "MEAN_SQUARED_ERROR": "seqlab.train.objectives",
    "TOKEN_CROSS_ENTROPY": "seqlab.train.objectives",
    "Trainer": "seqlab.train.trainer",
    "TrainResult": "seqlab.train.trainer",
    "TrainingDivergedError": "seqlab.train.trainer",
    "Callback": "seqlab.train.callbacks",
    "MetricsLog": "seqlab.train.log",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'seqlab.train' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = list(_LAZY)
