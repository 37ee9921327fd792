"""Tokenizers: text -> list of tokens. Characters, words (a documented regex) or whitespace.

The word regex is ``\\w+(?:['’]\\w+)*|[^\\w\\s]``: runs of letters/digits/underscore with inner
apostrophes kept ("don't"), and every other non-space character as a token of its own, so
``"He left!"`` gives ``["He", "left", "!"]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from seqlab.exceptions import InvalidParameterError

WORD_PATTERN = r"\w+(?:['’]\w+)*|[^\w\s]"


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
        return {"name": self.name, "lowercase": self.lowercase}


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


TOKENIZERS: dict[str, type[Tokenizer]] = {t.name: t for t in (CharTokenizer, WordTokenizer, WhitespaceTokenizer)}


def get_tokenizer(name: str | Tokenizer, *, lowercase: bool = False) -> Tokenizer:
    """Tokenizer by name (``char``, ``word``, ``whitespace``); a Tokenizer passes through."""
    if isinstance(name, Tokenizer):
        return name
    try:
        return TOKENIZERS[name](lowercase=lowercase)
    except KeyError:
        raise InvalidParameterError(f"Unknown tokenizer {name!r}; choose one of {sorted(TOKENIZERS)}.") from None


def tokenizer_from_json(obj: dict[str, object]) -> Tokenizer:
    """Inverse of :meth:`Tokenizer.to_json`."""
    return get_tokenizer(str(obj["name"]), lowercase=bool(obj.get("lowercase", False)))
