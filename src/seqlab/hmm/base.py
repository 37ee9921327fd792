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

from seqlab._validation import int_at_least, is_int
from seqlab.base import BaseModel, float_at_least
from seqlab.exceptions import ConvergenceWarning, DataError, InvalidParameterError, NotFittedError
from seqlab.hmm import _algorithms as alg

Params = dict[str, np.ndarray]

#: Weight kept on the diagonal of the default ("sticky") starting transition matrix.
STICKY_DIAGONAL = 0.9


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
    #: symbol table of a categorical model (its symbols by id), saved with the model when set
    symbols_: list[str] | None
    # hyperparameters every subclass sets in __init__
    n_states: int
    n_iter: int
    tol: float
    n_init: int
    random_state: int | None
    _constraints = {
        "n_states": int_at_least(1),
        "n_iter": int_at_least(0),
        "tol": float_at_least(0),
        "n_init": int_at_least(1),
        "random_state": int_at_least(0, optional=True),
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

    def _emission_stats(self, params: Params, X: np.ndarray, gamma: np.ndarray) -> dict[str, np.ndarray]:
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
    def _as_sequences(self, data: Any, name: str, lengths: Any = None) -> list[np.ndarray]:
        if lengths is not None:
            return [self._check_data(s, f"{name}[{i}]") for i, s in enumerate(split_lengths(data, lengths, name))]
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
    def fit(self, sequences: Any, y: Any = None, *, lengths: Any = None,
            init_params: dict[str, Any] | None = None, log: Any = None) -> Self:
        """Fit by Baum-Welch (EM), keeping the best of ``n_init`` restarts.

        Parameters
        ----------
        sequences : list of array-like
            Training sequences (one array each); a single array is read as one sequence, or
            as several when ``lengths`` is given.
        y : ignored, or hmmlearn's positional ``lengths``
            ``fit(X, lengths)`` written the hmmlearn way works too.
        lengths : array-like of int, optional
            hmmlearn's convention: ``sequences`` is one array of all steps concatenated and
            ``lengths`` the length of each sequence (they must sum to its number of rows).
        init_params : dict, optional
            Starting parameters by attribute name (``{"startprob_": ..., "transmat_": ..., ...}``);
            when given, exactly one run starts there and ``n_init`` is ignored. This is how to
            reproduce hmmlearn's ``init_params=""`` runs.
        log : seqlab.train.log.MetricsLog, optional
            Receives one row per Baum-Welch iteration (``train_loss``: negative log-likelihood per
            observation); live with one start, the best run's afterwards with several.

        Notes
        -----
        Each restart runs until the log-likelihood gain of one iteration is below ``tol`` or
        ``n_iter`` iterations are done (then a ``ConvergenceWarning`` is issued). A run whose
        likelihood would fall (only the covariance prior of :class:`GaussianHMM` or rounding
        can cause that) stops and keeps its previous parameters, so ``log_likelihoods_`` never
        decreases.
        """
        self._validate_params()
        for attr in [a for a in vars(self) if a.endswith("_") and not a.startswith("__")]:
            delattr(self, attr)
        X, offsets = self._concat(self._as_sequences(sequences, "sequences", _lengths(y, lengths)))
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
            params = self._mstep(params, start_counts, trans_counts, self._emission_stats(params, X, gamma))
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

    # ------------------------------------------------------------------ supervised fitting
    def fit_supervised(self, sequences: Any, states: Any, *, lengths: Any = None, pseudocount: float = 1.0,
                       emission_pseudocount: float | None = None) -> Self:
        """Fit from labelled state sequences by counting, with additive smoothing (no EM).

        This is the supervised HMM of a part-of-speech tagger: the states are known (tags),
        so ``startprob_`` and ``transmat_`` are relative frequencies of the observed starts and
        ``i -> j`` transitions, and the emissions are the per-state maximum-likelihood
        estimates (symbol frequencies, means and covariances, Poisson rates; a Gaussian
        mixture runs EM within each state, as its components are not labelled).

        Parameters
        ----------
        sequences : list of array-like
            Observation sequences, as for :meth:`fit` (or one array with ``lengths``).
        states : list of array-like of int
            One state id ``0..n_states-1`` per step of each sequence (or one array with
            ``lengths``, like ``sequences``).
        lengths : array-like of int, optional
            hmmlearn's convention for both ``sequences`` and ``states``.
        pseudocount : float, default=1.0
            Added to every start and transition count before normalising (add-one smoothing
            at 1.0; 0 gives plain relative frequencies, with zeros for unseen transitions).
        emission_pseudocount : float or None, default=None
            Added to every symbol count of :class:`CategoricalHMM` (None: ``pseudocount``);
            a tagger with a large vocabulary usually wants a smaller value such as 0.01.
            Ignored by the continuous-emission models.

        Notes
        -----
        A state that never occurs gets the smoothed (uniform when ``pseudocount > 0``) start
        and transition rows and the data-driven default emissions of :meth:`fit`.
        """
        self._validate_params()
        for value, name in ((pseudocount, "pseudocount"), (emission_pseudocount, "emission_pseudocount")):
            if value is None and name == "emission_pseudocount":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                raise InvalidParameterError(f"{name} must be a float >= 0, got {value!r}.")
        for attr in [a for a in vars(self) if a.endswith("_") and not a.startswith("__")]:
            delattr(self, attr)
        seqs = self._supervised_sequences(sequences, lengths)
        labels = _state_sequences(states, lengths, [len(s) for s in seqs], self.n_states)
        X, offsets = self._concat(seqs)
        z = np.concatenate(labels)
        k = self.n_states
        start = np.bincount(z[offsets[:-1]], minlength=k).astype(np.float64) + pseudocount
        inner = np.ones(len(z) - 1, dtype=bool)
        inner[offsets[1:-1] - 1] = False  # no transition across sequence boundaries
        trans = np.zeros((k, k))
        np.add.at(trans, (z[:-1][inner], z[1:][inner]), 1.0)
        trans += pseudocount
        gamma = np.zeros((len(z), k))
        gamma[np.arange(len(z)), z] = 1.0
        rng = np.random.default_rng(self.random_state)
        params: Params = {"startprob_": _normalise(start, np.full(k, 1.0 / k)),
                          "transmat_": _normalise(trans, np.full((k, k), 1.0 / k))}
        params.update(self._supervised_start(X, offsets, z, rng))
        smoothing = pseudocount if emission_pseudocount is None else emission_pseudocount
        for _ in range(self._supervised_steps):
            stats = self._smooth_emission_stats(self._emission_stats(params, X, gamma), smoothing)
            params.update(self._mstep_emissions(params, stats))
        self._set_params_from(self._check_params(params))
        return self

    #: M-steps of the emissions in :meth:`fit_supervised` (1 is exact for closed-form families).
    _supervised_steps = 1

    def _supervised_start(self, X: np.ndarray, offsets: np.ndarray, z: np.ndarray,
                          rng: np.random.Generator) -> Params:
        """Hook: emissions the supervised M-steps start from (and unseen states keep)."""
        return self._init_emissions(X, offsets, rng)

    def _supervised_sequences(self, sequences: Any, lengths: Any) -> list[np.ndarray]:
        return self._as_sequences(sequences, "sequences", lengths)

    def _smooth_emission_stats(self, stats: dict[str, np.ndarray], pseudocount: float) -> dict[str, np.ndarray]:
        """Hook: add smoothing counts to supervised emission statistics (categorical only)."""
        return stats

    # ------------------------------------------------------------------ inference
    def _prepare(self, sequence: Any) -> tuple[Params, np.ndarray]:
        params = self._param_dict()
        x = self._check_data(sequence, "sequence")
        return params, self._log_emission(params, x)

    def _prepare_many(self, X: Any, lengths: Any) -> tuple[Params, np.ndarray, np.ndarray]:
        """Parameters, emission log-likelihoods and offsets of one sequence or of ``X`` split by ``lengths``."""
        params = self._param_dict()
        seqs = [self._check_data(X, "X")] if lengths is None else self._as_sequences(X, "X", lengths)
        data, offsets = self._concat(seqs)
        return params, self._log_emission(params, data), offsets

    def log_likelihood(self, X: Any, lengths: Any = None) -> float:
        """Total natural-log likelihood ``log p(x_1..x_T)`` of one sequence (forward algorithm).

        With ``lengths`` (hmmlearn's convention) ``X`` holds several sequences concatenated and
        the result is the sum over them: this is the number hmmlearn's ``score(X, lengths)``
        returns, while seqlab's :meth:`score` is the mean per step.
        """
        params, log_emit, offsets = self._prepare_many(X, lengths)
        return float(alg.forward_log_likelihood(params["startprob_"], params["transmat_"], log_emit, offsets).sum())

    def score(self, sequences: Any, y: Any = None, *, lengths: Any = None) -> float:
        """Mean log-likelihood **per step** over ``sequences`` (higher is better).

        Unlike hmmlearn's ``score``, which is the total log-likelihood, this is divided by the
        number of steps so that it is comparable across data of different lengths; the total
        is :meth:`log_likelihood` (``score * n_steps``). ``score(X, lengths)`` in hmmlearn's
        calling convention is accepted (the positional second argument is read as ``lengths``).
        """
        params = self._param_dict()
        X, offsets = self._concat(self._as_sequences(sequences, "sequences", _lengths(y, lengths)))
        lls = alg.forward_log_likelihood_frames(params["startprob_"], params["transmat_"],
                                                *self._frames(params, X), offsets)
        return float(lls.sum() / len(X))

    def score_samples(self, X: Any, lengths: Any = None) -> tuple[float, np.ndarray]:
        """hmmlearn's ``score_samples``: total log-likelihood and state posteriors ``(n_steps, n_states)``.

        With ``lengths``, both cover all the concatenated sequences of ``X``.
        """
        params, log_emit, offsets = self._prepare_many(X, lengths)
        total, parts = 0.0, []
        for lo, hi in zip(offsets[:-1], offsets[1:], strict=True):
            ll, gamma = alg.posteriors(params["startprob_"], params["transmat_"], log_emit[lo:hi])
            if not np.isfinite(ll):
                raise DataError("a sequence has probability zero under the model; its posteriors are undefined.")
            total += ll
            parts.append(gamma)
        return float(total), np.concatenate(parts)

    def predict_proba(self, X: Any, lengths: Any = None) -> np.ndarray:
        """State posteriors ``P(z_t = k | x_1..x_T)`` of shape ``(n_steps, n_states)``.

        With ``lengths`` the posteriors of each sequence of ``X`` are concatenated (hmmlearn).
        """
        return self.score_samples(X, lengths)[1]

    def decode(self, sequence: Any, algorithm: Any = "viterbi", *, lengths: Any = None) -> tuple[float, np.ndarray]:
        """Most likely states of one sequence.

        ``algorithm="viterbi"`` returns ``(log p(x, z*), z*)`` for the jointly most likely path;
        ``"map"`` returns the per-step most likely states and the sum of the logs of their
        posteriors (hmmlearn returns the plain sum of those posteriors instead). With
        ``lengths`` (also accepted positionally, as hmmlearn's ``decode(X, lengths)``) each
        sequence of ``X`` is decoded on its own: the log-probabilities are summed and the
        paths concatenated.
        """
        if lengths is None and algorithm is not None and not isinstance(algorithm, str):
            lengths, algorithm = algorithm, "viterbi"
        if algorithm not in ("viterbi", "map"):
            raise InvalidParameterError(f"algorithm must be 'viterbi' or 'map', got {algorithm!r}.")
        params, log_emit, offsets = self._prepare_many(sequence, lengths)
        total, paths = 0.0, []
        with np.errstate(divide="ignore"):
            log_start, log_trans = np.log(params["startprob_"]), np.log(params["transmat_"])
        for lo, hi in zip(offsets[:-1], offsets[1:], strict=True):
            if algorithm == "map":
                ll, gamma = alg.posteriors(params["startprob_"], params["transmat_"], log_emit[lo:hi])
                if not np.isfinite(ll):
                    raise DataError("sequence has probability zero under the model; it cannot be decoded.")
                with np.errstate(divide="ignore"):
                    total += float(np.log(gamma.max(axis=1)).sum())
                paths.append(gamma.argmax(axis=1))
            else:
                log_prob, states = alg.viterbi(log_start, log_trans, np.ascontiguousarray(log_emit[lo:hi]))
                total += float(log_prob)
                paths.append(states)
        return total, np.concatenate(paths)

    def predict(self, X: Any, lengths: Any = None) -> np.ndarray:
        """The Viterbi state path of one sequence, shape ``(n_steps,)`` (concatenated with ``lengths``)."""
        return self.decode(X, lengths=lengths)[1]

    # ------------------------------------------------------------------ model selection
    def _n_emission_params(self, params: Params) -> int:
        raise NotImplementedError

    def n_fit_params(self) -> int:
        """Number of free scalar parameters: ``(K-1) + K(K-1)`` plus the emissions' free scalars.

        The count hmmlearn's ``aic``/``bic`` use (its ``_get_n_fit_scalars_per_param``),
        except for :class:`GMMHMM`, where seqlab counts ``K (M-1)`` free mixture weights
        (hmmlearn 0.3 counts ``M-1``).
        """
        params = self._param_dict()
        k = self.n_states
        return (k - 1) + k * (k - 1) + self._n_emission_params(params)

    def aic(self, sequences: Any, lengths: Any = None) -> float:
        """Akaike information criterion ``-2 log L + 2 n_fit_params`` (lower is better; as hmmlearn)."""
        ll, _ = self._total(sequences, lengths)
        return -2.0 * ll + 2.0 * self.n_fit_params()

    def bic(self, sequences: Any, lengths: Any = None) -> float:
        """Bayesian information criterion ``-2 log L + n_fit_params log(n_steps)`` (lower is better)."""
        ll, n_steps = self._total(sequences, lengths)
        return -2.0 * ll + self.n_fit_params() * float(np.log(n_steps))

    def _total(self, sequences: Any, lengths: Any) -> tuple[float, int]:
        params = self._param_dict()
        X, offsets = self._concat(self._as_sequences(sequences, "sequences", lengths))
        lls = alg.forward_log_likelihood_frames(params["startprob_"], params["transmat_"],
                                                *self._frames(params, X), offsets)
        return float(lls.sum()), len(X)

    def sample(self, n: int = 1,
               random_state: int | np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` steps from the model: ``(observations, states)``.

        The state path comes from a compiled inverse-CDF kernel; emissions are drawn in one
        vectorised call per state, so 100,000 steps take milliseconds.
        """
        if not is_int(n, 1):
            raise InvalidParameterError(f"n must be an int >= 1, got {n!r}.")
        params = self._param_dict()
        rng = np.random.default_rng(random_state)
        states = alg.sample_states(params["startprob_"], params["transmat_"], rng.random(n))
        return self._sample_emissions(params, states, rng), states

    # ------------------------------------------------------------------ persistence
    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        params = self._param_dict()
        meta: dict[str, Any] = {"summary": {"n_states": self.n_states}}
        symbols: list[str] | None = getattr(self, "symbols_", None)
        if symbols is not None:
            meta["symbols_"] = [str(v) for v in symbols]
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
        if state.get("symbols_") is not None:
            model.symbols_ = [str(v) for v in state["symbols_"]]
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


def _lengths(y: Any, lengths: Any) -> Any:
    """hmmlearn passes ``lengths`` as the second positional argument, where seqlab has ``y``."""
    if lengths is None and y is not None:
        return y
    return lengths


def split_lengths(X: Any, lengths: Any, name: str = "X") -> list[np.ndarray]:
    """Cut hmmlearn's concatenated ``X`` into sequences of the given ``lengths``.

    Raises ``DataError`` when ``lengths`` are not positive ints or do not sum to ``len(X)``.
    """
    try:
        arr = np.asarray(X)
        lens = np.asarray(lengths)
    except (TypeError, ValueError):
        raise DataError(f"{name} with lengths must be an array and lengths a list of ints.") from None
    if arr.ndim == 0:
        raise DataError(f"{name} must be an array of shape (n_steps, ...) when lengths is given, got a scalar.")
    if lens.ndim != 1 or len(lens) == 0 or lens.dtype.kind not in "iu" or np.any(lens < 1):
        raise DataError(f"lengths must be a non-empty list of ints >= 1, got {np.asarray(lengths).tolist()!r}"[:200]
                        + ".")
    total = int(lens.sum())
    if total != len(arr):
        raise DataError(f"lengths sum to {total} but {name} has {len(arr)} rows; give one length per sequence, "
                        f"summing to the rows of {name}.")
    bounds = np.concatenate([[0], np.cumsum(lens)])
    return [arr[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


def _state_sequences(states: Any, lengths: Any, sizes: list[int], n_states: int) -> list[np.ndarray]:
    """Validate labelled state sequences against the observation sequences' ``sizes``."""
    if lengths is not None:
        parts = split_lengths(states, lengths, "states")
    elif isinstance(states, np.ndarray) and states.dtype != object and len(sizes) == 1:
        parts = [states]
    else:
        try:
            parts = [np.asarray(s) for s in states]
        except TypeError:
            raise DataError(f"states must be a list of state sequences, got {type(states).__name__}.") from None
    if len(parts) != len(sizes):
        raise DataError(f"states holds {len(parts)} sequences but there are {len(sizes)} observation sequences.")
    out = []
    for i, (part, size) in enumerate(zip(parts, sizes, strict=True)):
        arr = np.asarray(part)
        if arr.ndim != 1 or len(arr) != size:
            raise DataError(f"states[{i}] has shape {arr.shape} but sequence {i} has {size} steps; give one state "
                            "id per step.")
        if arr.dtype.kind not in "iu":
            raise DataError(f"states[{i}] must hold integer state ids, got dtype {arr.dtype}.")
        if arr.min() < 0 or arr.max() >= n_states:
            bad = int(arr.min() if arr.min() < 0 else arr.max())
            raise DataError(f"states[{i}] holds state {bad}, outside 0..{n_states - 1} (n_states={n_states}).")
        out.append(arr.astype(np.int64))
    return out
