"""Tokenizers: text -> list of tokens. Characters, words (a documented regex), whitespace or any regex.

The word regex is ``\\w+(?:['’]\\w+)*|[^\\w\\s]``: runs of letters/digits/underscore with inner
apostrophes kept ("don't"), and every other non-space character as a token of its own, so
``"He left!"`` gives ``["He", "left", "!"]``.

Every tokenizer has a ``name`` and a JSON form (:meth:`Tokenizer.to_json`) that
:func:`tokenizer_from_json` turns back into an equal tokenizer: the regex, the case folding
and all. A model fitted from text keeps its tokenizer as ``tokenizer_`` and saves that JSON,
so text read after loading splits exactly as the training text did. The bundled text corpora
split words with :func:`corpus_tokenizer` (the KenLM reference preparation's regex on
lowercased text).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from seqlab.exceptions import FormatError, InvalidParameterError

WORD_PATTERN = r"\w+(?:['’]\w+)*|[^\w\s]"
CORPUS_WORD_PATTERN = r"[a-z]+(?:'[a-z]+)?|[0-9]+|[^\sa-z0-9]"
"""Word regex of the bundled text corpora (the KenLM reference preparation), applied to lowercased text."""


@dataclass(frozen=True)
class Tokenizer:
    """Base tokenizer: ``tokenizer(text) -> list[str]``; ``lowercase`` folds case first."""

    lowercase: bool = False
    name: ClassVar[str] = "base"
    joiner: ClassVar[str] = " "  # how ``detokenize`` glues tokens back into text

    def __call__(self, text: str) -> list[str]:
        return self.split(text.lower() if self.lowercase else text)

    def split(self, text: str) -> list[str]:
        raise NotImplementedError

    def detokenize(self, tokens: list[str]) -> str:
        """Join tokens back into readable text (exact for char and whitespace tokenizers)."""
        return self.joiner.join(tokens)

    def to_json(self) -> dict[str, object]:
        """``{"name": ..., **fields}``: everything :func:`tokenizer_from_json` needs to restore it exactly."""
        return {"name": self.name, **{f.name: getattr(self, f.name) for f in fields(self)}}


@dataclass(frozen=True)
class CharTokenizer(Tokenizer):
    """Every character is a token (spaces included); the view used by char-level models."""

    name: ClassVar[str] = "char"
    joiner: ClassVar[str] = ""

    def split(self, text: str) -> list[str]:
        return list(text.rstrip("\r\n"))


@dataclass(frozen=True)
class WordTokenizer(Tokenizer):
    """Words and punctuation by :data:`WORD_PATTERN`."""

    name: ClassVar[str] = "word"
    _regex: ClassVar[re.Pattern[str]] = re.compile(WORD_PATTERN)

    def split(self, text: str) -> list[str]:
        return self._regex.findall(text)


@dataclass(frozen=True)
class WhitespaceTokenizer(Tokenizer):
    """Tokens are the whitespace-separated fields (KenLM's and word2vec's convention)."""

    name: ClassVar[str] = "whitespace"

    def split(self, text: str) -> list[str]:
        return text.split()


@functools.lru_cache(maxsize=64)
def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise InvalidParameterError(f"pattern {pattern!r} is not a valid regular expression ({exc}).") from None


@dataclass(frozen=True)
class RegexTokenizer(Tokenizer):
    """Tokens are the matches of ``pattern`` (``re.findall``), after optional case folding.

    ``RegexTokenizer(pattern=CORPUS_WORD_PATTERN, lowercase=True)`` is the word level of the
    bundled text corpora (:func:`corpus_tokenizer`).
    """

    pattern: str = WORD_PATTERN
    name: ClassVar[str] = "regex"

    def __post_init__(self) -> None:
        if not isinstance(self.pattern, str):
            raise InvalidParameterError(f"pattern must be a str, got {type(self.pattern).__name__}.")
        _compile(self.pattern)

    def split(self, text: str) -> list[str]:
        return _compile(self.pattern).findall(text)


TOKENIZERS: dict[str, type[Tokenizer]] = {
    t.name: t for t in (CharTokenizer, WordTokenizer, WhitespaceTokenizer, RegexTokenizer)}


def corpus_tokenizer(level: str = "word") -> Tokenizer:
    """The tokenizer of the bundled text corpora: lowercased words by :data:`CORPUS_WORD_PATTERN`, or characters."""
    if level == "word":
        return RegexTokenizer(pattern=CORPUS_WORD_PATTERN, lowercase=True)
    if level == "char":
        return CharTokenizer()
    raise InvalidParameterError(f"The 'level' of a text corpus must be 'word' or 'char'; got {level!r}.")


def get_tokenizer(name: str | Tokenizer, *, lowercase: bool = False) -> Tokenizer:
    """Tokenizer by name (``char``, ``word``, ``whitespace``, ``regex``); a Tokenizer passes through."""
    if isinstance(name, Tokenizer):
        return name
    try:
        return TOKENIZERS[name](lowercase=lowercase)
    except (KeyError, TypeError):
        raise InvalidParameterError(f"Unknown tokenizer {name!r}; choose one of {sorted(TOKENIZERS)}.") from None


def tokenizer_from_json(obj: dict[str, Any] | Tokenizer) -> Tokenizer:
    """Inverse of :meth:`Tokenizer.to_json` (a Tokenizer passes through).

    Old manifests (``{"name": "word", "dataset": "kjv:train"}``, written by seqlab <= 0.1 for a
    model trained on a bundled corpus) restore that corpus's tokenizer, as used in training.
    """
    if isinstance(obj, Tokenizer):
        return obj
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
        raise FormatError(f"a tokenizer must be saved as {{'name': ..., ...}}, got {obj!r}.")
    if obj.get("dataset") is not None:  # the old form: the bundled corpus's own tokenizer
        level = "char" if obj["name"] == "char" else "word"
        tok = corpus_tokenizer(level)
        return CharTokenizer(lowercase=bool(obj.get("lowercase", False))) if level == "char" else tok
    cls = TOKENIZERS.get(obj["name"])
    if cls is None:
        raise FormatError(f"Unknown tokenizer {obj['name']!r} in a saved model; known: {sorted(TOKENIZERS)}.")
    known = {f.name for f in fields(cls)}
    extra = set(obj) - known - {"name"}
    if extra:
        raise FormatError(f"tokenizer {obj['name']!r} has unknown fields {sorted(extra)}; known: {sorted(known)}.")
    try:
        return cls(**{k: v for k, v in obj.items() if k != "name"})
    except (TypeError, InvalidParameterError) as exc:
        raise FormatError(f"tokenizer {obj!r} cannot be restored: {exc}") from None


def tokenizer_to_json(tokenizer: Tokenizer | dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON form of a model's ``tokenizer_`` (a Tokenizer or an older JSON dict), or None."""
    if tokenizer is None:
        return None
    return tokenizer_from_json(tokenizer).to_json()
