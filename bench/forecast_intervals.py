"""Empirical coverage of 90% prediction intervals on the bundled series (issue 15).

For each bundled series (the long daily/weekly ones are cut to their last ``MAX_POINTS``
values to keep the run short) a walk-forward backtest forecasts ``H`` steps from every origin
after the first 60% of the series (``step=1``) and records how often the 90% interval holds
the actual value, lead 1 alone and all leads pooled, plus the mean interval score:

- ``ar``: AR(p), p chosen by AIC on the first training window, refit at every origin, analytic
  intervals (the MA(inf) weights and sigma2);
- ``statsmodels``: ``AutoReg(y[:o], p).fit().get_prediction(...).conf_int(alpha=0.1)`` at the
  same origins (its coverage, and the largest difference from seqlab's bounds);
- ``seasonal-naive``: the analytic seasonal-naive interval (FPP3 5.5);
- ``ar-conformal``, ``mlp-conformal``, ``lstm-conformal``: ``ConformalForecaster`` with 30% of
  the training window as calibration; the neural models are trained once and then only fed the
  new values (``refit_every=None``), as the CLI does with ``--refit-every 0``.

- ``darts-conformal`` (only when darts imports): darts ``ConformalNaiveModel`` around a
  ``LinearRegressionModel(lags=p)`` fitted once on the first training window,
  ``historical_forecasts(..., retrain=False, predict_likelihood_parameters=True)`` with the
  0.05 / 0.95 quantiles. darts is not in the shared environment; the run that wrote the results
  used ``pip install --no-deps --target DIR darts==0.48.1`` (plus its missing pure-Python
  dependencies in a second directory) on ``PYTHONPATH``, which leaves the environment unchanged.

Writes ``bench/results/forecast_intervals.json``. Run: ``python bench/forecast_intervals.py``
(about 40 s on 2 shared cores; ``--quick`` runs the classical models only).
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from seqlab import datasets  # noqa: E402
from seqlab.forecast import (  # noqa: E402
    ARForecaster,
    ConformalForecaster,
    SeasonalNaive,
    WalkForward,
    backtest,
    interval_coverage,
    interval_score,
    select_order,
)

COVERAGE = 0.9
MAX_POINTS = 400
SERIES = {  # name: (season length, horizon)
    "sunspots": (11, 6),
    "airline": (12, 6),
    "births": (7, 7),
    "co2": (52, 6),
    "nile": (1, 6),
    "lynx": (10, 6),
}


def load(name: str) -> np.ndarray:
    y = np.asarray(datasets.load(name).values, dtype=np.float64)
    return y[-MAX_POINTS:]


def summarise(res: Any, seconds: float) -> dict[str, Any]:
    lead1 = res.lead == 1
    return {
        "coverage_lead1": interval_coverage(res.actuals[lead1], res.lower[lead1], res.upper[lead1]),
        "coverage_all_leads": res.metrics["coverage"],
        "interval_score": res.metrics["interval_score"],
        "mae": res.metrics["mae"],
        "n_targets": int(len(res.predictions)),
        "seconds": round(seconds, 3),
    }


def statsmodels_side(y: np.ndarray, p: int, initial: int, horizon: int, ours: Any) -> dict[str, Any]:
    from statsmodels.tsa.ar_model import AutoReg

    t0 = time.perf_counter()
    lower, upper = [], []
    for origin in range(initial, len(y) - horizon + 1):
        pred = AutoReg(y[:origin], p, trend="c").fit().get_prediction(origin, origin + horizon - 1)
        ci = pred.conf_int(alpha=1 - COVERAGE)
        lower.append(ci[:, 0])
        upper.append(ci[:, 1])
    seconds = time.perf_counter() - t0
    lo, hi = np.concatenate(lower), np.concatenate(upper)
    lead1 = ours.lead == 1
    return {
        "coverage_lead1": interval_coverage(ours.actuals[lead1], lo[lead1], hi[lead1]),
        "coverage_all_leads": interval_coverage(ours.actuals, lo, hi),
        "max_abs_diff_vs_seqlab": float(max(np.abs(lo - ours.lower).max(), np.abs(hi - ours.upper).max())),
        "seconds": round(seconds, 3),
    }


def darts_side(y: np.ndarray, p: int, initial: int, horizon: int, ours: Any) -> dict[str, Any] | None:
    """darts' conformal intervals at the same origins, or None when darts is not importable."""
    try:
        import warnings

        from darts import TimeSeries
        from darts.models import ConformalNaiveModel, LinearRegressionModel
    except ImportError:
        return None
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        series = TimeSeries.from_values(y)
        base = LinearRegressionModel(lags=p).fit(series[:initial])
        model = ConformalNaiveModel(base, quantiles=[0.05, 0.5, 0.95])
        fcs = model.historical_forecasts(series, start=initial, forecast_horizon=horizon, stride=1, retrain=False,
                                         last_points_only=False, predict_likelihood_parameters=True, verbose=False)
    seconds = time.perf_counter() - t0
    lo = np.concatenate([f.values()[:, 0] for f in fcs])
    hi = np.concatenate([f.values()[:, 2] for f in fcs])
    pos = np.concatenate([np.arange(int(f.start_time()), int(f.start_time()) + len(f)) for f in fcs])
    if not np.array_equal(pos, ours.positions):
        raise RuntimeError("darts forecast other targets than seqlab's backtest")
    lead1 = ours.lead == 1
    return {
        "coverage_lead1": interval_coverage(y[pos][lead1], lo[lead1], hi[lead1]),
        "coverage_all_leads": interval_coverage(y[pos], lo, hi),
        "interval_score": float(interval_score(y[pos], lo, hi, COVERAGE)),
        "n_targets": int(len(pos)),
        "seconds": round(seconds, 3),
    }


