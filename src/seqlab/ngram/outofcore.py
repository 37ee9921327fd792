"""Out-of-core n-gram counting: bounded memory, sorted runs on disk, k-way merge (``lmplz -S``).

The corpus is streamed once into two flat files (token ids with ``<s>``/``</s>`` inserted,
and the offset of each position in its sentence), then counted order by order, chunk by
chunk, read from those files (read, not memory-mapped: a mapped file's pages count as
resident memory). Each chunk is grouped in memory (:func:`seqlab.ngram._kernels.group`);
when the partial tables reach their share of the budget they are merged and written as one
sorted *run* (``.npy`` keys, counts and suffix rows). The runs of an order are then k-way
merged block by block into three flat files per order (keys, counts, suffix rows). Keys,
counts and suffix rows are exactly those of :func:`seqlab.ngram._kernels.count_ngrams`, so
every later step (adjust, discount, interpolate, backoff: the smoothing strategy) gives the
same model, bit for bit.

Nothing of the tables comes back into memory: keys, counts and suffix rows stay on disk
(:class:`TablesOnDisk`), and the model is built from them block by block into files by
:mod:`seqlab.ngram.ondisk`, then memory-mapped.

What the budget bounds: everything whose size grows with the corpus. Counting: one chunk's
temporaries (half the budget), the buffered partial tables and the merge of a run (a quarter),
the merge blocks, the search of an order's keys for the next order's prefixes (a piece of a
quarter at a time, :class:`SortedFile`). Building: a block of whole contexts and its
temporaries (a quarter, :attr:`Budget.smooth_rows`), the order below's probabilities read a
piece at a time (a quarter, :func:`gather`), the windows of continuation counts. A block grows
past its share only for a context with more extensions than that, which is at most the
vocabulary's size. Outside the budget, whatever the corpus size: the interpreter, numpy and
seqlab (~31 MiB), and the vocabulary (its strings, the token -> id map and the unigram arrays),
which grows with the distinct tokens, not with the corpus. Measured (bench/ngram_scale.py): a
budget of 256 MiB peaks at 238-266 MiB for corpora of 3M to 100M tokens (5.2M to 59.9M n-grams).

Temporary files live in one directory under ``temp_dir`` that is removed on success, on
error and on Ctrl-C. The fitted model's own files are in it too: removing the directory
unlinks them, but they stay mapped, and their disk space is freed when the model is.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any, overload

import numpy as np

from seqlab.data.vocab import BOS_ID, UNK_ID
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.ngram import _kernels as K

MIN_MEMORY = 1 << 20  # 1 MiB: below this the chunks get so small that counting crawls
_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)
log = logging.getLogger(__name__)  # debug records mark the phases (bench/ngram_memory.py reads them)
OFFSET = 4  # provisional ids are stored + OFFSET, so 2 and 3 stay <s> and </s>
BYTES_PER_POSITION = 160  # chunk temporaries (ids, pos, rows, keys, sort, inverse) and heap slack, measured
BYTES_PER_ENTRY = 24  # one table row: key, count, suffix (int64 each)
BYTES_PER_SMOOTH_ROW = 128  # one row of a smoothing block: its inputs, the looked-up values, temporaries
SPOOL_TOKENS = 1 << 18  # at most this many tokens (~15 MB of str objects) buffered while spooling


def parse_memory(value: int | str) -> int:
    """Bytes of a memory budget: an int, or a str like ``"4G"``, ``"512M"``, ``"1.5G"`` (powers of 1024).

    Raises InvalidParameterError for anything else, or for less than :data:`MIN_MEMORY`.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidParameterError(f"memory must be a size like '4G' or a number of bytes, got {value!r}.")
    if isinstance(value, int):
        size = value
    else:
        m = _SIZE.match(value)
        if m is None:
            raise InvalidParameterError(f"memory must be a size like '4G', '512M' or a number of bytes, "
                                        f"got {value!r}.")
        size = int(float(m.group(1)) * _UNITS[m.group(2).upper()])
    if size < MIN_MEMORY:
        raise InvalidParameterError(f"memory {value!r} ({size} bytes) is too small for counting; the minimum is "
                                    f"1M ({MIN_MEMORY} bytes), e.g. --memory 1G.")
    return size


