"""Torch task models assembled from layers, each behind a fit/predict facade.

Every facade subclasses :class:`TorchEstimator` (validation, build, Trainer, checkpoints,
save/load, device, seed and threads live there once) and names its architectures in a registry
(:mod:`seqlab.models.architectures`). Language models: :class:`NeuralLM` over
:class:`RecurrentLM`, :class:`ConvLM`, :class:`TransformerLM`, :class:`WindowLM`; forecasters:
:class:`NeuralForecaster` (:class:`MLPForecaster`, :class:`RecurrentForecaster`,
:class:`ConvForecaster`).

Names are imported on first use, so ``import seqlab.models`` and the registries cost nothing
and work without torch; using a model without torch installed raises the one-line
``MissingDependencyError`` that says how to install it.
"""

from __future__ import annotations

import importlib
from typing import Any

from seqlab.models.architectures import (
    CLASSIFY_ARCHITECTURES,
    FORECAST_ARCHITECTURES,
    LM_ARCHITECTURES,
    TAG_ARCHITECTURES,
)
from seqlab.models.registry import Architecture, Registry

_LAZY = {
    "TorchEstimator": "seqlab.models.estimator",
    "resolve_device": "seqlab.models.estimator",
    "NeuralLM": "seqlab.models.neural",
    "MODELS": "seqlab.models.neural",
    "ModelOutput": "seqlab.models.lm",
    "RecurrentLM": "seqlab.models.lm",
    "RecurrentLMConfig": "seqlab.models.lm",
    "ConvLM": "seqlab.models.lm",
    "ConvLMConfig": "seqlab.models.lm",
    "TransformerLM": "seqlab.models.lm",
    "TransformerLMConfig": "seqlab.models.lm",
    "WindowLM": "seqlab.models.lm",
    "WindowLMConfig": "seqlab.models.lm",
    "NeuralForecaster": "seqlab.models.forecaster",
    "MLPForecaster": "seqlab.models.forecaster",
    "RecurrentForecaster": "seqlab.models.forecaster",
    "ConvForecaster": "seqlab.models.forecaster",
    "Seq2Seq": "seqlab.models.seq2seq",
    "ConditionalLM": "seqlab.models.conditional",
    "SequenceVAE": "seqlab.models.vae",
    "SeriesVAE": "seqlab.models.vae",
    "Seq2SeqConfig": "seqlab.models.seq2seq_net",
    "Seq2SeqNet": "seqlab.models.seq2seq_net",
    "NeuralClassifier": "seqlab.models.classifier",
    "NeuralTagger": "seqlab.models.tagger",
    "InterpolatedLM": "seqlab.mix",  # a mixture of any LanguageModels (needs no torch)
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'seqlab.models' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        from seqlab.deps import is_torch_import_error, torch_message
        from seqlab.exceptions import MissingDependencyError

        if is_torch_import_error(exc):
            raise MissingDependencyError(torch_message(f"seqlab.models.{name}")) from None
        raise
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = ["CLASSIFY_ARCHITECTURES", "FORECAST_ARCHITECTURES", "LM_ARCHITECTURES", "TAG_ARCHITECTURES", "Architecture",
           "Registry", *_LAZY]
