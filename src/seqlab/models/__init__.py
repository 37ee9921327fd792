"""Torch task models assembled from layers, each behind a fit/score facade.

Language models: :class:`RecurrentLM`, :class:`ConvLM`, :class:`TransformerLM`,
:class:`WindowLM` (``nn.Module``s with frozen configs) and :class:`NeuralLM`, the facade that
implements the :class:`~seqlab.protocols.LanguageModel` protocol over any of them.
"""

from seqlab._deps import require_torch

require_torch("seqlab.models (the neural models)")

from seqlab.models.forecaster import ConvForecaster, MLPForecaster, RecurrentForecaster  # noqa: E402, F401
from seqlab.models.lm import (  # noqa: E402
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
from seqlab.models.neural import MODELS, NeuralLM  # noqa: E402

__all__ = [
    "MODELS", "ConvLM", "ConvLMConfig", "ModelOutput", "NeuralLM", "RecurrentLM", "RecurrentLMConfig",
    "TransformerLM", "TransformerLMConfig", "WindowLM", "WindowLMConfig",
]
