"""The Dask engine (``fit(files, engine=DaskEngine(client))``) counts exactly what one machine counts.

A LocalCluster of 2 worker processes; the corpus file is cut into many byte-range shards
(including one boundary inside a line), so the vocabulary and count reductions merge many
partial results. A killed worker must not change the model.
"""

from __future__ import annotations

import lzma
import os
import signal
import time
import warnings

import numpy as np
import pytest

from seqlab.data.readers import read_sequences
from seqlab.exceptions import DataError, InvalidParameterError, SeqlabError
from seqlab.ngram import Katz, ModifiedKneserNey, NGramLM, StupidBackoff, WittenBell
from seqlab.ngram import _kernels as K

distributed = pytest.importorskip("distributed")
from seqlab.ngram.dask_engine import DaskEngine  # noqa: E402


def split_table(table, bounds):
    """Every piece of a sorted table, one per partition (the engine submits one split_piece task each)."""
    from seqlab.ngram import dask_engine as D

    return tuple(D.split_piece(table, bounds, p) for p in range(len(bounds) + 1))


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory, fixtures_dir):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("dask") / "train.txt"
    text = lzma.open(fixtures_dir / "kjv-small.train.txt.xz", "rt").read()
    lines = text.splitlines()[:3000]
    lines[5] = "<s> literal specials </s> <unk>"
    lines[6] = ""  # a blank line is skipped, as on one machine
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
        c = distributed.Client(cluster, set_as_default=False)
    yield c
    c.close()
    cluster.close()


def reference(path, order, smoothing=None, min_count=1):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = NGramLM(order=order, smoothing=smoothing or ModifiedKneserNey(), min_count=min_count)
        return lm.fit(read_sequences(path))


def test_counts_equal_single_machine_counts(client, corpus_file):
    engine = DaskEngine(client, shard_bytes=20_000)
    shards = engine.shards([corpus_file])
    assert len(shards) >= 8
    vocab, counts, n_tokens, stats = engine.count([corpus_file], order=4, min_count=2)
    ref = reference(corpus_file, 1, min_count=2)
    assert vocab.itos == ref.vocabulary_.itos and n_tokens == ref.n_train_tokens_
    raw = K.read_corpus(read_sequences(corpus_file))
    from seqlab.ngram.model import _build_vocabulary

    _, remap = _build_vocabulary(raw, 2)
    ids, pos = K.with_boundaries(remap[raw.ids], raw.lengths)
    want = K.count_ngrams(ids, pos, 4, len(vocab))
    for name in ("keys", "counts", "suffix"):
        for n, (a, b) in enumerate(zip(getattr(counts, name), getattr(want, name), strict=True), 1):
            assert a.dtype == b.dtype and np.array_equal(a, b), f"{name} of order {n} differs"
    assert counts.n_sentences == want.n_sentences
    assert stats["shards"] == len(shards) and stats["bytes_reduced"] > 0


@pytest.mark.parametrize("smoothing", [ModifiedKneserNey(), WittenBell(), Katz(), StupidBackoff()],
                         ids=lambda s: s.name)
def test_same_arpa_bytes(client, corpus_file, tmp_path, smoothing):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = NGramLM(order=3, smoothing=smoothing).fit([str(corpus_file)], engine=DaskEngine(client,
                                                                                              shard_bytes=50_000))
    lm.to_arpa(tmp_path / "dask.arpa")
    reference(corpus_file, 3, smoothing).to_arpa(tmp_path / "one.arpa")
    assert (tmp_path / "dask.arpa").read_bytes() == (tmp_path / "one.arpa").read_bytes()


def test_killed_worker_is_retried_and_the_model_is_the_same(client, corpus_file, tmp_path):
    killed = []

    def kill_one(phase: str) -> None:
        if phase == "encoded" and not killed:  # shard encodings now live in the workers' memory
            pids = client.run(os.getpid)
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    lm = NGramLM(order=4).fit([corpus_file], engine=DaskEngine(client, shard_bytes=30_000, progress=kill_one))
    assert killed, "no worker was killed"
    lm.to_arpa(tmp_path / "dask.arpa")
    reference(corpus_file, 4).to_arpa(tmp_path / "one.arpa")
    assert (tmp_path / "dask.arpa").read_bytes() == (tmp_path / "one.arpa").read_bytes()
    client.wait_for_workers(2, timeout=60)


