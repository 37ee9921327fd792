"""Distributed n-gram counting on a Dask cluster (``seqlab[dask]``): ``fit(files, engine=DaskEngine(client))``.

The corpus never passes through the client: it is split into shards (byte ranges of a text
file, aligned to lines by the workers; a compressed file is one shard), and each worker
reads its own, once. Then, as tasks over the shards:

1. vocabulary: each shard keeps its tokens as provisional ids (first-seen order) in worker
   memory and reports its ``(token, count)`` list; the lists are summed on the workers, and
   the client decides the vocabulary from the totals exactly as on one machine (most
   frequent first, ties by token);
2. local count: each shard maps its provisional ids to vocabulary ids (the token list and
   its ids, paired once on a worker and fetched once by each worker, which builds its own
   dict: Dask would serialise a dict item by item) and counts every order with the
   in-memory kernel (:func:`seqlab.ngram._kernels.count_ngrams`). The local tables stay on
   the worker; their keys use the shard's own rows of the order below;
3. merge, order by order, partitioned by key range (one partition per worker): with the
   global row of each of its (n-1)-grams (sent back by the merge of order n-1; unigram rows
   are the ids) a shard turns its order-n keys into global keys, still sorted (local and
   global rows are both in lexicographic order). A sample of every shard's keys places the
   P-1 partition bounds so that each partition gets about the same number of rows to merge;
   each shard cuts its table at the bounds and sends piece p to the worker that merges
   partition p. That worker sums the pieces into partition p of the global table and sends
   each shard the global rows of its keys, for the next order.

Shard i's tasks run on worker i mod W (its "home"), partition p's merges on worker p, so the
work spreads evenly and the local tables never move; Dask runs them elsewhere if that worker
is lost. The client receives the vocabulary totals, the unigram counts and the merged partitions,
which, concatenated in order, are the global tables. Shards are whole sentences, so no
n-gram crosses a shard; continuation counts, discounts and everything after counting are
computed from the global tables by the same smoothing code as the in-memory path: the model
is the same, byte for byte. All tasks are pure, so a lost worker's results are recomputed
by Dask from their lineage.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import numpy as np

from seqlab.data.vocab import BOS_ID, Vocabulary
from seqlab.exceptions import DataError, InvalidParameterError, SeqlabError
from seqlab.ngram import _kernels as K

DEFAULT_SHARD_BYTES = 64 << 20
MIN_SHARD_BYTES = 1 << 20  # the default never cuts a file finer than this
SHARDS_PER_WORKER = 1  # the default cuts a file into this many shards per worker (fewer when they would be < 1 MiB):
# one shard per worker counts each n-gram once per worker, not once per shard, so the merges get
# fewer duplicate rows to move and sum (2 per worker cost ~0.5 CPU-s more at 12M tokens)
COMPRESSED = (".gz", ".xz", ".bz2")
BALANCE_SAMPLES = 1024  # keys of each shard's table of one order used to place the partition bounds

Shard = tuple[str, int, int | None]  # (path, first byte, end byte or None for the whole file)
Table = tuple[np.ndarray, np.ndarray, np.ndarray]  # sorted keys, counts, suffix rows; each (rows,) int64
Merged = tuple[Table, list[np.ndarray], int]  # a partition's table, each piece's rows in it, the bytes merged


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise InvalidParameterError("--engine dask needs dask.distributed; install it with "
                                    "pip install 'seqlab[dask]'.") from None
    return distributed


# Settings of the LocalCluster that ``--workers N`` starts (a cluster joined with ``--scheduler`` keeps its own).
# All three only feed Dask's dashboard and logs; on this 2-core machine they cost CPU that the counting needs:
# - the workers' statistical profiler samples every thread's stack every 10 ms: off, 2 workers spend
#   0.25 CPU-s less outside their tasks at 12M tokens;
# - every server (scheduler, nannies, workers) checks its event loop's latency every 20 ms and samples
#   CPU, memory and network every 500 ms: an idle 2-worker cluster burnt 0.09 CPU-s a second, 0.03 at
#   1 s and 2 s. The workers still check their memory limit at its own interval (100 ms).
LOCAL_CLUSTER_CONFIG = {"distributed.worker.profile.enabled": False,
                        "distributed.admin.tick.interval": "1s",
                        "distributed.admin.system-monitor.interval": "2s"}


def local_cluster(workers: int) -> Any:
    """A ``distributed.LocalCluster`` of ``workers`` processes with one thread each, as ``--workers N`` starts it."""
    import logging

    distributed = _import_distributed()  # first: without the extra, the one-line error naming it
    import dask

    for name in ("distributed", "bokeh", "tornado"):  # the cluster's start/stop chatter
        logging.getLogger(name).setLevel(logging.WARNING)
    with dask.config.set(LOCAL_CLUSTER_CONFIG):  # the nannies hand it to every worker process they start
        return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=":0", silence_logs=logging.WARNING)


# ---------------------------------------------------------------------- reading shards
def _shard_lines(path: str, start: int, end: int | None, encoding: str) -> Iterator[str]:
    """Lines whose first byte lies in ``[start, end)`` (whole file when ``end`` is None)."""
    from seqlab.data.readers import decode_bytes, read_lines

    if end is None:
        yield from read_lines(path, encoding=encoding)
        return
    with open(path, "rb") as f:
        offset = start
        if start > 0:
            f.seek(start - 1)
            offset = start - 1 + len(f.readline())  # finish the line that straddles the boundary
        while offset < end:
            raw = f.readline()
            if not raw:
                break
            text = decode_bytes(raw, encoding, path, offset)
            offset += len(raw)
            yield text.rstrip("\r\n")


# ---------------------------------------------------------------------- worker tasks (pure functions)
def _shard_sequences(shard: Shard, opts: dict[str, Any]) -> Iterator[list[str]]:
    from seqlab.data.tokenize import get_tokenizer

    tok = get_tokenizer(opts["tokenizer"], lowercase=opts["lowercase"])
    for line in _shard_lines(*shard, opts["encoding"]):
        tokens = tok(line)
        if tokens:
            yield tokens


def _raw_nbytes(raw: K.RawCorpus) -> int:
    return int(raw.ids.nbytes + raw.lengths.nbytes) + sys.getsizeof(raw.tokens) + sum(map(sys.getsizeof, raw.tokens))


def _tables_nbytes(counts: K.NGramCounts) -> int:
    return sum(int(a.nbytes) for table in (counts.keys, counts.counts, counts.suffix) for a in table)


@functools.cache
def _register_sizes() -> None:
    """Tell Dask the size of a shard's corpus and tables (its default, ``sys.getsizeof``, sees ~50 bytes).

    The scheduler weighs a move by the bytes it believes it costs: with the true size it no
    longer moves a 24 MB shard to another worker to save a millisecond of waiting. Once per process.
    """
    from dask.sizeof import sizeof

    register: Any = cast(Any, sizeof).register  # dask's dispatch is untyped
    register(K.RawCorpus)(_raw_nbytes)
    register(K.NGramCounts)(_tables_nbytes)


def read_shard(shard: Shard, opts: dict[str, Any]) -> K.RawCorpus:
    """Read and tokenise one shard, once: provisional ids (first-seen order) and its token list."""
    _register_sizes()  # in the worker process, before Dask measures the result
    return K.read_corpus(_shard_sequences(shard, opts))


def shard_frequencies(raw: K.RawCorpus) -> tuple[list[str], np.ndarray, int]:
    """Map step of the vocabulary pass: ``(tokens, counts (types,) int64, n_tokens)`` of one shard."""
    return raw.tokens, np.bincount(raw.ids, minlength=len(raw.tokens)).astype(np.int64), int(raw.ids.size)


def sum_frequencies(*parts: tuple[list[str], np.ndarray, int]) -> tuple[list[str], np.ndarray, int]:
    """Reduce step: the union of the token lists (first-seen order) with summed counts and token totals."""
    index = K._FirstSeen()
    where = [np.fromiter(map(index.__getitem__, tokens), dtype=np.int64, count=len(tokens)) for tokens, _, _ in parts]
    total = np.zeros(len(index), dtype=np.int64)
    for rows, (_, freq, _) in zip(where, parts, strict=True):
        total[rows] += freq  # a shard lists each token once, so no row repeats within one add
    return list(index), total, sum(n for _, _, n in parts)


def token_table(totals: tuple[list[str], np.ndarray, int], ids: np.ndarray) -> tuple[list[str], np.ndarray]:
    """``(tokens, vocabulary id of each (tokens,) int64)``: the token -> id map in the form that moves between workers.

    Dask serialises a dict item by item (~0.5 s for 35k tokens); a list of str and an array
    go as two pickled frames in milliseconds, so the dict is built where it is used.
    """
    return totals[0], np.asarray(ids, dtype=np.int64)


def token_ids(table: tuple[list[str], np.ndarray]) -> dict[str, int]:
    """The token -> vocabulary id dict (rare tokens and literal specials -> ``<unk>``), built on each worker."""
    return dict(zip(table[0], table[1].tolist(), strict=True))


def count_shard(raw: K.RawCorpus, stoi: dict[str, int], order: int, vocab_size: int) -> K.NGramCounts:
    """Every order's local sorted table of one shard (keys over the shard's own rows of the order below)."""
    _register_sizes()  # a worker that joined after the reads (a replacement) measures the tables too
    remap = np.fromiter(map(stoi.__getitem__, raw.tokens), dtype=np.int64, count=len(raw.tokens))
    ids, pos = K.with_boundaries(remap[raw.ids], raw.lengths)
    chunk = min(max(K.CHUNK, ids.size), 4 * K.CHUNK)  # one chunk (no merge within the shard) up to ~16M positions
    return K.count_ngrams(ids, pos, order, vocab_size, chunk=chunk)


def shard_unigrams(local: K.NGramCounts) -> np.ndarray:
    """The shard's unigram counts, (V,) int64 (``<s>`` once per sentence)."""
    return local.counts[0]


