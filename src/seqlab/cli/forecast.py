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
import math
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.exceptions import DataError, InvalidParameterError

CLASSICAL = ("ar", "persistence", "seasonal-naive", "mean", "lag-regressor")
REGRESSORS = ("ridge", "linear", "lasso", "random-forest", "extra-trees", "mlp", "gradient-boosting")
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


def _csv_rows(text: str, path: str) -> list[list[str]]:
    """The non-blank rows of CSV ``text``; a malformed file (a cell past csv's size limit) is a ``DataError``."""
    try:
        return [r for r in csv.reader(text.splitlines()) if r and any(c.strip() for c in r)]
    except csv.Error as exc:
        raise DataError(f"{path} is not a CSV file this command can read ({exc}).") from None


def read_series_file(path: str, column: str | None = None, index_column: str | None = None) -> dict[str, Any]:
    """Read a CSV (header optional) or a one-value-per-line file into ``{values, index, name}``."""
    text = Path(path).read_text(encoding="utf-8-sig")
    rows = _csv_rows(text, path)
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
    _check_positive(args.horizon_model, "--direct")
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
    if args.model == "lag-regressor":
        return _lag_regressor(args, lags), info
    try:
        from seqlab.models import forecaster as neural
    except ImportError as exc:
        raise DataError(f"--model {args.model} needs the torch extra (pip install 'seqlab[torch]'): {exc}") from None
    return neural.from_name(args.model, lags=lags, epochs=args.epochs, d_hidden=args.d_hidden,
                            random_state=args.seed if args.seed is not None else 0), info


def _regressor(name: str, seed: int) -> Any:
    """The scikit-learn regressor named by ``--regressor`` (scikit-learn imported here only)."""
    try:
        from sklearn import ensemble, linear_model, neural_network
    except ImportError:
        raise DataError("--model lag-regressor needs scikit-learn (pip install scikit-learn).") from None
    if name == "ridge":
        return linear_model.Ridge(alpha=1.0)
    if name == "linear":
        return linear_model.LinearRegression()
    if name == "lasso":
        return linear_model.Lasso(alpha=0.1)
    if name == "random-forest":
        return ensemble.RandomForestRegressor(n_estimators=100, random_state=seed)
    if name == "extra-trees":
        return ensemble.ExtraTreesRegressor(n_estimators=100, random_state=seed)
    if name == "gradient-boosting":
        return ensemble.GradientBoostingRegressor(random_state=seed)
    return neural_network.MLPRegressor(hidden_layer_sizes=(32,), max_iter=2000, random_state=seed)


def _lag_regressor(args: argparse.Namespace, lags: int) -> Any:
    from seqlab.forecast import LagRegressor

    if lags < 1:
        raise InvalidParameterError(f"--model lag-regressor needs --lags >= 1, got {lags}.")
    seed = args.seed if args.seed is not None else 0
    return LagRegressor(estimator=_regressor(args.regressor, seed), lags=lags, random_state=seed)


def _check_coverage(value: float | None) -> None:
    """``--coverage`` must lie strictly between 0 and 1 (a one-line error, exit 1, like --horizon)."""
    if value is not None and not 0 < value < 1:
        raise InvalidParameterError(f"--coverage must be strictly between 0 and 1 (e.g. 0.9 for 90% intervals), "
                                    f"got {value:g}.")


def _check_calibration(value: float) -> None:
    """``--calibration`` is a count (>= 1) or a fraction in (0, 1) of each training window."""
    if not (math.isfinite(value) and value > 0):
        raise InvalidParameterError(f"--calibration must be a count of points (>= 1) or a fraction between 0 and 1, "
                                    f"got {value:g}.")


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="bundled series name, CSV file or one-value-per-line file")
    p.add_argument("--column", default=None, help="CSV value column (name or 0-based number; a,b for several)")
    p.add_argument("--index-column", default=None, help="CSV column with the index labels (e.g. year)")
    p.add_argument("--fill", choices=("ffill", "interpolate", "zero", "mean"), default=None,
                   help="fill NaN/missing values this way instead of stopping with an error")


