"""Streaming readers: lines and token sequences from files, without loading whole files.

Decoding errors become a ``DataError`` naming the file and the byte offset of the bad byte,
with the fix (``--encoding``). ``-`` means standard input.
"""

from __future__ import annotations

import codecs
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from seqlab.data.tokenize import Tokenizer, WhitespaceTokenizer, get_tokenizer
from seqlab.exceptions import DataError

#: bytes read at a time by :func:`read_whitespace_sequences` (then completed to the end of a line)
BLOCK_BYTES = 1 << 24
#: encodings in which every ``\n`` byte is a line end and a block cut after one decodes as its lines do
_LINE_SAFE_CODECS = frozenset({"utf-8", "ascii", "iso8859-1", "cp1252"})


def open_binary(path: str | Path) -> BinaryIO:
    if str(path) == "-":
        return sys.stdin.buffer
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p} does not exist; give a path to a text file (or - for stdin).")
    if p.is_dir():
        raise DataError(f"{p} is a directory; give a path to a text file.")
    if p.suffix in (".gz", ".xz", ".bz2"):
        import bz2
        import gzip
        import lzma

        opener: Any = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}[p.suffix]
        stream: BinaryIO = opener(p, "rb")
        return stream
    return open(p, "rb")


def _codec(encoding: str) -> codecs.CodecInfo:
    try:
        return codecs.lookup(encoding)
    except LookupError:
        raise DataError(f"Unknown encoding {encoding!r}; try utf-8, latin-1 or cp1252.") from None


def decode_bytes(raw: bytes, encoding: str, path: str | Path, offset: int) -> str:
    """``raw`` (which starts at byte ``offset`` of ``path``) decoded, or a DataError naming the bad byte."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: byte 0x{raw[exc.start]:02x} at offset {offset + exc.start} is not valid {encoding}; "
            "pass --encoding (e.g. latin-1) or fix the file."
        ) from None


def read_lines(path: str | Path, *, encoding: str = "utf-8") -> Iterator[str]:
    """Yield the lines of a text file (without line ends), decoding as ``encoding``.

    Compressed files (``.gz``, ``.xz``, ``.bz2``) are read transparently.
    """
    _codec(encoding)
    offset = 0
    stream = open_binary(path)
    try:
        for raw in stream:
            text = decode_bytes(raw, encoding, path, offset)
            offset += len(raw)
            yield text.rstrip("\r\n")
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def read_whitespace_sequences(path: str | Path, *, encoding: str = "utf-8", lowercase: bool = False
                              ) -> list[list[str]]:
    """The whitespace tokens of every non-blank line of ``path``: ``list(read_sequences(path, "whitespace"))``.

    The same lists, read in blocks of :data:`BLOCK_BYTES` cut after a line end: each block is
    decoded once and split with ``str.split``, so no Python code runs per line or token. A
    decoding error names the same byte and offset as :func:`read_lines`. Encodings other than
    UTF-8, ASCII, Latin-1 and cp1252 (where a ``\\n`` byte may sit inside a character, or a
    BOM is stripped per line) are read line by line as before.
    """
    if _codec(encoding).name not in _LINE_SAFE_CODECS:
        return list(read_sequences(path, WhitespaceTokenizer(lowercase=lowercase), encoding=encoding))
    out: list[list[str]] = []
    offset = 0
    stream = open_binary(path)
    try:
        while raw := stream.read(BLOCK_BYTES):
            raw += stream.readline()  # complete the last line, so that a block never cuts one
            lines = decode_bytes(raw, encoding, path, offset).split("\n")
            offset += len(raw)
            out.extend(filter(None, map(str.split, map(str.lower, lines) if lowercase else lines)))
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    return out


def read_sequences(path: str | Path, tokenizer: str | Tokenizer = "whitespace", *, encoding: str = "utf-8",
                   lowercase: bool = False, skip_blank: bool = True) -> Iterator[list[str]]:
    """Yield one token list per line of ``path``; blank lines are skipped by default."""
    tok = get_tokenizer(tokenizer, lowercase=lowercase)
    for line in read_lines(path, encoding=encoding):
        tokens = tok(line)
        if tokens or not skip_blank:
            yield tokens


class LineCorpus:
    """A restartable iterable of token lists streamed from a file (safe for several passes).

    Word2Vec epochs and vocabulary-then-count passes iterate it more than once; each pass
    re-reads the file, so memory stays flat for large corpora.
    """

    def __init__(self, path: str | Path, tokenizer: str | Tokenizer = "whitespace", *,
                 encoding: str = "utf-8", lowercase: bool = False) -> None:
        self.path, self.encoding = path, encoding
        self.tokenizer = get_tokenizer(tokenizer, lowercase=lowercase)
        if str(path) == "-":
            raise DataError("A LineCorpus cannot re-read stdin; save the text to a file first.")
        open_binary(path).close()  # fail now, not at the first pass

    def __iter__(self) -> Iterator[list[str]]:
        return read_sequences(self.path, self.tokenizer, encoding=self.encoding)

    def __repr__(self) -> str:
        return f"LineCorpus({str(self.path)!r}, tokenizer={self.tokenizer.name!r})"


def require_tokens(sequences: Iterable[list[str]], source: str) -> list[list[str]]:
    """Materialise ``sequences``; raise a ``DataError`` naming ``source`` if no tokens are found."""
    out = [s for s in sequences if s]
    if not out:
        raise DataError(f"{source} holds no tokens (empty, or only blank lines); give a non-empty corpus.")
    return out
