"""Pair data sets and the ``source<TAB>target`` reader."""

from __future__ import annotations

import pytest

from seqlab import datasets
from seqlab.data.pairs import Pairs, load_pairs, load_pairs_spec, read_pairs
from seqlab.exceptions import DataError

PAIRS = [n for n in datasets.list() if datasets.info(n).kind == "pairs"]


@pytest.mark.parametrize("name", PAIRS)
def test_splits_partition_and_match_catalog(name: str) -> None:
    info = datasets.info(name)
    parts = {s: load_pairs(name, s) for s in ("train", "valid", "test")}
    assert {s: len(p) for s, p in parts.items()} == dict(info.sizes), "catalog sizes must match the file"
    seen = [set(p.sources) for p in parts.values()]
    if name != "kjv-rv1909":  # verses are the items there, and 70 Spanish verses repeat word for word
        assert not (seen[0] & seen[2]) and not (seen[1] & seen[2]) and not (seen[0] & seen[1]), "splits are disjoint"
    assert len(load_pairs(name, "all")) == sum(map(len, parts.values()))
    p = parts["test"]
    assert all(r[0] == t for r, t in zip(p.references, p.targets, strict=True)), "first reference is the target"


def test_cmudict_variants_and_stress() -> None:
    train = load_pairs("cmudict", "train")
    i = train.sources.index("a")
    assert train.targets[i] == "AH0" and train.references[i] == ["AH0", "EY1"], "variants kept as references"
    flat = load_pairs("cmudict", "train", stress=False)
    assert flat.targets[i] == "AH" and not any(c.isdigit() for c in flat.targets[i])
    with pytest.raises(DataError, match="cmudict only"):
        load_pairs("dates", "train", stress=False)


def test_dates_targets_are_iso() -> None:
    p = load_pairs("dates", "valid")
    assert all(len(t) == 10 and t[4] == "-" and t[7] == "-" for t in p.targets)
    assert datasets.load("dates", "valid").sources == p.sources, "datasets.load dispatches to pairs"


def test_read_pairs_file(tmp_path) -> None:
    f = tmp_path / "p.tsv"
    f.write_text("abc\tx y\n\nde\tz\textra\n")
    p = read_pairs(f)
    assert p.sources == ["abc", "de"] and p.targets == ["x y", "z"] and len(p) == 2
    assert load_pairs_spec(str(f)).targets == p.targets


@pytest.mark.parametrize(("text", "match"), [("abc\tx\nno tab here\n", "line 2 has no tab"),
                                              ("\tx\n", "line 1 has an empty source"),
                                              ("a\t \n", "line 1 has an empty target"),
                                              ("\n\n", "holds no")])
def test_read_pairs_bad_lines(tmp_path, text: str, match: str) -> None:
    f = tmp_path / "bad.tsv"
    f.write_text(text)
    with pytest.raises(DataError, match=match):
        read_pairs(f)


def test_spec_of_wrong_kind() -> None:
    with pytest.raises(DataError, match="not pairs"):
        load_pairs_spec("kjv")
    with pytest.raises(DataError, match="has no split"):
        load_pairs_spec("dates:nope")


def test_pairs_length_mismatch() -> None:
    with pytest.raises(DataError, match="one of each"):
        Pairs(["a"], ["b", "c"])
