"""Per-vocabulary tables of Word2Vec: subsampling thresholds, noise alias tables, Huffman paths.

Pure functions of the word counts (most frequent first), rebuilt whenever the vocabulary
changes; the kernels in :mod:`seqlab.embed._kernels` only read them.
"""

from __future__ import annotations

import heapq

import numpy as np

from seqlab.data import SPECIALS, Vocabulary

_N_SPECIALS = len(SPECIALS)


class Tables:
    """Per-vocabulary tables: counts, subsampling thresholds, noise alias tables, Huffman paths."""

    def __init__(self, counts: np.ndarray, sample_int: np.ndarray, ns_keep: np.ndarray, ns_alias: np.ndarray,
                 points: np.ndarray, codes: np.ndarray, code_lens: np.ndarray) -> None:
        self.counts, self.sample_int, self.ns_keep, self.ns_alias = counts, sample_int, ns_keep, ns_alias
        self.points, self.codes, self.code_lens = points, codes, code_lens

    @classmethod
    def build(cls, vocab: Vocabulary, sample: float, ns_exponent: float, hs: bool) -> Tables:
        counts = np.asarray(vocab.counts or [1] * (len(vocab) - _N_SPECIALS), dtype=np.float64)
        points, codes, lens = huffman_paths(counts) if hs else (np.zeros((len(counts), 1), np.int32),
                                                                np.zeros((len(counts), 1), np.uint8),
                                                                np.zeros(len(counts), np.int32))
        return cls(counts, subsample_thresholds(counts, sample), *alias_table(counts, ns_exponent),
                   points, codes, lens)


def subsample_thresholds(counts: np.ndarray, sample: float) -> np.ndarray:
    """Keep probabilities times ``2**32`` (gensim's formula), as uint64 of shape (V,)."""
    if not sample:
        return np.full(len(counts), 2**32, np.uint64)
    threshold = sample * counts.sum()
    prob = np.minimum((np.sqrt(counts / threshold) + 1.0) * threshold / counts, 1.0)
    return np.asarray(np.round(prob * 2**32), dtype=np.uint64)


def alias_table(counts: np.ndarray, ns_exponent: float) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias tables for drawing rows with probability proportional to ``count ** ns_exponent``.

    The distribution is gensim's (its ``cum_table`` up to rounding), but a draw costs O(1)
    instead of a binary search: pick a column ``i`` uniformly, keep it with probability
    ``keep[i] / 2**32``, else take ``alias[i]``.

    Returns
    -------
    keep : ndarray of shape (V,), uint64
    alias : ndarray of shape (V,), int32
    """
    power = np.asarray(counts, dtype=np.float64) ** float(ns_exponent)
    n = len(power)
    scaled = power / power.sum() * n
    prob = np.ones(n)
    alias = np.arange(n, dtype=np.int32)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, big = small.pop(), large.pop()
        prob[s], alias[s] = scaled[s], big
        scaled[big] -= 1.0 - scaled[s]
        (small if scaled[big] < 1.0 else large).append(big)
    keep = np.minimum(np.round(prob * 2**32), 2**32).astype(np.uint64)
    return keep, alias


def huffman_paths(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Huffman tree of the word counts, as word2vec.c and gensim build it.

    Returns
    -------
    points : ndarray of shape (V, max_len), int32
        Inner-node rows (0..V-2) from the root down to each word.
    codes : ndarray of shape (V, max_len), uint8
        Branch taken at each of those nodes (0 or 1).
    code_lens : ndarray of shape (V,), int32
    """
    n = len(counts)
    if n == 1:  # a single word: a one-node path with an arbitrary code
        return np.zeros((1, 1), np.int32), np.zeros((1, 1), np.uint8), np.ones(1, np.int32)
    heap = [(float(c), i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    left: dict[int, int] = {}
    right: dict[int, int] = {}
    for k in range(n - 1):
        (c1, i1), (c2, i2) = heapq.heappop(heap), heapq.heappop(heap)
        node = n + k
        left[node], right[node] = i1, i2
        heapq.heappush(heap, (c1 + c2, node))
    root = heap[0][1]
    paths: list[tuple[list[int], list[int]]] = [([], [])] * n
    stack: list[tuple[int, list[int], list[int]]] = [(root, [], [])]
    while stack:
        node, pts, cds = stack.pop()
        if node < n:
            paths[node] = (pts, cds)
            continue
        inner = node - n
        stack.append((left[node], pts + [inner], cds + [0]))
        stack.append((right[node], pts + [inner], cds + [1]))
    max_len = max(len(p) for p, _ in paths)
    points = np.zeros((n, max_len), np.int32)
    codes = np.zeros((n, max_len), np.uint8)
    lens = np.zeros(n, np.int32)
    for w, (pts, cds) in enumerate(paths):
        points[w, :len(pts)] = pts
        codes[w, :len(cds)] = cds
        lens[w] = len(pts)
    return points, codes, lens
