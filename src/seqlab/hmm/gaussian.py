"""Hidden Markov model with Gaussian emissions (diagonal or full covariances)."""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from seqlab.base import float_at_least
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.hmm.base import BaseHMM, Params, kmeans
from seqlab.io import register

_LOG_2PI = float(np.log(2.0 * np.pi))
COVARIANCE_TYPES = ("diag", "full", "spherical", "tied")


@register
class GaussianHMM(BaseHMM):
    """HMM whose states emit real vectors from a Gaussian each (hmmlearn's ``GaussianHMM``).

    Parameters
    ----------
    n_states : int, default=2
        Number of hidden states (hmmlearn's ``n_components``).
    covariance_type : {"diag", "full", "spherical", "tied"}, default="diag"
        One variance per feature and state ("diag"), one full covariance matrix per state
        ("full"), one variance per state shared by all features ("spherical"), or one full
        covariance matrix shared by all states ("tied"), as in hmmlearn.
    min_covar : float, default=1e-3
        Added to the variances of the default starting point (as hmmlearn does).
    covars_prior : float, default=1e-2
        Regularisation of the M-step: ``covars_prior`` is added to the diagonal of each state's
        weighted scatter before dividing by its occupancy, so a state that collapses onto a
        few identical points keeps a positive-definite covariance. This is hmmlearn's
        inverse-gamma/Wishart prior with ``covars_weight=1`` (for "full" and "tied" hmmlearn adds
        the scalar to every entry; pass ``covars_prior * np.eye(n_features)`` to hmmlearn to match).
        ``0`` gives plain maximum likelihood.
    n_iter, tol, n_init, random_state
        As for :class:`~seqlab.hmm.CategoricalHMM` (defaults 100, 1e-4, 1, None).

    Attributes
    ----------
    startprob_, transmat_ : ndarray
        See :class:`~seqlab.hmm.base.BaseHMM`.
    means_ : ndarray of shape (n_states, n_features)
    covars_ : ndarray of shape (n_states, n_features, n_features)
        Always full matrices, as hmmlearn's ``covars_`` property returns them, whatever the
        ``covariance_type``. It may also be set in the compact shape of the type:
        ``(n_states, n_features)`` variances for "diag", ``(n_states,)`` for "spherical",
        ``(n_features, n_features)`` for "tied".

    Notes
    -----
    A hand-set covariance that is not positive definite (a zero variance, a singular matrix)
    is refused with an error naming the state; fitted ones are kept positive definite by
    ``covars_prior``. Sequences are arrays of shape ``(n_steps,)`` (one feature) or
    ``(n_steps, n_features)``.
    """

    _emission_names = ("means_", "covars_")
    _constraints = {
        **BaseHMM._constraints,
        "covariance_type": (lambda v: v in COVARIANCE_TYPES, "'diag', 'full', 'spherical' or 'tied'"),
        "min_covar": float_at_least(0),
        "covars_prior": float_at_least(0),
    }

    def __init__(self, *, n_states: int = 2, covariance_type: str = "diag", min_covar: float = 1e-3,
                 covars_prior: float = 1e-2, n_iter: int = 100, tol: float = 1e-4, n_init: int = 1,
                 random_state: int | None = None) -> None:
        self.n_states = n_states
        self.covariance_type = covariance_type
        self.min_covar = min_covar
        self.covars_prior = covars_prior
        self.n_iter = n_iter
        self.tol = tol
        self.n_init = n_init
        self.random_state = random_state

    # ------------------------------------------------------------------ covars_ (full-shape view)
    @property
    def covars_(self) -> np.ndarray | None:
        cov = self.__dict__.get("_covars_")
        if cov is None:
            return None
        means = getattr(self, "means_", None)
        return expand_covars(cov, self.covariance_type, self.n_states,
                             None if means is None else int(np.shape(means)[-1]))

    @covars_.setter
    def covars_(self, value: Any) -> None:
        self._covars_ = np.asarray(value, dtype=np.float64)

    def _set_params_from(self, params: Params) -> None:
        for name, value in params.items():
            if name == "covars_":
                self._covars_ = value
            else:
                setattr(self, name, value)

    def _n_features(self) -> int | None:
        fit_features: int | None = getattr(self, "_fit_features", None)
        if fit_features is not None:
            return int(fit_features)
        means = getattr(self, "means_", None)
        return None if means is None else int(np.shape(means)[-1])

    # ------------------------------------------------------------------ hooks
    def _check_data(self, sequence: Any, name: str) -> np.ndarray:
        try:
            arr = np.asarray(sequence, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise DataError(f"{name} must be numeric; could not convert it to floats ({exc}).") from None
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise DataError(f"{name} must have shape (n_steps,) or (n_steps, n_features), got shape {arr.shape}.")
        if len(arr) == 0:
            raise DataError(f"{name} has length 0; every sequence needs at least one step.")
        d = self._n_features()
        if d is not None and arr.shape[1] != d:
            raise DataError(f"{name} has {arr.shape[1]} features per step but the model has {d} "
                            f"(means_ shape {(self.n_states, d)}).")
        if not np.all(np.isfinite(arr)):
            step = int(np.argwhere(~np.isfinite(arr))[0][0])
            raise DataError(f"{name} has a non-finite value at step {step}; remove or fill missing values first.")
        return arr

    def _check_emissions(self, raw: dict[str, Any]) -> Params:
        k = self.n_states
        means = np.asarray(raw["means_"], dtype=np.float64)
        if means.ndim != 2 or means.shape[0] != k or not np.all(np.isfinite(means)):
            raise InvalidParameterError(f"means_ must be a finite array of shape (n_states={k}, n_features), "
                                        f"got shape {means.shape}.")
        d = means.shape[1]
        cov = check_covars(raw["covars_"], self.covariance_type, k, d)
        return {"means_": means, "covars_": cov}

    def _log_emission(self, params: Params, X: np.ndarray) -> np.ndarray:
        return log_gaussian_density(X, params["means_"], params["covars_"], self.covariance_type)

    def _init_emissions(self, X: np.ndarray, offsets: np.ndarray, rng: np.random.Generator) -> Params:
        k, d = self.n_states, X.shape[1]
        points = X if len(X) <= 20_000 else X[rng.choice(len(X), 20_000, replace=False)]
        labels = kmeans(points, k, rng)
        overall = np.atleast_2d(np.cov(X.T)) if len(X) > 1 else np.eye(d)
        overall = overall + self.min_covar * np.eye(d)
        means = np.empty((k, d))
        covs = np.empty((k, d, d))
        for c in range(k):
            members = points[labels == c]
            means[c] = members.mean(axis=0) if len(members) else points[rng.integers(len(points))]
            covs[c] = (np.atleast_2d(np.cov(members.T)) + self.min_covar * np.eye(d)) if len(members) > d else overall
        if self.covariance_type == "diag":
            return {"means_": means, "covars_": np.diagonal(covs, axis1=1, axis2=2).copy()}
        if self.covariance_type == "spherical":
            return {"means_": means, "covars_": np.diagonal(covs, axis1=1, axis2=2).mean(axis=1)}
        if self.covariance_type == "tied":
            return {"means_": means, "covars_": overall}
        return {"means_": means, "covars_": covs}

    def _emission_stats(self, params: Params, X: np.ndarray, gamma: np.ndarray) -> dict[str, np.ndarray]:
        stats = {"post": gamma.sum(axis=0), "obs": gamma.T @ X}
        if self.covariance_type in ("diag", "spherical"):
            stats["obs2"] = gamma.T @ (X * X)
        else:
            stats["outer"] = np.stack([(X * gamma[:, [k]]).T @ X for k in range(self.n_states)])
        return stats

    def _mstep_emissions(self, params: Params, stats: dict[str, np.ndarray]) -> Params:
        post = stats["post"]
        used = post > 0
        means = np.where(used[:, None], stats["obs"] / np.where(used, post, 1.0)[:, None], params["means_"])
        denom = np.maximum(post, 1e-5)
        if self.covariance_type in ("diag", "spherical"):
            scatter = stats["obs2"] - 2 * means * stats["obs"] + means**2 * post[:, None]
            cov = (self.covars_prior + scatter) / denom[:, None]
            if self.covariance_type == "spherical":
                cov = cov.mean(axis=1)
        else:
            d = means.shape[1]
            cov = np.empty((self.n_states, d, d))
            for k in range(self.n_states):
                obsmean = np.outer(stats["obs"][k], means[k])
                cov[k] = stats["outer"][k] - obsmean - obsmean.T + np.outer(means[k], means[k]) * post[k]
            if self.covariance_type == "tied":  # pooled scatter of all states (hmmlearn's estimate)
                tied: np.ndarray = (self.covars_prior * np.eye(d) + cov.sum(axis=0)) / max(post.sum(), 1e-5)
                return {"means_": means, "covars_": tied}
            cov = (self.covars_prior * np.eye(d) + cov) / denom[:, None, None]
        cov = np.where(used.reshape((-1,) + (1,) * (cov.ndim - 1)), cov, params["covars_"])
        return {"means_": means, "covars_": cov}

    def _sample_emissions(self, params: Params, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        means, cov = params["means_"], params["covars_"]
        eps = rng.standard_normal((len(states), means.shape[1]))
        out: np.ndarray = np.empty_like(eps)
        if self.covariance_type == "spherical":
            out[:] = means[states] + np.sqrt(cov)[states, None] * eps
            return out
        if self.covariance_type == "tied":
            out[:] = means[states] + eps @ np.linalg.cholesky(cov).T
            return out
        if cov.ndim == 2:
            out[:] = means[states] + np.sqrt(cov)[states] * eps
            return out
        for k in range(self.n_states):
            idx = states == k
            out[idx] = means[k] + eps[idx] @ np.linalg.cholesky(cov[k]).T
        return out

    def fit(self, sequences: Any, y: Any = None, *, lengths: Any = None,
            init_params: dict[str, Any] | None = None, log: Any = None) -> Self:
        """Fit by Baum-Welch; see :meth:`BaseHMM.fit`. The feature count comes from the data."""
        self._validate_params()
        self._fit_features = self._as_sequences_unchecked(sequences, y if lengths is None else lengths)
        try:
            return super().fit(sequences, y, lengths=lengths, init_params=init_params, log=log)
        finally:
            del self._fit_features

    def _supervised_sequences(self, sequences: Any, lengths: Any) -> list[np.ndarray]:
        self._fit_features = self._as_sequences_unchecked(sequences, lengths)
        try:
            return super()._supervised_sequences(sequences, lengths)
        finally:
            del self._fit_features

    def _n_emission_params(self, params: Params) -> int:
        k, d = (int(v) for v in params["means_"].shape)
        return k * d + {"spherical": k, "diag": k * d, "full": k * d * (d + 1) // 2,
                        "tied": d * (d + 1) // 2}[self.covariance_type]

    def _as_sequences_unchecked(self, sequences: Any, lengths: Any = None) -> int | None:
        """Feature count of the first sequence, so that all sequences can be checked against it."""
        if lengths is not None:
            arr = np.asarray(sequences)
            return None if arr.ndim not in (1, 2) else (1 if arr.ndim == 1 else int(arr.shape[1]))
        try:
            first = next(iter([sequences] if isinstance(sequences, np.ndarray) and sequences.dtype != object
                              else sequences))
            arr = np.asarray(first, dtype=np.float64)
        except (TypeError, ValueError, StopIteration):
            return None
        return 1 if arr.ndim == 1 else (int(arr.shape[1]) if arr.ndim == 2 else None)

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"n_states": 2, "n_iter": 200, "tol": 1e-3, "random_state": 0}

    @classmethod
    def _test_data(cls) -> list[np.ndarray]:
        return [np.array([0.1, 0.2, 3.1, 3.0, 2.9, 0.0]), np.array([3.2, 2.8, 0.3, -0.1])]


def _full(variances: np.ndarray) -> np.ndarray:
    """(n_states, n_features) variances -> (n_states, n_features, n_features) diagonal matrices."""
    k, d = variances.shape
    out = np.zeros((k, d, d))
    idx = np.arange(d)
    out[:, idx, idx] = variances
    return out


def expand_covars(cov: np.ndarray, covariance_type: str, n_states: int, n_features: int | None) -> np.ndarray:
    """Compact covariances of ``covariance_type`` -> full ``(n_states, d, d)`` matrices (hmmlearn's ``covars_``)."""
    cov = np.asarray(cov, dtype=np.float64)
    if covariance_type == "spherical" and cov.ndim == 1:
        d = 1 if n_features is None else n_features
        return _full(np.repeat(cov[:, None], d, axis=1))
    if covariance_type == "tied" and cov.ndim == 2:
        return np.repeat(cov[None], n_states, axis=0)
    if covariance_type == "diag" and cov.ndim == 2:
        return _full(cov)
    return cov


def _check_pd(c: np.ndarray, name: str) -> None:
    d = c.shape[0]
    if not np.all(np.isfinite(c)) or not np.allclose(c, c.T, rtol=1e-10, atol=1e-12):
        raise InvalidParameterError(f"{name} (shape {(d, d)}) must be finite and symmetric.")
    try:
        np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        raise InvalidParameterError(f"{name} (shape {(d, d)}) is not positive definite (singular or indefinite); "
                                    "add a small multiple of the identity.") from None


def check_covars(value: Any, covariance_type: str, k: int, d: int) -> np.ndarray:
    """Validate covariances and return them in the compact shape of ``covariance_type``.

    Accepted: the compact shape (diag ``(k, d)``, spherical ``(k,)``, tied ``(d, d)``,
    full ``(k, d, d)``) or the full ``(k, d, d)`` matrices hmmlearn's ``covars_`` returns.
    Raises ``InvalidParameterError`` naming the state whose covariance is not positive definite.
    """
    cov = np.asarray(value, dtype=np.float64)
    if covariance_type in ("diag", "spherical"):
        if cov.shape == (k, d, d):
            diag = np.diagonal(cov, axis1=1, axis2=2)
            if np.any(cov - _full(diag) != 0):
                raise InvalidParameterError(
                    f"covars_ has non-zero off-diagonal entries but covariance_type={covariance_type!r}; use "
                    "covariance_type='full' or give the compact variances.")
            if covariance_type == "spherical":
                if np.any(diag != diag[:, :1]):
                    raise InvalidParameterError("covars_ has different variances per feature but "
                                                "covariance_type='spherical'; give one variance per state.")
                diag = diag[:, 0]
            cov = diag.copy()
        want = (k, d) if covariance_type == "diag" else (k,)
        if cov.shape != want:
            raise InvalidParameterError(f"covars_ must have shape {want} or {(k, d, d)} for "
                                        f"covariance_type={covariance_type!r}, got shape {cov.shape}.")
        bad = ~(np.isfinite(cov) & (cov > 0))
        if np.any(bad):
            state = int(np.argwhere(bad)[0][0])
            raise InvalidParameterError(
                f"covars_ (shape {cov.shape}) must hold positive variances; state {state} has "
                f"{np.atleast_1d(cov[state]).tolist()} (a zero variance makes the covariance singular).")
        return cov
    if covariance_type == "tied":
        if cov.shape == (k, d, d):
            if np.any(cov != cov[:1]):
                raise InvalidParameterError("covars_ differs between states but covariance_type='tied'; give one "
                                            f"({d}, {d}) matrix shared by all states.")
            cov = cov[0].copy()
        if cov.shape != (d, d):
            raise InvalidParameterError(f"covars_ must have shape {(d, d)} or {(k, d, d)} for "
                                        f"covariance_type='tied', got shape {cov.shape}.")
        _check_pd(cov, "covars_ (tied)")
        return cov
    if cov.shape != (k, d, d):
        raise InvalidParameterError(f"covars_ must have shape {(k, d, d)} for covariance_type='full', "
                                    f"got shape {cov.shape}.")
    for state in range(k):
        _check_pd(cov[state], f"covars_[{state}]")
    return cov


def log_gaussian_density(X: np.ndarray, means: np.ndarray, cov: np.ndarray, covariance_type: str) -> np.ndarray:
    """``log N(X[t]; means[k], cov_k)`` as an ``(n_steps, n_states)`` matrix, covariances in compact shape."""
    n_steps, d = X.shape
    k_states = means.shape[0]
    out = np.empty((n_steps, k_states))
    if covariance_type == "tied":
        chol = np.linalg.cholesky(cov)
        logdet = 2.0 * np.log(np.diagonal(chol)).sum()
    for k in range(k_states):
        diff = X - means[k]  # (n_steps, d)
        if covariance_type in ("diag", "spherical"):
            var = cov[k] if covariance_type == "diag" else np.full(d, cov[k])
            maha = (diff * diff / var).sum(axis=1)
            logdet = np.log(var).sum()
        else:
            if covariance_type == "full":
                chol = np.linalg.cholesky(cov[k])
                logdet = 2.0 * np.log(np.diagonal(chol)).sum()
            sol = np.linalg.solve(chol, diff.T)  # (d, n_steps)
            maha = (sol * sol).sum(axis=0)
        out[:, k] = -0.5 * (d * _LOG_2PI + logdet + maha)
    return out
