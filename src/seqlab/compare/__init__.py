"""``seqlab compare``: every family side by side on the same data, through the shared protocols.

A model family registers itself once with :func:`register_spec` (task, name, factory, keys);
:func:`compare_lm`, :func:`compare_forecast` and :func:`compare_classify` then fit and measure
any registered model the same way — language models through ``LanguageModel``, forecasters
through ``Forecaster`` + :func:`seqlab.forecast.backtest`, classifiers through the scikit-learn
contract — and never name a family. The results feed :mod:`seqlab.report`.
"""

from seqlab.compare.builtin import Context
from seqlab.compare.registry import Key, ModelSpec, Parsed, describe, parse_spec, register_spec, specs
from seqlab.compare.run import (
    Comparison,
    compare_classify,
    compare_forecast,
    compare_lm,
    n_parameters,
    save_models,
    slug,
    training_curve,
)

__all__ = [
    "Comparison", "Context", "Key", "ModelSpec", "Parsed", "compare_classify", "compare_forecast", "compare_lm",
    "describe", "n_parameters", "parse_spec", "register_spec", "save_models", "slug", "specs", "training_curve",
]
