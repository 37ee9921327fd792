"""Bundled real datasets: text corpora, labelled texts and numeric series, offline.

Every data set ships compressed inside the package (``seqlab/data/bundled/``); nothing is
downloaded at run time. ``DATASETS.md`` gives each one's source package, licence and
attribution, and ``scripts/build_<name>.py`` rebuilds each file from its registry package.

Three kinds:

* ``"text"`` (``kjv``, ``shakespeare``, ``austen``): :func:`load` gives one token list per
  line (``level="word"`` or ``"char"``), :func:`load_lines` the raw lines.
* ``"labelled"`` (``spamassassin``, ``brown-genres``): :func:`load` gives :class:`LabelledTexts`.
* ``"series"`` (``sunspots``, ``births``, ...): :func:`load` gives a :class:`Series`.

Split rule of every text corpus: number the non-empty lines of the whole text 1, 2, 3, ...;
line ``n`` goes to ``test`` when ``n % 10 == 0``, to ``valid`` when ``n % 10 == 5`` and to
``train`` otherwise. ``"train+valid"`` is everything but test and ``"all"`` everything, in
text order. For ``kjv`` this is the split of the KenLM reference preparation (``prep.py``):
its training side is ``"train+valid"``, its test side ``"test"``.

The word level of every text corpus is ``prep.py``'s tokenization: lowercase, then the
regex :data:`PREP_TOKEN` (words with one inner apostrophe, digit runs, every other
non-space character alone). The char level is the characters of the original line
(case kept; for ``kjv`` without the verse reference).

Parsed objects are cached in memory (:func:`functools.lru_cache`); every call returns fresh
lists or arrays, so changing a result never changes what the next call returns.

>>> from seqlab import datasets
>>> datasets.load("kjv", "test")[0][:6]
['and', 'god', 'called', 'the', 'dry', 'land']
>>> datasets.resolve("kjv:test")
('kjv', 'test')
"""

from __future__ import annotations

import builtins
import functools
import lzma
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqlab.data.catalog import (
    REGISTRY,
    DatasetInfo,
    bundled_path,
)
from seqlab.data.tokenize import CORPUS_WORD_PATTERN, Tokenizer, corpus_tokenizer, tokenizer_from_json
from seqlab.exceptions import DataError

PREP_TOKEN = re.compile(CORPUS_WORD_PATTERN)
"""Word-level regex of the KenLM reference preparation, applied to lowercased text."""

# ------------------------------------------------------------------ public records
@dataclass(frozen=True)
class LabelledTexts:
    """Texts with one label each, as loaded from a labelled data set.

    Attributes
    ----------
    texts : list of str
        The documents.
    labels : list of str
        One label per text (``"ham"``/``"spam"``, a genre name, ...).
    ids : list of str
        A stable identifier per text (e.g. ``"spam_2/00123.txt"``), in the same order.
    """

    texts: builtins.list[str]
    labels: builtins.list[str]
    ids: builtins.list[str]

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def classes(self) -> builtins.list[str]:
        """The distinct labels, sorted."""
        return sorted(set(self.labels))


@dataclass(frozen=True)
class Series:
    """A univariate numeric time series.

    Attributes
    ----------
    values : ndarray of shape (n,), float64
        The observations, oldest first, without missing values.
    index : ndarray of shape (n,)
        Time stamps: years as int64, or ISO dates (``"1969-01-01"``, ``"1949-01"``) as str.
    name : str
        Data set name.
    frequency : str
        ``"Y"`` yearly, ``"Q"`` quarterly, ``"M"`` monthly, ``"W"`` weekly or ``"D"`` daily.
    """

    values: np.ndarray
    index: np.ndarray
    name: str
    frequency: str

    def __len__(self) -> int:
        return int(self.values.shape[0])


# ------------------------------------------------------------------ lookup
def list() -> builtins.list[str]:  # noqa: A001 - the public name the issue asks for
    """Names of every bundled data set, sorted by kind (text, labelled, series) then registration order."""
    order = {"text": 0, "labelled": 1, "series": 2, "tagged": 3, "sequences": 4, "pairs": 5}
    return sorted(REGISTRY, key=lambda n: (order[REGISTRY[n].kind], builtins.list(REGISTRY).index(n)))


