"""Bundled datasets: reference equality with the KenLM prep, split rules, views, errors."""

from __future__ import annotations

import json
import lzma
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqlab import datasets
from seqlab.data.datasets import DatasetInfo, LabelledTexts, Series, labelled_split_mask
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


@pytest.mark.parametrize("name", TEXT)
def test_text_word_counts_match_info(name: str) -> None:
    info = datasets.info(name)
    for split, n in info.extra["word_tokens"].items():
        seqs = datasets.load(name, split)
        assert sum(map(len, seqs)) == n
    for split, n in info.extra["word_types"].items():
        assert len({w for s in datasets.load(name, split) for w in s}) == n


def test_shakespeare_and_austen_content() -> None:
    shak = datasets.load_lines("shakespeare", "all")
    assert "Who's there?" in shak[:20000]  # Hamlet, I.i
    austen = datasets.load_lines("austen", "all")
    assert austen[0] == "SENSE AND SENSIBILITY"
    n = austen.index("It is a truth universally acknowledged, that a single man in possession")
    assert datasets.load("austen", "all")[n][:6] == ["it", "is", "a", "truth", "universally", "acknowledged"]
    assert sum(1 for line in shak if "Hamlet" in line) > 100


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
    for line, c, w in zip(lines[:500], chars, words, strict=False):
        assert "".join(c) == line
        assert w == datasets.PREP_TOKEN.findall(line.lower())
        # the word view loses only case and whitespace
        assert "".join(w) == "".join(line.lower().split())


@pytest.mark.parametrize("name", TEXT)
def test_tokenize_matches_bundled_views(name: str) -> None:
    lines = datasets.load_lines(name, "valid")[:300]
    assert [datasets.tokenize(x) for x in lines] == datasets.load(name, "valid")[:300]
    assert [datasets.tokenize(x, level="char") for x in lines] == datasets.load(name, "valid", level="char")[:300]
    with pytest.raises(DataError, match="level"):
        datasets.tokenize("x", level="bpe")


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
    assert info.name == name and info.kind in ("text", "labelled", "series", "tagged", "sequences", "pairs")
    assert info.description and info.source and info.licence
    assert info.bytes > 0 and info.n_items > 0
    assert info.to_dict()["name"] == name
    with pytest.raises(AttributeError):
        info.name = "x"  # type: ignore[misc]


def test_total_bundled_size_under_budget() -> None:
    files = {datasets.info(n).file for n in datasets.list()}
    bundled = Path(datasets.__file__).parent / "data" / "bundled"
    assert files <= {p.name for p in bundled.iterdir()}
    assert sum((bundled / f).stat().st_size for f in files) < 25_000_000


def test_list_kinds_ordered() -> None:
    names = datasets.list()
    assert "kjv" in names and len(names) == len(set(names))
    kinds = [datasets.info(n).kind for n in names]
    assert kinds == sorted(kinds, key=["text", "labelled", "series", "tagged", "sequences", "pairs"].index)


