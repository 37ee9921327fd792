"""Report inputs from model directories already trained: configuration, summary, training log.

Nothing is retrained. What a directory lacks (a ``metrics.csv``, a summary) is said in a note on
the page rather than failing; a path that is not a seqlab model directory is a one-line error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seqlab.exceptions import DataError, SeqlabError
from seqlab.train.log import FILENAME, read_metrics


def _scalar_items(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if isinstance(v, int | float | str) and not isinstance(v, bool)}


def results_from_model_dirs(dirs: Sequence[str | Path], *, data: str | None = None, level: str = "word",
                            prompt: str = "", seed: int = 0, sample_tokens: int = 40) -> dict[str, Any]:
    """Results for :func:`seqlab.report.build_report` from saved model directories.

    Parameters
    ----------
    dirs : list of paths
        Model directories (``manifest.json`` + arrays; ``metrics.csv`` if the run logged one).
    data : str, optional
        A test corpus (``kjv:test``, a file): language models are then scored on it (test
        perplexity, surprisal of one sentence) and sampled from; nothing is refitted.
    """
    from seqlab import io

    if not dirs:
        raise SeqlabError("give at least one model directory.")
    rows: list[dict[str, Any]] = []
    curves: dict[str, list[dict[str, Any]]] = {}
    notes: list[str] = []
    configs: dict[str, Any] = {}
    models: dict[str, Any] = {}
    labels: list[str] = []
    for d in dirs:
        path = Path(d)
        manifest = io.read_manifest(path)  # FormatError (one line) for anything else
        label = path.name if path.name not in labels else str(path)
        labels.append(label)
        summary = manifest.get("state", {}).get("summary") or {}
        row: dict[str, Any] = {"model": label, "class": manifest["class"], **_scalar_items(summary)}
        configs[label] = manifest.get("params")
        try:
            curves[label] = read_metrics(path)
            last = curves[label][-1] if curves[label] else None
            if last is not None:
                row["log_steps"] = last["step"]
                if last.get("wall_seconds") is not None:
                    row["log_seconds"] = round(last["wall_seconds"], 2)
        except DataError:
            notes.append(f"{path}: no {FILENAME} (training log); its learning curve is missing.")
        if not summary:
            notes.append(f"{path}: the manifest has no summary; only its class and configuration are shown.")
        if data is not None:
            models[label] = io.load(path)
        rows.append(row)
    results: dict[str, Any] = {"task": "models", "data": ", ".join(str(d) for d in dirs), "metric": "",
                               "rows": rows, "curves": curves, "notes": notes, "settings": {"configurations": configs}}
    if data is not None:
        _score_language_models(results, models, data, level=level, prompt=prompt, seed=seed,
                               sample_tokens=sample_tokens)
    return results


def _score_language_models(results: dict[str, Any], models: dict[str, Any], data: str, *, level: str, prompt: str,
                           seed: int, sample_tokens: int) -> None:
    from seqlab.datasets import load_corpus
    from seqlab.evaluate import perplexity_report
    from seqlab.generate import generate

    lms = {k: m for k, m in models.items() if callable(getattr(m, "token_log_probs", None))}
    if not lms:
        results["notes"].append(f"--data {data}: none of the models is a language model; nothing was scored.")
        return
    test = load_corpus(data, level=level) if ":" in data or not Path(data).exists() else load_corpus(data)
    sentence = next((s for s in test if 8 <= len(s) <= 20), test[0])
    by_label = {r["model"]: r for r in results["rows"]}
    surprisal: dict[str, Any] = {"tokens": list(sentence) + ["</s>"], "models": {}}
    samples = {}
    prompt_tokens = list(prompt) if level == "char" else prompt.lower().split()
    for label, lm in lms.items():
        rep = perplexity_report(lm, test)
        by_label[label].update(perplexity=rep.perplexity, bits_per_token=rep.bits_per_token)
        lp, _ = lm.token_log_probs([sentence])
        surprisal["models"][label] = [round(-float(v) / math.log(2), 4) for v in lp]
        toks = generate(lm, prompt_tokens, max_tokens=sample_tokens, seed=seed)
        samples[label] = ("" if level == "char" else " ").join(prompt_tokens + toks)
    results["rows"].sort(key=lambda r: r.get("perplexity", math.inf))
    results.update(task="lm", data=data, metric="perplexity", lower_is_better=True, surprisal=surprisal,
                   samples=samples, prompt=prompt)
