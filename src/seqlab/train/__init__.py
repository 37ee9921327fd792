"""One ``Trainer`` for every neural model, configured by a frozen ``TrainConfig``; the loss is an ``Objective``."""

from seqlab.train.config import TrainConfig
from seqlab.train.objectives import MEAN_SQUARED_ERROR, TOKEN_CROSS_ENTROPY, Objective
from seqlab.train.trainer import Trainer, TrainingDivergedError, TrainResult, resolve_device

__all__ = ["MEAN_SQUARED_ERROR", "TOKEN_CROSS_ENTROPY", "Objective", "TrainConfig", "TrainResult", "Trainer",
           "TrainingDivergedError", "resolve_device"]
