# mypy: disable-error-code="misc,untyped-decorator,no-untyped-call,call-arg"
# (numba kernels and the llvmlite prefetch intrinsic do not type-check under --strict; the wrappers do)
"""Compiled scoring: hash tables of packed keys, one pass per order with prefetching, and
a compiled token-to-id mapping.

Where the time went (``token_log_probs`` on ``kjv:test``, order 5, 95k tokens + 3.1k
``</s>``, CPU time, per-step timers and cProfile): with the numpy scorer, tokens to ids
15 %, the per-order binary searches 35 % (``searchsorted`` plus the sort that makes them
local), array bookkeeping of the backoff sum 30 %. The first compiled scorer (one numba
loop per order over 32-byte slots, ``(N, T)`` scratch arrays) took 15.5 ms: 3.7 ms tokens to
ids (``map(stoi.get, ...)``), 1.0 ms validating the sentences, 0.3 ms adding ``<s>``/``</s>``,
10.2 ms in the loops. An order-2 model (a 4 MB table) is scored in 1.7 ms, an order-5 one
(88 MB) in 10: the loops waited on memory. So:

- Order ``n``'s table holds, per slot, the packed key ``(ctx_slot * V + w) << 1 | ext`` and
  ``ln P`` (and ``ln b`` below the highest order): 24 bytes, 16 at the highest order, load
  factor <= 2/3. ``ctx_slot`` is the slot of the context in the order-(n-1) table, so the
  slot found for an n-gram is the handle of the next look-up and no row number is stored;
  ``ext`` says whether the n-gram is the context of a longer one (no look-up otherwise).
- One pass per order over the positions: the probe at ``t`` needs only the previous pass's
  slot at ``t - 1``, so while ``t`` is probed the slot of ``t + PREFETCH`` (and the cache
  line after it, where a probe run often continues) is requested from memory
  (``llvm.prefetch``). This, not the smaller table, is what made the loops faster; a
  per-position loop over all orders (KenLM's order) cannot prefetch and measured no faster
  than the old loops.
  Interleaved in one process on the shared machine (load average 11-13): the old loops
  15.3-15.7 ms, one pass per order with one prefetch 8.6-10 ms, with two 7.9-8.2 ms.
- The last pass sums the backoffs in the numpy scorer's order, so the results are
  bit-identical (tests).
- Tokens to ids: each sentence's tokens are joined (``str.join``, in C) and the UTF-8 bytes
  hashed against a table of the vocabulary's bytes in one compiled pass: about 25 % less
  than a dict look-up per token.

numba is imported only here (``cache=True``): importing it costs about 0.15 CPU-s and its
first call in a process about 0.2 CPU-s more (even with every kernel cached), so small
corpora are scored by the numpy path unless numba is already loaded
(:meth:`seqlab.ngram.NGramLM._compiled`). ``seqlab warm-up --family ngram`` fills the cache.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from seqlab.data.vocab import BOS_ID, EOS_ID, UNK_ID

_MULT = np.uint64(0x9E3779B97F4A7C15)
EMPTY = -1  # key word of an empty slot (packed keys are >= 0)
PREFETCH = 32  # positions ahead whose slot is requested while the current one is probed


@njit(cache=True, nogil=True)
def _build(keys: np.ndarray, ext: np.ndarray, lp: np.ndarray, bo: np.ndarray, width: int, bits: int,
           table: np.ndarray, ftable: np.ndarray, slot_of_row: np.ndarray) -> None:
    """Insert each row (packed key, ln P, ln b when ``width == 3``) by linear probing; record its slot."""
    mask = (1 << bits) - 1
    shift = np.uint64(64 - bits)
    for row in range(keys.size):
        k = keys[row]
        h = np.int64((np.uint64(k) * _MULT) >> shift)
        while table[width * h] != EMPTY:
            h = (h + 1) & mask
        table[width * h] = (k << 1) | ext[row]
        ftable[width * h + 1] = lp[row]
        if width >= 3:
            ftable[width * h + 2] = bo[row]
        slot_of_row[row] = h


@intrinsic
def _prefetch(typingctx, arr, idx):  # type: ignore[no-untyped-def]
    """Hint the CPU to load ``arr[idx]`` into cache (LLVM's ``llvm.prefetch``; no effect on results)."""
    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False, boundscheck=False)
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                            "llvm.prefetch.p0i8")
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])  # read, keep in all levels, data
        return context.get_dummy_value()
    return types.void(arr, types.int64), codegen


