"""Hidden Markov model with Gaussian-mixture emissions (hmmlearn's ``GMMHMM``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab._validation import int_at_least
from seqlab.base import float_at_least
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.hmm.base import BaseHMM, Params, check_distribution, kmeans
from seqlab.hmm.gaussian import COVARIANCE_TYPES, _check_pd, log_gaussian_density
from seqlab.hmm.poisson import FeaturesFromData
from seqlab.io import register


@register
class GMMHMM(FeaturesFromData):
    """HMM whose states each emit from a mixture of ``n_mix`` Gaussians.

    Parameters
    ----------
    n_states : int, default=2
        Number of hidden states (hmmlearn's ``n_components``).
    n_mix : int, default=2
        Gaussian components per state.
    covariance_type : {"diag", "full", "spherical", "tied"}, default="diag"
        Per component: a variance per feature, a full matrix, one variance; "tied": one full
        matrix per state shared by its components (hmmlearn's meaning).
    min_covar : float, default=1e-3
        Added to the variances of the default starting point.
    covars_prior : float, default=1e-2
        Added to the diagonal of each weighted scatter matrix in the M-step (``n_features *
        covars_prior`` to the summed squared distances for "spherical"), so that a component
        that collapses keeps a positive-definite covariance; ``0`` is maximum likelihood,
        which is what hmmlearn's default priors give for "diag", "full" and "tied".
    n_iter, tol, n_init, random_state
        As for :class:`~seqlab.hmm.CategoricalHMM` (defaults 100, 1e-4, 1, None).

    Attributes
    ----------
    startprob_, transmat_ : ndarray
        See :class:`~seqlab.hmm.base.BaseHMM`.
    weights_ : ndarray of shape (n_states, n_mix)
        Mixture weights of each state (rows sum to one).
    means_ : ndarray of shape (n_states, n_mix, n_features)
    covars_ : ndarray
        hmmlearn's shapes: ``(n_states, n_mix)`` spherical, ``(n_states, n_mix, n_features)``
        diag, ``(n_states, n_mix, n_features, n_features)`` full, ``(n_states, n_features,
        n_features)`` tied.

    Notes
    -----
    One Baum-Welch iteration equals hmmlearn's (0.3): the component responsibilities, weights
    and means are the usual EM updates, and the covariances are the responsibility-weighted
    scatter about the means of the E-step (hmmlearn's choice; a generalised EM step, which
    still never lowers the likelihood). To reproduce a hmmlearn run with ``covars_prior=c``
    give hmmlearn the priors of :func:`hmmlearn_priors`.
    """

    _emission_names = ("weights_", "means_", "covars_")
    _supervised_steps = 20
    _constraints = {
        **BaseHMM._constraints,
        "n_mix": int_at_least(1),
        "covariance_type": (lambda v: v in COVARIANCE_TYPES, "'diag', 'full', 'spherical' or 'tied'"),
        "min_covar": float_at_least(0),
        "covars_prior": float_at_least(0),
    }

    def __init__(self, *, n_states: int = 2, n_mix: int = 2, covariance_type: str = "diag",
                 min_covar: float = 1e-3, covars_prior: float = 1e-2, n_iter: int = 100, tol: float = 1e-4,
                 n_init: int = 1, random_state: int | None = None) -> None:
        self.n_states = n_states
        self.n_mix = n_mix
        self.covariance_type = covariance_type
        self.min_covar = min_covar
        self.covars_prior = covars_prior
        self.n_iter = n_iter
        self.tol = tol
        self.n_init = n_init
        self.random_state = random_state

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
        if arr.ndim != 2 or len(arr) == 0:
            raise DataError(f"{name} must have shape (n_steps,) or (n_steps, n_features) with n_steps >= 1, "
                            f"got shape {arr.shape}.")
        d = self._n_features()
        if d is not None and arr.shape[1] != d:
            raise DataError(f"{name} has {arr.shape[1]} features per step but the model has {d}.")
        if not np.all(np.isfinite(arr)):
            step = int(np.argwhere(~np.isfinite(arr))[0][0])
            raise DataError(f"{name} has a non-finite value at step {step}; remove or fill missing values first.")
        return arr

    def _check_emissions(self, raw: dict[str, Any]) -> Params:
        k, m = self.n_states, self.n_mix
        weights = check_distribution(raw["weights_"], "weights_", (k, m))
        means = np.asarray(raw["means_"], dtype=np.float64)
        if means.ndim != 3 or means.shape[:2] != (k, m) or not np.all(np.isfinite(means)):
            raise InvalidParameterError(f"means_ must be a finite array of shape (n_states={k}, n_mix={m}, "
                                        f"n_features), got shape {means.shape}.")
        d = means.shape[2]
        cov = np.asarray(raw["covars_"], dtype=np.float64)
        want = {"spherical": (k, m), "diag": (k, m, d), "full": (k, m, d, d), "tied": (k, d, d)}[self.covariance_type]
        if cov.shape != want:
            raise InvalidParameterError(f"covars_ must have shape {want} for covariance_type="
                                        f"{self.covariance_type!r}, got shape {cov.shape}.")
        if self.covariance_type in ("spherical", "diag"):
            bad = ~(np.isfinite(cov) & (cov > 0))
            if np.any(bad):
                state, comp = (int(v) for v in np.argwhere(bad)[0][:2])
                raise InvalidParameterError(f"covars_ must hold positive variances; state {state}, component {comp} "
                                            "has a zero or negative one.")
        elif self.covariance_type == "tied":
            for state in range(k):
                _check_pd(cov[state], f"covars_[{state}]")
        else:
            for state in range(k):
                for comp in range(m):
                    _check_pd(cov[state, comp], f"covars_[{state}, {comp}]")
        return {"weights_": weights, "means_": means, "covars_": cov}

    def _component_log_dens(self, params: Params, X: np.ndarray, state: int) -> np.ndarray:
        """``log w_km + log N(x_t; mu_km, Sigma_km)`` of one state, shape ``(n_steps, n_mix)``."""
        ctype = "tied" if self.covariance_type == "tied" else self.covariance_type
        with np.errstate(divide="ignore"):
            log_w = np.log(params["weights_"][state])
        dens: np.ndarray = log_gaussian_density(X, params["means_"][state], params["covars_"][state], ctype) + log_w
        return dens

    def _log_emission(self, params: Params, X: np.ndarray) -> np.ndarray:
        out = np.empty((len(X), self.n_states))
        for k in range(self.n_states):
            dens = self._component_log_dens(params, X, k)
            top = dens.max(axis=1)
            top = np.where(np.isfinite(top), top, 0.0)
            with np.errstate(under="ignore"):
                out[:, k] = top + np.log(np.exp(dens - top[:, None]).sum(axis=1))
        return out

    def _mixture_start(self, points: np.ndarray, fallback: np.ndarray,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """k-means of ``points`` into ``n_mix`` components: weights (M,), means (M, d), full covs (M, d, d)."""
        m, d = self.n_mix, points.shape[1]
        sub = kmeans(points, m, rng)
        counts = np.bincount(sub, minlength=m).astype(np.float64) + 1.0
        means = np.empty((m, d))
        covs = np.empty((m, d, d))
        for c in range(m):
            part = points[sub == c]
            means[c] = part.mean(axis=0) if len(part) else points[rng.integers(len(points))]
            covs[c] = (np.atleast_2d(np.cov(part.T)) + self.min_covar * np.eye(d)) if len(part) > d else fallback
        return counts / counts.sum(), means, covs

    def _compact(self, covs: np.ndarray, overall: np.ndarray) -> np.ndarray:
        """Full ``(K, M, d, d)`` starting covariances in the shape of ``covariance_type``."""
        if self.covariance_type == "full":
            return covs
        if self.covariance_type == "diag":
            return np.diagonal(covs, axis1=2, axis2=3).copy()
        if self.covariance_type == "spherical":
            out: np.ndarray = np.diagonal(covs, axis1=2, axis2=3).mean(axis=2)
            return out
        return np.repeat(overall[None], self.n_states, axis=0)

    def _init_emissions(self, X: np.ndarray, offsets: np.ndarray, rng: np.random.Generator) -> Params:
        k, m, d = self.n_states, self.n_mix, X.shape[1]
        points = X if len(X) <= 20_000 else X[rng.choice(len(X), 20_000, replace=False)]
        overall = (np.atleast_2d(np.cov(points.T)) if len(points) > 1 else np.eye(d)) + self.min_covar * np.eye(d)
        labels = kmeans(points, k, rng)
        weights, means, covs = np.empty((k, m)), np.empty((k, m, d)), np.empty((k, m, d, d))
        for s in range(k):
            members = points[labels == s]
            weights[s], means[s], covs[s] = self._mixture_start(members if len(members) >= m else points, overall,
                                                                rng)
        return {"weights_": weights, "means_": means, "covars_": self._compact(covs, overall)}

    def _supervised_start(self, X: np.ndarray, offsets: np.ndarray, z: np.ndarray,
                          rng: np.random.Generator) -> Params:
        """Each state's mixture starts from k-means on that state's own observations."""
        start = self._init_emissions(X, offsets, rng)
        d = X.shape[1]
        for s in range(self.n_states):
            own = X[z == s]
            if len(own) < self.n_mix:
                continue
            overall = (np.atleast_2d(np.cov(own.T)) if len(own) > 1 else np.eye(d)) + self.min_covar * np.eye(d)
            w, mu, cov = self._mixture_start(own, overall, rng)
            start["weights_"][s], start["means_"][s] = w, mu
            start["covars_"][s] = overall if self.covariance_type == "tied" else self._compact(cov[None], overall)[0]
        return start

    def _emission_stats(self, params: Params, X: np.ndarray, gamma: np.ndarray) -> dict[str, np.ndarray]:
        k, m = self.n_states, self.n_mix
        d = X.shape[1]
        post_mix_sum = np.zeros((k, m))
        m_n = np.zeros((k, m, d))
        ctype = self.covariance_type
        c_n = np.zeros({"spherical": (k, m), "diag": (k, m, d), "full": (k, m, d, d), "tied": (k, d, d)}[ctype])
        for s in range(k):
            dens = self._component_log_dens(params, X, s)  # (T, M)
            top = dens.max(axis=1, keepdims=True)
            with np.errstate(under="ignore"):
                resp = np.exp(dens - top)
            resp /= resp.sum(axis=1, keepdims=True)
            r = gamma[:, s, None] * resp  # (T, M) joint posterior of state s and component c
            post_mix_sum[s] = r.sum(axis=0)
            m_n[s] = r.T @ X
            for c in range(m):
                diff = X - params["means_"][s, c]  # about the E-step means (hmmlearn)
                if ctype == "spherical":
                    c_n[s, c] = r[:, c] @ (diff * diff).sum(axis=1)
                elif ctype == "diag":
                    c_n[s, c] = r[:, c] @ (diff * diff)
                elif ctype == "full":
                    c_n[s, c] = (diff * r[:, c, None]).T @ diff
                else:
                    c_n[s] += (diff * r[:, c, None]).T @ diff
        return {"post_sum": gamma.sum(axis=0), "post_mix_sum": post_mix_sum, "m_n": m_n, "c_n": c_n}

    def _mstep_emissions(self, params: Params, stats: dict[str, np.ndarray]) -> Params:
        post, pms = stats["post_sum"], stats["post_mix_sum"]
        d = params["means_"].shape[2]
        p = self.covars_prior
        used_state = post > 0
        weights = np.where(used_state[:, None], pms / np.where(used_state, post, 1.0)[:, None], params["weights_"])
        used = pms > 0
        safe = np.where(used, pms, 1.0)
        means = np.where(used[:, :, None], stats["m_n"] / safe[:, :, None], params["means_"])
        c_n = stats["c_n"]
        ctype = self.covariance_type
        if ctype == "spherical":
            cov = np.where(used, (d * p + c_n) / (d * safe), params["covars_"])
        elif ctype == "diag":
            cov = np.where(used[:, :, None], (p + c_n) / safe[:, :, None], params["covars_"])
        elif ctype == "full":
            cov = np.where(used[:, :, None, None], (p * np.eye(d) + c_n) / safe[:, :, None, None], params["covars_"])
        else:
            cov = np.where(used_state[:, None, None],
                           (p * np.eye(d) + c_n) / np.where(used_state, post, 1.0)[:, None, None], params["covars_"])
        return {"weights_": weights, "means_": means, "covars_": cov}

    def _sample_emissions(self, params: Params, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        means, cov, weights = params["means_"], params["covars_"], params["weights_"]
        d = means.shape[2]
        out = np.empty((len(states), d))
        eps = rng.standard_normal((len(states), d))
        for s in range(self.n_states):
            idx = np.flatnonzero(states == s)
            if not len(idx):
                continue
            comps = rng.choice(self.n_mix, size=len(idx), p=weights[s])
            for c in range(self.n_mix):
                rows = idx[comps == c]
                if self.covariance_type == "spherical":
                    out[rows] = means[s, c] + np.sqrt(cov[s, c]) * eps[rows]
                elif self.covariance_type == "diag":
                    out[rows] = means[s, c] + np.sqrt(cov[s, c]) * eps[rows]
                else:
                    matrix = cov[s] if self.covariance_type == "tied" else cov[s, c]
                    out[rows] = means[s, c] + eps[rows] @ np.linalg.cholesky(matrix).T
        return out

    def _n_emission_params(self, params: Params) -> int:
        k, m, d = (int(v) for v in params["means_"].shape)
        cov = {"spherical": k * m, "diag": k * m * d, "full": k * m * d * (d + 1) // 2,
               "tied": k * d * (d + 1) // 2}[self.covariance_type]
        return k * (m - 1) + k * m * d + cov

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"n_states": 2, "n_mix": 2, "n_iter": 50, "tol": 1e-3, "random_state": 0}

    @classmethod
    def _test_data(cls) -> list[np.ndarray]:
        return [np.array([0.1, 0.2, 3.1, 3.0, 2.9, 0.0, 0.3, -0.2]), np.array([3.2, 2.8, 0.3, -0.1, 3.3, 2.7])]


def hmmlearn_priors(covariance_type: str, covars_prior: float, n_states: int, n_mix: int,
                    n_features: int) -> dict[str, Any]:
    """hmmlearn ``GMMHMM`` keyword arguments whose M-step equals seqlab's with ``covars_prior``."""
    p, d = covars_prior, n_features
    if covariance_type == "full":
        return {"covars_prior": p * np.broadcast_to(np.eye(d), (n_states, n_mix, d, d)).copy(),
                "covars_weight": -(d + 2.0)}
    if covariance_type == "diag":
        return {"covars_prior": -1.5, "covars_weight": p / 2.0}
    if covariance_type == "spherical":
        return {"covars_prior": -(d + 2.0) / 2.0, "covars_weight": d * p / 2.0}
    return {"covars_prior": p * np.broadcast_to(np.eye(d), (n_states, d, d)).copy(),
            "covars_weight": -(n_mix + d + 1.0)}
