"""Input checks at the public boundary: every entry point validates through these, once.

Data: :func:`check_sequences`, :func:`check_series`, :func:`check_same_length`.
Hyperparameters, one set for every package: :func:`is_int` / :func:`is_real` (predicates),
:func:`int_at_least` / :func:`float_at_least` (``BaseModel._constraints`` entries),
:func:`check_int`, :func:`check_positive`, :func:`check_probability` and :func:`check_horizon`
(raise :class:`~seqlab.exceptions.InvalidParameterError` naming the value and what would work).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, overload

import numpy as np

from seqlab.exceptions import DataError, InvalidParameterError


def check_sequences(sequences: Any, *, name: str = "sequences", allow_empty: bool = False) -> list[list[str]]:
    """Return ``sequences`` as a list of token lists, or raise a clear ``DataError``.

    A single string (a common slip) is refused with a hint rather than read as characters.
    """
    if isinstance(sequences, str | bytes):
        raise DataError(f"{name} must be a list of token sequences, got a single str. Did you mean [text.split()]?")
    if not isinstance(sequences, Iterable):
        raise DataError(f"{name} must be an iterable of token sequences, got {type(sequences).__name__}.")
    out: list[list[str]] = []
    for i, seq in enumerate(sequences):
        if isinstance(seq, str | bytes):
            raise DataError(
                f"{name}[{i}] is a str, but each sequence must be a list of tokens. Did you mean {name}[{i}].split()?"
            )
        if not isinstance(seq, Iterable):
            raise DataError(f"{name}[{i}] must be a sequence of tokens, got {type(seq).__name__}.")
        out.append([str(tok) for tok in seq])
    if not allow_empty and not any(out):
        raise DataError(
            f"{name} holds no tokens ({len(out)} sequences, all empty); give at least one non-empty sequence."
        )
    return out


def check_series(series: Any, *, name: str = "series", min_length: int = 1) -> np.ndarray:
    """Return ``series`` as a float64 array of shape (n_steps,) or (n_steps, n_features).

    NaN and inf are refused with the index of the first bad value.
    """
    try:
        arr = np.asarray(series, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric; could not convert it to floats ({exc}).") from None
    if arr.ndim not in (1, 2):
        raise DataError(f"{name} must have shape (n_steps,) or (n_steps, n_features), got shape {arr.shape}.")
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])  # (step,) or (step, feature)
        value = float(arr[where])  # a plain float in the message, not np.float64(...)
        at = f"index {where[0]}" if arr.ndim == 1 else f"index {where[0]} (feature {where[1]})"
        raise DataError(f"{name} has a non-finite value ({value!r}) at {at}; remove or fill missing values first.")
    if len(arr) < min_length:
        raise DataError(f"{name} needs at least {min_length} values, got {len(arr)}.")
    return arr


# ---------------------------------------------------------------------- hyperparameters
Constraint = tuple[Callable[[Any], bool], str]
"""A hyperparameter check for ``BaseModel._constraints``: ``(predicate, "what a valid value is")``."""


def is_int(value: Any, low: int | None = None, high: int | None = None) -> bool:
    """True for a Python or numpy int (never a bool) within ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        return False
    return bool((low is None or value >= low) and (high is None or value <= high))


def is_real(value: Any) -> bool:
    """True for a finite int or float (Python or numpy; never a bool)."""
    return isinstance(value, int | float | np.number) and not isinstance(value, bool) and math.isfinite(value)


def int_at_least(low: int, *, optional: bool = False, high: int | None = None) -> Constraint:
    """A Python or numpy ``int`` (not ``bool``) ``>= low`` (and ``<= high``); with ``optional``, None too."""
    def ok(v: Any) -> bool:
        return (optional and v is None) or is_int(v, low, high)

    what = f"an int >= {low}" if high is None else f"an int between {low} and {high}"
    return ok, f"{'None or ' if optional else ''}{what}"


def float_at_least(low: float, *, strict: bool = False, optional: bool = False) -> Constraint:
    """A finite ``int`` or ``float`` (not ``bool``) ``>= low``, ``> low`` if ``strict``; None too if ``optional``.

    Infinity is refused too: no tolerance, rate or variance floor means anything at ``inf``, and
    the value is saved in a JSON manifest, which cannot hold it.
    """
    def ok(v: Any) -> bool:
        if optional and v is None:
            return True
        return is_real(v) and (v > low if strict else v >= low)

    return ok, f"{'None or ' if optional else ''}a finite float {'>' if strict else '>='} {low:g}"


def require(value: Any, constraint: Constraint, name: str) -> Any:
    """Check ``value`` against a constraint (e.g. ``int_at_least(1)``); return it or raise one clear error."""
    ok, what = constraint
    if not ok(value):
        raise InvalidParameterError(f"{name} must be {what}, got {value!r}.")
    return value


def check_positive(value: Any, name: str, owner: str | None = None, *, upper: float | None = None) -> float:
    """Check that ``value`` is a finite number ``> 0`` (and ``<= upper``); return it."""
    ok = is_real(value) and value > 0 and (upper is None or value <= upper)
    if not ok:
        bound = f"in (0, {upper}]" if upper is not None else "> 0"
        prefix = f"{owner}: " if owner else ""
        raise InvalidParameterError(f"{prefix}{name} must be a number {bound}, got {value!r}.")
    return float(value)


def check_probability(value: Any, name: str, *, closed: bool = False) -> float:
    """Check that ``value`` is a number in ``[0, 1)`` (``[0, 1]`` if ``closed``), e.g. a dropout rate; return it."""
    ok = is_real(value) and 0.0 <= value and (value <= 1.0 if closed else value < 1.0)
    if not ok:
        raise InvalidParameterError(f"{name} must be in [0, 1{']' if closed else ')'}, got {value!r}.")
    return float(value)


def check_horizon(horizon: Any) -> int:
    """A forecast horizon: an int >= 1."""
    if not is_int(horizon, 1):
        raise InvalidParameterError(f"horizon must be an int >= 1, got {horizon!r}.")
    return int(horizon)


@overload
def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None,
              optional: Literal[False] = False) -> int: ...


@overload
def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None,
              optional: bool) -> int | None: ...


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None,
              optional: bool = False) -> int | None:
    """Check that ``value`` is an int within [low, high] (or None if ``optional``); return it as an int."""
    if optional and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidParameterError(f"{name} must be {'None or ' if optional else ''}an int, got {value!r}.")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"between {low} and {high}" if low is not None and high is not None else (
            f">= {low}" if low is not None else f"<= {high}")
        raise InvalidParameterError(f"{name} must be {bounds}, got {value}.")
    return int(value)


def check_same_length(a: Sequence[Any], b: Sequence[Any], names: tuple[str, str]) -> None:
    """Raise if two parallel inputs have different lengths."""
    if len(a) != len(b):
        raise DataError(f"{names[0]} and {names[1]} must have the same length, got {len(a)} and {len(b)}.")
