"""``seqlab compare lm|forecast|classify``: every model on the same data, one table, one report.

Models are specs, ``NAME[:KEY=VALUE...]`` (``--list`` shows the names and keys of a task); any
family registered with :func:`seqlab.compare.register_spec` is accepted.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from seqlab.cli._common import add_group, add_verb, emit, format_table, progress
from seqlab.exceptions import SeqlabError


def _list(task: str) -> int:
    from seqlab.compare import describe

    print(format_table(describe(task)))
    return 0


def _check_report_dir(args: argparse.Namespace) -> None:
    """Refuse bad settings and existing outputs before any data is read (every model may not use every flag)."""
    from seqlab.cli._common import check_parent, check_range
    from seqlab.cli._neural import MAX_THREADS

    check_range(args.budget, "--budget", low=0, strict=True, note=" (CPU seconds per neural model)")
    check_range(args.steps, "--steps", low=1)
    check_range(args.eval_every, "--eval-every", low=1)
    check_range(args.threads, "--threads", low=1, high=MAX_THREADS)
    for flag in ("limit", "sample_tokens", "temperature", "initial", "horizon", "step", "refit_every",
                 "season_length"):
        if hasattr(args, flag):
            low, strict = {"sample_tokens": (0, False), "temperature": (0, True), "refit_every": (0, False)}.get(
                flag, (1, False))
            check_range(getattr(args, flag), "--" + flag.replace("_", "-"), low=low, strict=strict)
    for attr in ("report", "save_models"):
        path = getattr(args, attr, None)
        if path:
            check_parent(path, "--" + attr.replace("_", "-") + " directory")
        if path and Path(path).exists() and any(Path(path).iterdir()) and not args.force:
            flag = "--report" if attr == "report" else "--save-models"
            raise SeqlabError(f"{flag} {path} exists and is not empty; refusing to overwrite it (use --force).")


def _context(args: argparse.Namespace, horizon: int = 1) -> Any:
    from seqlab.compare import Context

    return Context(budget=args.budget, steps=args.steps, seed=0 if args.seed is None else args.seed, horizon=horizon,
                   eval_every=args.eval_every, quiet=bool(getattr(args, "quiet", False)))


def _finish(args: argparse.Namespace, comparison: Any, title: str) -> int:
    from seqlab.compare import save_models

    results = comparison.results
    if args.tensorboard:  # the same scalars as metrics.csv, one run per model
        from seqlab.compare import slug
        from seqlab.train.log import MetricsLog

        for label, rows in results.get("curves", {}).items():
            log = MetricsLog(None, tensorboard_dir=Path(args.tensorboard) / slug(label))
            for r in rows:
                log.write(step=r["step"], train_loss=r["train_loss"], valid_metric=r["valid_metric"], lr=r["lr"],
                          wall_seconds=r["wall_seconds"], cpu_seconds=r["cpu_seconds"])
            log.close()
    if args.save_models:
        results["model_dirs"] = [str(p) for p in save_models(comparison, args.save_models)]
    report_path = None
    if args.report:
        from seqlab.report import build_report

        report_path = build_report(results, args.report, force=args.force)
    if args.format == "json":
        print(json.dumps({**results, "report": str(report_path) if report_path else None}, indent=2, default=str))
        return 0
    if args.format == "tsv":
        emit(args, results["rows"])
        return 0
    print(title)
    print(format_table(results["rows"]))
    for label, text in results.get("samples", {}).items():
        print(f"\nsample ({label}, seed {results['settings'].get('seed')}):\n  {text}")
    for label, w in results.get("mixture_weights", {}).items():
        print(f"\n{label}: weights {w}")
    if report_path:
        print(f"\nreport: {report_path}")
    return 0


def _quiet(args: argparse.Namespace) -> Any:
    quiet = bool(getattr(args, "quiet", False))
    return lambda it, **kw: progress(it, quiet=quiet, **kw)


def cmd_lm(args: argparse.Namespace) -> int:
    if args.list:
        return _list("lm")
    from seqlab.compare import compare_lm, parse_spec

    for m in args.models:  # validate every spec before any data is read or anything is written
        parse_spec("lm", m)
    _check_report_dir(args)
    if any(not m.startswith("ngram") for m in args.models):
        from seqlab.cli import _neural

        _neural.configure_threads(args.threads)
    comparison = compare_lm(args.data, args.models, context=_context(args), prompt=args.prompt,
                            sample_tokens=args.sample_tokens, temperature=args.temperature, limit=args.limit,
                            progress=_quiet(args))
    r = comparison.results
    title = (f"{r['data']} ({r['level']} level): {r['sizes']['train_tokens']:,} training tokens, "
             f"{r['sizes']['test_tokens']:,} test tokens, vocabulary {r['sizes']['vocabulary']:,}; "
             "test perplexity, best first\n")
    return _finish(args, comparison, title)


def cmd_forecast(args: argparse.Namespace) -> int:
    if args.list:
        return _list("forecast")
    from seqlab.compare import compare_forecast, parse_spec

    for m in args.models:
        parse_spec("forecast", m)
    _check_report_dir(args)
    comparison = compare_forecast(args.data, args.models, context=_context(args, args.horizon), initial=args.initial,
                                  horizon=args.horizon, step=args.step, refit_every=args.refit_every or None,
                                  season_length=args.season_length, progress=_quiet(args))
    s = comparison.results["settings"]
    title = (f"{args.data}: walk-forward backtest from point {s['initial']}, horizon {s['horizon']}, "
             f"step {s['step']}; best ({comparison.results['metric']}) first\n")
    return _finish(args, comparison, title)


def cmd_classify(args: argparse.Namespace) -> int:
    if args.list:
        return _list("classify")
    from seqlab.compare import compare_classify, parse_spec

    for m in args.models:
        parse_spec("classify", m)
    _check_report_dir(args)
    comparison = compare_classify(args.data, args.models, context=_context(args), level=args.level, limit=args.limit,
                                  progress=_quiet(args))
    sz = comparison.results["sizes"]
    title = f"{args.data}: {sz['train']:,} training / {sz['test']:,} test texts, {sz['classes']} classes; best first\n"
    return _finish(args, comparison, title)


def _shared(p: argparse.ArgumentParser, *, default_models: list[str]) -> None:
    p.add_argument("--models", nargs="+", default=default_models, metavar="SPEC",
                   help="models as NAME[:KEY=VALUE...]; see --list")
    p.add_argument("--list", action="store_true", help="list the model names and keys of this task and exit")
    p.add_argument("--budget", type=float, default=60.0, help="CPU seconds of training per neural model")
    p.add_argument("--steps", type=int, default=None, help="optimisation steps per neural model (first limit wins)")
    p.add_argument("--eval-every", type=int, default=50, help="steps between validation points of the curves")
    p.add_argument("--report", default=None, metavar="DIR", help="write the HTML report (index.html) here")
    p.add_argument("--save-models", default=None, metavar="DIR",
                   help="save every fitted model in DIR/<model>/ with its metrics.csv (for seqlab report)")
    p.add_argument("--force", action="store_true", help="write into a non-empty --report / --save-models directory")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default 1)")
    p.add_argument("--tensorboard", default=None, metavar="DIR",
                   help="also write every model's curve for TensorBoard (the tensorboard extra)")


def register(groups: Any) -> None:
    verbs = add_group(groups, "compare", "compare models of one task on the same data, side by side")
    lm = add_verb(verbs, "lm", "language models: test perplexity, bits, size, time, samples", cmd_lm)
    lm.add_argument("--data", default="kjv", help="bundled corpus (kjv, shakespeare:level=char) or a text file")
    _shared(lm, default_models=["ngram:order=3", "ngram:order=5", "lstm", "transformer"])
    lm.add_argument("--limit", type=int, default=None, help="use only the first N training lines")
    lm.add_argument("--prompt", default="", help="text the samples continue")
    lm.add_argument("--sample-tokens", type=int, default=40, help="tokens per sample")
    lm.add_argument("--temperature", type=float, default=1.0, help="sampling temperature")
    fc = add_verb(verbs, "forecast", "forecasters: one walk-forward backtest, error by horizon", cmd_forecast)
    fc.add_argument("--data", default="sunspots", help="bundled series (sunspots, airline, ...)")
    _shared(fc, default_models=["naive", "ar:lags=9", "mlp"])
    fc.add_argument("--initial", type=int, default=None, help="first training window (default: 80%% of the series)")
    fc.add_argument("--horizon", type=int, default=1, help="forecast steps ahead")
    fc.add_argument("--step", type=int, default=1, help="origin moves between folds")
    fc.add_argument("--refit-every", type=int, default=1, help="refit every N folds (0: never after the first)")
    fc.add_argument("--season-length", type=int, default=1, help="MASE's naive-forecast period")
    cl = add_verb(verbs, "classify", "sequence classifiers: accuracy, macro F1, confusion matrices", cmd_classify)
    cl.add_argument("--data", default="spamassassin", help="bundled labelled set (spamassassin, brown-genres)")
    _shared(cl, default_models=["bayes-ngram:order=1", "bayes-ngram:order=2"])
    cl.add_argument("--level", choices=("word", "char"), default="word", help="tokenisation")
    cl.add_argument("--limit", type=int, default=None, help="use only the first N training texts")
