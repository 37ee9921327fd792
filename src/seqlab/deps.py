"""Optional dependencies: one check and one message per extra.

The classical half of seqlab works without torch (``pip install seqlab``); every neural path
calls :func:`require_torch` first, so that a missing torch is the one-line
``pip install 'seqlab[torch]'`` message and never a traceback or an "unknown class".
"""

from __future__ import annotations

import importlib.util

from seqlab.exceptions import MissingDependencyError

TORCH_INSTALL = "pip install 'seqlab[torch]'"


def torch_message(what: str) -> str:
    """The one line said when ``what`` needs torch and torch is missing."""
    return f"{what} needs PyTorch, which is not installed; install it with {TORCH_INSTALL}."


def has_torch() -> bool:
    """Whether torch can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def require_torch(what: str) -> None:
    """Raise :class:`MissingDependencyError` (a ``SeqlabError`` and an ``ImportError``) without torch."""
    try:
        import torch  # noqa: F401
    except ImportError:
        raise MissingDependencyError(torch_message(what)) from None


def is_torch_import_error(exc: ImportError) -> bool:
    """Whether ``exc`` is torch (or one of its submodules) failing to import."""
    name = getattr(exc, "name", None) or ""
    return name == "torch" or name.startswith("torch.")
