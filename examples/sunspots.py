"""Yearly sunspots: AR(p), MLP-AR, LSTM and baselines in one walk-forward backtest (documents 000, 003).

1. One-step forecasts for every year from 1921 to 2008, each made from the years before it:
   AR(p) for p = 1..12 re-estimated every year (incremental least squares), the MLP-AR of
   document 003 and an LSTM trained once on 1700..1920 (then only fed the new years), and the
   persistence, seasonal-naive (11-year cycle) and mean baselines.
2. Document 003's warning: recursive multi-step forecasts feed on their own predictions, so the
   error builds up with the lead. Forecast 1..16 years ahead from every origin and report MAE by lead.
3. How sure is each forecast? 90% prediction intervals 1..16 years ahead from every 4th year
   after 1920: AR(9)'s analytic intervals (statsmodels' formula) and conformal intervals from
   AR(9)'s own walk-forward errors, with their empirical coverage per lead. Saves the backtest
   plots ``docs/forecast_backtest_paths.png`` (every fold's 16-year path with its band, and
   the error by horizon) and ``docs/forecast_backtest_leads.png`` (one panel per lead).

Run: ``PYTHONPATH=src python examples/sunspots.py [--out docs/forecast_sunspots.png]``
(``--intervals-only`` runs step 3 alone, in a few seconds).
Prints Markdown tables (the README's "Forecasting" section) and saves the figures.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from seqlab.forecast import (
    ARForecaster,
    ConformalForecaster,
    MeanForecaster,
    Persistence,
    SeasonalNaive,
    WalkForward,
    backtest,
    resolve_initial,
    select_order,
)

LEADS = 16


def load_sunspots() -> tuple[np.ndarray, np.ndarray]:
    """Yearly sunspot numbers 1700..2008: the bundled series, else statsmodels' copy."""
    try:
        from seqlab import datasets  # type: ignore[attr-defined]

        s = datasets.load("sunspots")
        return np.asarray(s.values, float), np.asarray(s.index)
    except Exception:
        import statsmodels.api as sm

        df = sm.datasets.sunspots.load_pandas().data
        return df["SUNACTIVITY"].to_numpy(float), df["YEAR"].to_numpy(int)


