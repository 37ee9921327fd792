"""Parallel data for sequence-to-sequence models: ``source<TAB>target`` pairs.

The bundled pair sets (``cmudict``, ``dates``, ``kjv-rv1909``) and users' own files are read
into one :class:`Pairs` value. A pair set keeps, for each source, every target accepted at
evaluation (``references``): CMUdict lists variant pronunciations, and the G2P protocol
trains on the first and accepts any of them when scoring.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from seqlab.exceptions import DataError

__all__ = ["Pairs", "load_pairs", "load_pairs_spec", "read_pairs", "PAIR_SETS"]

PAIR_SETS = ("cmudict", "dates", "kjv-rv1909")
_STRESS = re.compile(r"(?<=[A-Z])[012]\b")


@dataclass(frozen=True)
class Pairs:
    """Source/target strings, aligned by index.

    Attributes
    ----------
    sources, targets : list of str
        One training pair per index (the first accepted target of a source).
    references : list of list of str
        Every target accepted for ``sources[i]`` (``references[i][0] == targets[i]``).
    name : str
        The data set or file the pairs came from (for messages).
    """

    sources: list[str]
    targets: list[str]
    references: list[list[str]] = field(default_factory=list)
    name: str = ""

    def __post_init__(self) -> None:
        if not self.references:
            object.__setattr__(self, "references", [[t] for t in self.targets])
        if not (len(self.sources) == len(self.targets) == len(self.references)):
            raise DataError(f"{self.name or 'pairs'}: {len(self.sources)} sources, {len(self.targets)} targets and "
                            f"{len(self.references)} reference lists; give one of each per pair.")

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, index: slice) -> Pairs:
        return Pairs(self.sources[index], self.targets[index], self.references[index], self.name)


def read_pairs(path: str | Path, *, encoding: str = "utf-8") -> Pairs:
    """Read a ``source<TAB>target`` file (more tab-separated columns are ignored; blank lines skipped).

    Raises
    ------
    DataError
        A line without a tab or with an empty source or target (the message gives the line
        number), or a file with no pairs.
    """
    from seqlab.data.readers import read_lines

    sources, targets = [], []
    for n, line in enumerate(read_lines(path, encoding=encoding), 1):
        if not line.strip():
            continue
        src, tab, rest = line.partition("\t")
        tgt = rest.split("\t", 1)[0]
        if not tab:
            raise DataError(f"{path}: line {n} has no tab; write one 'source<TAB>target' pair per line.")
        if not src.strip() or not tgt.strip():
            side = "source" if not src.strip() else "target"
            raise DataError(f"{path}: line {n} has an empty {side}; write one 'source<TAB>target' pair per line.")
        sources.append(src.strip())
        targets.append(tgt.strip())
    if not sources:
        raise DataError(f"{path} holds no 'source<TAB>target' pairs.")
    return Pairs(sources, targets, name=str(path))


def _split_of(n: int) -> str:
    """The text corpora's rule on a 1-based item number: n % 10 == 0 test, == 5 valid, else train."""
    r = n % 10
    return "test" if r == 0 else "valid" if r == 5 else "train"


def _in_split(n: int, split: str) -> bool:
    if split == "all":
        return True
    if split == "train+valid":
        return n % 10 != 0
    return _split_of(n) == split


@functools.cache
def _groups(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(source, accepted targets) in file order; one group per distinct source."""
    from seqlab.data.datasets import _read_text, info

    text = _read_text(info(name).file)
    groups: dict[str, tuple[str, list[str]]] = {}
    for line in text.split("\n"):
        if not line:
            continue
        cols = line.split("\t")
        if name == "kjv-rv1909":  # ref, English, Spanish: one item per verse, Spanish -> English
            key, src, tgt = cols[0], cols[2], cols[1]
        else:  # source, target[, note]: one item per distinct source, its targets as variants
            key, src, tgt = cols[0], cols[0], cols[1]
        groups.setdefault(key, (src, []))[1].append(tgt)
    return tuple((s, tuple(t)) for s, t in groups.values())


def load_pairs(name: str, split: str = "train", *, stress: bool = True) -> Pairs:
    """A bundled pair set: ``cmudict`` (word -> phonemes), ``dates`` (written -> ISO), ``kjv-rv1909`` (es -> en).

    Items are numbered 1, 2, ... in file order (distinct words for ``cmudict``, verses for
    ``kjv-rv1909``) and split by the text corpora's rule: ``n % 10 == 0`` test, ``== 5``
    valid, else train. ``stress=False`` drops the ARPAbet stress digits (``cmudict`` only).
    """
    from seqlab.data.datasets import _check_split, info

    ds = info(name)
    if ds.kind != "pairs":
        raise DataError(f"{name!r} is not a pair data set; choose one of {', '.join(PAIR_SETS)} "
                        "or give a 'source<TAB>target' file.")
    _check_split(ds, split)
    if not stress and name != "cmudict":
        raise DataError(f"stress=False applies to cmudict only, not {name!r}.")
    chosen = [g for n, g in enumerate(_groups(name), 1) if _in_split(n, split)]
    refs = [list(t) for _, t in chosen]
    if not stress:
        refs = [list(dict.fromkeys(_STRESS.sub("", r) for r in rs)) for rs in refs]
    return Pairs([s for s, _ in chosen], [r[0] for r in refs], refs, f"{name}:{split}")


def load_pairs_spec(spec: str, *, encoding: str = "utf-8", stress: bool = True) -> Pairs:
    """Pairs from ``NAME[:SPLIT]`` of a bundled pair set or from a ``source<TAB>target`` file path."""
    from seqlab.data.catalog import REGISTRY
    from seqlab.data.datasets import resolve

    resolved = resolve(spec)
    if resolved is not None:
        name, split = resolved
        if REGISTRY[name].kind != "pairs":
            raise DataError(f"{name!r} is a {REGISTRY[name].kind} data set, not pairs; choose one of "
                            f"{', '.join(PAIR_SETS)} or give a 'source<TAB>target' file.")
        return load_pairs(name, split, stress=stress)
    return read_pairs(spec, encoding=encoding)
