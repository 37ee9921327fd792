# mypy: ignore-errors
# (numba kernels: numpy scalar types in loops do not type-check under --strict; the Python wrappers do)
"""Compiled Word2Vec training kernels (numba, float32, no GIL).

These are the hot loops of :class:`seqlab.embed.Word2Vec`: pure functions over the weight
matrices, written after the original ``word2vec.c`` and gensim's ``word2vec_inner.pyx``.
They are compiled with ``@njit(nogil=True, cache=True)`` (``fastmath`` off, except that the dot product
and ``axpy`` may use SIMD and fused multiply-adds as BLAS does; see ``_BLAS_FLAGS``) so that several Python
threads can run them at once on disjoint chunks of sentences while sharing the weights
without locks ("Hogwild" SGD, as word2vec.c and gensim do).

Symbols: ``V`` vocabulary size (ordinary words only), ``D`` vector size.

Weights
    ``syn0`` (V, D)       input vectors (the embeddings that are kept);
    ``syn1neg`` (V, D)    output vectors for negative sampling;
    ``syn1`` (V - 1, D)   inner-node vectors of the Huffman tree for hierarchical softmax.

Update rules (learning rate ``alpha``, ``sigma`` the logistic function)
    negative sampling, one (input h, target t, negatives n_k) example: for each output row
    ``u`` with label ``y`` (1 for t, 0 for each n_k): ``g = alpha * (y - sigma(h . u))``,
    ``u += g * h`` and the input receives ``sum g * u`` (accumulated with the old ``u``).
    This is exactly one SGD step on ``-log sigma(h.u_t) - sum_k log sigma(-h.u_k)``.
    hierarchical softmax uses the same rule along the word's Huffman path, with label
    ``1 - code`` at each inner node, so ``p(w | h) = prod_j sigma((1 - 2 code_j) h . u_j)``.

The sigmoid is computed exactly (no 1000-entry table), so a single update equals the autograd
gradient step (``tests/embed/test_kernels.py``), except for one rule kept from gensim: an output
row whose score ``|h . u|`` is ``>= MAX_EXP`` (6) gets no update and passes no gradient back,
exactly where gensim's sigmoid table ends. (word2vec.c instead clips the sigmoid to 0 or 1
there.) On the benchmark corpus, skip-gram analogy accuracy with this rule was 0.1137 and
0.1207 (seeds 1, 2) against gensim's 0.1134 and 0.1203, and 0.1074 and 0.1121 without it; runs
are threaded, so these figures move by about half a point from run to run.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Constants of the linear congruential generator of word2vec.c (also used by gensim).
_LCG_MULT = np.uint64(25214903917)
_LCG_ADD = np.uint64(11)
_LCG_MASK = np.uint64(281474976710655)  # 2**48 - 1
_TWO32 = np.uint64(4294967296)
MAX_EXP = 6.0  # output rows with |score| >= MAX_EXP are not updated (gensim's EXP_TABLE bound)

# The two BLAS-like primitives may reassociate sums (SIMD lanes) and fuse multiply-adds, exactly
# the freedoms BLAS sdot/saxpy (which gensim calls) take. Nothing else is relaxed: no "fast"
# exp/log, no assumptions about NaN or infinity. Measured here: +35-50% words/s over
# fastmath=False, whose dot product stays scalar because LLVM may not reorder float sums.
_BLAS_FLAGS = {"reassoc", "contract"}


@njit(nogil=True, cache=True, fastmath=False)
def _next_random(state: np.ndarray) -> np.uint64:
    """Advance the per-thread LCG held in ``state[0]``; return 32 random bits."""
    s = (state[0] * _LCG_MULT + _LCG_ADD) & _LCG_MASK
    state[0] = s
    return (s >> np.uint64(16)) & np.uint64(0xFFFFFFFF)


@njit(nogil=True, cache=True, fastmath=_BLAS_FLAGS)
def _dot(a: np.ndarray, b: np.ndarray) -> np.float32:
    """Dot product of two float32 rows (SIMD: the sum may be reassociated, as BLAS ``sdot`` does)."""
    s = np.float32(0.0)
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return s


@njit(nogil=True, cache=True, fastmath=_BLAS_FLAGS)
def _axpy(alpha: np.float32, x: np.ndarray, y: np.ndarray) -> None:
    """``y += alpha * x`` in place (float32 rows)."""
    for i in range(x.shape[0]):
        y[i] += alpha * x[i]


@njit(nogil=True, cache=True, fastmath=False)
def _sigmoid(x: np.float32) -> np.float32:
    if x >= 0:
        return np.float32(1.0) / (np.float32(1.0) + np.exp(-x))
    e = np.exp(x)
    return e / (np.float32(1.0) + e)


@njit(nogil=True, cache=True, fastmath=False)
def _neg_log_sigmoid(x: np.float32) -> np.float32:
    """``-log sigma(x)`` computed stably."""
    if x >= 0:
        return np.log1p(np.exp(-x))
    return -x + np.log1p(np.exp(x))


@njit(nogil=True, cache=True, fastmath=False)
def _draw_negative(ns_keep: np.ndarray, ns_alias: np.ndarray, state: np.ndarray) -> int:
    """Draw a word row from the noise distribution in O(1) with Walker's alias method.

    Column ``i`` is picked uniformly; it keeps ``i`` with probability ``ns_keep[i] / 2**32``
    and otherwise gives ``ns_alias[i]`` (tables built by ``word2vec.alias_table``).
    """
    n = np.uint64(ns_keep.shape[0])
    i = (_next_random(state) * n) >> np.uint64(32)
    if _next_random(state) < ns_keep[i]:
        return np.int64(i)
    return np.int64(ns_alias[i])


@njit(nogil=True, cache=True, fastmath=False)
def ns_update(h: np.ndarray, syn1neg: np.ndarray, target: int, negatives: np.ndarray,
              alpha: np.float32, neu1e: np.ndarray, with_loss: bool) -> np.float32:
    """One negative-sampling step for input vector ``h``; returns the loss before the step.

    Updates ``syn1neg`` rows in place and *adds* the gradient step for ``h`` into ``neu1e``
    (the caller applies it to the input rows). Negatives equal to ``target`` are skipped, as in
    word2vec.c.

    Parameters
    ----------
    h : ndarray of shape (D,), float32
        Input (hidden) vector: a word's ``syn0`` row (skip-gram) or the context mean (CBOW).
    syn1neg : ndarray of shape (V, D), float32
    target : int
        Row of the positive word.
    negatives : ndarray of shape (K,), int
        Rows of the sampled negative words.
    alpha : float32
        Learning rate.
    neu1e : ndarray of shape (D,), float32
        Accumulator for the step to apply to ``h``'s rows.
    with_loss : bool
        Compute the loss (0 is returned otherwise; it costs a log per output row).
    """
    loss = np.float32(0.0)
    for d in range(negatives.shape[0] + 1):
        if d == 0:
            row = target
            label = np.float32(1.0)
        else:
            row = negatives[d - 1]
            if row == target:
                continue
            label = np.float32(0.0)
        u = syn1neg[row]
        f = _dot(h, u)
        if with_loss:
            loss += _neg_log_sigmoid(f if d == 0 else -f)
        if f <= -MAX_EXP or f >= MAX_EXP:  # gensim's rule: saturated scores give no update
            continue
        g = (label - _sigmoid(f)) * alpha
        _axpy(g, u, neu1e)
        _axpy(g, h, u)
    return loss


@njit(nogil=True, cache=True, fastmath=False)
def hs_update(h: np.ndarray, syn1: np.ndarray, points: np.ndarray, codes: np.ndarray,
              alpha: np.float32, neu1e: np.ndarray, with_loss: bool) -> np.float32:
    """One hierarchical-softmax step along a Huffman path; returns the loss before the step.

    ``points`` are inner-node rows of ``syn1``; ``codes`` the 0/1 branch taken at each.
    The step for ``h`` is added into ``neu1e``.
    """
    loss = np.float32(0.0)
    # The loop body repeats ns_update's on purpose: a shared @njit step function gave the same
    # vectors but trained 35-60% slower on kjv (skip-gram HS 1.43 -> 1.88 CPU-s per epoch).
    for j in range(points.shape[0]):
        u = syn1[points[j]]
        f = _dot(h, u)
        label = np.float32(1.0) - np.float32(codes[j])
        if with_loss:
            loss += _neg_log_sigmoid(f if codes[j] == 0 else -f)
        if f <= -MAX_EXP or f >= MAX_EXP:  # gensim's rule: saturated scores give no update
            continue
        g = (label - _sigmoid(f)) * alpha
        _axpy(g, u, neu1e)
        _axpy(g, h, u)
    return loss


@njit(nogil=True, cache=True, fastmath=False)
def sg_pair_step(syn0: np.ndarray, syn1neg: np.ndarray, input_word: int, target: int,
                 negatives: np.ndarray, alpha: float) -> float:
    """Skip-gram negative-sampling step for one (input word, target word) pair.

    The entry point used by the tests: explicit negatives, no randomness.
    Returns the loss before the step.
    """
    d = syn0.shape[1]
    neu1e = np.zeros(d, dtype=np.float32)
    loss = ns_update(syn0[input_word], syn1neg, target, negatives, np.float32(alpha), neu1e, True)
    _axpy(np.float32(1.0), neu1e, syn0[input_word])
    return loss


@njit(nogil=True, cache=True, fastmath=False)
def cbow_step(syn0: np.ndarray, syn1neg: np.ndarray, context: np.ndarray, target: int,
              negatives: np.ndarray, alpha: float, cbow_mean: bool) -> float:
    """CBOW negative-sampling step for one (context words, target word) example.

    The hidden vector is the mean (``cbow_mean``) or the sum of the context rows. As in
    word2vec.c and gensim, every context row receives the full step computed for the hidden
    vector (with ``cbow_mean=False`` the step is divided by the context size instead).
    Returns the loss before the step.
    """
    d = syn0.shape[1]
    h = np.zeros(d, dtype=np.float32)
    neu1e = np.zeros(d, dtype=np.float32)
    loss = _cbow_ns(syn0, syn1neg, context, context.shape[0], target, negatives,
                    np.float32(alpha), cbow_mean, h, neu1e)
    return loss


@njit(nogil=True, cache=True, fastmath=False)
def _cbow_hidden(syn0: np.ndarray, context: np.ndarray, n_context: int, cbow_mean: bool,
                 h: np.ndarray) -> None:
    h[:] = 0.0
    for c in range(n_context):
        _axpy(np.float32(1.0), syn0[context[c]], h)
    if cbow_mean:
        inv = np.float32(1.0) / np.float32(n_context)
        for i in range(h.shape[0]):
            h[i] *= inv


@njit(nogil=True, cache=True, fastmath=False)
def _cbow_backprop(syn0: np.ndarray, context: np.ndarray, n_context: int, cbow_mean: bool,
                   neu1e: np.ndarray) -> None:
    if not cbow_mean:
        inv = np.float32(1.0) / np.float32(n_context)
        for i in range(neu1e.shape[0]):
            neu1e[i] *= inv
    for c in range(n_context):
        _axpy(np.float32(1.0), neu1e, syn0[context[c]])


@njit(nogil=True, cache=True, fastmath=False)
def _cbow_ns(syn0, syn1neg, context, n_context, target, negatives, alpha, cbow_mean, h, neu1e):  # type: ignore[no-untyped-def]
    _cbow_hidden(syn0, context, n_context, cbow_mean, h)
    neu1e[:] = 0.0
    loss = ns_update(h, syn1neg, target, negatives, alpha, neu1e, True)
    _cbow_backprop(syn0, context, n_context, cbow_mean, neu1e)
    return loss


@njit(nogil=True, cache=True, fastmath=False)
def train_chunk(syn0: np.ndarray, syn1neg: np.ndarray, syn1: np.ndarray,
                ids: np.ndarray, starts: np.ndarray,
                sample_int: np.ndarray, ns_keep: np.ndarray, ns_alias: np.ndarray,
                points: np.ndarray, codes: np.ndarray, code_lens: np.ndarray,
                sg: bool, hs: bool, negative: int, window: int, cbow_mean: bool,
                alpha_start: float, alpha_end: float, state: np.ndarray,
                loss_every: int) -> tuple[float, int, int, int]:
    """Train on one chunk of sentences; returns ``(loss, n_loss, n_examples, n_words_kept)``.

    The loss is summed over every ``loss_every``-th example only (``n_loss`` of them), which
    estimates the mean loss per example at a fraction of the cost of a log per output row.

    Parameters
    ----------
    ids : ndarray of shape (N,), int32
        Word rows of every sentence in the chunk, concatenated (unknown words removed).
    starts : ndarray of shape (S + 1,), int64
        Sentence ``s`` is ``ids[starts[s]:starts[s + 1]]``; windows never cross sentences.
    sample_int : ndarray of shape (V,), uint64
        Keep probability of each word times ``2**32`` (frequent-word subsampling); a word is
        kept when a uniform 32-bit draw is ``<=`` it, and never dropped at ``2**32``.
    ns_keep, ns_alias : ndarray of shape (V,), uint64 and int32
        Alias tables of the noise distribution (unigram ** ns_exponent) for drawing negatives.
    points, codes : ndarray of shape (V, max_code_len)
        Huffman paths (inner-node rows and 0/1 codes); ``code_lens`` gives each path's length.
    alpha_start, alpha_end : float
        The learning rate decays linearly across the chunk, sentence by sentence: sentence
        ``s`` of ``S`` trains at ``alpha_start + (alpha_end - alpha_start) * s / S`` (the
        driver's schedule runs on sentences, as gensim's does).
    state : ndarray of shape (1,), uint64
        The thread's random state, advanced in place.
    loss_every : int
        Compute the loss on one example in ``loss_every``.
    """
    d = syn0.shape[1]
    h = np.zeros(d, dtype=np.float32)
    neu1e = np.zeros(d, dtype=np.float32)
    n_sentences = max(starts.shape[0] - 1, 1)
    sent = np.empty(10000, dtype=np.int32)
    context = np.empty(2 * window, dtype=np.int32)
    negs = np.empty(negative, dtype=np.int64)
    loss = 0.0
    n_loss = 0
    n_examples = 0
    n_kept = 0
    for s in range(starts.shape[0] - 1):
        lo = starts[s]
        hi = starts[s + 1]
        if hi - lo > sent.shape[0]:
            sent = np.empty(hi - lo, dtype=np.int32)
        # frequent-word subsampling (before windowing, as in word2vec.c)
        n = 0
        for p in range(lo, hi):
            w = ids[p]
            if sample_int[w] < _TWO32 and sample_int[w] < _next_random(state):
                continue
            sent[n] = w
            n += 1
        n_kept += n
        if n < 2:
            continue
        alpha = np.float32(alpha_start + (alpha_end - alpha_start) * (s / n_sentences))
        for i in range(n):
            b = np.int64(_next_random(state) % np.uint64(window))  # dynamic window: reach window - b
            j0 = max(0, i - window + b)
            j1 = min(n, i + window + 1 - b)
            word = sent[i]
            if sg:
                for j in range(j0, j1):
                    if j == i:
                        continue
                    inp = sent[j]
                    neu1e[:] = 0.0
                    wl = n_examples % loss_every == 0
                    n_loss += wl
                    if hs:
                        ln = code_lens[word]
                        loss += hs_update(syn0[inp], syn1, points[word, :ln], codes[word, :ln], alpha, neu1e, wl)
                    if negative > 0:
                        for k in range(negative):
                            negs[k] = _draw_negative(ns_keep, ns_alias, state)
                        loss += ns_update(syn0[inp], syn1neg, word, negs, alpha, neu1e, wl)
                    _axpy(np.float32(1.0), neu1e, syn0[inp])
                    n_examples += 1
            else:
                nc = 0
                for j in range(j0, j1):
                    if j != i:
                        context[nc] = sent[j]
                        nc += 1
                if nc == 0:
                    continue
                _cbow_hidden(syn0, context, nc, cbow_mean, h)
                neu1e[:] = 0.0
                wl = n_examples % loss_every == 0
                n_loss += wl
                if hs:
                    ln = code_lens[word]
                    loss += hs_update(h, syn1, points[word, :ln], codes[word, :ln], alpha, neu1e, wl)
                if negative > 0:
                    for k in range(negative):
                        negs[k] = _draw_negative(ns_keep, ns_alias, state)
                    loss += ns_update(h, syn1neg, word, negs, alpha, neu1e, wl)
                _cbow_backprop(syn0, context, nc, cbow_mean, neu1e)
                n_examples += 1
    return loss, n_loss, n_examples, n_kept


@njit(nogil=True, cache=True, fastmath=False)
def hs_path_log_prob(h: np.ndarray, syn1: np.ndarray, points: np.ndarray, codes: np.ndarray) -> float:
    """``log p(w | h)`` under hierarchical softmax for a word with Huffman path (points, codes)."""
    total = 0.0
    for j in range(points.shape[0]):
        f = _dot(h, syn1[points[j]])
        total -= _neg_log_sigmoid(f if codes[j] == 0 else -f)
    return total