@dataclass(frozen=True)
class Budget:
    """How a memory budget is split: positions per chunk, rows per run buffer and per merge."""

    total: int

    @property
    def chunk(self) -> int:  # half the budget for one chunk's temporaries
        return max(1024, self.total // (2 * BYTES_PER_POSITION))

    @property
    def run_rows(self) -> int:  # a quarter for the buffered partial tables (merging doubles them)
        return max(1024, self.total // (8 * BYTES_PER_ENTRY))

    def merge_rows(self, runs: int) -> int:  # rows read from each run per merge step
        return max(256, self.total // (8 * BYTES_PER_ENTRY * max(runs, 1)))

    @property
    def piece_rows(self) -> int:  # rows of a sorted or looked-up table read at once: a quarter of the budget
        return max(1024, self.total // (4 * 8))

    @property
    def smooth_rows(self) -> int:  # rows per smoothing block: a quarter of the budget for its temporaries
        return max(1024, self.total // (4 * BYTES_PER_SMOOTH_ROW))

    @property
    def spool_tokens(self) -> int:  # tokens per spool flush: their str objects are Python's small-object heap,
        return min(self.chunk, SPOOL_TOKENS)  # which keeps its pages once they are freed


@contextmanager
def scratch_dir(temp_dir: str | Path | None) -> Iterator[Path]:
    """A fresh directory under ``temp_dir`` (the system's default when None), removed on exit.

    Exits by error and by KeyboardInterrupt remove it too; a directory that cannot be
    created or written is a one-line DataError naming it.
    """
    base = Path(temp_dir) if temp_dir is not None else Path(tempfile.gettempdir())
    try:
        path = Path(tempfile.mkdtemp(prefix="seqlab-ngram-", dir=base))
    except OSError as exc:
        raise DataError(f"cannot create temporary count files in {base}: {exc.strerror or exc}; "
                        "give --temp-dir a writable directory with free space.") from None
    try:
        yield path
    except OSError as exc:
        raise DataError(f"writing temporary count files in {base} failed: {exc.strerror or exc}; "
                        "give --temp-dir a writable directory with free space.") from None
    finally:
        shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------------- files read, not mapped
class FlatFile:
    """Rows of a flat binary array on disk (a raw file, or the data of an ``.npy`` file), read on demand.

    Reads copy the rows asked for into a fresh array and keep nothing: pages of a memory-mapped
    file would count as this process's resident memory for as long as the mapping lives (the
    whole file once it has been read through), which is what the budget is meant to exclude.
    Indexing follows numpy for what the merge needs: ``f[i]`` and ``f[lo:hi]``.
    """

    def __init__(self, path: Path, dtype: type[np.generic] | np.dtype | None = None) -> None:
        self.path = path
        with open(path, "rb") as f:
            if dtype is None:  # an .npy file: its header says the dtype and the size
                major, _ = np.lib.format.read_magic(f)
                read_header = np.lib.format.read_array_header_1_0 if major == 1 else \
                    np.lib.format.read_array_header_2_0
                shape, _, dt = read_header(f)
                self.dtype, self.offset, self.size = np.dtype(dt), f.tell(), int(np.prod(shape))
            else:
                self.dtype, self.offset = np.dtype(dtype), 0
                self.size = f.seek(0, 2) // self.dtype.itemsize

    def read(self, lo: int, hi: int) -> np.ndarray:
        """Rows ``lo .. hi - 1`` (clipped to the file) as a new array."""
        lo, hi = max(lo, 0), min(hi, self.size)
        with open(self.path, "rb") as f:
            f.seek(self.offset + lo * self.dtype.itemsize)
            return np.fromfile(f, dtype=self.dtype, count=max(hi - lo, 0))

    def load(self) -> np.ndarray:
        return self.read(0, self.size)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            if index.step not in (None, 1):
                raise ValueError("FlatFile reads contiguous rows only")
            lo, hi, _ = index.indices(self.size)
            return self.read(lo, hi)
        i = index + self.size if index < 0 else index
        return self.read(i, i + 1)[0]


class TablesOnDisk(Sequence[np.ndarray]):
    """One array per order, each in its own file: item ``i`` is a path, or an array kept in memory (the unigrams).

    The out-of-core build reads each file a piece at a time (:meth:`file`); indexing loads an
    order whole and keeps nothing, for code that wants whole arrays.
    """

    def __init__(self, items: list[Path | np.ndarray]) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> np.ndarray: ...

    @overload
    def __getitem__(self, index: slice) -> list[np.ndarray]: ...

    def __getitem__(self, index: int | slice) -> np.ndarray | list[np.ndarray]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        item = self.file(index)
        return item if isinstance(item, np.ndarray) else item.load()

    def file(self, index: int) -> np.ndarray | FlatFile:
        """Array ``index`` without loading it: the array kept in memory, or its file (read on demand)."""
        item = self.items[index]
        return item if isinstance(item, np.ndarray) else FlatFile(item, np.int64)


class SortedFile:
    """A sorted int64 array on disk searched without holding it: pieces of ``piece`` rows at a time.

    A file of at most ``piece`` rows is read once and kept; a larger one is read through,
    piece by piece, once per call (queries sorted first, so each piece answers a slice of them).
    """

    def __init__(self, file: FlatFile, piece: int) -> None:
        self.file, self.piece = file, piece
        self._whole = file.load() if file.size <= piece else None

    def find_rows(self, keys: np.ndarray) -> np.ndarray:
        """Row of each key, or -1 where absent (:func:`seqlab.ngram._kernels.find_rows` on the file)."""
        if self._whole is not None:
            return K.find_rows(self._whole, keys)
        srt, order = K.sort_with_order(keys)
        rows = np.full(keys.size, -1, dtype=np.int64)
        found = np.empty(keys.size, dtype=np.int64)
        done = 0
        for q0 in range(0, self.file.size, self.piece):
            if done == srt.size:
                break
            table = self.file.read(q0, q0 + self.piece)
            hi = int(np.searchsorted(srt, table[-1], side="right"))
            if hi > done:
                part = srt[done:hi]
                j = np.searchsorted(table, part)  # < table.size: every key in part is <= table[-1]
                found[done:hi] = np.where(table[j] == part, q0 + j, -1)
                done = hi
        found[done:] = -1
        rows[order] = found
        return rows


def gather(values: FlatFile | np.ndarray, index: np.ndarray, piece: int) -> np.ndarray:
    """``values[index]``, where ``values`` is in memory or in a file read at most ``piece`` rows at a time.

    From a file, the indices are sorted first, so each piece answers a slice of them.
    """
    if isinstance(values, np.ndarray):
        picked: np.ndarray = values[index]
        return picked
    file = values
    srt, order = K.sort_with_order(index)
    out = np.empty(index.size, dtype=file.dtype)
    lo = 0
    for q0 in range(0, file.size, piece):
        hi = int(np.searchsorted(srt, q0 + piece, side="left"))
        if hi > lo:
            first = int(srt[lo])
            values = file.read(first, min(q0 + piece, int(srt[hi - 1]) + 1))
            out[order[lo:hi]] = values[srt[lo:hi] - first]
            lo = hi
        if lo == srt.size:
            break
    return out


# ---------------------------------------------------------------------- pass 1: ids to disk
@dataclass
class Spooled:
    """The corpus on disk: ``ids.i32`` (provisional ids + OFFSET, ``<s>``=2, ``</s>``=3), ``pos.i32``."""

    dir: Path
    n_positions: int
    n_tokens: int
    n_sentences: int
    tokens: list[str]  # provisional id -> token
    freq: np.ndarray  # (n_types,) int64 occurrences of each provisional id

    def ids(self) -> FlatFile:
        return FlatFile(self.dir / "ids.i32", np.int32)

    def pos(self) -> FlatFile:
        return FlatFile(self.dir / "pos.i32", np.int32)


def spool(sequences: Iterable[Sequence[str]], directory: Path, chunk_tokens: int,
          stoi: dict[str, int] | None = None) -> Spooled:
    """Stream ``sequences`` once to disk as provisional ids with boundaries.

    With ``stoi`` (a fixed vocabulary) the provisional ids are that vocabulary's ids (unknown
    tokens -> ``<unk>``) and ``tokens`` is empty. Ids are stored + OFFSET either way.
    """
    table: dict[str, int] = {}
    freq = np.zeros(0, dtype=np.int64)
    buf: list[str] = []
    lengths: list[int] = []
    n_pos = n_tok = n_sent = 0
    with open(directory / "ids.i32", "wb") as f_ids, open(directory / "pos.i32", "wb") as f_pos:
        def flush() -> None:
            nonlocal freq, n_pos, n_tok, n_sent
            if stoi is None:
                for tok in dict.fromkeys(buf):
                    if tok not in table:
                        table[tok] = len(table)
                prov = np.fromiter(map(table.__getitem__, buf), dtype=np.int64, count=len(buf))
                if len(table) > freq.size:
                    freq = np.concatenate([freq, np.zeros(len(table) - freq.size, np.int64)])
                freq += np.bincount(prov, minlength=freq.size)
            else:
                prov = np.fromiter(map(stoi.get, buf, repeat(UNK_ID, len(buf))), dtype=np.int64, count=len(buf))
            prov += OFFSET
            ids, pos = K.with_boundaries(prov, np.asarray(lengths, dtype=np.int64))
            ids.tofile(f_ids)
            pos.tofile(f_pos)
            n_pos += ids.size
            n_tok += len(buf)
            n_sent += len(lengths)
            buf.clear()
            lengths.clear()

        for seq in sequences:
            if isinstance(seq, str | bytes):
                raise DataError("each sequence must be a list of tokens, got a str; did you mean text.split()?")
            before = len(buf)
            buf.extend(seq)
            lengths.append(len(buf) - before)
            if len(buf) + 2 * len(lengths) >= chunk_tokens:
                flush()
        if lengths:
            flush()
    return Spooled(directory, n_pos, n_tok, n_sent, list(table), freq)


# ---------------------------------------------------------------------- pass 2: count by order
Table = tuple[np.ndarray, np.ndarray, np.ndarray]  # sorted unique keys, counts, suffix rows (int64 each)


def _write_run(directory: Path, n: int, index: int, table: Table) -> Path:
    path = directory / f"run-{n}-{index}"
    path.mkdir()
    for name, arr in zip(("keys", "counts", "suffix"), table, strict=True):
        np.save(path / f"{name}.npy", arr)
    return path


def _spill(directory: Path, n: int, runs: list[Path], buffered: list[Table], stats: dict[str, int]) -> None:
    """Merge the buffered partial tables into one sorted run on disk and empty the buffer."""
    table = K._merge(buffered)
    buffered.clear()
    runs.append(_write_run(directory, n, len(runs), table))
    stats["runs"] += 1
    stats["run_bytes"] += sum(a.nbytes for a in table)
    log.debug("phase: order %d run %d written, %d rows", n, len(runs), table[0].size)


def _open_run(path: Path) -> tuple[FlatFile, FlatFile, FlatFile]:
    keys, counts, suffix = (FlatFile(path / f"{name}.npy") for name in ("keys", "counts", "suffix"))
    return keys, counts, suffix


def merge_blocks(runs: Sequence[tuple[Any, Any, Any]], block: int) -> Iterator[Table]:
    """k-way merge of sorted (keys, counts, suffix) runs, ``block`` rows of each run at a time.

    Each step takes every key up to the smallest last key of the current blocks (all of
    those are in memory), sums their counts and yields them: the blocks, concatenated, are
    sorted and unique. A run is anything with ``size`` and numpy's ``[i]``/``[lo:hi]``: an
    array, or a :class:`FlatFile` that reads only the block asked for.
    """
    live = [r for r in runs if r[0].size]
    ptr = [0] * len(live)
    while True:
        active = [i for i, r in enumerate(live) if ptr[i] < r[0].size]
        if not active:
            break
        ends = {i: min(ptr[i] + block, live[i][0].size) for i in active}
        cutoff = min(int(live[i][0][ends[i] - 1]) for i in active)
        parts = []
        for i in active:
            keys = np.asarray(live[i][0][ptr[i]:ends[i]])
            take = int(np.searchsorted(keys, cutoff, side="right"))
            if take:
                lo = ptr[i]
                parts.append((keys[:take], np.asarray(live[i][1][lo:lo + take]), np.asarray(live[i][2][lo:lo + take])))
                ptr[i] += take
        yield K._merge(parts)


def merge_runs(runs: Sequence[tuple[Any, Any, Any]], block: int) -> Table:
    """:func:`merge_blocks`, concatenated into one table."""
    out = list(merge_blocks(runs, block))
    if not out:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
    return (np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out]),
            np.concatenate([o[2] for o in out]))


def _final_ids(ids_f: FlatFile, remap: np.ndarray | None, lo: int, hi: int) -> np.ndarray:
    raw = ids_f.read(lo, hi)
    return remap[raw] if remap is not None else raw.astype(np.int64)


def _count_order(sp: Spooled, remap: np.ndarray | None, n: int, V: int, budget: Budget,
                 prev_f: FlatFile, stats: dict[str, int]) -> FlatFile:
    """Count order ``n`` into sorted runs, merge them into ``keys-n``/``counts-n``/``suffix-n`` files.

    ``prev_f`` holds the row of the (n-1)-gram ending at each position. The merged table
    goes to disk block by block; returns the keys file.
    """
    T, C = sp.n_positions, budget.chunk
    ids_f, pos_f = sp.ids(), sp.pos()
    buffered: list[Table] = []
    rows_buffered = 0
    runs: list[Path] = []
    for lo in range(1, max(T, 1), C):
        hi = min(T, lo + C)
        where = np.flatnonzero(pos_f.read(lo, hi) >= n - 1)
        if where.size == 0:
            continue
        prev = prev_f.read(lo - 1, hi)  # prev[i + 1] is the row at position lo + i
        ids = _final_ids(ids_f, remap, lo, hi)
        uniq, cnt, first, _, _ = K.group_counts(prev[where] * V + ids[where])
        buffered.append((uniq, cnt, prev[where[first] + 1]))
        rows_buffered += uniq.size
        del prev, ids, where, uniq, cnt, first
        if rows_buffered >= budget.run_rows:
            _spill(sp.dir, n, runs, buffered, stats)
            rows_buffered = 0
        K.trim_heap()
    log.debug("phase: order %d chunks counted, %d runs", n, len(runs))
    if runs and buffered:
        _spill(sp.dir, n, runs, buffered, stats)
        K.trim_heap()
    blocks: Iterable[Table] = (merge_blocks([_open_run(r) for r in runs], budget.merge_rows(len(runs))) if runs
                               else [K._merge(buffered)] if buffered else [])
    with open(sp.dir / f"keys-{n}.i64", "wb") as f_key, open(sp.dir / f"counts-{n}.i64", "wb") as f_cnt, \
            open(sp.dir / f"suffix-{n}.i64", "wb") as f_suf:
        for k, c, s in blocks:
            k.tofile(f_key)
            c.tofile(f_cnt)
            s.tofile(f_suf)
    buffered.clear()
    for r in runs:
        shutil.rmtree(r, ignore_errors=True)
    K.trim_heap()
    keys_f = FlatFile(sp.dir / f"keys-{n}.i64", np.int64)
    log.debug("phase: order %d merged, %d n-grams", n, keys_f.size)
    return keys_f


def _write_rows(sp: Spooled, remap: np.ndarray | None, n: int, V: int, budget: Budget, keys_f: FlatFile,
                prev_f: FlatFile) -> FlatFile:
    """The row of the order-``n`` n-gram ending at each position (``-1``: none), written to ``rows-n.i64``."""
    T, C = sp.n_positions, budget.chunk
    table = SortedFile(keys_f, budget.piece_rows)
    ids_f, pos_f = sp.ids(), sp.pos()
    path = sp.dir / f"rows-{n}.i64"
    with open(path, "wb") as f:
        for lo in range(0, T, C):
            hi = min(T, lo + C)
            cur = np.full(hi - lo, -1, dtype=np.int64)
            where = np.flatnonzero(pos_f.read(lo, hi) >= n - 1)
            where = where[where + lo >= 1]
            if where.size:
                base = max(lo - 1, 0)
                prev = prev_f.read(base, hi)[lo + where - 1 - base]
                ids = _final_ids(ids_f, remap, lo, hi)[where]
                cur[where] = table.find_rows(prev * V + ids)
            cur.tofile(f)
            del cur, where
            K.trim_heap()
    return FlatFile(path, np.int64)


def count_spooled(sp: Spooled, remap: np.ndarray | None, order: int, vocab_size: int, budget: Budget
                  ) -> tuple[K.NGramCounts, dict[str, int]]:
    """The n-gram tables of a spooled corpus, equal to :func:`seqlab.ngram._kernels.count_ngrams`'s.

    ``remap`` maps stored ids to final ids (None when they are final already). The keys of
    every order come back in memory (they are part of the model); the counts and suffix rows
    of orders >= 2 stay in files under ``sp.dir`` (:class:`TablesOnDisk`), read by the
    smoothing one order at a time, so they must be used before ``sp.dir`` is removed.
    Returns the counts and statistics (``runs`` written, ``run_bytes`` on disk).
    """
    V, T, C = vocab_size, sp.n_positions, budget.chunk
    ids_f = sp.ids()
    counts1 = np.zeros(V, dtype=np.int64)
    n_sent = 0
    with open(sp.dir / "rows-1.i64", "wb") as f_rows:
        for lo in range(0, T, C):
            chunk = _final_ids(ids_f, remap, lo, min(T, lo + C))
            counts1 += np.bincount(chunk, minlength=V)
            n_sent += int(np.count_nonzero(chunk == BOS_ID))
            if order > 1:
                chunk.tofile(f_rows)
    prev_f = FlatFile(sp.dir / "rows-1.i64", np.int64)
    keys: list[Path | np.ndarray] = [np.arange(V, dtype=np.int64)]
    counts: list[Path | np.ndarray] = [counts1]
    suffix: list[Path | np.ndarray] = [np.full(V, -1, dtype=np.int64)]
    stats = {"runs": 0, "run_bytes": 0}
    log.debug("phase: order 1 counted")
    for n in range(2, order + 1):
        keys_f = _count_order(sp, remap, n, V, budget, prev_f, stats)
        keys.append(keys_f.path)
        counts.append(sp.dir / f"counts-{n}.i64")
        suffix.append(sp.dir / f"suffix-{n}.i64")
        if n < order:  # rows of the n-grams at each position, for the next order's keys
            cur_f = _write_rows(sp, remap, n, V, budget, keys_f, prev_f)
            prev_f.path.unlink()
            prev_f = cur_f
            K.trim_heap()
            log.debug("phase: order %d rows per position written", n)
    prev_f.path.unlink()
    return K.NGramCounts(V, TablesOnDisk(keys), TablesOnDisk(counts), TablesOnDisk(suffix), n_sent), stats
