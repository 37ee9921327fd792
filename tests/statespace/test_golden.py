"""pykalman's numbers frozen in ``golden/pykalman.npz``: checked even where pykalman is absent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seqlab.statespace import KalmanFilter

GOLDEN = np.load(Path(__file__).with_name("golden") / "pykalman.npz")


def test_filter_and_smoother_match_frozen_pykalman_outputs():
    g = GOLDEN
    kf = KalmanFilter(F=g["F"], H=g["H"], Q=g["Q"], R=g["R"], x0=g["x0"], P0=g["P0"])  # keyword-only
    fm, fP = kf.filter(g["z"])  # NaN rows are missing, as pykalman's masked rows
    sm, sP = kf.smooth(g["z"])
    np.testing.assert_allclose(fm, g["filtered_mean"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fP, g["filtered_cov"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sm, g["smoothed_mean"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sP, g["smoothed_cov"], rtol=1e-10, atol=1e-12)
    assert kf.log_likelihood(g["z"]) == pytest.approx(float(g["loglik"]), rel=1e-10)
