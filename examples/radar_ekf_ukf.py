"""Range-bearing radar tracking with the extended and the unscented Kalman filter (document 001).

A target moves at a roughly constant velocity; a radar at the origin measures its distance
(noise 0.5 m) and bearing (noise 0.01 rad), a nonlinear function of the position. The EKF
linearises the measurement with its Jacobian (here from torch autograd when torch is
installed, else the analytic one); the UKF pushes sigma points through it. Both smoothers
then revisit the track. Prints the position RMSE of each estimate against the truth.

Run: ``PYTHONPATH=src python examples/radar_ekf_ukf.py``.
"""

from __future__ import annotations

import importlib.util

import numpy as np

from seqlab.statespace import ExtendedKalmanFilter, UnscentedKalmanFilter

F = np.array([[1, 1.0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1.0], [0, 0, 0, 1.0]])  # [px, vx, py, vy], dt = 1 s
Q = 0.01 * np.kron(np.eye(2), np.array([[1 / 3, 1 / 2], [1 / 2, 1.0]]))
R = np.diag([0.5**2, 0.01**2])


def f(x):  # type: ignore[no-untyped-def]
    return F @ x


def h(x):  # type: ignore[no-untyped-def]
    """Range and bearing; written with operators and ``arctan2`` of numpy or torch (autograd-friendly)."""
    lib = np
    if importlib.util.find_spec("torch") is not None:
        import torch

        lib = torch if isinstance(x, torch.Tensor) else np
    return lib.stack([lib.sqrt(x[0] ** 2 + x[2] ** 2), lib.arctan2(x[2], x[0])])


def h_jacobian(x: np.ndarray) -> np.ndarray:
    r2 = x[0] ** 2 + x[2] ** 2
    r = np.sqrt(r2)
    return np.array([[x[0] / r, 0, x[2] / r, 0], [-x[2] / r2, 0, x[0] / r2, 0]])


def main() -> None:
    rng = np.random.default_rng(0)
    x = np.array([100.0, 1.0, 50.0, 0.5])
    truth, zs = [], []
    for _ in range(200):
        x = F @ x + rng.multivariate_normal(np.zeros(4), Q)
        truth.append(x)
        zs.append(np.asarray(h(x)) + rng.multivariate_normal(np.zeros(2), R))
    truth_arr, z = np.array(truth), np.array(zs)
    x0, P0 = truth_arr[0] + np.array([2.0, 0.3, -2.0, 0.2]), np.diag([9.0, 1.0, 9.0, 1.0])
    has_torch = importlib.util.find_spec("torch") is not None
    ekf = ExtendedKalmanFilter(f=f, h=h, F_jacobian=lambda x: F, H_jacobian=None if has_torch else h_jacobian,
                               Q=Q, R=R, x0=x0, P0=P0)
    ukf = UnscentedKalmanFilter(f=f, h=h, Q=Q, R=R, x0=x0, P0=P0, alpha=0.1, beta=2.0, kappa=-1.0)
    raw = np.column_stack([z[:, 0] * np.cos(z[:, 1]), z[:, 0] * np.sin(z[:, 1])])

    def rmse(est: np.ndarray) -> float:
        return float(np.sqrt(((est - truth_arr[:, [0, 2]]) ** 2).sum(axis=1).mean()))

    print(f"position RMSE (m): raw measurements {rmse(raw):.3f}")
    for name, model in (("EKF" + (" (autograd Jacobian)" if has_torch else ""), ekf), ("UKF", ukf)):
        filtered, _ = model.filter(z)
        smoothed, _ = model.smooth(z)
        print(f"  {name}: filtered {rmse(filtered[:, [0, 2]]):.3f}, smoothed {rmse(smoothed[:, [0, 2]]):.3f}")


if __name__ == "__main__":
    main()
