"""Input checks at the public boundary: every entry point validates through these, once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

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
        first = int(np.argwhere(bad)[0][0])
        raise DataError(
            f"{name} has a non-finite value ({arr.reshape(len(arr), -1)[first][0]!r}) at index {first}; "
            "remove or fill missing values first."
        )
    if len(arr) < min_length:
        raise DataError(f"{name} needs at least {min_length} values, got {len(arr)}.")
    return arr


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Check that ``value`` is an int within [low, high]; return it."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidParameterError(f"{name} must be an int, got {value!r}.")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"between {low} and {high}" if low is not None and high is not None else (
            f">= {low}" if low is not None else f"<= {high}")
        raise InvalidParameterError(f"{name} must be {bounds}, got {value}.")
    return int(value)


def check_same_length(a: Sequence[Any], b: Sequence[Any], names: tuple[str, str]) -> None:
    """Raise if two parallel inputs have different lengths."""
    if len(a) != len(b):
        raise DataError(f"{names[0]} and {names[1]} must have the same length, got {len(a)} and {len(b)}.")
