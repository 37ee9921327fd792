"""``seqlab demo``: train models on the bundled King James Bible, compare test perplexities, sample.

The demo is a list of :data:`STEPS`; each step fits some models on the shared data and
returns table rows (with the fitted model, so the best one can be sampled from). A new
model family joins the comparison by appending a step: ``STEPS.append(DemoStep(...))``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from seqlab.cli._common import add_common, emit, format_table, progress
from seqlab.exceptions import MissingDependencyError


@dataclass
class DemoData:
    """The shared data: word-level ``kjv`` train+valid (fit) and test (score), the KenLM split."""

    train: list[list[str]]
    test: list[list[str]]
    name: str = "kjv"


@dataclass
class Row:
    """One line of the perplexity table; ``model`` is kept for sampling."""

    model_name: str
    order: int | str
    model: Any = field(repr=False)
    metrics: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model_name, "order": self.order, **self.metrics}


@dataclass(frozen=True)
class DemoStep:
    """A named group of models: ``run(data, args, quiet) -> rows``."""

    name: str
    run: Callable[[DemoData, argparse.Namespace, bool], list[Row]]


def score_row(model_name: str, order: int | str, model: Any, data: DemoData, seconds: float) -> Row:
    """Evaluate a fitted ``LanguageModel`` on the test split (shared by every step)."""
    from seqlab.evaluate import perplexity_report

    rep = perplexity_report(model, data.test)
    return Row(model_name, order, model, {"perplexity": rep.perplexity, "bits_per_token": rep.bits_per_token,
                                          "oov": rep.oov, "fit_seconds": round(seconds, 2)})


def _ngram_step(data: DemoData, args: argparse.Namespace, quiet: bool) -> list[Row]:
    from seqlab.ngram import Lidstone, ModifiedKneserNey, NGramLM, WittenBell

    models: list[tuple[str, Callable[[], Any]]] = [
        ("add-k (k=0.01)", lambda: Lidstone(alpha=0.01)), ("Witten-Bell", WittenBell),
        ("modified Kneser-Ney", ModifiedKneserNey)]
    jobs = [(name, make, order) for name, make in models for order in (2, 3, 5)]
    rows = []
    for name, make, order in progress(jobs, quiet=quiet, desc="n-gram models"):
        start = time.perf_counter()
        lm = NGramLM(order=order, smoothing=make()).fit(data.train)
        rows.append(score_row(f"n-gram {name}", order, lm, data, time.perf_counter() - start))
    return rows


def _neural_step(data: DemoData, args: argparse.Namespace, quiet: bool) -> list[Row]:
    """A small LSTM and a small Transformer, ``--neural-seconds`` of training each, on the same
    tokens and the same vocabulary rule as the n-gram models (so the perplexities compare)."""
    from seqlab.cli import _neural
    from seqlab.data.vocab import Vocabulary
    from seqlab.deps import require_torch

    require_torch("the neural rows (LSTM, Transformer)")
    vocabulary = Vocabulary.build(data.train)  # = NGramLM's vocabulary at min_count=1
    _neural.configure_threads(getattr(args, "threads", None))
    rows = []
    for name, params in _neural.DEMO_MODELS.items():
        start = time.perf_counter()
        lm = _neural.demo_model(name, params, data.train, vocabulary, budget=args.neural_seconds, quiet=quiet,
                                seed=0 if args.seed is None else args.seed)
        label = f"neural {name} ({lm.module_.num_parameters() / 1e6:.1f}M params, {lm.train_result_['steps']} steps)"
        rows.append(score_row(label, "-", lm, data, time.perf_counter() - start))
    return rows


STEPS: list[DemoStep] = [DemoStep("n-gram language models", _ngram_step),
                         DemoStep("neural language models", _neural_step)]


def run(args: argparse.Namespace) -> int:
    from seqlab.cli._common import check_range
    from seqlab.cli._neural import MAX_THREADS
    from seqlab.datasets import load_corpus
    from seqlab.generate import generate

    check_range(args.max_tokens, "--max-tokens", low=0)  # every setting before the minutes of training
    check_range(args.temperature, "--temperature", low=0, strict=True)
    check_range(args.neural_seconds, "--neural-seconds", low=0, strict=True)
    check_range(args.threads, "--threads", low=1, high=MAX_THREADS)
    quiet = getattr(args, "quiet", False)
    data = DemoData(load_corpus("kjv:train+valid", tokenizer="word"), load_corpus("kjv:test", tokenizer="word"))
    rows: list[Row] = []
    step_best: list[Row] = []
    missing: list[str] = []
    for step in STEPS:
        try:
            step_rows = step.run(data, args, quiet)
        except MissingDependencyError as exc:  # e.g. no torch: show the other rows, then say why
            missing.append(f"the {step.name} are left out: {exc}")
            continue
        rows += step_rows
        step_best.append(min(step_rows, key=lambda r: r.metrics["perplexity"]))
    best = min(rows, key=lambda r: r.metrics["perplexity"])
    prompt = args.prompt.lower().split()

    def sample_text(row: Row) -> str:
        words = generate(row.model, prompt, max_tokens=args.max_tokens, temperature=args.temperature,
                         seed=1 if args.seed is None else args.seed)
        return " ".join(prompt + words)

    text = sample_text(best)
    others = {r.model_name: sample_text(r) for r in rows if r is not best and r.order == "-"}  # each neural model
    if args.format == "json":
        emit(args, {"rows": [r.as_dict() for r in rows], "best": best.as_dict(), "sample": text,
                    "samples": {best.model_name: text, **others}})
        for line in missing:
            print(f"seqlab: warning: {line}", file=sys.stderr)
        return 0
    n_train = sum(map(len, data.train))
    n_test = sum(map(len, data.test)) + len(data.test)
    print(f"King James Bible (kjv): {n_train:,} training words, {n_test:,} test tokens (</s> included); "
          "test perplexity, lower is better\n")
    print(format_table([r.as_dict() for r in rows]))
    print(f"\nSample from the best ({best.model_name}, order {best.order}), "
          f"temperature {args.temperature}, seed {1 if args.seed is None else args.seed}:\n")
    print(text)
    for name, other in others.items():
        print(f"\nSample from {name}:\n")
        print(other)
    for line in missing:
        print(f"seqlab: warning: {line}", file=sys.stderr)
    return 0


def register(groups: Any) -> None:
    from seqlab.cli._common import Formatter

    p = groups.add_parser("demo", help="train models on the bundled King James Bible and compare them",
                          description=__doc__.splitlines()[0], formatter_class=Formatter)
    p.add_argument("--prompt", default="in the beginning", help="text the sample continues")
    p.add_argument("--max-tokens", type=int, default=50, help="most tokens to sample")
    p.add_argument("--temperature", type=float, default=0.8, help="sampling temperature")
    p.add_argument("--neural-seconds", type=float, default=40.0,
                   help="CPU seconds of training for each neural model (small LSTM, small Transformer)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default 1, OMP_WAIT_POLICY=PASSIVE)")
    add_common(p)
    p.set_defaults(run=run)
