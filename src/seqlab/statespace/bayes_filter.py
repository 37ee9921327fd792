"""The discrete Bayes filter over a state grid (document 001, "Bayes filters").

``bel(x_t) = eta p(z_t | x_t) sum_{x_{t-1}} p(x_t | u_t, x_{t-1}) bel(x_{t-1})``: predict with
the motion model, correct with the sensor model, normalise. On a grid the integral is a sum,
so the filter is exact; :func:`corridor` builds the 1-D corridor robot of the document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.hmm.base import check_distribution

Motion = np.ndarray | Mapping[Any, np.ndarray] | Callable[[Any], np.ndarray]


class BayesFilter:
    """Recursive state estimation over ``n_states`` grid cells.

    Parameters
    ----------
    motion : ndarray of shape (n_states, n_states), mapping or callable
        ``motion[i, j] = p(x_t = j | x_{t-1} = i, u_t)``. A mapping ``{u: matrix}`` or a
        callable ``u -> matrix`` gives one matrix per control ``u``; a plain matrix ignores ``u``.
    sensor : ndarray of shape (n_states, n_measurements)
        ``sensor[i, z] = p(z_t = z | x_t = i)`` for discrete measurements ``z``.
    prior : ndarray of shape (n_states,), optional
        ``bel(x_0)`` before the first step; uniform (total ignorance) by default.

    Examples
    --------
    >>> bf = corridor(n_cells=10, doors=[1, 4, 7])
    >>> beliefs = bf.filter([1, 0, 0, 1], [0, 1, 1, 1])   # door seen, move, move, move+door
    >>> beliefs.shape
    (4, 10)
    """

    def __init__(self, motion: Motion, sensor: Any, prior: Any = None) -> None:
        self.sensor = np.asarray(sensor, dtype=np.float64)
        if self.sensor.ndim != 2:
            raise InvalidParameterError(
                f"sensor must have shape (n_states, n_measurements), got shape {self.sensor.shape}.")
        self.n_states = self.sensor.shape[0]
        if np.any(self.sensor < 0) or np.any(self.sensor > 1) or not np.all(np.isfinite(self.sensor)):
            raise InvalidParameterError(f"sensor (shape {self.sensor.shape}) must hold probabilities in [0, 1].")
        self.motion = motion
        k = self.n_states
        self.prior = np.full(k, 1.0 / k) if prior is None else check_distribution(prior, "prior", (k,))

    def _motion_matrix(self, u: Any) -> np.ndarray:
        if isinstance(self.motion, Mapping):
            if u not in self.motion:
                raise DataError(f"no motion model for control {u!r}; known controls: {sorted(self.motion)}.")
            mat = self.motion[u]
        elif callable(self.motion):
            mat = self.motion(u)
        else:
            mat = self.motion
        return check_distribution(mat, "motion", (self.n_states, self.n_states))

    def predict(self, belief: np.ndarray, u: Any = None) -> np.ndarray:
        """``bel_bar(x_t) = sum_i p(x_t | u_t, x_{t-1} = i) bel(x_{t-1} = i)``."""
        out: np.ndarray = np.asarray(belief) @ self._motion_matrix(u)
        return out

    def update(self, belief: np.ndarray, z: int) -> np.ndarray:
        """``bel(x_t) = eta p(z_t | x_t) bel_bar(x_t)``."""
        if not (isinstance(z, int | np.integer) and 0 <= z < self.sensor.shape[1]):
            raise DataError(f"measurement {z!r} is outside 0..{self.sensor.shape[1] - 1} (sensor has "
                            f"shape {self.sensor.shape}).")
        post = belief * self.sensor[:, z]
        total = post.sum()
        if total <= 0:
            raise DataError(f"measurement {z} has probability zero under the current belief; "
                            "the sensor model rules out every state.")
        out: np.ndarray = post / total
        return out

    def filter(self, measurements: Any, controls: Any = None) -> np.ndarray:
        """Beliefs after each step, shape ``(T, n_states)``.

        Step t predicts with ``controls[t]`` (skipped for t = 0 when ``controls`` is None:
        the prior describes the first state), then corrects with ``measurements[t]``; a
        ``None`` measurement skips the correction.
        """
        zs = list(measurements)
        if not zs:
            raise DataError("measurements is empty; give at least one step.")
        us = [None] * len(zs) if controls is None else list(controls)
        if len(us) != len(zs):
            raise DataError(f"controls and measurements must have the same length, got {len(us)} and {len(zs)}.")
        belief = self.prior
        out = np.empty((len(zs), self.n_states))
        for t, (z, u) in enumerate(zip(zs, us, strict=True)):
            if t > 0 or controls is not None:
                belief = self.predict(belief, u)
            if z is not None:
                belief = self.update(belief, int(z))
            out[t] = belief
        return out


def corridor(n_cells: int, doors: list[int], *, p_hit: float = 0.8, p_false: float = 0.1,
             p_exact: float = 0.8, p_undershoot: float = 0.1, p_overshoot: float = 0.1,
             cyclic: bool = True) -> BayesFilter:
    """The 1-D corridor robot: a sensor that sees doors and a motion model that slips.

    Measurements are 1 (door seen) or 0 (no door): ``p(1 | door) = p_hit``,
    ``p(1 | wall) = p_false``. Controls are steps to the right (an int, ``0`` = stay): the
    robot moves ``u`` cells with probability ``p_exact``, ``u - 1`` or ``u + 1`` with
    ``p_undershoot`` / ``p_overshoot``. ``cyclic`` wraps the corridor into a ring (as in the
    classic textbook figure) so that probability mass never piles up at a wall.
    """
    if n_cells < 2:
        raise InvalidParameterError(f"n_cells must be >= 2, got {n_cells}.")
    if any(not 0 <= d < n_cells for d in doors):
        raise InvalidParameterError(f"doors must lie in 0..{n_cells - 1}, got {doors}.")
    if abs(p_exact + p_undershoot + p_overshoot - 1.0) > 1e-12:
        raise InvalidParameterError("p_exact + p_undershoot + p_overshoot must sum to 1.")
    is_door = np.zeros(n_cells, dtype=bool)
    is_door[list(doors)] = True
    p_see = np.where(is_door, p_hit, p_false)
    sensor = np.stack([1 - p_see, p_see], axis=1)

    def motion(u: Any) -> np.ndarray:
        steps = 0 if u is None else int(u)
        mat = np.zeros((n_cells, n_cells))
        for i in range(n_cells):
            for delta, p in ((steps - 1, p_undershoot), (steps, p_exact), (steps + 1, p_overshoot)):
                j = (i + delta) % n_cells if cyclic else min(max(i + delta, 0), n_cells - 1)
                mat[i, j] += p
        return mat

    return BayesFilter(motion, sensor)
