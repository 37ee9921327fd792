"""ARPA back-off files: write (for KenLM, SRILM, ...) and read (e.g. KenLM's ``lmplz`` output).

The ARPA format stores, per order, ``log10 P(w1..wn)``, the n-gram and (below the highest
order) ``log10 b(w1..wn)``. seqlab's models are kept in exactly this backoff form, so a
written file reproduces seqlab's scores to the printed precision, and a read file scores
as KenLM scores it. The ``\\data\\`` header counts are checked against the sections.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seqlab.data.vocab import BOS, BOS_ID, PAD_ID, SPECIALS, UNK, UNK_ID, Vocabulary
from seqlab.exceptions import DataError, FormatError
from seqlab.io import atomic_file
from seqlab.ngram import _kernels as K

if TYPE_CHECKING:
    from seqlab.ngram.model import NGramLM

LN10 = math.log(10.0)
ZERO_LOG10 = -99.0  # how ARPA spells probability 0
MISSING_UNK_LOG10 = -100.0  # what KenLM gives unknown words when a file has no <unk>


def _log10(values: np.ndarray) -> list[float]:
    v = values / LN10
    return np.where(np.isfinite(v), v, ZERO_LOG10).tolist()  # type: ignore[no-any-return]


def write_arpa(model: NGramLM, path: str | Path) -> Path:
    """Write ``model`` to ``path`` atomically (a temporary sibling renamed into place).

    Weights are written with 8 significant digits; the n-gram strings of each order are
    built from those of the order below (one concatenation per row).
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path} is a directory; give a file name for the ARPA output.")
    V = len(model.vocabulary_)
    itos = model.vocabulary_.itos
    N = len(model.keys_)
    sizes = [V - 1] + [int(k.size) for k in model.keys_[1:]]  # unigrams: every id but <pad>
    with atomic_file(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\\data\\\n")
        for n, size in enumerate(sizes, 1):
            f.write(f"ngram {n}={size}\n")
        grams: list[str] = list(itos)
        for n in range(1, N + 1):
            f.write(f"\n\\{n}-grams:\n")
            lp = model.log_probs_[n - 1].copy()
            if n == 1:
                lp[BOS_ID] = 0.0  # <s> is context only (KenLM writes 0)
            else:
                keys = model.keys_[n - 1]
                grams = [grams[p] + " " + itos[w] for p, w in zip((keys // V).tolist(), (keys % V).tolist(),
                                                                   strict=True)]
            rows = range(1, V) if n == 1 else range(len(grams))  # skip <pad>
            probs = _log10(lp)
            if n < N:
                bos = _log10(model.log_backoffs_[n - 1])
                f.writelines(f"{probs[i]:.8g}\t{grams[i]}\t{bos[i]:.8g}\n" for i in rows)
            else:
                f.writelines(f"{probs[i]:.8g}\t{grams[i]}\n" for i in rows)
        f.write("\n\\end\\\n")
    return path


_SECTION = re.compile(r"^[ \t]*\\(\d+)-grams:[ \t]*\r?$", re.MULTILINE)
_END = re.compile(r"^[ \t]*\\end\\[ \t]*\r?$", re.MULTILINE)


def _read_text(path: str | Path) -> str:
    """The whole (possibly compressed) file as text; bad UTF-8 is reported with its byte offset."""
    from seqlab.data.readers import open_binary

    with open_binary(path) as stream:
        raw = stream.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: byte 0x{raw[exc.start]:02x} at offset {exc.start} is not valid utf-8; "
                        "ARPA files are read as UTF-8.") from None


def _parse(path: str | Path) -> tuple[list[int], list[str]]:
    """Header counts and the body text of each ``\\N-grams:`` section, with structure checks."""
    text = _read_text(path)
    data = text.find("\\data\\")
    if data < 0:
        raise FormatError(f"{path} is not an ARPA file: no \\data\\ line found.")
    marks = list(_SECTION.finditer(text, data))
    end = _END.search(text, marks[-1].end() if marks else data)
    if end is None:
        raise FormatError(f"{path} is truncated: the \\end\\ line is missing.")
    header: dict[int, int] = {}
    for line in text[data + 6: marks[0].start() if marks else end.start()].splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            key, value = line.split("=")
            if not key.startswith("ngram "):
                raise ValueError
            header[int(key[6:])] = int(value)
        except ValueError:
            raise FormatError(f"{path}: bad header line {line!r}; expected 'ngram N=COUNT'.") from None
    bodies = []
    for i, mark in enumerate(marks):
        if int(mark.group(1)) != i + 1:
            raise FormatError(f"{path}: section \\{mark.group(1)}-grams: is out of order; expected \\{i + 1}-grams:.")
        stop = marks[i + 1].start() if i + 1 < len(marks) else end.start()
        bodies.append(text[mark.end():stop])
    order = len(bodies)
    if order == 0 or sorted(header) != list(range(1, order + 1)):
        raise FormatError(f"{path}: the \\data\\ header lists orders {sorted(header)} but the file has "
                          f"sections 1..{order}.")
    if order > 10:
        raise FormatError(f"{path}: seqlab reads ARPA models of order 1..10, this one has order {order}.")
    return [header[n] for n in range(1, order + 1)], bodies


def _floats(values: list[str]) -> np.ndarray:
    return np.fromiter(map(float, values), dtype=np.float64, count=len(values))


def _columns(path: str | Path, body: str, n: int, expected: int) -> tuple[np.ndarray, list[list[str]], np.ndarray]:
    """(ln P, the n word columns, ln b) of one section body.

    Vectorised (list slicing, C-level ``map``) when the fields split evenly into ``expected``
    rows of ``n + 2`` (or ``n + 1``) fields; otherwise line by line, with the count check and
    line-precise errors.
    """
    flat = body.split()
    for width in (n + 2, n + 1):
        if expected and len(flat) == expected * width:
            try:
                probs = _floats(flat[0::width])
                bos = _floats(flat[width - 1::width]) if width == n + 2 else np.zeros(expected)
            except ValueError:
                break
            return probs * LN10, [flat[1 + j::width] for j in range(n)], bos * LN10
    sec = [line for line in body.splitlines() if line.strip()]
    if len(sec) != expected:
        raise FormatError(f"{path}: the header says ngram {n}={expected} but the \\{n}-grams: section "
                          f"has {len(sec)} entries; the file is damaged or was edited.")
    probs = np.empty(len(sec))
    bos = np.zeros(len(sec))
    words: list[list[str]] = [[] for _ in range(n)]
    for i, line in enumerate(sec):
        f = line.split()
        if len(f) not in (n + 1, n + 2):
            raise FormatError(f"{path}: entry {i + 1} of \\{n}-grams: has {len(f)} fields, expected "
                              f"{n + 1} or {n + 2}: {line!r}.")
        try:
            probs[i] = float(f[0])
            if len(f) == n + 2:
                bos[i] = float(f[-1])
        except ValueError:
            raise FormatError(f"{path}: entry {i + 1} of \\{n}-grams: has a non-numeric weight: {line!r}.") from None
        for j in range(n):
            words[j].append(f[1 + j])
    return probs * LN10, words, bos * LN10


def read_arpa(path: str | Path) -> NGramLM:
    """Read an ARPA file into an :class:`~seqlab.ngram.NGramLM` (smoothing ``FromARPA``)."""
    from seqlab.ngram.model import NGramLM
    from seqlab.ngram.smoothing import Estimate, FromARPA

    counts, sections = _parse(path)
    N = len(sections)
    p1, g1, b1 = _columns(path, sections[0], 1, counts[0])
    words = g1[0]
    ordinary = [w for w in words if w not in SPECIALS]
    if len(set(ordinary)) != len(ordinary):
        raise FormatError(f"{path}: the \\1-grams: section lists a word twice.")
    vocab = Vocabulary(ordinary)
    V = len(vocab)
    ids = np.fromiter((vocab.stoi[w] for w in words), dtype=np.int64, count=len(words))
    P1 = np.full(V, -np.inf)
    B1 = np.zeros(V)
    P1[ids] = p1
    B1[ids] = b1
    P1[[PAD_ID, BOS_ID]] = -np.inf
    if UNK not in words:  # KenLM's rule for files without <unk> (its lm/test_nounk.arpa)
        warnings.warn(f"{path}: the ARPA file has no <unk>; unknown words get log10 probability "
                      f"{MISSING_UNK_LOG10:g}, as KenLM substitutes.", UserWarning, stacklevel=2)
        P1[UNK_ID] = MISSING_UNK_LOG10 * LN10
    if not (np.isfinite(p1) | (p1 == -np.inf)).all() or not np.isfinite(b1).all():
        raise FormatError(f"{path}: the \\1-grams: section holds a NaN or infinite weight; the file is damaged.")
    mats = [np.arange(V, dtype=np.int64).reshape(-1, 1)]
    probs, backs = [P1], [B1]
    for n in range(2, N + 1):
        p, grams, b = _columns(path, sections[n - 1], n, counts[n - 1])
        stoi = vocab.stoi
        try:
            cols = [np.fromiter(map(stoi.__getitem__, col), dtype=np.int64, count=len(col)) for col in grams]
        except KeyError as exc:
            raise FormatError(f"{path}: the {n}-grams use the word {exc.args[0]!r}, which is not a unigram.") from None
        if np.isnan(p).any() or np.isposinf(p).any() or not np.isfinite(b).all():
            raise FormatError(f"{path}: the \\{n}-grams: section holds a NaN or infinite weight; the file is damaged.")
        mat = np.column_stack(cols)
        mats.append(mat)
        probs.append(p)
        backs.append(b)
    try:
        keys, perms = K.keys_from_ids(mats, V)
    except KeyError as exc:
        raise FormatError(f"{path}: an n-gram's context is missing from the lower order (row {exc.args[0]}); "
                          "seqlab needs every n-gram's prefix, as KenLM does.") from None
    for n in range(2, N + 1):
        if (keys[n - 1][1:] == keys[n - 1][:-1]).any():  # sorted: duplicates are neighbours
            raise FormatError(f"{path}: the \\{n}-grams: section lists an n-gram twice.")
    est = Estimate([probs[n][perms[n]] for n in range(N)], [backs[n][perms[n]] for n in range(N)])
    model = NGramLM(order=N, smoothing=FromARPA())
    model._set_estimate(vocab, keys, est)
    if BOS not in words:
        raise FormatError(f"{path}: the \\1-grams: section has no <s>; it is needed as sentence context.")
    return model
