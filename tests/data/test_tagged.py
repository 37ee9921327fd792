"""Tagged sentences and labelled sequences: bundled sets, CoNLL and word/TAG readers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seqlab import datasets
from seqlab.data.tagged import TaggedSentences, load_tagged, read_tagged, write_tagged
from seqlab.exceptions import DataError


def test_brown_pos_split_is_by_document_and_disjoint() -> None:
    parts = {s: datasets.load("brown-pos", s) for s in ("train", "valid", "test")}
    docs = {s: set(p.ids) for s, p in parts.items()}
    assert not docs["train"] & docs["valid"] and not docs["train"] & docs["test"]
    assert not docs["valid"] & docs["test"]
    assert sum(len(d) for d in docs.values()) == 500, "every document in exactly one split"
    full = datasets.load("brown-pos", "all")
    assert sum(len(p) for p in parts.values()) == len(full) == 57340
    assert full.n_tokens == 1161192
    for s, p in parts.items():
        assert len(p) == datasets.info("brown-pos").sizes[s]


def test_brown_pos_tagsets() -> None:
    uni = datasets.load("brown-pos", "test")
    orig = datasets.load("brown-pos", "test", tagset="brown")
    assert uni.sentences == orig.sentences
    assert set(uni.tagset) <= {"NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT", "X", "."}
    assert len(orig.tagset) > 100, "the original Brown tag set has hundreds of composite tags"
    assert all(len(s) == len(t) for s, t in zip(uni.sentences, uni.tags, strict=False))
    with pytest.raises(DataError, match="tagset"):
        datasets.load("brown-pos", tagset="ptb")


def test_japanese_vowels_shapes() -> None:
    train, test = datasets.load("japanese-vowels", "train"), datasets.load("japanese-vowels", "test")
    assert (len(train), len(test)) == (270, 370)
    assert train.classes == [str(i) for i in range(1, 10)]
    lengths = [x.shape[0] for x in train.sequences + test.sequences]
    assert min(lengths) == 7 and max(lengths) == 29
    assert all(x.shape[1] == 12 and x.dtype == np.float64 for x in train.sequences)
    assert [train.labels.count(str(i)) for i in range(1, 10)] == [30] * 9


def test_read_conll_and_slash(tmp_path: Path) -> None:
    conll = tmp_path / "a.conll"
    conll.write_text("-DOCSTART- O\n\nEU\tNNP\tB-ORG\nrejects\tVBZ\tO\n\nPeter NNP B-PER\nBlackburn NNP I-PER\n")
    got = read_tagged(conll)
    assert got.sentences == [["EU", "rejects"], ["Peter", "Blackburn"]]
    assert got.tags == [["B-ORG", "O"], ["B-PER", "I-PER"]], "the last column is the tag"
    slash = tmp_path / "b.txt"
    slash.write_text("The/DET 1/2/NUM cats/NOUN\n\nrun/VERB\n")
    got = read_tagged(slash)
    assert got.sentences == [["The", "1/2", "cats"], ["run"]] and got.tags == [["DET", "NUM", "NOUN"], ["VERB"]]
    again = tmp_path / "c.txt"
    again.write_text(write_tagged(got.sentences, got.tags, format="conll"))
    assert read_tagged(again, format="conll").tags == got.tags


@pytest.mark.parametrize("text, match", [
    ("The/DET dog\n", "not word/TAG"),
    ("a\tB\nlonely\n", "one column"),
    ("\n\n", "no tagged sentences"),
])
def test_bad_tag_files(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(DataError, match=match):
        read_tagged(path, format="conll" if "\t" in text else "auto")


def test_load_tagged_spec() -> None:
    got = load_tagged("brown-pos:valid", tagset="brown")
    assert isinstance(got, TaggedSentences) and len(got) == 5914
    with pytest.raises(DataError, match="not tagged"):
        load_tagged("kjv")
