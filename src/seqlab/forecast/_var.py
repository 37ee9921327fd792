"""Kernels of the multi-column AR (a VAR(p)): least squares, recursive forecasts, forecast covariance.

Each column is regressed on a constant and the lagged values of *all* columns, which is what
statsmodels ``VAR(y).fit(p, trend="c")`` computes (``tests/forecast`` checks the parameters,
forecasts and ``forecast_interval`` to 1e-8). Shapes: ``k`` columns, ``p = len(lags)``.
"""

from __future__ import annotations

import numpy as np


def var_design(y: np.ndarray, rows: np.ndarray, lags: np.ndarray, const: bool) -> np.ndarray:
    """Rows ``[1, y[t-l1, :], y[t-l2, :], ...]`` for each target ``t`` in ``rows``: (n_rows, const + k p)."""
    blocks = [y[rows - lag] for lag in lags]  # each (n_rows, k)
    if const:
        blocks.insert(0, np.ones((len(rows), 1)))
    return np.concatenate(blocks, axis=1)


def var_fit(y: np.ndarray, lags: np.ndarray, const: bool) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares ``params`` (const + k p, k) in statsmodels' order, and the residuals (n_rows, k)."""
    rows = np.arange(int(lags.max()), len(y))
    D = var_design(y, rows, lags, const)
    params = np.linalg.lstsq(D, y[rows], rcond=None)[0]
    return params, y[rows] - D @ params


def var_coefs(params: np.ndarray, lags: np.ndarray, const: bool, k: int) -> np.ndarray:
    """Lag matrices ``A_l`` of shape (max_lag, k, k) with ``y_t = c + sum_l A_l y_{t-l}`` (zeros for unused lags)."""
    A = np.zeros((int(lags.max()), k, k))
    for i, lag in enumerate(lags):
        start = int(const) + i * k
        A[lag - 1] = params[start : start + k].T
    return A


def var_forecast(y: np.ndarray, params: np.ndarray, lags: np.ndarray, const: bool, horizon: int) -> np.ndarray:
    """Recursive forecasts after ``y``: (horizon, k)."""
    p = int(lags.max())
    buf = np.concatenate([y[len(y) - p :], np.empty((horizon, y.shape[1]))])
    for i in range(horizon):
        t = p + i
        row = var_design(buf, np.array([t]), lags, const)  # (1, const + k p)
        buf[t] = row[0] @ params
    return buf[p:].copy()


def var_forecast_cov(A: np.ndarray, sigma_u: np.ndarray, horizon: int) -> np.ndarray:
    """MSE matrices ``sum_{i<h} Phi_i Sigma_u Phi_i'`` of the h-step forecasts: (horizon, k, k).

    ``Phi_0 = I`` and ``Phi_i = sum_{j=1..min(i, p)} Phi_{i-j} A_j`` (the MA(inf) matrices).
    """
    k = sigma_u.shape[0]
    p = len(A)
    phi = [np.eye(k)]
    for i in range(1, horizon):
        phi.append(sum((phi[i - j] @ A[j - 1] for j in range(1, min(i, p) + 1)), np.zeros((k, k))))
    cov = np.empty((horizon, k, k))
    acc = np.zeros((k, k))
    for h in range(horizon):
        acc = acc + phi[h] @ sigma_u @ phi[h].T
        cov[h] = acc
    return cov
