"""Bundled datasets: reference equality with the KenLM prep, split rules, views, errors."""

from __future__ import annotations

import lzma
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from seqlab import datasets
from seqlab.data.datasets import DatasetInfo, LabelledTexts, Series
from seqlab.exceptions import DataError

FIXTURES = Path(__file__).parent / "fixtures"
TEXT = [n for n in datasets.list() if datasets.info(n).kind == "text"]
LABELLED = [n for n in datasets.list() if datasets.info(n).kind == "labelled"]
SERIES = [n for n in datasets.list() if datasets.info(n).kind == "series"]


def _fixture_lines(name: str) -> list[str]:
    return lzma.decompress((FIXTURES / name).read_bytes()).decode("utf-8").splitlines()


# ------------------------------------------------------------------ kjv == KenLM reference prep
def test_kjv_train_valid_starts_with_reference_train() -> None:
    ref = _fixture_lines("kjv_prep_train_8000.txt.xz")
    assert len(ref) == 8000
    ours = [" ".join(t) for t in datasets.load("kjv", "train+valid")[:8000]]
    assert ours == ref


def test_kjv_test_starts_with_reference_test() -> None:
    ref = _fixture_lines("kjv_prep_test_1000.txt.xz")
    assert len(ref) == 1000
    assert [" ".join(t) for t in datasets.load("kjv", "test")[:1000]] == ref


def test_kjv_whole_bible_counts_match_reference_readme() -> None:
    train = datasets.load("kjv", "train+valid")
    test = datasets.load("kjv", "test")
    assert sum(map(len, train)) == 821_765
    assert len({w for s in train for w in s}) == 12_357
    assert sum(map(len, test)) == 91_943
    assert len(test) == 3_110
    vocab = {w for s in train for w in s}
    oov = sum(1 for s in test for w in s if w not in vocab)
    assert oov == 434


# ------------------------------------------------------------------ splits
@pytest.mark.parametrize("name", TEXT)
def test_text_splits_partition_all_by_the_rule(name: str) -> None:
    lines = datasets.load_lines(name, "all")
    parts = {s: datasets.load_lines(name, s) for s in ("train", "valid", "test", "train+valid")}
    expected = {"train": [], "valid": [], "test": []}
    for n, line in enumerate(lines, 1):
        expected["test" if n % 10 == 0 else "valid" if n % 10 == 5 else "train"].append(line)
    for s in ("train", "valid", "test"):
        assert parts[s] == expected[s]
    tv = [line for n, line in enumerate(lines, 1) if n % 10]
    assert parts["train+valid"] == tv
    assert len(parts["train"]) + len(parts["valid"]) + len(parts["test"]) == len(lines)
    assert all(line.strip() and line == line.rstrip() for line in lines)
    info = datasets.info(name)
    assert {s: len(parts[s]) for s in ("train", "valid", "test")} == dict(info.sizes)


@pytest.mark.parametrize("name", TEXT)
def test_text_load_is_deterministic_and_cache_safe(name: str) -> None:
    a = datasets.load(name, "valid")
    a[0].append("CORRUPTED")
    a.append(["x"])
    b = datasets.load(name, "valid")
    assert "CORRUPTED" not in b[0] and b[-1] != ["x"]
    assert b == datasets.load(name, "valid")
    lines = datasets.load_lines(name, "valid")
    lines[0] = "CORRUPTED"
    assert datasets.load_lines(name, "valid")[0] != "CORRUPTED"


@pytest.mark.parametrize("name", TEXT)
def test_char_and_word_views_agree(name: str) -> None:
    lines = datasets.load_lines(name, "test")
    chars = datasets.load(name, "test", level="char")
    words = datasets.load(name, "test", level="word")
    assert len(chars) == len(words) == len(lines)
    for line, c, w in zip(lines[:500], chars, words):
        assert "".join(c) == line
        assert w == datasets.PREP_TOKEN.findall(line.lower())
        # the word view loses only case and whitespace
        assert "".join(w) == "".join(line.lower().split())


def test_kjv_char_level_keeps_case_and_strips_reference() -> None:
    first = "".join(datasets.load("kjv", "all", level="char")[0])
    assert first == "In the beginning God created the heaven and the earth."


# ------------------------------------------------------------------ resolve / load_corpus
def test_resolve() -> None:
    assert datasets.resolve("kjv") == ("kjv", "train")
    assert datasets.resolve("kjv:test") == ("kjv", "test")
    assert datasets.resolve("kjv:train+valid") == ("kjv", "train+valid")
    assert datasets.resolve("corpus.txt") is None
    assert datasets.resolve("/tmp/kjv") is None
    with pytest.raises(DataError, match="no split 'bogus'"):
        datasets.resolve("kjv:bogus")


def test_load_corpus_bundled_and_file(tmp_path: Path) -> None:
    assert datasets.load_corpus("kjv:test") == datasets.load("kjv", "test")
    chars = datasets.load_corpus("kjv:test", tokenizer="char")
    assert chars == datasets.load("kjv", "test", level="char")
    assert datasets.load_corpus("kjv:test", level="char", lowercase=True)[0] == [c.lower() for c in chars[0]]
    f = tmp_path / "t.txt"
    f.write_text("a b c\n\n  \nd e\n", encoding="utf-8")
    assert datasets.load_corpus(str(f)) == [["a", "b", "c"], ["d", "e"]]
    assert datasets.load_corpus(str(f), tokenizer="char")[1] == ["d", " ", "e"]


def test_load_corpus_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n\n", encoding="utf-8")
    with pytest.raises(DataError, match="holds no tokens"):
        datasets.load_corpus(str(empty))
    with pytest.raises(DataError, match="does not exist"):
        datasets.load_corpus(str(tmp_path / "missing.txt"))
    with pytest.raises(DataError, match="applies only to bundled"):
        datasets.load_corpus(str(empty), level="char")
    for name in LABELLED + SERIES:
        with pytest.raises(DataError, match="not a text corpus"):
            datasets.load_corpus(name)


# ------------------------------------------------------------------ errors and info
def test_unknown_name_lists_available() -> None:
    with pytest.raises(DataError, match="kjv") as exc:
        datasets.load("no-such-set")
    assert "no-such-set" in str(exc.value)
    with pytest.raises(DataError):
        datasets.info("no-such-set")


def test_bad_split_and_options() -> None:
    with pytest.raises(DataError, match="no split"):
        datasets.load("kjv", "dev")
    with pytest.raises(DataError, match="level"):
        datasets.load("kjv", level="byte")
    with pytest.raises(DataError, match="no option"):
        datasets.load("kjv", headers=True)


@pytest.mark.parametrize("name", datasets.list())
def test_info_records(name: str) -> None:
    info = datasets.info(name)
    assert isinstance(info, DatasetInfo)
    assert info.name == name and info.kind in ("text", "labelled", "series")
    assert info.description and info.source and info.licence
    assert info.bytes > 0 and info.n_items > 0
    assert info.to_dict()["name"] == name
    with pytest.raises(AttributeError):
        info.name = "x"  # type: ignore[misc]


def test_total_bundled_size_under_budget() -> None:
    assert sum(datasets.info(n).bytes for n in datasets.list()) < 25_000_000


def test_list_kinds_ordered() -> None:
    names = datasets.list()
    assert "kjv" in names and len(names) == len(set(names))
    kinds = [datasets.info(n).kind for n in names]
    assert kinds == sorted(kinds, key=["text", "labelled", "series"].index)
