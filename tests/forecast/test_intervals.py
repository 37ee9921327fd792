"""Prediction intervals, quantiles, AR summary, ARX and pandas output: parity with statsmodels, hand values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seqlab.exceptions import DataError, InvalidParameterError, SeqlabError
from seqlab.forecast import (
    ARForecaster,
    ConformalForecaster,
    Forecast,
    LagRegressor,
    MeanForecaster,
    Persistence,
    SeasonalNaive,
    WalkForward,
    backtest,
    interval_coverage,
    interval_score,
)
from seqlab.forecast.intervals import conformal_quantile, ma_weights


def sunspots() -> np.ndarray:
    sm = pytest.importorskip("statsmodels.api")
    return sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy()


def ar2(rng: np.random.Generator, n: int) -> np.ndarray:
    x = np.zeros(n + 50)
    for t in range(2, len(x)):
        x[t] = 1.0 + 0.6 * x[t - 1] - 0.3 * x[t - 2] + rng.normal()
    return x[50:]


# ---------------------------------------------------------------------- AR: parity with statsmodels
@pytest.mark.reference
@pytest.mark.parametrize("lags", [1, 2, 9, [1, 2, 9], [1, 12]])
@pytest.mark.parametrize("coverage", [0.8, 0.95])
def test_ar_intervals_equal_statsmodels_conf_int(lags, coverage):
    from statsmodels.tsa.ar_model import AutoReg

    y = sunspots()
    ours = ARForecaster(lags=lags).fit(y).predict_interval(20, coverage=coverage)
    ref = AutoReg(y, lags, trend="c").fit().get_prediction(len(y), len(y) + 19)
    ci = ref.conf_int(alpha=1 - coverage)
    np.testing.assert_allclose(ours.mean, ref.predicted_mean, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ours.lower, ci[:, 0], rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ours.upper, ci[:, 1], rtol=1e-8, atol=1e-8)
    assert ours.method == "analytic" and ours.coverage == coverage


@pytest.mark.reference
def test_ar_intervals_without_constant_and_after_updates_equal_statsmodels(rng):
    from statsmodels.tsa.ar_model import AutoReg

    x = ar2(rng, 400)
    model = ARForecaster(lags=3, trend="n").fit(x[:300])
    model.update(x[300:], refit=True, forget=40)  # sliding window x[40:400], by normal-equation updates
    ours = model.predict_interval(10, coverage=0.9)
    ci = AutoReg(x[40:], 3, trend="n").fit().get_prediction(360, 369).conf_int(alpha=0.1)
    np.testing.assert_allclose(ours.lower, ci[:, 0], rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ours.upper, ci[:, 1], rtol=1e-8, atol=1e-8)


@pytest.mark.reference
@pytest.mark.parametrize("p", [1, 3, 9])
def test_ar_summary_equals_statsmodels(p):
    from statsmodels.tsa.ar_model import AutoReg

    y = sunspots()
    s = ARForecaster(lags=p).fit(y).summary()
    ref = AutoReg(y, p, trend="c").fit()
    for ours, theirs in [(s.params, ref.params), (s.bse, ref.bse), (s.zvalues, ref.tvalues),
                         (s.pvalues, ref.pvalues), (s.conf_int, ref.conf_int()), (s.cov_params, ref.cov_params())]:
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-12)
    for name in ("aic", "bic", "hqic", "llf", "sigma2"):
        assert getattr(s, name) == pytest.approx(getattr(ref, name), rel=1e-6), name
    assert s.names[:2] == ["const", "y.L1"] and s.nobs == ref.nobs
    text = str(s)
    assert "std err" in text and "y.L1" in text and len(text.splitlines()) == 3 + p + 1
    assert s.to_dict()["coefficients"][1]["name"] == "y.L1"


@pytest.mark.reference
def test_arx_equals_statsmodels_autoreg_with_exog(rng):
    from statsmodels.tsa.ar_model import AutoReg

    n = 300
    X = rng.normal(size=(n + 6, 2))
    y = np.zeros(n)
    for t in range(2, n):
        y[t] = 0.5 + 0.5 * y[t - 1] - 0.2 * y[t - 2] + 1.5 * X[t, 0] - 0.7 * X[t, 1] + rng.normal()
    model = ARForecaster(lags=2).fit(y, X=X[:n])
    res = AutoReg(y, 2, exog=X[:n]).fit()
    np.testing.assert_allclose(model.params_[0], res.params, rtol=1e-8)
    np.testing.assert_allclose(model.exog_coef_, res.params[3:], rtol=1e-8)
    assert model.aic_ == pytest.approx(res.aic, rel=1e-10)
    fc = model.predict_interval(6, coverage=0.9, X_future=X[n:])
    pred = res.get_prediction(n, n + 5, exog_oos=X[n:])
    np.testing.assert_allclose(fc.mean, pred.predicted_mean, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(fc.lower, pred.conf_int(alpha=0.1)[:, 0], rtol=1e-8, atol=1e-8)
    s = model.summary()
    np.testing.assert_allclose(s.bse, res.bse, rtol=1e-6)
    assert s.names == ["const", "y.L1", "y.L2", "x1", "x2"]


def test_arx_update_and_backtest_equal_fresh_fits(rng):
    n = 120
    X = rng.normal(size=(n, 1))
    y = np.cumsum(rng.normal(size=n)) * 0.1 + 2 * X[:, 0]
    model = ARForecaster(lags=2).fit(y[:100], X=X[:100])
    model.update(y[100:110], X=X[100:110])
    fresh = ARForecaster(lags=2).fit(y[:110], X=X[:110])
    np.testing.assert_allclose(model.params_, fresh.params_, rtol=1e-10)
    res = backtest(ARForecaster(lags=2), y, WalkForward(initial=100, horizon=3), X=X)
    fold0 = ARForecaster(lags=2).fit(y[:100], X=X[:100]).predict(3, X_future=X[100:103])
    np.testing.assert_allclose(res.predictions[:3], fold0, rtol=1e-12)


def test_direct_ar_interval_uses_each_leads_residual_variance(rng):
    x = ar2(rng, 200)
    model = ARForecaster(lags=2, multistep="direct", max_horizon=3).fit(x)
    fc = model.predict_interval(3, coverage=0.9)
    z = 1.6448536269514722  # normal 0.95 quantile
    for h in (1, 2, 3):  # regress x[t+h-1] on [1, x[t-1], x[t-2]] by brute force
        rows = np.arange(2, len(x) - h + 1)
        D = np.column_stack([np.ones(len(rows)), x[rows - 1], x[rows - 2]])
        beta = np.linalg.lstsq(D, x[rows + h - 1], rcond=None)[0]
        sigma = np.sqrt(np.mean((x[rows + h - 1] - D @ beta) ** 2))
        assert fc.upper[h - 1] - fc.mean[h - 1] == pytest.approx(z * sigma, rel=1e-9)


def test_ma_weights_of_an_ar2_by_hand():
    # psi_1 = phi_1 = 0.5; psi_2 = phi_1 psi_1 + phi_2 = 0.25 + 0.2 = 0.45; psi_3 = 0.5*0.45 + 0.2*0.5 = 0.325
    np.testing.assert_allclose(ma_weights(np.array([0.5, 0.2]), 4), [1.0, 0.5, 0.45, 0.325], rtol=1e-15)


# ---------------------------------------------------------------------- baselines by hand
def test_persistence_interval_by_hand():
    y = np.array([1.0, 3.0, 2.0, 4.0])  # steps 2, -1, 2: sigma^2 = (4 + 1 + 4) / 3 = 3
    fc = Persistence().fit(y).predict_interval(4, coverage=0.9)
    z = 1.6448536269514722
    np.testing.assert_allclose(fc.upper - fc.mean, z * np.sqrt(3.0) * np.sqrt([1, 2, 3, 4]), rtol=1e-12)
    np.testing.assert_allclose(fc.mean, 4.0)


def test_seasonal_naive_interval_by_hand():
    y = np.array([1.0, 2.0, 2.0, 4.0, 4.0, 5.0])  # m = 2: residuals 1, 2, 2, 1 -> sigma^2 = 10 / 4
    fc = SeasonalNaive(season_length=2).fit(y).predict_interval(5, coverage=0.8)
    z = 1.2815515655446004
    k = np.array([1, 1, 2, 2, 3])  # floor((h - 1) / 2) + 1
    np.testing.assert_allclose(fc.upper - fc.mean, z * np.sqrt(2.5 * k), rtol=1e-12)


def test_mean_interval_by_hand():
    y = np.array([1.0, 2.0, 3.0, 6.0])  # mean 3, squares 4 + 1 + 0 + 9 = 14, sigma^2 = 14 / 3
    fc = MeanForecaster().fit(y).predict_interval(2, coverage=0.9)
    expected = 1.6448536269514722 * math.sqrt(14 / 3 * (1 + 1 / 4))
    np.testing.assert_allclose(fc.upper - fc.mean, expected, rtol=1e-12)


def test_multicolumn_baseline_intervals_are_per_column():
    y = np.column_stack([np.arange(10.0), 10 * np.sin(np.arange(10.0))])
    fc = Persistence().fit(y).predict_interval(3)
    assert fc.mean.shape == fc.lower.shape == (3, 2)
    ones = Persistence().fit(y[:, 1]).predict_interval(3)
    np.testing.assert_allclose(fc.upper[:, 1], ones.upper, rtol=1e-12)


# ---------------------------------------------------------------------- the common API
def test_predict_with_coverage_quantiles_and_forecast_object(rng):
    model = ARForecaster(lags=2).fit(ar2(rng, 200))
    fc = model.predict(5, coverage=0.9)
    assert isinstance(fc, Forecast) and len(fc) == 5
    np.testing.assert_allclose(np.asarray(fc), model.predict(5), rtol=1e-15)
    q = model.predict_quantiles(5, q=[0.05, 0.5, 0.95])
    assert q.shape == (5, 3)
    np.testing.assert_allclose(q[:, 0], fc.lower, rtol=1e-12)
    np.testing.assert_allclose(q[:, 1], fc.mean, rtol=1e-12)
    np.testing.assert_allclose(q[:, 2], fc.upper, rtol=1e-12)
    assert np.all(np.diff(fc.upper - fc.lower) >= -1e-12), "AR intervals widen with the lead"
    d = fc.to_dict()
    assert d["method"] == "analytic" and len(d["lower"]) == 5


@pytest.mark.parametrize("bad", [0, 1, 1.0, -0.1, 1.5, True, "0.9", None])
def test_coverage_outside_the_unit_interval_is_a_typed_error(rng, bad):
    model = ARForecaster(lags=1).fit(ar2(rng, 50))
    with pytest.raises(InvalidParameterError, match="coverage must be"):
        model.predict_interval(3, coverage=bad)
    with pytest.raises(InvalidParameterError):
        model.predict_quantiles(3, q=[0.5, 1.0])
    with pytest.raises(SeqlabError, match="coverage must be"):
        backtest(ARForecaster(lags=1), ar2(rng, 60), WalkForward(initial=40), coverage=bad if bad is not None else 2)


def test_models_without_intervals_point_to_conformal():
    class Plain:  # the bare Forecaster protocol
        def fit(self, series):
            self.last = float(np.asarray(series)[-1])
            return self

        def predict(self, horizon):
            return np.full(horizon, self.last)

    with pytest.raises(DataError, match="ConformalForecaster"):
        backtest(Plain(), np.arange(50.0), WalkForward(initial=30), coverage=0.9)
    res = backtest(ConformalForecaster(Plain(), horizon=2, n_calibration=25), np.arange(80.0),
                   WalkForward(initial=50, horizon=2), coverage=0.8)
    assert res.metrics["coverage"] == 1.0  # a line: every error is exactly the slope, inside the band


# ---------------------------------------------------------------------- exogenous bad input
def test_exogenous_bad_inputs_are_one_line_typed_errors(rng):
    y = ar2(rng, 80)
    X = rng.normal(size=(80, 2))
    for bad, match in [(X[:70], "X has 70 rows"), (np.where(np.arange(80)[:, None] == 5, np.nan, X), "row 5")]:
        with pytest.raises(DataError, match=match) as err:
            ARForecaster(lags=2).fit(y, X=bad)
        assert "\n" not in str(err.value)
    model = ARForecaster(lags=2).fit(y, X=X)
    with pytest.raises(DataError, match=r"X_future must have shape \(3, 2\)"):
        model.predict(3, X_future=X[:2])
    with pytest.raises(DataError, match="pass X_future"):
        model.predict(3)
    with pytest.raises(DataError, match="fitted without X"):
        ARForecaster(lags=2).fit(y).predict(3, X_future=X[:3])
    with pytest.raises(DataError, match="NaN"):
        model.predict(1, X_future=np.array([[np.nan, 1.0]]))
    with pytest.raises(InvalidParameterError, match="no exogenous"):
        Persistence().fit(y, X=X)
    with pytest.raises(DataError, match="X has 10 rows"):
        backtest(ARForecaster(lags=2), y, WalkForward(initial=60), X=X[:10])


# ---------------------------------------------------------------------- conformal
def test_conformal_quantile_by_hand():
    res = np.arange(1.0, 20.0)  # 19 errors: level 0.95 -> ceil(20 * 0.95) = 19th smallest
    assert conformal_quantile(res, 0.95) == 19.0
    assert conformal_quantile(res, 0.05) == 1.0  # floor(20 * 0.05) = 1st smallest
    assert conformal_quantile(res, 0.5) == 10.0  # ceil(10) = 10th
    with pytest.raises(DataError, match="at least 39"):
        conformal_quantile(res, 0.975)


def test_conformal_errors_are_the_backtest_errors_and_update_adds_new_ones(rng):
    x = ar2(rng, 150)
    model = ConformalForecaster(ARForecaster(lags=2), horizon=3, n_calibration=40).fit(x)
    ref = backtest(ARForecaster(lags=2), x, WalkForward(initial=110, horizon=3, refit_every=None))
    for h in (1, 2, 3):
        np.testing.assert_allclose(model.errors_[h - 1], (ref.actuals - ref.predictions)[ref.lead == h], rtol=1e-12)
    one_step = float(model.predict(1)[0])
    three = model.predict(3)
    model.update([5.0], refit=False)
    assert model.errors_[0][-1] == pytest.approx(5.0 - one_step, rel=1e-12)
    model.update([6.0, 7.0], refit=False)  # the path made 3 steps ago now has its lead-3 target
    assert model.errors_[2][-1] == pytest.approx(7.0 - three[2], rel=1e-12)
    fc = model.predict_interval(3, coverage=0.8)
    assert fc.method == "conformal" and np.all(fc.lower <= fc.mean) and np.all(fc.mean <= fc.upper)
    with pytest.raises(InvalidParameterError, match="calibrated horizon"):
        model.predict_interval(4)


def test_conformal_coverage_on_iid_noise_is_close_to_nominal():
    # iid N(0, 1) around a mean: exchangeable errors, so split conformal covers >= 90% in
    # expectation; 600 backtest targets give a binomial sd of 1.2 points. Measured on data
    # seeds 0..9: coverage 0.882..0.912.
    y = np.random.default_rng(7).normal(size=1200)
    res = backtest(ConformalForecaster(MeanForecaster(), horizon=1, n_calibration=300), y,
                   WalkForward(initial=600, refit_every=None), coverage=0.9)
    assert 0.86 <= res.metrics["coverage"] <= 0.95, res.metrics


def test_conformal_wraps_a_neural_forecaster():
    pytest.importorskip("torch")
    from seqlab.models.forecaster import MLPForecaster

    x = np.sin(np.arange(160) / 4.0)
    model = ConformalForecaster(MLPForecaster(lags=4, epochs=3, d_hidden=8), horizon=2, n_calibration=50).fit(x)
    fc = model.predict_interval(2, coverage=0.9)
    assert fc.method == "conformal" and fc.mean.shape == (2,) and np.all(fc.upper > fc.lower)


# ---------------------------------------------------------------------- LagRegressor
def test_lag_regressor_bootstrap_interval_is_close_to_the_analytic_ar_interval():
    sklearn = pytest.importorskip("sklearn.linear_model")
    x = ar2(np.random.default_rng(3), 3000)
    boot = LagRegressor(estimator=sklearn.LinearRegression(), lags=2, n_paths=4000, random_state=1).fit(x)
    exact = ARForecaster(lags=2).fit(x)
    b, a = boot.predict_interval(4, coverage=0.8), exact.predict_interval(4, coverage=0.8)
    np.testing.assert_allclose(b.mean, a.mean, rtol=1e-8)
    # 4000 paths: the interval widths were within 2.5% of the analytic ones for random_state 0..5
    np.testing.assert_allclose(b.upper - b.lower, a.upper - a.lower, rtol=0.08)
    assert b.method == "bootstrap"


def test_lag_regressor_with_exog_equals_arx():
    sklearn = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(2)
    X = rng.normal(size=(106, 1))
    y = np.cumsum(rng.normal(size=106)) + X[:, 0]
    lr = LagRegressor(estimator=sklearn.LinearRegression(), lags=3).fit(y[:100], X=X[:100])
    ar = ARForecaster(lags=3).fit(y[:100], X=X[:100])
    np.testing.assert_allclose(lr.predict(6, X_future=X[100:]), ar.predict(6, X_future=X[100:]), rtol=1e-8)
    assert lr.columns_[-1] == "exog0"


@pytest.mark.parametrize("name", ["Ridge", "LinearRegression", "Lasso", "DecisionTreeRegressor",
                                  "RandomForestRegressor", "ExtraTreesRegressor", "MLPRegressor"])
def test_lag_regressor_save_load_round_trips_without_pickle(tmp_path, name):
    pytest.importorskip("sklearn")
    from sklearn import ensemble, linear_model, neural_network, tree

    make = {"Ridge": lambda: linear_model.Ridge(alpha=0.3), "LinearRegression": linear_model.LinearRegression,
            "Lasso": lambda: linear_model.Lasso(alpha=0.01),
            "DecisionTreeRegressor": lambda: tree.DecisionTreeRegressor(max_depth=5),
            "RandomForestRegressor": lambda: ensemble.RandomForestRegressor(n_estimators=7, random_state=0),
            "ExtraTreesRegressor": lambda: ensemble.ExtraTreesRegressor(n_estimators=5, random_state=0),
            "MLPRegressor": lambda: neural_network.MLPRegressor(hidden_layer_sizes=(6,), max_iter=200,
                                                                random_state=0)}[name]
    y = np.sin(np.arange(120) / 5.0) + np.random.default_rng(0).normal(0, 0.1, 120)
    model = LagRegressor(estimator=make(), lags=4, n_paths=40).fit(y)
    back = LagRegressor.load(model.save(tmp_path / "m"))
    assert type(back.estimator_).__name__ == name
    np.testing.assert_array_equal(back.predict(8), model.predict(8))
    np.testing.assert_array_equal(back.predict_interval(3).upper, model.predict_interval(3).upper)
    assert not any(p.suffix in (".pkl", ".pickle", ".joblib") for p in (tmp_path / "m").iterdir())
    assert back.clone().get_params()["estimator"].get_params() == make().get_params() or name == "MLPRegressor"


def test_lag_regressor_refuses_to_save_what_it_cannot_export(tmp_path):
    ensemble = pytest.importorskip("sklearn.ensemble")
    from seqlab.exceptions import FormatError

    model = LagRegressor(estimator=ensemble.GradientBoostingRegressor(n_estimators=5), lags=2).fit(np.arange(30.0))
    with pytest.raises(FormatError, match="cannot save a GradientBoostingRegressor") as err:
        model.save(tmp_path / "gb")
    assert "\n" not in str(err.value) and not (tmp_path / "gb").exists()


# ---------------------------------------------------------------------- interval metrics
def test_interval_metrics_by_hand():
    y, lo, hi = np.array([1.0, 5.0, 0.0]), np.array([0.0, 0.0, 1.0]), np.array([2.0, 4.0, 3.0])
    assert interval_coverage(y, lo, hi) == pytest.approx(1 / 3)
    # widths 2, 4, 2; misses: 5 above 4 by 1, 0 below 1 by 1; alpha = 0.2 -> penalty 2 / 0.2 = 10 each
    assert interval_score(y, lo, hi, 0.8) == pytest.approx((2 + 4 + 2 + 10 + 10) / 3)


# ---------------------------------------------------------------------- pandas
def test_pandas_series_gives_forecasts_with_the_continued_index():
    pd = pytest.importorskip("pandas")
    y = pd.Series(np.sin(np.arange(48) / 2.0) + 5, index=pd.date_range("2020-01-01", periods=48, freq="MS"),
                  name="sales")
    model = ARForecaster(lags=2).fit(y)
    fc = model.predict(3)
    assert isinstance(fc, pd.Series) and fc.name == "sales"
    assert list(fc.index) == list(pd.date_range("2024-01-01", periods=3, freq="MS"))
    np.testing.assert_allclose(fc.to_numpy(), ARForecaster(lags=2).fit(y.to_numpy()).predict(3), rtol=1e-12)
    band = model.predict_interval(3)
    assert band.index[0] == pd.Timestamp("2024-01-01") and list(band.to_frame().columns) == ["mean", "lower", "upper"]
    model.update([5.0, 5.1])  # two more months observed
    assert model.predict(1).index[0] == pd.Timestamp("2024-03-01")
    q = model.predict_quantiles(2, q=[0.1, 0.9])
    assert list(q.columns) == [0.1, 0.9] and q.index[0] == pd.Timestamp("2024-03-01")
    years = pd.Series(np.arange(10.0), index=pd.Index(range(1900, 1920, 2)))
    assert list(Persistence().fit(years).predict(2).index) == [1920, 1922]
    periods = pd.Series(np.arange(8.0), index=pd.period_range("2001Q1", periods=8, freq="Q"))
    assert str(SeasonalNaive(season_length=4).fit(periods).predict(1).index[0]) == "2003Q1"


def test_an_index_without_inferable_frequency_is_a_typed_error():
    pd = pytest.importorskip("pandas")
    dates = pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-05", "2020-01-09", "2020-02-01"])
    with pytest.raises(DataError, match="no inferable frequency") as err:
        ARForecaster(lags=1).fit(pd.Series(np.arange(5.0), index=dates))
    assert "\n" not in str(err.value)
    with pytest.raises(DataError, match="no constant step"):
        Persistence().fit(pd.Series(np.arange(4.0), index=[1, 2, 4, 8]))


# ---------------------------------------------------------------------- multi-column AR (VAR)
def var_data(rng: np.random.Generator, n: int) -> np.ndarray:
    y = np.zeros((n, 2))
    for t in range(2, n):
        y[t] = [1 + 0.5 * y[t - 1, 0] - 0.2 * y[t - 1, 1] + 0.1 * y[t - 2, 0],
                0.5 + 0.3 * y[t - 1, 0] + 0.4 * y[t - 1, 1]] + rng.normal(size=2)
    return y


@pytest.mark.reference
@pytest.mark.parametrize("p", [1, 2, 4])
def test_multicolumn_ar_equals_statsmodels_var(rng, p):
    from statsmodels.tsa.api import VAR

    y = var_data(rng, 300)
    model = ARForecaster(lags=p).fit(y)
    ref = VAR(y).fit(p, trend="c")
    np.testing.assert_allclose(model.params_, ref.params, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(model.coef_, ref.coefs, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(model.sigma_u_, ref.sigma_u, rtol=1e-8)
    fc = model.predict_interval(8, coverage=0.9)
    mid, lo, hi = ref.forecast_interval(y[-p:], 8, alpha=0.1)
    assert fc.mean.shape == (8, 2)
    np.testing.assert_allclose(fc.mean, mid, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fc.lower, lo, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fc.upper, hi, rtol=1e-8, atol=1e-10)


def test_multicolumn_ar_updates_saves_and_backtests(rng, tmp_path):
    y = var_data(rng, 200)
    model = ARForecaster(lags=2).fit(y[:150])
    model.update(y[150:170])
    np.testing.assert_allclose(model.predict(4), ARForecaster(lags=2).fit(y[:170]).predict(4), rtol=1e-12)
    back = ARForecaster.load(model.save(tmp_path / "var"))
    np.testing.assert_array_equal(back.predict_interval(3).upper, model.predict_interval(3).upper)
    res = backtest(ARForecaster(lags=2), y, WalkForward(initial=150, horizon=2), coverage=0.9)
    assert res.predictions.shape == (98, 2) and 0 <= res.metrics["coverage"] <= 1
    with pytest.raises(DataError, match="one-column AR"):
        model.summary()
    with pytest.raises(InvalidParameterError, match="multi-column"):
        ARForecaster(lags=2).fit(y, X=np.ones((200, 1)))


def test_multicolumn_ar_of_a_dataframe_returns_a_dataframe(rng):
    pd = pytest.importorskip("pandas")
    y = var_data(rng, 60)
    frame = pd.DataFrame(y, columns=["a", "b"], index=pd.date_range("2020-01-01", periods=60, freq="D"))
    out = ARForecaster(lags=1).fit(frame).predict(2)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["a", "b"]
    assert out.index[0] == pd.Timestamp("2020-03-01")


# ---------------------------------------------------------------------- several series: one global model
def test_global_ar_is_least_squares_on_the_stacked_rows(rng):
    ys = [ar2(rng, n) for n in (50, 80, 30)]
    model = ARForecaster(lags=2).fit(ys)
    rows = [(y[t - 1], y[t - 2], y[t]) for y in ys for t in range(2, len(y))]  # no window crosses two series
    D = np.array([[1.0, a, b] for a, b, _ in rows])
    beta = np.linalg.lstsq(D, np.array([c for *_, c in rows]), rcond=None)[0]
    np.testing.assert_allclose(model.params_[0], beta, rtol=1e-10)
    assert model.nobs_ == len(rows)
    own = ARForecaster(lags=2).fit(ys[0])
    own.params_ = model.params_.copy()  # the same parameters conditioned on series 0
    np.testing.assert_allclose(model.predict(4, series=ys[0]), own.predict(4), rtol=1e-12)
    model.update([1.0, 2.0])  # appends to the last series; equals a fresh global fit
    fresh = ARForecaster(lags=2).fit([ys[0], ys[1], np.concatenate([ys[2], [1.0, 2.0]])])
    np.testing.assert_allclose(model.params_, fresh.params_, rtol=1e-9)
    assert model.nobs_ == fresh.nobs_


def test_global_lag_regressor_and_multi_series_backtest(rng, tmp_path):
    sklearn = pytest.importorskip("sklearn.linear_model")
    ys = [np.cumsum(rng.normal(size=90)) for _ in range(3)]
    lr = LagRegressor(estimator=sklearn.LinearRegression(), lags=2).fit(ys)
    ar = ARForecaster(lags=2).fit(ys)
    np.testing.assert_allclose(lr.predict(3, series=ys[1]), ar.predict(3, series=ys[1]), rtol=1e-8)
    res = backtest(ARForecaster(lags=2), ys, WalkForward(initial=70, horizon=2), coverage=0.9)
    assert res.predictions.shape == (3 * 38,) and len(res.metrics_by_series) == 3
    fold0 = ARForecaster(lags=2).fit([y[:70] for y in ys]).predict_interval(2, series=ys[2][:70])
    np.testing.assert_allclose(res.for_series(2).predictions[:2], fold0.mean, rtol=1e-12)
    np.testing.assert_allclose(res.for_series(2).upper[:2], fold0.upper, rtol=1e-12)
    per = res.metrics_by_series
    assert res.metrics["mase"] == pytest.approx(np.mean([row["mase"] for row in per]), rel=1e-12)
    assert res.for_series(1).metrics["mae"] == pytest.approx(
        np.abs(res.predictions - res.actuals)[res.series_id == 1].mean(), rel=1e-12)
    res.plot(str(tmp_path / "many.png"))
    with pytest.raises(DataError, match="one length"):
        backtest(ARForecaster(lags=2), [ys[0], ys[1][:50]], WalkForward(initial=40))


def test_global_lag_regressor_update_keeps_the_other_series(rng):
    sklearn = pytest.importorskip("sklearn.linear_model")
    ys = [np.cumsum(rng.normal(size=60)) for _ in range(2)]
    model = LagRegressor(estimator=sklearn.LinearRegression(), lags=2).fit(ys)
    model.update([1.0, 2.0])
    fresh = LagRegressor(estimator=sklearn.LinearRegression(), lags=2).fit([ys[0], np.concatenate([ys[1], [1.0, 2.0]])])
    np.testing.assert_allclose(model.predict(3), fresh.predict(3), rtol=1e-10)


def test_score_goes_through_predict_for_every_forecaster():
    # one-step MAE of persistence on 10, 11, ..., 14 after 0..9: every forecast is one behind
    assert Persistence().fit(np.arange(10.0)).score(np.arange(10.0, 15.0)) == -1.0
    pytest.importorskip("torch")
    from seqlab.models.forecaster import MLPForecaster

    model = MLPForecaster(lags=3, epochs=2).fit(np.sin(np.arange(60) / 3.0))
    assert np.isfinite(model.score(np.sin(np.arange(60, 70) / 3.0)))
