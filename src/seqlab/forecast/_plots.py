"""Backtest plots: forecast paths with interval bands, small multiples per lead, error by horizon.

matplotlib is imported inside the functions only (the ``plot`` extra), through
:func:`seqlab.plotting.pyplot`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from seqlab.exceptions import InvalidParameterError
from seqlab.forecast._data import split_series
from seqlab.plotting import pyplot

if TYPE_CHECKING:
    from seqlab.forecast.backtest import BacktestResult


def time_axis(labels: Any) -> tuple[np.ndarray, bool]:
    """Plot coordinates of index labels: ``(x, is_date)``.

    Datetimes and ISO date strings (``"1949-01"``, ``"1969-01-01"``) become ``datetime64``
    values (a real time axis); numbers stay numbers; anything else becomes positions 0..n-1.
    """
    arr = np.asarray(labels)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[ns]"), True
    if arr.dtype.kind in "iuf":
        return arr, False
    if arr.dtype.kind == "O" and len(arr) and hasattr(arr[0], "to_timestamp"):  # pandas Periods
        return np.array([p.to_timestamp() for p in arr], dtype="datetime64[ns]"), True
    try:
        return np.array([np.datetime64(str(v)) for v in arr]).astype("datetime64[ns]"), True
    except ValueError:
        return np.arange(len(arr)), False


def _date_axis(ax: Any) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def _first_column(values: np.ndarray | None) -> np.ndarray | None:
    if values is None:
        return None
    return values if values.ndim == 1 else values[:, 0]


def plot_backtest(result: BacktestResult, path: str | None = None, *, series: Any = None, kind: str = "paths",
                  max_paths: int = 40) -> Any:
    """See :meth:`seqlab.forecast.BacktestResult.plot`."""
    if kind not in ("paths", "leads"):
        raise InvalidParameterError(f"kind must be 'paths' or 'leads', got {kind!r}.")
    if isinstance(max_paths, bool) or not isinstance(max_paths, int) or max_paths < 1:
        raise InvalidParameterError(f"max_paths must be an int >= 1, got {max_paths!r}.")
    plt = pyplot(headless=path is not None)
    full: np.ndarray | None
    full_index: np.ndarray | None
    if series is not None:
        values, idx = split_series(series)
        full = np.asarray(values, dtype=float)
        full_index = np.asarray(idx) if idx is not None else np.arange(len(full))
    else:
        full, full_index = result.series, result.series_index
    full = _first_column(full)
    if full is not None and full_index is None:
        full_index = np.arange(len(full))
    x_all, is_date = time_axis(full_index if full_index is not None else result.index)
    x_target = x_all[result.positions] if full_index is not None else time_axis(result.index)[0]
    pred = _first_column(result.predictions)
    act = _first_column(result.actuals)
    lo, hi = _first_column(result.lower), _first_column(result.upper)
    assert pred is not None and act is not None
    fig = (_paths_figure if kind == "paths" else _leads_figure)(
        plt, result, full, x_all, x_target, pred, act, lo, hi, is_date, max_paths)
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig


def _band_label(result: BacktestResult) -> str:
    return f"{100 * (result.coverage or 0):.0f}% interval"


def _paths_figure(plt: Any, result: BacktestResult, full: np.ndarray | None, x_all: np.ndarray, x_target: np.ndarray,
                  pred: np.ndarray, act: np.ndarray, lo: np.ndarray | None, hi: np.ndarray | None, is_date: bool,
                  max_paths: int) -> Any:
    H = int(result.lead.max())
    n_folds = len(pred) // H
    fig = plt.figure(figsize=(10, 7.2))
    grid = fig.add_gridspec(2, 2, height_ratios=(2.2, 1), hspace=0.35, wspace=0.28)
    top = fig.add_subplot(grid[0, :])
    err_ax = fig.add_subplot(grid[1, 0])
    lead_ax = fig.add_subplot(grid[1, 1])
    first = int(result.positions[0])
    if full is not None:
        lo_view = max(0, first - max(3 * H, len(full) // 4))
        top.plot(x_all[lo_view:], full[lo_view:], color="0.2", lw=1.0, label="series")
        top.axvline(x_all[first], color="0.5", lw=0.8, ls=":")
    else:
        top.plot(x_target[result.lead == 1], act[result.lead == 1], color="0.2", lw=1.0, label="actual")
    shown = np.unique(np.linspace(0, n_folds - 1, min(n_folds, max_paths)).round().astype(int))
    cmap = plt.get_cmap("viridis")
    for rank, f in enumerate(shown):
        sl = slice(f * H, (f + 1) * H)
        colour = cmap(0.15 + 0.7 * rank / max(1, len(shown) - 1))
        xs, ys = x_target[sl], pred[sl]
        origin = int(result.positions[f * H]) - 1
        if full is not None and origin >= 0:  # start the path at the last observed value
            xs = np.concatenate([x_all[origin : origin + 1], xs])
            ys = np.concatenate([full[origin : origin + 1], ys])
        if lo is not None and hi is not None:
            top.fill_between(x_target[sl], lo[sl], hi[sl], color=colour, alpha=0.12 if H > 1 else 0.25, lw=0,
                             label=_band_label(result) if rank == 0 else None)
        top.plot(xs, ys, color=colour, lw=1.1 if H > 1 else 1.4, marker="o" if H == 1 else None, ms=2.5,
                 label=(f"forecast paths (leads 1..{H})" if H > 1 else "1-step forecasts") if rank == 0 else None)
    skipped = "" if len(shown) == n_folds else f", {len(shown)} of {n_folds} folds drawn"
    title = f"walk-forward backtest: {result.model_name}, MAE {result.metrics.get('mae', float('nan')):.3g}"
    if "coverage" in result.metrics:
        title += f", {_band_label(result)} covered {100 * result.metrics['coverage']:.0f}%"
    top.set_title(title + skipped, fontsize=10)
    top.set_ylabel("value")
    top.set_xlabel("time" if is_date else "index")
    top.legend(loc="upper left", fontsize=8)
    # errors of the lead-1 forecasts over time
    sel = result.lead == 1
    err_ax.axhline(0, color="0.6", lw=0.8)
    err_ax.plot(x_target[sel], (pred - act)[sel], color="C3", lw=0.9, marker=".", ms=3)
    err_ax.set_ylabel("forecast - actual")
    err_ax.set_xlabel("time" if is_date else "index")
    err_ax.set_title("lead-1 errors over time", fontsize=9)
    # error by horizon
    leads = np.arange(1, H + 1)
    abs_err = np.abs(pred - act)
    mae = np.array([abs_err[result.lead == h].mean() for h in leads])
    rmse = np.array([np.sqrt(((pred - act)[result.lead == h] ** 2).mean()) for h in leads])
    lead_ax.plot(leads, mae, marker="o", color="C0", label="MAE")
    lead_ax.plot(leads, rmse, marker="s", color="C1", label="RMSE")
    lead_ax.set_xlabel("lead (steps ahead)")
    lead_ax.set_ylabel("error")
    lead_ax.set_title("error by horizon", fontsize=9)
    lead_ax.set_ylim(bottom=0)
    handles, labels = lead_ax.get_legend_handles_labels()
    if lo is not None and hi is not None and result.coverage is not None:
        inside = (act >= lo) & (act <= hi)
        cov = np.array([inside[result.lead == h].mean() for h in leads])
        twin = lead_ax.twinx()
        twin.plot(leads, 100 * cov, color="C2", ls="--", marker="^", label="coverage %")
        twin.axhline(100 * result.coverage, color="C2", lw=0.8, ls=":")
        twin.set_ylim(0, 105)
        twin.set_ylabel("interval coverage (%)")
        h2, l2 = twin.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    lead_ax.legend(handles, labels, fontsize=8, loc="lower right")
    if H <= 16:
        lead_ax.set_xticks(leads)
    if is_date:
        _date_axis(top)
        _date_axis(err_ax)
    elif x_all.dtype.kind in "iu":  # integer labels (years, positions): no fractional ticks
        from matplotlib.ticker import MaxNLocator

        for ax in (top, err_ax):
            ax.xaxis.set_major_locator(MaxNLocator(nbins=8 if ax is top else 5, integer=True))
    return fig


def _leads_figure(plt: Any, result: BacktestResult, full: np.ndarray | None, x_all: np.ndarray, x_target: np.ndarray,
                  pred: np.ndarray, act: np.ndarray, lo: np.ndarray | None, hi: np.ndarray | None, is_date: bool,
                  max_paths: int) -> Any:
    H = int(result.lead.max())
    leads = np.unique(np.linspace(1, H, min(H, 12)).round().astype(int))
    cols = min(3, len(leads))
    rows = int(np.ceil(len(leads) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.6 * rows + 0.6), sharex=True, sharey=True,
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= len(leads):
            ax.set_visible(False)
            continue
        h = int(leads[k])
        sel = result.lead == h
        order = np.argsort(result.positions[sel], kind="stable")
        xs = x_target[sel][order]
        if lo is not None and hi is not None:
            ax.fill_between(xs, lo[sel][order], hi[sel][order], color="C0", alpha=0.2, lw=0,
                            label=_band_label(result))
        ax.plot(xs, act[sel][order], color="0.2", lw=1.0, label="actual")
        ax.plot(xs, pred[sel][order], color="C1", lw=1.1, label="forecast")
        mae = float(np.abs(pred[sel] - act[sel]).mean())
        extra = ""
        if lo is not None and hi is not None:
            extra = f", covered {100 * np.mean((act[sel] >= lo[sel]) & (act[sel] <= hi[sel])):.0f}%"
        ax.set_title(f"lead {h}: MAE {mae:.3g}{extra}", fontsize=9)
        if k % cols == 0:
            ax.set_ylabel("value")
        if k >= len(leads) - cols:
            ax.set_xlabel("time" if is_date else "index")
        if is_date:
            _date_axis(ax)
        if k == 0:
            ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"walk-forward backtest by lead: {result.model_name}", fontsize=11)
    fig.tight_layout()
    return fig