@njit(cache=True, nogil=True)
def _score(ids: np.ndarray, pos: np.ndarray, V: int, uni_lp: np.ndarray, uni_bo: np.ndarray, uni_ext: np.ndarray,
           table: np.ndarray, ftable: np.ndarray, base: np.ndarray, bits: np.ndarray, width: np.ndarray,
           default_backoff: float, out: np.ndarray, length: np.ndarray) -> None:
    """ln p and matched length at every position (NaN and 0 at ``<s>``).

    One pass per order n = 2..N over the positions: the probe at ``t`` needs the slot of
    the order-(n-1) n-gram ending at ``t - 1`` (``prev``, from the previous pass), so the
    probes of one pass are independent and the slot of position ``t + PREFETCH`` is
    requested from memory while ``t`` is probed. The last pass also sums the backoffs.
    """
    T = ids.size
    N = base.size + 1
    prev = np.empty(T, np.int64)  # (T,) slot of the order-(n-1) n-gram ending at t, -1 if none
    cur = np.empty(T, np.int64)  # (T,) the same for order n
    prev_ext = np.empty(T, np.int8)  # (T,) 1 where that n-gram is the context of a longer one
    cur_ext = np.empty(T, np.int8)
    best_lp = np.empty(T)  # (T,) ln P of the longest n-gram found so far at t; its order is length[t]
    bo = np.empty((T, N - 1))  # (T, N-1) ln b of the order-j context ending at t (default if absent)
    for t in range(T):
        w = ids[t]
        prev[t] = w
        prev_ext[t] = uni_ext[w]
        best_lp[t] = uni_lp[w]
        length[t] = 1
        bo[t, 0] = uni_bo[w]
    for n in range(2, N + 1):
        b = base[n - 2]
        wd = width[n - 2]
        mask = (1 << bits[n - 2]) - 1
        shift = np.uint64(64 - bits[n - 2])
        for t in range(T):
            u = t + PREFETCH
            if u < T and pos[u] >= n - 1 and prev[u - 1] >= 0 and prev_ext[u - 1] != 0:
                k = prev[u - 1] * V + ids[u]
                at = b + wd * np.int64((np.uint64(k) * _MULT) >> shift)
                _prefetch(table, at)
                _prefetch(table, at + 8)  # the next cache line too: a probe run often crosses into it
            cur[t] = -1
            cur_ext[t] = 0
            if n < N:
                bo[t, n - 1] = default_backoff
            pt = pos[t]
            if pt >= n - 1 and prev[t - 1] >= 0 and prev_ext[t - 1] != 0:  # pt >= 1 implies t >= 1
                k = prev[t - 1] * V + ids[t]
                h = np.int64((np.uint64(k) * _MULT) >> shift)
                while True:
                    at = b + wd * h
                    s = table[at]
                    if (s >> 1) == k:
                        cur[t] = h
                        cur_ext[t] = s & 1
                        best_lp[t] = ftable[at + 1]
                        length[t] = n
                        if n < N:
                            bo[t, n - 1] = ftable[at + 2]
                        break
                    if s == EMPTY:
                        break
                    h = (h + 1) & mask
            if n == N:
                if pt == 0:
                    out[t] = np.nan
                    length[t] = 0
                else:  # the numpy scorer's sum, in its order (longest context first): equal bits
                    acc = 0.0
                    for j in range(min(N - 1, pt), length[t] - 1, -1):
                        acc += bo[t - 1, j - 1]
                    out[t] = best_lp[t] + acc
        prev, cur = cur, prev
        prev_ext, cur_ext = cur_ext, prev_ext


@njit(cache=True, nogil=True)
def _score_sentences(words: np.ndarray, lengths: np.ndarray, V: int, bos: int, eos: int, unk: int,
                     uni_lp: np.ndarray, uni_bo: np.ndarray, uni_ext: np.ndarray, table: np.ndarray,
                     ftable: np.ndarray, base: np.ndarray, bits: np.ndarray, width: np.ndarray,
                     default_backoff: float, log_probs: np.ndarray, is_oov: np.ndarray) -> None:
    """:func:`_score` over sentences given as words + lengths: adds ``<s>``/``</s>`` and keeps
    only the predicted positions (every word and each ``</s>``), as ``token_log_probs`` returns them."""
    T = words.size + 2 * lengths.size
    ids = np.empty(T, np.int32)  # (T,) <s> w1 .. wk </s> per sentence
    pos = np.empty(T, np.int32)  # (T,) offset from the sentence's <s>
    t = 0
    j = 0
    for s in range(lengths.size):
        ids[t] = bos
        pos[t] = 0
        for i in range(lengths[s]):
            ids[t + 1 + i] = words[j + i]
            pos[t + 1 + i] = 1 + i
        j += lengths[s]
        t += lengths[s] + 1
        ids[t] = eos
        pos[t] = lengths[s] + 1
        t += 1
    out = np.empty(T)
    length = np.empty(T, np.int32)
    _score(ids, pos, V, uni_lp, uni_bo, uni_ext, table, ftable, base, bits, width, default_backoff, out, length)
    j = 0
    for t in range(T):
        if pos[t] > 0:
            log_probs[j] = out[t]
            is_oov[j] = ids[t] == unk
            j += 1


