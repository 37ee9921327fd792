"""Hidden Markov model with categorical (discrete-symbol) emissions."""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab._validation import int_at_least
from seqlab.exceptions import DataError
from seqlab.hmm import _algorithms as alg
from seqlab.hmm.base import BaseHMM, Params, _normalise, check_distribution, kmeans
from seqlab.io import register


@register
class CategoricalHMM(BaseHMM):
    """HMM whose states emit symbols ``0..n_symbols-1`` (hmmlearn's ``CategoricalHMM``).

    Parameters
    ----------
    n_states : int, default=2
        Number of hidden states (hmmlearn's ``n_components``).
    n_symbols : int or None, default=None
        Size of the symbol alphabet (hmmlearn's ``n_features``); ``None`` takes
        ``max(symbol) + 1`` of the training data, or the width of a hand-set ``emissionprob_``.
    n_iter : int, default=100
        Largest number of Baum-Welch iterations per restart.
    tol : float, default=1e-4
        Stop a restart when one iteration gains less than this (total natural-log likelihood).
    n_init : int, default=1
        Restarts from different starting points; the one with the highest likelihood is kept.
    random_state : int or None, default=None
        Seed of the starting points (same seed, same model).

    Attributes
    ----------
    startprob_, transmat_ : ndarray
        See :class:`~seqlab.hmm.base.BaseHMM` (also ``n_iter_``, ``log_likelihoods_``,
        ``converged_``, ``best_init_``, ``init_log_likelihoods_``).
    emissionprob_ : ndarray of shape (n_states, n_symbols)
        ``emissionprob_[k, v] = P(x_t = v | z_t = k)``.

    Notes
    -----
    Default starts alternate over the ``n_init`` restarts. Restart 0, 2, ...: uniform
    ``startprob_``, a sticky transition matrix (0.9 on the diagonal, lightly jittered) and
    emission rows from k-means over the symbol histograms of short windows of the data
    (persistent states make windows mostly one state). Restart 1, 3, ...: symbols clustered by
    the profiles of their neighbours, with transitions counted between the clusters (finds
    alternating states such as vowels/consonants). Both mix in the overall symbol frequencies,
    so no start gives an observed symbol probability zero. ``best_init_`` tells which won.
    Set the three matrices by hand to use a model without fitting; they are validated (shapes,
    non-negative, rows summing to one) on every use.

    Examples
    --------
    >>> hmm = CategoricalHMM(n_states=2, n_symbols=2)
    >>> hmm.startprob_ = [0.5, 0.5]
    >>> hmm.transmat_ = [[0.9, 0.1], [0.1, 0.9]]
    >>> hmm.emissionprob_ = [[0.9, 0.1], [0.2, 0.8]]
    >>> hmm.predict([0, 0, 1, 1, 1]).tolist()
    [0, 0, 1, 1, 1]
    """

    _emission_names = ("emissionprob_",)
    _constraints = {
        **BaseHMM._constraints,
        "n_symbols": int_at_least(1, optional=True),
    }

    def __init__(self, *, n_states: int = 2, n_symbols: int | None = None, n_iter: int = 100, tol: float = 1e-4,
                 n_init: int = 1, random_state: int | None = None) -> None:
        self.n_states = n_states
        self.n_symbols = n_symbols
        self.n_iter = n_iter
        self.tol = tol
        self.n_init = n_init
        self.random_state = random_state

    # ------------------------------------------------------------------ hooks
    def _alphabet_size(self) -> int | None:
        if self.n_symbols is not None:
            return int(self.n_symbols)
        width: int | None = getattr(self, "_fit_width", None)
        if width is not None:
            return int(width)
        emit = getattr(self, "emissionprob_", None)
        return None if emit is None else int(np.shape(emit)[-1])

    def _check_data(self, sequence: Any, name: str) -> np.ndarray:
        if isinstance(sequence, str | bytes):
            raise DataError(f"{name} is a str; give symbol ids 0..n_symbols-1 (e.g. map characters with a Vocabulary).")
        arr = np.asarray(sequence)
        if arr.ndim == 2 and arr.shape[1] == 1:  # hmmlearn's (n_samples, 1) layout
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise DataError(f"{name} must be a 1-D sequence of symbol ids, got shape {arr.shape}.")
        if len(arr) == 0:
            raise DataError(f"{name} has length 0; every sequence needs at least one step.")
        if arr.dtype.kind not in "iub":
            if arr.dtype.kind != "f" or not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
                raise DataError(f"{name} must hold integer symbol ids, got dtype {arr.dtype}.")
        arr = arr.astype(np.int64)
        size = self._alphabet_size()
        low, high = int(arr.min()), int(arr.max())
        if low < 0 or (size is not None and high >= size):
            bad = low if low < 0 else high
            step = int(np.argmax(arr == bad))
            limit = "n_symbols-1" if size is None else f"{size - 1} (n_symbols={size})"
            raise DataError(f"{name} holds symbol {bad} at step {step}, outside 0..{limit}; "
                            "re-encode the data or raise n_symbols.")
        return arr

    def _check_emissions(self, raw: dict[str, Any]) -> Params:
        size = self._alphabet_size()
        emit = np.asarray(raw["emissionprob_"], dtype=np.float64)
        shape = (self.n_states, size if size is not None else (emit.shape[-1] if emit.ndim == 2 else 0))
        return {"emissionprob_": check_distribution(emit, "emissionprob_", shape)}

    def _log_emission(self, params: Params, X: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            out: np.ndarray = np.log(params["emissionprob_"]).T[X]  # (n_steps, n_states)
        return out

    def _frames(self, params: Params, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The emission probabilities themselves: no log/exp round trip."""
        return np.ascontiguousarray(params["emissionprob_"].T[X]), np.zeros(len(X))

    def _init_emissions(self, X: np.ndarray, offsets: np.ndarray, rng: np.random.Generator) -> Params:
        """Emission rows from k-means over symbol histograms of short windows (persistent states)."""
        n_symbols = self._alphabet_size() or int(X.max()) + 1
        k = self.n_states
        freq = np.bincount(X, minlength=n_symbols) / len(X)
        window = int(np.clip(len(X) // (20 * k), 4, 16))
        chunk = np.concatenate([np.arange(hi - lo) // window + i * len(X) for i, (lo, hi)
                                in enumerate(zip(offsets[:-1], offsets[1:], strict=True))])
        _, chunk = np.unique(chunk, return_inverse=True)
        counts = np.zeros((chunk.max() + 1, n_symbols))
        np.add.at(counts, (chunk, X), 1.0)
        if len(counts) >= k:
            labels = kmeans(counts / counts.sum(axis=1, keepdims=True), k, rng)
            centres = np.stack([counts[labels == c].sum(axis=0) for c in range(k)])
        else:
            centres = rng.dirichlet(np.ones(n_symbols), size=k) * len(X)
        return {"emissionprob_": _smooth_rows(_normalise(centres, np.tile(freq, (k, 1))), freq)}

    def _initial_params(self, X: np.ndarray, offsets: np.ndarray, rng: np.random.Generator) -> Params:
        """Alternate two data-driven starts over the restarts.

        Even restarts (the first one included): sticky transitions + window histograms, for
        states that persist. Odd restarts: symbols clustered by their neighbour profiles (the
        distribution of the previous and next symbol), emissions from those clusters and
        transitions counted between them — this start also finds states that alternate, such
        as vowels and consonants, which a sticky start misses.
        """
        self._restart = getattr(self, "_restart", -1) + 1
        if self._restart % 2 == 0 or len(X) < 2:
            return super()._initial_params(X, offsets, rng)
        return self._neighbour_start(X, offsets, rng)

    def _neighbour_start(self, X: np.ndarray, offsets: np.ndarray, rng: np.random.Generator) -> Params:
        n_symbols = self._alphabet_size() or int(X.max()) + 1
        k = self.n_states
        freq = np.bincount(X, minlength=n_symbols) / len(X)
        inner = np.ones(len(X) - 1, dtype=bool)
        inner[offsets[1:-1] - 1] = False  # no bigram across sequence boundaries
        prev, nxt = X[:-1][inner], X[1:][inner]
        bigram = np.zeros((n_symbols, n_symbols))
        np.add.at(bigram, (prev, nxt), 1.0)
        profile = np.hstack([_normalise(bigram + 1e-3, np.full(n_symbols, 1.0 / n_symbols)),
                             _normalise(bigram.T + 1e-3, np.full(n_symbols, 1.0 / n_symbols))])
        group = kmeans(profile, k, rng) if n_symbols >= k else rng.integers(k, size=n_symbols)
        member = np.zeros((k, n_symbols))
        member[group, np.arange(n_symbols)] = 1.0
        emit = _smooth_rows(_normalise(member * freq, np.tile(freq, (k, 1))), freq)
        trans = _normalise(member @ bigram @ member.T + 1.0, np.full(k, 1.0 / k))
        start = np.bincount(group[X[offsets[:-1]]], minlength=k) + 1.0
        return {"startprob_": start / start.sum(), "transmat_": trans, "emissionprob_": emit}

    def _emission_stats(self, params: Params, X: np.ndarray, gamma: np.ndarray) -> dict[str, np.ndarray]:
        n_symbols = self._alphabet_size() or int(X.max()) + 1
        return {"obs": alg.symbol_counts(X, gamma, n_symbols)}

    def _mstep_emissions(self, params: Params, stats: dict[str, np.ndarray]) -> Params:
        return {"emissionprob_": _normalise(stats["obs"], params["emissionprob_"])}

    def _sample_emissions(self, params: Params, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return alg.sample_symbols(states, params["emissionprob_"], rng.random(len(states)))

    def fit(self, sequences: Any, y: Any = None, *, lengths: Any = None,
            init_params: dict[str, Any] | None = None, log: Any = None) -> CategoricalHMM:
        """Fit by Baum-Welch; see :meth:`BaseHMM.fit`. Symbols are ids ``0..n_symbols-1``."""
        # with n_symbols=None the alphabet is the starting emissionprob_'s width, else the data's
        width = None
        if self.n_symbols is None and init_params is not None and "emissionprob_" in init_params:
            width = int(np.shape(init_params["emissionprob_"])[-1])
        self._fit_width = width
        self._restart = -1
        try:
            return super().fit(sequences, y, lengths=lengths, init_params=init_params, log=log)
        finally:
            del self._fit_width, self._restart

    def _smooth_emission_stats(self, stats: dict[str, np.ndarray], pseudocount: float) -> dict[str, np.ndarray]:
        return {"obs": stats["obs"] + pseudocount}

    def _n_emission_params(self, params: Params) -> int:
        k, m = (int(v) for v in params["emissionprob_"].shape)
        return k * (m - 1)

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"n_states": 2, "n_symbols": 3, "n_iter": 200, "tol": 1e-3, "random_state": 0}

    @classmethod
    def _test_data(cls) -> list[np.ndarray]:
        return [np.array([0, 0, 1, 2, 2, 2, 1, 0]), np.array([2, 2, 1, 0, 0])]


def _smooth_rows(rows: np.ndarray, freq: np.ndarray) -> np.ndarray:
    """Mix emission rows with the overall frequencies and a little uniform mass (no zero starts)."""
    out: np.ndarray = 0.85 * rows + 0.1 * freq + 0.05 / rows.shape[1]
    out /= out.sum(axis=1, keepdims=True)
    return out
