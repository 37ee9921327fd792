"""Regenerate ``pykalman.npz``: pykalman's filter, smoother and log-likelihood on a fixed track.

Run: ``PYTHONPATH=src python tests/statespace/golden/make_golden.py`` (needs pykalman).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pykalman import KalmanFilter


def main() -> None:
    rng = np.random.default_rng(7)
    F = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    H = np.eye(2, 4)
    Q, R = 0.05 * np.eye(4), np.array([[2.0, 0.3], [0.3, 1.0]])
    x0, P0 = np.array([0.0, 1.0, 0.5, -0.2]), 4.0 * np.eye(4)
    z = np.cumsum(rng.normal(size=(120, 2)), axis=0)
    z[[10, 11, 50]] = np.nan
    ref = KalmanFilter(transition_matrices=F, observation_matrices=H, transition_covariance=Q,
                       observation_covariance=R, initial_state_mean=x0, initial_state_covariance=P0)
    masked = np.ma.masked_invalid(z)
    fm, fP = ref.filter(masked)
    sm, sP = ref.smooth(masked)
    np.savez_compressed(Path(__file__).with_name("pykalman.npz"), F=F, H=H, Q=Q, R=R, x0=x0, P0=P0, z=z,
                        filtered_mean=fm, filtered_cov=fP, smoothed_mean=sm, smoothed_cov=sP,
                        loglik=ref.loglikelihood(masked))


if __name__ == "__main__":
    main()
