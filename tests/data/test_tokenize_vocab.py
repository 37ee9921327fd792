"""Tokenizers, the Vocabulary and the streaming readers."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqlab.data import (
    LineCorpus,
    Vocabulary,
    get_tokenizer,
    read_lines,
    read_sequences,
)
from seqlab.exceptions import DataError, InvalidParameterError


def test_word_tokenizer_splits_punctuation():
    assert get_tokenizer("word")("He left!") == ["He", "left", "!"]
    assert get_tokenizer("word", lowercase=True)("Don't STOP.") == ["don't", "stop", "."]
    assert get_tokenizer("whitespace")(" a  b\tc ") == ["a", "b", "c"]
    assert get_tokenizer("char")("ab c\n") == ["a", "b", " ", "c"]


def test_unknown_tokenizer():
    with pytest.raises(InvalidParameterError, match="Unknown tokenizer 'bpe'"):
        get_tokenizer("bpe")


def test_vocabulary_specials_are_fixed():
    v = Vocabulary.build([["b", "a", "b", "c"]], min_count=1)
    assert v.itos[:4] == ["<pad>", "<unk>", "<s>", "</s>"]
    assert v.itos[4:] == ["b", "a", "c"], "most frequent first, ties alphabetical"
    assert v.encode(["a", "zz"], bos=True, eos=True).tolist() == [2, 5, 1, 3]
    assert v.decode([2, 5, 3], skip_specials=True) == ["a"]


def test_min_count_and_max_size():
    v = Vocabulary.build([["a", "a", "a", "b", "b", "c"]], min_count=2)
    assert list(v)[4:] == ["a", "b"]
    assert list(Vocabulary.build([["a", "a", "b", "c"]], max_size=1))[4:] == ["a"]
    with pytest.raises(InvalidParameterError):
        Vocabulary.build([["a"]], min_count=0)


@given(st.lists(st.lists(st.text(min_size=1, max_size=4), max_size=6), max_size=6))
def test_vocabulary_json_round_trip(seqs):
    v = Vocabulary.build(seqs) if all(t not in ("<pad>", "<unk>", "<s>", "</s>") for s in seqs for t in s) else None
    if v is None:
        return
    back = Vocabulary.from_json(v.to_json())
    assert back == v and back.counts == v.counts


def test_read_lines_reports_bad_byte_offset(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"hello\nab\xffcd\n")
    with pytest.raises(DataError, match=r"0xff at offset 8 .*--encoding"):
        list(read_lines(p))
    assert list(read_lines(p, encoding="latin-1"))[1] == "ab\xffcd"


def test_read_sequences_streams_and_skips_blank_lines(tmp_path):
    p = tmp_path / "c.txt.gz"
    with gzip.open(p, "wt", encoding="utf-8") as f:
        f.write("a b\n\n  \nc\n")
    assert list(read_sequences(p)) == [["a", "b"], ["c"]]
    corpus = LineCorpus(p)
    assert list(corpus) == list(corpus), "a LineCorpus can be iterated more than once"


def test_missing_file_and_unknown_encoding(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        list(read_lines(tmp_path / "nope.txt"))
    (tmp_path / "x").write_text("a")
    with pytest.raises(DataError, match="Unknown encoding"):
        list(read_lines(tmp_path / "x", encoding="klingon"))
