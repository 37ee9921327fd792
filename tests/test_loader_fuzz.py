"""Fuzzing the interchange-file readers (ARPA, word2vec): only ``SeqlabError``, no big allocation."""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqlab.embed.formats import read_word2vec, write_word2vec
from seqlab.exceptions import FormatError, SeqlabError
from seqlab.ngram import read_arpa

#: no reader may allocate more than this for the small files below (the "stated cap")
ALLOC_CAP = 8 * 2**20

ARPA = """\\data\\
ngram 1=5
ngram 2=3

\\1-grams:
-1.0\t<s>\t-0.3
-0.5\t</s>
-2.0\t<unk>
-0.6\ta\t-0.2
-0.7\tb\t-0.1

\\2-grams:
-0.3\t<s> a
-0.4\ta b
-0.2\tb </s>

\\end\\
"""


def _read_bounded(read, path):  # type: ignore[no-untyped-def]
    """Call ``read(path)``; any error must be a SeqlabError, and peak allocation stays under the cap."""
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            read(path)
    except SeqlabError:
        pass
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < ALLOC_CAP, f"reading a {path.stat().st_size}-byte file allocated {peak} bytes"


def _mutate(text: bytes, edits: list[tuple[int, bytes]]) -> bytes:
    out = bytearray(text)
    for pos, chunk in edits:
        pos %= len(out) + 1
        out[pos:pos + len(chunk)] = chunk
    return bytes(out)


edits = st.lists(st.tuples(st.integers(0, 10_000), st.binary(min_size=0, max_size=6) | st.sampled_from(
    [b"\n", b"\t", b" ", b"nan", b"inf", b"-99", b"\\end\\", b"ngram 9=", b"999999999999", b"\\3-grams:", b"<unk>"])),
    max_size=6)


@given(edits=edits)
def test_fuzzed_arpa_files(tmp_path_factory, edits):
    path = tmp_path_factory.mktemp("arpa") / "m.arpa"
    path.write_bytes(_mutate(ARPA.encode(), edits))
    _read_bounded(read_arpa, path)


@pytest.mark.parametrize("weight", ["nan", "inf", "-nan"])
def test_arpa_non_finite_weights_are_refused(tmp_path, weight):
    path = tmp_path / "m.arpa"
    path.write_text(ARPA.replace("-0.4\ta b", f"{weight}\ta b"))
    with pytest.raises(FormatError, match="NaN or infinite"):
        read_arpa(path)


@given(edits=edits, binary=st.booleans())
def test_fuzzed_word2vec_files(tmp_path_factory, edits, binary):
    directory = tmp_path_factory.mktemp("w2v")
    path = write_word2vec(directory / "v.bin", ["a", "b", "c"], np.arange(12, dtype=np.float32).reshape(3, 4),
                          binary=binary)
    path.write_bytes(_mutate(path.read_bytes(), edits))
    _read_bounded(read_word2vec, path)


@pytest.mark.parametrize("header", [b"999999999999 100\n", b"3 999999999999\n", b"1 4000000000\n"])
@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_header_counts_are_checked_against_the_file_size(tmp_path, header, binary):
    path = write_word2vec(tmp_path / "v", ["a", "b", "c"], np.ones((3, 4), np.float32), binary=binary)
    body = path.read_bytes().split(b"\n", 1)[1]
    path.write_bytes(header + body)
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match="header claims"):
            read_word2vec(path, binary=binary)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < ALLOC_CAP


def test_word2vec_non_finite_vectors_are_refused(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("2 2\na 1 2\nb nan 1\n")
    with pytest.raises(FormatError, match="'b'.*NaN or inf"):
        read_word2vec(path)
