"""Tagged sentences and labelled numeric sequences: records, file readers and the bundled sets.

Two record types:

* :class:`TaggedSentences`: one tag per token (part-of-speech tags, BIO entity tags), as the
  ``brown-pos`` data set and CoNLL-style or ``word/TAG`` files give them;
* :class:`LabelledSequences`: numeric sequences of shape ``(T, F)`` with one label each, as
  the ``japanese-vowels`` data set gives them.

File formats read by :func:`read_tagged`:

* CoNLL style: one token per line, columns separated by tabs or spaces, the **first** column
  is the word and the **last** the tag; a blank line ends a sentence; ``-DOCSTART-`` lines
  are skipped.
* ``word/TAG``: one sentence per line, tokens separated by whitespace, each token split at
  its **last** ``/`` (so ``1/2/CD`` is the word ``1/2`` with tag ``CD``).

>>> import tempfile
>>> from pathlib import Path
>>> path = Path(tempfile.mkdtemp()) / "t.txt"
>>> _ = path.write_text("The/DET dog/NOUN barks/VERB\\n")
>>> read_tagged(path).tags
[['DET', 'NOUN', 'VERB']]
"""

from __future__ import annotations

import builtins
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.exceptions import DataError

TAGGED_SPLITS = ("train", "valid", "test", "train+valid", "all")
TAGSETS = ("universal", "brown")


@dataclass(frozen=True)
class TaggedSentences:
    """Sentences with one tag per token.

    Attributes
    ----------
    sentences : list of list of str
        The tokens of each sentence.
    tags : list of list of str
        ``tags[i][j]`` is the tag of ``sentences[i][j]``; the same lengths.
    ids : list of str
        Where each sentence came from (a document id, or ``"file:line"``).
    """

    sentences: builtins.list[builtins.list[str]]
    tags: builtins.list[builtins.list[str]]
    ids: builtins.list[str]

    def __len__(self) -> int:
        return len(self.sentences)

    @property
    def n_tokens(self) -> int:
        """Tokens over all sentences."""
        return sum(len(s) for s in self.sentences)

    @property
    def tagset(self) -> builtins.list[str]:
        """The distinct tags, sorted."""
        return sorted({t for ts in self.tags for t in ts})


@dataclass(frozen=True)
class LabelledSequences:
    """Numeric sequences (arrays of shape ``(T, F)``, ``T`` varying) with one label each.

    Attributes
    ----------
    sequences : list of ndarray of shape (T, F), float64
    labels : list of str
    """

    sequences: builtins.list[np.ndarray]
    labels: builtins.list[str]

    def __len__(self) -> int:
        return len(self.sequences)

    @property
    def classes(self) -> builtins.list[str]:
        """The distinct labels, sorted."""
        return sorted(set(self.labels))


# ------------------------------------------------------------------ files
def _split_word_tag(token: str, where: str) -> tuple[str, str]:
    word, sep, tag = token.rpartition("/")
    if not sep or not word or not tag:
        raise DataError(f"{where}: token {token!r} is not word/TAG; write each token as word/TAG "
                        "(or use a CoNLL file: token<TAB>tag per line).")
    return word, tag


def _looks_conll(lines: builtins.list[str]) -> bool:
    """CoNLL when the first lines all have the same number (>= 2) of columns and most tokens are not word/TAG."""
    rows = [line.split() for line in lines[:200] if line.strip() and not line.startswith("-DOCSTART-")]
    if not rows or len({len(r) for r in rows}) != 1 or len(rows[0]) < 2:
        return False
    tokens = [t for r in rows for t in r]
    return sum("/" in t[1:-1] for t in tokens) < 0.5 * len(tokens)


def read_tagged(path: str | Path, *, format: str = "auto", encoding: str = "utf-8") -> TaggedSentences:
    """Tagged sentences from a CoNLL-style file or a ``word/TAG`` file.

    Parameters
    ----------
    path : str or Path
        The file (``-`` for stdin; ``.gz``/``.xz``/``.bz2`` read transparently).
    format : {"auto", "conll", "slash"}, default="auto"
        ``"auto"`` picks CoNLL when lines have several columns that are not ``word/TAG``.
    encoding : str, default="utf-8"

    Raises
    ------
    DataError
        A CoNLL line with a single column, a ``word/TAG`` token without a tag, or no sentences.
    """
    from seqlab.data.readers import read_lines

    if format not in ("auto", "conll", "slash"):
        raise DataError(f"format must be 'auto', 'conll' or 'slash'; got {format!r}.")
    lines = builtins.list(read_lines(path, encoding=encoding))
    conll = format == "conll" or (format == "auto" and _looks_conll(lines))
    sentences: builtins.list[builtins.list[str]] = []
    tags: builtins.list[builtins.list[str]] = []
    ids: builtins.list[str] = []
    if conll:
        words: builtins.list[str] = []
        labels: builtins.list[str] = []
        start = 1
        for n, line in enumerate([*lines, ""], 1):
            cols = line.split()
            if not cols:
                if words:
                    sentences.append(words)
                    tags.append(labels)
                    ids.append(f"{path}:{start}")
                words, labels, start = [], [], n + 1
                continue
            if cols[0] == "-DOCSTART-":
                continue
            if len(cols) < 2:
                raise DataError(f"{path}:{n}: line {line!r} has one column; a CoNLL line needs the token "
                                "and its tag (token<TAB>tag), and a blank line between sentences.")
            words.append(cols[0])
            labels.append(cols[-1])
    else:
        for n, line in enumerate(lines, 1):
            tokens = line.split()
            if not tokens:
                continue
            pairs = [_split_word_tag(t, f"{path}:{n}") for t in tokens]
            sentences.append([w for w, _ in pairs])
            tags.append([t for _, t in pairs])
            ids.append(f"{path}:{n}")
    if not sentences:
        raise DataError(f"{path} holds no tagged sentences; expected token<TAB>tag lines or word/TAG tokens.")
    return TaggedSentences(sentences=sentences, tags=tags, ids=ids)