# ------------------------------------------------------------------ labelled sets
def test_spamassassin_sizes_labels_and_split() -> None:
    full = datasets.load("spamassassin", "all")
    assert isinstance(full, LabelledTexts) and len(full) == 6046
    assert Counter(full.labels) == {"ham": 4150, "spam": 1896}
    groups = Counter(i.split("/")[0] for i in full.ids)
    assert groups == {"easy-ham-1": 2500, "easy-ham-2": 1400, "hard-ham-1": 250, "spam-1": 500, "spam-2": 1396}
    assert all(("spam" in i.split("/")[0]) == (lab == "spam") for i, lab in zip(full.ids, full.labels, strict=False))
    train, test = datasets.load("spamassassin", "train"), datasets.load("spamassassin", "test")
    assert set(train.ids).isdisjoint(test.ids) and set(train.ids) | set(test.ids) == set(full.ids)
    assert {"train": len(train), "test": len(test)} == dict(datasets.info("spamassassin").sizes)
    # stratified: each group's test share is one in five (rounded down)
    test_groups = Counter(i.split("/")[0] for i in test.ids)
    assert all(test_groups[g] == n // 5 for g, n in groups.items())
    assert all(t.strip() for t in full.texts)
    k = full.ids.index("spam-2/00013.372ec9dc663418ca71f7d880a76f117a")
    assert full.texts[k].startswith('The Stock has "wow" factor')


def test_spamassassin_headers_option() -> None:
    bare = datasets.load("spamassassin", "test")
    with_headers = datasets.load("spamassassin", "test", headers=True)
    assert with_headers.ids == bare.ids and with_headers.labels == bare.labels
    assert "Return-Path:" in with_headers.texts[0] and "Return-Path:" not in bare.texts[0]
    with pytest.raises(DataError, match="headers"):
        datasets.load("brown-genres", headers=True)


def test_brown_genres_sizes_and_split() -> None:
    full = datasets.load("brown-genres", "all")
    assert len(full) == 500 and len(set(full.labels)) == 15
    assert set(full.labels) == set(datasets.info("brown-genres").extra["labels"])
    # the genre is the second letter of the file name
    by_letter: dict[str, set[str]] = {}
    for i, lab in zip(full.ids, full.labels, strict=False):
        by_letter.setdefault(i[1], set()).add(lab)
    assert all(len(v) == 1 for v in by_letter.values())
    assert full.labels[full.ids.index("ca01")] == "news"
    assert full.texts[0].startswith("The Fulton County Grand Jury said Friday")
    assert "/" not in full.texts[0].split("\n")[0]
    train, test = datasets.load("brown-genres"), datasets.load("brown-genres", "test")
    assert set(train.ids).isdisjoint(test.ids) and len(train) + len(test) == 500
    assert set(test.labels) == set(full.labels)  # every genre has >= 5 documents, so >= 1 test document
    assert test.ids == sorted(test.ids)


@pytest.mark.parametrize("name", LABELLED)
def test_labelled_cache_safe(name: str) -> None:
    a = datasets.load(name, "test")
    a.texts[0] = "CORRUPTED"
    a.labels.append("x")
    b = datasets.load(name, "test")
    assert b.texts[0] != "CORRUPTED" and len(b.labels) == len(b.texts)


# ------------------------------------------------------------------ series
EXPECTED_SERIES = {  # name: (length, frequency, first index, last index)
    "sunspots": (309, "Y", 1700, 2008),
    "sunspots-monthly": (2820, "M", "1749-01", "1983-12"),
    "births": (7305, "D", "1969-01-01", "1988-12-31"),
    "airline": (144, "M", "1949-01", "1960-12"),
    "nile": (100, "Y", 1871, 1970),
    "co2": (2284, "W", "1958-03-29", "2001-12-29"),
    "lynx": (114, "Y", 1821, 1934),
}


def test_series_names() -> None:
    assert sorted(SERIES) == sorted(EXPECTED_SERIES)


@pytest.mark.parametrize("name", sorted(EXPECTED_SERIES))
def test_series_shape_index_and_no_nans(name: str) -> None:
    n, freq, first, last = EXPECTED_SERIES[name]
    s = datasets.load(name)
    assert isinstance(s, Series) and s.name == name and s.frequency == freq
    assert s.values.dtype == np.float64 and s.values.shape == (n,) == s.index.shape and len(s) == n
    assert np.isfinite(s.values).all()
    assert s.index[0] == first and s.index[-1] == last
    if isinstance(first, int):
        assert s.index.dtype.kind == "i" and (np.diff(s.index) == 1).all()
    else:
        assert list(s.index) == sorted(s.index) and len(set(s.index)) == n  # ISO strings sort by time
    assert datasets.info(name).sizes["all"] == n
    assert datasets.resolve(name) == (name, "all")


def test_series_known_values_and_copies() -> None:
    assert datasets.load("sunspots").values[:3].tolist() == [5.0, 11.0, 16.0]
    assert datasets.load("airline").values[[0, -1]].tolist() == [112.0, 432.0]
    assert datasets.load("lynx").values[:3].tolist() == [269.0, 321.0, 585.0]
    s = datasets.load("nile")
    s.values[0] = -1.0
    assert datasets.load("nile").values[0] == 1120.0


def test_co2_missing_weeks_interpolated() -> None:
    table = __import__("seqlab.data.datasets", fromlist=["_series_table"])._series_table()
    raw = table["co2"]["values"]
    missing = [i for i, v in enumerate(raw) if v is None]
    assert len(missing) == 59
    s = datasets.load("co2")
    i = missing[0]
    lo = max(j for j in range(i) if raw[j] is not None)
    hi = min(j for j in range(i, len(raw)) if raw[j] is not None)
    expected = raw[lo] + (raw[hi] - raw[lo]) * (i - lo) / (hi - lo)
    assert s.values[i] == pytest.approx(expected, rel=1e-12)


def test_births_weekly_pattern() -> None:
    b = datasets.load("births").values
    weekday = np.arange(b.size) % 7  # 1969-01-01 was a Wednesday
    means = [b[weekday == d].mean() for d in range(7)]
    assert max(means) / min(means) > 1.15  # weekend dip: the signal forecasting demos rely on


def test_series_take_no_split_or_options() -> None:
    with pytest.raises(DataError, match="no split"):
        datasets.load("sunspots", "train")
    with pytest.raises(DataError, match="no option"):
        datasets.load("sunspots", level="char")


# ------------------------------------------------------------------ CLI
def test_cli_list(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("datasets", "list")
    assert r.code == 0
    for name in datasets.list():
        assert name in r.out
    assert "public domain" in r.out and "CC-BY 2.5" in r.out
    r = cli("datasets", "list", "--format", "json")
    rows = json.loads(r.out)
    assert [row["name"] for row in rows] == datasets.list()
    assert rows[0]["sizes"] == dict(datasets.info(rows[0]["name"]).sizes)


def test_cli_show_text_labelled_series(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("datasets", "show", "kjv:test", "--head", "2")
    assert r.code == 0
    assert "public domain" in r.out and "test 3,110" in r.out
    assert datasets.load_lines("kjv", "test")[1] in r.out
    r = cli("datasets", "show", "brown-genres", "--format", "json", "--head", "3")
    data = json.loads(r.out)
    assert data["name"] == "brown-genres" and [h["id"] for h in data["head"]] == ["ca01", "ca02", "ca03"]
    r = cli("datasets", "show", "sunspots", "--format", "json")
    head = json.loads(r.out)["head"]
    assert [h["value"] for h in head] == datasets.load("sunspots").values[:5].tolist()


def test_cli_errors(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("datasets", "show", "no-such-set")
    assert r.code == 1 and r.err.startswith("seqlab: error: Unknown dataset 'no-such-set'") and "kjv" in r.err
    assert "Traceback" not in r.err
    r = cli("datasets", "show", "kjv:dev")
    assert r.code == 1 and "no split 'dev'" in r.err
    r = cli("datasets", "show", "kjv", "--head", "-1")
    assert r.code == 1 and "--head" in r.err


@given(st.lists(st.sampled_from("abc"), max_size=60))
def test_stratified_mask_invariants(strata: list[str]) -> None:
    ids = [f"doc{i:03d}" for i in range(len(strata))][::-1]  # ids not in position order
    mask = labelled_split_mask(ids, strata)
    for s in set(strata):
        members = sorted((ids[i], bool(mask[i])) for i in range(len(ids)) if strata[i] == s)
        assert [m for _, m in members] == [pos % 5 == 4 for pos in range(len(members))]
        assert sum(m for _, m in members) == len(members) // 5
