# mypy: disable-error-code="misc,untyped-decorator"
# (numba kernels: numpy scalar types in loops do not type-check under --strict; the wrappers do)
"""Compiled scoring: a hash of packed keys per order and one fused look-up + backoff pass.

Where the time went in the numpy scorer (profile of ``token_log_probs`` on ``kjv:test``,
order 5, 95k tokens, 60 ms per call): tokens to ids 15 % (dict look-ups, C-level ``map``),
the per-order binary searches 35 % (``searchsorted`` plus the sort that makes them local),
array bookkeeping of the backoff sum 30 % (masks and gathers over every position, once
per order), the rest Python overhead. This module replaces the last two: each order's
sorted keys go into an open-addressing hash table (linear probing, load <= 0.5, built once
per model and cached), and one numba loop per order finds the rows of every position
(independent iterations, so the CPU overlaps the cache misses), then one loop sums the
backoffs. The arithmetic is the numpy scorer's, in the same order, so the results are
bit-identical (tests).

numba is imported only here (``cache=True``): importing it costs about 0.25 CPU-s, so
small corpora are scored by the numpy path unless numba is already loaded
(:func:`seqlab.ngram._kernels.score_positions`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
from numba import njit

_MULT = np.uint64(0x9E3779B97F4A7C15)


WORKSPACE_MAX_POSITIONS = 1 << 22  # larger calls allocate afresh rather than pin ~90 MB per thread
SLOT = 4  # int64 words per slot: key, row, ln P bits, ln b bits (one 32-byte block)


@njit(cache=True, nogil=True)
def _build(keys: np.ndarray, ext: np.ndarray, lp: np.ndarray, bo: np.ndarray, slots: np.ndarray,
           fslots: np.ndarray, bits: int) -> None:
    mask = (1 << bits) - 1
    shift = np.uint64(64 - bits)
    for row in range(keys.size):
        k = keys[row]
        h = np.int64((np.uint64(k) * _MULT) >> shift)
        while slots[SLOT * h] != -1:
            h = (h + 1) & mask
        slots[SLOT * h] = k
        slots[SLOT * h + 1] = 2 * row + ext[row]  # low bit: the n-gram is the context of a longer one
        fslots[SLOT * h + 2] = lp[row]
        fslots[SLOT * h + 3] = bo[row]


@njit(cache=True, nogil=True)
def _rows(ids: np.ndarray, pos: np.ndarray, n: int, V: int, slots: np.ndarray, fslots: np.ndarray, off: int,
          bits: int, prev: np.ndarray, prev_ext: np.ndarray, out: np.ndarray, out_ext: np.ndarray, lp: np.ndarray,
          bo: np.ndarray) -> None:
    """Rows (and ln P, ln b, has-extension) of the order-n n-gram ending at every position.

    One loop over the positions for one order: the probes of different positions are
    independent, so the CPU overlaps their cache misses (a per-token chain over the orders,
    KenLM's way, measured 1.3x slower here).
    """
    T = ids.size
    mask = (1 << bits) - 1
    shift = np.uint64(64 - bits)
    out[0] = -1
    out_ext[0] = 0
    for t in range(1, T):
        out[t] = -1
        out_ext[t] = 0
        p = prev[t - 1]
        if pos[t] < n - 1 or p < 0 or prev_ext[t - 1] == 0:  # no context, or one without extensions
            continue
        k = np.int64(p) * V + ids[t]
        h = np.int64((np.uint64(k) * _MULT) >> shift)
        while True:
            at = off + SLOT * h
            s = slots[at]
            if s == k:
                v = slots[at + 1]
                out[t] = v >> 1
                out_ext[t] = v & 1
                lp[t] = fslots[at + 2]
                bo[t] = fslots[at + 3]
                break
            if s == -1:
                break
            h = (h + 1) & mask


@njit(cache=True, nogil=True)
def _backoff(pos: np.ndarray, rows: np.ndarray, lp: np.ndarray, bo: np.ndarray, default_backoff: float,
             out: np.ndarray, length: np.ndarray) -> None:
    N, T = rows.shape[0], pos.size
    for t in range(T):
        pt = pos[t]
        out[t] = np.nan
        length[t] = 0
        if pt == 0:
            continue
        acc = 0.0  # summed in the numpy scorer's order (longest context first): equal bits
        for n in range(N, 0, -1):
            if n <= N - 1 and pt >= n:
                acc += bo[n - 1, t - 1] if rows[n - 1, t - 1] >= 0 else default_backoff
            if rows[n - 1, t] >= 0:
                out[t] = lp[n - 1, t] + acc
                length[t] = n
                break


@njit(cache=True, nogil=True)
def _unigrams(ids: np.ndarray, uni_lp: np.ndarray, uni_bo: np.ndarray, uni_ext: np.ndarray, rows: np.ndarray,
              ext: np.ndarray, lp: np.ndarray, bo: np.ndarray) -> None:
    for t in range(ids.size):
        w = ids[t]
        rows[0, t] = w
        ext[0, t] = uni_ext[w]
        lp[0, t] = uni_lp[w]
        bo[0, t] = uni_bo[w]


def _has_extension(keys: Sequence[np.ndarray], n: int, V: int) -> np.ndarray:
    """1 for each order-n row that is the context of some order-(n+1) row, else 0 (int64)."""
    if n == len(keys):
        return np.zeros(keys[n - 1].size, dtype=np.int64)
    return (np.bincount(keys[n] // V, minlength=keys[n - 1].size) > 0).astype(np.int64)


class HashIndex:
    """Hash tables of every order's keys holding each row's ``ln P`` and ``ln b`` beside its key."""

    def __init__(self, keys: Sequence[np.ndarray], log_probs: Sequence[np.ndarray],
                 log_backoffs: Sequence[np.ndarray]) -> None:
        V = keys[0].size
        self.unigram = (np.ascontiguousarray(log_probs[0], dtype=np.float64),
                        np.ascontiguousarray(log_backoffs[0], dtype=np.float64),
                        _has_extension(keys, 1, V).astype(np.int8))
        bits = [max(4, int(max(k.size, 1) * 4 // 3).bit_length()) for k in keys[1:]]  # load factor <= 0.75
        base = np.cumsum([0] + [SLOT << b for b in bits])
        self.slots = np.full(int(base[-1]), -1, dtype=np.int64)
        self.fslots = self.slots.view(np.float64)
        for n, (k, lp, bo) in enumerate(zip(keys[1:], log_probs[1:], log_backoffs[1:], strict=True), 2):
            lo, hi = int(base[n - 2]), int(base[n - 1])
            _build(np.ascontiguousarray(k, dtype=np.int64), _has_extension(keys, n, V),
                   np.ascontiguousarray(lp, dtype=np.float64), np.ascontiguousarray(bo, dtype=np.float64),
                   self.slots[lo:hi], self.fslots[lo:hi], bits[n - 2])
        self.base = base[:-1].astype(np.int64)
        self._local = threading.local()
        self.bits = np.asarray(bits, dtype=np.int64)

    def score(self, ids: np.ndarray, pos: np.ndarray, vocab_size: int, default_backoff: float
              ) -> tuple[np.ndarray, np.ndarray]:
        """Same contract (and bits) as :func:`seqlab.ngram._kernels.backoff_scores` after ``lookup``."""
        N, T = self.bits.size + 1, ids.size
        rows, ext, lp, bo = self._workspace(N, T)
        ids = np.ascontiguousarray(ids, dtype=np.int32)
        pos = np.ascontiguousarray(pos, dtype=np.int32)
        _unigrams(ids, *self.unigram, rows, ext, lp, bo)
        for n in range(2, N + 1):
            _rows(ids, pos, n, vocab_size, self.slots, self.fslots, int(self.base[n - 2]), int(self.bits[n - 2]),
                  rows[n - 2], ext[n - 2], rows[n - 1], ext[n - 1], lp[n - 1], bo[n - 1])
        out = np.empty(T)
        length = np.empty(T, dtype=np.int32)
        _backoff(pos, rows, lp, bo, float(default_backoff), out, length)
        return out, length

    def _workspace(self, N: int, T: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per-thread scratch arrays, kept between calls (fresh pages cost more than the scoring)."""
        ws = getattr(self._local, "ws", None)
        if ws is None or ws[0].shape != (N, T):  # exact shape: C-contiguous rows compile to the fastest loops
            ws = (np.empty((N, T), np.int32), np.empty((N, T), np.int8), np.empty((N, T)), np.empty((N, T)))
            if T <= WORKSPACE_MAX_POSITIONS:
                self._local.ws = ws
        return ws
