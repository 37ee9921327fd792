"""Backtest plots: every lead's path, bands, a real time axis for dated series, the error-by-horizon panel."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.forecast import ARForecaster, SeasonalNaive, WalkForward, backtest
from seqlab.forecast._plots import time_axis

pytest.importorskip("matplotlib")


def monthly() -> tuple[np.ndarray, np.ndarray]:
    labels = np.array([f"{1949 + i // 12}-{i % 12 + 1:02d}" for i in range(144)])
    t = np.arange(144)
    return 100 + t + 20 * np.sin(2 * np.pi * t / 12), labels


def test_time_axis_reads_dates_numbers_and_falls_back_to_positions():
    x, is_date = time_axis(np.array(["1949-01", "1949-02"]))
    assert is_date and x[1] - x[0] == np.timedelta64(31, "D")
    assert time_axis(np.array([1700, 1701]))[1] is False
    x, is_date = time_axis(np.array(["a", "b", "c"]))
    assert not is_date and x.tolist() == [0, 1, 2]


def test_paths_plot_draws_every_lead_with_bands_and_a_date_axis(tmp_path):
    import matplotlib.dates as mdates
    from matplotlib.collections import PolyCollection

    y, labels = monthly()
    res = backtest(SeasonalNaive(season_length=12), y, WalkForward(initial=96, horizon=12, step=12),
                   index=labels, coverage=0.9, season_length=12)
    fig = res.plot(str(tmp_path / "p.png"))
    top, err_ax, lead_ax = fig.axes[:3]
    paths = [line for line in top.get_lines() if len(line.get_xdata()) == 13]  # origin + 12 leads
    assert len(paths) == 4, "one line per fold covering all 12 leads"
    assert sum(isinstance(c, PolyCollection) for c in top.collections) == 4, "one interval band per fold"
    assert isinstance(top.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    assert lead_ax.get_xlabel().startswith("lead") and top.get_ylabel() == "value"
    mae_line = lead_ax.get_lines()[0]
    expected = [np.abs(res.predictions - res.actuals)[res.lead == h].mean() for h in range(1, 13)]
    np.testing.assert_allclose(mae_line.get_ydata(), expected, rtol=1e-12)
    assert (tmp_path / "p.png").stat().st_size > 10_000


def test_leads_plot_has_one_panel_per_lead_and_caps_paths(tmp_path):
    rng = np.random.default_rng(0)
    y = np.cumsum(rng.normal(size=200))
    res = backtest(ARForecaster(lags=2), y, WalkForward(initial=120, horizon=5, step=1), coverage=0.8)
    fig = res.plot(str(tmp_path / "l.png"), kind="leads")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 5 and visible[0].get_title().startswith("lead 1")
    fig = res.plot(max_paths=7)
    paths = [line for line in fig.axes[0].get_lines() if len(line.get_xdata()) == 6]
    assert len(paths) == 7
