"""Out-of-core n-gram counting: bounded memory, sorted runs on disk, k-way merge (``lmplz -S``).

The corpus is streamed once into two flat files (token ids with ``<s>``/``</s>`` inserted,
and the offset of each position in its sentence), then counted order by order over
memory-mapped chunks. Each chunk is grouped in memory (:func:`seqlab.ngram._kernels.group`);
when the partial tables reach the budget they are merged and written as one sorted *run*
(``.npy`` keys, counts and suffix rows). The runs of an order are then k-way merged block by
block. Keys, counts and suffix rows are exactly those of
:func:`seqlab.ngram._kernels.count_ngrams`, so every later step (adjust, discount,
interpolate, backoff: the smoothing strategy) gives the same model, byte for byte.

Memory: the budget bounds the chunk temporaries, the run buffer and the merge blocks. Not
in it: the interpreter and numpy (~60 MB), the vocabulary's token dict, and the merged
count tables themselves (24 bytes per distinct n-gram), which the model is built from.
Temporary files live in one directory under ``temp_dir`` that is removed on success, on
error and on Ctrl-C.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import numpy as np

from seqlab.data.vocab import BOS_ID, UNK_ID
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.ngram import _kernels as K

MIN_MEMORY = 1 << 20  # 1 MiB: below this the chunks get so small that counting crawls
_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)
OFFSET = 4  # provisional ids are stored + OFFSET, so 2 and 3 stay <s> and </s>
BYTES_PER_POSITION = 128  # chunk temporaries (ids, pos, rows, keys, sort, inverse), measured generously
BYTES_PER_ENTRY = 24  # one table row: key, count, suffix (int64 each)


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

    def ids(self) -> np.ndarray:
        return np.memmap(self.dir / "ids.i32", dtype=np.int32, mode="r", shape=(self.n_positions,))

    def pos(self) -> np.ndarray:
        return np.memmap(self.dir / "pos.i32", dtype=np.int32, mode="r", shape=(self.n_positions,))


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
def _write_run(directory: Path, n: int, index: int, table: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Path:
    path = directory / f"run-{n}-{index}"
    path.mkdir()
    for name, arr in zip(("keys", "counts", "suffix"), table, strict=True):
        np.save(path / f"{name}.npy", arr)
    return path


def _spill(directory: Path, n: int, runs: list[Path], buffered: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
           stats: dict[str, int]) -> None:
    """Merge the buffered partial tables into one sorted run on disk and empty the buffer."""
    table = K._merge(buffered)
    runs.append(_write_run(directory, n, len(runs), table))
    stats["runs"] += 1
    stats["run_bytes"] += sum(a.nbytes for a in table)
    buffered.clear()


def _open_run(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    keys, counts, suffix = (np.load(path / f"{name}.npy", mmap_mode="r") for name in ("keys", "counts", "suffix"))
    return keys, counts, suffix


def merge_runs(runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]], block: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """k-way merge of sorted (keys, counts, suffix) runs, ``block`` rows of each run at a time.

    Each step takes every key up to the smallest last key of the current blocks (all of
    those are in memory), sums their counts and appends them: the output is sorted and unique.
    """
    live = [r for r in runs if r[0].size]
    if not live:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
    ptr = [0] * len(live)
    out: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
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
        out.append(K._merge(parts))
    return (np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out]),
            np.concatenate([o[2] for o in out]))


def count_spooled(sp: Spooled, remap: np.ndarray | None, order: int, vocab_size: int, budget: Budget
                  ) -> tuple[K.NGramCounts, dict[str, int]]:
    """The n-gram tables of a spooled corpus, equal to :func:`seqlab.ngram._kernels.count_ngrams`'s.

    ``remap`` maps stored ids to final ids (None when they are final already). Returns the
    counts and statistics (``runs`` written, ``run_bytes`` on disk).
    """
    V, T, C = vocab_size, sp.n_positions, budget.chunk
    ids_mm, pos_mm = sp.ids(), sp.pos()

    def final_ids(lo: int, hi: int) -> np.ndarray:
        raw = np.asarray(ids_mm[lo:hi])
        return remap[raw] if remap is not None else raw.astype(np.int64)

    counts1 = np.zeros(V, dtype=np.int64)
    n_sent = 0
    if order > 1:
        prev_mm = np.memmap(sp.dir / "rows-1.i64", dtype=np.int64, mode="w+", shape=(max(T, 1),))
    for lo in range(0, T, C):
        chunk = final_ids(lo, min(T, lo + C))
        counts1 += np.bincount(chunk, minlength=V)
        n_sent += int(np.count_nonzero(chunk == BOS_ID))
        if order > 1:
            prev_mm[lo:lo + chunk.size] = chunk
    keys = [np.arange(V, dtype=np.int64)]
    counts = [counts1]
    suffix = [np.full(V, -1, dtype=np.int64)]
    stats = {"runs": 0, "run_bytes": 0}
    for n in range(2, order + 1):
        buffered: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        rows_buffered = 0
        runs: list[Path] = []
        for lo in range(1, max(T, 1), C):
            hi = min(T, lo + C)
            pos = np.asarray(pos_mm[lo:hi])
            where = np.flatnonzero(pos >= n - 1)
            if where.size == 0:
                continue
            prev = np.asarray(prev_mm[lo - 1:hi])  # prev[i + 1] is the row at position lo + i
            ids = final_ids(lo, hi)
            uniq, cnt, first, _, _ = K.group_counts(prev[where] * V + ids[where])
            buffered.append((uniq, cnt, prev[where[first] + 1]))
            rows_buffered += uniq.size
            if rows_buffered >= budget.run_rows:
                _spill(sp.dir, n, runs, buffered, stats)
                rows_buffered = 0
        if runs:
            if buffered:
                _spill(sp.dir, n, runs, buffered, stats)
            table = merge_runs([_open_run(r) for r in runs], budget.merge_rows(len(runs)))
            for r in runs:
                shutil.rmtree(r, ignore_errors=True)
        elif buffered:
            table = K._merge(buffered)
        else:
            table = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64))
        keys.append(table[0])
        counts.append(table[1])
        suffix.append(table[2])
        if n < order:  # rows of the n-grams at each position, for the next order's keys
            cur_mm = np.memmap(sp.dir / f"rows-{n}.i64", dtype=np.int64, mode="w+", shape=(max(T, 1),))
            for lo in range(0, T, C):
                hi = min(T, lo + C)
                pos = np.asarray(pos_mm[lo:hi])
                cur = np.full(hi - lo, -1, dtype=np.int64)
                where = np.flatnonzero(pos >= n - 1)
                where = where[where + lo >= 1]
                if where.size:
                    prev = np.asarray(prev_mm[lo + where - 1])
                    ids = final_ids(lo, hi)[where]
                    cur[where] = K.find_rows(table[0], prev * V + ids)
                cur_mm[lo:hi] = cur
            cur_mm.flush()
            del prev_mm
            (sp.dir / f"rows-{n - 1}.i64").unlink()
            prev_mm = cur_mm
    return K.NGramCounts(V, keys, counts, suffix, n_sent), stats
