"""The HTML report: one self-contained ``index.html`` from a comparison's results.

Inline SVG figures (matplotlib), inline CSS, no scripts, no network: it opens from a file on a
laptop or a phone. ``build_report(results, DIR)`` writes ``DIR/index.html`` and
``DIR/results.json`` (the same data, for machines). The results come from
:mod:`seqlab.compare` (``seqlab compare ... --report DIR``) or from saved model directories
(:func:`results_from_model_dirs`, ``seqlab report DIR... -o report/``). jinja2 renders the page.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
from pathlib import Path
from typing import Any

from seqlab.exceptions import SeqlabError
from seqlab.report.dirs import results_from_model_dirs

__all__ = ["build_report", "render_html", "results_from_model_dirs"]

_TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
  body { font-family: -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0 auto; max-width: 1040px;
         padding: 1rem; color: #1d1d1f; line-height: 1.45; }
  h1 { font-size: 1.5rem; margin-bottom: .2rem; }
  h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
  .meta { color: #666; font-size: .85rem; }
  table { border-collapse: collapse; font-size: .85rem; display: block; overflow-x: auto; max-width: 100%; }
  th, td { padding: .25rem .6rem; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
  th:first-child, td:first-child { text-align: left; } tr.best td { font-weight: 600; background: #f3f8ff; }
  figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; display: block; }
  figcaption { color: #555; font-size: .8rem; }
  pre.sample { white-space: pre-wrap; background: #f7f7f7; padding: .5rem; border-radius: 4px; font-size: .85rem; }
  .tokens { line-height: 2; font-family: "DejaVu Sans Mono", monospace; font-size: .85rem; }
  .tokens span { padding: 1px 2px; border-radius: 2px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: .5rem; }
  .note { background: #fff8e5; border-left: 3px solid #e0a800; padding: .3rem .6rem; font-size: .85rem; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="meta">{{ subtitle }} · generated {{ generated }} by seqlab {{ version }}</p>
{% for note in notes %}<p class="note">{{ note }}</p>{% endfor %}
{% if outcome %}<h2>Outcome</h2><p>{{ outcome }}</p>{% endif %}
<h2>Results</h2>
<table>
<thead><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in table %}<tr{% if loop.first and ranked %} class="best"{% endif %}>
{%- for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
</table>
{% for fig in figures %}
<h2>{{ fig.title }}</h2>
<figure class="fig">{{ fig.svg | safe }}<figcaption>{{ fig.caption }}</figcaption></figure>
{% endfor %}
{% if surprisal %}
<h2>Where the models differ: surprisal per token</h2>
<p class="meta">One test sentence; each token shaded by the model's surprisal −log₂ p
(white 0 bits, dark red ≥ {{ surprisal.cap }} bits; hover for the value).</p>
{% for row in surprisal.rows %}<p><b>{{ row.label }}</b> ({{ row.total }} bits)<br>
<span class="tokens">{{ row.html | safe }}</span></p>
{% endfor %}{% endif %}
{% if samples %}
<h2>Samples</h2>
<p class="meta">Same prompt, same seed{% if prompt %} (prompt: “{{ prompt }}”){% endif %}.</p>
{% for label, text in samples %}<p><b>{{ label }}</b></p><pre class="sample">{{ text }}</pre>
{% endfor %}{% endif %}
{% if grid %}
<h2>{{ grid_title }}</h2>
<div class="grid">{% for fig in grid %}
<figure class="fig">{{ fig.svg | safe }}<figcaption>{{ fig.caption }}</figcaption></figure>{% endfor %}</div>
{% endif %}
{% if settings %}<h2>Settings</h2><pre class="sample">{{ settings }}</pre>{% endif %}
</body>
</html>
"""


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:,.4f}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _surprisal(data: dict[str, Any]) -> dict[str, Any] | None:
    if not data or not data.get("models"):
        return None
    cap = 16.0
    rows = []
    for label, bits in data["models"].items():
        spans = []
        for tok, b in zip(data["tokens"], bits, strict=False):
            level = min(max(float(b), 0.0), cap) / cap if math.isfinite(float(b)) else 1.0
            bg = f"rgba(200, 30, 30, {level:.2f})"
            fg = "#fff" if level > 0.6 else "#000"
            spans.append(f'<span style="background:{bg};color:{fg}" title="{float(b):.2f} bits">'
                         f"{html.escape(tok if tok.strip() else '␣')}</span>")
        rows.append({"label": label, "html": " ".join(spans), "total": f"{sum(float(b) for b in bits):.1f}"})
    return {"rows": rows, "cap": int(cap)}


