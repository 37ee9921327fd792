"""Torch task models assembled from layers, each behind a fit/score facade.

Language models: :class:`RecurrentLM`, :class:`ConvLM`, :class:`TransformerLM`,
:class:`WindowLM` (``nn.Module``s with frozen configs) and :class:`NeuralLM`, the facade that
implements the :class:`~seqlab.protocols.LanguageModel` protocol over any of them.
"""

from seqlab.models.forecaster import ConvForecaster, MLPForecaster, RecurrentForecaster  # noqa: F401
from seqlab.models.lm import (
    ConvLM,
    ConvLMConfig,
    ModelOutput,
    RecurrentLM,
    RecurrentLMConfig,
    TransformerLM,
    TransformerLMConfig,
    WindowLM,
    WindowLMConfig,
)
from seqlab.models.neural import MODELS, NeuralLM

__all__ = [
    "MODELS", "ConvLM", "ConvLMConfig", "ModelOutput", "NeuralLM", "RecurrentLM", "RecurrentLMConfig",
    "TransformerLM", "TransformerLMConfig", "WindowLM", "WindowLMConfig",
]

from seqlab.mix import InterpolatedLM  # noqa: E402  (issue 13: a mixture of any LanguageModels; needs no torch)

__all__ += ["InterpolatedLM"]
