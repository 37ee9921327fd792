"""One ``Trainer`` for every neural model, configured by a frozen ``TrainConfig``."""

from seqlab.train.config import TrainConfig
from seqlab.train.trainer import Trainer, TrainingDivergedError, TrainResult, resolve_device

__all__ = ["TrainConfig", "TrainResult", "Trainer", "TrainingDivergedError", "resolve_device"]
