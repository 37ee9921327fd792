"""seqlab: models for sequential data, from Markov chains to Transformers.

One API and one command line for n-gram and neural language models, sequence classifiers,
word embeddings, forecasters and state-space models. The classical families import without
torch; the neural ones need the ``seqlab[torch]`` extra.
"""

from __future__ import annotations

__version__ = "0.1.0"

from seqlab.exceptions import (  # noqa: E402  (version first: io reads it)
    ConvergenceWarning,
    DataError,
    FormatError,
    InvalidParameterError,
    NotFittedError,
    SeqlabError,
)

__all__ = [
    "__version__",
    "ConvergenceWarning",
    "DataError",
    "FormatError",
    "InvalidParameterError",
    "NotFittedError",
    "SeqlabError",
]