def run(quick: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (m, horizon) in SERIES.items():
        y = load(name)
        initial = int(0.6 * len(y))
        splitter = WalkForward(initial=initial, horizon=horizon)
        p = max(1, select_order(y[:initial], min(24, max(2 * m, 8)), ic="aic").order)
        rows: dict[str, Any] = {"n_values": len(y), "initial": initial, "horizon": horizon, "season_length": m,
                                "ar_lags": p}
        t0 = time.perf_counter()
        ar = backtest(ARForecaster(lags=p), y, splitter, coverage=COVERAGE)
        rows["ar"] = summarise(ar, time.perf_counter() - t0)
        rows["statsmodels"] = statsmodels_side(y, p, initial, horizon, ar)
        darts_row = darts_side(y, p, initial, horizon, ar)
        if darts_row is not None:
            rows["darts-conformal"] = darts_row
        t0 = time.perf_counter()
        sn = backtest(SeasonalNaive(season_length=m), y, splitter, coverage=COVERAGE)
        rows["seasonal-naive"] = summarise(sn, time.perf_counter() - t0)
        cal = max(int(0.3 * initial), 19 + horizon)  # >= 19 errors per lead for a 90% conformal band
        t0 = time.perf_counter()
        arc = backtest(ConformalForecaster(ARForecaster(lags=p), horizon=horizon, n_calibration=cal), y, splitter,
                       coverage=COVERAGE)
        rows["ar-conformal"] = summarise(arc, time.perf_counter() - t0)
        if not quick:
            from seqlab.models.forecaster import MLPForecaster, RecurrentForecaster

            lags = max(4, min(2 * m, 24))
            neural = {"mlp-conformal": MLPForecaster(lags=lags, epochs=60, random_state=0),
                      "lstm-conformal": RecurrentForecaster(cell="lstm", lags=lags, epochs=15, d_hidden=16,
                                                            random_state=0)}
            once = WalkForward(initial=initial, horizon=horizon, refit_every=None)
            for key, model in neural.items():
                t0 = time.perf_counter()
                res = backtest(ConformalForecaster(model, horizon=horizon, n_calibration=cal), y, once,
                               coverage=COVERAGE)
                rows[key] = summarise(res, time.perf_counter() - t0)
        out[name] = rows
        print(name, {k: (v["coverage_lead1"], v["coverage_all_leads"]) for k, v in rows.items()
                     if isinstance(v, dict)}, flush=True)
    return out


def _darts_version() -> str | None:
    try:
        import darts
    except ImportError:
        return None
    return str(darts.__version__)


def main() -> None:
    quick = "--quick" in sys.argv
    results = {
        "nominal_coverage": COVERAGE,
        "max_points": MAX_POINTS,
        "quick": quick,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "darts": _darts_version(),
        "series": run(quick),
    }
    path = Path(__file__).resolve().parent / "results" / "forecast_intervals.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
