"""Out-of-core model building: every smoothing strategy writes the model block by block to files.

:mod:`seqlab.ngram.outofcore` leaves every order's keys, counts and suffix rows in files.
Here a strategy's :class:`~seqlab.ngram.smoothing.BlockForm` turns them into the model
without holding any order whole, in the steps the in-memory path takes:

1. adjust (Kneser-Ney strategies): continuation counts N1+(. w1..wn) of order n are counted
   in windows of order-n rows, each a pass over the suffix rows of order n + 1
   (:meth:`_Build.adjusted_file`);
2. discount: count-of-counts are summed over each order's counts file;
3. estimate: order by order, in blocks of whole contexts, by the strategy's block function
   (the one the in-memory build runs); where a block needs the order below's probabilities
   (interpolation, Katz), they are looked up a piece of its file at a time
   (:func:`~seqlab.ngram.outofcore.gather`);
4. backoff form: each block's ``ln p`` and its contexts' ``ln b`` are appended to files as
   they are made.

Same operations in the same order as in memory, so the arrays are equal bit for bit. The
model's arrays of orders >= 2 (keys, ``ln p``, ``ln b``) are then memory-mapped read-only
(``np.memmap``, as gensim's ``mmap='r'``): the files' directory entries go with the scratch
directory, the data lives as long as the model does, and the operating system pages it in
as scoring touches it. So the build's resident memory is the budget's blocks (plus the
vocabulary and the unigram arrays), whatever the size of the model.
"""

from __future__ import annotations

import bisect
import logging
from pathlib import Path
from typing import IO, Any

import numpy as np

from seqlab.data.vocab import BOS_ID, PAD_ID
from seqlab.ngram import _kernels as K
from seqlab.ngram.outofcore import Budget, FlatFile, TablesOnDisk, gather
from seqlab.ngram.smoothing import BlockForm, Estimate, Smoothing, context_blocks, count_of_counts, log_or_ninf

log = logging.getLogger(__name__)
Source = np.ndarray | FlatFile  # an order's array: in memory (order 1) or a flat int64/float64 file


def estimate_on_disk(smoothing: Smoothing, counts: K.NGramCounts, directory: Path, budget: Budget
                     ) -> tuple[list[np.ndarray], Estimate]:
    """The model's keys and estimate from tables on disk; arrays of orders >= 2 memory-mapped.

    ``directory`` (the scratch directory holding the tables) receives the model's files; they
    are mapped before this returns, so the directory may then be removed.
    """
    return _Build(smoothing, counts, directory, budget).run()


