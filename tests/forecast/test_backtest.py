"""Backtest, baselines, LagRegressor and forecast metrics."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.evaluate.forecast import mae, mape, mase, rmse, smape
from seqlab.exceptions import DataError
from seqlab.forecast import (
    ARForecaster,
    LagRegressor,
    MeanForecaster,
    Persistence,
    SeasonalNaive,
    WalkForward,
    backtest,
)


def walk(rng: np.random.Generator, n: int = 150) -> np.ndarray:
    return 100 + rng.normal(size=n).cumsum()


def brute_force_ar(y, p, splitter):
    """Refit from scratch (plain lstsq) at every refit fold; recursive forecasts by hand."""
    out = []
    for i, (train, _) in enumerate(splitter.split(len(y))):
        if splitter.refits_at(i):
            w = y[train]
            X = np.column_stack([np.ones(len(w) - p)] + [w[p - j : len(w) - j] for j in range(1, p + 1)])
            theta = np.linalg.lstsq(X, w[p:], rcond=None)[0]
        hist = list(y[: train[-1] + 1][-p:])
        for _ in range(splitter.horizon):
            hist.append(theta[0] + theta[1:] @ np.array(hist[::-1][:p]))
        out += hist[p:]
    return np.array(out)


@pytest.mark.parametrize("window", [None, 60])
@pytest.mark.parametrize("refit_every", [1, 4, None])
@pytest.mark.parametrize("horizon,step", [(1, 1), (3, 2)])
def test_backtest_equals_brute_force_refits(rng, window, refit_every, horizon, step):
    y = walk(rng)
    splitter = WalkForward(initial=80, horizon=horizon, step=step, window=window, refit_every=refit_every)
    result = backtest(ARForecaster(lags=4), y, splitter)
    np.testing.assert_allclose(result.predictions, brute_force_ar(y, 4, splitter), rtol=1e-8, atol=1e-8)
    expected_positions = np.concatenate([te for _, te in splitter.split(len(y))])
    np.testing.assert_array_equal(result.positions, expected_positions)
    np.testing.assert_array_equal(result.actuals, y[expected_positions])


def test_backtest_horizon_one_covers_each_point_once_with_labels(rng):
    y = walk(rng, 50)
    years = np.arange(1950, 2000)
    result = backtest(Persistence(), y, WalkForward(initial=30), index=years)
    assert result.index.tolist() == list(range(1980, 2000))
    np.testing.assert_array_equal(result.predictions, y[29:49])
    assert result.metrics["mae"] == pytest.approx(np.mean(np.abs(np.diff(y[29:]))), rel=1e-12)
    assert result.metrics["mase"] == pytest.approx(result.metrics["mae"] / np.mean(np.abs(np.diff(y[:30]))))


def test_backtest_leaves_the_model_unfitted_and_reports_by_lead(rng):
    y = walk(rng, 120)
    model = ARForecaster(lags=2)
    result = backtest(model, y, WalkForward(initial=60, horizon=4, step=4))
    assert not model._is_fitted(), "backtest works on a clone"
    assert [row["lead"] for row in result.metrics_by_lead] == [1, 2, 3, 4]
    assert result.to_dict()["n_targets"] == 60


def test_model_without_update_is_refitted_on_every_fold(rng):
    class Last:  # protocol only: fit/predict
        def fit(self, series):
            self.last = np.asarray(series)[-1]
            return self

        def predict(self, horizon):
            return np.full(horizon, self.last)

    y = walk(rng, 40)
    ours = backtest(Last(), y, WalkForward(initial=20, refit_every=None))
    ref = backtest(Persistence(), y, WalkForward(initial=20))
    np.testing.assert_array_equal(ours.predictions, ref.predictions)


def test_lag_regressor_with_linear_regression_equals_ar(rng):
    from sklearn.linear_model import LinearRegression

    y = walk(rng, 100)
    splitter = WalkForward(initial=70, horizon=2)
    ours = backtest(LagRegressor(estimator=LinearRegression(), lags=3), y, splitter)
    ar = backtest(ARForecaster(lags=3), y, splitter)
    np.testing.assert_allclose(ours.predictions, ar.predictions, rtol=1e-8, atol=1e-8)


def test_lag_regressor_multivariate_and_extras(rng):
    from sklearn.linear_model import Ridge

    y = np.column_stack([walk(rng, 80), walk(rng, 80)])
    model = LagRegressor(estimator=Ridge(alpha=1.0), lags=2, extra=["rolling_mean:5"]).fit(y)
    assert model.predict(3).shape == (3, 2)
    result = backtest(model, y, WalkForward(initial=60, horizon=2, step=2))
    assert result.predictions.shape == (20, 2)


def test_baselines_hand_worked():
    y = np.array([1.0, 2.0, 3.0, 10.0, 20.0, 30.0])
    assert SeasonalNaive(season_length=3).fit(y).predict(4).tolist() == [10.0, 20.0, 30.0, 10.0]
    assert Persistence().fit(y).predict(2).tolist() == [30.0, 30.0]
    assert MeanForecaster(window=2).fit(y).predict(1).tolist() == [25.0]
    mean = MeanForecaster().fit(y[:3])
    mean.update([7.0], refit=False)
    assert mean.predict(1).tolist() == [2.0], "refit=False keeps the fitted mean"
    mean.update([8.0, 9.0], refit=True, forget=2)
    assert mean.predict(1).tolist() == [np.mean([3.0, 7.0, 8.0, 9.0])]
    np.testing.assert_array_equal(Persistence().fit(np.eye(3)).predict(2), [[0, 0, 1], [0, 0, 1]])


@pytest.mark.parametrize("cls", [Persistence, SeasonalNaive, MeanForecaster, ARForecaster])
def test_save_load_gives_identical_forecasts(tmp_path, cls):
    x = cls._test_data()
    model = cls(**cls._test_params()).fit(x)
    model.save(tmp_path / "m")
    loaded = cls.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(4), model.predict(4))


def test_metrics_hand_worked():
    t = np.array([1.0, 2.0, 4.0, 0.0])
    p = np.array([2.0, 2.0, 2.0, 1.0])
    assert mae(t, p) == pytest.approx((1 + 0 + 2 + 1) / 4)
    assert rmse(t, p) == pytest.approx(np.sqrt((1 + 0 + 4 + 1) / 4))
    assert mape(t, p) == pytest.approx(100 * (1 / 1 + 0 / 2 + 2 / 4) / 3), "the zero target is left out"
    # 200|e|/(|y|+|yhat|): 200/3, 0, 400/6, 200/1
    assert smape(t, p) == pytest.approx((200 / 3 + 0 + 400 / 6 + 200) / 4)
    # naive in-sample MAE of [1, 3, 2] is (2 + 1) / 2 = 1.5
    assert mase(t, p, [1.0, 3.0, 2.0]) == pytest.approx(1.0 / 1.5)
    with pytest.raises(DataError, match="same shape"):
        mae([1.0], [1.0, 2.0])


def test_backtest_bad_input(rng):
    y = walk(rng, 30)
    with pytest.raises(DataError, match="beyond the series"):
        backtest(Persistence(), y, WalkForward(initial=40))
    y_nan = y.copy()
    y_nan[7] = np.nan
    with pytest.raises(DataError, match="at index 7"):
        backtest(Persistence(), y_nan, WalkForward(initial=10))
    filled = backtest(Persistence(), y_nan, WalkForward(initial=10), fill="ffill")
    assert np.isfinite(filled.predictions).all()


def test_plot_writes_a_png(tmp_path, rng):
    pytest.importorskip("matplotlib")
    y = walk(rng, 60)
    result = backtest(ARForecaster(lags=2), y, WalkForward(initial=40))
    result.plot(str(tmp_path / "bt.png"), series=y)
    assert (tmp_path / "bt.png").stat().st_size > 1000
