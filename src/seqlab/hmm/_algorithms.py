"""Pure, compiled HMM kernels over an emission log-likelihood matrix.

Every kernel takes the model as plain arrays — ``startprob (K,)``, ``transmat (K, K)`` — and
the data as ``log_emit``, an ``(n_steps, n_states)`` matrix with
``log_emit[t, k] = log p(x_t | z_t = k)``. The emission family (categorical, Gaussian, ...) only
has to fill that matrix; everything below is shared and testable against textbooks.

Forward/backward use *scaling* (Rabiner 1989, sec. V.A), not log space: each step's emission
row is shifted by its maximum before ``exp`` and each forward vector is normalised to sum to one,
so neither underflows however long the sequence; the log-likelihood is the sum of the logs of
the normalisers plus the shifts. Scaling needs one ``exp`` per (step, state) instead of the
``K * K`` ``exp``/``log`` pairs per step of a log-space recursion, which is why it is faster.
Viterbi is a max-product recursion and runs in log space (no sums, so no overflow issue).

Why numba
---------
The recursions are sequential in time, so numpy cannot vectorise them across steps; a
Python loop over steps with numpy inside costs microseconds per step (measured here: about
9x slower than hmmlearn's C++ kernels). ``numba.njit(cache=True)`` compiles the loops to
machine code once per machine (cached in ``__pycache__``), needs no compiler at install time,
and is already a core dependency of seqlab. The batch E-step walks all training sequences in
one call, so no Python runs per sequence either.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "frame_probabilities",
    "forward_scaled",
    "backward_scaled",
    "posteriors_scaled",
    "forward_log_likelihood",
    "forward_log_likelihood_frames",
    "posteriors",
    "estep",
    "estep_frames",
    "viterbi",
    "symbol_counts",
    "sample_states",
    "sample_symbols",
]


def frame_probabilities(log_emit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shift each row of ``log_emit`` by its maximum and exponentiate (numpy: SIMD ``exp``).

    Returns
    -------
    frameprob : ndarray of shape (n_steps, n_states)
        ``exp(log_emit[t] - shift[t])``; every row has a maximum of 1 (or is all zeros when
        every state gives the observation probability zero).
    shift : ndarray of shape (n_steps,)
    """
    log_emit = np.asarray(log_emit, dtype=np.float64)
    shift = log_emit[:, 0].copy()
    for k in range(1, log_emit.shape[1]):  # column by column: numpy's row-wise max is slow for few states
        np.maximum(shift, log_emit[:, k], out=shift)
    shift[~np.isfinite(shift)] = 0.0  # impossible observation: the row stays all zeros
    frameprob = log_emit - shift[:, None]
    with np.errstate(under="ignore"):
        np.exp(frameprob, out=frameprob)
    return frameprob, shift


