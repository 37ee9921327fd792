"""word2vec text/binary files: round trips, gensim interop both ways, malformed files."""

from __future__ import annotations

from pathlib import Path

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given

from seqlab.embed import Embeddings, read_word2vec, write_word2vec
from seqlab.exceptions import FormatError

WORDS = ["the", "naïve", "café", "日本", "x"]


@pytest.fixture
def vectors(rng) -> np.ndarray:
    return rng.normal(size=(len(WORDS), 6)).astype(np.float32)


@pytest.mark.parametrize("binary", [False, True])
def test_round_trip_is_exact(tmp_path, vectors, binary):
    path = write_word2vec(tmp_path / "v.w2v", WORDS, vectors, binary=binary)
    words, back = read_word2vec(path)  # the format is detected from the content
    assert words == WORDS
    np.testing.assert_array_equal(back, vectors)  # text uses %.9g: float32 round-trips exactly
    words, back = read_word2vec(path, binary=binary, limit=2)
    assert words == WORDS[:2] and back.shape == (2, 6)


@pytest.mark.reference
@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_our_files_and_we_read_gensims(tmp_path, vectors, binary):
    kv_mod = pytest.importorskip("gensim.models.keyedvectors")
    ours = Embeddings(WORDS, vectors)
    path = ours.save_word2vec_format(tmp_path / "ours.bin", binary=binary)
    kv = kv_mod.KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert list(kv.index_to_key) == WORDS
    np.testing.assert_allclose(kv.vectors, vectors, rtol=0, atol=0)
    theirs = tmp_path / "gensim.bin"
    kv.save_word2vec_format(str(theirs), binary=binary)
    back = Embeddings.load_word2vec_format(theirs)
    assert back.index_to_key == WORDS
    np.testing.assert_allclose(back.vectors, vectors, rtol=1e-6, atol=0)


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "bad.w2v"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("data,binary,match", [
    (b"3 2\na 1 2\nb 3 4\n", False, "header says 3 words, but the file holds only 2"),
    (b"1 2\na 1 2\nb 3 4\n", False, "header says 1 words, but line 3 holds another"),
    (b"2 3\na 1 2 3\nb 3 4\n", False, "line 3 .word 'b'. has 2 values, but the header says vector_size 3"),
    (b"2 2\na 1 2\nb 3 x\n", False, "line 3 .word 'b'. has a value that is not a number"),
    (b"1 2\n\xff\xfe 1 2\n", False, "line 2 is not valid UTF-8"),
    (b"hello world\n", None, "first line must be '<n_words> <vector_size>'"),
    (b"2 0\n", None, "vector_size >= 1"),
    (b"1 2\na \x00\x00", True, "has 2 of its 8 bytes; the file is truncated"),
    (b"1 2\nabc", True, "no word followed by a space"),
    (b"2 1\na \x00\x00\x80\x3f\n", True, "header says 2 words, but the file ends after 1"),
    (b"1 1\n\xc3\x28 \x00\x00\x80\x3f\n", True, "word 1 is not valid UTF-8"),
    (b"1 1\na \x00\x00\x80\x3f\nb \x00\x00\x80\x3f\n", True, "more data follows the last one"),
    (b"2 1\na 1\na 2\n", False, "word 'a' appears twice"),
])
def test_malformed_files_raise_one_line_errors(tmp_path, data, binary, match):
    path = _write(tmp_path, data)
    with pytest.raises(FormatError, match=match) as info:
        read_word2vec(path, binary=binary)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_words_with_spaces_cannot_be_written(tmp_path):
    with pytest.raises(FormatError, match="contains whitespace"):
        write_word2vec(tmp_path / "x.txt", ["new york"], np.zeros((1, 2)))
    assert not (tmp_path / "x.txt").exists()


_words = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1, max_size=8)


@given(words=st.lists(_words, min_size=1, max_size=6, unique=True), dim=st.integers(1, 5),
       binary=st.booleans(), seed=st.integers(0, 1000))
def test_round_trip_property(tmp_path_factory, words, dim, binary, seed):
    words = [w for w in words if not any(ch.isspace() for ch in w)]
    if not words:
        return
    vecs = np.random.default_rng(seed).normal(size=(len(words), dim)).astype(np.float32)
    path = write_word2vec(tmp_path_factory.mktemp("rt") / "v", words, vecs, binary=binary)
    got_words, got = read_word2vec(path, binary=binary)
    assert got_words == words
    np.testing.assert_array_equal(got, vecs)
