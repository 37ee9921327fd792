"""``seqlab forecast`` with intervals, the lag regressor and the new plots."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqlab.forecast import ARForecaster, LagRegressor, WalkForward, backtest


def test_backtest_with_coverage_reports_coverage_and_interval_score(cli, yearly_csv):
    path, x = yearly_csv
    res = cli("forecast", "backtest", "--data", path, "--lags", "2", "--initial", "150", "--initial-kind", "count",
              "--horizon", "4", "--step", "4", "--coverage", "0.9", "--format", "json")
    assert res.code == 0, res.err
    out = json.loads(res.out)
    ref = backtest(ARForecaster(lags=2), x, WalkForward(initial=150, horizon=4, step=4), coverage=0.9)
    np.testing.assert_allclose(out["lower"], ref.lower, rtol=1e-12)
    assert out["metrics"]["coverage"] == pytest.approx(ref.metrics["coverage"])
    assert out["metrics"]["interval_score"] == pytest.approx(ref.metrics["interval_score"], rel=1e-12)
    assert "coverage" in out["metrics_by_lead"][3]


def test_conformal_backtest_and_table_output(cli, yearly_csv):
    path, _ = yearly_csv
    res = cli("forecast", "backtest", "--data", path, "--model", "persistence", "--initial", "120",
              "--initial-kind", "count", "--coverage", "0.8", "--conformal", "--calibration", "40")
    assert res.code == 0, res.err
    assert "coverage" in res.out and "interval_score" in res.out and "ConformalForecaster" in res.out


def test_lag_regressor_backtest_fit_and_predict_with_intervals(cli, yearly_csv, tmp_path):
    pytest.importorskip("sklearn")
    from sklearn.linear_model import Ridge

    path, x = yearly_csv
    res = cli("forecast", "backtest", "--data", path, "--model", "lag-regressor", "--regressor", "ridge",
              "--lags", "3", "--initial", "1880", "--format", "json")
    assert res.code == 0, res.err
    ref = backtest(LagRegressor(estimator=Ridge(alpha=1.0), lags=3), x, WalkForward(initial=181))
    np.testing.assert_allclose(json.loads(res.out)["predictions"], ref.predictions, rtol=1e-10)
    for regressor in ("ridge", "random-forest"):
        out_dir = tmp_path / regressor
        res = cli("forecast", "fit", "--data", path, "--model", "lag-regressor", "--regressor", regressor,
                  "--lags", "3", "-o", out_dir)
        assert res.code == 0, res.err
        res = cli("forecast", "predict", out_dir, "--horizon", "3", "--coverage", "0.9", "--format", "json")
        assert res.code == 0, res.err
        rows = json.loads(res.out)
        assert [r["label"] for r in rows] == [1900, 1901, 1902]
        assert all(r["lower"] <= r["forecast"] <= r["upper"] for r in rows)


def test_unsaveable_regressor_and_bad_coverage_are_clean_errors(cli, yearly_csv, tmp_path):
    pytest.importorskip("sklearn")
    path, _ = yearly_csv
    res = cli("forecast", "fit", "--data", path, "--model", "lag-regressor", "--regressor", "gradient-boosting",
              "--lags", "2", "-o", tmp_path / "gb")
    assert res.code == 1 and len(res.err.strip().splitlines()) == 1, res.err
    assert "cannot save a GradientBoostingRegressor" in res.err
    for bad in ("0", "1", "1.5", "-0.2"):
        res = cli("forecast", "backtest", "--data", path, "--initial", "150", "--coverage", bad)
        assert res.code == 1 and len(res.err.strip().splitlines()) == 1, res.err
        assert "--coverage must be strictly between 0 and 1" in res.err
    res = cli("forecast", "backtest", "--data", path, "--initial", "150", "--coverage", "x")
    assert res.code == 2, "not a number: a usage error"
    res = cli("forecast", "fit", "--data", path, "--lags", "2", "-o", tmp_path / "ar")
    res = cli("forecast", "predict", tmp_path / "ar", "--coverage", "1.0")
    assert res.code == 1 and "--coverage must be" in res.err


def test_both_plot_kinds_are_written(cli, yearly_csv, tmp_path):
    pytest.importorskip("matplotlib")
    path, _ = yearly_csv
    for kind in ("paths", "leads"):
        png = tmp_path / f"{kind}.png"
        res = cli("forecast", "backtest", "--data", path, "--lags", "2", "--initial", "150", "--horizon", "6",
                  "--step", "6", "--coverage", "0.9", "--plot", png, "--plot-kind", kind)
        assert res.code == 0, res.err
        assert png.stat().st_size > 10_000


def test_predict_continues_dates_and_refuses_irregular_ones(cli, tmp_path):
    pytest.importorskip("pandas")
    monthly = tmp_path / "monthly.csv"
    monthly.write_text("month,v\n" + "".join(f"{2000 + i // 12}-{i % 12 + 1:02d},{10 + i % 12}\n" for i in range(36)))
    res = cli("forecast", "fit", "--data", monthly, "--model", "seasonal-naive", "--season-length", "12",
              "-o", tmp_path / "m")
    assert res.code == 0, res.err
    res = cli("forecast", "predict", tmp_path / "m", "--horizon", "3", "--format", "json")
    assert [r["label"] for r in json.loads(res.out)] == ["2003-01", "2003-02", "2003-03"]
    irregular = tmp_path / "irregular.csv"
    irregular.write_text("date,v\n2020-01-01,1\n2020-01-02,2\n2020-01-05,3\n2020-01-09,4\n2020-02-01,5\n")
    res = cli("forecast", "fit", "--data", irregular, "--lags", "1", "-o", tmp_path / "i")
    assert res.code == 1 and len(res.err.strip().splitlines()) == 1 and "no inferable frequency" in res.err
    res = cli("forecast", "fit", "--data", irregular, "--lags", "1", "-o", tmp_path / "i", "--ignore-index")
    assert res.code == 0, res.err
    res = cli("forecast", "predict", tmp_path / "i", "--horizon", "2", "--format", "json")
    assert "label" not in json.loads(res.out)[0]


def test_two_column_ar_from_the_command_line(cli, tmp_path):
    rng = np.random.default_rng(0)
    y = np.cumsum(rng.normal(size=(80, 2)), axis=0) * 0.1
    path = tmp_path / "two.csv"
    path.write_text("t,a,b\n" + "".join(f"{i},{float(a)!r},{float(b)!r}\n" for i, (a, b) in enumerate(y)))
    res = cli("forecast", "fit", "--data", path, "--column", "a,b", "--index-column", "t", "--lags", "2",
              "-o", tmp_path / "m")
    assert res.code == 0, res.err
    res = cli("forecast", "predict", tmp_path / "m", "--horizon", "2", "--coverage", "0.9", "--format", "json")
    assert res.code == 0, res.err
    rows = json.loads(res.out)
    np.testing.assert_allclose([rows[0]["x0"], rows[0]["x1"]], ARForecaster(lags=2).fit(y).predict(1)[0], rtol=1e-10)
    assert rows[0]["x0_lower"] < rows[0]["x0"] < rows[0]["x0_upper"] and rows[1]["label"] == 81


def test_neural_backtest_gets_conformal_intervals_by_default(cli, yearly_csv):
    pytest.importorskip("torch")
    path, _ = yearly_csv
    res = cli("forecast", "backtest", "--data", path, "--model", "mlp", "--lags", "4", "--epochs", "3",
              "--initial", "1850", "--horizon", "2", "--refit-every", "0", "--coverage", "0.8", "--format", "json")
    assert res.code == 0, res.err
    out = json.loads(res.out)
    assert out["intervals"] == "conformal" and out["model"].startswith("ConformalForecaster(MLPForecaster")
    assert 0 <= out["metrics"]["coverage"] <= 1 and len(out["lower"]) == out["n_targets"]


@pytest.fixture
def exog_csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    X = rng.normal(size=(n, 2))
    y = np.zeros(n)
    for t in range(1, n):
        y[t] = 1 + 0.5 * y[t - 1] + 2 * X[t, 0] - X[t, 1] + rng.normal()
    path = tmp_path / "exog.csv"
    path.write_text("t,y,a,b\n" + "".join(f"{i},{float(y[i])!r},{float(X[i, 0])!r},{float(X[i, 1])!r}\n"
                                          for i in range(n)))
    return path, y, X


def test_exogenous_columns_from_the_command_line(cli, exog_csv, tmp_path):
    path, y, X = exog_csv
    base = ("--data", path, "--column", "y", "--index-column", "t", "--exog", "a,b", "--lags", "1")
    res = cli("forecast", "backtest", *base, "--initial", "99", "--format", "json")
    assert res.code == 0, res.err
    ref = backtest(ARForecaster(lags=1), y, WalkForward(initial=100), X=X)
    np.testing.assert_allclose(json.loads(res.out)["predictions"], ref.predictions, rtol=1e-10)
    res = cli("forecast", "fit", *base, "-o", tmp_path / "arx", "--summary", "--format", "json")
    assert res.code == 0, res.err
    table = json.loads(res.out)["summary"]
    names = [row["name"] for row in table["coefficients"]]
    assert names == ["const", "y.L1", "x1", "x2"]
    future = tmp_path / "future.csv"
    future.write_text("a,b\n1.0,0.0\n0.0,1.0\n")
    res = cli("forecast", "predict", tmp_path / "arx", "--horizon", "2", "--exog-future", future, "--format", "json")
    assert res.code == 0, res.err
    expected = ARForecaster(lags=1).fit(y, X=X).predict(2, X_future=np.array([[1.0, 0.0], [0.0, 1.0]]))
    np.testing.assert_allclose([r["forecast"] for r in json.loads(res.out)], expected, rtol=1e-10)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1.0,nan\n0.0,1.0\n")
    for args, message in [(("--horizon", "3", "--exog-future", future), "X_future must have shape (3, 2)"),
                          (("--horizon", "2", "--exog-future", bad), "NaN"),
                          (("--horizon", "2"), "pass X_future")]:
        res = cli("forecast", "predict", tmp_path / "arx", *args)
        assert res.code == 1 and len(res.err.strip().splitlines()) == 1 and message in res.err, res.err
    res = cli("forecast", "backtest", "--data", path, "--column", "y", "--exog", "a", "--model", "mean",
              "--initial", "100")
    assert res.code == 1 and "--exog works with" in res.err


def test_global_model_over_columns_from_the_command_line(cli, tmp_path):
    rng = np.random.default_rng(0)
    y = np.cumsum(rng.normal(size=(100, 3)), axis=0)
    path = tmp_path / "three.csv"
    path.write_text("t,a,b,c\n" + "".join(f"{i}," + ",".join(repr(float(v)) for v in y[i]) + "\n" for i in range(100)))
    res = cli("forecast", "backtest", "--data", path, "--column", "a,b,c", "--index-column", "t", "--global",
              "--lags", "2", "--initial", "80", "--initial-kind", "count", "--horizon", "2", "--format", "json")
    assert res.code == 0, res.err
    out = json.loads(res.out)
    ref = backtest(ARForecaster(lags=2), [y[:, j] for j in range(3)], WalkForward(initial=80, horizon=2))
    np.testing.assert_allclose(out["predictions"], ref.predictions, rtol=1e-10)
    assert len(out["metrics_by_series"]) == 3 and out["series_id"][-1] == 2
    res = cli("forecast", "backtest", "--data", path, "--column", "a", "--global", "--initial", "80")
    assert res.code == 1 and "--global needs several --column values" in res.err
