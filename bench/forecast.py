"""Walk-forward AR(p) backtest on yearly sunspots: seqlab vs statsmodels (and darts if importable).

For p = 1..12, forecast every year from 1921 to 2008 one step ahead, re-estimating the model on
all earlier years before each forecast (expanding window, refit every step):

- seqlab: ``backtest(ARForecaster(lags=p), y, WalkForward(initial=221))`` (incremental normal
  equations);
- statsmodels: ``AutoReg(y[:o], p, trend="c").fit().predict(o, o)`` for each origin ``o``;
- darts (optional; ``pip install --target DIR darts`` and put DIR on PYTHONPATH, which leaves a
  shared environment untouched): ``LinearRegressionModel(lags=p).historical_forecasts(...,
  retrain=True)`` on the same series.

Every side's predictions are checked against seqlab's (max absolute difference reported).
Each timing is the best of ``REPEATS`` runs in this one process; the ratios are what the README
quotes. Writes ``bench/results/forecast.json``.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from seqlab.forecast import ARForecaster, WalkForward, backtest  # noqa: E402

REPEATS = 5
MAX_P = 12
FIRST_TEST_YEAR = 1921


def load_sunspots() -> tuple[np.ndarray, np.ndarray, str]:
    try:
        from seqlab import datasets  # type: ignore[attr-defined]

        s = datasets.load("sunspots")
        return np.asarray(s.values, float), np.asarray(s.index), "seqlab.datasets 'sunspots'"
    except Exception:
        import statsmodels.api as sm

        df = sm.datasets.sunspots.load_pandas().data
        return df["SUNACTIVITY"].to_numpy(float), df["YEAR"].to_numpy(int), "statsmodels.datasets.sunspots"


def best_of(fn, repeats: int = REPEATS) -> tuple[float, np.ndarray]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def seqlab_side(y: np.ndarray, p: int, initial: int) -> np.ndarray:
    return backtest(ARForecaster(lags=p), y, WalkForward(initial=initial, refit_every=1), metrics=("mae",)).predictions


def statsmodels_side(y: np.ndarray, p: int, initial: int) -> np.ndarray:
    from statsmodels.tsa.ar_model import AutoReg

    return np.array([AutoReg(y[:o], p, trend="c").fit().predict(o, o)[0] for o in range(initial, len(y))])


def darts_side(y: np.ndarray, p: int, initial: int) -> np.ndarray:
    from darts import TimeSeries
    from darts.models import LinearRegressionModel

    series = TimeSeries.from_values(y)
    fc = LinearRegressionModel(lags=p).historical_forecasts(
        series, start=initial, forecast_horizon=1, stride=1, retrain=True, last_points_only=True, verbose=False)
    return fc.values().ravel()


def main() -> None:
    y, years, source = load_sunspots()
    initial = int(np.flatnonzero(years == FIRST_TEST_YEAR - 1)[0]) + 1
    try:
        import darts

        have_darts = darts.__version__
    except ImportError:
        have_darts = None
    seqlab_side(y, 1, initial)  # one untimed warm-up per side (lazy imports, first-call caches)
    statsmodels_side(y, 1, initial)
    rows = []
    for p in range(1, MAX_P + 1):
        t_seq, pred_seq = best_of(lambda p=p: seqlab_side(y, p, initial))
        t_sm, pred_sm = best_of(lambda p=p: statsmodels_side(y, p, initial))
        row = {"p": p, "seqlab_s": t_seq, "statsmodels_s": t_sm, "speedup_vs_statsmodels": t_sm / t_seq,
               "max_abs_diff_statsmodels": float(np.max(np.abs(pred_seq - pred_sm)))}
        if have_darts:
            t_d, pred_d = best_of(lambda p=p: darts_side(y, p, initial), repeats=1)
            row.update(darts_s=t_d, speedup_vs_darts=t_d / t_seq,
                       max_abs_diff_darts=float(np.max(np.abs(pred_seq - pred_d))))
        rows.append(row)
        print(f"p={p:2d}  seqlab {t_seq * 1e3:7.2f} ms  statsmodels {t_sm * 1e3:8.1f} ms  "
              f"x{row['speedup_vs_statsmodels']:6.1f}  diff {row['max_abs_diff_statsmodels']:.2e}"
              + (f"  darts {row['darts_s'] * 1e3:8.1f} ms x{row['speedup_vs_darts']:6.1f} "
                 f"diff {row['max_abs_diff_darts']:.2e}" if have_darts else ""))
    total = {k: sum(r[k] for r in rows) for k in ("seqlab_s", "statsmodels_s") + (("darts_s",) if have_darts else ())}
    import statsmodels

    result = {
        "task": f"yearly sunspots, walk-forward 1-step forecasts {FIRST_TEST_YEAR}..{int(years[-1])} "
                f"({len(y) - initial} origins), expanding window, refit every step, AR(p) with constant, p=1..{MAX_P}",
        "data": source,
        "repeats": f"best of {REPEATS} (darts: 1 run), after one untimed warm-up run per side",
        "machine": f"{platform.machine()}, {platform.python_version()}, shared 2-core host",
        "versions": {"numpy": np.__version__, "statsmodels": statsmodels.__version__, "darts": have_darts},
        "darts_note": None if have_darts else "darts not importable in this run",
        "sktime_note": "not run: pip install sktime (-c constraints) resolves to pandas 3.0.6, a downgrade of the "
                       "shared environment's pandas 3.1.1 (sktime 1.2.0 requires pandas<3.1)",
        "total": {**total, "speedup_vs_statsmodels": total["statsmodels_s"] / total["seqlab_s"],
                  **({"speedup_vs_darts": total["darts_s"] / total["seqlab_s"]} if have_darts else {})},
        "max_abs_diff_statsmodels": max(r["max_abs_diff_statsmodels"] for r in rows),
        "identical_predictions_statsmodels": bool(all(r["max_abs_diff_statsmodels"] < 1e-8 for r in rows)),
        "per_p": rows,
    }
    if have_darts:
        result["max_abs_diff_darts"] = max(r["max_abs_diff_darts"] for r in rows)
    out = Path(__file__).resolve().parent / "results" / "forecast.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["total"], indent=2), "\nidentical:", result["identical_predictions_statsmodels"])
    if not result["identical_predictions_statsmodels"]:
        raise SystemExit("seqlab and statsmodels predictions differ by more than 1e-8")


if __name__ == "__main__":
    main()