def _add_arrays(*arrays: np.ndarray) -> np.ndarray:
    out = arrays[0].copy()
    for a in arrays[1:]:
        out += a
    return out


def globalize(local: K.NGramCounts, n: int, rows: Sequence[np.ndarray], sizes: Sequence[int]) -> Table:
    """The shard's order-n table with global keys and suffix rows (still sorted).

    ``rows[p]`` holds the rows, within partition p of the merged order-(n-1) table, of the
    shard's (n-1)-grams that fell in partition p, in the shard's row order; ``sizes[p]`` the
    partition's length. Both are empty for n = 2: unigram rows are the ids everywhere.
    """
    V = local.vocab_size
    keys, counts, suffix = local.keys[n - 1], local.counts[n - 1], local.suffix[n - 1]
    if rows:
        glob = np.concatenate(rows, dtype=np.int64)  # (rows_{n-1},) global rows, once the offsets are added
        start, offset = 0, 0
        for r, size in zip(rows, sizes, strict=True):
            glob[start:start + r.size] += offset
            start, offset = start + r.size, offset + size
        prefix, word = np.divmod(keys, V)
        keys = glob[prefix]  # a monotone map of the prefix: the keys stay sorted
        keys *= V
        keys += word
        suffix = glob[suffix]
    return keys, counts, suffix


