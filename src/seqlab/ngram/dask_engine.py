"""Distributed n-gram counting on a Dask cluster (``seqlab[dask]``): ``fit(files, engine=DaskEngine(client))``.

The corpus never passes through the client: it is split into shards (byte ranges of a text
file, aligned to lines by the workers; a compressed file is one shard), and each worker
reads its own. Then, as map/reduce rounds over the same shard tasks:

1. vocabulary: each shard's token frequencies, summed; the vocabulary is decided from the
   totals exactly as on one machine (most frequent first, ties by token);
2. encode: each shard's ids with ``<s>``/``</s>`` (kept in worker memory as Dask futures);
3. per order n: each shard groups its n-grams under the keys of the merged order-(n-1)
   table (:mod:`seqlab.ngram._kernels`), the partial sorted tables are merged pairwise on
   the workers (a tree), and the merged table (a future, so Dask can recompute it) goes back to every
   shard so that it can key order n+1.

Shards are whole sentences, so no n-gram crosses a shard; the merged tables are the global
counts, and continuation counts, discounts and everything after counting are computed from
them by the same smoothing code as the in-memory path: the model is the same, byte for byte.
A lost worker's futures are recomputed by Dask from their lineage (pure tasks).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.data.vocab import BOS_ID, SPECIALS, UNK_ID, Vocabulary
from seqlab.exceptions import DataError, InvalidParameterError, SeqlabError
from seqlab.ngram import _kernels as K

DEFAULT_SHARD_BYTES = 64 << 20
COMPRESSED = (".gz", ".xz", ".bz2")


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise InvalidParameterError("--engine dask needs dask.distributed; install it with "
                                    "pip install 'seqlab[dask]'.") from None
    return distributed


# ---------------------------------------------------------------------- worker tasks (pure functions)
def _shard_lines(path: str, start: int, end: int | None, encoding: str) -> Iterator[str]:
    """Lines whose first byte lies in ``[start, end)`` (whole file when ``end`` is None)."""
    if end is None:
        from seqlab.data.readers import read_lines

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
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise DataError(f"{path}: byte 0x{raw[exc.start]:02x} at offset {offset + exc.start} is not valid "
                                f"{encoding}; pass --encoding (e.g. latin-1) or fix the file.") from None
            offset += len(raw)
            yield text.rstrip("\r\n")


def _shard_sequences(shard: tuple[str, int, int | None], opts: dict[str, Any]) -> Iterator[list[str]]:
    from seqlab.data.tokenize import get_tokenizer

    tok = get_tokenizer(opts["tokenizer"], lowercase=opts["lowercase"])
    for line in _shard_lines(*shard, opts["encoding"]):
        tokens = tok(line)
        if tokens:
            yield tokens


def shard_frequencies(shard: tuple[str, int, int | None], opts: dict[str, Any]) -> tuple[dict[str, int], int]:
    """Map step of the vocabulary pass: ``({token: count}, n_tokens)`` of one shard."""
    raw = K.read_corpus(_shard_sequences(shard, opts))
    freq = np.bincount(raw.ids, minlength=len(raw.tokens)) if raw.ids.size else np.zeros(len(raw.tokens), np.int64)
    return dict(zip(raw.tokens, freq.tolist(), strict=True)), int(raw.ids.size)


def shard_encode(shard: tuple[str, int, int | None], opts: dict[str, Any], stoi: dict[str, int]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """One shard as ``(ids, pos)`` with boundaries; unknown tokens and literal specials -> ``<unk>``."""
    seqs = list(_shard_sequences(shard, opts))
    lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    from itertools import chain, repeat

    total = int(lengths.sum())
    ids = np.fromiter(map(stoi.get, chain.from_iterable(seqs), repeat(UNK_ID, total)), dtype=np.int64, count=total)
    return K.with_boundaries(ids, lengths)


def shard_unigrams(enc: tuple[np.ndarray, np.ndarray], V: int) -> np.ndarray:
    return np.bincount(enc[0], minlength=V).astype(np.int64)


def shard_table(enc: tuple[np.ndarray, np.ndarray], prev: np.ndarray, n: int, V: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Partial sorted order-n table (keys, counts, suffix rows) of one shard."""
    ids, pos = enc
    where = np.flatnonzero(pos >= n - 1)
    where = where[where >= 1]
    if where.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
    uniq, cnt, first, _, _ = K.group_counts(prev[where - 1] * V + ids[where])
    return uniq, cnt, prev[where[first]]


def shard_rows(enc: tuple[np.ndarray, np.ndarray], prev: np.ndarray | None,
               table: tuple[np.ndarray, np.ndarray, np.ndarray] | None, n: int, V: int) -> np.ndarray:
    """Row of the order-n n-gram ending at each position of the shard (-1 where none)."""
    ids, pos = enc
    if prev is None or table is None:  # order 1: the rows are the ids
        return ids.astype(np.int64)
    cur = np.full(ids.size, -1, dtype=np.int64)
    where = np.flatnonzero(pos >= n - 1)
    where = where[where >= 1]
    if where.size:
        cur[where] = K.find_rows(table[0], prev[where - 1] * V + ids[where])
    return cur


