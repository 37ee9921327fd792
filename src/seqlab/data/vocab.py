"""``Vocabulary``: the token <-> id map shared by every model compared on a dataset.

Special ids are fixed: ``<pad>``=0, ``<unk>``=1, ``<s>``=2, ``</s>``=3. Ordinary tokens follow,
most frequent first (ties broken alphabetically, so the ids are deterministic).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np

from seqlab.exceptions import DataError, FormatError, InvalidParameterError

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"
SPECIALS = (PAD, UNK, BOS, EOS)
PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3


class Vocabulary:
    """Token <-> id map with fixed specials.

    Parameters
    ----------
    tokens : iterable of str
        Ordinary tokens in id order (specials are added in front and must not be repeated).
    counts : iterable of int, optional
        Training frequency of each ordinary token, kept for reporting and ``min_count``.

    Examples
    --------
    >>> v = Vocabulary.build([["a", "b", "a"]])
    >>> v.encode(["a", "zzz"]).tolist(), len(v)
    ([4, 1], 6)
    """

    def __init__(self, tokens: Iterable[str] = (), counts: Iterable[int] | None = None) -> None:
        ordinary = list(tokens)
        clash = [t for t in ordinary if t in SPECIALS]
        if clash:
            raise DataError(f"Vocabulary tokens may not include the specials {clash}; they are added automatically.")
        self.itos: list[str] = list(SPECIALS) + ordinary
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise DataError("Vocabulary tokens must be unique.")
        self.counts: list[int] | None = list(counts) if counts is not None else None

    # ------------------------------------------------------------------ building
    @classmethod
    def from_counter(cls, counter: Counter[str] | dict[str, int], *, min_count: int = 1,
                     max_size: int | None = None) -> Self:
        """Keep tokens seen ``>= min_count`` times, the ``max_size`` most frequent at most."""
        if min_count < 1:
            raise InvalidParameterError(f"min_count must be >= 1, got {min_count}.")
        if max_size is not None and max_size < 0:
            raise InvalidParameterError(f"max_size must be >= 0 or None, got {max_size}.")
        items = sorted(((t, c) for t, c in counter.items() if c >= min_count and t not in SPECIALS),
                       key=lambda tc: (-tc[1], tc[0]))
        if max_size is not None:
            items = items[:max_size]
        return cls([t for t, _ in items], [c for _, c in items])

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]], *, min_count: int = 1, max_size: int | None = None) -> Self:
        """Count tokens over ``sequences`` and build a vocabulary from them."""
        counter: Counter[str] = Counter()
        for seq in sequences:
            counter.update(seq)
        return cls.from_counter(counter, min_count=min_count, max_size=max_size)

    # ------------------------------------------------------------------ queries
    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        """Id of ``token``; unknown tokens map to ``<unk>``'s id."""
        return self.stoi.get(token, UNK_ID)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.itos)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.itos == other.itos

    def __hash__(self) -> int:
        return hash(tuple(self.itos))

    def __repr__(self) -> str:
        return f"Vocabulary(size={len(self)})"

    def token(self, index: int) -> str:
        """Token of id ``index``."""
        return self.itos[index]

    def encode(self, tokens: Sequence[str], *, bos: bool = False, eos: bool = False) -> np.ndarray:
        """Ids of ``tokens`` as an int64 array, unknown tokens as ``<unk>``."""
        get = self.stoi.get
        ids = [get(t, UNK_ID) for t in tokens]
        if bos:
            ids.insert(0, BOS_ID)
        if eos:
            ids.append(EOS_ID)
        return np.asarray(ids, dtype=np.int64)

    def decode(self, ids: Iterable[int], *, skip_specials: bool = False) -> list[str]:
        """Tokens of ``ids``; ``skip_specials`` drops ``<pad>``, ``<s>`` and ``</s>``."""
        out = [self.itos[int(i)] for i in ids]
        if skip_specials:
            out = [t for t in out if t not in (PAD, BOS, EOS)]
        return out

    def is_oov(self, tokens: Sequence[str]) -> np.ndarray:
        """Boolean mask of tokens not in the vocabulary."""
        return np.fromiter((t not in self.stoi for t in tokens), dtype=bool, count=len(tokens))

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict[str, Any]:
        """JSON-able dict (specials are implied and not stored)."""
        return {"tokens": self.itos[len(SPECIALS):], "counts": self.counts}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Self:
        try:
            return cls(obj["tokens"], obj.get("counts"))
        except (KeyError, TypeError) as exc:
            raise FormatError(f"Not a seqlab vocabulary ({exc!r}).") from None

    def save(self, path: str | Path) -> None:
        """Write the vocabulary as JSON."""
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Self:
        try:
            return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FormatError(f"{path} is not a JSON vocabulary ({exc}).") from None
