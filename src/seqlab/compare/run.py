"""Run a comparison: every model fitted and measured the same way, through its task's protocol only.

Each ``compare_*`` function returns a :class:`Comparison`: JSON-able ``results`` (the table,
curves, samples, forecasts, confusion matrices — everything the report draws) plus the fitted
models. Nothing here names a model family: specs come from :mod:`seqlab.compare.registry`.
"""

from __future__ import annotations

import inspect
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.compare.builtin import Context
from seqlab.compare.registry import Parsed, parse_spec
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.train.log import MetricsLog


@dataclass
class Comparison:
    """The outcome of one comparison: ``results`` (JSON-able, what the report reads) and the models."""

    results: dict[str, Any]
    models: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> list[dict[str, Any]]:
        return list(self.results["rows"])


def slug(label: str) -> str:
    """A file-name-safe version of a model label (``ngram:order=5`` -> ``ngram-order-5``)."""
    return re.sub(r"[^A-Za-z0-9._]+", "-", label).strip("-") or "model"


def _kwargs_for(fit: Any, available: dict[str, Any]) -> dict[str, Any]:
    params = inspect.signature(fit).parameters
    return {k: v for k, v in available.items() if k in params}


def _timed_fit(model: Any, *args: Any, **available: Any) -> tuple[Any, float, float]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    fitted = model.fit(*args, **_kwargs_for(model.fit, available))
    return fitted if fitted is not None else model, time.perf_counter() - wall0, time.process_time() - cpu0


def n_parameters(model: Any) -> int | None:
    """Trainable parameters of a torch model, or the stored numbers of a classical one."""
    for holder in ("module_", "net_"):
        module = getattr(model, holder, None)
        if module is not None and hasattr(module, "parameters"):
            seen: set[int] = set()
            total = 0
            for p in module.parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    total += int(p.numel())
            return total
    parts = getattr(model, "models_", None)
    if isinstance(parts, list) and parts and not hasattr(model, "classes_"):
        counts = [n_parameters(p) for p in parts]
        return None if any(c is None for c in counts) else int(sum(c for c in counts if c is not None)) + len(parts)
    names = ("params_",) if getattr(model, "params_", None) is not None else ("coef_", "intercept_")
    fitted = [getattr(model, a) for a in names if getattr(model, a, None) is not None]
    if fitted and not hasattr(model, "classes_"):  # an estimated parameter vector (AR, linear models)
        return int(sum(np.asarray(a).size for a in fitted))
    try:
        _, arrays = model._to_state()
    except Exception:  # noqa: BLE001 - a model that cannot describe its state has no count
        return None
    return int(sum(np.asarray(a).size for name, a in arrays.items() if name != "history"))


def training_curve(model: Any) -> list[dict[str, Any]]:
    """The model's training log as MetricsLog rows (neural ``history_``, EM ``em_history_``); may be empty."""
    log = MetricsLog(None)
    history = getattr(model, "history_", None)
    for rec in history if isinstance(history, list) else []:
        if not isinstance(rec, dict) or "step" not in rec:
            continue
        metric = rec.get("valid_perplexity", rec.get("valid_loss"))
        log.write(step=int(rec["step"]), train_loss=rec.get("train_loss"), valid_metric=metric,
                  wall_seconds=rec.get("seconds"), cpu_seconds=None)
    em = getattr(model, "em_history_", None)
    for i, ll in enumerate(em if isinstance(em, list) else [], 1):
        log.write(step=i, train_loss=-float(ll), wall_seconds=None, cpu_seconds=None)
    return log.rows


def _write_curve(rows: list[dict[str, Any]], directory: Path) -> None:
    log = MetricsLog(directory)
    for r in rows:
        log.write(step=r["step"], train_loss=r["train_loss"], valid_metric=r["valid_metric"], lr=r["lr"],
                  wall_seconds=r["wall_seconds"], cpu_seconds=r["cpu_seconds"])


