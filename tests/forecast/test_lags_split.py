"""Lag tables and walk-forward splits: hand-worked tables, no look-ahead, no leaks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.forecast import WalkForward, lag_features, lag_matrix, min_history, resolve_initial

EXTRAS = ["mean", "std", "rolling_mean:3", "rolling_std:2", "rolling_min:4", "rolling_max:1"]


def test_lag_table_matches_the_slide_example():
    # document 000 slide 9: the series 1 3 5 3 4 2 ... with m = 3 preceding values
    x = np.array([1, 3, 5, 3, 4, 2, 3, 4, 5, 5, 4, 3, 2, 1, 3, 2, 2], dtype=float)
    table = lag_matrix(x, 3)
    assert table.columns == ("t-1", "t-2", "t-3")
    assert table.X[0].tolist() == [5.0, 3.0, 1.0] and table.y[0] == 3.0, "row t=3: (x2, x1, x0) -> x3"
    assert table.X[1].tolist() == [3.0, 5.0, 3.0] and table.y[1] == 4.0
    assert table.index.tolist() == list(range(3, 17))
    assert len(table.y) == len(x) - 3


def test_extra_features_hand_worked():
    x = np.array([2.0, 4.0, 6.0, 8.0, 10.0])
    table = lag_matrix(x, 1, extra=["mean", "std", "rolling_mean:2", "rolling_max:2"])
    # first row t=2 (rolling windows of 2 need x0, x1): mean(2,4)=3, std(2,4)=1, rolling_mean=3, max=4
    assert table.columns == ("t-1", "mean", "std", "rolling_mean:2", "rolling_max:2")
    np.testing.assert_allclose(table.X[0], [4.0, 3.0, 1.0, 3.0, 4.0], rtol=0, atol=1e-12)
    # row t=4: past 2,4,6,8 -> mean 5, std sqrt(5), last two 6, 8 -> mean 7, max 8
    np.testing.assert_allclose(table.X[2], [8.0, 5.0, np.sqrt(5.0), 7.0, 8.0], rtol=0, atol=1e-12)


def test_multivariate_lag_table_layout():
    x = np.arange(12.0).reshape(6, 2)  # column 0 even, column 1 odd
    table = lag_matrix(x, [1, 2], extra=["rolling_mean:2"])
    assert table.columns[:4] == ("x0[t-1]", "x1[t-1]", "x0[t-2]", "x1[t-2]")
    assert table.y.shape == (4, 2)
    np.testing.assert_array_equal(table.X[0, :4], [2.0, 3.0, 0.0, 1.0])
    np.testing.assert_allclose(table.X[0, 4:], [1.0, 2.0], rtol=0, atol=1e-12)


@given(
    x=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=6, max_size=40),
    lags=st.integers(1, 4),
    extra=st.lists(st.sampled_from(EXTRAS), max_size=3, unique=True),
    data=st.data(),
)
def test_lag_rows_never_see_the_future(x, lags, extra, data):
    x = np.array(x)
    need = min_history(lags, extra)
    assume(len(x) > need)
    table = lag_matrix(x, lags, extra)
    t = data.draw(st.integers(need, len(x) - 1), label="t")
    changed = x.copy()
    changed[t:] = data.draw(st.floats(-1e3, 1e3), label="future") + np.arange(len(x) - t)
    row = list(table.index).index(t)
    other = lag_matrix(changed, lags, extra)
    np.testing.assert_array_equal(other.X[row], table.X[row], err_msg="a feature of row t changed with x[t:]")
    np.testing.assert_allclose(lag_features(x[:t], lags, extra), table.X[row], rtol=1e-9, atol=1e-6)


def test_lag_matrix_bad_input():
    with pytest.raises(DataError, match="index 2"):
        lag_matrix([1.0, 2.0, np.nan, 4.0], 1)
    with pytest.raises(DataError, match="at least 4 values"):
        lag_matrix([1.0, 2.0, 3.0], 3)
    with pytest.raises(InvalidParameterError, match="unknown extra feature"):
        lag_matrix(np.arange(10.0), 1, extra=["median"])
    with pytest.raises(InvalidParameterError, match="lags"):
        lag_matrix(np.arange(10.0), -1)
    filled = lag_matrix([1.0, np.nan, 3.0, 4.0], 1, fill="interpolate")
    np.testing.assert_allclose(filled.X[:, 0], [1.0, 2.0, 3.0], rtol=0, atol=0)


@given(n=st.integers(2, 300), initial=st.integers(1, 60), horizon=st.integers(1, 12),
       step=st.integers(1, 12), window=st.none() | st.integers(1, 40))
def test_walk_forward_never_leaks(n, initial, horizon, step, window):
    assume(initial + horizon <= n)
    splitter = WalkForward(initial=initial, horizon=horizon, step=step, window=window)
    folds = list(splitter.split(n))
    assert folds, "at least one fold fits"
    for train, test in folds:
        assert train.max() < test.min(), "training data after a test point"
        assert len(test) == horizon and test.max() < n
        assert window is None or len(train) <= window


@given(n=st.integers(2, 200), initial=st.integers(1, 100))
def test_horizon_one_predicts_every_point_once(n, initial):
    assume(initial < n)
    tests = np.concatenate([te for _, te in WalkForward(initial=initial).split(n)])
    assert tests.tolist() == list(range(initial, n)), "each point from initial to the end exactly once"


def test_fold_diagram_in_the_docstring():
    folds = list(WalkForward(initial=5, horizon=2, step=2).split(11))
    assert [(tr.tolist(), te.tolist()) for tr, te in folds] == [
        (list(range(5)), [5, 6]), (list(range(7)), [7, 8]), (list(range(9)), [9, 10])]
    sliding = list(WalkForward(initial=5, horizon=2, step=2, window=4).split(11))
    assert [tr.tolist() for tr, _ in sliding] == [[1, 2, 3, 4], [3, 4, 5, 6], [5, 6, 7, 8]]


def test_walk_forward_validation_and_initial_labels():
    with pytest.raises(InvalidParameterError, match="horizon must be an int >= 1"):
        WalkForward(initial=10, horizon=0)
    with pytest.raises(InvalidParameterError, match="initial"):
        WalkForward(initial=0)
    with pytest.raises(DataError, match="beyond the series"):
        WalkForward(initial=100).n_splits(50)
    years = np.arange(1700, 2009)
    assert resolve_initial(1920, years)[0] == 221, "train on 1700..1920 inclusive"
    assert resolve_initial(1920, years, kind="count")[0] == 1920
    assert resolve_initial(50, years)[0] == 50
    with pytest.raises(DataError, match="not in the series index"):
        resolve_initial(1600, years, kind="label")
