"""Out-of-core counting (``NGramLM(memory=...)``) gives the in-memory model, array for array.

The budget is the minimum (1M), and the corpora are large enough that counting writes many
sorted runs to disk and merges them: the tests check that runs were written, so the merge is
exercised, and that every array and the ARPA bytes equal those of the in-memory fit.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.ngram import (
    MLE,
    AbsoluteDiscount,
    Katz,
    KneserNey,
    Lidstone,
    ModifiedKneserNey,
    NGramLM,
    StupidBackoff,
    WittenBell,
)
from seqlab.ngram import _kernels as K
from seqlab.ngram.outofcore import MIN_MEMORY, merge_runs, parse_memory

SMOOTHINGS = [ModifiedKneserNey(), KneserNey(), AbsoluteDiscount(), WittenBell(), Katz(), Lidstone(alpha=0.3),
              MLE(), StupidBackoff()]


def zipf_corpus(n_sentences: int, seed: int = 0, vocab: int = 400) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 30, size=n_sentences)  # empty sentences included
    words = rng.zipf(1.3, size=int(lengths.sum())) % vocab
    out, i = [], 0
    for n in lengths:
        out.append([f"w{w}" for w in words[i:i + n]])
        i += n
    return out


@pytest.fixture(scope="module")
def corpus() -> list[list[str]]:
    c = zipf_corpus(2500)
    c[7] = ["<s>", "w1", "</s>", "<unk>", "w2"]  # literal specials in the text become <unk>
    c[9] = [f"w{i % 97}" for i in range(9000)]  # one sentence longer than a counting chunk
    return c


def assert_same_model(a: NGramLM, b: NGramLM) -> None:
    assert a.vocabulary_.itos == b.vocabulary_.itos, "vocabularies differ"
    for name in ("keys_", "log_probs_", "log_backoffs_"):
        for n, (x, y) in enumerate(zip(getattr(a, name), getattr(b, name), strict=True), 1):
            assert x.dtype == y.dtype and np.array_equal(x, y), f"{name} of order {n} differs"
    assert a.default_backoff_ == b.default_backoff_
    assert a.discounts_ == b.discounts_
    assert a.ngram_counts_ == b.ngram_counts_
    assert a.n_train_tokens_ == b.n_train_tokens_


@pytest.mark.parametrize("smoothing", SMOOTHINGS, ids=lambda s: s.name)
def test_out_of_core_equals_in_memory_for_every_smoothing(corpus, smoothing, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = NGramLM(order=4, smoothing=smoothing).fit(corpus)
        ooc = NGramLM(order=4, smoothing=smoothing, memory="1M", temp_dir=str(tmp_path)).fit(iter(corpus))
    assert ooc.count_stats_["runs"] >= 8, f"the budget should force many runs, got {ooc.count_stats_}"
    assert_same_model(ref, ooc)
    assert list(tmp_path.iterdir()) == [], "temporary files were left behind"


def test_same_arpa_bytes_order5_min_count(corpus, tmp_path):
    ref = NGramLM(order=5, min_count=2).fit(corpus)
    ooc = NGramLM(order=5, min_count=2, memory=MIN_MEMORY).fit(corpus)
    assert ooc.count_stats_["runs"] > 1
    ref.to_arpa(tmp_path / "a.arpa")
    ooc.to_arpa(tmp_path / "b.arpa")
    assert (tmp_path / "a.arpa").read_bytes() == (tmp_path / "b.arpa").read_bytes()


def test_fixed_vocabulary_and_orders_1_2(corpus):
    vocab = NGramLM(order=1, min_count=3).fit(corpus[:500]).vocabulary_
    for order in (1, 2):
        ref = NGramLM(order=order).fit(corpus, vocab)
        ooc = NGramLM(order=order, memory="1M").fit(corpus, vocab)
        assert_same_model(ref, ooc)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(0, 50), max_size=40).map(sorted), min_size=1, max_size=6),
       st.integers(1, 7))
def test_merge_runs_equals_one_merge(raw_runs, block):
    runs = []
    for i, keys in enumerate(raw_runs):
        k = np.unique(np.asarray(keys, dtype=np.int64))
        runs.append((k, np.arange(k.size, dtype=np.int64) + i + 1, k * 3))  # suffix is a function of the key
    got = merge_runs(runs, block)
    want = K._merge([r for r in runs if r[0].size]) if any(r[0].size for r in runs) else None
    if want is None:
        assert all(g.size == 0 for g in got)
    else:
        for g, w in zip(got, want, strict=True):
            assert np.array_equal(g, w), (got, want)


@pytest.mark.parametrize(("value", "expected"), [("4G", 4 << 30), ("512m", 512 << 20), ("1.5G", 3 << 29),
                                                 ("2MiB", 2 << 20), (1 << 21, 1 << 21)])
def test_parse_memory(value, expected):
    assert parse_memory(value) == expected


@pytest.mark.parametrize("value", ["10", 10, "1K", "lots", "4X", True, 1.5])
def test_bad_memory_is_one_line_error_naming_the_minimum(value):
    with pytest.raises(InvalidParameterError) as err:
        NGramLM(order=2, memory=value).fit([["a"]])
    msg = str(err.value)
    assert "\n" not in msg and repr(value) in msg
    if value in ("10", 10, "1K"):
        assert "minimum is 1M" in msg, msg


def test_temp_files_removed_on_error_and_interrupt(corpus, tmp_path):
    def failing(exc):
        yield from corpus[:2000]
        raise exc

    for exc in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(exc)):
            NGramLM(order=3, memory="1M", temp_dir=str(tmp_path)).fit(failing(exc))
        assert list(tmp_path.iterdir()) == [], f"files left after {type(exc).__name__}"


def test_full_disk_is_a_clear_error_and_leaves_nothing(corpus, tmp_path, monkeypatch):
    import errno

    from seqlab.ngram import outofcore

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(outofcore, "_write_run", full)
    out = tmp_path / "model"
    with pytest.raises(DataError, match="No space left on device") as err:
        NGramLM(order=3, memory="1M", temp_dir=str(tmp_path)).fit(corpus)
    assert "\n" not in str(err.value) and "writable directory with free space" in str(err.value)
    assert list(tmp_path.iterdir()) == [] and not out.exists()


def test_full_disk_while_the_model_is_built_is_a_clear_error_and_leaves_nothing(corpus, tmp_path, monkeypatch):
    import errno

    from seqlab.ngram import ondisk

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(ondisk, "_fill_log", full)  # the first append of ln b of an order
    with pytest.raises(DataError, match="No space left on device") as err:
        NGramLM(order=3, memory="1M", temp_dir=str(tmp_path)).fit(corpus)
    assert "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_missing_temp_dir_and_empty_corpus(tmp_path):
    with pytest.raises(DataError, match="writable directory"):
        NGramLM(order=2, memory="1M", temp_dir=str(tmp_path / "nope")).fit([["a"]])
    with pytest.raises(DataError, match="no tokens"):
        NGramLM(order=2, memory="1M", temp_dir=str(tmp_path)).fit([[], []])
    assert list(tmp_path.iterdir()) == []


def test_memory_params_round_trip(tmp_path):
    from seqlab import io

    lm = NGramLM(order=2, smoothing=WittenBell(), memory="2M", temp_dir=str(tmp_path)).fit([["a", "b"], ["b", "a"]])
    back = io.load(io.save(lm, tmp_path / "m"))
    assert back.get_params()["memory"] == "2M"
    assert lm.clone().get_params() == lm.get_params()


@pytest.mark.parametrize("smoothing", [ModifiedKneserNey(), KneserNey(), AbsoluteDiscount(), WittenBell()],
                         ids=lambda s: s.name)
def test_smoothing_in_blocks_gives_the_same_bits(corpus, smoothing, tmp_path, monkeypatch):
    """The interpolation runs SMOOTH_BLOCK rows at a time; tiny blocks must not change one bit."""
    from seqlab.ngram import smoothing as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = NGramLM(order=4, smoothing=smoothing).fit(corpus)
        monkeypatch.setattr(sm, "SMOOTH_BLOCK", 3)  # contexts longer than a block get a range of their own
        blocks = NGramLM(order=4, smoothing=smoothing).fit(corpus)
        ooc = NGramLM(order=4, smoothing=smoothing, memory="1M", temp_dir=str(tmp_path)).fit(iter(corpus))
    assert_same_model(whole, blocks)
    assert_same_model(whole, ooc)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 6)), min_size=0, max_size=80, unique=True),
       st.integers(1, 9))
def test_context_blocks_cover_the_table_with_whole_contexts(pairs, block):
    import tempfile
    from pathlib import Path

    from seqlab.ngram.outofcore import FlatFile
    from seqlab.ngram.smoothing import context_blocks

    V = 7
    keys = np.unique(np.asarray([h * V + w for h, w in pairs], dtype=np.int64))
    ranges = list(context_blocks(keys, V, block))
    with tempfile.TemporaryDirectory() as d:  # the out-of-core build cuts a file of keys the same way
        keys.tofile(Path(d) / "k.i64")
        assert list(context_blocks(FlatFile(Path(d) / "k.i64", np.int64), V, block)) == ranges
    assert [r0 for r0, _ in ranges] == ([0] if ranges else []) + [r1 for _, r1 in ranges[:-1]], ranges
    assert (ranges[-1][1] if ranges else 0) == keys.size
    for r0, r1 in ranges:
        assert r1 > r0
        if r1 < keys.size:  # the next range starts a new context
            assert keys[r1] // V != keys[r1 - 1] // V, (keys, ranges)
        if r1 - r0 > block:  # only one context may overflow a block
            assert np.unique(keys[r0:r1] // V).size == 1, (keys, ranges)


def test_flat_files_read_rows_like_numpy(tmp_path):
    from seqlab.ngram.outofcore import FlatFile, TablesOnDisk

    arr = np.arange(1000, dtype=np.int64) * 7 - 3
    np.save(tmp_path / "a.npy", arr)
    arr.tofile(tmp_path / "a.i64")
    for f in (FlatFile(tmp_path / "a.npy"), FlatFile(tmp_path / "a.i64", np.int64)):
        assert f.size == arr.size and f.dtype == arr.dtype
        assert np.array_equal(f[10:250], arr[10:250]) and np.array_equal(f[990:2000], arr[990:])
        assert f[-1] == arr[-1] and f[0] == arr[0] and f[5:5].size == 0
        assert np.array_equal(f.load(), arr)
    tables = TablesOnDisk([arr[:5].copy(), tmp_path / "a.i64"])
    assert len(tables) == 2 and np.array_equal(tables[1], arr) and np.array_equal(tables[-2], arr[:5])
    assert isinstance(tables.file(1), FlatFile) and tables.file(0) is tables.items[0]
    assert np.array_equal(tables.file(1)[3:9], arr[3:9]) and np.array_equal(tables.file(0)[1:3], arr[1:3])
    assert np.array_equal(tables.file(1)[7:11], arr[7:11])


def test_merge_runs_read_from_files(tmp_path):
    from seqlab.ngram.outofcore import _open_run, _write_run

    rng = np.random.default_rng(3)
    runs, paths = [], []
    for i in range(4):
        k = np.unique(rng.integers(0, 5000, size=700)).astype(np.int64)
        runs.append((k, rng.integers(1, 9, size=k.size).astype(np.int64), k % 97))
        paths.append(_write_run(tmp_path, 2, i, runs[-1]))
    want = K._merge(runs)
    got = merge_runs([_open_run(p) for p in paths], 64)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == np.int64 and np.array_equal(g, w)


@pytest.mark.parametrize("smoothing", SMOOTHINGS, ids=lambda s: s.name)
def test_build_on_disk_in_tiny_pieces_gives_the_same_bits(corpus, smoothing, tmp_path, monkeypatch):
    """Tiny smoothing blocks, look-up pieces and continuation windows: every file path of the
    out-of-core build is taken many times (pieces of 40 rows, blocks of 3), and the model is the
    in-memory one, bit for bit, with its arrays of orders >= 2 mapped from disk."""
    from seqlab.ngram import outofcore

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        monkeypatch.setattr(outofcore.Budget, "piece_rows", property(lambda self: 40))
        monkeypatch.setattr(outofcore.Budget, "smooth_rows", property(lambda self: 3))
        ooc = NGramLM(order=4, smoothing=smoothing, memory="1M", temp_dir=str(tmp_path)).fit(corpus[:300])
        ref = NGramLM(order=4, smoothing=smoothing).fit(corpus[:300])
    assert_same_model(ref, ooc)
    for name in ("keys_", "log_probs_", "log_backoffs_"):
        assert all(isinstance(a, np.memmap) for a in getattr(ooc, name)[1:]), name
    assert list(tmp_path.iterdir()) == [], "the scratch directory was left behind"
    rows = ooc.token_log_probs([s for s in corpus[300:400]])[0]
    assert np.array_equal(rows, ref.token_log_probs([s for s in corpus[300:400]])[0])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 200), min_size=1, max_size=60, unique=True).map(sorted),
       st.lists(st.integers(-3, 205), max_size=50), st.integers(1, 9))
def test_sorted_file_finds_rows_like_find_rows(table, queries, piece):
    import tempfile
    from pathlib import Path

    from seqlab.ngram.outofcore import FlatFile, SortedFile

    arr = np.asarray(table, dtype=np.int64)
    q = np.asarray(queries, dtype=np.int64).clip(0)
    with tempfile.TemporaryDirectory() as d:
        arr.tofile(Path(d) / "k.i64")
        got = SortedFile(FlatFile(Path(d) / "k.i64", np.int64), piece).find_rows(q)
    assert np.array_equal(got, K.find_rows(arr, q)), (arr, q, piece)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 80), st.lists(st.integers(0, 10_000), max_size=60), st.integers(1, 9))
def test_gather_reads_values_like_indexing(size, raw_index, piece):
    import tempfile
    from pathlib import Path

    from seqlab.ngram.outofcore import FlatFile, gather

    values = np.random.default_rng(size).random(size)
    index = np.asarray(raw_index, dtype=np.int64) % size
    with tempfile.TemporaryDirectory() as d:
        values.tofile(Path(d) / "v.f64")
        got = gather(FlatFile(Path(d) / "v.f64", np.float64), index, piece)
    assert got.dtype == np.float64 and np.array_equal(got, values[index])


@pytest.mark.parametrize("memory", [None, "1M"])
def test_a_model_read_from_arpa_cannot_be_refitted_in_memory_or_out_of_core(memory, tmp_path):
    from seqlab.ngram.smoothing import FromARPA

    with pytest.raises(InvalidParameterError, match="cannot be refitted"):
        NGramLM(order=2, smoothing=FromARPA(), memory=memory, temp_dir=str(tmp_path)).fit([["a", "b"], ["b"]])
    assert list(tmp_path.iterdir()) == []