def save_models(comparison: Comparison, directory: str | Path) -> list[Path]:
    """Save every fitted model of a comparison to ``directory/<slug>/`` with its ``metrics.csv``."""
    out = []
    for label, model in comparison.models.items():
        if not callable(getattr(model, "save", None)):
            continue
        path = Path(directory) / slug(label)
        model.save(path)
        curve = comparison.results.get("curves", {}).get(label)
        if curve:
            _write_curve(curve, path)
        out.append(path)
    return out


# ---------------------------------------------------------------------- language models
def _text_splits(data: str, level: str) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    from seqlab.datasets import load_corpus

    if Path(data).exists():
        lines = load_corpus(data, tokenizer="char" if level == "char" else "whitespace")
        train = [s for i, s in enumerate(lines) if i % 10 not in (0, 5)]
        valid = [s for i, s in enumerate(lines) if i % 10 == 5]
        test = [s for i, s in enumerate(lines) if i % 10 == 0]
        if not (train and valid and test):
            raise DataError(f"{data} has {len(lines)} lines; comparing needs at least 10 (every 10th is test, "
                            "every 10th + 5 validation).")
        return train, valid, test
    name = data.partition(":")[0]
    return (load_corpus(f"{name}:train", level=level), load_corpus(f"{name}:valid", level=level),
            load_corpus(f"{name}:test", level=level))


def parse_data(text: str) -> tuple[str, dict[str, str]]:
    """``kjv:level=char`` -> (``kjv``, {"level": "char"}); a path passes through."""
    if Path(text).exists():
        return text, {}
    name, _, rest = text.partition(":")
    options = {}
    for pair in filter(None, rest.replace(",", ":").split(":")):
        key, eq, value = pair.partition("=")
        if not eq:
            raise InvalidParameterError(f"--data {text}: expected NAME[:KEY=VALUE], got {pair!r}.")
        options[key] = value
    return name, options


