"""``seqlab forecast``: backtest, fit, predict; CSV and plain files; one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqlab.forecast import ARForecaster, WalkForward, backtest


def test_backtest_json_matches_the_library(cli, yearly_csv):
    path, x = yearly_csv
    res = cli("forecast", "backtest", "--data", path, "--model", "ar", "--lags", "3", "--initial", "1850",
              "--horizon", "1", "--refit-every", "1", "--format", "json")
    assert res.code == 0, res.err
    out = json.loads(res.out)
    assert out["initial"] == 151 and out["index"][0] == 1851, "1850 is a year label: first forecast for 1851"
    ref = backtest(ARForecaster(lags=3), x, WalkForward(initial=151))
    np.testing.assert_allclose(out["predictions"], ref.predictions, rtol=1e-12, atol=0)
    assert out["metrics"]["mae"] == pytest.approx(ref.metrics["mae"], rel=1e-12)


def test_initial_as_a_count_and_plot(cli, yearly_csv, tmp_path):
    path, _ = yearly_csv
    res = cli("forecast", "backtest", "--data", path, "--model", "persistence", "--initial", "150",
              "--plot", tmp_path / "p.png")
    assert res.code == 0, res.err
    assert "count: the first 150 points" in res.out and "mae" in res.out
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_fit_then_predict_continues_the_index(cli, yearly_csv, tmp_path):
    path, x = yearly_csv
    res = cli("forecast", "fit", "--data", path, "--lags", "2", "-o", tmp_path / "m")
    assert res.code == 0, res.err
    res = cli("forecast", "predict", tmp_path / "m", "--horizon", "3", "--format", "json")
    assert res.code == 0, res.err
    rows = json.loads(res.out)
    assert [r["label"] for r in rows] == [1900, 1901, 1902]
    np.testing.assert_allclose([r["forecast"] for r in rows], ARForecaster(lags=2).fit(x).predict(3), rtol=1e-12)


def test_plain_file_and_order_selection(cli, tmp_path, yearly_csv):
    _, x = yearly_csv
    plain = tmp_path / "plain.txt"
    plain.write_text("\n".join(repr(float(v)) for v in x) + "\n")
    res = cli("forecast", "backtest", "--data", plain, "--lags", "aic", "--initial", "150", "--format", "json")
    assert res.code == 0, res.err
    out = json.loads(res.out)
    assert out["n_targets"] == 50 and 1 <= out["selected_lags"] <= 12


@pytest.mark.parametrize(
    "content,args,message",
    [
        ("YEAR,VALUE\n1700,1\n1701,abc\n1702,3\n", (), "line 3, column 'VALUE': 'abc' is not a number"),
        ("1\n2\nnan\n4\n5\n6\n", (), "non-finite value (nan) at index 2"),
        ("1\n2\n3\n4\n5\n6\n", ("--initial", "10"), "leaves no test points"),
        ("1\n2\n3\n4\n5\n6\n", ("--horizon", "0"), "--horizon must be >= 1"),
        ("1\n2\n3\n4\n5\n6\n", ("--lags", "9"), "needs at least 11"),
        ("a,b,c\n1,2,3\n", (), "choose the values with --column"),
    ],
)
def test_bad_input_gives_one_line_errors(cli, tmp_path, content, args, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    base = {"--initial": "3", "--lags": "1"}
    extra = dict(zip(args[::2], args[1::2], strict=True))
    flat = [a for k, v in {**base, **extra}.items() for a in (k, v)]
    res = cli("forecast", "backtest", "--data", path, *flat)
    assert res.code == 1, res.out
    assert res.err.startswith("seqlab: error:") and len(res.err.strip().splitlines()) == 1, res.err
    assert message in res.err, res.err


def test_fill_policy_and_missing_file(cli, tmp_path):
    path = tmp_path / "gaps.txt"
    path.write_text("1\n2\nnan\n4\n5\n6\n7\n")
    res = cli("forecast", "backtest", "--data", path, "--model", "mean", "--initial", "3", "--fill", "interpolate")
    assert res.code == 0, res.err
    res = cli("forecast", "backtest", "--data", tmp_path / "nope.csv", "--initial", "3")
    assert res.code == 1 and "seqlab: error:" in res.err


def test_neural_model_from_the_command_line(cli, yearly_csv, tmp_path):
    pytest.importorskip("torch")
    path, _ = yearly_csv
    res = cli("forecast", "backtest", "--data", path, "--model", "mlp", "--lags", "4", "--epochs", "5",
              "--initial", "1880", "--refit-every", "0", "--format", "json")
    assert res.code == 0, res.err
    assert json.loads(res.out)["n_targets"] == 19
    res = cli("forecast", "fit", "--data", path, "--model", "gru", "--lags", "4", "--epochs", "2", "-o", tmp_path / "g")
    assert res.code == 0, res.err
    res = cli("forecast", "predict", tmp_path / "g", "--horizon", "2")
    assert res.code == 0 and "1900" in res.out, res.err


def test_bundled_sunspots_with_a_year_as_initial(cli):
    datasets = pytest.importorskip("seqlab.datasets")
    years = datasets.load("sunspots").index
    res = cli("forecast", "backtest", "--data", "sunspots", "--model", "ar", "--lags", "9", "--initial", "1920",
              "--horizon", "1", "--refit-every", "1", "--format", "json")
    assert res.code == 0, res.err
    out = json.loads(res.out)
    assert out["index"][0] == 1921 and out["index"][-1] == int(years[-1]) and out["n_targets"] == len(years) - 221
