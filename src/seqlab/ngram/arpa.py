"""ARPA back-off files: write (for KenLM, SRILM, ...) and read (e.g. KenLM's ``lmplz`` output).

The ARPA format stores, per order, ``log10 P(w1..wn)``, the n-gram and (below the highest
order) ``log10 b(w1..wn)``. seqlab's models are kept in exactly this backoff form, so a
written file reproduces seqlab's scores to the printed precision, and a read file scores
as KenLM scores it. The ``\\data\\`` header counts are checked against the sections.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seqlab.data.readers import read_lines
from seqlab.data.vocab import BOS, BOS_ID, PAD_ID, SPECIALS, Vocabulary
from seqlab.exceptions import DataError, FormatError
from seqlab.ngram import _kernels as K

if TYPE_CHECKING:
    from seqlab.ngram.model import NGramLM

LN10 = math.log(10.0)
ZERO_LOG10 = -99.0  # how ARPA spells probability 0


def _fmt(values: np.ndarray) -> list[str]:
    v = values / LN10
    v = np.where(np.isfinite(v), v, ZERO_LOG10)
    return [f"{x:.8g}" for x in v.tolist()]


def write_arpa(model: NGramLM, path: str | Path) -> Path:
    """Write ``model`` to ``path`` atomically (a temporary sibling renamed into place)."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path} is a directory; give a file name for the ARPA output.")
    V = len(model.vocabulary_)
    itos = np.asarray(model.vocabulary_.itos, dtype=object)
    mats = K.ngram_ids(model.keys_, V)
    N = len(mats)
    keep = [np.ones(m.shape[0], dtype=bool) for m in mats]
    keep[0][PAD_ID] = False
    sizes = [int(k.sum()) for k in keep]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write("\\data\\\n")
            for n, size in enumerate(sizes, 1):
                f.write(f"ngram {n}={size}\n")
            for n in range(1, N + 1):
                f.write(f"\n\\{n}-grams:\n")
                sel = keep[n - 1]
                lp = model.log_probs_[n - 1][sel].copy()
                if n == 1:
                    lp[model.keys_[0][sel] == BOS_ID] = 0.0  # <s> is context only (KenLM writes 0)
                probs = _fmt(lp)
                grams = [" ".join(row) for row in itos[mats[n - 1][sel]].tolist()]
                if n < N:
                    bos = _fmt(model.log_backoffs_[n - 1][sel])
                    f.writelines(f"{p}\t{g}\t{b}\n" for p, g, b in zip(probs, grams, bos))
                else:
                    f.writelines(f"{p}\t{g}\n" for p, g in zip(probs, grams))
            f.write("\n\\end\\\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _parse(path: str | Path) -> tuple[list[int], list[list[str]]]:
    """Header counts and, per order, the split lines of its section (with line numbers checked)."""
    header: dict[int, int] = {}
    sections: list[list[str]] = []
    state = "start"
    current: list[str] | None = None
    for lineno, line in enumerate(read_lines(path), 1):
        s = line.strip()
        if state == "start":
            if s == "\\data\\":
                state = "header"
            continue
        if state == "header":
            if s.startswith("ngram "):
                try:
                    n_str, c_str = s[6:].split("=")
                    header[int(n_str)] = int(c_str)
                except ValueError:
                    raise FormatError(f"{path}:{lineno}: bad header line {s!r}; expected 'ngram N=COUNT'.") from None
                continue
            if not s:
                continue
            state = "body"
        if state == "body":
            if s == "\\end\\":
                state = "end"
                break
            if s.startswith("\\") and s.endswith("-grams:"):
                n = int(s[1:-7]) if s[1:-7].isdigit() else -1
                if n != len(sections) + 1:
                    raise FormatError(f"{path}:{lineno}: section {s!r} out of order; expected \\{len(sections) + 1}-grams:.")
                current = []
                sections.append(current)
                continue
            if not s:
                continue
            if current is None:
                raise FormatError(f"{path}:{lineno}: n-gram line before any \\N-grams: section.")
            current.append(s)
    if state == "start":
        raise FormatError(f"{path} is not an ARPA file: no \\data\\ line found.")
    if state != "end":
        raise FormatError(f"{path} is truncated: the \\end\\ line is missing.")
    order = len(sections)
    if sorted(header) != list(range(1, order + 1)):
        raise FormatError(f"{path}: the \\data\\ header lists orders {sorted(header)} but the file has "
                          f"sections 1..{order}.")
    for n, sec in enumerate(sections, 1):
        if len(sec) != header[n]:
            raise FormatError(f"{path}: the header says ngram {n}={header[n]} but the \\{n}-grams: section "
                              f"has {len(sec)} entries; the file is damaged or was edited.")
    if not 1 <= order <= 10:
        raise FormatError(f"{path}: seqlab reads ARPA models of order 1..10, this one has order {order}.")
    return [header[n] for n in range(1, order + 1)], sections


def _columns(path: str | Path, sec: list[str], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ln P, words of shape (rows, n), ln b) of one section; vectorised when every line has
    the same number of fields, line by line (with line-precise errors) otherwise."""
    flat = "\n".join(sec).split()
    rows = len(sec)
    for width in (n + 2, n + 1):
        if rows and len(flat) == rows * width:
            table = np.asarray(flat, dtype=object).reshape(rows, width)
            try:
                probs = table[:, 0].astype(np.float64)
                bos = table[:, -1].astype(np.float64) if width == n + 2 else np.zeros(rows)
            except ValueError:
                break
            return probs * LN10, table[:, 1:n + 1], bos * LN10
    probs = np.empty(rows)
    bos = np.zeros(rows)
    words = np.empty((rows, n), dtype=object)
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
        words[i] = f[1:n + 1]
    return probs * LN10, words, bos * LN10


def read_arpa(path: str | Path) -> NGramLM:
    """Read an ARPA file into an :class:`~seqlab.ngram.NGramLM` (smoothing ``FromARPA``)."""
    from seqlab.ngram.model import NGramLM
    from seqlab.ngram.smoothing import Estimate, FromARPA

    _, sections = _parse(path)
    N = len(sections)
    p1, g1, b1 = _columns(path, sections[0], 1)
    words = g1[:, 0].tolist()
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
    mats = [np.arange(V, dtype=np.int64).reshape(-1, 1)]
    probs, backs = [P1], [B1]
    for n in range(2, N + 1):
        p, grams, b = _columns(path, sections[n - 1], n)
        stoi = vocab.stoi
        try:
            flat_ids = [stoi[w] for w in grams.ravel().tolist()]
            mat = np.asarray(flat_ids, dtype=np.int64).reshape(-1, n)
        except KeyError as exc:
            raise FormatError(f"{path}: the {n}-grams use the word {exc.args[0]!r}, which is not a unigram.") from None
        mats.append(mat)
        probs.append(p)
        backs.append(b)
    try:
        keys, perms = K.keys_from_ids(mats, V)
    except KeyError as exc:
        raise FormatError(f"{path}: an n-gram's context is missing from the lower order (row {exc.args[0]}); "
                          "seqlab needs every n-gram's prefix, as KenLM does.") from None
    for n in range(2, N + 1):
        if np.unique(keys[n - 1]).size != keys[n - 1].size:
            raise FormatError(f"{path}: the \\{n}-grams: section lists an n-gram twice.")
    est = Estimate([probs[n][perms[n]] for n in range(N)], [backs[n][perms[n]] for n in range(N)])
    model = NGramLM(order=N, smoothing=FromARPA())
    model._set_estimate(vocab, keys, est)
    if BOS not in words:
        raise FormatError(f"{path}: the \\1-grams: section has no <s>; it is needed as sentence context.")
    return model