def _exog_columns(args: argparse.Namespace, n: int) -> np.ndarray | None:
    """The ``--exog`` columns of the ``--data`` CSV as an (n, k) array, or None without ``--exog``."""
    if not getattr(args, "exog", None):
        return None
    if not Path(args.data).is_file():
        raise DataError(f"--exog reads columns of a CSV file; {args.data!r} is not a file.")
    if args.model not in ("ar", "lag-regressor"):
        raise InvalidParameterError(f"--exog works with --model ar or lag-regressor, not {args.model}.")
    values = np.asarray(read_series_file(args.data, args.exog, args.index_column)["values"], dtype=np.float64)
    values = values.reshape(len(values), -1)
    if len(values) != n:
        raise DataError(f"--exog columns have {len(values)} rows but the series has {n} values.")
    return values


def read_matrix(path: str) -> np.ndarray:
    """Every column of a CSV (header optional) as an (n, k) float array (``--exog-future``)."""
    text = Path(path).read_text(encoding="utf-8-sig")
    first = next(iter(_csv_rows(text, path)), None)
    if first is None:
        raise DataError(f"{path} holds no values.")
    spec = ",".join(str(i) for i in range(len(first)))
    values = np.asarray(read_series_file(path, spec, None)["values"], dtype=np.float64)
    return values.reshape(len(values), -1)


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
    p.add_argument("--regressor", choices=REGRESSORS, default="ridge",
                   help="lag-regressor only: the scikit-learn regressor fitted on the lag table")
    p.add_argument("--exog", default=None, metavar="COLS",
                   help="ar/lag-regressor: CSV columns (a,b) used as exogenous regressors of the same row")


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
    bt.add_argument("--plot-kind", choices=("paths", "leads"), default="paths",
                    help="paths: every fold's forecast path with bands; leads: one panel per lead")
    bt.add_argument("--coverage", type=float, default=None,
                    help="also forecast prediction intervals of this coverage (e.g. 0.9) and report their "
                         "empirical coverage and interval score")
    bt.add_argument("--conformal", action="store_true",
                    help="conformal intervals from walk-forward errors for any model (the default for neural models)")
    bt.add_argument("--global", dest="global_model", action="store_true",
                    help="with several --column values: one global ar/lag-regressor model over the columns as "
                         "separate series, with per-series metrics")
    bt.add_argument("--calibration", type=float, default=0.3,
                    help="conformal: calibration points at the end of each training window (count, or fraction < 1)")
    add_force(bt, "plot file")

    fit = add_verb(verbs, "fit", "fit a forecaster on a whole series and save it", run_fit)
    _add_data_options(fit)
    _add_model_options(fit)
    fit.add_argument("-o", "--output", required=True, help="model directory to create")
    fit.add_argument("--summary", action="store_true",
                     help="AR: print the coefficient table (std err, z, p-values, 95%% CI) as statsmodels does")
    fit.add_argument("--ignore-index", action="store_true",
                     help="do not continue the series' index in forecasts (e.g. irregular dates): number the steps")
    add_force(fit, "model directory")

    pr = add_verb(verbs, "predict", "forecast the next values with a saved forecaster", run_predict)
    pr.add_argument("model_dir", help="directory written by 'seqlab forecast fit'")
    pr.add_argument("--horizon", type=int, default=10, help="number of future values")
    pr.add_argument("--coverage", type=float, default=None,
                    help="add lower/upper bounds of a prediction interval of this coverage (e.g. 0.9)")
    pr.add_argument("--exog-future", default=None, metavar="CSV",
                    help="models fitted with --exog: CSV with one row of the exogenous columns per forecast step")


# ---------------------------------------------------------------------- verbs
def _check_positive(value: int, flag: str) -> None:
    if value < 1:
        raise InvalidParameterError(f"{flag} must be >= 1, got {value}.")