def sample_keys(table: Table) -> tuple[int, np.ndarray]:
    """``(rows, BALANCE_SAMPLES evenly spaced keys)`` of a shard's sorted table, to place the partition bounds."""
    keys = table[0]
    if keys.size == 0:
        return 0, keys
    return int(keys.size), keys[np.linspace(0, keys.size - 1, BALANCE_SAMPLES).astype(np.int64)]


def choose_bounds(parts: int, samples: Sequence[tuple[int, np.ndarray]]) -> np.ndarray:
    """``parts - 1`` key bounds that give every partition about the same number of shard rows to merge."""
    keys = np.concatenate([k for _, k in samples])
    weight = np.concatenate([np.full(k.size, size / max(k.size, 1)) for size, k in samples])
    if parts == 1 or keys.size == 0:
        return np.zeros(parts - 1, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    cum = np.cumsum(weight[order])
    at = np.searchsorted(cum, cum[-1] * np.arange(1, parts) / parts)
    bounds: np.ndarray = keys[order][np.minimum(at, keys.size - 1)].astype(np.int64)
    return bounds


_NARROW = (np.uint8, np.uint16, np.uint32)  # for values >= 0: counts, suffix rows, row numbers


def _narrow(a: np.ndarray) -> np.ndarray:
    """``a`` in the smallest integer dtype that holds every value (what travels between processes), else unchanged.

    Non-negative arrays (counts, rows) take uint8/16/32 (order-5 counts are mostly 1: a byte
    each instead of eight); others int32 when they fit. Receivers widen to int64.
    """
    if a.size == 0:
        return a.astype(np.uint8)
    lo, hi = int(a.min()), int(a.max())
    if lo >= 0:
        for dtype in _NARROW:
            if hi <= np.iinfo(dtype).max:
                return a.astype(dtype)
    elif lo >= -(1 << 31) and hi < (1 << 31):
        return a.astype(np.int32)
    return a


def split_piece(table: Table, bounds: np.ndarray, p: int) -> Table:
    """Piece p of a sorted table, for partition p: its keys in ``[bounds[p-1], bounds[p])``.

    One task per piece (no tuple of pieces to pick from: one scheduler hop less per order).
    Counts and suffix rows travel in their smallest dtype (:func:`_narrow`); the merge sums and stores int64.
    """
    keys = table[0]
    a = 0 if p == 0 else int(np.searchsorted(keys, bounds[p - 1]))
    b = keys.size if p == len(bounds) else int(np.searchsorted(keys, bounds[p]))
    return keys[a:b], _narrow(table[1][a:b]), _narrow(table[2][a:b])


def merge_partition(*pieces: Table, rows: bool = True) -> Merged:
    """Reduce step of one partition: its merged table, each piece's rows in it, and the bytes merged.

    ``rows=False`` (the last order: no next order needs them) skips the rows and returns none.

    The pieces are sorted runs, which a stable sort (timsort) merges in O(N log pieces); the
    rank of each key among the distinct keys is its row. Counts are summed exactly (int64,
    one ``add.reduceat`` over the sorted runs of equal keys); the suffix row is a function of
    the n-gram, so every piece holding it agrees and the first one is kept. Counts, suffix
    rows and the rows sent back are gathered in the narrow dtypes they travel in (uint32 rows
    while the partition has fewer than 2**32 entries): a quarter to a half of the bytes an
    int64 gather moves. The table's counts and suffix rows are narrowed (:func:`_narrow`) for
    the trip to the client, which widens them to int64 as it concatenates the partitions.
    """
    keys = np.concatenate([p[0] for p in pieces])
    order = np.argsort(keys, kind="stable")
    srt = keys[order]
    new = np.empty(srt.size, dtype=bool)
    new[:1] = True
    np.not_equal(srt[1:], srt[:-1], out=new[1:])
    merged = srt[new]
    starts = np.flatnonzero(new)  # (merged rows,) first sorted entry of each distinct key
    counts = np.concatenate([p[1] for p in pieces])[order]
    counts = np.add.reduceat(counts, starts, dtype=np.int64) if counts.size else counts.astype(np.int64)
    suffix = np.concatenate([p[2] for p in pieces])[order[starts]]
    table = (merged, _narrow(counts), _narrow(suffix))
    nbytes = int(sum(a.nbytes for p in pieces for a in p))
    if not rows:
        return table, [], nbytes
    row_dtype = np.uint32 if srt.size < (1 << 32) else np.int64
    ranks = np.cumsum(new, dtype=row_dtype)  # (sum of piece rows,) 1 + row of each sorted entry
    np.subtract(ranks, 1, out=ranks)
    at = np.empty(srt.size, dtype=row_dtype)
    at[order] = ranks  # row of each piece entry in the merged table, in piece order
    edges = np.cumsum([0, *(p[0].size for p in pieces)])
    return table, [at[a:b] for a, b in zip(edges[:-1], edges[1:], strict=True)], nbytes


def _table_of(merged: Merged) -> Table:
    return merged[0]


def _rows_of(merged: Merged, shard: int) -> np.ndarray:
    return merged[1][shard]


def _size_of(merged: Merged) -> int:
    return int(merged[0][0].size)


def _traffic_of(merged: Merged) -> tuple[int, int, int]:
    """(bytes of the pieces merged, of the rows sent back, of the table sent to the client) of one partition."""
    return merged[2], int(sum(r.nbytes for r in merged[1])), int(sum(a.nbytes for a in merged[0]))


def _as_table(part: Table | Merged) -> Table:
    """A partition's table from what the client gathered: the table, or (last order) the merge's whole result."""
    if isinstance(part[1], list):
        return part[0]
    return part


# ---------------------------------------------------------------------- the engine
class DaskEngine:
    """Counts n-grams on a Dask cluster; pass it to :meth:`NGramLM.fit` as ``engine=``.

    Parameters
    ----------
    client : distributed.Client
        Connected to the cluster whose workers count (they must see the corpus files).
    tokenizer : {"whitespace", "word", "char"}, default="whitespace"
        How the workers split lines into tokens (as ``seqlab lm train --tokenizer``).
    encoding : str, default="utf-8"
    lowercase : bool, default=False
    shard_bytes : int, optional
        Largest byte range of a file that one task reads. Default: the text is cut into
        ``SHARDS_PER_WORKER`` (1) shard per worker, so every worker gets work, or into 2, 3, ...
        per worker when that would exceed 64 MiB a shard; no shard is cut smaller than 1 MiB.
    progress : callable, optional
        Called with the name of each finished phase (``"vocabulary"``, ``"encoded"`` (the
        shards' local tables are counted), ``"order 2"``, ...).

    Examples
    --------
    >>> from distributed import Client, LocalCluster             # doctest: +SKIP
    >>> with LocalCluster(n_workers=2) as cluster, Client(cluster) as client:   # doctest: +SKIP
    ...     lm = NGramLM(order=5).fit(["corpus.txt"], engine=DaskEngine(client))
    """

    def __init__(self, client: Any, *, tokenizer: str = "whitespace", encoding: str = "utf-8",
                 lowercase: bool = False, shard_bytes: int | None = None,
                 progress: Callable[[str], None] | None = None) -> None:
        if shard_bytes is not None and (not isinstance(shard_bytes, int) or shard_bytes < 1):
            raise InvalidParameterError(f"shard_bytes must be an int >= 1, got {shard_bytes!r}.")
        self.client = client
        self.opts = {"tokenizer": tokenizer, "encoding": encoding, "lowercase": lowercase}
        self.shard_bytes = shard_bytes
        self.progress = progress

    @classmethod
    @contextmanager
    def from_options(cls, *, scheduler: str | None = None, workers: int | None = None, timeout: float = 10.0,
                     **kwargs: Any) -> Iterator[DaskEngine]:
        """Join ``scheduler`` (``tcp://HOST:8786``) or start a LocalCluster of ``workers`` processes (default 2).

        An unreachable scheduler is a one-line error after ``timeout`` seconds.
        """
        distributed = _import_distributed()
        if scheduler is not None and workers is not None:
            raise InvalidParameterError("give --scheduler (join a cluster) or --workers (start one), not both.")
        if workers is not None and workers < 1:
            raise InvalidParameterError(f"--workers must be >= 1, got {workers}.")
        cluster = None
        try:
            if scheduler is not None:
                try:
                    client = distributed.Client(scheduler, timeout=f"{timeout}s", set_as_default=False)
                except (OSError, TimeoutError) as exc:
                    raise SeqlabError(f"cannot reach the Dask scheduler at {scheduler} within {timeout:g} s "
                                      f"({type(exc).__name__}); start one with 'dask scheduler' or use --workers N."
                                      ) from None
            else:
                cluster = local_cluster(workers or 2)
                client = distributed.Client(cluster, set_as_default=False)
            try:
                yield cls(client, **kwargs)
            finally:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()

    # ------------------------------------------------------------------ sharding
    def _workers(self) -> list[str]:
        """Addresses of the cluster's workers, sorted (at least one is awaited)."""
        workers = sorted(self.client.scheduler_info()["workers"])
        if not workers:
            self.client.wait_for_workers(1)
            workers = sorted(self.client.scheduler_info()["workers"])
        return workers

    def _shard_size(self, total_bytes: int) -> int:
        """``shard_bytes``, or even shards, a whole number of them per worker, of 1 to 64 MiB."""
        if self.shard_bytes is not None:
            return self.shard_bytes
        per_round = SHARDS_PER_WORKER * len(self._workers())  # shards come in rounds of one per worker ...
        rounds = max(1, -(-total_bytes // (per_round * DEFAULT_SHARD_BYTES)))  # ... so every worker reads as much
        return max(MIN_SHARD_BYTES, -(-total_bytes // (per_round * rounds)))

    def shards(self, sources: Sequence[str | os.PathLike[str]]) -> list[Shard]:
        """``(path, start, end)`` byte ranges of every source file (``end`` None: the whole file)."""
        if isinstance(sources, str | os.PathLike):
            sources = [sources]
        files: list[tuple[Path, int]] = []
        for src in sources:
            if not isinstance(src, str | os.PathLike):
                raise DataError("engine=DaskEngine(...) counts text files that the workers read; pass a list of "
                                f"file paths, got a {type(src).__name__} in the list.")
            path = Path(src)
            if not path.is_file():
                raise DataError(f"{path} is not a file; the Dask engine reads text files (one sentence per line).")
            files.append((path.resolve(), path.stat().st_size))
        if not files:
            raise DataError("no corpus files were given to the Dask engine.")
        step = self._shard_size(sum(size for path, size in files if path.suffix not in COMPRESSED))
        out: list[Shard] = []
        for path, size in files:
            if path.suffix in COMPRESSED or size == 0:
                out.append((str(path), 0, None))
                continue
            out.extend((str(path), start, min(size, start + step)) for start in range(0, size, step))
        return out

    def _tree(self, futures: list[Any], fn: Callable[..., Any]) -> Any:
        """Pairwise reduction on the workers: log2(shards) rounds, only the root comes back."""
        while len(futures) > 1:
            futures = [self.client.submit(fn, *futures[i:i + 2], pure=False) if i + 1 < len(futures) else futures[i]
                       for i in range(0, len(futures), 2)]
        return futures[0]

    def _report(self, phase: str) -> None:
        if self.progress is not None:
            self.progress(phase)

    # ------------------------------------------------------------------ counting
    def count(self, sources: Sequence[str | os.PathLike[str]], *, order: int, min_count: int = 1
              ) -> tuple[Vocabulary, K.NGramCounts, int, dict[str, Any]]:
        """Vocabulary, n-gram tables, token count and statistics of the corpus ``sources``.

        The tables equal :func:`seqlab.ngram._kernels.count_ngrams` on the concatenated files.
        ``stats`` holds the shards and partitions, and the bytes of the data that crossed
        processes: ``bytes_to_client`` (vocabulary totals, unigram counts, merged partitions),
        ``bytes_broadcast`` (the token -> id table, once per worker), ``bytes_reduced`` (shard
        pieces into the partition merges; a piece merged on its own worker does not move) and
        ``bytes_rows`` (global rows sent back to the shards).
        """
        c = self.client
        shards = self.shards(sources)
        workers = self._workers()
        home = [_on(workers[i % len(workers)]) for i in range(len(shards))]  # shard i's tasks stay on one worker
        raws = [c.submit(read_shard, s, self.opts, pure=False, **h) for s, h in zip(shards, home, strict=True)]
        vocab, table_f, n_tokens, token_bytes = self._vocabulary(raws, home, min_count, sources)
        V = len(vocab)
        stoi = {w: c.submit(token_ids, table_f, pure=False, **_on(w)) for w in workers}  # one dict per worker
        locals_ = [c.submit(count_shard, r, stoi[h["workers"][0]], order, V, pure=False, **h)
                   for r, h in zip(raws, home, strict=True)]
        del raws, table_f, stoi  # the workers free them once the local counts are done
        uni_f = self._tree([c.submit(shard_unigrams, loc, pure=False) for loc in locals_], _add_arrays)
        tables_f, traffic_f = self._submit_merges(locals_, home, order, workers)
        del locals_
        uni = c.gather(uni_f)  # a sum over every local table: they are all counted now
        self._report("encoded")
        counts = self._gather_tables(uni, tables_f)
        traffic = c.gather(traffic_f)
        stats: dict[str, Any] = {
            "shards": len(shards), "partitions": len(workers),
            "bytes_to_client": token_bytes + int(uni.nbytes) + sum(t[2] for t in traffic),
            "bytes_broadcast": token_bytes * len(workers),
            "bytes_reduced": sum(t[0] for t in traffic), "bytes_rows": sum(t[1] for t in traffic)}
        return vocab, counts, n_tokens, stats

    def _vocabulary(self, raws: list[Any], home: list[dict[str, Any]], min_count: int,
                    sources: Sequence[str | os.PathLike[str]]) -> tuple[Vocabulary, Any, int, int]:
        """The vocabulary pass: ``(vocabulary, future of the token table, n_tokens, bytes of the totals)``."""
        from seqlab.ngram.model import vocabulary_from_frequencies

        c = self.client
        freqs = [c.submit(shard_frequencies, r, pure=False, **h) for r, h in zip(raws, home, strict=True)]
        totals_f = self._tree(freqs, sum_frequencies)
        tokens, freq, n_tokens = c.gather(totals_f)
        if n_tokens == 0:
            raise DataError(f"the training corpus holds no tokens ({', '.join(map(str, sources))}); "
                            "give at least one non-empty line.")
        vocab, remap = vocabulary_from_frequencies(tokens, freq, min_count)  # literal specials, rare -> <unk>
        table_f = c.submit(token_table, totals_f, remap, pure=False)  # a task, not scattered data: recomputable
        self._report("vocabulary")
        return vocab, table_f, int(n_tokens), sum(len(t.encode()) + 8 for t in tokens)

    def _gather_tables(self, uni: np.ndarray, tables_f: list[list[Any]]) -> K.NGramCounts:
        """The global tables: unigrams, then every order's merged partitions, concatenated in key order."""
        V = uni.size
        keys, counts, suffix = [np.arange(V, dtype=np.int64)], [uni], [np.full(V, -1, dtype=np.int64)]
        for n, parts_f in enumerate(tables_f, start=2):
            parts = self.client.gather(parts_f)
            parts_f.clear()  # release the partitions on the workers
            tables = [_as_table(p) for p in parts]
            for out, i in ((keys, 0), (counts, 1), (suffix, 2)):
                out.append(_concat_int64([t[i] for t in tables]))
            self._report(f"order {n}")
        return K.NGramCounts(V, keys, counts, suffix, int(uni[BOS_ID]))

    def _submit_merges(self, locals_: list[Any], home: list[dict[str, Any]], order: int, workers: list[str]
                       ) -> tuple[list[list[Any]], list[Any]]:
        """Submit every order's shuffle and partition merges; return the partition futures per order and traffic.

        Per order: each shard's table in global keys (on its home worker), a sample of its keys,
        the partition bounds from all samples, the shard's pieces, and partition p's merge on
        ``workers[p]``, which also yields each shard's global rows for the next order.
        """
        c, P = self.client, len(workers)
        rows: list[list[Any]] = [[] for _ in locals_]  # per shard: its rows in each partition of order n-1
        sizes: list[Any] = []  # the partitions' lengths, order n-1
        tables: list[list[Any]] = []
        traffic: list[Any] = []
        for n in range(2, order + 1):
            glob = [c.submit(globalize, loc, n, r, sizes, pure=False, **h)
                    for loc, r, h in zip(locals_, rows, home, strict=True)]
            bounds = c.submit(choose_bounds, P, [c.submit(sample_keys, g, pure=False, **h)
                                                 for g, h in zip(glob, home, strict=True)], pure=False)
            merged = [c.submit(merge_partition, *[c.submit(split_piece, g, bounds, p, pure=False, **h)
                                                  for g, h in zip(glob, home, strict=True)],
                               rows=n < order, pure=False, **_on(workers[p])) for p in range(P)]
            # the last order's merges carry no rows: the client takes them whole, without one more task
            tables.append([c.submit(_table_of, m, pure=False) for m in merged] if n < order else merged)
            traffic += [c.submit(_traffic_of, m, pure=False) for m in merged]
            if n < order:
                rows = [[c.submit(_rows_of, m, s, pure=False) for m in merged] for s in range(len(locals_))]
                sizes = [c.submit(_size_of, m, pure=False) for m in merged]
        return tables, traffic


def _concat_int64(arrays: list[np.ndarray]) -> np.ndarray:
    """The arrays end to end as int64, in one pass (no copy for a single int64 array)."""
    if len(arrays) == 1:
        return arrays[0].astype(np.int64, copy=False)
    return np.concatenate(arrays, dtype=np.int64)


def _on(worker: str) -> dict[str, Any]:
    """``submit`` keywords that place a task on ``worker``, or on another one if it is lost."""
    return {"workers": [worker], "allow_other_workers": True}