class _Build:
    """One out-of-core build (the steps of the module docstring)."""

    def __init__(self, smoothing: Smoothing, c: K.NGramCounts, directory: Path, budget: Budget) -> None:
        self.smoothing, self.c, self.dir, self.budget = smoothing, c, directory, budget
        self.N, self.V = c.order, c.vocab_size
        self.bos = _bos_ranges([self.file(c.keys, n) for n in range(1, self.N + 1)], self.V)

    @staticmethod
    def file(table: Any, n: int) -> Source:
        """Order ``n`` of ``counts``/``keys``/``suffix`` (a :class:`TablesOnDisk`): an array or its file."""
        assert isinstance(table, TablesOnDisk), "the out-of-core build reads the tables of count_spooled"
        return table.file(n - 1)

    def run(self) -> tuple[list[np.ndarray], Estimate]:
        adjusted = self.smoothing.adjusted
        sources = [self.counts_source(n, adjusted) for n in range(1, self.N + 1)]
        form = self.smoothing.block_form(
            lambda n, k: _count_of_counts(sources[n - 1], k, self.budget.piece_rows), self.N, self.V)
        log.debug("phase: smoothing: discounts")
        p1 = form.unigrams(sources[0][:self.V].astype(np.float64))
        lnp1 = log_or_ninf(p1)
        lnp1[[PAD_ID, BOS_ID]] = -np.inf
        log_probs: list[np.ndarray] = [lnp1]
        log_backoffs: list[np.ndarray] = []
        lower: Source = p1
        for n in range(2, self.N + 1):
            lower = self.estimate_order(n, sources[n - 1], lower, form)
            log_backoffs.append(_mapped(self.dir / f"lnb-{n - 1}.f64", np.float64))
            log_probs.append(_mapped(self.dir / f"lnp-{n}.f64", np.float64))
            log.debug("phase: smoothing: order %d estimated", n)
        top = self.dir / f"lnb-{self.N}.f64"
        with open(top, "wb") as f:  # the highest order is no context: its ln b is the fill's
            _fill_log(f, form.gamma_fill, self.file(self.c.keys, self.N).size, self.budget.piece_rows)
        log_backoffs.append(_mapped(top, np.float64) if self.N > 1 else np.fromfile(top, dtype=np.float64))
        keys: list[np.ndarray] = [np.asarray(self.file(self.c.keys, 1))]
        keys += [_mapped(self.file(self.c.keys, n).path, np.int64) for n in range(2, self.N + 1)]  # type: ignore[union-attr]
        return keys, Estimate(log_probs, log_backoffs, form.default_backoff, form.info)

    # ------------------------------------------------------------------ 1. adjust
    def counts_source(self, n: int, adjusted: bool) -> Source:
        """Order ``n``'s counts as the strategy uses them (int64): raw, or continuation counts below the top."""
        raw = self.file(self.c.counts, n)
        if not adjusted or n == self.N:
            if n == 1:
                a = np.array(raw, dtype=np.int64)
                a[[PAD_ID, BOS_ID]] = 0
                return a
            return raw
        if n == 1:
            a = _continuation(self.file(self.c.suffix, 2), 0, self.V, self.budget.piece_rows)
            lo, hi = self.bos[0]
            a[lo:hi] = raw[lo:hi]
            a[[PAD_ID, BOS_ID]] = 0
            return a
        return self.adjusted_file(n, raw)

    def adjusted_file(self, n: int, raw: Source) -> FlatFile:
        """Continuation counts of order ``n`` (raw counts for n-grams starting with ``<s>``), in a file."""
        rows, window = raw.size, self.budget.piece_rows
        suffix_above = self.file(self.c.suffix, n + 1)
        lo, hi = self.bos[n - 1]
        path = self.dir / f"adjusted-{n}.i64"
        with open(path, "wb") as f:
            for w0 in range(0, rows, window):
                w1 = min(rows, w0 + window)
                a = _continuation(suffix_above, w0, w1, self.budget.piece_rows)
                b0, b1 = max(lo, w0), min(hi, w1)
                if b1 > b0:
                    a[b0 - w0:b1 - w0] = raw[b0:b1]
                a.tofile(f)
                del a
        log.debug("phase: smoothing: order %d adjusted", n)
        return FlatFile(path, np.int64)

    # ------------------------------------------------------------------ 3 and 4. estimate, backoff form
    def estimate_order(self, n: int, source: Source, lower: Source, form: BlockForm) -> Source:
        """Order ``n``'s ``ln p`` (file ``lnp-n``) and its contexts' ``ln b`` (``lnb-(n-1)``).

        Returns order n's probabilities (file ``p-n``, written where the order above needs
        them) for the next order; order n-1's file is deleted.
        """
        V, budget = self.V, self.budget
        keys_f, suffix = self.file(self.c.keys, n), self.file(self.c.suffix, n)
        assert isinstance(keys_f, FlatFile) and isinstance(suffix, FlatFile)
        if form.needs_lower and isinstance(lower, FlatFile) and lower.size <= budget.piece_rows:
            lower = lower.load()  # small enough to look up in memory: read once for every block
        contexts = self.file(self.c.keys, n - 1).size
        (b_lo, b_hi), (c_lo, c_hi) = self.bos[n - 1], self.bos[n - 2]
        keep_p = form.needs_lower and n < self.N  # the order above looks these probabilities up
        done = 0  # contexts whose ln b is written
        with open(self.dir / f"lnp-{n}.f64", "wb") as f_lnp, open(self.dir / f"lnb-{n - 1}.f64", "wb") as f_lnb, \
                open(self.dir / f"p-{n}.f64", "wb") as f_p:
            for r0, r1 in context_blocks(keys_f, V, budget.smooth_rows):
                kb = keys_f.read(r0, r1)
                h0, h1 = int(kb[0]) // V, int(kb[-1]) // V + 1
                lower_p = gather(lower, suffix.read(r0, r1), budget.piece_rows) if form.needs_lower else None
                bos = (_in_range(r0, r1, b_lo, b_hi), _in_range(h0, h1, c_lo, c_hi)) if form.needs_bos else (None, None)
                p, g = form.block(n, source[r0:r1].astype(np.float64), kb, lower_p, *bos)
                del lower_p, kb
                _fill_log(f_lnb, form.gamma_fill, h0 - done, budget.piece_rows)  # contexts without extension
                log_or_ninf(g).tofile(f_lnb)
                done = h1
                if keep_p:
                    p.tofile(f_p)
                log_or_ninf(p).tofile(f_lnp)
                del p, g
            _fill_log(f_lnb, form.gamma_fill, contexts - done, budget.piece_rows)
        K.trim_heap()
        (self.dir / f"p-{n - 1}.f64").unlink(missing_ok=True)
        return FlatFile(self.dir / f"p-{n}.f64", np.float64)


