"""Machinery shared by every HMM: validation, Baum-Welch with restarts, decoding, sampling.

An emission family subclasses :class:`BaseHMM` and supplies a handful of pure hooks that work
on a parameter dict (``{"startprob_": ..., "transmat_": ..., <emission params>}``):
``_log_emission`` (fill the ``(n_steps, n_states)`` matrix the kernels in
:mod:`seqlab.hmm._algorithms` consume), ``_init_emissions``, ``_emission_stats``,
``_mstep_emissions``, ``_check_emissions`` and ``_sample_emissions``.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Self

import numpy as np

from seqlab.base import BaseModel, float_at_least
from seqlab.exceptions import ConvergenceWarning, DataError, InvalidParameterError, NotFittedError
from seqlab.hmm import _algorithms as alg

Params = dict[str, np.ndarray]

#: Weight kept on the diagonal of the default ("sticky") starting transition matrix.
STICKY_DIAGONAL = 0.9


def _is_pos_int(v: Any) -> bool:
    return bool(isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 1)


def _is_nonneg_int(v: Any) -> bool:
    return bool(isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 0)


def check_distribution(value: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Return ``value`` as a float64 array of ``shape`` whose last axis holds probability vectors.

    Raises ``InvalidParameterError`` naming the matrix, its shape and the first bad row.
    """
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != shape:
        raise InvalidParameterError(f"{name} must have shape {shape}, got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InvalidParameterError(
            f"{name} (shape {shape}) must hold finite non-negative probabilities; "
            f"got a minimum of {np.nanmin(arr):.6g}. Fix the entries or refit the model.")
    sums = arr.sum(axis=-1)
    bad = np.abs(sums - 1.0) > 1e-8
    if np.any(bad):
        where = "" if arr.ndim == 1 else f" row {int(np.argwhere(np.atleast_1d(bad))[0][0])}"
        first = float(np.atleast_1d(sums)[np.atleast_1d(bad)][0])
        raise InvalidParameterError(
            f"{name} (shape {shape}) must sum to 1 along its last axis; {where.strip() or 'it'} sums to "
            f"{first:.10g}. Normalise it (divide by the sum).")
    return arr


def sticky_transmat(n_states: int, rng: np.random.Generator, diagonal: float = STICKY_DIAGONAL) -> np.ndarray:
    """A diagonal-heavy transition matrix, lightly jittered so restarts differ.

    States of real sequences persist; a start where every state is likely to stay put lets the
    first E-step attribute runs of similar observations to one state instead of averaging them
    away, which is what a random (Dirichlet) start tends to do.
    """
    if n_states == 1:
        return np.ones((1, 1))
    base = np.full((n_states, n_states), (1.0 - diagonal) / (n_states - 1))
    np.fill_diagonal(base, diagonal)
    jitter = rng.dirichlet(np.ones(n_states), size=n_states)
    trans: np.ndarray = 0.95 * base + 0.05 * jitter
    trans /= trans.sum(axis=1, keepdims=True)
    return trans


