"""Hidden Markov model with Poisson (count) emissions."""

from __future__ import annotations

import math
from typing import Any, Self

import numpy as np
from numba import njit

from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.hmm.base import BaseHMM, Params, kmeans
from seqlab.io import register


class FeaturesFromData(BaseHMM):
    """An HMM whose feature count is read from the training data (the first sequence), not set."""

    def fit(self, sequences: Any, y: Any = None, *, lengths: Any = None,
            init_params: dict[str, Any] | None = None, log: Any = None) -> Self:
        """Fit by Baum-Welch; see :meth:`BaseHMM.fit`. The feature count comes from the data."""
        self._validate_params()
        self._fit_features = _first_width(sequences, y if lengths is None else lengths)
        try:
            return super().fit(sequences, y, lengths=lengths, init_params=init_params, log=log)
        finally:
            del self._fit_features

    def _supervised_sequences(self, sequences: Any, lengths: Any) -> list[np.ndarray]:
        self._fit_features = _first_width(sequences, lengths)
        try:
            return super()._supervised_sequences(sequences, lengths)
        finally:
            del self._fit_features


@register
class PoissonHMM(FeaturesFromData):
    """HMM whose states emit vectors of counts, independent Poisson per feature (hmmlearn's ``PoissonHMM``).

    Parameters
    ----------
    n_states : int, default=2
        Number of hidden states (hmmlearn's ``n_components``).
    min_lambda : float, default=1e-3
        Floor of the rates of the default starting point (a state whose cluster has only
        zeros still gives a non-zero probability to a positive count).
    n_iter, tol, n_init, random_state
        As for :class:`~seqlab.hmm.CategoricalHMM` (defaults 100, 1e-4, 1, None).

    Attributes
    ----------
    startprob_, transmat_ : ndarray
        See :class:`~seqlab.hmm.base.BaseHMM`.
    lambdas_ : ndarray of shape (n_states, n_features)
        Poisson rate of each feature in each state.

    Notes
    -----
    ``log p(x | z = k) = sum_d [x_d log lambda_kd - lambda_kd - log x_d!]``. The M-step is the
    maximum-likelihood rate ``sum_t gamma_tk x_t / sum_t gamma_tk`` (hmmlearn's update with its
    default prior ``lambdas_prior = lambdas_weight = 0``). Sequences are arrays of
    non-negative integer counts of shape ``(n_steps,)`` or ``(n_steps, n_features)``.

    Examples
    --------
    >>> import numpy as np
    >>> hmm = PoissonHMM(n_states=2)
    >>> hmm.startprob_, hmm.transmat_ = [0.5, 0.5], [[0.9, 0.1], [0.1, 0.9]]
    >>> hmm.lambdas_ = [[1.0], [10.0]]
    >>> hmm.predict(np.array([0, 2, 1, 12, 9, 11])).tolist()
    [0, 0, 0, 1, 1, 1]
    """

    _emission_names = ("lambdas_",)
    _constraints = {
        **BaseHMM._constraints,
        "min_lambda": (lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v > 0, "a float > 0"),
    }

    def __init__(self, *, n_states: int = 2, min_lambda: float = 1e-3, n_iter: int = 100, tol: float = 1e-4,
                 n_init: int = 1, random_state: int | None = None) -> None:
        self.n_states = n_states
        self.min_lambda = min_lambda
        self.n_iter = n_iter
        self.tol = tol
        self.n_init = n_init
        self.random_state = random_state

    def _n_features(self) -> int | None:
        fit_features: int | None = getattr(self, "_fit_features", None)
        if fit_features is not None:
            return int(fit_features)
        lambdas = getattr(self, "lambdas_", None)
        return None if lambdas is None else int(np.atleast_2d(lambdas).shape[-1])

    # ------------------------------------------------------------------ hooks
    def _check_data(self, sequence: Any, name: str) -> np.ndarray:
        try:
            arr = np.asarray(sequence, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise DataError(f"{name} must hold counts; could not convert it to numbers ({exc}).") from None
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or len(arr) == 0:
            raise DataError(f"{name} must have shape (n_steps,) or (n_steps, n_features) with n_steps >= 1, "
                            f"got shape {arr.shape}.")
        bad = ~np.isfinite(arr) | (arr < 0) | (arr != np.round(arr))
        if np.any(bad):
            step = int(np.argwhere(bad)[0][0])
            raise DataError(f"{name} has {arr[bad][0]!r} at step {step}; a Poisson HMM needs non-negative integer "
                            "counts.")
        d = self._n_features()
        if d is not None and arr.shape[1] != d:
            raise DataError(f"{name} has {arr.shape[1]} features per step but the model has {d} "
                            f"(lambdas_ shape {(self.n_states, d)}).")
        return arr

    def _check_emissions(self, raw: dict[str, Any]) -> Params:
        lambdas = np.asarray(raw["lambdas_"], dtype=np.float64)
        if lambdas.ndim == 1 and self.n_states == len(lambdas):
            lambdas = lambdas[:, None]
        if lambdas.ndim != 2 or lambdas.shape[0] != self.n_states:
            raise InvalidParameterError(f"lambdas_ must have shape (n_states={self.n_states}, n_features), "
                                        f"got shape {lambdas.shape}.")
        bad = ~(np.isfinite(lambdas) & (lambdas >= 0))
        if np.any(bad):
            state = int(np.argwhere(bad)[0][0])
            raise InvalidParameterError(f"lambdas_ must hold finite rates >= 0; state {state} has "
                                        f"{lambdas[state].tolist()}.")
        return {"lambdas_": lambdas}

    def _log_emission(self, params: Params, X: np.ndarray) -> np.ndarray:
        return poisson_log_emission(np.ascontiguousarray(X), np.ascontiguousarray(params["lambdas_"]))

    def _init_emissions(self, X: np.ndarray, offsets: np.ndarray, rng: np.random.Generator) -> Params:
        k = self.n_states
        points = X if len(X) <= 20_000 else X[rng.choice(len(X), 20_000, replace=False)]
        labels = kmeans(np.log1p(points), k, rng)
        overall = X.mean(axis=0)
        lambdas = np.empty((k, X.shape[1]))
        for c in range(k):
            members = points[labels == c]
            lambdas[c] = members.mean(axis=0) if len(members) else overall
        return {"lambdas_": np.maximum(lambdas, self.min_lambda)}

    def _emission_stats(self, params: Params, X: np.ndarray, gamma: np.ndarray) -> dict[str, np.ndarray]:
        return {"post": gamma.sum(axis=0), "obs": gamma.T @ X}

    def _mstep_emissions(self, params: Params, stats: dict[str, np.ndarray]) -> Params:
        post = stats["post"]
        used = post > 0
        lambdas = np.where(used[:, None], stats["obs"] / np.where(used, post, 1.0)[:, None], params["lambdas_"])
        return {"lambdas_": lambdas}

    def _sample_emissions(self, params: Params, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out: np.ndarray = rng.poisson(params["lambdas_"][states]).astype(np.int64)
        return out

    def _n_emission_params(self, params: Params) -> int:
        return int(params["lambdas_"].size)

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"n_states": 2, "n_iter": 200, "tol": 1e-3, "random_state": 0}

    @classmethod
    def _test_data(cls) -> list[np.ndarray]:
        return [np.array([0, 1, 0, 9, 11, 8, 1, 0]), np.array([10, 12, 0, 2])]


def _first_width(sequences: Any, lengths: Any) -> int | None:
    """Feature count of the first sequence (or of ``X`` with ``lengths``), to check the others against."""
    try:
        if lengths is not None or (isinstance(sequences, np.ndarray) and sequences.dtype != object):
            arr = np.asarray(sequences, dtype=np.float64)
        else:
            arr = np.asarray(next(iter(sequences)), dtype=np.float64)
    except (TypeError, ValueError, StopIteration):
        return None
    return 1 if arr.ndim == 1 else (int(arr.shape[1]) if arr.ndim == 2 else None)


@njit(cache=True)
def poisson_log_emission(X: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """``out[t, k] = sum_d x_td log(lambda_kd) - lambda_kd - log(x_td!)`` (0 log 0 = 0; compiled, one pass)."""
    n_steps, d = X.shape
    k_states = lambdas.shape[0]
    log_lam = np.empty((k_states, d))
    base = np.zeros(k_states)
    for k in range(k_states):
        for j in range(d):
            log_lam[k, j] = np.log(lambdas[k, j]) if lambdas[k, j] > 0 else -np.inf
            base[k] -= lambdas[k, j]
    out = np.empty((n_steps, k_states))
    for t in range(n_steps):
        lf = 0.0
        for j in range(d):
            lf += math.lgamma(X[t, j] + 1.0)
        for k in range(k_states):
            acc = base[k] - lf
            for j in range(d):
                x = X[t, j]
                if x > 0:
                    acc += x * log_lam[k, j]
            out[t, k] = acc
    return out
