"""The word2vec text and binary formats (word2vec.c, gensim ``KeyedVectors.load_word2vec_format``).

Both start with a header line ``"<n_words> <vector_size>\\n"``. Then, per word:

* text: ``word v1 v2 ... vD\\n`` (values as decimal text, separated by single spaces);
* binary: ``word`` in UTF-8, one space, ``D`` little-endian float32 (``4 * D`` bytes), and a
  ``\\n`` (word2vec.c writes it, gensim does not; both are read).

Reading checks everything a damaged file can get wrong and raises a one-line ``FormatError``
that names the file, the record and what was expected: header counts, short or long vector
lines, truncated binary records, bad UTF-8, duplicate words.
"""

from __future__ import annotations

import bz2
import gzip
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seqlab.exceptions import DataError, FormatError
from seqlab.io import atomic_file

_MAX_WORD_BYTES = 10_000
_SMALL_ALLOCATION = 2**22  # bytes allocated up front without checking the header against the file


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise DataError(f"{path} does not exist or is not a file; give the path of a word2vec file.")
    if path.suffix == ".gz":
        return gzip.decompress(path.read_bytes())
    if path.suffix == ".bz2":
        return bz2.decompress(path.read_bytes())
    return path.read_bytes()


def _parse_header(path: Path, data: bytes) -> tuple[int, int, int]:
    end = data.find(b"\n")
    line = data[: end if end >= 0 else len(data)]
    fields = line.split()
    try:
        n, d = (int(f) for f in fields)
    except ValueError:
        shown = line[:60].decode("utf-8", "replace")
        raise FormatError(f"{path}: the first line must be '<n_words> <vector_size>', got {shown!r}; "
                          "this is not a word2vec file.") from None
    if n < 0 or d < 1:
        raise FormatError(f"{path}: header counts must be n_words >= 0 and vector_size >= 1, got {n} {d}.")
    return n, d, (end + 1 if end >= 0 else len(data))


def _looks_binary(data: bytes, pos: int, d: int) -> bool:
    end = data.find(b"\n", pos)
    first = data[pos: end if end >= 0 else len(data)]
    try:
        fields = first.decode("utf-8").rstrip().split(" ")
        [float(x) for x in fields[1:]]
    except (UnicodeDecodeError, ValueError):
        return True
    return len(fields) != d + 1


def _decode_word(path: Path, raw: bytes, offset: int, record: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: word {record + 1} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset "
                          f"{offset + exc.start}); the file is damaged or uses another encoding.") from None


def read_word2vec(path: str | os.PathLike[str], *, binary: bool | None = None,
                  limit: int | None = None) -> tuple[list[str], np.ndarray]:
    """Read a word2vec file; returns ``(words, vectors)`` with vectors float32 of shape (n, D).

    Parameters
    ----------
    binary : bool, optional
        Format of the file; None guesses it from the first record.
    limit : int, optional
        Read only the first ``limit`` words.
    """
    path = Path(path)
    data = _read_bytes(path)
    n, d, pos = _parse_header(path, data)
    if binary is None:
        binary = _looks_binary(data, pos, d) if n else False
    want = n if limit is None else min(n, int(limit))
    # the smallest record is a 1-byte word, a space and D floats (4 bytes each, or "x " as text):
    # check the header's claim against the bytes there before allocating (n, D) floats for it
    smallest = 4 * d + 2 if binary else 2 * d + 1
    if want * d * 4 > _SMALL_ALLOCATION and want * smallest > len(data) - pos + 1:
        raise FormatError(f"{path}: the header claims {n} words of {d} values, but the file has only "
                          f"{len(data) - pos} bytes after it; the header is wrong or the file is truncated.")
    reader = _read_binary if binary else _read_text
    words, vectors = reader(path, data, pos, n, d, want)
    if not np.isfinite(vectors).all():
        row = int(np.flatnonzero(~np.isfinite(vectors).all(axis=1))[0])
        raise FormatError(f"{path}: the vector of word {words[row]!r} (record {row + 1}) holds NaN or inf; "
                          "the file is damaged.")
    seen: dict[str, int] = {}
    for i, w in enumerate(words):
        if w in seen:
            raise FormatError(f"{path}: word {w!r} appears twice (records {seen[w] + 1} and {i + 1}).")
        seen[w] = i
    return words, vectors