def run_backtest(args: argparse.Namespace) -> int:
    from seqlab.cli._common import check_output, emit, seed_everything
    from seqlab.forecast import WalkForward, backtest, resolve_initial

    check_output(args.plot, args.force, "plot file")
    from seqlab.forecast import as_values

    seed_everything(args.seed)
    _check_positive(args.horizon, "--horizon")
    _check_coverage(args.coverage)
    _check_calibration(args.calibration)
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
    series: Any = y
    if args.global_model:
        if y.ndim != 2 or args.model not in ("ar", "lag-regressor") or args.conformal or args.exog:
            raise InvalidParameterError("--global needs several --column values and --model ar or lag-regressor "
                                        "(without --conformal or --exog): one model over the columns as series.")
        series = [np.array(y[:, j]) for j in range(y.shape[1])]
    model, info = build_model(args, y[:initial, 0] if args.global_model else y[:initial])
    if args.coverage is not None and (args.conformal or args.model in NEURAL):
        from seqlab.forecast import ConformalForecaster

        calibration = int(args.calibration) if args.calibration >= 1 else args.calibration
        model = ConformalForecaster(model, horizon=args.horizon, n_calibration=calibration)
        info["intervals"] = "conformal"
    exog = _exog_columns(args, len(y))
    if exog is not None and "intervals" in info:
        raise InvalidParameterError("--conformal does not take --exog; use the model's own intervals.")
    result = backtest(model, series, splitter, season_length=args.season_length,
                      index=data["index"] if data["index"] is not None else None, coverage=args.coverage, X=exog)
    if args.plot:
        view = None if args.global_model else _SeriesView(y, data["index"])
        result.plot(args.plot, series=view, kind=args.plot_kind)
    if args.format == "json":
        emit(args, {"data": str(data["name"]), "initial": initial, "initial_reading": how, **info, **result.to_dict()})
        return 0
    rows = [{"metric": k, "value": v} for k, v in result.metrics.items()]
    title = (f"{result.model_name} on {data['name']}: {len(result.predictions)} forecasts, "
             f"initial {how}, horizon {args.horizon}, refit every {args.refit_every or 'never'}"
             + (f", selected lags {info['selected_lags']}" if "selected_lags" in info else "")
             + (f", {100 * args.coverage:g}% {info.get('intervals', 'model')} intervals" if args.coverage else ""))
    emit(args, rows, title=title)
    if result.metrics_by_lead and args.format == "table":
        from seqlab.cli._common import format_table

        print("\nby lead (errors build up with the horizon):")
        print(format_table(result.metrics_by_lead))
    if result.metrics_by_series and args.format == "table":
        from seqlab.cli._common import format_table

        names = str(data["name"]).split(",")
        print("\nby series (one global model):")
        print(format_table([{"series": names[i] if len(names) == len(result.metrics_by_series) else i, **row}
                            for i, row in enumerate(result.metrics_by_series)]))
    return 0


class _SeriesView:
    def __init__(self, values: np.ndarray, index: Any) -> None:
        self.values = values
        self.index = index if index is not None else np.arange(len(values))


def run_fit(args: argparse.Namespace) -> int:
    from seqlab import io
    from seqlab.cli._common import check_output, emit, seed_everything
    from seqlab.forecast import as_values

    check_output(args.output, args.force, "model directory")
    seed_everything(args.seed)
    data = load_data(args)
    y = as_values(data["values"], name=str(data["name"]), fill=args.fill)
    model, info = build_model(args, y)
    exog = _exog_columns(args, len(y))
    if exog is not None:
        model.fit(y, X=exog)
    else:
        model.fit(y)
    index = data["index"]
    series_info: dict[str, Any] = {"data": str(data["name"]), "n_values": len(y)}
    if index is not None and not args.ignore_index:
        series_info.update(_index_continuation(np.asarray(index)))

    def fill(tmp: Path) -> None:
        model.save(tmp)
        io.write_json(tmp / SERIES_FILE, series_info)

    io.write_directory(args.output, fill)
    summary: dict[str, Any] = {"model": type(model).__name__, "output": str(args.output), **info, **series_info}
    if hasattr(model, "sigma_u_"):  # multi-column AR (a VAR): the residual covariance
        summary.update(columns=int(model.n_features_in_),
                       sigma_u=json.dumps([[round(float(v), 6) for v in row] for row in model.sigma_u_]))
    elif hasattr(model, "params_"):  # AR: the fitted equation and its criteria
        summary.update(intercept=model.intercept_, sigma2=model.sigma2_, aic=model.aic_, bic=model.bic_,
                       coef=[round(float(c), 6) for c in model.coef_])
    if args.summary:
        if not hasattr(model, "summary"):
            raise InvalidParameterError(f"--summary needs --model ar, not {args.model}.")
        table = model.summary()
        if args.format == "json":
            emit(args, {**summary, "summary": table.to_dict()})
        else:
            emit(args, summary)
            print("\n" + str(table))
        return 0
    emit(args, summary)
    return 0


