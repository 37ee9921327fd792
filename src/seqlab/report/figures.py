"""matplotlib figures of a comparison, each returned as an inline ``<svg>`` string (no files, no network)."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from seqlab.plotting import pyplot

_LINE_STYLES = ("-", "--", "-.", ":")


def _svg(fig: Any) -> str:
    plt = pyplot()
    buf = io.StringIO()
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text stays text: smaller, selectable, searchable
        fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE: the svg is inlined in HTML
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)


def _short(label: str, width: int = 38) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _finite(values: Sequence[Any]) -> list[float]:
    return [float(v) if v is not None and math.isfinite(float(v)) else math.nan for v in values]


def quality_vs_compute(rows: list[dict[str, Any]], metric: str, *, lower_is_better: bool) -> str | None:
    """The metric against training CPU seconds and against parameters, one point per model."""
    pts = [r for r in rows if isinstance(r.get(metric), int | float) and math.isfinite(r[metric])]
    if not any(isinstance(r.get(k), int | float) for r in pts for k in ("cpu_seconds", "parameters")):
        return None  # nothing to put on either axis
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.6))
    for ax, key, xlabel in ((axes[0], "cpu_seconds", "training CPU seconds"), (axes[1], "parameters", "parameters")):
        for i, r in enumerate(pts):
            x = r.get(key)
            if not isinstance(x, int | float) or x is None:
                continue
            ax.scatter([max(float(x), 1e-3)], [r[metric]], color=f"C{i % 10}", s=36, label=_short(r["model"]))
        ax.set_xscale("log")
        ax.set_xlabel(xlabel + " (log)")
        ax.set_ylabel(metric + (" (lower is better)" if lower_is_better else " (higher is better)"))
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(3, len(labels)), fontsize=8, frameon=False,
                   bbox_to_anchor=(0.5, -0.02 - 0.06 * math.ceil(len(labels) / 3)))
    fig.tight_layout()
    return _svg(fig)


def learning_curves(curves: dict[str, list[dict[str, Any]]], metric_name: str, *, validated: bool = True) -> str | None:
    """The curves of the runs that validated (``validated``) or of those that did not (training loss),
    against seconds and against steps, so a perplexity and a loss never share an axis."""
    usable = {k: v for k, v in curves.items()
              if len(v) >= 2 and any(r.get("valid_metric") is not None for r in v) == validated}
    if not usable:
        return None
    plt = pyplot()
    timed = any(r.get("cpu_seconds") is not None or r.get("wall_seconds") is not None
                for rows in usable.values() for r in rows)
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.6)) if timed else plt.subplots(1, 1, figsize=(6.0, 3.6))
    axes = list(axes) if timed else [fig.axes[0], fig.axes[0]]  # without timings: the steps panel only
    for i, (label, rows) in enumerate(usable.items()):
        y = _finite([r.get("valid_metric") if validated else r.get("train_loss") for r in rows])
        steps = [r["step"] for r in rows]
        secs = _finite([r.get("cpu_seconds") if r.get("cpu_seconds") is not None else r.get("wall_seconds")
                        for r in rows])
        style = dict(color=f"C{i % 10}", ls=_LINE_STYLES[i // 10 % 4], lw=1.4, marker="o", ms=2.5)
        if timed and not all(math.isnan(s) for s in secs):
            axes[0].plot(secs, y, **style, label=_short(label))
        axes[1].plot(steps, y, **style, label=_short(label))
    axes[0].set_xlabel("seconds")
    axes[1].set_xlabel("step / iteration")
    for ax in axes[: 2 if timed else 1]:
        ax.set_ylabel(metric_name if validated else "training loss")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return _svg(fig)


def embeddings_pca(label: str, points: dict[str, Any]) -> str:
    """2-D PCA of a model's embeddings: all tokens in grey, the most frequent labelled."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    cloud = np.asarray(points.get("all_xy") or [], dtype=float)
    if cloud.size:
        ax.scatter(cloud[:, 0], cloud[:, 1], s=3, color="0.8")
    xy = np.asarray(points["xy"], dtype=float)
    ax.scatter(xy[:, 0], xy[:, 1], s=10, color="C0")
    for (x, y), word in zip(xy, points["words"], strict=True):
        ax.annotate(word, (x, y), fontsize=7, xytext=(2, 2), textcoords="offset points")
    ax.set_title(f"{_short(label, 50)}: embeddings, PCA", fontsize=9)
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    fig.tight_layout()
    return _svg(fig)


