"""Pure, vectorised n-gram kernels: encoding, counting, table look-up and backoff scoring.

Representation (a sorted-array trie, as in KenLM's trie but in numpy):

- A corpus is one flat ``int32`` array of token ids in which every sentence is
  ``<s> w1 ... wk </s>``; ``pos[t]`` is the offset of position ``t`` from its sentence's ``<s>``.
- The n-grams of order ``n`` form a table sorted by key. The key of ``w1..wn`` is
  ``idx(w1..w(n-1)) * V + wn`` where ``idx`` is the row of the prefix in the order-(n-1) table
  (the unigram table is every id ``0..V-1``, so ``idx(w) = w``). Keys fit in int64 for any
  order (1..10) and any realistic vocabulary, and sorting by key is lexicographic order of
  the id tuples, so the extensions of one context are a contiguous run of rows.
- ``suffix[n]`` holds, for each order-n row, the row of ``w2..wn`` in the order-(n-1) table:
  everything Kneser-Ney needs (continuation counts, interpolation with the lower order) is
  then a ``bincount`` or a gather, never a Python loop per token.

Counting streams the corpus in chunks (``np.unique`` per chunk, merged), so memory beyond
the id array is bounded by the chunk size plus the tables themselves.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat

import numpy as np

from seqlab.data.vocab import BOS_ID, EOS_ID, UNK_ID

CHUNK = 1 << 22  # positions per counting chunk (~4M): bounds the int64 temporaries


_LIBC: list[object] = []  # glibc, once looked up (empty: not yet; [None]: not available)


def trim_heap() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim(0)``; elsewhere nothing).

    numpy's large arrays come from ``malloc``. Once one has been freed, glibc serves later
    arrays up to 32 MB from its heap, whose freed pages stay resident and fragment, so the
    resident size drifts well above what is allocated (by ~100-300 MB at 10M tokens, order 5).
    The out-of-core count and the smoothing call this between steps so that their resident
    size follows their live arrays; it costs a heap walk and re-faulting pages later.
    """
    if not _LIBC:
        try:
            libc = ctypes.CDLL("libc.so.6")
            libc.malloc_trim.argtypes = [ctypes.c_size_t]
            _LIBC.append(libc)
        except (OSError, AttributeError):
            _LIBC.append(None)
    if _LIBC[0] is not None:
        _LIBC[0].malloc_trim(0)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- encoding
@dataclass
class RawCorpus:
    """Sentences as provisional ids (first-seen order) plus the provisional token list."""

    ids: np.ndarray  # (n_tokens,) int64 provisional ids, sentences concatenated
    lengths: np.ndarray  # (n_sentences,) int64
    tokens: list[str]  # provisional id -> token


class _FirstSeen(dict[str, int]):
    """token -> provisional id; an unseen token gets the next id on first look-up."""

    def __missing__(self, token: str) -> int:
        self[token] = n = len(self)
        return n


def read_corpus(sequences: Iterable[Sequence[str]], chunk_tokens: int = 1 << 20) -> RawCorpus:
    """One pass over ``sequences``: provisional ids (first-seen order), flushed to numpy in chunks.

    Works on one-shot iterators (generators, streamed files): the vocabulary is decided
    later from the counts, by remapping provisional ids with one gather. Tokens are mapped
    with ``map(table.__getitem__, ...)`` (a C loop); only a token's first occurrence runs
    Python code (``__missing__``). A list of lists (a corpus already in memory) is mapped in
    one pass over ``chain.from_iterable``, with no Python code per sentence either.
    """
    table = _FirstSeen()
    if isinstance(sequences, list) and set(map(type, sequences)) <= {list}:  # a loaded corpus: all C loops
        n_tokens = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
        ids = np.fromiter(map(table.__getitem__, chain.from_iterable(sequences)), dtype=np.int64,
                          count=int(n_tokens.sum()))
        return RawCorpus(ids, n_tokens, list(table))
    chunks: list[np.ndarray] = []
    lengths: list[int] = []
    buf: list[str] = []

    def flush() -> None:
        chunks.append(np.fromiter(map(table.__getitem__, buf), dtype=np.int64, count=len(buf)))
        buf.clear()

    for seq in sequences:
        if isinstance(seq, str | bytes):
            from seqlab.exceptions import DataError

            raise DataError("each sequence must be a list of tokens, got a str; did you mean text.split()?")
        before = len(buf)
        buf.extend(seq)
        lengths.append(len(buf) - before)
        if len(buf) >= chunk_tokens:
            flush()
    flush()
    return RawCorpus(np.concatenate(chunks), np.asarray(lengths, dtype=np.int64), list(table))


