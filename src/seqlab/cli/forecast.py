"""``seqlab forecast fit|backtest|predict``: forecasting a numeric series from the command line.

Data (``--data``) is a bundled series name (``seqlab datasets list``), a CSV file (pick the
value column with ``--column``; several comma-separated columns make a multivariate series) or
a plain file with one number per line.

``--initial`` is the first training window: a number of points, or an index label such as a
year. With the default ``--initial-kind auto`` a value found in a numeric index (yearly
sunspots are indexed 1700..2008) means "train up to and including that label"; anything else
is a count. ``--initial-kind count|label`` forces one reading; the output says which was used.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.exceptions import DataError, InvalidParameterError

CLASSICAL = ("ar", "persistence", "seasonal-naive", "mean")
NEURAL = ("mlp", "lstm", "gru", "rnn", "conv")
SERIES_FILE = "series.json"


# ---------------------------------------------------------------------- data
def _number(cell: str, where: str) -> float:
    try:
        return float(cell)
    except ValueError:
        raise DataError(f"{where}: {cell!r} is not a number; fix the cell or choose another --column.") from None


def _pick(header: list[str], spec: str, path: str) -> int:
    if spec in header:
        return header.index(spec)
    if spec.isdigit() and int(spec) < len(header):
        return int(spec)
    raise DataError(f"{path} has no column {spec!r}; columns: {header}.")


def read_series_file(path: str, column: str | None = None, index_column: str | None = None) -> dict[str, Any]:
    """Read a CSV (header optional) or a one-value-per-line file into ``{values, index, name}``."""
    text = Path(path).read_text(encoding="utf-8-sig")
    rows = [r for r in csv.reader(text.splitlines()) if r and any(c.strip() for c in r)]
    if not rows:
        raise DataError(f"{path} holds no values.")
    width = len(rows[0])
    numeric_first = all(_is_number(c) for c in rows[0])
    header = [c.strip() for c in rows[0]] if not numeric_first else [str(i) for i in range(width)]
    body, first_line = (rows, 1) if numeric_first else (rows[1:], 2)
    if not body:
        raise DataError(f"{path} has a header but no data rows.")
    if column is not None:
        cols = [_pick(header, c.strip(), path) for c in column.split(",")]
    elif width == 1:
        cols = [0]
    elif width == 2:
        cols = [1]
    else:
        raise DataError(f"{path} has {width} columns {header}; choose the values with --column NAME.")
    if index_column is not None:
        idx_col: int | None = _pick(header, index_column, path)
    else:
        idx_col = 0 if width == 2 and cols == [1] else None
    values = np.empty((len(body), len(cols)))
    for i, row in enumerate(body):
        if len(row) != width:
            raise DataError(f"{path} line {i + first_line}: {len(row)} cells, expected {width}.")
        for j, c in enumerate(cols):
            cell = row[c].strip()
            values[i, j] = np.nan if cell.lower() in ("", "na", "nan") else _number(
                cell, f"{path} line {i + first_line}, column {header[c]!r}")
    index = None
    if idx_col is not None:
        labels = [row[idx_col].strip() for row in body]
        index = np.array([float(v) for v in labels]) if all(_is_number(v) for v in labels) else np.array(labels)
        if index.dtype.kind == "f" and np.all(index == np.round(index)):
            index = index.astype(np.int64)
    name = ",".join(header[c] for c in cols) if not numeric_first else Path(path).stem
    return {"values": values[:, 0] if len(cols) == 1 else values, "index": index, "name": name}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_data(args: argparse.Namespace) -> dict[str, Any]:
    """The series named by ``--data``: a file path or a bundled data set."""
    spec = args.data
    if Path(spec).is_file():
        return read_series_file(spec, args.column, args.index_column)
    from seqlab import datasets
    series = datasets.load(spec)
    values = np.asarray(series.values, dtype=np.float64)
    if args.column is not None and values.ndim == 2:
        names = list(getattr(series, "columns", []) or [])
        cols = [_pick(names or [str(i) for i in range(values.shape[1])], c, spec) for c in args.column.split(",")]
        values = values[:, cols[0]] if len(cols) == 1 else values[:, cols]
    return {"values": values, "index": np.asarray(series.index), "name": getattr(series, "name", spec)}


# ---------------------------------------------------------------------- models
def _lags(text: str) -> int | str:
    if text in ("aic", "bic"):
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--lags must be an int or 'aic'/'bic', got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"--lags must be >= 0, got {value}")
    return value


def build_model(args: argparse.Namespace, train: np.ndarray) -> tuple[Any, dict[str, Any]]:
    """The forecaster named by ``--model``; ``--lags aic|bic`` selects p on ``train`` only."""
    from seqlab.forecast import ARForecaster, MeanForecaster, Persistence, SeasonalNaive, select_order

    info: dict[str, Any] = {}
    lags = args.lags
    if isinstance(lags, str):
        if args.model != "ar":
            raise InvalidParameterError(f"--lags {lags} (order selection) works with --model ar only.")
        sel = select_order(train, args.max_lags, ic=lags, trend=args.trend)
        lags = sel.order
        info["selected_lags"] = lags
    if args.model == "ar":
        if args.horizon_model > 1:
            return ARForecaster(lags=lags, trend=args.trend, multistep="direct", max_horizon=args.horizon_model), info
        return ARForecaster(lags=lags, trend=args.trend), info
    if args.model == "persistence":
        return Persistence(), info
    if args.model == "seasonal-naive":
        return SeasonalNaive(season_length=args.season_length), info
    if args.model == "mean":
        return MeanForecaster(), info
    try:
        from seqlab.models import forecaster as neural
    except ImportError as exc:
        raise DataError(f"--model {args.model} needs the torch extra (pip install 'seqlab[torch]'): {exc}") from None
    return neural.from_name(args.model, lags=lags, epochs=args.epochs, d_hidden=args.d_hidden,
                            random_state=args.seed if args.seed is not None else 0), info


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="bundled series name, CSV file or one-value-per-line file")
    p.add_argument("--column", default=None, help="CSV value column (name or 0-based number; a,b for several)")
    p.add_argument("--index-column", default=None, help="CSV column with the index labels (e.g. year)")
    p.add_argument("--fill", choices=("ffill", "interpolate", "zero", "mean"), default=None,
                   help="fill NaN/missing values this way instead of stopping with an error")


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", choices=CLASSICAL + NEURAL, default="ar", help="forecaster")
    p.add_argument("--lags", type=_lags, default=9, help="AR order / lag window p, or aic|bic to select it")
    p.add_argument("--max-lags", type=int, default=12, help="largest p tried by --lags aic|bic")
    p.add_argument("--trend", choices=("c", "n"), default="c", help="AR with (c) or without (n) a constant")
    p.add_argument("--direct", dest="horizon_model", type=int, default=1, metavar="H",
                   help="AR only: fit H direct models (one per lead) instead of recursive forecasts")
    p.add_argument("--season-length", type=int, default=1, help="seasonal-naive period; MASE scale period")
    p.add_argument("--epochs", type=int, default=200, help="neural models: training epochs")
    p.add_argument("--d-hidden", type=int, default=32, help="neural models: hidden units")


def register(groups: Any) -> None:
    from seqlab.cli._common import add_force, add_group, add_verb

    verbs = add_group(groups, "forecast", "forecast a numeric series: AR(p), baselines, neural; walk-forward backtests")
    bt = add_verb(verbs, "backtest", "walk-forward backtest of a forecaster on a series", run_backtest)
    _add_data_options(bt)
    _add_model_options(bt)
    bt.add_argument("--initial", type=int, required=True,
                    help="first training window: a number of points, or an index label (e.g. a year: train up to it)")
    bt.add_argument("--initial-kind", choices=("auto", "count", "label"), default="auto",
                    help="read --initial as a count, a label, or auto (a label if it is in the index)")
    bt.add_argument("--horizon", type=int, default=1, help="steps ahead forecast at each origin")
    bt.add_argument("--step", type=int, default=1, help="origin moves this far between folds")
    bt.add_argument("--window", type=int, default=None, help="sliding training window length (default: expanding)")
    bt.add_argument("--refit-every", type=int, default=1, help="re-estimate every N folds (0: never after the first)")
    bt.add_argument("--plot", default=None, help="save forecast-vs-actual and error plot to this PNG")
    add_force(bt, "plot file")

    fit = add_verb(verbs, "fit", "fit a forecaster on a whole series and save it", run_fit)
    _add_data_options(fit)
    _add_model_options(fit)
    fit.add_argument("-o", "--output", required=True, help="model directory to create")
    add_force(fit, "model directory")

    pr = add_verb(verbs, "predict", "forecast the next values with a saved forecaster", run_predict)
    pr.add_argument("model_dir", help="directory written by 'seqlab forecast fit'")
    pr.add_argument("--horizon", type=int, default=10, help="number of future values")


# ---------------------------------------------------------------------- verbs
def _check_positive(value: int, flag: str) -> None:
    if value < 1:
        raise InvalidParameterError(f"{flag} must be >= 1, got {value}.")


def run_backtest(args: argparse.Namespace) -> int:
    from seqlab.cli._common import check_output, emit, seed_everything
    from seqlab.forecast import WalkForward, backtest, resolve_initial

    check_output(args.plot, args.force, "plot file")
    from seqlab.forecast._data import as_values

    seed_everything(args.seed)
    _check_positive(args.horizon, "--horizon")
    if args.refit_every < 0:
        raise InvalidParameterError(f"--refit-every must be >= 0 (0 = never refit), got {args.refit_every}.")
    data = load_data(args)
    y = as_values(data["values"], name=str(data["name"]), fill=args.fill)
    initial, how = resolve_initial(args.initial, data["index"], kind=args.initial_kind)
    if initial + args.horizon > len(y):
        raise DataError(f"--initial {args.initial} ({how}) leaves no test points in a series of {len(y)} values; "
                        f"use a smaller --initial.")
    splitter = WalkForward(initial=initial, horizon=args.horizon, step=args.step, window=args.window,
                           refit_every=args.refit_every or None)
    model, info = build_model(args, y[:initial])
    result = backtest(model, y, splitter, season_length=args.season_length,
                      index=data["index"] if data["index"] is not None else None)
    if args.plot:
        result.plot(args.plot, series=_SeriesView(y, data["index"]))
    if args.format == "json":
        emit(args, {"data": str(data["name"]), "initial": initial, "initial_reading": how, **info, **result.to_dict()})
        return 0
    rows = [{"metric": k, "value": v} for k, v in result.metrics.items()]
    title = (f"{result.model_name} on {data['name']}: {len(result.predictions)} forecasts, "
             f"initial {how}, horizon {args.horizon}, refit every {args.refit_every or 'never'}"
             + (f", selected lags {info['selected_lags']}" if info else ""))
    emit(args, rows, title=title)
    if result.metrics_by_lead and args.format == "table":
        from seqlab.cli._common import format_table

        print("\nby lead (errors build up with the horizon):")
        print(format_table(result.metrics_by_lead))
    return 0


class _SeriesView:
    def __init__(self, values: np.ndarray, index: Any) -> None:
        self.values = values
        self.index = index if index is not None else np.arange(len(values))


def run_fit(args: argparse.Namespace) -> int:
    from seqlab import io
    from seqlab.cli._common import check_output, emit, seed_everything
    from seqlab.forecast._data import as_values

    check_output(args.output, args.force, "model directory")
    seed_everything(args.seed)
    data = load_data(args)
    y = as_values(data["values"], name=str(data["name"]), fill=args.fill)
    model, info = build_model(args, y)
    model.fit(y)
    index = data["index"]
    series_info = {"data": str(data["name"]), "n_values": len(y)}
    if index is not None and len(index) > 1 and np.asarray(index).dtype.kind in "iu":
        series_info.update(last_label=int(index[-1]), label_step=int(index[-1] - index[-2]))

    def fill(tmp: Path) -> None:
        model.save(tmp)
        io.write_json(tmp / SERIES_FILE, series_info)

    io.write_directory(args.output, fill)
    summary: dict[str, Any] = {"model": type(model).__name__, "output": str(args.output), **info, **series_info}
    if hasattr(model, "params_"):  # AR: the fitted equation and its criteria
        summary.update(intercept=model.intercept_, sigma2=model.sigma2_, aic=model.aic_, bic=model.bic_,
                       coef=json.dumps([round(float(c), 6) for c in model.coef_]))
    emit(args, summary)
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from seqlab import io
    from seqlab.cli._common import emit

    _check_positive(args.horizon, "--horizon")
    model = io.load(args.model_dir)
    forecast = np.asarray(model.predict(args.horizon))
    info_file = Path(args.model_dir) / SERIES_FILE
    info = json.loads(info_file.read_text()) if info_file.is_file() else {}
    rows = []
    for h, value in enumerate(forecast, start=1):
        row: dict[str, Any] = {"step": h}
        if "last_label" in info:
            row["label"] = info["last_label"] + h * info["label_step"]
        if np.ndim(value):
            row.update({f"x{j}": float(v) for j, v in enumerate(value)})
        else:
            row["forecast"] = float(value)
        rows.append(row)
    emit(args, rows)
    return 0