def merge_tables(*parts: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reduce step: sorted partial tables -> one sorted table with summed counts."""
    live = [p for p in parts if p[0].size]
    if not live:
        return parts[0]
    return K._merge(live)


def _sum_frequencies(*parts: tuple[dict[str, int], int]) -> tuple[dict[str, int], int]:
    total: dict[str, int] = {}
    n = 0
    for freq, count in parts:
        for tok, c in freq.items():
            total[tok] = total.get(tok, 0) + c
        n += count
    return total, n


def _nbytes(table: tuple[np.ndarray, ...]) -> int:
    return int(sum(a.nbytes for a in table))


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
    shard_bytes : int, default=64 MiB
        Largest byte range of a file that one task reads.
    progress : callable, optional
        Called with the name of each finished phase (``"vocabulary"``, ``"encoded"``,
        ``"order 2"``, ...).

    Examples
    --------
    >>> from distributed import Client, LocalCluster             # doctest: +SKIP
    >>> with LocalCluster(n_workers=2) as cluster, Client(cluster) as client:   # doctest: +SKIP
    ...     lm = NGramLM(order=5).fit(["corpus.txt"], engine=DaskEngine(client))
    """

    def __init__(self, client: Any, *, tokenizer: str = "whitespace", encoding: str = "utf-8",
                 lowercase: bool = False, shard_bytes: int = DEFAULT_SHARD_BYTES,
                 progress: Callable[[str], None] | None = None) -> None:
        if not isinstance(shard_bytes, int) or shard_bytes < 1:
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
                import logging

                for name in ("distributed", "bokeh", "tornado"):  # the cluster's start/stop chatter
                    logging.getLogger(name).setLevel(logging.WARNING)
                cluster = distributed.LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                                                   dashboard_address=":0", silence_logs=logging.WARNING)
                client = distributed.Client(cluster, set_as_default=False)
            try:
                yield cls(client, **kwargs)
            finally:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()

    # ------------------------------------------------------------------ sharding
    def shards(self, sources: Sequence[str | os.PathLike[str]]) -> list[tuple[str, int, int | None]]:
        """``(path, start, end)`` byte ranges of every source file (``end`` None: the whole file)."""
        if isinstance(sources, str | os.PathLike):
            sources = [sources]
        out: list[tuple[str, int, int | None]] = []
        for src in sources:
            if not isinstance(src, str | os.PathLike):
                raise DataError("engine=DaskEngine(...) counts text files that the workers read; pass a list of "
                                f"file paths, got a {type(src).__name__} in the list.")
            path = Path(src)
            if not path.is_file():
                raise DataError(f"{path} is not a file; the Dask engine reads text files (one sentence per line).")
            size = path.stat().st_size
            if path.suffix in COMPRESSED or size == 0:
                out.append((str(path.resolve()), 0, None))
                continue
            for start in range(0, size, self.shard_bytes):
                out.append((str(path.resolve()), start, min(size, start + self.shard_bytes)))
        if not out:
            raise DataError("no corpus files were given to the Dask engine.")
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
        """
        from seqlab.ngram.model import vocabulary_from_frequencies

        c = self.client
        shards = self.shards(sources)
        stats: dict[str, Any] = {"shards": len(shards), "bytes_to_client": 0, "bytes_broadcast": 0,
                                 "bytes_reduced": 0}
        freqs = [c.submit(shard_frequencies, s, self.opts, pure=False) for s in shards]
        freq, n_tokens = c.gather(self._tree(freqs, _sum_frequencies))
        if n_tokens == 0:
            raise DataError(f"the training corpus holds no tokens ({', '.join(map(str, sources))}); "
                            "give at least one non-empty line.")
        tokens = list(freq)
        vocab, remap = vocabulary_from_frequencies(tokens, np.fromiter(freq.values(), np.int64, len(freq)), min_count)
        enc_map = dict(zip(tokens, remap.tolist(), strict=True))  # literal specials -> <unk>, rare -> <unk>
        for sp in SPECIALS:
            enc_map[sp] = UNK_ID
        V = len(vocab)
        stats["bytes_to_client"] += sum(len(t) + 8 for t in tokens)
        stoi_f = c.submit(_identity, enc_map, pure=False)  # a task, not scattered data: recomputable if lost
        self._report("vocabulary")
        encs = [c.submit(shard_encode, s, self.opts, stoi_f, pure=False) for s in shards]
        uni = c.gather(self._tree([c.submit(shard_unigrams, e, V) for e in encs], _add_arrays))
        stats["bytes_to_client"] += uni.nbytes
        self._report("encoded")
        keys = [np.arange(V, dtype=np.int64)]
        counts = [uni]
        suffix = [np.full(V, -1, dtype=np.int64)]
        rows = [c.submit(shard_rows, e, None, None, 1, V) for e in encs]
        for n in range(2, order + 1):
            parts = [c.submit(shard_table, e, r, n, V) for e, r in zip(encs, rows, strict=True)]
            sizes = c.gather([c.submit(_table_nbytes, p) for p in parts])
            stats["bytes_reduced"] += int(sum(sizes)) if len(parts) > 1 else 0
            table_f = self._tree(parts, merge_tables)
            table = c.gather(table_f)
            stats["bytes_to_client"] += _nbytes(table)
            keys.append(table[0])
            counts.append(table[1])
            suffix.append(table[2])
            if n < order:
                stats["bytes_broadcast"] += int(table[0].nbytes) * len(c.scheduler_info()["workers"])
                rows = [c.submit(shard_rows, e, r, table_f, n, V) for e, r in zip(encs, rows, strict=True)]
            self._report(f"order {n}")
        n_sent = int(uni[BOS_ID])
        return vocab, K.NGramCounts(V, keys, counts, suffix, n_sent), int(n_tokens), stats


def _identity(x: Any) -> Any:
    return x


def _add_arrays(*arrays: np.ndarray) -> np.ndarray:
    out = arrays[0].copy()
    for a in arrays[1:]:
        out += a
    return out


def _table_nbytes(table: tuple[np.ndarray, ...]) -> int:
    return _nbytes(table)
