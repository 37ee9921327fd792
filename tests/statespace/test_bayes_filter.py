"""BayesFilter: the corridor robot by hand, and equality with the HMM forward filter."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.hmm import _algorithms as alg
from seqlab.statespace import BayesFilter, corridor


def test_corridor_first_steps_by_hand():
    bf = corridor(n_cells=5, doors=[0, 2], p_hit=0.8, p_false=0.1)
    # uniform prior, door seen: belief proportional to (0.8, 0.1, 0.8, 0.1, 0.1) / 1.9
    b0 = bf.filter([1])[0]
    np.testing.assert_allclose(b0, np.array([0.8, 0.1, 0.8, 0.1, 0.1]) / 1.9, rtol=1e-12)
    # move one cell right (0.8 exact, 0.1 under, 0.1 over, ring): cell 1 receives 0.8*b0[0] + 0.1*b0[1] + 0.1*b0[4]
    moved = bf.predict(b0, 1)
    assert moved[1] == pytest.approx(0.8 * b0[0] + 0.1 * b0[1] + 0.1 * b0[4], rel=1e-12)
    assert moved.sum() == pytest.approx(1.0, abs=1e-12)


def test_robot_localises_itself():
    doors = [2, 5, 11]
    bf = corridor(n_cells=16, doors=doors, p_hit=0.9, p_false=0.05)
    true_pos, zs, us = 0, [], []
    for t in range(24):
        step = 1 if t else 0  # with controls the filter predicts at t = 0 too: stand still there
        true_pos = (true_pos + step) % 16
        us.append(step)
        zs.append(int(true_pos in doors))  # a sensor that happens to read right every time
    beliefs = bf.filter(zs, us)
    np.testing.assert_allclose(beliefs.sum(axis=1), 1.0, atol=1e-12)
    # the door gaps (3, 6, 7 cells) identify the position once two doors have passed
    assert beliefs[-1].argmax() == true_pos and beliefs[-1].max() > 0.5, beliefs[-1].round(2)
    assert beliefs[0].max() < 0.1, "before any door the robot cannot know where it is"


def test_equals_the_hmm_forward_filter(rng):
    n, v = 4, 3
    trans = rng.dirichlet(np.ones(n), size=n)
    sensor = rng.dirichlet(np.ones(v), size=n)
    prior = rng.dirichlet(np.ones(n))
    z = rng.integers(0, v, 30)
    beliefs = BayesFilter(trans, sensor, prior).filter(z)
    alpha, _ = alg.forward_scaled(prior, trans, sensor.T[z].copy())
    np.testing.assert_allclose(beliefs, alpha, rtol=1e-12, atol=1e-14)


def test_bad_input():
    with pytest.raises(InvalidParameterError, match=r"motion \(shape \(2, 2\)\) must sum to 1"):
        BayesFilter(np.array([[0.5, 0.4], [0.5, 0.5]]), np.eye(2)).filter([0, 1])
    with pytest.raises(DataError, match="outside 0..1"):
        corridor(4, [1]).filter([2])
    with pytest.raises(DataError, match="same length"):
        corridor(4, [1]).filter([0, 1], [1])
    with pytest.raises(InvalidParameterError, match="doors must lie"):
        corridor(4, [7])
