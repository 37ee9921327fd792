"""A noisy constant-velocity track: Kalman filter and RTS smoother, with EM for the noise levels.

A target moves in the plane at a roughly constant velocity; we observe its position with
noise of standard deviation 3 and lose 10% of the readings. The filter estimates position and
velocity online; the Rauch-Tung-Striebel smoother revisits every step with the whole track.
EM estimates the noise covariances Q and R from the track itself (started from wrong values).

Run: ``PYTHONPATH=src python examples/kalman_track.py [--plot track.png]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from seqlab.statespace import KalmanFilter, constant_velocity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", default="track.png", help="where to write the figure")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    truth_model = KalmanFilter(**{**constant_velocity(2, q=0.05, r=9.0), "x0": np.array([0.0, 0.0, 1.0, 0.5]),
                                  "P0": np.eye(4) * 1e-6})
    states, z = truth_model.sample(300, random_state=rng)
    z[rng.random(len(z)) < 0.1] = np.nan  # lost readings: the filter just predicts there
    guess = KalmanFilter(**{**constant_velocity(2, q=1.0, r=1.0, p0=100.0), "x0": np.r_[np.nanmean(z[:3], 0), 0, 0]})
    guess.em(z, n_iter=30)
    print("EM estimate of R (true 9 I):\n", np.round(guess.R_, 2))
    filtered, _ = guess.filter(z)
    smoothed, smoothed_cov = guess.smooth(z)

    def rmse(est: np.ndarray) -> float:
        return float(np.sqrt(np.nanmean((est[:, :2] - states[:, :2]) ** 2)))

    print(f"position RMSE: raw {rmse(z):.2f}, filtered {rmse(filtered):.2f}, smoothed {rmse(smoothed):.2f}")
    print(f"velocity at the end: true {states[-1, 2:].round(2)}, smoothed {smoothed[-1, 2:].round(2)}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.plot(z[:, 0], z[:, 1], ".", ms=3, color="grey", label="observations")
    ax.plot(states[:, 0], states[:, 1], "k-", lw=1, label="truth")
    ax.plot(filtered[:, 0], filtered[:, 1], "-", lw=1, label="Kalman filter")
    ax.plot(smoothed[:, 0], smoothed[:, 1], "-", lw=1.5, label="RTS smoother")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.plot, dpi=100)
    print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