# ---------------------------------------------------------------------- helpers
def _fill_log(f: IO[bytes], value: float, count: int, piece: int) -> None:
    """Append ``count`` copies of ``ln value`` (float64) to ``f``, at most ``piece`` at a time.

    The log is numpy's, of an array of ``value``, as the in-memory build takes it.
    """
    for lo in range(0, max(count, 0), piece):
        log_or_ninf(np.full(min(piece, count - lo), value, dtype=np.float64)).tofile(f)


def _in_range(lo: int, hi: int, r_lo: int, r_hi: int) -> np.ndarray:
    """Which of rows ``lo .. hi - 1`` lie in ``[r_lo, r_hi)`` (bool, shape (hi - lo,))."""
    rows = np.arange(lo, hi)
    out: np.ndarray = (rows >= r_lo) & (rows < r_hi)
    return out


def _count_of_counts(a: Source, k: int, piece: int) -> np.ndarray:
    """:func:`~seqlab.ngram.smoothing.count_of_counts` of an array or a file, a piece at a time."""
    total = np.zeros(k + 1, dtype=np.int64)
    for lo in range(0, a.size, piece):
        total += count_of_counts(a[lo:lo + piece], k)
    return total


def _continuation(suffix_above: Source, w0: int, w1: int, piece: int) -> np.ndarray:
    """N1+(. w) for rows ``w0 .. w1 - 1``: how many rows of the order above have each as suffix."""
    out = np.zeros(w1 - w0, dtype=np.int64)
    for lo in range(0, suffix_above.size, piece):
        s = suffix_above[lo:lo + piece]
        s = s[(s >= w0) & (s < w1)]
        s -= w0
        out += np.bincount(s, minlength=w1 - w0)
    return out


def _bos_ranges(keys: list[Source], vocab_size: int) -> list[tuple[int, int]]:
    """Rows ``[lo, hi)`` of each order whose n-gram starts with ``<s>`` (one range: keys sort by prefix)."""
    out = [(BOS_ID, BOS_ID + 1)]
    for table in keys[1:]:
        lo, hi = out[-1]
        out.append((bisect.bisect_left(table, lo * vocab_size, 0, table.size),
                    bisect.bisect_left(table, hi * vocab_size, 0, table.size)))
    return out


def _mapped(path: Path, dtype: type[np.generic]) -> np.ndarray:
    """The file as a read-only array mapped from disk (an empty file: an empty array)."""
    if path.stat().st_size == 0:
        return np.empty(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r")

