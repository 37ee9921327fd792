"""Hidden Markov model with Gaussian emissions (diagonal or full covariances)."""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from seqlab.base import float_at_least
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.hmm.base import BaseHMM, Params, kmeans
from seqlab.io import register

_LOG_2PI = float(np.log(2.0 * np.pi))


@register
class GaussianHMM(BaseHMM):
    """HMM whose states emit real vectors from a Gaussian each (hmmlearn's ``GaussianHMM``).

    Parameters
    ----------
    n_states : int, default=2
        Number of hidden states (hmmlearn's ``n_components``).
    covariance_type : {"diag", "full"}, default="diag"
        One variance per feature and state, or one full covariance matrix per state.
    min_covar : float, default=1e-3
        Added to the variances of the default starting point (as hmmlearn does).
    covars_prior : float, default=1e-2
        Regularisation of the M-step: ``covars_prior`` is added to the diagonal of each state's
        weighted scatter before dividing by its occupancy, so a state that collapses onto a
        few identical points keeps a positive-definite covariance. This is hmmlearn's
        inverse-gamma/Wishart prior with ``covars_weight=1`` (for "full" hmmlearn adds the
        scalar to every entry; pass ``covars_prior * np.eye(n_features)`` to hmmlearn to match).
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
        ``covariance_type``. It may be set as ``(n_states, n_features)`` variances for "diag".

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
        "covariance_type": (lambda v: v in ("diag", "full"), "'diag' or 'full'"),
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
        return _full(cov) if cov.ndim == 2 else cov

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
        cov = np.asarray(raw["covars_"], dtype=np.float64)
        if self.covariance_type == "diag":
            if cov.shape == (k, d, d):
                off = cov - _full(np.diagonal(cov, axis1=1, axis2=2))
                if np.any(off != 0):
                    raise InvalidParameterError(
                        "covars_ has non-zero off-diagonal entries but covariance_type='diag'; use "
                        "covariance_type='full' or give variances of shape (n_states, n_features).")
                cov = np.diagonal(cov, axis1=1, axis2=2).copy()
            if cov.shape != (k, d):
                raise InvalidParameterError(f"covars_ must have shape {(k, d)} or {(k, d, d)} for "
                                            f"covariance_type='diag', got shape {cov.shape}.")
            bad = ~(np.isfinite(cov) & (cov > 0))
            if np.any(bad):
                state = int(np.argwhere(bad)[0][0])
                raise InvalidParameterError(
                    f"covars_ (shape {cov.shape}) must hold positive variances; state {state} has "
                    f"{cov[state].tolist()} (a zero variance makes the covariance singular).")
        else:
            if cov.shape != (k, d, d):
                raise InvalidParameterError(f"covars_ must have shape {(k, d, d)} for covariance_type='full', "
                                            f"got shape {cov.shape}.")
            for state in range(k):
                c = cov[state]
                if not np.all(np.isfinite(c)) or not np.allclose(c, c.T, rtol=1e-10, atol=1e-12):
                    raise InvalidParameterError(f"covars_[{state}] (shape {(d, d)}) must be finite and symmetric.")
                try:
                    np.linalg.cholesky(c)
                except np.linalg.LinAlgError:
                    raise InvalidParameterError(f"covars_[{state}] (shape {(d, d)}) is not positive definite (singular "
                                                "or indefinite); add a small multiple of the identity.") from None
        return {"means_": means, "covars_": cov}

    def _log_emission(self, params: Params, X: np.ndarray) -> np.ndarray:
        means, cov = params["means_"], params["covars_"]
        n_steps, d = X.shape
        out = np.empty((n_steps, self.n_states))
        for k in range(self.n_states):
            diff = X - means[k]
            if cov.ndim == 2:
                maha = (diff * diff / cov[k]).sum(axis=1)
                logdet = np.log(cov[k]).sum()
            else:
                chol = np.linalg.cholesky(cov[k])
                sol = np.linalg.solve(chol, diff.T)  # (d, n_steps)
                maha = (sol * sol).sum(axis=0)
                logdet = 2.0 * np.log(np.diagonal(chol)).sum()
            out[:, k] = -0.5 * (d * _LOG_2PI + logdet + maha)
        return out

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
        return {"means_": means, "covars_": covs}

    def _emission_stats(self, X: np.ndarray, gamma: np.ndarray) -> dict[str, np.ndarray]:
        stats = {"post": gamma.sum(axis=0), "obs": gamma.T @ X}
        if self.covariance_type == "diag":
            stats["obs2"] = gamma.T @ (X * X)
        else:
            stats["outer"] = np.stack([(X * gamma[:, [k]]).T @ X for k in range(self.n_states)])
        return stats

    def _mstep_emissions(self, params: Params, stats: dict[str, np.ndarray]) -> Params:
        post = stats["post"]
        used = post > 0
        means = np.where(used[:, None], stats["obs"] / np.where(used, post, 1.0)[:, None], params["means_"])
        denom = np.maximum(post, 1e-5)
        if self.covariance_type == "diag":
            scatter = stats["obs2"] - 2 * means * stats["obs"] + means**2 * post[:, None]
            cov = (self.covars_prior + scatter) / denom[:, None]
        else:
            d = means.shape[1]
            cov = np.empty((self.n_states, d, d))
            for k in range(self.n_states):
                obsmean = np.outer(stats["obs"][k], means[k])
                scatter = stats["outer"][k] - obsmean - obsmean.T + np.outer(means[k], means[k]) * post[k]
                cov[k] = (self.covars_prior * np.eye(d) + scatter) / denom[k]
        cov = np.where(used.reshape((-1,) + (1,) * (cov.ndim - 1)), cov, params["covars_"])
        return {"means_": means, "covars_": cov}

    def _sample_emissions(self, params: Params, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        means, cov = params["means_"], params["covars_"]
        eps = rng.standard_normal((len(states), means.shape[1]))
        out: np.ndarray = np.empty_like(eps)
        if cov.ndim == 2:
            out[:] = means[states] + np.sqrt(cov)[states] * eps
            return out
        for k in range(self.n_states):
            idx = states == k
            out[idx] = means[k] + eps[idx] @ np.linalg.cholesky(cov[k]).T
        return out

    def fit(self, sequences: Any, y: Any = None, *, init_params: dict[str, Any] | None = None,
            log: Any = None) -> Self:
        """Fit by Baum-Welch; see :meth:`BaseHMM.fit`. The feature count comes from the data."""
        self._validate_params()
        first = self._as_sequences_unchecked(sequences)
        self._fit_features = first
        try:
            return super().fit(sequences, y, init_params=init_params, log=log)
        finally:
            del self._fit_features

    def _as_sequences_unchecked(self, sequences: Any) -> int | None:
        """Feature count of the first sequence, so that all sequences can be checked against it."""
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