def write_tagged(sentences: builtins.list[builtins.list[str]], tags: builtins.list[builtins.list[str]], *,
                 format: str = "slash") -> str:
    """Text of tagged sentences: ``word/TAG`` lines (``"slash"``) or CoNLL blocks (``"conll"``)."""
    if format == "conll":
        return "".join("".join(f"{w}\t{t}\n" for w, t in zip(s, ts, strict=True)) + "\n"
                       for s, ts in zip(sentences, tags, strict=True))
    return "".join(" ".join(f"{w}/{t}" for w, t in zip(s, ts, strict=True)) + "\n"
                   for s, ts in zip(sentences, tags, strict=True))


# ------------------------------------------------------------------ bundled: brown-pos
def split_of_document(position: int) -> str:
    """Split of the document at 0-based ``position`` within its genre (sorted by id): 8/1/1."""
    r = position % 10
    return "test" if r == 9 else "valid" if r == 4 else "train"


@functools.cache
def _brown_documents() -> tuple[tuple[str, tuple[tuple[tuple[str, str], ...], ...]], ...]:
    """(id, sentences of (word, original tag)) per Brown file, sorted by id."""
    from seqlab.data.datasets import _read_text

    docs: builtins.list[tuple[str, builtins.list[tuple[tuple[str, str], ...]]]] = []
    for line in _read_text("brown-pos.txt.xz").splitlines():
        if line.startswith("## "):
            docs.append((line[3:].strip(), []))
        elif line.strip():
            docs[-1][1].append(tuple(tuple(t.rsplit("/", 1)) for t in line.split()))  # type: ignore[misc]
    docs.sort(key=lambda d: d[0])
    return tuple((i, tuple(s)) for i, s in docs)


def _brown_split_ids(split: str) -> builtins.list[str]:
    docs = _brown_documents()
    by_genre: dict[str, builtins.list[str]] = {}
    for doc_id, _ in docs:
        by_genre.setdefault(doc_id[1], []).append(doc_id)
    chosen = set()
    for ids in by_genre.values():
        for pos, doc_id in enumerate(sorted(ids)):
            s = split_of_document(pos)
            if split == "all" or s == split or (split == "train+valid" and s != "test"):
                chosen.add(doc_id)
    return [d for d, _ in docs if d in chosen]


def load_brown_pos(split: str = "train", *, tagset: str = "universal") -> TaggedSentences:
    """The tagged Brown corpus, split by document (see :func:`split_of_document`).

    ``tagset="universal"`` maps tags with :func:`seqlab.tag.tagsets.brown_to_universal`;
    ``"brown"`` keeps the original tags, upper case (as NLTK gives them).
    """
    from seqlab.tag.tagsets import brown_to_universal

    if tagset not in TAGSETS:
        raise DataError(f"tagset must be one of {', '.join(TAGSETS)}; got {tagset!r}.")
    convert = brown_to_universal if tagset == "universal" else str.upper
    keep = set(_brown_split_ids(split))
    sentences, tags, ids = [], [], []
    for doc_id, sents in _brown_documents():
        if doc_id in keep:
            for sent in sents:
                sentences.append([w for w, _ in sent])
                tags.append([convert(t) for _, t in sent])
                ids.append(doc_id)
    return TaggedSentences(sentences=sentences, tags=tags, ids=ids)


# ------------------------------------------------------------------ bundled: japanese-vowels
@functools.cache
def _vowels() -> dict[str, Any]:
    from seqlab.data.datasets import _read_text

    table: dict[str, Any] = json.loads(_read_text("japanese-vowels.json.xz"))
    return table


def load_japanese_vowels(split: str = "train") -> LabelledSequences:
    """UCI Japanese Vowels: ``train`` (270), ``test`` (370) or ``all``; arrays of shape (T, 12), labels "1".."9"."""
    parts = ("train", "test") if split == "all" else (split,)
    items = [item for part in parts for item in _vowels()[part]]
    return LabelledSequences(sequences=[np.asarray(i["values"], dtype=np.float64) for i in items],
                             labels=[str(i["label"]) for i in items])


# ------------------------------------------------------------------ data specs for commands
def load_tagged(spec: str, *, tagset: str = "universal", encoding: str = "utf-8") -> TaggedSentences:
    """Tagged sentences from ``brown-pos[:SPLIT]`` or a CoNLL / ``word/TAG`` file path."""
    from seqlab.data.catalog import REGISTRY
    from seqlab.data.datasets import resolve

    resolved = resolve(spec)
    if resolved is not None:
        name, split = resolved
        if REGISTRY[name].kind != "tagged":
            raise DataError(f"Dataset {name!r} is {REGISTRY[name].kind}, not tagged sentences; use brown-pos "
                            "or a CoNLL / word/TAG file.")
        return load_brown_pos(split, tagset=tagset)
    return read_tagged(spec, encoding=encoding)