def _pick_sentence(test: list[list[str]], level: str) -> list[str]:
    lo, hi = (20, 60) if level == "char" else (8, 20)
    for s in test:
        if lo <= len(s) <= hi:
            return list(s)
    closest = min(test, key=lambda s: abs(len(s) - (lo + hi) // 2))
    return list(closest)


def _embedding_points(model: Any, n_words: int = 40) -> dict[str, Any] | None:
    """PCA (2-D) of a model's input embeddings, with its ``n_words`` most frequent words."""
    module = getattr(model, "module_", None)
    embed = getattr(module, "embed", None)
    weight = getattr(embed, "weight", None)
    vocab = getattr(model, "vocabulary_", None)
    if weight is None or vocab is None:
        return None
    w = weight.detach().cpu().double().numpy()[4:]  # ordinary tokens (ids 0-3 are specials)
    if w.shape[0] < 3:
        return None
    centred = w - w.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T
    counts = np.asarray(vocab.counts[: len(w)] if vocab.counts else np.zeros(len(w)))
    top = np.argsort(-counts, kind="stable")[:n_words] if counts.any() else np.arange(min(n_words, len(w)))
    words = [vocab.token(int(i) + 4) for i in top]
    return {"words": words, "xy": xy[top].round(5).tolist(),
            "all_xy": xy[np.linspace(0, len(xy) - 1, min(len(xy), 1500)).astype(int)].round(4).tolist()}


def attention_maps(model: Any, tokens: Sequence[str]) -> list[np.ndarray] | None:
    """Self-attention weights of a model built from :class:`seqlab.nn.TransformerBlock` layers.

    Feeds ``<s> + tokens`` and returns one (L, L) array per layer, averaged over heads
    (row ``t``: how much position ``t`` attends to each position ``<= t``); ``None`` for a
    model without such layers. Only the layers' own modules are used (``norm1``, ``attn.qkv``),
    and each block's output is taken from the block itself, so the maps are the ones it uses.
    """
    module = getattr(model, "module_", None)
    blocks = getattr(module, "blocks", None)
    vocab = getattr(model, "vocabulary_", None)
    if module is None or blocks is None or vocab is None \
            or not all(hasattr(b, "attn") and hasattr(b, "norm1") for b in blocks):
        return None
    import torch

    from seqlab.data.vocab import BOS_ID

    ids = torch.tensor([[BOS_ID, *vocab.encode(list(tokens)).tolist()]], dtype=torch.int64)
    maps = []
    with torch.no_grad():
        device = next(module.parameters()).device
        ids = ids.to(device)
        x = module.pos(module.embed(ids), offset=0) if hasattr(module, "pos") else module.embed(ids)  # (1, L, E)
        length = ids.size(1)
        for block in blocks:
            attn = block.attn
            q, k, _ = attn.qkv(block.norm1(x)).view(1, length, 3, attn.n_heads, -1).permute(2, 0, 3, 1, 4)
            scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (1, h, L, L)
            if getattr(attn, "causal", False):
                future = torch.ones(length, length, dtype=torch.bool, device=device).triu(1)
                scores = scores.masked_fill(future, float("-inf"))
            maps.append(scores.softmax(-1)[0].mean(0).double().cpu().numpy())  # (L, L), heads averaged
            x, _ = block.step(x)  # (1, L, E)
    return maps


def compare_lm(data: str, models: Sequence[str], *, context: Context | None = None, prompt: str | None = None,
               sample_tokens: int = 40, temperature: float = 1.0, limit: int | None = None,
               progress: Any = None) -> Comparison:
    """Fit every model on the same split, tokens and vocabulary; measure test perplexity.

    Parameters
    ----------
    data : str
        A bundled corpus (``kjv``, ``shakespeare:level=char``) or a text file (one sequence per line).
    models : list of str
        Specs (``ngram:order=5``, ``lstm``, ``mix:ngram:order=5+lstm``).
    context : Context
        Budget, steps and seed shared by every model.
    limit : int, optional
        Use only the first ``limit`` training lines (a quick look; validation and test are whole).
        (``compare_classify``'s ``limit`` keeps evenly spaced texts instead, so every class stays.)
    """
    from seqlab.data.vocab import Vocabulary
    from seqlab.evaluate import perplexity_report
    from seqlab.generate import generate
    from seqlab.mix import InterpolatedLM

    ctx = context or Context()
    parsed = [parse_spec("lm", m) for m in models]
    if not parsed:
        raise InvalidParameterError("--models is empty; name at least one model, e.g. ngram:order=5 lstm.")
    labels = [p.text for p in parsed]
    if len(set(labels)) != len(labels):
        raise InvalidParameterError(f"--models names a model twice: {labels}; give each spec once.")
    name, options = parse_data(data)
    level = options.pop("level", "word")
    if options:
        raise InvalidParameterError(f"--data {data}: unknown option(s) {sorted(options)}; valid: level.")
    if level not in ("word", "char"):
        raise InvalidParameterError(f"--data {data}: level must be word or char, got {level!r}.")
    train, valid, test = _text_splits(name, level)
    if limit is not None:
        train = train[:limit]
    vocabulary = Vocabulary.build(train)
    singles: dict[str, Parsed] = {}
    for p in parsed:
        for q in (p.parts or (p,)):
            singles.setdefault(q.text, q)
    fitted: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    curves: dict[str, list[dict[str, Any]]] = {}
    weights: dict[str, list[float]] = {}
    todo = list(singles.values()) + [p for p in parsed if p.parts]
    for p in (progress(todo, desc="models") if progress else todo):
        if p.parts:
            wall0, cpu0 = time.perf_counter(), time.process_time()
            model = InterpolatedLM([fitted[q.text] for q in p.parts]).fit_weights(valid)
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            parts = [r for r in rows if r["model"] in {q.text for q in p.parts}]
            wall += sum(r["fit_seconds"] for r in parts)  # a mixture costs its parts plus its EM
            cpu += sum(r["cpu_seconds"] for r in parts)
            weights[p.text] = [round(float(w), 4) for w in model.weights_]
        else:
            model, wall, cpu = _timed_fit(p.build(ctx), train, vocabulary=vocabulary, valid=valid, quiet=ctx.quiet)
        fitted[p.text] = model
        rep = perplexity_report(model, test)
        result = getattr(model, "train_result_", None) or {}
        rows.append({"model": p.text, "perplexity": rep.perplexity, "bits_per_token": rep.bits_per_token,
                     "parameters": n_parameters(model), "fit_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
                     "steps": result.get("steps")})
        curves[p.text] = training_curve(model)
        if not curves[p.text]:  # a one-pass fit (counting): one row, its cost and its validation perplexity
            log = MetricsLog(None)
            log.write(step=1, valid_metric=perplexity_report(model, valid).perplexity, wall_seconds=wall,
                      cpu_seconds=cpu)
            curves[p.text] = log.rows
    rows.sort(key=lambda r: (math.isnan(r["perplexity"]), r["perplexity"]))
    prompt_tokens = (list(prompt) if level == "char" else prompt.lower().split()) if prompt else []
    samples = {}
    for label, model in fitted.items():
        toks = generate(model, prompt_tokens, max_tokens=sample_tokens, temperature=temperature, seed=ctx.seed)
        joiner = "" if level == "char" else " "
        samples[label] = joiner.join(prompt_tokens + toks)
    sentence = _pick_sentence(test, level)
    bits: dict[str, list[float]] = {}  # per model, each token's surprisal in bits
    for label, model in fitted.items():
        lp, _ = model.token_log_probs([sentence])
        bits[label] = [round(-float(v) / math.log(2), 4) for v in lp]
    surprisal = {"tokens": sentence + ["</s>"], "models": bits}
    embeddings = {label: e for label, m in fitted.items() if (e := _embedding_points(m)) is not None}
    short = sentence[: 24 if level == "word" else 40]
    attention = {label: {"tokens": ["<s>", *short], "layers": [a.round(4).tolist() for a in maps]}
                 for label, m in fitted.items() if (maps := attention_maps(m, short)) is not None}
    results = {
        "task": "lm", "data": data, "level": level, "metric": "perplexity", "lower_is_better": True,
        "sizes": {"train_tokens": sum(map(len, train)), "test_tokens": sum(map(len, test)) + len(test),
                  "vocabulary": len(vocabulary)},
        "settings": {"budget_cpu_seconds": ctx.budget, "steps": ctx.steps, "seed": ctx.seed, "limit": limit},
        "rows": rows, "curves": curves, "samples": samples, "prompt": prompt or "", "surprisal": surprisal,
        "embeddings": embeddings, "attention": attention, "mixture_weights": weights,
    }
    return Comparison(results, fitted)


# ---------------------------------------------------------------------- forecasters
def compare_forecast(data: str, models: Sequence[str], *, context: Context | None = None, initial: int | None = None,
                     horizon: int = 1, step: int = 1, refit_every: int | None = 1, season_length: int = 1,
                     progress: Any = None) -> Comparison:
    """One walk-forward backtest for every forecaster: overall and per-lead errors, the forecasts."""
    from seqlab import datasets
    from seqlab.forecast import WalkForward, backtest

    ctx = context or Context(horizon=horizon)
    if ctx.horizon != horizon:
        ctx = Context(budget=ctx.budget, steps=ctx.steps, seed=ctx.seed, horizon=horizon, eval_every=ctx.eval_every,
                      quiet=ctx.quiet)
    parsed = [parse_spec("forecast", m) for m in models]
    if not parsed:
        raise InvalidParameterError("--models is empty; name at least one forecaster, e.g. naive ar:lags=9.")
    series = datasets.load(data)
    if not hasattr(series, "values") or not hasattr(series, "frequency"):
        raise DataError(f"--data {data} is not a series data set; choose one of the series in 'seqlab datasets list'.")
    n = len(series.values)
    start = initial if initial is not None else int(n * 0.8)
    if not 1 <= start <= n - horizon:
        raise InvalidParameterError(f"--initial must be in [1, {n - horizon}] for {data} ({n} values) and "
                                    f"horizon {horizon}; got {start}.")
    splitter = WalkForward(initial=start, horizon=horizon, step=step, refit_every=refit_every)
    rows: list[dict[str, Any]] = []
    fitted, forecasts, by_lead = {}, {}, {}
    first = None
    for p in (progress(parsed, desc="models") if progress else parsed):
        model = p.build(ctx)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        res = backtest(model, series, splitter, season_length=season_length)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        fitted[p.text] = res.model
        rows.append({"model": p.text, **{k: float(v) for k, v in res.metrics.items()},
                     "parameters": n_parameters(res.model), "fit_seconds": round(wall, 2),
                     "cpu_seconds": round(cpu, 2)})
        lead1 = res.lead == 1
        first = first or {"index": [_jsonable(v) for v in res.index[lead1]],
                          "actual": res.actuals[lead1].tolist()}
        forecasts[p.text] = res.predictions[lead1].tolist()
        by_lead[p.text] = res.metrics_by_lead or [{"lead": 1, **res.metrics}]
    key = "mase" if all("mase" in r for r in rows) else "mae"
    rows.sort(key=lambda r: (math.isnan(r[key]), r[key]))
    results = {
        "task": "forecast", "data": data, "metric": key, "lower_is_better": True,
        "settings": {"initial": start, "horizon": horizon, "step": step, "refit_every": refit_every, "seed": ctx.seed},
        "rows": rows, "curves": {k: training_curve(m) for k, m in fitted.items()},
        "series": {"index": [_jsonable(v) for v in series.index], "values": series.values.tolist(),
                   "name": data},
        "forecasts": {**(first or {}), "models": forecasts}, "by_lead": by_lead,
    }
    return Comparison(results, fitted)


def _jsonable(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


# ---------------------------------------------------------------------- classifiers
def compare_classify(data: str, models: Sequence[str], *, context: Context | None = None, level: str = "word",
                     limit: int | None = None, progress: Any = None) -> Comparison:
    """Fit every classifier on the same train split and tokens; accuracy, macro F1, confusion matrices."""
    from seqlab import datasets
    from seqlab.data.tokenize import get_tokenizer
    from seqlab.evaluate.classification import accuracy, confusion_matrix, f1_score

    ctx = context or Context()
    parsed = [parse_spec("classify", m) for m in models]
    if not parsed:
        raise InvalidParameterError("--models is empty; name at least one classifier, e.g. bayes-ngram:order=1.")
    tr, te = datasets.load(data, "train"), datasets.load(data, "test")
    if not hasattr(tr, "labels"):
        raise DataError(f"--data {data} is not a labelled data set; choose spamassassin or brown-genres.")
    tok = get_tokenizer("char" if level == "char" else "word")
    keep = (np.linspace(0, len(tr.texts) - 1, min(limit, len(tr.texts))).round().astype(int) if limit
            else np.arange(len(tr.texts)))  # evenly spaced: every class keeps its share (the files are grouped)
    texts_tr, y_tr = [tr.texts[i] for i in keep], [tr.labels[i] for i in keep]
    x_tr = [tok(t) or ["<empty>"] for t in texts_tr]
    x_te = [tok(t) or ["<empty>"] for t in te.texts]
    labels = sorted(set(y_tr) | set(te.labels))
    rows: list[dict[str, Any]] = []
    fitted, confusion = {}, {}
    for p in (progress(parsed, desc="models") if progress else parsed):
        model, wall, cpu = _timed_fit(p.build(ctx), x_tr, y_tr)
        t0 = time.perf_counter()
        pred = np.asarray(model.predict(x_te))
        predict_seconds = time.perf_counter() - t0
        fitted[p.text] = model
        rows.append({"model": p.text, "accuracy": accuracy(te.labels, pred),
                     "macro_f1": f1_score(te.labels, pred, average="macro"),
                     "parameters": n_parameters(model), "fit_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
                     "predict_seconds": round(predict_seconds, 2)})
        confusion[p.text] = confusion_matrix(te.labels, pred, labels=labels).tolist()
    rows.sort(key=lambda r: -r["accuracy"])
    results = {
        "task": "classify", "data": data, "level": level, "metric": "accuracy", "lower_is_better": False,
        "sizes": {"train": len(x_tr), "test": len(x_te), "classes": len(labels)},
        "settings": {"seed": ctx.seed, "limit": limit},
        "rows": rows, "curves": {k: training_curve(m) for k, m in fitted.items()},
        "confusion": {"labels": labels, "models": confusion},
    }
    return Comparison(results, fitted)
