"""The estimator contract shared by every classical model (scikit-learn style).

Hyperparameters are keyword-only ``__init__`` arguments stored unchanged; learned state lives in
public attributes ending in ``_``; ``fit`` returns ``self``. That is all scikit-learn's
``clone``, ``GridSearchCV`` and ``cross_val_score`` need.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from seqlab.exceptions import InvalidParameterError, NotFittedError

Constraint = tuple[Callable[[Any], bool], str]
"""A hyperparameter check: ``(predicate, "what a valid value is")``."""


def int_at_least(low: int, *, optional: bool = False) -> Constraint:
    """A Python ``int`` (not ``bool``) ``>= low``; with ``optional``, None too."""
    def ok(v: Any) -> bool:
        return (optional and v is None) or (isinstance(v, int) and not isinstance(v, bool) and v >= low)

    return ok, f"{'None or ' if optional else ''}an int >= {low}"


def float_at_least(low: float, *, strict: bool = False, optional: bool = False) -> Constraint:
    """An ``int`` or ``float`` (not ``bool``) ``>= low``, ``> low`` if ``strict``; None too if ``optional``."""
    def ok(v: Any) -> bool:
        if optional and v is None:
            return True
        return isinstance(v, int | float) and not isinstance(v, bool) and (v > low if strict else v >= low)

    return ok, f"{'None or ' if optional else ''}a float {'>' if strict else '>='} {low:g}"


class BaseModel:
    """Base class of seqlab estimators: params, clone, repr, validation, save/load.

    Subclasses declare ``_constraints = {"name": (predicate, "description")}`` and implement
    ``_to_state`` / ``_from_state`` to be saved by :mod:`seqlab.io`.
    """

    _constraints: ClassVar[dict[str, Constraint]] = {}

    # ------------------------------------------------------------------ parameters
    @classmethod
    def _param_names(cls) -> list[str]:
        params = inspect.signature(cls.__init__).parameters.values()
        return sorted(p.name for p in params if p.kind is p.KEYWORD_ONLY)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Hyperparameters as a dict (``deep`` is accepted for scikit-learn compatibility)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        """Set hyperparameters by name; unknown names raise ``InvalidParameterError``."""
        valid = set(self._param_names())
        for name, value in params.items():
            if name not in valid:
                raise InvalidParameterError(
                    f"{type(self).__name__} has no parameter {name!r}; valid parameters: {sorted(valid)}."
                )
            setattr(self, name, value)
        return self

    def clone(self) -> Self:
        """A new unfitted model with the same hyperparameters."""
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__).parameters
        shown = []
        for name in self._param_names():
            value = getattr(self, name)
            default = sig[name].default
            if default is inspect.Parameter.empty or not _same(value, default):
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    # ------------------------------------------------------------------ checks
    def check_params(self) -> Self:
        """Validate the hyperparameters now (``fit`` does it too): fail before any data is read."""
        self._validate_params()
        return self

    def _validate_params(self) -> None:
        """Check every declared constraint; raise one clear error for the first that fails."""
        for name, (ok, expected) in self._constraints.items():
            value = getattr(self, name)
            if not ok(value):
                raise InvalidParameterError(
                    f"The {name!r} parameter of {type(self).__name__} must be {expected}. Got {value!r} instead."
                )

    def _is_fitted(self) -> bool:
        return any(k.endswith("_") and not k.startswith("_") for k in vars(self))

    def _check_fitted(self) -> None:
        if not self._is_fitted():
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. "
                "Call 'fit' with appropriate arguments before using it."
            )

    # ------------------------------------------------------------------ persistence
    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Learned state as (JSON-able dict, named arrays). Override in subclasses."""
        raise NotImplementedError(f"{type(self).__name__} does not support saving yet.")

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Rebuild a fitted model from what ``_to_state`` returned. Override in subclasses."""
        raise NotImplementedError(f"{cls.__name__} does not support loading yet.")

    def describe(self) -> dict[str, Any]:
        """The fitted model's summary: what ``seqlab info`` and the ``train`` commands print."""
        self._check_fitted()
        summary = self._to_state()[0].get("summary") or {}
        return dict(summary)

    def save(self, path: str | Path) -> Path:
        """Save to a model directory (manifest.json + safetensors); see :func:`seqlab.io.save`."""
        from seqlab import io

        return io.save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Load a model directory written by :meth:`save`, checking it holds a ``cls``."""
        from seqlab import io

        model = io.load(path)
        if not isinstance(model, cls):
            from seqlab.exceptions import FormatError

            raise FormatError(f"{path} holds a {type(model).__name__}, not a {cls.__name__}.")
        return model


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:  # arrays and other objects without a plain truth value
        return a is b