def attention_heatmaps(label: str, tokens: list[str], layers: list[list[list[float]]]) -> str:
    """One heatmap per layer: row t is how much position t attends to each earlier position (heads averaged)."""
    plt = pyplot()
    n = len(layers)
    size = 2.2 + 0.16 * len(tokens)
    fig, axes = plt.subplots(1, n, figsize=(min(4.8 * n, 10.0), min(size, 6.0)), squeeze=False)
    for i, (ax, w) in enumerate(zip(axes[0], layers, strict=True)):
        ax.imshow(np.asarray(w, dtype=float), cmap="Greys", vmin=0.0, vmax=1.0)
        ticks = range(len(tokens))
        shown = [_short(t if t.strip() else "␣", 10) for t in tokens]
        ax.set_xticks(ticks, shown, rotation=90, fontsize=6)
        ax.set_yticks(ticks, shown if i == 0 else [""] * len(tokens), fontsize=6)
        ax.set_title(f"layer {i + 1}", fontsize=8)
    fig.suptitle(f"{_short(label, 50)}: self-attention (query rows, key columns)", fontsize=9)
    fig.tight_layout()
    return _svg(fig)


def forecasts(series: dict[str, Any], fc: dict[str, Any]) -> str | None:
    """The series (grey), the actual values of the test span and each model's 1-step (lead-1) forecasts."""
    if not fc.get("models"):
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9.5, 3.8))
    idx = list(series["index"])
    x_all = _axis(idx)
    ax.plot(x_all, series["values"], color="0.75", lw=1, label="series")
    x_test = _axis(fc["index"], idx)
    ax.plot(x_test, fc["actual"], color="k", lw=1.3, label="actual")
    for i, (label, pred) in enumerate(fc["models"].items()):
        ax.plot(x_test, pred, color=f"C{i % 10}", lw=1.1, ls=_LINE_STYLES[i // 10 % 4], label=_short(label))
    lo = x_test[0] - 0.25 * (x_test[-1] - x_test[0] + 1)
    ax.set_xlim(max(x_all[0], lo), x_test[-1] + 1)
    ax.set_xlabel(str(idx[0]) + " … " + str(idx[-1]) if not isinstance(idx[0], int | float) else "time")
    ax.set_ylabel(series.get("name", "value"))
    ax.legend(fontsize=7, ncol=2, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _svg(fig)


def _axis(labels: Sequence[Any], reference: Sequence[Any] | None = None) -> list[float]:
    """Numeric x positions: the labels themselves when numeric, else their positions in ``reference``."""
    if labels and all(isinstance(v, int | float) for v in labels):
        return [float(v) for v in labels]
    ref = list(reference if reference is not None else labels)
    where = {v: i for i, v in enumerate(ref)}
    return [float(where.get(v, i)) for i, v in enumerate(labels)]


def error_by_horizon(by_lead: dict[str, list[dict[str, Any]]], metric: str) -> str | None:
    """Forecast error against lead (steps ahead), one line per model."""
    if not by_lead or max(len(v) for v in by_lead.values()) < 2:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for i, (label, rows) in enumerate(by_lead.items()):
        ax.plot([r["lead"] for r in rows], [r.get(metric, math.nan) for r in rows], marker="o", ms=3,
                color=f"C{i % 10}", ls=_LINE_STYLES[i // 10 % 4], label=_short(label))
    ax.set_xlabel("lead (steps ahead)")
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return _svg(fig)


def confusion(label: str, labels: list[str], matrix: list[list[int]]) -> str:
    """A confusion matrix (rows: true class, columns: predicted), counts written in the cells."""
    plt = pyplot()
    m = np.asarray(matrix, dtype=float)
    size = 2.4 + 0.32 * len(labels)
    fig, ax = plt.subplots(figsize=(size + 0.8, size))
    ax.imshow(m / np.maximum(m.sum(axis=1, keepdims=True), 1), cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), [_short(str(v), 12) for v in labels], rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(labels)), [_short(str(v), 12) for v in labels], fontsize=7)
    if len(labels) <= 16:
        for (i, j), v in np.ndenumerate(m):
            ax.text(j, i, f"{int(v)}", ha="center", va="center", fontsize=6 if len(labels) > 6 else 9,
                    color="white" if v > 0.5 * m[i].sum() else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(_short(label, 40), fontsize=9)
    fig.tight_layout()
    return _svg(fig)


def series_with_states(values: Sequence[float], states: Sequence[int], title: str) -> str:
    """Observations with the decoded hidden-state path underneath (HMMs)."""
    plt = pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9.5, 3.6), sharex=True, height_ratios=(3, 1))
    x = np.arange(len(values))
    top.plot(x, values, color="k", lw=0.8)
    top.set_title(title, fontsize=9)
    bottom.step(x, states, where="mid", color="C3")
    bottom.set_ylabel("state")
    bottom.set_xlabel("t")
    fig.tight_layout()
    return _svg(fig)