def render_html(results: dict[str, Any], *, title: str | None = None) -> str:
    """The report page for ``results`` (as returned by :mod:`seqlab.compare` or read from model directories)."""
    try:
        import jinja2
    except ImportError:
        raise SeqlabError("The HTML report needs jinja2; install it with pip install 'seqlab[report]'.") from None
    from seqlab import __version__
    from seqlab.report import figures as F

    task = results.get("task", "")
    metric = results.get("metric", "")
    rows = results.get("rows", [])
    columns = list(dict.fromkeys(k for r in rows for k in r))
    table = [[_cell(r.get(c)) for c in columns] for r in rows]
    figs: list[dict[str, str]] = []
    grid: list[dict[str, str]] = []
    grid_title = ""
    q = F.quality_vs_compute(rows, metric, lower_is_better=bool(results.get("lower_is_better", True)))
    if q:
        figs.append({"title": "Quality against compute", "svg": q,
                     "caption": f"Test {metric} of each model against its training CPU time and its size."})
    metric_name = {"lm": "validation perplexity", "forecast": "validation metric"}.get(task, "validation metric")
    lc = F.learning_curves(results.get("curves", {}), metric_name)
    if lc:
        figs.append({"title": "Learning curves", "svg": lc,
                     "caption": f"{metric_name.capitalize()} during training, against seconds and against steps."})
    tl = F.learning_curves(results.get("curves", {}), metric_name, validated=False)
    if tl:
        figs.append({"title": "Training loss of runs without validation", "svg": tl,
                     "caption": "EM iterations (negative mean log-likelihood per observation) and other runs "
                                "that logged no validation metric."})
    if task == "forecast":
        fc = F.forecasts(results.get("series", {}), results.get("forecasts", {}))
        if fc:
            figs.append({"title": "Forecasts", "svg": fc, "caption": "One-step (lead 1) walk-forward forecasts."})
        eh = F.error_by_horizon(results.get("by_lead", {}), metric)
        if eh:
            figs.append({"title": "Error by horizon", "svg": eh,
                         "caption": f"{metric} of the forecasts made h steps ahead."})
    if task == "classify" and results.get("confusion"):
        conf = results["confusion"]
        grid = [{"svg": F.confusion(label, conf["labels"], m), "caption": label} for label, m in conf["models"].items()]
        grid_title = "Confusion matrices"
    if task == "lm" and results.get("embeddings"):
        grid = [{"svg": F.embeddings_pca(label, pts), "caption": f"{label}: the most frequent tokens labelled"}
                for label, pts in results["embeddings"].items()]
        grid_title = "Embeddings (PCA)"
    for label, att in (results.get("attention") or {}).items():
        figs.append({"title": f"Attention: {label}", "svg": F.attention_heatmaps(label, att["tokens"], att["layers"]),
                     "caption": "The test sentence's self-attention weights per layer, averaged over heads: row t "
                                "shows how much the prediction after token t draws on each earlier token."})
    for extra in results.get("extra_figures", []):
        figs.append(extra)
    for hmm in results.get("state_paths", []):
        figs.append({"title": f"Decoded states: {hmm['label']}",
                     "svg": F.series_with_states(hmm["values"], hmm["states"], hmm["label"]),
                     "caption": "Observations (top) and the Viterbi state path (bottom)."})
    sizes = results.get("sizes", {})
    subtitle = f"task: {task or 'models'} · data: {results.get('data', '–')}"
    if sizes:
        subtitle += " · " + ", ".join(f"{k.replace('_', ' ')} {_cell(v)}" for k, v in sizes.items())
    settings = {k: v for k, v in results.items() if k in ("settings", "mixture_weights", "model_dirs") and v}
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    page = env.from_string(_TEMPLATE).render(
        title=title or results.get("title") or f"seqlab compare {task}: {results.get('data', '')}",
        subtitle=subtitle, generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), version=__version__,
        notes=results.get("notes", []), outcome=results.get("outcome", ""), columns=columns, table=table,
        ranked=bool(rows) and bool(metric) and task != "experiment", figures=figs,
        surprisal=_surprisal(results.get("surprisal", {})),
        samples=list(results.get("samples", {}).items()), prompt=results.get("prompt", ""), grid=grid,
        grid_title=grid_title, settings=json.dumps(settings, indent=2, default=str) if settings else "")
    return page


def build_report(results: dict[str, Any], directory: str | Path, *, force: bool = False,
                 title: str | None = None) -> Path:
    """Write ``directory/index.html`` and ``directory/results.json``; returns the HTML path.

    An existing non-empty ``directory`` is refused unless ``force`` (then only those two files
    are replaced). The page is rendered before anything is written, so an error leaves nothing
    half-written.
    """
    out = Path(directory)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not force:
        raise SeqlabError(f"{out} exists and is not empty; refusing to overwrite it (use --force or another path).")
    page = render_html(results, title=title)
    payload = json.dumps(results, indent=1, default=_json_default, allow_nan=True)
    from seqlab.io import atomic_file

    out.mkdir(parents=True, exist_ok=True)
    with atomic_file(out / "results.json", "w", encoding="utf-8") as fh:
        fh.write(payload + "\n")
    with atomic_file(out / "index.html", "w", encoding="utf-8") as fh:
        fh.write(page)
    return out / "index.html"


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    return str(obj)

