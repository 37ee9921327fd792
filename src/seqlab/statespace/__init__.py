"""State estimation: the discrete Bayes filter and the Kalman filter (document 001).

The Bayes filter keeps a belief over the hidden state and alternates two steps: predict with
the motion model ``p(x_t | u_t, x_{t-1})``, correct with the sensor model ``p(z_t | x_t)``.
:class:`BayesFilter` does this exactly on a discrete grid (the corridor robot);
:class:`KalmanFilter` is the linear-Gaussian case, where the belief stays Gaussian and is
carried by a mean and a covariance (:class:`OnlineKalman` feeds it one observation at a time);
:class:`ExtendedKalmanFilter` and :class:`UnscentedKalmanFilter` handle nonlinear motion and
sensor models.

>>> import numpy as np
>>> from seqlab.statespace import KalmanFilter, constant_velocity
>>> kf = KalmanFilter(**constant_velocity(n_dims=2, r=0.5))
>>> track = np.column_stack([np.arange(50.0), 0.5 * np.arange(50.0)])   # (T, 2) positions
>>> means, covs = kf.smooth(track)                                       # (T, 4), (T, 4, 4)
>>> bool(np.allclose(means[-1, 2:], [1.0, 0.5], atol=0.05))               # recovered velocity
True
"""

from __future__ import annotations

from seqlab.statespace.bayes_filter import BayesFilter, corridor
from seqlab.statespace.kalman import KalmanFilter, OnlineKalman, constant_velocity
from seqlab.statespace.nonlinear import ExtendedKalmanFilter, UnscentedKalmanFilter

__all__ = ["BayesFilter", "ExtendedKalmanFilter", "KalmanFilter", "OnlineKalman", "UnscentedKalmanFilter",
           "constant_velocity", "corridor"]
