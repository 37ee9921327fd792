"""Errors and warnings raised by seqlab.

Every error a user can cause derives from :class:`SeqlabError`. The extra built-in bases
(``ValueError``, ``TypeError``, ...) keep ``except ValueError`` working, as scikit-learn does.
Messages follow one template: what must hold; what was received; how to fix it.
"""

from __future__ import annotations


class SeqlabError(Exception):
    """Base class of every error seqlab raises on purpose."""


class NotFittedError(SeqlabError, ValueError, AttributeError):
    """A model was used before ``fit`` (or ``load``)."""


class InvalidParameterError(SeqlabError, ValueError, TypeError):
    """A hyperparameter or argument has a bad type or value."""


class DataError(SeqlabError, ValueError):
    """Input data cannot be used: empty, badly encoded, malformed or inconsistent."""


class FormatError(SeqlabError, ValueError):
    """A model directory or interchange file (ARPA, word2vec, ...) is malformed or unsupported."""


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped at its iteration limit before meeting its tolerance."""


class DegenerateFitWarning(UserWarning):
    """A fit was made but its result is unreliable (too little data, fallback values used)."""


class MissingDependencyError(SeqlabError, ImportError):
    """An optional dependency (torch, matplotlib, ...) is needed and not installed; the message names the extra."""
