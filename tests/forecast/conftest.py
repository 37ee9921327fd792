"""Fixtures shared by the forecasting tests."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def yearly_csv(tmp_path):
    """A yearly series 1700..1899 with an AR(2) cycle, written like statsmodels' sunspots.csv."""
    rng = np.random.default_rng(1)
    x = np.zeros(200)
    for t in range(2, 200):
        x[t] = 20 + 1.3 * x[t - 1] - 0.6 * x[t - 2] + rng.normal(scale=3)
    path = tmp_path / "yearly.csv"
    path.write_text('"YEAR","VALUE"\n' + "".join(f"{1700 + i},{float(v)!r}\n" for i, v in enumerate(x)))
    return path, x