def _index_continuation(index: np.ndarray) -> dict[str, Any]:
    """How ``forecast predict`` labels future steps: integer labels by their step, ISO dates by their frequency.

    Raises ``DataError`` for integer labels without a constant step and dates without an
    inferable frequency (``--ignore-index`` numbers the steps instead).
    """
    if len(index) < 2:
        return {}
    if index.dtype.kind in "iu":
        steps = np.unique(np.diff(index))
        if len(steps) != 1 or steps[0] == 0:
            raise DataError(f"the series' integer index has no constant step (steps {steps[:5].tolist()}); "
                            "pass --ignore-index to number the forecast steps instead.")
        return {"last_label": int(index[-1]), "label_step": int(steps[0])}
    labels = [str(v) for v in index]
    if index.dtype.kind not in "UO" or not all(len(v) in (7, 10) and v[4] == "-" for v in labels):
        return {}  # not ISO dates (yyyy-mm or yyyy-mm-dd): forecasts are numbered
    try:
        import pandas as pd
    except ImportError:  # dates are continued with pandas' frequency inference only
        return {}

    try:
        dates = pd.DatetimeIndex(pd.to_datetime(labels, format="ISO8601"))
    except (ValueError, TypeError):
        return {}
    freq = _infer_freq(dates)
    if freq is None:
        raise DataError(f"the series' dates have no inferable frequency (first dates {labels[:3]}); make them "
                        "regular or pass --ignore-index to number the forecast steps instead.")
    return {"last_date": labels[-1], "freq": freq, "date_format": "%Y-%m" if len(labels[-1]) == 7 else "%Y-%m-%d"}


def _infer_freq(dates: Any) -> str | None:
    from seqlab.forecast import infer_freq

    offset = infer_freq(dates)
    return None if offset is None else str(offset.freqstr)


def _future_labels(info: dict[str, Any], horizon: int) -> list[Any] | None:
    if "last_label" in info:
        return [info["last_label"] + h * info["label_step"] for h in range(1, horizon + 1)]
    if "freq" in info:
        import pandas as pd

        dates = pd.date_range(pd.Timestamp(info["last_date"]), periods=horizon + 1, freq=info["freq"])[1:]
        return [d.strftime(info["date_format"]) for d in dates]
    return None


def run_predict(args: argparse.Namespace) -> int:
    from seqlab import io
    from seqlab.cli._common import emit

    _check_positive(args.horizon, "--horizon")
    _check_coverage(args.coverage)
    model = io.load(args.model_dir)
    kw: dict[str, Any] = {}
    if args.exog_future is not None:
        kw["X_future"] = read_matrix(args.exog_future)
    band = model.predict_interval(args.horizon, coverage=args.coverage, **kw) if args.coverage is not None else None
    forecast = np.asarray(model.predict(args.horizon, **kw) if band is None else band.mean)
    info_file = Path(args.model_dir) / SERIES_FILE
    info = json.loads(info_file.read_text()) if info_file.is_file() else {}
    rows = []
    labels = _future_labels(info, args.horizon)
    for h, value in enumerate(forecast, start=1):
        row: dict[str, Any] = {"step": h}
        if labels is not None:
            row["label"] = labels[h - 1]
        if np.ndim(value):
            row.update({f"x{j}": float(v) for j, v in enumerate(value)})
            if band is not None:
                row.update({f"x{j}_lower": float(v) for j, v in enumerate(band.lower[h - 1])})
                row.update({f"x{j}_upper": float(v) for j, v in enumerate(band.upper[h - 1])})
        else:
            row["forecast"] = float(value)
            if band is not None:
                row.update(lower=float(band.lower[h - 1]), upper=float(band.upper[h - 1]))
        rows.append(row)
    emit(args, rows)
    return 0