def with_boundaries(ids: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Insert ``<s>``/``</s>`` around each sentence; return (ids int32, pos int32).

    ``ids`` holds the concatenated sentence tokens; ``lengths`` the tokens per sentence.
    Empty sentences become ``<s> </s>`` (``</s>`` is still predicted, as KenLM does).
    """
    n_sent = lengths.size
    total = int(lengths.sum()) + 2 * n_sent
    out = np.empty(total, dtype=np.int32)
    starts = np.zeros(n_sent, dtype=np.int64)
    if n_sent:
        starts[1:] = np.cumsum(lengths + 2)[:-1]
    out[starts] = BOS_ID
    out[starts + lengths + 1] = EOS_ID
    is_word = np.ones(total, dtype=bool)
    is_word[starts] = False
    is_word[starts + lengths + 1] = False
    out[is_word] = ids
    pos = np.arange(total, dtype=np.int64) - np.repeat(starts, lengths + 2)
    return out, pos.astype(np.int32)


def encode(sequences: Iterable[Sequence[str]], stoi: dict[str, int]) -> tuple[np.ndarray, np.ndarray, int]:
    """Map token sequences to (ids, pos) with boundaries; unknown tokens become ``<unk>``.

    Returns ``(ids, pos, n_sentences)``.
    """
    flat: list[str] = []
    lengths: list[int] = []
    for seq in sequences:
        flat.extend(seq)
        lengths.append(len(seq))
    ids = np.fromiter(map(stoi.get, flat, repeat(UNK_ID, len(flat))), dtype=np.int64, count=len(flat))
    out, pos = with_boundaries(ids, np.asarray(lengths, dtype=np.int64))
    return out, pos, len(lengths)


# ---------------------------------------------------------------------- counting
@dataclass
class NGramCounts:
    """Sorted n-gram tables of every order 1..N (index ``n - 1`` is order ``n``).

    Attributes
    ----------
    vocab_size : int
        ``V``, the number of ids (specials included); keys are ``prefix_row * V + word``.
    keys : sequence of ndarray of shape (n_ngrams_n,), int64, sorted
    counts : sequence of ndarray of shape (n_ngrams_n,), int64 raw counts
    suffix : sequence of ndarray of shape (n_ngrams_n,), int64
        Row of ``w2..wn`` in the order-(n-1) table (``-1`` for unigrams).
        All three are lists, or (out of core) sequences that read each order from disk on access
        (:class:`seqlab.ngram.outofcore.TablesOnDisk`): read an order once per step and drop it.
    n_sentences : int
    """

    vocab_size: int
    keys: Sequence[np.ndarray]
    counts: Sequence[np.ndarray]
    suffix: Sequence[np.ndarray]
    n_sentences: int = 0
    _bos: list[np.ndarray] = field(default_factory=list, repr=False)

    @property
    def order(self) -> int:
        return len(self.keys)

    def prefix(self, n: int) -> np.ndarray:
        """Row of the context ``w1..w(n-1)`` in the order-(n-1) table, for each order-n row."""
        if n == 1:
            return np.zeros(self.keys[0].size, dtype=np.int64)
        return self.keys[n - 1] // self.vocab_size

    def word(self, n: int) -> np.ndarray:
        """Last token id of each order-n row."""
        return self.keys[n - 1] % self.vocab_size

    def starts_with_bos(self, n: int) -> np.ndarray:
        """Boolean mask of order-n rows whose first token is ``<s>``."""
        if not self._bos:
            self._bos = [self.keys[0] == BOS_ID]
            for m in range(2, self.order + 1):
                self._bos.append(self._bos[-1][self.prefix(m)])
        return self._bos[n - 1]

    def continuation(self, n: int) -> np.ndarray:
        """N1+(. w1..wn): distinct left extensions of each order-n row (n < N)."""
        return np.bincount(self.suffix[n], minlength=self.keys[n - 1].size).astype(np.int64, copy=False)


def sort_with_order(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(sorted keys, permutation)`` of non-negative int64 keys.

    When ``max(key) * len(keys)`` fits in 63 bits, each key is packed with its position and
    sorted by value (numpy's SIMD sort, several times faster than ``argsort``); otherwise
    ``argsort`` is used.
    """
    n = keys.size
    bits = max(int(n - 1).bit_length(), 1)
    top = int(keys.max()) if n else 0
    if n and top.bit_length() + bits <= 62:
        packed = np.sort((keys << bits) | np.arange(n, dtype=np.int64))
        return packed >> bits, packed & ((1 << bits) - 1)
    order = np.argsort(keys)
    return keys[order], order


def group_counts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sorted unique keys, their counts and one index of each, plus (sort order, is-first mask) for the inverse."""
    srt, order = sort_with_order(keys)
    new = np.empty(srt.size, dtype=bool)
    new[:1] = True
    np.not_equal(srt[1:], srt[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, srt.size))
    return srt[starts], counts.astype(np.int64), order[starts], order, new


def group(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique`` with counts, one index of each key, and the inverse, from one sort."""
    uniq, counts, first, order, new = group_counts(keys)
    inverse = np.empty(order.size, dtype=np.int64)
    inverse[order] = np.cumsum(new, dtype=np.int64) - 1
    return uniq, counts, first, inverse


def _merge(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge per-chunk (sorted unique keys, counts, suffix rows) into one sorted table."""
    if len(parts) == 1:
        return parts[0]
    keys = np.concatenate([p[0] for p in parts])
    counts = np.concatenate([p[1] for p in parts])
    suffix = np.concatenate([p[2] for p in parts])
    uniq, _, first, inverse = group(keys)
    summed = np.zeros(uniq.size, dtype=np.int64)
    np.add.at(summed, inverse, counts)  # exact integer sums (bincount would go through float64)
    return uniq, summed, suffix[first]


def count_ngrams(ids: np.ndarray, pos: np.ndarray, order: int, vocab_size: int, *,
                 chunk: int = CHUNK) -> NGramCounts:
    """Count every n-gram of orders 1..``order`` that fits inside a sentence.

    Parameters
    ----------
    ids, pos : ndarray of shape (T,)
        Output of :func:`with_boundaries`.
    order : int
        Largest n-gram length N.
    vocab_size : int
        ``V``; every id is ``< V``.
    chunk : int
        Positions per chunk: each chunk is grouped on its own and the tables merged, so
        the temporaries stay bounded however long the corpus is.

    Returns
    -------
    NGramCounts
        With ``<s>`` counted as a unigram once per sentence (its row is a context only).
    """
    V = vocab_size
    T = ids.size
    keys = [np.arange(V, dtype=np.int64)]
    counts = [np.bincount(ids, minlength=V).astype(np.int64)]
    suffix = [np.full(V, -1, dtype=np.int64)]
    prev = ids.astype(np.int64)  # row of the (n-1)-gram ending at each position
    for n in range(2, order + 1):
        parts, local = [], []
        for lo in range(1, max(T, 1), chunk):
            hi = min(T, lo + chunk)
            where = np.flatnonzero(pos[lo:hi] >= n - 1) + lo
            if where.size == 0:
                continue
            keys_n = prev[where - 1] * V + ids[where]
            if n < order:
                uniq, cnt, first, inverse = group(keys_n)
                local.append((where, uniq, inverse))
            else:  # the last order: no rows per position needed, so no inverse (a scatter over every key)
                uniq, cnt, first, _, _ = group_counts(keys_n)
            parts.append((uniq, cnt, prev[where[first]]))
        if not parts:
            parts = [(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64))]
        table, cnt, suf = _merge(parts)
        keys.append(table)
        counts.append(cnt)
        suffix.append(suf)
        if n < order:  # rows of the n-grams at each position, for the next order's keys
            cur = np.full(T, -1, dtype=np.int64)
            for where, uniq, inverse in local:  # one chunk: its table is the merged one, rows = inverse
                cur[where] = inverse if len(local) == 1 else np.searchsorted(table, uniq)[inverse]
            prev = cur
    n_sent = int(np.count_nonzero(ids == BOS_ID))
    return NGramCounts(V, keys, counts, suffix, n_sent)


# ---------------------------------------------------------------------- look-up
def find_rows(table: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Row of each key in the sorted ``table``, or -1 where absent.

    Many keys are sorted first: binary searches in key order touch memory in order, which
    is several times faster than random probes into a large table.
    """
    if table.size == 0:
        return np.full(keys.size, -1, dtype=np.int64)
    if keys.size > 4096:
        srt, order = sort_with_order(keys)
        j = np.empty(keys.size, dtype=np.int64)
        j[order] = np.searchsorted(table, srt)
    else:
        j = np.searchsorted(table, keys)
    jc = np.minimum(j, table.size - 1)
    return np.where(table[jc] == keys, jc, -1)


def lookup(ids: np.ndarray, pos: np.ndarray, keys: Sequence[np.ndarray], vocab_size: int) -> list[np.ndarray]:
    """Rows of the n-gram ending at each position, for every order (``-1``: not in the model)."""
    V = vocab_size
    T = ids.size
    rows = [ids.astype(np.int64)]
    for n in range(2, len(keys) + 1):
        cur = np.full(T, -1, dtype=np.int64)
        t = np.flatnonzero(pos >= n - 1)
        p = rows[-1][t - 1]
        t, p = t[p >= 0], p[p >= 0]
        cur[t] = find_rows(keys[n - 1], p * V + ids[t])
        rows.append(cur)
    return rows


def backoff_scores(pos: np.ndarray, rows: Sequence[np.ndarray], log_probs: Sequence[np.ndarray],
                   log_backoffs: Sequence[np.ndarray], default_backoff: float = 0.0
                   ) -> tuple[np.ndarray, np.ndarray]:
    """ARPA-style scoring: longest matching n-gram plus the backoffs of longer contexts.

    ``ln p(w | h) = ln P(h_k w) + sum_{j=k}^{m} ln b(h_j)`` where ``h_k w`` is the longest
    n-gram in the model, ``h_j`` the last ``j`` context tokens, ``m = min(N - 1, context
    length)`` and ``b`` of a context missing from the model is ``exp(default_backoff)``.

    Returns
    -------
    log_probs : ndarray of shape (T,)
        NaN at ``<s>`` positions (never predicted).
    lengths : ndarray of shape (T,)
        Length of the matched n-gram (0 at ``<s>``).
    """
    N = len(rows)
    T = pos.size
    out = np.full(T, np.nan)
    length = np.zeros(T, dtype=np.int32)
    done = pos == 0
    acc = np.zeros(T)
    for n in range(N, 0, -1):
        if n <= N - 1:
            t = np.flatnonzero(pos >= n)
            c = rows[n - 1][t - 1]
            table = log_backoffs[n - 1]  # empty when training had no n-gram this long: every c is -1
            acc[t] += np.where(c >= 0, table[np.maximum(c, 0)], default_backoff) if table.size else default_backoff
        hit = ~done & (rows[n - 1] >= 0)
        out[hit] = log_probs[n - 1][rows[n - 1][hit]] + acc[hit]
        length[hit] = n
        done |= hit
    return out, length


def context_rows(context: Sequence[int], keys: Sequence[np.ndarray], vocab_size: int) -> list[int]:
    """Rows of the context suffixes of lengths 1..len(context) (``-1`` where absent)."""
    m = len(context)
    out = []
    for j in range(1, m + 1):
        row = int(context[m - j])
        for n in range(2, j + 1):
            if row < 0:
                break
            row = int(find_rows(keys[n - 1], np.asarray([row * vocab_size + context[m - j + n - 1]]))[0])
        out.append(row)
    return out


def next_log_probs(context: Sequence[int], keys: Sequence[np.ndarray], log_probs: Sequence[np.ndarray],
                   log_backoffs: Sequence[np.ndarray], vocab_size: int, default_backoff: float = 0.0
                   ) -> np.ndarray:
    """Backoff-form distribution over every id after ``context`` (at most N-1 ids long)."""
    V = vocab_size
    ctx = context_rows(context, keys, V)
    m = len(ctx)
    bo = np.array([log_backoffs[j - 1][r] if r >= 0 else default_backoff for j, r in enumerate(ctx, 1)] + [0.0])
    tail = np.cumsum(bo[::-1])[::-1]  # tail[j-1] = sum of backoffs of contexts of length >= j
    out = log_probs[0][:V] + (tail[0] if m else 0.0)
    for k in range(2, m + 2):
        h = ctx[k - 2]
        if h < 0:
            break
        lo, hi = np.searchsorted(keys[k - 1], [h * V, (h + 1) * V])
        words = keys[k - 1][lo:hi] - h * V
        out[words] = log_probs[k - 1][lo:hi] + (tail[k - 1] if k <= m else 0.0)
    return out


def ngram_ids(keys: Sequence[np.ndarray], vocab_size: int) -> list[np.ndarray]:
    """Token-id matrix of every table: order n -> ndarray of shape (n_ngrams_n, n)."""
    mats = [keys[0].reshape(-1, 1)]
    for n in range(2, len(keys) + 1):
        prefix = keys[n - 1] // vocab_size
        mats.append(np.column_stack([mats[-1][prefix], keys[n - 1] % vocab_size]))
    return mats


def keys_from_ids(mats: Sequence[np.ndarray], vocab_size: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Inverse of :func:`ngram_ids` for tables given in any row order.

    Returns ``(keys, order)`` with ``keys[n-1]`` sorted and ``order[n-1]`` the permutation
    that sorts the given rows; raises ``KeyError`` if an n-gram's prefix is missing.
    """
    keys: list[np.ndarray] = []
    perms: list[np.ndarray] = []
    for n, mat in enumerate(mats, start=1):
        if n == 1:
            k = mat[:, 0].astype(np.int64)
        else:
            prefix = np.zeros(mat.shape[0], dtype=np.int64)
            prefix[:] = mat[:, 0]
            for j in range(1, n - 1):
                prefix = find_rows(keys[j], prefix * vocab_size + mat[:, j])
                if (prefix < 0).any():
                    break
            if (prefix < 0).any():
                bad = int(np.flatnonzero(prefix < 0)[0])
                raise KeyError(bad)
            k = prefix * vocab_size + mat[:, n - 1]
        perm = np.argsort(k, kind="stable")
        keys.append(k[perm])
        perms.append(perm)
    return keys, perms