def kmeans(points: np.ndarray, n_clusters: int, rng: np.random.Generator, n_iter: int = 20) -> np.ndarray:
    """Lloyd's k-means with k-means++ seeding; returns labels. Small and deterministic given ``rng``."""
    n = len(points)
    centers = np.empty((n_clusters, points.shape[1]))
    centers[0] = points[rng.integers(n)]
    d2 = ((points - centers[0]) ** 2).sum(axis=1)
    for c in range(1, n_clusters):
        total = d2.sum()
        idx = rng.integers(n) if total <= 0 else rng.choice(n, p=d2 / total)
        centers[c] = points[idx]
        d2 = np.minimum(d2, ((points - centers[c]) ** 2).sum(axis=1))
    labels = np.zeros(n, dtype=np.int64)
    for _ in range(n_iter):
        dist = ((points[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)  # (n, K)
        new = dist.argmin(axis=1)
        if _ > 0 and np.array_equal(new, labels):
            break
        labels = new
        for c in range(n_clusters):
            members = points[labels == c]
            if len(members):
                centers[c] = members.mean(axis=0)
    return labels


class BaseHMM(BaseModel):
    """Hidden Markov model base class (see :class:`CategoricalHMM` and :class:`GaussianHMM`).

    Attributes common to every HMM
    ------------------------------
    startprob_ : ndarray of shape (n_states,)
    transmat_ : ndarray of shape (n_states, n_states)
        ``transmat_[i, j] = P(z_t = j | z_{t-1} = i)``.
    n_iter_ : int
        Baum-Welch iterations of the winning restart.
    log_likelihoods_ : ndarray of shape (n_iter_,)
        Total training log-likelihood before each M-step of the winning restart (hmmlearn's
        ``monitor_.history``); never decreasing.
    converged_ : bool
        Whether the winning restart stopped because its gain fell below ``tol``.
    best_init_ : int
        Which of the ``n_init`` restarts won (0-based).
    init_log_likelihoods_ : ndarray of shape (n_init,)
        Final training log-likelihood of every restart.
    """

    _emission_names: ClassVar[tuple[str, ...]] = ()
    # hyperparameters every subclass sets in __init__
    n_states: int
    n_iter: int
    tol: float
    n_init: int
    random_state: int | None
    _constraints = {
        "n_states": (_is_pos_int, "an int >= 1"),
        "n_iter": (_is_nonneg_int, "an int >= 0"),
        "tol": float_at_least(0),
        "n_init": (_is_pos_int, "an int >= 1"),
        "random_state": (lambda v: v is None or _is_nonneg_int(v), "None or an int >= 0"),
    }

    # ------------------------------------------------------------------ hooks (subclasses)
    def _check_data(self, sequence: Any, name: str) -> np.ndarray:
        raise NotImplementedError

    def _log_emission(self, params: Params, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _frames(self, params: Params, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Emission frames for the E-step (see :func:`~seqlab.hmm._algorithms.estep_frames`)."""
        return alg.frame_probabilities(self._log_emission(params, X))

    def _init_emissions(self, X: np.ndarray, offsets: np.ndarray, rng: np.random.Generator) -> Params:
        raise NotImplementedError

    def _emission_stats(self, X: np.ndarray, gamma: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _mstep_emissions(self, params: Params, stats: dict[str, np.ndarray]) -> Params:
        raise NotImplementedError

    def _check_emissions(self, params: dict[str, Any]) -> Params:
        raise NotImplementedError

    def _sample_emissions(self, params: Params, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    # ------------------------------------------------------------------ parameters
    def _param_dict(self) -> Params:
        """The current parameters, validated (they may have been set by hand)."""
        names = ("startprob_", "transmat_", *self._emission_names)
        missing = [n for n in names if getattr(self, n, None) is None]
        if len(missing) == len(names):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet. Call 'fit', "
                                 f"or set {', '.join(names)} by hand.")
        if missing:
            raise NotFittedError(f"{type(self).__name__} is missing {', '.join(missing)}; set all of "
                                 f"{', '.join(names)} or call 'fit'.")
        return self._check_params({n: getattr(self, n) for n in names})

    def _check_params(self, raw: dict[str, Any]) -> Params:
        self._validate_params()
        k = self.n_states
        params = {"startprob_": check_distribution(raw["startprob_"], "startprob_", (k,)),
                  "transmat_": check_distribution(raw["transmat_"], "transmat_", (k, k))}
        params.update(self._check_emissions(raw))
        return params

    def _set_params_from(self, params: Params) -> None:
        for name, value in params.items():
            setattr(self, name, value)

    # ------------------------------------------------------------------ data
    def _as_sequences(self, data: Any, name: str) -> list[np.ndarray]:
        if isinstance(data, str | bytes):
            raise DataError(f"{name} must be a list of sequences, got a str.")
        if isinstance(data, np.ndarray) and data.dtype != object:
            data = [data]  # one sequence given as an array
        try:
            seqs = list(data)
        except TypeError:
            raise DataError(f"{name} must be a list of sequences, got {type(data).__name__}.") from None
        if not seqs:
            raise DataError(f"{name} is empty; give at least one non-empty sequence.")
        return [self._check_data(s, f"{name}[{i}]") for i, s in enumerate(seqs)]

    @staticmethod
    def _concat(seqs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        offsets = np.zeros(len(seqs) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(s) for s in seqs])
        return np.concatenate(seqs), offsets

    # ------------------------------------------------------------------ fitting
    def fit(self, sequences: Any, y: Any = None, *, init_params: dict[str, Any] | None = None,
            log: Any = None) -> Self:
        """Fit by Baum-Welch (EM), keeping the best of ``n_init`` restarts.

        Parameters
        ----------
        sequences : list of array-like
            Training sequences (one array each); a single array is read as one sequence.
        y : ignored
        init_params : dict, optional
            Starting parameters by attribute name (``{"startprob_": ..., "transmat_": ..., ...}``);
            when given, exactly one run starts there and ``n_init`` is ignored. This is how to
            reproduce hmmlearn's ``init_params=""`` runs.
        log : seqlab.train.log.MetricsLog, optional
            Receives one row per Baum-Welch iteration (``train_loss``: negative log-likelihood per
            observation); live with one start, the best run's afterwards with several.

        Each restart runs until the log-likelihood gain of one iteration is below ``tol`` or
        ``n_iter`` iterations are done (then a ``ConvergenceWarning`` is issued). A run whose
        likelihood would fall (only the covariance prior of :class:`GaussianHMM` or rounding
        can cause that) stops and keeps its previous parameters, so ``log_likelihoods_`` never
        decreases.
        """
        self._validate_params()
        for attr in [a for a in vars(self) if a.endswith("_") and not a.startswith("__")]:
            delattr(self, attr)
        X, offsets = self._concat(self._as_sequences(sequences, "sequences"))
        rng = np.random.default_rng(self.random_state)
        if init_params is not None:
            starts = [self._check_params(init_params)]
        else:
            starts = [self._initial_params(X, offsets, rng) for _ in range(self.n_init)]
        runs = [self._baum_welch(X, offsets, p, log=log if len(starts) == 1 else None) for p in starts]
        finals = np.array([r[1][-1] if len(r[1]) else -np.inf for r in runs])
        best = int(np.argmax(finals)) if np.any(np.isfinite(finals)) else 0
        params, history, converged = runs[best]
        if log is not None and len(starts) > 1:  # the chosen run's curve (its timings were not kept)
            for i, ll in enumerate(history, 1):
                log.write(step=i, train_loss=-ll / max(len(X), 1), wall_seconds=None, cpu_seconds=None)
        self._set_params_from(params)
        self.log_likelihoods_ = np.asarray(history, dtype=np.float64)
        self.n_iter_ = len(history)
        self.converged_ = converged
        self.best_init_ = best
        self.init_log_likelihoods_ = finals
        if not converged and self.n_iter > 0:
            warnings.warn(f"{type(self).__name__}: Baum-Welch stopped after n_iter={self.n_iter} iterations "
                          f"with a last gain >= tol={self.tol}; raise n_iter or tol.",
                          ConvergenceWarning, stacklevel=2)
        return self

    def _initial_params(self, X: np.ndarray, offsets: np.ndarray, rng: np.random.Generator) -> Params:
        """Default start: uniform ``startprob_``, sticky ``transmat_``, data-driven emissions."""
        k = self.n_states
        params = {"startprob_": np.full(k, 1.0 / k), "transmat_": sticky_transmat(k, rng)}
        params.update(self._init_emissions(X, offsets, rng))
        return params

    def _baum_welch(self, X: np.ndarray, offsets: np.ndarray, params: Params,
                    log: Any = None) -> tuple[Params, list[float], bool]:
        history: list[float] = []
        converged = False
        previous = params
        for _ in range(self.n_iter):
            frameprob, shift = self._frames(params, X)
            ll, gamma, start_counts, trans_counts = alg.estep_frames(params["startprob_"], params["transmat_"],
                                                                     frameprob, shift, offsets)
            if not np.isfinite(ll):
                raise DataError(f"{type(self).__name__}: a training sequence has probability zero under the "
                                "starting parameters; give starting probabilities that are not zero.")
            if history and ll < history[-1]:
                params, converged = previous, True
                break
            history.append(float(ll))
            if log is not None:
                log.write(step=len(history), train_loss=-float(ll) / max(len(X), 1))
            previous = params
            params = self._mstep(params, start_counts, trans_counts, self._emission_stats(X, gamma))
            if len(history) >= 2 and history[-1] - history[-2] < self.tol:
                converged = True
                break
        return params, history, converged

    def _mstep(self, params: Params, start_counts: np.ndarray, trans_counts: np.ndarray,
               stats: dict[str, np.ndarray]) -> Params:
        new = {"startprob_": _normalise(start_counts, params["startprob_"]),
               "transmat_": _normalise(trans_counts, params["transmat_"])}
        new.update(self._mstep_emissions(params, stats))
        return new

    # ------------------------------------------------------------------ inference
    def _prepare(self, sequence: Any) -> tuple[Params, np.ndarray]:
        params = self._param_dict()
        x = self._check_data(sequence, "sequence")
        return params, self._log_emission(params, x)

    def log_likelihood(self, sequence: Any) -> float:
        """Total natural-log likelihood ``log p(x_1..x_T)`` of one sequence (forward algorithm)."""
        params, log_emit = self._prepare(sequence)
        offsets = np.array([0, len(log_emit)], dtype=np.int64)
        return float(alg.forward_log_likelihood(params["startprob_"], params["transmat_"], log_emit, offsets)[0])

    def score(self, sequences: Any, y: Any = None) -> float:
        """Mean log-likelihood per step over ``sequences`` (higher is better)."""
        params = self._param_dict()
        X, offsets = self._concat(self._as_sequences(sequences, "sequences"))
        lls = alg.forward_log_likelihood_frames(params["startprob_"], params["transmat_"],
                                                *self._frames(params, X), offsets)
        return float(lls.sum() / len(X))

    def predict_proba(self, sequence: Any) -> np.ndarray:
        """State posteriors ``P(z_t = k | x_1..x_T)`` of shape ``(n_steps, n_states)``."""
        params, log_emit = self._prepare(sequence)
        ll, gamma = alg.posteriors(params["startprob_"], params["transmat_"], log_emit)
        if not np.isfinite(ll):
            raise DataError("sequence has probability zero under the model; its posteriors are undefined.")
        return gamma

    def decode(self, sequence: Any, algorithm: str = "viterbi") -> tuple[float, np.ndarray]:
        """Most likely states of one sequence.

        ``algorithm="viterbi"`` returns ``(log p(x, z*), z*)`` for the jointly most likely path;
        ``"map"`` returns the per-step most likely states and the sum of the logs of their
        posteriors (hmmlearn returns the plain sum of those posteriors instead).
        """
        if algorithm not in ("viterbi", "map"):
            raise InvalidParameterError(f"algorithm must be 'viterbi' or 'map', got {algorithm!r}.")
        params, log_emit = self._prepare(sequence)
        if algorithm == "map":
            ll, gamma = alg.posteriors(params["startprob_"], params["transmat_"], log_emit)
            if not np.isfinite(ll):
                raise DataError("sequence has probability zero under the model; it cannot be decoded.")
            states = gamma.argmax(axis=1)
            with np.errstate(divide="ignore"):
                return float(np.log(gamma.max(axis=1)).sum()), states
        with np.errstate(divide="ignore"):
            log_start, log_trans = np.log(params["startprob_"]), np.log(params["transmat_"])
        log_prob, states = alg.viterbi(log_start, log_trans, log_emit)
        return float(log_prob), states

    def predict(self, sequence: Any) -> np.ndarray:
        """The Viterbi state path of one sequence, shape ``(n_steps,)``."""
        return self.decode(sequence)[1]

    def sample(self, n: int = 1,
               random_state: int | np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` steps from the model: ``(observations, states)``.

        The state path comes from a compiled inverse-CDF kernel; emissions are drawn in one
        vectorised call per state, so 100,000 steps take milliseconds.
        """
        if not _is_pos_int(n):
            raise InvalidParameterError(f"n must be an int >= 1, got {n!r}.")
        params = self._param_dict()
        rng = np.random.default_rng(random_state)
        states = alg.sample_states(params["startprob_"], params["transmat_"], rng.random(n))
        return self._sample_emissions(params, states, rng), states

    # ------------------------------------------------------------------ persistence
    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        params = self._param_dict()
        meta: dict[str, Any] = {"summary": {"n_states": self.n_states}}
        if hasattr(self, "log_likelihoods_"):
            meta.update(n_iter_=self.n_iter_, converged_=bool(self.converged_), best_init_=self.best_init_)
            params = {**params, "log_likelihoods_": self.log_likelihoods_,
                      "init_log_likelihoods_": self.init_log_likelihoods_}
        return meta, {k.rstrip("_"): np.asarray(v, dtype=np.float64) for k, v in params.items()}

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        model = cls(**params)
        raw = {f"{k}_": v for k, v in arrays.items()}
        fitted = {k: raw.pop(k) for k in ("log_likelihoods_", "init_log_likelihoods_") if k in raw}
        model._set_params_from(model._check_params(raw))
        if fitted:
            model.log_likelihoods_ = fitted["log_likelihoods_"]
            model.init_log_likelihoods_ = fitted["init_log_likelihoods_"]
            model.n_iter_ = int(state["n_iter_"])
            model.converged_ = bool(state["converged_"])
            model.best_init_ = int(state["best_init_"])
        return model


def _normalise(counts: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Rows of ``counts`` divided by their sums; a row with no expected counts keeps ``previous``."""
    counts = np.asarray(counts, dtype=np.float64)
    sums = counts.sum(axis=-1, keepdims=True)
    empty = sums <= 0
    out: np.ndarray = np.where(empty, previous, counts / np.where(empty, 1.0, sums))
    return out
