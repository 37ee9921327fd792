"""The block reader of whitespace-tokenised files equals the line-by-line reader, errors included."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.data import readers
from seqlab.data.datasets import load_corpus
from seqlab.data.readers import read_sequences, read_whitespace_sequences
from seqlab.exceptions import DataError

# line ends, blanks, Unicode whitespace that str.split() splits on (\x1c, \x85, \u2028, \u3000) and
# characters that change under lower() ("İ" grows a combining dot), across block boundaries
TRICKY = ("a b\r\nc  d\n\n \t \n\r\nΣΑΣ x\x1cy\x85z\u2028w\u3000v\nİ i\n\ufeffbom first\n"
          "trailing no newline")
ALPHABET = st.sampled_from(list("ab Σİ\t\r\n\x0b\x0c\x1c\x85\u2028\u3000é\ufeff"))


def _line_by_line(path: Path, **kw) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [s for s in read_sequences(path, "whitespace", **kw) if s]


@pytest.mark.parametrize("block", [1, 3, 7, 1 << 24])
@pytest.mark.parametrize("lowercase", [False, True])
def test_blocks_equal_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int, lowercase: bool) -> None:
    monkeypatch.setattr(readers, "BLOCK_BYTES", block)
    f = tmp_path / "c.txt"
    f.write_bytes(TRICKY.encode("utf-8"))
    expected = _line_by_line(f, lowercase=lowercase)
    assert expected and read_whitespace_sequences(f, lowercase=lowercase) == expected


@settings(max_examples=150, deadline=None)
@given(text=st.text(ALPHABET, max_size=60), block=st.integers(1, 9), lowercase=st.booleans())
def test_blocks_equal_lines_on_any_text(tmp_path_factory: pytest.TempPathFactory, text: str, block: int,
                                       lowercase: bool) -> None:
    f = tmp_path_factory.mktemp("r") / "c.txt"
    f.write_bytes(text.encode("utf-8"))
    saved = readers.BLOCK_BYTES
    readers.BLOCK_BYTES = block
    try:
        assert read_whitespace_sequences(f, lowercase=lowercase) == _line_by_line(f, lowercase=lowercase)
    finally:
        readers.BLOCK_BYTES = saved


def _outcome(read, path: Path, encoding: str) -> object:  # type: ignore[no-untyped-def]
    try:
        return read(path, encoding=encoding)
    except DataError as exc:
        return str(exc)


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "ascii", "utf-16", "utf-8-sig"])
def test_other_encodings_and_compressed(tmp_path: Path, encoding: str) -> None:
    """Same lists (or, for UTF-16, whose line reader splits a character at its 0x0a byte, the same error)."""
    text = "a b\nc d\n\ne\n" if encoding == "ascii" else "é b\r\nc d\n\nœ\n" if encoding == "cp1252" else "é b\nc\n"
    f = tmp_path / "c.txt"
    f.write_bytes(text.encode(encoding))
    gz = tmp_path / "c.txt.gz"
    gz.write_bytes(gzip.compress(text.encode(encoding)))
    for path in (f, gz):
        expected = _outcome(_line_by_line, path, encoding)
        assert _outcome(read_whitespace_sequences, path, encoding) == expected
        assert isinstance(expected, list if encoding != "utf-16" else str), expected


@pytest.mark.parametrize("block", [2, 1 << 24])
def test_bad_byte_named_as_the_line_reader_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    block: int) -> None:
    monkeypatch.setattr(readers, "BLOCK_BYTES", block)
    f = tmp_path / "bad.txt"
    f.write_bytes(b"ok line\nsecond \xc3\xa9 fine\nthird \xff bad\nlast\n")
    with pytest.raises(DataError) as fast:
        read_whitespace_sequences(f)
    with pytest.raises(DataError) as slow:
        _line_by_line(f)
    assert str(fast.value) == str(slow.value) and "0xff at offset 29" in str(fast.value)


def test_load_corpus_uses_it_and_keeps_its_errors(tmp_path: Path) -> None:
    f = tmp_path / "c.txt"
    f.write_text("A b\n\n  \nc\n")
    assert load_corpus(str(f)) == [["A", "b"], ["c"]]
    assert load_corpus(str(f), lowercase=True) == [["a", "b"], ["c"]]
    blank = tmp_path / "blank.txt"
    blank.write_text(" \n\t\n")
    with pytest.raises(DataError, match="holds no tokens"):
        load_corpus(str(blank))
    with pytest.raises(DataError, match="Unknown encoding"):
        load_corpus(str(f), encoding="no-such-codec")
    with pytest.raises(DataError, match="does not exist"):
        load_corpus(str(tmp_path / "missing.txt"))