def _has_extension(keys: Sequence[np.ndarray], n: int, V: int) -> np.ndarray:
    """1 for each order-n row that is the context of some order-(n+1) row, else 0 (int64)."""
    if n == len(keys):
        return np.zeros(keys[n - 1].size, dtype=np.int64)
    return (np.bincount(keys[n] // V, minlength=keys[n - 1].size) > 0).astype(np.int64)


class HashIndex:
    """Hash tables of every order's n-grams, holding each one's ``ln P`` and ``ln b`` beside its key.

    Built once per model from the sorted tables (``keys``, ``log_probs``, ``log_backoffs``
    of :class:`~seqlab.ngram.NGramLM`) and read-only afterwards, so threads may share it.
    """

    def __init__(self, keys: Sequence[np.ndarray], log_probs: Sequence[np.ndarray],
                 log_backoffs: Sequence[np.ndarray]) -> None:
        V = keys[0].size
        N = len(keys)
        if N < 2:
            raise ValueError("the hash scorer needs an order >= 2 model (a unigram model needs no look-ups)")
        self.unigram = (np.ascontiguousarray(log_probs[0], dtype=np.float64),
                        np.ascontiguousarray(log_backoffs[0], dtype=np.float64),
                        _has_extension(keys, 1, V))
        # load factor in (1/3, 2/3]: short probe runs, as KenLM's default multiplier of 1.5
        bits = [max(4, (max(k.size, 1) * 3 // 2).bit_length()) for k in keys[1:]]
        if (V << max(bits)) >= 1 << 62:  # packed keys (slot * V + w) << 1 must stay below 2**63
            raise ValueError(f"the hash scorer cannot pack keys of {V} words and 2**{max(bits)} slots in int64")
        width = [3 if n < N else 2 for n in range(2, N + 1)]  # the highest order needs no ln b
        base = np.cumsum([0] + [w << b for w, b in zip(width, bits, strict=True)])
        self.table = np.full(int(base[-1]), EMPTY, dtype=np.int64)
        ftable = self.table.view(np.float64)
        slot_of_row = np.arange(V, dtype=np.int64)  # order 1: the slot is the id
        for n in range(2, N + 1):
            lo, hi = int(base[n - 2]), int(base[n - 1])
            k = np.ascontiguousarray(keys[n - 1], dtype=np.int64)
            packed = slot_of_row[k // V] * V + k % V  # the context's row -> its slot
            slot_of_row = np.empty(k.size, dtype=np.int64)
            _build(packed, _has_extension(keys, n, V), np.ascontiguousarray(log_probs[n - 1], dtype=np.float64),
                   np.ascontiguousarray(log_backoffs[n - 1], dtype=np.float64), width[n - 2], bits[n - 2],
                   self.table[lo:hi], ftable[lo:hi], slot_of_row)
        self.base = base[:-1].astype(np.int64)
        self.bits = np.asarray(bits, dtype=np.int64)
        self.width = np.asarray(width, dtype=np.int64)

    def score(self, ids: np.ndarray, pos: np.ndarray, vocab_size: int, default_backoff: float
              ) -> tuple[np.ndarray, np.ndarray]:
        """Same contract (and bits) as :func:`seqlab.ngram._kernels.backoff_scores` after ``lookup``."""
        T = ids.size
        out = np.empty(T)
        length = np.empty(T, dtype=np.int32)
        _score(np.ascontiguousarray(ids, dtype=np.int32), np.ascontiguousarray(pos, dtype=np.int32), vocab_size,
               *self.unigram, self.table, self.table.view(np.float64), self.base, self.bits, self.width,
               float(default_backoff), out, length)
        return out, length

    def score_sentences(self, words: np.ndarray, lengths: np.ndarray, vocab_size: int, default_backoff: float
                        ) -> tuple[np.ndarray, np.ndarray]:
        """(ln p, is OOV) of every word and each sentence's ``</s>``: ``token_log_probs_ids``'s contract.

        ``words`` are the ids of every sentence, concatenated; ``lengths`` the words per sentence.
        """
        n = words.size + lengths.size
        log_probs = np.empty(n)
        is_oov = np.empty(n, dtype=np.bool_)
        _score_sentences(np.ascontiguousarray(words, dtype=np.int64), np.ascontiguousarray(lengths, dtype=np.int64),
                         vocab_size, BOS_ID, EOS_ID, UNK_ID, *self.unigram, self.table, self.table.view(np.float64),
                         self.base, self.bits, self.width, float(default_backoff), log_probs, is_oov)
        return log_probs, is_oov


# ---------------------------------------------------------------------- tokens to ids
SEP = "\x00"  # joins the tokens of a corpus into one string; a token holding it sends encode() to the dict path
@njit(cache=True, nogil=True)
def _mix(h: np.uint64) -> np.int64:
    """Finish a token hash: one multiply spreads the rotate-xor state over the top bits."""
    h = h * _MULT
    return np.int64(h ^ (h >> np.uint64(29)))


@njit(cache=True, nogil=True)
def _build_tokens(vbytes: np.ndarray, voff: np.ndarray, bits: int, table: np.ndarray) -> None:
    """Insert every vocabulary id under the hash of its UTF-8 bytes (slot: hash, id)."""
    mask = (1 << bits) - 1
    for v in range(voff.size - 1):
        h = np.uint64(0)
        for j in range(voff[v], voff[v + 1]):
            h = ((h << np.uint64(5)) | (h >> np.uint64(59))) ^ np.uint64(vbytes[j])
        k = _mix(h)
        s = (k >> np.int64(64 - bits - 1)) & mask  # int64 shift of the top bits below the sign
        while table[2 * s + 1] != -1:
            s = (s + 1) & mask
        table[2 * s] = k
        table[2 * s + 1] = v


@njit(cache=True, nogil=True)
def _ids_of(buf: np.ndarray, sep: int, vbytes: np.ndarray, voff: np.ndarray, bits: int, table: np.ndarray,
            unk: int, out: np.ndarray) -> int:
    """Split ``buf`` at ``sep`` and write the id of each piece to ``out`` (``unk`` if unknown).

    Returns the number of pieces, or -1 as soon as there are more than ``out.size`` (a
    token held ``sep``). Each piece is hashed while it is scanned (rotate-xor per byte,
    one multiply at its end) and its bytes compared with the candidate's.
    """
    mask = (1 << bits) - 1
    n = 0
    lo = 0
    h = np.uint64(0)
    for i in range(buf.size + 1):
        if i < buf.size:
            c = buf[i]
            if c != sep:
                h = ((h << np.uint64(5)) | (h >> np.uint64(59))) ^ np.uint64(c)
                continue
        if n == out.size:
            return -1
        k = _mix(h)
        s = (k >> np.int64(64 - bits - 1)) & mask
        found = unk
        while table[2 * s + 1] != -1:
            v = table[2 * s + 1]
            if table[2 * s] == k and voff[v + 1] - voff[v] == i - lo:
                same = True
                for j in range(i - lo):
                    if vbytes[voff[v] + j] != buf[lo + j]:
                        same = False
                        break
                if same:
                    found = v
                    break
            s = (s + 1) & mask
        out[n] = found
        n += 1
        lo = i + 1
        h = np.uint64(0)
    return n


class TokenIndex:
    """A hash table of the vocabulary's UTF-8 bytes: maps a whole corpus to ids in one compiled pass.

    The dict path (``np.fromiter(map(stoi.get, tokens))``) costs about 42 ns a token on
    ``kjv:test``; joining each sentence's tokens (``str.join``, C: ~17 ns) and hashing the
    bytes here (~15-20 ns) about a quarter less. Literal specials (``<s>``, ...) map to their
    ids, as through ``stoi``.
    """

    def __init__(self, itos: Sequence[str]) -> None:
        raw = [t.encode("utf-8", "surrogatepass") for t in itos]
        self.voff = np.zeros(len(raw) + 1, dtype=np.int64)
        np.cumsum([len(r) for r in raw], out=self.voff[1:])
        self.vbytes = np.frombuffer(b"".join(raw), dtype=np.uint8)
        self.bits = max(4, (2 * len(raw)).bit_length())  # load factor <= 1/2
        self.table = np.full(2 << self.bits, -1, dtype=np.int64)
        _build_tokens(self.vbytes, self.voff, self.bits, self.table)

    def encode(self, seqs: Sequence[Sequence[str]], total: int, unk: int) -> np.ndarray | None:
        """Ids (int64) of the ``total`` tokens of ``seqs`` in order, or None where this path cannot tell.

        None when a token is not a str, holds ``SEP`` or is not encodable: the caller then
        maps tokens one by one, which gives the same ids where this path gives any.
        """
        out = np.empty(total, dtype=np.int64)
        if total == 0:
            return out
        try:
            buf = SEP.join(map(SEP.join, filter(None, seqs))).encode("utf-8", "surrogatepass")
        except (TypeError, UnicodeError):
            return None
        n = _ids_of(np.frombuffer(buf, dtype=np.uint8), ord(SEP), self.vbytes, self.voff, self.bits, self.table,
                    unk, out)
        return out if n == total else None