def neural_models() -> dict[str, object]:
    try:
        from seqlab.models.forecaster import MLPForecaster, RecurrentForecaster
    except ImportError:  # torch missing: classical models only
        return {}
    return {
        "MLP-AR (4 lags, 10-10-1)": MLPForecaster(lags=4, d_hidden=10, n_layers=2, epochs=300),
        "MLP-AR (9 lags, 10-10-1)": MLPForecaster(lags=9, d_hidden=10, n_layers=2, epochs=300),
        "LSTM (32 units, 12-step window)": RecurrentForecaster(cell="lstm", lags=12, d_hidden=32, epochs=150),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/forecast_sunspots.png", help="figure path")
    parser.add_argument("--paths-out", default="docs/forecast_backtest_paths.png", help="interval paths figure")
    parser.add_argument("--leads-out", default="docs/forecast_backtest_leads.png", help="per-lead figure")
    parser.add_argument("--intervals-only", action="store_true", help="run step 3 (intervals) only")
    args = parser.parse_args()

    y, years = load_sunspots()
    initial, how = resolve_initial(1920, years)  # train on 1700..1920, first forecast for 1921
    print(f"yearly sunspots {years[0]}..{years[-1]}, initial {how}")
    if args.intervals_only:
        intervals(args, y, years, initial)
        return
    every_year = WalkForward(initial=initial, refit_every=1)
    once = WalkForward(initial=initial, refit_every=None)

    rows, results = [], {}

    def run(name: str, model: object, splitter: WalkForward) -> None:
        t0 = time.perf_counter()
        res = backtest(model, y, splitter, index=years)
        results[name] = res
        refit = "every year" if splitter.refit_every == 1 else "once (1920)"
        rows.append({"model": name, "refit": refit, **res.metrics, "seconds": time.perf_counter() - t0})

    for p in range(1, 13):
        run(f"AR({p})", ARForecaster(lags=p), every_year)
    for name, model in neural_models().items():
        run(name, model, once)
    run("persistence", Persistence(), every_year)
    run("seasonal naive (11 y)", SeasonalNaive(season_length=11), every_year)
    run("mean", MeanForecaster(), every_year)

    chosen = select_order(y[:initial], 12, ic="aic").order
    print(f"\nAIC on 1700..1920 picks p = {chosen}\n")
    print("| model | refit | MAE | RMSE | sMAPE % | MASE |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['model']} | {r['refit']} | {r['mae']:.2f} | {r['rmse']:.2f} | {r['smape']:.1f} "
              f"| {r['mase']:.3f} |")

    # error build-up of recursive multi-step forecasts (document 003)
    multi = WalkForward(initial=initial, horizon=LEADS, refit_every=None)
    build = {"AR(9)": ARForecaster(lags=9), "persistence": Persistence()}
    for name, model in neural_models().items():
        if "9 lags" in name or "LSTM" in name:
            build[name] = model
    by_lead = {name: backtest(m, y, multi, index=years) for name, m in build.items()}
    print(f"\nRecursive k-step-ahead MAE (fitted on 1700..1920 once; "
          f"forecasts start in {years[initial]}..{years[-LEADS]}):\n")
    leads = (1, 2, 4, 8, 16)
    print("| model | " + " | ".join(f"k={k}" for k in leads) + " |")
    print("| --- | " + " | ".join("---:" for _ in leads) + " |")
    for name, res in by_lead.items():
        maes = {row["lead"]: row["mae"] for row in res.metrics_by_lead}
        print(f"| {name} | " + " | ".join(f"{maes[k]:.1f}" for k in leads) + " |")
    plot(args.out, y, years, initial, results, by_lead)
    print(f"\nfigure: {args.out}")
    intervals(args, y, years, initial)


def intervals(args: argparse.Namespace, y: np.ndarray, years: np.ndarray, initial: int) -> None:
    """Step 3: 90% intervals 1..16 years ahead, analytic vs conformal, and the backtest plots."""
    splitter = WalkForward(initial=initial, horizon=LEADS, step=4)
    analytic = backtest(ARForecaster(lags=9), y, splitter, index=years, coverage=0.9)
    conformal = backtest(ConformalForecaster(ARForecaster(lags=9), horizon=LEADS, n_calibration=80), y, splitter,
                         index=years, coverage=0.9)
    leads = (1, 2, 4, 8, 16)
    print(f"\n90% intervals of AR(9), {len(analytic.predictions) // LEADS} origins every 4 years from "
          f"{years[initial]}: empirical coverage by lead (interval score over all leads)\n")
    print("| intervals | " + " | ".join(f"k={k}" for k in leads) + " | all leads | interval score |")
    print("| --- | " + " | ".join("---:" for _ in leads) + " | ---: | ---: |")
    for name, res in (("analytic (MA(inf) weights, sigma2)", analytic), ("conformal (walk-forward errors)", conformal)):
        cov = {row["lead"]: row["coverage"] for row in res.metrics_by_lead}
        print(f"| {name} | " + " | ".join(f"{100 * cov[k]:.0f}%" for k in leads)
              + f" | {100 * res.metrics['coverage']:.1f}% | {res.metrics['interval_score']:.1f} |")
    analytic.plot(args.paths_out, max_paths=12)
    analytic.plot(args.leads_out, kind="leads")
    print(f"\nfigures: {args.paths_out}, {args.leads_out}")


def plot(path: str, y: np.ndarray, years: np.ndarray, initial: int, results: dict, by_lead: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, mid, bottom) = plt.subplots(3, 1, figsize=(10, 10), height_ratios=(1.2, 1, 1))
    top.plot(years, y, color="0.7", lw=1, label="sunspots (training years grey)")
    top.plot(years[initial:], y[initial:], color="k", lw=1.3, label="actual")
    for name, color in (("AR(9)", "C1"), ("persistence", "C7")):
        res = results[name]
        top.plot(res.index, res.predictions, color=color, lw=1.1, label=f"{name}: MAE {res.metrics['mae']:.1f}")
    for name in results:
        if name.startswith("LSTM"):
            res = results[name]
            top.plot(res.index, res.predictions, color="C2", lw=1.1, label=f"LSTM: MAE {res.metrics['mae']:.1f}")
    top.set_xlim(1880, years[-1] + 1)
    top.set_title("one-step walk-forward forecasts from 1921 (each year predicted from the years before it)")
    top.legend(fontsize=8, loc="upper left")

    names = [n for n in results]
    mid.barh(range(len(names)), [results[n].metrics["mae"] for n in names], color="C0")
    mid.set_yticks(range(len(names)), names, fontsize=7)
    mid.invert_yaxis()
    mid.set_xlabel("MAE of one-step forecasts 1921..2008")

    for i, (name, res) in enumerate(by_lead.items()):
        maes = [row["mae"] for row in res.metrics_by_lead]
        bottom.plot(range(1, len(maes) + 1), maes, marker="o", ms=3, color=f"C{i}", label=name)
    bottom.set_xlabel("lead k (years ahead, recursive forecasts)")
    bottom.set_ylabel("MAE")
    bottom.set_title("errors build up when forecasts feed on their own predictions (document 003)")
    bottom.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