def info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` of a bundled data set; ``DataError`` naming the known ones otherwise."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise DataError(
            f"Unknown dataset {name!r}; the bundled datasets are: {', '.join(list())}."
        ) from None


def _check_split(ds: DatasetInfo, split: str) -> str:
    if split not in ds.splits:
        raise DataError(f"Dataset {ds.name!r} has no split {split!r}; choose one of {', '.join(ds.splits)}.")
    return split


def resolve(spec: str) -> tuple[str, str] | None:
    """Parse a ``NAME`` or ``NAME:SPLIT`` data spec; ``None`` when it names no bundled data set.

    ``"kjv"`` gives ``("kjv", "train")`` (``("sunspots", "all")`` for a series) and
    ``"kjv:test"`` gives ``("kjv", "test")``. Anything else (a file path) gives ``None``, so
    callers read it as a file; a bundled name wins over a file of the same name (write
    ``./kjv`` for the file). A bundled name with an unknown split raises ``DataError``.
    """
    if not isinstance(spec, str):
        return None
    name, sep, split = spec.partition(":")
    if name not in REGISTRY:
        return None
    ds = REGISTRY[name]
    if not sep:
        split = ds.splits[0]
    return name, _check_split(ds, split)


# ------------------------------------------------------------------ raw files
@functools.cache
def _read_text(file: str) -> str:
    """Decompressed text of one bundled file (UTF-8)."""
    path = bundled_path(file)
    if not path.exists():
        raise DataError(f"Bundled file {file} is missing from {path.parent}; reinstall seqlab "
                        f"or rebuild it with scripts/build_*.py.")
    return lzma.decompress(path.read_bytes()).decode("utf-8")


# ------------------------------------------------------------------ text corpora
def _split_of(n: int) -> str:
    """Split of the 1-based line number ``n`` (the rule of every text corpus)."""
    r = n % 10
    return "test" if r == 0 else "valid" if r == 5 else "train"


def _in_split(n: int, split: str) -> bool:
    if split == "all":
        return True
    if split == "train+valid":
        return n % 10 != 0
    return _split_of(n) == split


@functools.cache
def _all_lines(name: str) -> tuple[str, ...]:
    """Every non-empty line of a text corpus, trailing whitespace removed, in text order."""
    text = _read_text(REGISTRY[name].file)
    return tuple(line.rstrip() for line in text.split("\n") if line.strip())


@functools.cache
def _split_lines(name: str, split: str) -> tuple[str, ...]:
    lines = _all_lines(name)
    if split == "all":
        return lines
    return tuple(line for n, line in enumerate(lines, 1) if _in_split(n, split))


@functools.cache
def _split_tokens(name: str, split: str, level: str) -> tuple[tuple[str, ...], ...]:
    if split != "all" and level == "word":  # tokenize each line once, then select
        full = _split_tokens(name, "all", level)
        return tuple(t for n, t in enumerate(full, 1) if _in_split(n, split))
    lines = _split_lines(name, split)
    if level == "char":
        return tuple(tuple(line) for line in lines)
    findall = PREP_TOKEN.findall
    return tuple(tuple(findall(line.lower())) for line in lines)


def tokenize(text: str, *, level: str = "word") -> builtins.list[str]:
    """Tokenize new text exactly as the bundled text corpora are (for prompts and held-out text).

    ``level="word"``: lowercase, then :data:`PREP_TOKEN` (the KenLM reference regex);
    ``level="char"``: the characters, case kept.

    >>> tokenize("In the Beginning, 2 o'clock!")
    ['in', 'the', 'beginning', ',', '2', "o'clock", '!']
    """
    return tokenizer(level=level)(text)


def tokenizer(name: str | None = None, *, level: str = "word") -> Tokenizer:
    """The tokenizer a bundled text corpus was split with, as a :class:`~seqlab.data.tokenize.Tokenizer`.

    Every text corpus (``name``: ``"kjv"``, ``"shakespeare"``, ``"austen"``, or None for any)
    shares it: ``level="word"`` lowercases, then :data:`PREP_TOKEN`; ``level="char"`` gives the
    characters. Its JSON form (``tokenizer(...).to_json()``) restores it exactly, so a model
    trained on a corpus saves it and reads new text the same way.

    >>> tokenizer("kjv")("Verse 3:16")
    ['verse', '3', ':', '16']
    """
    if level not in ("word", "char"):
        raise DataError(f"The 'level' of a text corpus must be 'word' or 'char'; got {level!r}.")
    if name is None:
        return corpus_tokenizer(level)
    ds = _text_dataset(name.partition(":")[0], "all")
    return tokenizer_from_json(ds.extra["tokenizer"][level])  # the catalog entry is the one home


def _text_dataset(name: str, split: str) -> DatasetInfo:
    ds = info(name)
    if ds.kind != "text":
        raise DataError(f"Dataset {name!r} is {ds.kind}, not a text corpus; use datasets.load({name!r}) "
                        f"or one of the text corpora: {', '.join(n for n in list() if REGISTRY[n].kind == 'text')}.")
    _check_split(ds, split)
    return ds


def load_lines(name: str, split: str = "train") -> builtins.list[str]:
    """Raw lines of a text corpus split (one verse/printed line each), for custom tokenizers.

    Parameters
    ----------
    name : str
        A text corpus: ``"kjv"``, ``"shakespeare"`` or ``"austen"``.
    split : {"train", "valid", "test", "train+valid", "all"}, default="train"
        See the module docstring for the rule.

    Returns
    -------
    list of str
        Lines in text order, without line ends or trailing spaces (``kjv``: no verse reference).
    """
    _text_dataset(name, split)
    return builtins.list(_split_lines(name, split))


def _load_text(name: str, split: str, level: str) -> builtins.list[builtins.list[str]]:
    _text_dataset(name, split)
    if level not in ("word", "char"):
        raise DataError(f"The 'level' of a text corpus must be 'word' or 'char'; got {level!r}.")
    return [builtins.list(t) for t in _split_tokens(name, split, level)]


# ------------------------------------------------------------------ labelled sets
@functools.cache
def _spam_raw() -> tuple[tuple[str, ...], tuple[bytes, ...]]:
    """Ids (``group/stem``) and raw message bytes of the SpamAssassin archive, sorted by id."""
    import io
    import tarfile

    data = lzma.decompress(bundled_path(REGISTRY["spamassassin"].file).read_bytes())
    ids, raws = [], []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        for member in tar:
            fh = tar.extractfile(member)
            if fh is not None:
                ids.append(member.name)
                raws.append(fh.read())
    order = sorted(range(len(ids)), key=ids.__getitem__)
    return tuple(ids[i] for i in order), tuple(raws[i] for i in order)


@functools.cache
def _labelled_meta(name: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(ids, labels, strata, texts) of a labelled set, sorted by id; spamassassin's texts are parsed later."""
    if name == "spamassassin":
        ids, _ = _spam_raw()
        groups = tuple(i.split("/", 1)[0] for i in ids)
        labels = tuple("spam" if g.startswith("spam") else "ham" for g in groups)
        return ids, labels, groups, ()
    import json

    records = [json.loads(line) for line in _read_text(REGISTRY[name].file).splitlines() if line.strip()]
    records.sort(key=lambda r: r["id"])
    labels = tuple(r["label"] for r in records)
    return tuple(r["id"] for r in records), labels, labels, tuple(r["text"] for r in records)


@functools.cache
def _spam_text(index: int, headers: bool) -> str:
    """One SpamAssassin message parsed (cached, so each message is parsed at most once per option)."""
    from seqlab.data.email import parse_email

    return parse_email(_spam_raw()[1][index], headers=headers)


def labelled_split_mask(ids: tuple[str, ...] | builtins.list[str], strata: tuple[str, ...] | builtins.list[str]
                        ) -> np.ndarray:
    """Boolean test mask of the fixed stratified split: per stratum, sorted by id, every 5th is test."""
    mask = np.zeros(len(ids), dtype=bool)
    by_stratum: dict[str, builtins.list[int]] = {}
    for i, stratum in enumerate(strata):
        by_stratum.setdefault(stratum, []).append(i)
    for members in by_stratum.values():
        members.sort(key=lambda i: ids[i])
        for pos, i in enumerate(members):
            mask[i] = pos % 5 == 4
    return mask


def _load_labelled(name: str, split: str, *, headers: bool = False, limit: int | None = None,
                   **bad: Any) -> LabelledTexts:
    _no_options(name, bad)
    if headers and name != "spamassassin":
        raise DataError(f"headers=True applies only to 'spamassassin'; {name!r} has no email headers.")
    ids, labels, strata, texts = _labelled_meta(name)
    if split == "all":
        keep = builtins.list(range(len(ids)))
    else:
        mask = labelled_split_mask(ids, strata)
        keep = np.flatnonzero(mask if split == "test" else ~mask).tolist()
    keep = keep[:limit]
    if name == "spamassassin":  # parse only the messages asked for, once each
        chosen = [_spam_text(i, bool(headers)) for i in keep]
    else:
        chosen = [texts[i] for i in keep]
    return LabelledTexts(texts=chosen, labels=[labels[i] for i in keep], ids=[ids[i] for i in keep])


def preview(name: str, split: str, n: int) -> Any:
    """The first ``n`` items of a split without loading (or parsing) the rest: lines, LabelledTexts or Series."""
    ds = info(name)
    _check_split(ds, split)
    if ds.kind == "text":
        return builtins.list(_split_lines(name, split)[:n])
    if ds.kind == "labelled":
        return _load_labelled(name, split, limit=n)
    if ds.kind in ("tagged", "sequences"):
        full_set = _LOADERS[ds.kind](name, split)
        return type(full_set)(**{k: v[:n] for k, v in vars(full_set).items()})
    if ds.kind == "pairs":
        return _load_pairs(name, split)[:n]
    full = _load_series(name, split)
    return Series(values=full.values[:n], index=full.index[:n], name=name, frequency=full.frequency)


# ------------------------------------------------------------------ series
@functools.cache
def _series_table() -> dict[str, Any]:
    import json

    table: dict[str, Any] = json.loads(_read_text("series.json.xz"))
    return table


@functools.cache
def _series(name: str) -> Series:
    record = _series_table()[name]
    raw = np.array([np.nan if v is None else v for v in record["values"]], dtype=np.float64)
    values = _fill_linear(raw)
    index_list = record["index"]
    index = np.array(index_list, dtype=np.int64 if isinstance(index_list[0], int) else str)
    values.setflags(write=False)
    index.setflags(write=False)
    return Series(values=values, index=index, name=name, frequency=record["frequency"])


def _fill_linear(values: np.ndarray) -> np.ndarray:
    """Missing values (NaN) replaced by linear interpolation between their neighbours by position."""
    missing = np.isnan(values)
    if missing.any():
        pos = np.arange(values.size)
        values = values.copy()
        values[missing] = np.interp(pos[missing], pos[~missing], values[~missing])
    return values


def _load_series(name: str, split: str, **bad: Any) -> Series:
    _no_options(name, bad)
    cached = _series(name)
    return Series(values=cached.values.copy(), index=cached.index.copy(), name=name, frequency=cached.frequency)


# ------------------------------------------------------------------ dispatch
def load(name: str, split: str | None = None, *, level: str | None = None, headers: bool | None = None,
         tagset: str | None = None) -> Any:
    """Load a bundled data set.

    Parameters
    ----------
    name : str
        One of :func:`list`.
    split : str, optional
        Text corpora: ``"train"`` (default), ``"valid"``, ``"test"``, ``"train+valid"``, ``"all"``.
        Labelled sets: ``"train"`` (default), ``"test"``, ``"all"``. Series: ``"all"`` only.
    level : {"word", "char"}, optional
        Text corpora only: token lists of words (default; the KenLM reference tokenization,
        lowercased) or of the characters of each line (case kept).
    headers : bool, optional
        ``spamassassin`` only: keep every email header in the text (default False: the
        subject line, a blank line, then the body).

    Returns
    -------
    list of list of str, LabelledTexts or Series
        Text: one token list per line. Labelled: :class:`LabelledTexts`. Series: :class:`Series`.

    Raises
    ------
    DataError
        Unknown name (the message lists the bundled ones), unknown split, or an option the
        data set does not take.

    Examples
    --------
    >>> from seqlab import datasets
    >>> datasets.load("kjv", "all", level="char")[0][:5]
    ['I', 'n', ' ', 't', 'h']
    >>> spam = datasets.load("spamassassin", "test")
    >>> len(spam), spam.labels[0], spam.ids[0].split("/")[0]
    (1209, 'ham', 'easy-ham-1')
    >>> datasets.load("airline").values[:3]
    array([112., 118., 132.])
    """
    ds = info(name)
    split = ds.splits[0] if split is None else split
    _check_split(ds, split)
    options = {key: value for key, value in (("level", level), ("headers", headers), ("tagset", tagset))
               if value is not None}
    return _LOADERS[ds.kind](name, split, **options)


def _load_text_dispatch(name: str, split: str, *, level: str = "word", **bad: Any) -> Any:
    _no_options(name, bad)
    return _load_text(name, split, level)


def _no_options(name: str, bad: dict[str, Any]) -> None:
    if bad:
        raise DataError(f"datasets.load({name!r}) takes no option {', '.join(map(repr, bad))}; "
                        "see help(seqlab.datasets.load).")


def _load_tagged(name: str, split: str, *, tagset: str = "universal", **bad: Any) -> Any:
    from seqlab.data.tagged import load_brown_pos

    _no_options(name, bad)
    return load_brown_pos(split, tagset=tagset)


def _load_sequences(name: str, split: str, **bad: Any) -> Any:
    from seqlab.data.tagged import load_japanese_vowels

    _no_options(name, bad)
    return load_japanese_vowels(split)


def _load_pairs(name: str, split: str, **options: Any) -> Any:
    from seqlab.data.pairs import load_pairs

    bad = {k: v for k, v in options.items() if k != "stress"}
    _no_options(name, bad)
    return load_pairs(name, split, **options)


_LOADERS: dict[str, Any] = {"text": _load_text_dispatch, "labelled": _load_labelled, "series": _load_series,
                            "tagged": _load_tagged, "sequences": _load_sequences, "pairs": _load_pairs}


# ------------------------------------------------------------------ corpora for commands
def load_corpus(spec: str, *, tokenizer: str | Tokenizer = "whitespace", level: str | None = None,
                encoding: str = "utf-8", lowercase: bool = False) -> builtins.list[builtins.list[str]]:
    """Token sequences from a bundled text corpus spec (``kjv``, ``kjv:test``) or a text file.

    This is what every command's ``--data`` option goes through.

    Parameters
    ----------
    spec : str
        ``NAME[:SPLIT]`` of a bundled text corpus, or a path to a text file (``-`` for stdin;
        ``.gz``/``.xz``/``.bz2`` read transparently).
    tokenizer : {"whitespace", "word", "char", "regex"} or Tokenizer, default="whitespace"
        For files: how each line is split (a Tokenizer, e.g. a model's ``tokenizer_``, as it
        is). For a bundled corpus: ``"char"`` selects the char level, anything else the word
        level (already tokenized by the reference regex).
    level : {"word", "char"}, optional
        Bundled corpora only: overrides the choice made from ``tokenizer``.
    encoding : str, default="utf-8"
        Encoding of a file.
    lowercase : bool, default=False
        Fold case (the bundled word level is lowercase already).

    Returns
    -------
    list of list of str
        One token list per line; blank lines (empty or only whitespace) are skipped, as in the
        bundled corpora, so the char level never yields a sequence of spaces.

    Raises
    ------
    DataError
        The spec names a labelled or series data set, the file is missing or badly encoded,
        or the input holds no tokens.
    """
    from seqlab.data.readers import read_lines, read_whitespace_sequences, require_tokens
    from seqlab.data.tokenize import WhitespaceTokenizer, get_tokenizer

    resolved = resolve(spec)
    if resolved is not None:
        name, split = resolved
        tok_name = tokenizer.name if isinstance(tokenizer, Tokenizer) else tokenizer
        chosen = level or ("char" if tok_name == "char" else "word")
        seqs = _load_text(name, split, chosen)
        if lowercase and chosen == "char":
            seqs = [[c.lower() for c in s] for s in seqs]
        return require_tokens(seqs, f"dataset {name}:{split}")
    if level is not None:
        raise DataError(f"level={level!r} applies only to bundled corpora; {spec!r} is a file path "
                        "(choose the tokenizer instead).")
    tok = get_tokenizer(tokenizer, lowercase=lowercase)
    if type(tok) is WhitespaceTokenizer:  # the common case, split a block at a time
        return require_tokens(read_whitespace_sequences(spec, encoding=encoding, lowercase=tok.lowercase), str(spec))
    lines = read_lines(spec, encoding=encoding)
    return require_tokens((tok(line) for line in lines if line.strip()), str(spec))


_preview = preview  # the earlier private name