@njit(cache=True)
def forward_scaled(startprob: np.ndarray, transmat: np.ndarray,
                   frameprob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scaled forward pass.

    Returns
    -------
    alpha : ndarray of shape (n_steps, n_states)
        ``alpha[t, k] = P(z_t = k | x_1..x_t)`` (each row sums to one).
    scale : ndarray of shape (n_steps,)
        ``scale[t] = p(x_t | x_1..x_{t-1})`` up to the emission shift; 0 marks an impossible step.
    """
    n_steps, n_states = frameprob.shape
    alpha = np.zeros((n_steps, n_states))
    scale = np.zeros(n_steps)
    for t in range(n_steps):
        total = 0.0
        for j in range(n_states):
            if t == 0:
                acc = startprob[j]
            else:
                acc = 0.0
                for i in range(n_states):
                    acc += alpha[t - 1, i] * transmat[i, j]
            acc *= frameprob[t, j]
            alpha[t, j] = acc
            total += acc
        scale[t] = total
        if total == 0.0:
            return alpha, scale
        for j in range(n_states):
            alpha[t, j] /= total
    return alpha, scale


@njit(cache=True)
def backward_scaled(transmat: np.ndarray, frameprob: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Scaled backward pass using the forward normalisers ``scale`` (so that alpha * beta = gamma)."""
    n_steps, n_states = frameprob.shape
    beta = np.empty((n_steps, n_states))
    beta[n_steps - 1, :] = 1.0
    tmp = np.empty(n_states)
    for t in range(n_steps - 2, -1, -1):
        for j in range(n_states):
            tmp[j] = frameprob[t + 1, j] * beta[t + 1, j]
        for i in range(n_states):
            acc = 0.0
            for j in range(n_states):
                acc += transmat[i, j] * tmp[j]
            beta[t, i] = acc / scale[t + 1]
    return beta


@njit(cache=True)
def posteriors_scaled(alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """``gamma[t, k] = P(z_t = k | x_1..x_T)``, renormalised per step against rounding."""
    n_steps, n_states = alpha.shape
    gamma = np.empty((n_steps, n_states))
    for t in range(n_steps):
        total = 0.0
        for k in range(n_states):
            gamma[t, k] = alpha[t, k] * beta[t, k]
            total += gamma[t, k]
        for k in range(n_states):
            gamma[t, k] /= total
    return gamma


@njit(cache=True)
def _log_likelihood_from_scale(scale: np.ndarray, shift: np.ndarray) -> float:
    total = 0.0
    for t in range(scale.shape[0]):
        if scale[t] == 0.0:
            return -np.inf
        total += np.log(scale[t]) + shift[t]
    return total


def forward_log_likelihood(startprob: np.ndarray, transmat: np.ndarray, log_emit: np.ndarray,
                           offsets: np.ndarray) -> np.ndarray:
    """Log-likelihood of each sequence ``log_emit[offsets[s]:offsets[s + 1]]`` (natural log)."""
    frameprob, shift = frame_probabilities(log_emit)
    return forward_log_likelihood_frames(startprob, transmat, frameprob, shift, offsets)


@njit(cache=True)
def forward_log_likelihood_frames(startprob: np.ndarray, transmat: np.ndarray, frameprob: np.ndarray,
                                  shift: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """:func:`forward_log_likelihood` on frames already made by :func:`frame_probabilities`."""
    n_seq = offsets.shape[0] - 1
    out = np.empty(n_seq)
    for s in range(n_seq):
        lo, hi = offsets[s], offsets[s + 1]
        _, scale = forward_scaled(startprob, transmat, frameprob[lo:hi])
        out[s] = _log_likelihood_from_scale(scale, shift[lo:hi])
    return out


def posteriors(startprob: np.ndarray, transmat: np.ndarray, log_emit: np.ndarray) -> tuple[float, np.ndarray]:
    """Log-likelihood and state posteriors ``(n_steps, n_states)`` of one sequence.

    The posteriors are NaN when the sequence has probability zero (log-likelihood ``-inf``).
    """
    frameprob, shift = frame_probabilities(log_emit)
    return _posteriors_frames(startprob, transmat, frameprob, shift)


@njit(cache=True)
def _posteriors_frames(startprob: np.ndarray, transmat: np.ndarray, frameprob: np.ndarray,
                       shift: np.ndarray) -> tuple[float, np.ndarray]:
    alpha, scale = forward_scaled(startprob, transmat, frameprob)
    ll = _log_likelihood_from_scale(scale, shift)
    if ll == -np.inf:
        return ll, np.full(frameprob.shape, np.nan)
    beta = backward_scaled(transmat, frameprob, scale)
    return ll, posteriors_scaled(alpha, beta)


def estep(startprob: np.ndarray, transmat: np.ndarray, log_emit: np.ndarray,
          offsets: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Baum-Welch E-step over all sequences at once; see :func:`estep_frames` for the outputs."""
    frameprob, shift = frame_probabilities(log_emit)
    return estep_frames(startprob, transmat, frameprob, shift, offsets)


@njit(cache=True)
def estep_frames(startprob: np.ndarray, transmat: np.ndarray, frameprob: np.ndarray, shift: np.ndarray,
                 offsets: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Baum-Welch E-step over all sequences at once, on emission frames.

    One forward pass, then one fused backward pass that produces the posteriors and the
    expected transition counts on the fly (only two backward vectors are kept in memory).

    Parameters
    ----------
    frameprob, shift : ndarray of shapes (n_steps_total, n_states) and (n_steps_total,)
        Emission likelihoods of the concatenated sequences, ``exp(log_emit - shift[:, None])``
        (:func:`frame_probabilities`); a categorical model passes its probabilities with
        ``shift = 0`` and skips the log/exp round trip.
    offsets : ndarray of shape (n_sequences + 1,)
        Sequence ``s`` is rows ``offsets[s]:offsets[s + 1]``.

    Returns
    -------
    log_likelihood : float
        Total over sequences; ``-inf`` if any sequence is impossible (statistics then invalid).
    gamma : ndarray of shape (n_steps_total, n_states)
        State posteriors.
    start_counts : ndarray of shape (n_states,)
        Expected number of sequences starting in each state.
    trans_counts : ndarray of shape (n_states, n_states)
        Expected number of ``i -> j`` transitions (the summed ``xi``).
    """
    n_total, n_states = frameprob.shape
    gamma = np.empty((n_total, n_states))
    start_counts = np.zeros(n_states)
    trans_counts = np.zeros((n_states, n_states))
    total_ll = 0.0
    beta_next = np.empty(n_states)
    beta_cur = np.empty(n_states)
    tmp = np.empty(n_states)
    for s in range(offsets.shape[0] - 1):
        lo, hi = offsets[s], offsets[s + 1]
        alpha, scale = forward_scaled(startprob, transmat, frameprob[lo:hi])
        ll = _log_likelihood_from_scale(scale, shift[lo:hi])
        if ll == -np.inf:
            return -np.inf, gamma, start_counts, trans_counts
        total_ll += ll
        n = hi - lo
        beta_next[:] = 1.0
        for t in range(n - 1, -1, -1):
            if t == n - 1:
                for i in range(n_states):
                    beta_cur[i] = 1.0
            else:
                inv = 1.0 / scale[t + 1]
                for j in range(n_states):
                    tmp[j] = frameprob[lo + t + 1, j] * beta_next[j] * inv
                for i in range(n_states):
                    a = alpha[t, i]
                    acc = 0.0
                    for j in range(n_states):
                        v = transmat[i, j] * tmp[j]
                        acc += v
                        trans_counts[i, j] += a * v
                    beta_cur[i] = acc
            norm = 0.0
            for k in range(n_states):
                g = alpha[t, k] * beta_cur[k]
                gamma[lo + t, k] = g
                norm += g
            inv_norm = 1.0 / norm
            for k in range(n_states):
                gamma[lo + t, k] *= inv_norm
                beta_next[k] = beta_cur[k]
        for k in range(n_states):
            start_counts[k] += gamma[lo, k]
    return total_ll, gamma, start_counts, trans_counts


@njit(cache=True)
def viterbi(log_startprob: np.ndarray, log_transmat: np.ndarray, log_emit: np.ndarray) -> tuple[float, np.ndarray]:
    """Most probable state path and its joint log-probability ``log p(x, z*)``.

    Ties are broken towards the lowest state index.
    """
    n_steps, n_states = log_emit.shape
    delta = np.empty((n_steps, n_states))
    back = np.zeros((n_steps, n_states), dtype=np.int64)
    for k in range(n_states):
        delta[0, k] = log_startprob[k] + log_emit[0, k]
    for t in range(1, n_steps):
        for j in range(n_states):
            best = -np.inf
            arg = 0
            for i in range(n_states):
                v = delta[t - 1, i] + log_transmat[i, j]
                if v > best:
                    best = v
                    arg = i
            delta[t, j] = best + log_emit[t, j]
            back[t, j] = arg
    path = np.empty(n_steps, dtype=np.int64)
    best = -np.inf
    arg = 0
    for k in range(n_states):
        if delta[n_steps - 1, k] > best:
            best = delta[n_steps - 1, k]
            arg = k
    path[n_steps - 1] = arg
    for t in range(n_steps - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return best, path


@njit(cache=True)
def symbol_counts(symbols: np.ndarray, gamma: np.ndarray, n_symbols: int) -> np.ndarray:
    """Expected emission counts ``counts[k, v] = sum_t gamma[t, k] [x_t = v]``."""
    n_states = gamma.shape[1]
    counts = np.zeros((n_states, n_symbols))
    for t in range(symbols.shape[0]):
        v = symbols[t]
        for k in range(n_states):
            counts[k, v] += gamma[t, k]
    return counts


@njit(cache=True)
def sample_states(startprob: np.ndarray, transmat: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """A state path of length ``len(uniforms)`` drawn by inverse-CDF sampling from the chain."""
    n = uniforms.shape[0]
    n_states = startprob.shape[0]
    states = np.empty(n, dtype=np.int64)
    cdf_start = np.cumsum(startprob)
    cdf_trans = np.empty((n_states, n_states))
    for i in range(n_states):
        cdf_trans[i] = np.cumsum(transmat[i])
    for t in range(n):
        cdf = cdf_start if t == 0 else cdf_trans[states[t - 1]]
        u = uniforms[t] * cdf[n_states - 1]
        k = 0
        while k < n_states - 1 and cdf[k] <= u:
            k += 1
        states[t] = k
    return states


@njit(cache=True)
def sample_symbols(states: np.ndarray, emissionprob: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """One symbol per step from row ``states[t]`` of ``emissionprob`` (inverse CDF)."""
    n = states.shape[0]
    n_states, n_symbols = emissionprob.shape
    cdf = np.empty((n_states, n_symbols))
    for i in range(n_states):
        cdf[i] = np.cumsum(emissionprob[i])
    out = np.empty(n, dtype=np.int64)
    for t in range(n):
        row = cdf[states[t]]
        u = uniforms[t] * row[n_symbols - 1]
        v = 0
        while v < n_symbols - 1 and row[v] <= u:
            v += 1
        out[t] = v
    return out
