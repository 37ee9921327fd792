"""The source documents' claims as named, small, honest experiments (``seqlab reproduce NAME``).

Each experiment runs on bundled data within a small CPU budget and returns results for the
report: a table, figures, and ``outcome``, the claim and whether it held *as measured* (at CPU
scale a claim may not hold; the outcome then says so and by how much). Results are appended to
``bench/results/reproduce.json`` by the command line.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqlab.compare.builtin import Context
from seqlab.exceptions import InvalidParameterError


@dataclass(frozen=True)
class Experiment:
    """A named experiment: ``run(budget, seed) -> results``; ``budget`` is CPU seconds per trained model."""

    name: str
    claim: str
    documents: str
    default_budget: float
    run: Callable[[float, int], dict[str, Any]]


EXPERIMENTS: dict[str, Experiment] = {}


def experiment(name: str, claim: str, documents: str, default_budget: float) -> Callable[..., Any]:
    def wrap(fn: Callable[[float, int], dict[str, Any]]) -> Callable[[float, int], dict[str, Any]]:
        EXPERIMENTS[name] = Experiment(name, claim, documents, default_budget, fn)
        return fn

    return wrap


def run_experiment(name: str, *, budget: float | None = None, seed: int = 0) -> dict[str, Any]:
    """Run one experiment; returns its results (``rows``, ``outcome``, ``figures``...)."""
    if name not in EXPERIMENTS:
        raise InvalidParameterError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}.")
    exp = EXPERIMENTS[name]
    b = exp.default_budget if budget is None else budget
    if not b > 0:
        raise InvalidParameterError(f"--budget must be > 0 CPU seconds, got {b}.")
    wall0, cpu0 = time.perf_counter(), time.process_time()
    results = exp.run(b, seed)
    results.update(title=f"seqlab reproduce {name}", data=results.get("data", ""), claim=exp.claim,
                   documents=exp.documents, budget_cpu_seconds=b, seed=seed,
                   run_seconds=round(time.perf_counter() - wall0, 1),
                   run_cpu_seconds=round(time.process_time() - cpu0, 1))
    results["outcome"] = f"Claim ({exp.documents}): {exp.claim} Measured: {results['outcome']}"
    return results


def _svg_lines(title: str, xlabel: str, ylabel: str, series: dict[str, tuple[list[float], list[float]]], *,
               logx: bool = False, hline: float | None = None, hline_label: str = "") -> dict[str, str]:
    from seqlab.plotting import pyplot
    from seqlab.report.figures import _svg

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    for i, (label, (x, y)) in enumerate(series.items()):
        ax.plot(x, y, marker="o", ms=3, color=f"C{i % 10}", label=label)
    if hline is not None:
        ax.axhline(hline, color="0.4", ls=":", lw=1.2, label=hline_label or None)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return {"title": title, "svg": _svg(fig), "caption": ""}


# ---------------------------------------------------------------------- 001: n-gram vs neural
@experiment("ngram-vs-neural", "LSTMs (and GRUs, Transformers) reach a lower perplexity than a Kneser-Ney 5-gram.",
            "001", 20.0)
def _ngram_vs_neural(budget: float, seed: int) -> dict[str, Any]:
    from seqlab.compare import compare_lm

    rows, figures = [], []
    per_level: dict[str, dict[str, tuple[list[float], list[float]]]] = {}
    budgets = sorted({round(budget / 3, 1), budget})
    for data, lines in (("shakespeare:level=char", 4000), ("kjv", 3000)):
        level_rows: dict[str, tuple[list[float], list[float]]] = {}
        kn = None
        for b in budgets:
            c = compare_lm(data, ["ngram:order=5", "lstm", "gru", "transformer"],
                           context=Context(budget=b, seed=seed, eval_every=10**6), limit=lines, sample_tokens=1)
            for r in c.rows:
                if r["model"].startswith("ngram"):
                    kn = r["bits_per_token"]
                    continue
                level_rows.setdefault(r["model"], ([], []))
                level_rows[r["model"]][0].append(b)
                level_rows[r["model"]][1].append(r["bits_per_token"])
                rows.append({"data": data, "model": r["model"], "budget_cpu_s": b,
                             "bits_per_token": r["bits_per_token"],
                             "perplexity": r["perplexity"], "steps": r["steps"]})
        rows.append({"data": data, "model": "ngram:order=5 (modified KN)", "budget_cpu_s": None,
                     "bits_per_token": kn, "perplexity": 2 ** kn if kn is not None else None, "steps": None})
        per_level[data] = level_rows
        figures.append(_svg_lines(f"{data}: test bits per token against CPU budget ({lines} training lines)",
                                  "CPU seconds of training", "bits per token", level_rows, hline=kn,
                                  hline_label="5-gram, modified Kneser-Ney"))
    verdicts = []
    for data, level_rows in per_level.items():
        kn = next(r["bits_per_token"] for r in rows if r["data"] == data and r["model"].startswith("ngram"))
        best_model = min(level_rows, key=lambda m: level_rows[m][1][-1])
        best = level_rows[best_model][1][-1]
        verdicts.append(f"{data}: best neural {best_model} {best:.3f} bits vs 5-gram {kn:.3f} "
                        f"({'holds' if best < kn else 'does not hold'} at {budget:g} CPU-s, "
                        f"{abs(best - kn):.3f} bits {'better' if best < kn else 'worse'})")
    return {"task": "experiment", "data": "shakespeare (char), kjv (word); first lines of train, whole test",
            "metric": "bits_per_token", "rows": rows, "extra_figures": figures, "outcome": "; ".join(verdicts) + "."}


# ---------------------------------------------------------------------- 000/001/004: long dependencies
_SYMBOLS = ["a", "b", "c", "d"]


def _copy_task(n: int, gap: int, rng: np.random.Generator) -> tuple[list[list[str]], list[str]]:
    """Sequences ``X f f ... f ? X``: the answer after ``?`` is the first symbol, ``gap`` fillers back.

    The filler is one token, so all the learnable loss is the answer's: the task isolates the
    memory across the gap (the copy/"remember the first token" problem)."""
    seqs, answers = [], []
    for _ in range(n):
        x = _SYMBOLS[int(rng.integers(4))]
        seqs.append([x, *(["f"] * gap), "?", x])
        answers.append(x)
    return seqs, answers


@experiment("long-dependencies", "vanilla (Elman) RNNs fail on long dependencies where LSTMs and GRUs do not "
            "(vanishing gradients); attention reaches any distance.", "000, 001, 004", 10.0)
def _long_dependencies(budget: float, seed: int) -> dict[str, Any]:
    from seqlab.data.vocab import Vocabulary
    from seqlab.models import NeuralLM
    from seqlab.train import TrainConfig

    rng = np.random.default_rng(seed)
    gaps = (10, 50, 200)
    steps = 300
    # about 9k parameters each: Elman 80 units, LSTM 40, GRU 46, a 1-layer Transformer of width 24
    archs = {"rnn": {"d_hidden": 80}, "lstm": {"d_hidden": 40}, "gru": {"d_hidden": 46},
             "transformer": {"d_hidden": 24, "n_heads": 2}}
    rows = []
    curves: dict[str, tuple[list[float], list[float]]] = {a: ([], []) for a in archs}  # gap -> accuracy
    for gap in gaps:
        train, _ = _copy_task(1024, gap, rng)
        test, answers = _copy_task(100, gap, rng)
        vocab = Vocabulary.build(train)
        sym_ids = [vocab[s] for s in _SYMBOLS]
        for arch, extra in archs.items():
            cfg = TrainConfig(lr=1e-2, batch_size=16, bptt=gap + 4, batching="padded", max_steps=steps,
                              max_time=budget, clock="process", schedule="constant", eval_every=10**6, seed=seed)
            context = gap + 4 if arch == "transformer" else None
            lm = NeuralLM(model=arch, n_layers=1, d_embed=16, dropout=0.0, context_size=context,
                          train=cfg, device="cpu", **extra).fit(train, vocabulary=vocab)
            correct = 0
            for seq, ans in zip(test, answers, strict=True):
                dist = lm.begin(seq[:-1])[0]
                correct += int(_SYMBOLS[int(np.argmax(dist[sym_ids]))] == ans)
            acc = correct / len(test)
            rows.append({"model": arch, "gap": gap, "accuracy": acc, "parameters": lm.module_.num_parameters(),
                         "steps": lm.train_result_["steps"]})
            curves[arch][0].append(gap)
            curves[arch][1].append(acc)
    fig = _svg_lines("copy task: accuracy of recalling the first symbol against the gap", "gap T (tokens, log)",
                     "accuracy (chance 0.25)", curves, logx=True, hline=0.25, hline_label="chance")
    at = {r["model"]: r["accuracy"] for r in rows if r["gap"] == gaps[-1]}
    short = {r["model"]: r["accuracy"] for r in rows if r["gap"] == gaps[0]}
    gated = max(at["lstm"], at["gru"])
    cut = [f"{r['model']}@{r['gap']}" for r in rows if r["steps"] < steps]
    outcome = (f"at T={gaps[0]} the accuracies are " + ", ".join(f"{m} {a:.2f}" for m, a in short.items())
               + f"; at T={gaps[-1]} the Elman RNN scores {at['rnn']:.2f}, the best gated RNN {gated:.2f}, the "
               f"Transformer {at['transformer']:.2f} (chance 0.25); the claim "
               f"{'holds' if gated > at['rnn'] + 0.1 else 'is not shown'} at this budget ({steps} steps, lr 0.01, "
               f"about 9k parameters each"
               + (f"; stopped early by the {budget:g} CPU-s budget: {', '.join(cut)}" if cut else "") + ").")
    return {"task": "experiment", "data": "synthetic copy task (4 symbols, one filler token)", "metric": "accuracy",
            "lower_is_better": False, "rows": rows, "extra_figures": [fig], "outcome": outcome}


# ---------------------------------------------------------------------- 003: AR error growth
@experiment("ar-error-growth", "recursive multi-step forecasts of AR models and feed-forward networks accumulate "
            "error with the horizon; direct forecasting is an alternative.", "003", 10.0)
def _ar_error_growth(budget: float, seed: int) -> dict[str, Any]:
    from seqlab.compare import compare_forecast

    horizon = 10
    models = ["naive", "ar:lags=9", "ar:lags=9:multistep=direct", "mlp:lags=9:epochs=150"]
    c = compare_forecast("sunspots", models, context=Context(seed=seed, horizon=horizon), initial=220,
                         horizon=horizon, step=2, refit_every=1)
    res = c.results
    rows = []
    for m in models:
        for r in res["by_lead"][m]:
            rows.append({"model": m, "lead": r["lead"], "mae": r["mae"], "rmse": r["rmse"]})
    by = {m: [r["mae"] for r in res["by_lead"][m]] for m in models}
    growth = {m: v[-1] / v[0] for m, v in by.items()}
    outcome = ("MAE grows from lead 1 to lead 10 by " + ", ".join(f"{m} x{g:.2f}" for m, g in growth.items())
               + f"; at lead 10 direct AR {by[models[2]][-1]:.1f} vs recursive AR {by[models[1]][-1]:.1f} "
               f"vs recursive MLP {by[models[3]][-1]:.1f}.")
    outcome += (" (Persistence's lead-10 error is low because the sunspot cycle is about 11 years: the value 10 "
                "years back is near the same phase.)")
    return {**res, "task": "forecast", "metric": "", "rows_by_model": res["rows"], "rows": rows, "outcome": outcome}


# ---------------------------------------------------------------------- 000/003: analogies
@experiment("analogies", "word vectors capture analogies: king - man + woman ~ queen.", "000, 003", 30.0)
def _analogies(budget: float, seed: int) -> dict[str, Any]:
    from seqlab.datasets import load_corpus
    from seqlab.embed import Word2Vec

    corpus = load_corpus("kjv:all")  # the largest bundled text
    epochs = max(1, min(10, int(budget // 6)))
    w2v = Word2Vec(vector_size=100, window=5, min_count=5, epochs=epochs, workers=1, seed=seed).fit(corpus)
    wv = w2v.wv if hasattr(w2v, "wv") else w2v.embeddings_
    top = wv.most_similar(positive=["king", "woman"], negative=["man"], topn=10)
    words = [w for w, _ in top]
    rows = [{"rank": i + 1, "word": w, "cosine": float(s)} for i, (w, s) in enumerate(top)]
    bench = None
    try:
        from gensim.test.utils import datapath  # the standard questions-words.txt (test extra)

        bench = wv.evaluate_analogies(datapath("questions-words.txt"))
    except ImportError:
        pass
    rank = words.index("queen") + 1 if "queen" in words else None
    outcome = (f"king - man + woman gives {words[0]!r} first; 'queen' is "
               f"{f'rank {rank}' if rank else 'not in the top 10'} (Word2Vec skip-gram, 100-d, {epochs} epochs on "
               f"kjv, {sum(map(len, corpus)):,} words).")
    if bench is not None:
        outcome += (f" questions-words accuracy {bench['accuracy']:.3f} on the {bench['covered']:,} covered questions "
                    f"(coverage {bench['coverage']:.2f}; a Bible-sized corpus covers few of its words).")
    return {"task": "experiment", "data": "kjv (all)", "metric": "", "rows": rows, "outcome": outcome,
            "benchmark": {k: v for k, v in (bench or {}).items() if k != "sections"}}


# ---------------------------------------------------------------------- 000: Markov order
@experiment("markov-order", "higher Markov orders do not help spam filtering.", "000", 60.0)
def _markov_order(budget: float, seed: int) -> dict[str, Any]:
    from seqlab.compare import compare_classify

    rows = []
    series: dict[str, tuple[list[float], list[float]]] = {}
    for data in ("spamassassin", "brown-genres"):
        for level, orders, limit in (("word", (1, 2, 3), None), ("char", (1, 3, 5), 1500)):
            c = compare_classify(data, [f"bayes-ngram:order={k}" for k in orders], level=level, limit=limit)
            acc = {int(r["model"].split("=")[1]): r["accuracy"] for r in c.rows}
            key = f"{data} ({level})"
            series[key] = (list(orders), [acc[k] for k in orders])
            for k in orders:
                rows.append({"data": data, "level": level, "order": k, "accuracy": acc[k],
                             "train_texts": c.results["sizes"]["train"]})
    fig = _svg_lines("Bayes classifier accuracy against Markov order", "n-gram order (1 = naive Bayes)",
                     "test accuracy", series)
    parts = []
    for key, (xs, accs) in series.items():
        parts.append(f"{key}: " + ", ".join(f"order {o} {a:.3f}" for o, a in zip(xs, accs, strict=True)))
    gains = {key: max(accs[1:]) - accs[0] for key, (_, accs) in series.items()}
    outcome = ("; ".join(parts) + ". Best higher order minus order 1: "
               + ", ".join(f"{key} {g:+.3f}" for key, g in gains.items())
               + f". For spam at word level the claim holds (a gain of {gains['spamassassin (word)']:+.3f}); "
               "at character level order 1 is a poor model and higher orders help.")
    return {"task": "experiment", "data": "spamassassin, brown-genres (char level: first 1,500 training texts)",
            "metric": "accuracy", "lower_is_better": False, "rows": rows, "extra_figures": [fig], "outcome": outcome}


# ---------------------------------------------------------------------- 001/004: samples improve
@experiment("sampling-with-training", "character-LM samples improve with training; temperature trades "
            "diversity for correctness.", "001, 004", 30.0)
def _sampling(budget: float, seed: int) -> dict[str, Any]:
    import tempfile

    from seqlab.datasets import load_corpus
    from seqlab.evaluate import perplexity_report
    from seqlab.generate import generate
    from seqlab.models import NeuralLM
    from seqlab.train import TrainConfig

    train = load_corpus("shakespeare:train", level="char")[:6000]
    valid = load_corpus("shakespeare:valid", level="char")[:300]
    known = {w for line in train for w in "".join(line).lower().split()}
    final = max(20, int(budget * 30))  # about 30 steps per CPU second for this model on one thread (measured)
    stages = tuple(dict.fromkeys(max(1, final * k // 60) for k in (1, 6, 24, 60)))
    rows, samples = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, steps in enumerate(stages):  # steps, not a time limit: a resumed run's clock includes wall time
            cfg = TrainConfig(lr=3e-3, batch_size=32, bptt=64, max_steps=steps, schedule="constant",
                              eval_every=10**6, seed=seed)
            lm = NeuralLM(model="lstm", n_layers=1, d_hidden=128, d_embed=32, dropout=0.0, train=cfg, device="cpu")
            lm.fit(train, checkpoint_dir=f"{tmp}/lm", resume=i > 0)  # continues the same run
            done = lm.train_result_["steps"]
            bits = perplexity_report(lm, valid).bits_per_token
            for t in (0.5, 1.0, 1.5):
                lines = ["".join(generate(lm, [], max_tokens=80, temperature=t, seed=seed + k)) for k in range(4)]
                words = [w for line in lines for w in line.lower().split()]
                real = sum(w.strip(".,;:!?'-") in known for w in words) / max(len(words), 1)
                samples[f"after {done} steps, temperature {t}"] = "\n".join(lines)
                rows.append({"steps": done, "temperature": t, "valid_bits_per_char": bits,
                             "sampled_words": len(words), "known_word_share": real})
    first, last = rows[0], rows[-1]
    share = {(r["steps"], r["temperature"]): r["known_word_share"] for r in rows}
    outcome = (f"validation bits per character fall from {first['valid_bits_per_char']:.2f} after {first['steps']} "
               f"steps to {last['valid_bits_per_char']:.2f} after {last['steps']} (1x128 LSTM, {final} steps for a "
               f"{budget:g} CPU-s budget); the share of sampled words that are real (seen in training) goes "
               + ", ".join(f"{share[(rows[3 * j]['steps'], 1.0)]:.2f}" for j in range(len(stages)))
               + " at temperature 1.0 over the stages, and at the last stage is "
               + ", ".join(f"{share[(last['steps'], t)]:.2f} at T={t}" for t in (0.5, 1.0, 1.5)) + ".")
    return {"task": "experiment", "data": "shakespeare (char), first 6,000 training lines", "metric": "",
            "rows": rows, "samples": samples, "prompt": "", "outcome": outcome}


# ---------------------------------------------------------------------- 002: attention vs recurrence
@experiment("attention-vs-recurrence", "self-attention trains faster than recurrence (all positions in parallel).",
            "002", 20.0)
def _attention(budget: float, seed: int) -> dict[str, Any]:
    from seqlab.datasets import load_corpus
    from seqlab.models import NeuralLM
    from seqlab.train import TrainConfig

    train = load_corpus("shakespeare:train", level="char")[:6000]
    valid = load_corpus("shakespeare:valid", level="char")[:300]
    specs = {"lstm (1x192)": {"model": "lstm", "n_layers": 1, "d_hidden": 192, "d_embed": 64},
             "transformer (2x96)": {"model": "transformer", "n_layers": 2, "d_hidden": 96, "n_heads": 4,
                                    "context_size": 64}}
    rows, curves = [], {}
    runs = {}
    for label, params in specs.items():
        cfg = TrainConfig(lr=3e-3, batch_size=32, bptt=64, max_time=budget, clock="process", max_steps=10**6,
                          schedule="constant", eval_every=25, eval_batches=4, seed=seed)
        lm = NeuralLM(**params, dropout=0.0, train=cfg, device="cpu").fit(train, valid=valid)
        hist = [h for h in lm.history_ if "valid_loss" in h]
        runs[label] = (lm, hist)
        curves[label] = ([h["seconds"] for h in hist], [h["valid_loss"] / math.log(2) for h in hist])
    target = max(min(h["valid_loss"] for h in hist) for _, hist in runs.values())
    for label, (lm, hist) in runs.items():
        reach = next((h["seconds"] for h in hist if h["valid_loss"] <= target), None)
        rows.append({"model": label, "parameters": lm.module_.num_parameters(),
                     "tokens_per_second": round(lm.train_result_["tokens_per_second"]),
                     "steps": lm.train_result_["steps"],
                     "final_valid_bits": hist[-1]["valid_loss"] / math.log(2) if hist else None,
                     "seconds_to_target": None if reach is None else round(reach, 1)})
    fig = _svg_lines(f"validation bits per character against seconds (target {target / math.log(2):.3f})",
                     "seconds", "validation bits per char", curves, hline=target / math.log(2),
                     hline_label="target")
    tr, ls = rows[1], rows[0]
    ratio = tr["tokens_per_second"] / ls["tokens_per_second"]
    def secs(v: float | None) -> str:
        return "never" if v is None else f"{v:.1f} s"

    outcome = (f"the Transformer trains {ratio:.2f}x the LSTM's tokens per second at {tr['parameters']:,} vs "
               f"{ls['parameters']:,} parameters, and reaches the target validation loss "
               f"({target / math.log(2):.3f} bits/char, the worse of the two best) in {secs(tr['seconds_to_target'])} "
               f"vs {secs(ls['seconds_to_target'])} of wall time; the claim "
               f"{'holds' if ratio > 1 else 'does not hold'} here (CPU, one thread, {budget:g} CPU-s each: the "
               "claim is about parallel hardware, which this run does not have).")
    return {"task": "experiment", "data": "shakespeare (char), first 6,000 training lines", "metric": "",
            "rows": rows, "extra_figures": [fig], "outcome": outcome}