def test_bad_utf8_names_file_and_offset(client, tmp_path):
    bad = tmp_path / "bad.txt"
    good = b"a b c\n" * 5000
    bad.write_bytes(good + b"d \xff e\n" + good)
    with pytest.raises(DataError) as err:
        NGramLM(order=2).fit([bad], engine=DaskEngine(client, shard_bytes=7_000))
    msg = str(err.value)
    assert str(bad) in msg and f"offset {len(good) + 2}" in msg and "\n" not in msg


def test_unreachable_scheduler_fails_fast_in_one_line():
    start = time.monotonic()
    with pytest.raises(SeqlabError) as err, DaskEngine.from_options(scheduler="tcp://127.0.0.1:9", timeout=2):
        pass
    assert time.monotonic() - start < 30
    assert "tcp://127.0.0.1:9" in str(err.value) and "\n" not in str(err.value)


def test_files_only(client):
    with pytest.raises(DataError, match="file paths"):
        NGramLM(order=2).fit([["a", "b"]], engine=DaskEngine(client))


def test_missing_dask_names_the_extra(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_dask(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name.startswith("distributed"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(InvalidParameterError, match=r"seqlab\[dask\]"), DaskEngine.from_options(workers=1):
        pass


def test_started_cluster_runs_its_workers_with_the_quiet_settings():
    import dask

    from seqlab.ngram.dask_engine import LOCAL_CLUSTER_CONFIG

    with DaskEngine.from_options(workers=1) as engine:  # what --workers N starts
        seen = engine.client.run(lambda: {key: dask.config.get(key) for key in LOCAL_CLUSTER_CONFIG})
        ticks = engine.client.run(lambda dask_worker: dask_worker._tick_interval)
    assert list(seen.values()) == [LOCAL_CLUSTER_CONFIG] and list(ticks.values()) == [1.0]
    assert dask.config.get("distributed.admin.tick.interval") != "1s"  # the caller's own config is left alone


def test_cli_engine_dask(cli, corpus_file, tmp_path):
    res = cli("lm", "train", "--data", corpus_file, "-o", tmp_path / "d", "--order", "3", "--engine", "dask",
              "--workers", "2")
    assert res.code == 0, res.err
    assert cli("lm", "export", tmp_path / "d", "--arpa", tmp_path / "d.arpa").code == 0
    reference(corpus_file, 3).to_arpa(tmp_path / "one.arpa")
    assert (tmp_path / "d.arpa").read_bytes() == (tmp_path / "one.arpa").read_bytes()
    res = cli("lm", "train", "--data", "kjv", "-o", tmp_path / "e", "--engine", "dask", "--workers", "1")
    assert res.code == 1 and "bundled corpus" in res.err


# ---------------------------------------------------------------------- the shuffle, run in one process
def count_in_process(path, order, n_shards, parts):  # type: ignore[no-untyped-def]
    """The engine's task graph called in order, without a cluster: shards -> local tables -> partitioned merges."""
    from seqlab.ngram import dask_engine as D
    from seqlab.ngram.model import vocabulary_from_frequencies

    size = path.stat().st_size
    step = -(-size // n_shards)
    opts = {"tokenizer": "whitespace", "encoding": "utf-8", "lowercase": False}
    raws = [D.read_shard((str(path), a, min(size, a + step)), opts) for a in range(0, size, step)]
    totals = D.sum_frequencies(*map(D.shard_frequencies, raws))
    vocab, remap = vocabulary_from_frequencies(totals[0], totals[1], 1)
    stoi = D.token_ids(D.token_table(totals, remap))
    local = [D.count_shard(r, stoi, order, len(vocab)) for r in raws]
    tables, rows, sizes, merged_rows = [], [[] for _ in local], [], []
    for n in range(2, order + 1):
        glob = [D.globalize(loc, n, r, sizes) for loc, r in zip(local, rows, strict=True)]
        assert all(np.all(np.diff(g[0]) > 0) for g in glob), "global keys of a shard must stay sorted and unique"
        bounds = D.choose_bounds(parts, [D.sample_keys(g) for g in glob])
        splits = [split_table(g, bounds) for g in glob]
        for g, sp in zip(glob, splits, strict=True):  # the pieces cut the table at the bounds, nothing lost
            for i in range(3):
                assert np.array_equal(np.concatenate([piece[i].astype(np.int64) for piece in sp]), g[i])
            edges = [-np.inf, *bounds.tolist(), np.inf]
            assert all(((piece[0] >= edges[p]) & (piece[0] < edges[p + 1])).all() for p, piece in enumerate(sp))
        merged = [D.merge_partition(*[sp[p] for sp in splits], rows=n < order) for p in range(parts)]
        assert n < order or all(m[1] == [] for m in merged), "the last order's merges carry no rows"
        tables.append([np.concatenate([D._as_table(m)[i] for m in merged]) for i in range(3)])
        if n < order:
            rows = [[m[1][s] for m in merged] for s in range(len(local))]
            sizes = [m[0][0].size for m in merged]
        merged_rows.append([m[2] for m in merged])
    return vocab, tables, merged_rows


@pytest.mark.parametrize(("n_shards", "parts"), [(1, 1), (5, 1), (7, 3), (4, 4)])
def test_partitioned_merge_equals_count_ngrams(corpus_file, n_shards, parts):
    vocab, tables, merged_bytes = count_in_process(corpus_file, 4, n_shards, parts)
    raw = K.read_corpus(read_sequences(corpus_file))
    from seqlab.ngram.model import _build_vocabulary

    want_vocab, remap = _build_vocabulary(raw, 1)
    assert vocab.itos == want_vocab.itos
    ids, pos = K.with_boundaries(remap[raw.ids], raw.lengths)
    want = K.count_ngrams(ids, pos, 4, len(vocab))
    for n, table in enumerate(tables, start=2):
        for name, got in zip(("keys", "counts", "suffix"), table, strict=True):
            assert np.array_equal(got, getattr(want, name)[n - 1]), f"{name} of order {n} differs"
    if parts > 1:  # the bounds drawn from key samples give every partition a similar share to merge
        top = merged_bytes[-1]
        assert max(top) < 1.5 * sum(top) / parts, top


def test_choose_bounds_splits_by_weight_and_handles_empty_tables():
    from seqlab.ngram import dask_engine as D

    dense = np.arange(0, 1000, dtype=np.int64)  # shard 1: 1000 keys in [0, 1000)
    sparse = np.arange(1000, 1100, dtype=np.int64)  # shard 2: 100 keys above
    bounds = D.choose_bounds(2, [D.sample_keys((dense, dense, dense)), D.sample_keys((sparse, sparse, sparse))])
    assert bounds.shape == (1,) and 500 <= bounds[0] <= 600  # 1100 keys: the split falls near the 550th
    empty = np.empty(0, np.int64)
    assert D.choose_bounds(3, [D.sample_keys((empty, empty, empty))]).tolist() == [0, 0]
    pieces = split_table((dense, dense, dense), np.array([0, 0, 400]))
    assert [p[0].size for p in pieces] == [0, 0, 400, 600]


def test_default_shards_give_every_worker_work(client, tmp_path):
    from seqlab.ngram import dask_engine as D

    path = tmp_path / "c.txt"
    path.write_bytes(b"a b c d\n" * (8 * D.MIN_SHARD_BYTES // 8))  # 8 MiB: SHARDS_PER_WORKER shards per worker
    shards = DaskEngine(client).shards([path])
    assert len(shards) == D.SHARDS_PER_WORKER * 2
    assert shards[0][1] == 0 and shards[-1][2] == path.stat().st_size


@pytest.mark.parametrize(("workers", "total", "shards"), [(2, 8 << 20, 2), (2, 139_000_000, 4), (1, 139_000_000, 3),
                                                        (3, 200 << 20, 6), (2, 100_000, 1)])
def test_default_shards_come_in_whole_rounds_of_at_most_64_mib(client, workers, total, shards):
    from seqlab.ngram import dask_engine as D

    engine = DaskEngine(client)
    engine._workers = lambda: [f"w{i}" for i in range(workers)]  # type: ignore[method-assign]
    size = engine._shard_size(total)
    assert -(-total // size) == shards and size <= D.DEFAULT_SHARD_BYTES


def test_both_workers_count_and_merge(client, corpus_file):
    with distributed.get_task_stream(client=client) as stream:
        _, _, _, stats = DaskEngine(client, shard_bytes=40_000).count([corpus_file], order=3)
    assert stats["partitions"] == 2 and stats["bytes_rows"] > 0
    ran: dict[str, set[str]] = {}
    for task in stream.data:
        ran.setdefault(str(task["key"]).split("-")[0], set()).add(task["worker"])
    assert len(ran["count_shard"]) == 2 and len(ran["merge_partition"]) == 2, ran


def test_pieces_travel_narrow_and_merge_back_to_int64():
    from seqlab.ngram import dask_engine as D

    keys = np.array([3, 5, 9], dtype=np.int64)
    big = np.array([1, 2, 1 << 40], dtype=np.int64)  # a count past int32 stays int64
    (small_piece,) = split_table((keys, np.ones(3, np.int64), np.array([-1, 0, 7])), np.empty(0, np.int64))
    (big_piece,) = split_table((keys, big, np.array([-1, 0, 7])), np.empty(0, np.int64))
    assert small_piece[1].dtype == np.uint8 and small_piece[2].dtype == np.int32 and big_piece[1].dtype == np.int64
    (mkeys, mcounts, msuffix), rows, _ = D.merge_partition(small_piece, big_piece)
    assert mcounts.dtype == np.int64 and msuffix.dtype == np.int32  # the table travels to the client narrow
    assert mcounts.tolist() == [2, 3, (1 << 40) + 1] and msuffix.tolist() == [-1, 0, 7]
    assert [r.tolist() for r in rows] == [[0, 1, 2], [0, 1, 2]] and rows[0].dtype == np.uint32
    (_, mcounts, msuffix), _, _ = D.merge_partition(small_piece, small_piece)
    assert mcounts.dtype == np.uint8 and mcounts.tolist() == [2, 2, 2]
    (many,) = split_table((keys, np.full(3, 200, np.int64), np.zeros(3, np.int64)), np.empty(0, np.int64))
    (_, mcounts, _), _, _ = D.merge_partition(many, many)  # uint8 pieces whose sums need uint16
    assert many[1].dtype == np.uint8 and mcounts.dtype == np.uint16 and mcounts.tolist() == [400, 400, 400]


def test_dask_is_told_the_size_of_shards_and_tables(corpus_file):
    from dask.sizeof import sizeof

    from seqlab.ngram import dask_engine as D

    opts = {"tokenizer": "whitespace", "encoding": "utf-8", "lowercase": False}
    raw = D.read_shard((str(corpus_file), 0, None), opts)  # registers the sizes in this process
    local = K.count_ngrams(*K.with_boundaries(raw.ids, raw.lengths), 3, len(raw.tokens))
    assert sizeof(raw) >= raw.ids.nbytes + raw.lengths.nbytes + sum(map(len, raw.tokens))
    assert sizeof(local) == sum(a.nbytes for t in (local.keys, local.counts, local.suffix) for a in t)


@pytest.mark.parametrize(("values", "dtype"), [([0, 255], np.uint8), ([1, 256], np.uint16), ([0, 1 << 16], np.uint32),
                                               ([0, 1 << 32], np.int64), ([-1, 7], np.int32),
                                               ([-(1 << 31) - 1, 0], np.int64), ([], np.uint8)])
def test_narrow_takes_the_smallest_dtype_that_holds_every_value(values, dtype):
    from seqlab.ngram import dask_engine as D

    a = np.array(values, dtype=np.int64)
    out = D._narrow(a)
    assert out.dtype == dtype and np.array_equal(out.astype(np.int64), a)


def test_empty_shards_count_nothing(client, tmp_path):
    path = tmp_path / "long.txt"
    words = [f"w{i % 97}" for i in range(3000)]
    path.write_text(" ".join(words) + "\n\n" + " ".join(reversed(words)) + "\n")  # 2 lines, ~30 shards
    engine = DaskEngine(client, shard_bytes=1000)
    assert len(engine.shards([path])) > 20
    _, counts, n_tokens, _ = engine.count([path], order=3)
    raw = K.read_corpus(read_sequences(path))
    from seqlab.ngram.model import _build_vocabulary

    vocab, remap = _build_vocabulary(raw, 1)
    ids, pos = K.with_boundaries(remap[raw.ids], raw.lengths)
    want = K.count_ngrams(ids, pos, 3, len(vocab))
    assert n_tokens == 6000 and counts.n_sentences == 2
    for n in range(3):
        assert np.array_equal(counts.keys[n], want.keys[n]) and np.array_equal(counts.counts[n], want.counts[n])
