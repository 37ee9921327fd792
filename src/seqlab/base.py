"""The estimator contract shared by every classical model (scikit-learn style).

Hyperparameters are keyword-only ``__init__`` arguments stored unchanged; learned state lives in
public attributes ending in ``_``; ``fit`` returns ``self``. That is all scikit-learn's
``clone``, ``GridSearchCV`` and ``cross_val_score`` need.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from seqlab._validation import Constraint, float_at_least, int_at_least
from seqlab.exceptions import InvalidParameterError, NotFittedError

__all__ = ["BaseModel", "Constraint", "float_at_least", "int_at_least", "positional_deprecated"]


def positional_deprecated(init: Callable[..., None]) -> Callable[..., None]:
    """Let a keyword-only ``__init__`` still take its old positional arguments, for one release.

    Positional values are given to the keyword-only parameters in declaration order, with a
    ``DeprecationWarning``; ``inspect.signature`` (hence ``get_params`` and scikit-learn)
    still sees the keyword-only signature.
    """
    names = [p.name for p in inspect.signature(init).parameters.values() if p.kind is p.KEYWORD_ONLY]

    @functools.wraps(init)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        if args:
            if len(args) > len(names):
                raise TypeError(f"{type(self).__name__}() takes at most {len(names)} arguments, got {len(args)}.")
            given = dict(zip(names, args, strict=False))
            warnings.warn(f"Passing {', '.join(given)} to {type(self).__name__}() by position is deprecated; "
                          f"use keywords ({', '.join(f'{k}=...' for k in given)}).", DeprecationWarning,
                          stacklevel=2)
            clash = set(given) & set(kwargs)
            if clash:
                raise TypeError(f"{type(self).__name__}() got multiple values for {sorted(clash)}.")
            kwargs.update(given)
        init(self, **kwargs)

    return wrapper


class BaseModel:
    """Base class of seqlab estimators: params, clone, repr, validation, save/load, scikit-learn tags.

    Subclasses declare ``_constraints = {"name": (predicate, "description")}`` and implement
    ``_to_state`` / ``_from_state`` to be saved by :mod:`seqlab.io`. ``_input_kind`` says what
    ``fit`` takes: ``"sequences"`` (a list of token or value sequences) or ``"series"`` (one
    array of shape (n_steps,) or (n_steps, n_features)); neither is scikit-learn's 2-D
    ``(n_samples, n_features)`` table, and the tags say so.
    """

    _constraints: ClassVar[dict[str, Constraint]] = {}
    _input_kind: ClassVar[str] = "sequences"

    # ------------------------------------------------------------------ parameters
    @classmethod
    def _param_names(cls) -> list[str]:
        params = inspect.signature(cls.__init__).parameters.values()
        return sorted(p.name for p in params if p.kind is p.KEYWORD_ONLY)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Hyperparameters as a dict; with ``deep``, also those of nested estimators as ``name__param``.

        Like scikit-learn: ``BayesSequenceClassifier(lm=NGramLM()).get_params()`` lists
        ``lm__order``, so a grid search (or a ``Pipeline``) can discover and set it.
        """
        out: dict[str, Any] = {}
        for name in self._param_names():
            value = getattr(self, name)
            out[name] = value
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{name}__{k}", v) for k, v in value.get_params(deep=True).items())
        return out

    def set_params(self, **params: Any) -> Self:
        """Set hyperparameters by name, ``name__param`` for a nested estimator's; unknown names raise."""
        valid = set(self._param_names())
        nested: dict[str, dict[str, Any]] = {}
        for name, value in params.items():
            head, sep, rest = name.partition("__")
            if head not in valid:
                raise InvalidParameterError(
                    f"{type(self).__name__} has no parameter {head!r}; valid parameters: {sorted(valid)}."
                )
            if sep:
                nested.setdefault(head, {})[rest] = value
            else:
                setattr(self, name, value)
        for head, sub in nested.items():
            inner = getattr(self, head)
            if not hasattr(inner, "set_params"):
                raise InvalidParameterError(
                    f"{type(self).__name__}.{head} is a {type(inner).__name__}, which has no parameters to set "
                    f"({sorted(sub)}); set {head} itself instead."
                )
            inner.set_params(**sub)
        return self

    def clone(self) -> Self:
        """A new unfitted model with the same hyperparameters (nested estimators cloned too).

        Checks, as scikit-learn's ``clone`` does, that ``__init__`` stored every parameter
        unchanged (the same object), so that ``get_params`` round-trips through the constructor.
        """
        params = {k: _clone_param(v) for k, v in self.get_params(deep=False).items()}
        new = type(self)(**params)
        stored = new.get_params(deep=False)
        for name, value in params.items():
            if stored[name] is not value:
                raise InvalidParameterError(
                    f"Cannot clone {type(self).__name__}: its __init__ does not store parameter {name!r} "
                    "unchanged; store each keyword argument as given and move any logic to fit."
                )
        return new

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__).parameters
        shown = []
        for name in self._param_names():
            value = getattr(self, name)
            default = sig[name].default
            if default is inspect.Parameter.empty or not _same(value, default):
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    # ------------------------------------------------------------------ scikit-learn tags
    def __sklearn_tags__(self) -> Any:
        """Tags for scikit-learn >= 1.6 (imported lazily: scikit-learn is not a dependency).

        The input is sequences (``string=True``) or a series (``one_d_array=True``), never a
        2-D ``(n_samples, n_features)`` array, so ``check_estimator`` skips its array checks;
        no target is required (language models, HMMs and forecasters are unsupervised).
        """
        from sklearn.utils import InputTags, Tags, TargetTags

        series = self._input_kind == "series"
        return Tags(estimator_type=None, target_tags=TargetTags(required=False),
                    input_tags=InputTags(one_d_array=series, two_d_array=False, string=not series),
                    requires_fit=True)

    def _more_tags(self) -> dict[str, Any]:
        """The same tags for scikit-learn < 1.6 (``X_types`` without ``"2darray"`` skips the array checks)."""
        return {"X_types": ["1darray"] if self._input_kind == "series" else ["string"], "requires_y": False,
                "requires_fit": True}

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

    def _is_fitted(self) -> bool:  # tokenizer_ may be set before fit: it is how text is read, not learned state
        return any(k.endswith("_") and not k.startswith("_") and k != "tokenizer_" for k in vars(self))

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


def _clone_param(value: Any) -> Any:
    """A parameter for a clone: estimators are cloned, everything else is passed as is.

    (scikit-learn deep-copies non-estimator parameters; seqlab's are immutable values or
    frozen strategy objects, which are shared safely, and ``__init__`` must store them unchanged.)
    """
    if isinstance(value, type) or not hasattr(value, "get_params"):
        return value
    if callable(getattr(value, "clone", None)):
        return value.clone()
    from sklearn.base import clone  # a scikit-learn estimator nested in a seqlab one (LagRegressor)

    return clone(value)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:  # arrays and other objects without a plain truth value
        return a is b