def _read_binary(path: Path, data: bytes, pos: int, n: int, d: int, want: int) -> tuple[list[str], np.ndarray]:
    vectors = np.empty((want, d), np.float32)
    words: list[str] = []
    width = 4 * d
    for i in range(want):
        while pos < len(data) and data[pos] in (0x0A, 0x0D):
            pos += 1
        space = data.find(b" ", pos, pos + _MAX_WORD_BYTES)
        if space < 0:
            if pos >= len(data):
                raise FormatError(f"{path}: the header says {n} words, but the file ends after {i}; "
                                  "it is truncated or the header is wrong.")
            raise FormatError(f"{path}: record {i + 1} (offset {pos}) has no word followed by a space; "
                              "the file is damaged or not in the binary word2vec format.")
        words.append(_decode_word(path, data[pos:space], pos, i))
        start = space + 1
        if start + width > len(data):
            raise FormatError(f"{path}: the vector of word {words[-1]!r} (record {i + 1}) has "
                              f"{max(len(data) - start, 0)} of its {width} bytes; the file is truncated.")
        vectors[i] = np.frombuffer(data, dtype="<f4", count=d, offset=start)
        pos = start + width
    if want == n and data[pos:].strip():
        raise FormatError(f"{path}: the header says {n} words, but more data follows the last one; "
                          "the header count is wrong.")
    return words, vectors


def _read_text(path: Path, data: bytes, pos: int, n: int, d: int, want: int) -> tuple[list[str], np.ndarray]:
    vectors = np.empty((want, d), np.float32)
    words: list[str] = []
    lines = data[pos:].split(b"\n")
    offset = pos
    line_no = 1
    i = 0
    for raw in lines:
        line_no += 1
        here, offset = offset, offset + len(raw) + 1
        if not raw.strip():
            continue
        if i == want:
            if want < n:
                break
            raise FormatError(f"{path}: the header says {n} words, but line {line_no} holds another; "
                              "the header count is wrong.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(f"{path}: line {line_no} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset "
                              f"{here + exc.start}); the file is damaged or uses another encoding.") from None
        parts = text.rstrip().split(" ")
        if len(parts) != d + 1:
            raise FormatError(f"{path}: line {line_no} (word {parts[0]!r}) has {len(parts) - 1} values, "
                              f"but the header says vector_size {d}.")
        try:
            vectors[i] = np.asarray(parts[1:], dtype=np.float32)
        except ValueError:
            raise FormatError(f"{path}: line {line_no} (word {parts[0]!r}) has a value that is not a number.") from None
        words.append(parts[0])
        i += 1
    if i < want:
        raise FormatError(f"{path}: the header says {n} words, but the file holds only {i}; "
                          "it is truncated or the header is wrong.")
    return words, vectors


def write_word2vec(path: str | os.PathLike[str], words: Sequence[str], vectors: np.ndarray, *,
                   binary: bool = False) -> Path:
    """Write ``words`` and their ``vectors`` (shape (n, D)) in the word2vec format (atomically).

    Words may not contain whitespace (the format separates fields with spaces).
    """
    path = Path(path)
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or len(words) != vectors.shape[0]:
        raise DataError(f"vectors must have shape (len(words), D); got {vectors.shape} for {len(words)} words.")
    bad = next((w for w in words if not w or any(ch.isspace() for ch in w)), None)
    if bad is not None:
        raise FormatError(f"Word {bad!r} is empty or contains whitespace and cannot be written in the word2vec format.")
    n, d = vectors.shape
    with atomic_file(path) as out:
        out.write(f"{n} {d}\n".encode())
        if binary:
            little = vectors.astype("<f4", copy=False)
            for w, row in zip(words, little, strict=True):
                out.write(w.encode("utf-8") + b" " + row.tobytes() + b"\n")
        else:
            fmt = " ".join(["%.9g"] * d)
            for w, row in zip(words, vectors.tolist(), strict=True):
                out.write((w + " " + fmt % tuple(row) + "\n").encode("utf-8"))
    return path
