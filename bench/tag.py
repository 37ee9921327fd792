#!/usr/bin/env python3
"""Tagging on brown-pos (universal tags): seqlab HMM, BiLSTM, BiLSTM-CRF vs NLTK's averaged perceptron
and a sklearn-crfsuite CRF, all trained on the same training split; plus the Trainer's overhead
against a bare PyTorch loop of the same BiLSTM-CRF on the same batches.

Writes ``bench/results/tag.json``. Usage: ``nice -n 10 python bench/tag.py [--budget SECONDS]``
(``--budget``: CPU seconds of training for each neural tagger; default 150). ``--only
seqlab_bilstm_crf --name ROW --update`` adds one neural row to the existing file; the neural
settings (``--epochs``, ``--lr``, ``--word-dropout``, ``--lowercase``, ...) are flags, and
``--eval-on valid`` scores on the validation split, for tuning without looking at the test split.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def evaluate(name, predict, test, known, fit_seconds, fit_cpu):  # type: ignore[no-untyped-def]
    from seqlab.evaluate.tagging import oov_accuracy, token_accuracy

    t0 = time.perf_counter()
    pred = predict(test.sentences)
    tag_seconds = time.perf_counter() - t0
    acc = token_accuracy(test.tags, pred)
    oov, n_oov = oov_accuracy(test.sentences, test.tags, pred, known)
    row = {"accuracy": round(acc, 4), "oov_accuracy": round(oov, 4), "oov_tokens": n_oov,
           "train_seconds": round(fit_seconds, 1), "train_cpu_seconds": round(fit_cpu, 1),
           "tag_tokens_per_second": round(test.n_tokens / tag_seconds)}
    print(name, row, flush=True)
    return row


def word_features(sent: list[str], i: int) -> dict[str, object]:
    """The standard word-shape/suffix features of the sklearn-crfsuite tutorial."""
    w = sent[i]
    f: dict[str, object] = {"bias": 1.0, "w.lower": w.lower(), "suf3": w[-3:], "suf2": w[-2:], "pre2": w[:2],
                            "upper": w.isupper(), "title": w.istitle(), "digit": w.isdigit(),
                            "hyphen": "-" in w}
    if i > 0:
        p = sent[i - 1]
        f.update({"-1.lower": p.lower(), "-1.title": p.istitle(), "-1.suf2": p[-2:]})
    else:
        f["BOS"] = True
    if i < len(sent) - 1:
        n = sent[i + 1]
        f.update({"+1.lower": n.lower(), "+1.title": n.istitle(), "+1.suf2": n[-2:]})
    else:
        f["EOS"] = True
    return f


def bare_loop_overhead(train, steps: int = 40) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Seconds per step: NeuralTagger.fit (Trainer) vs a bare loop of the same module on the same batches."""
    import torch

    from seqlab.models import NeuralTagger
    from seqlab.train import TrainConfig

    torch.set_num_threads(1)
    cfg = TrainConfig(max_steps=steps, batch_size=32, lr=2e-3, eval_every=10**6, log_every=10**6, clip=1.0)
    sents, tags = train.sentences[:4000], train.tags[:4000]
    tagger = NeuralTagger(model="bilstm-crf", d_embed=64, d_hidden=64, train=cfg, device="cpu", random_state=0)
    tagger.fit(sents, tags)
    trainer_per_step = tagger.train_result_["seconds"] / tagger.train_result_["steps"]
    # the same module, batches, optimiser and clipping in a plain loop
    data = tagger._encode(sents, tags)
    batches = tagger._batches(data, shuffle=True, rows=None)
    torch.manual_seed(0)
    module = tagger.architecture.build(tagger.config_)
    opt = torch.optim.AdamW(module.parameters(), lr=2e-3, weight_decay=0.01)
    module.train()
    t0 = time.perf_counter()
    for k in range(steps):
        b = batches.batch(0, k)   # padding a batch is part of a step, as it is in the Trainer
        inputs, lengths, targets = (torch.from_numpy(b.inputs), torch.from_numpy(b.lengths),
                                    torch.from_numpy(b.targets))
        total, count = module.loss(inputs, lengths, targets)
        loss = total / count
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
        opt.step()
    bare_per_step = (time.perf_counter() - t0) / steps
    return {"steps": steps, "trainer_seconds_per_step": round(trainer_per_step, 4),
            "bare_seconds_per_step": round(bare_per_step, 4),
            "ratio_trainer_over_bare": round(trainer_per_step / bare_per_step, 3), "target_ratio": 1.15}


def add_rows(old: dict, new: dict, note: str) -> dict:  # type: ignore[type-arg]
    """``old`` with ``new``'s result rows (each noted with its run's machine load) and overhead added."""
    load = (f"load average {new['machine']['load_average_at_start'][0]:g} at start, "
            f"{new['machine']['load_average_at_end'][0]:g} at end")
    for key, row in new["results"].items():
        if isinstance(row, dict):
            row["note"] = "; ".join(x for x in (note, f"separate run, {load}") if x)
        old["results"][key] = row
    for key in ("trainer_overhead",):
        if key in new:
            old[key] = new[key]
    return old


def fit_neural(model: str, args: argparse.Namespace, train, valid):  # type: ignore[no-untyped-def]
    """Train one NeuralTagger with the command line's settings; returns it, wall and CPU seconds."""
    from seqlab.models import NeuralTagger
    from seqlab.train import TrainConfig

    cfg = TrainConfig(max_time=args.budget, clock="process", batch_size=args.batch_size, lr=args.lr,
                      schedule=args.schedule, warmup_steps=args.warmup, eval_every=300, eval_batches=20,
                      patience=None, restore_best=True, max_epochs=args.epochs)
    t0, c0 = time.perf_counter(), cpu()
    tagger = NeuralTagger(model=model, d_embed=args.embed_dim, d_hidden=args.hidden, char_features=True,
                          dropout=args.dropout, word_dropout=args.word_dropout, lowercase=args.lowercase,
                          train=cfg, device="cpu", random_state=args.seed)
    tagger.fit(train.sentences, train.tags, valid=(valid.sentences, valid.tags),
               checkpoint_dir=args.checkpoint or None, resume=args.resume)
    return tagger, time.perf_counter() - t0, cpu() - c0


def neural_settings(args: argparse.Namespace, tagger) -> str:  # type: ignore[no-untyped-def]
    """One line that says how a neural row was trained (enough to rerun it)."""
    result = tagger.train_result_
    extras = []
    if args.word_dropout:
        extras.append(f"word dropout {args.word_dropout:g}")
    if args.lowercase:
        extras.append("lower-cased word lookup")
    return (f"char CNN + BiLSTM {args.hidden}, embed {args.embed_dim}, dropout {args.dropout:g}"
            + "".join(f", {e}" for e in extras)
            + f", AdamW lr {args.lr:g} {args.schedule} over {args.epochs} epochs (warmup {args.warmup}), "
            f"batch {args.batch_size}, {args.budget:g} CPU-s budget, seed {args.seed}, best valid weights; "
            f"{result.get('steps')} steps, stopped by {result.get('stopped')}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=float, default=150.0)
    ap.add_argument("--skip", default="", help="comma-separated rows to skip")
    ap.add_argument("--only", default="", help="comma-separated rows to run (hmm, perceptron, crfsuite, "
                                               "seqlab_bilstm, seqlab_bilstm_crf, overhead); default all")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "tag.json"))
    ap.add_argument("--update", action="store_true",
                    help="add this run's rows to the existing --out file instead of replacing it")
    ap.add_argument("--name", default="", help="result key of the neural row (default seqlab_bilstm[_crf])")
    ap.add_argument("--note", default="", help="a note stored with the neural row")
    ap.add_argument("--eval-on", choices=("test", "valid"), default="test",
                    help="score the neural rows on the validation split (for tuning) or the test split")
    neural = ap.add_argument_group("neural taggers")
    neural.add_argument("--epochs", type=int, default=5, help="max epochs (the schedule spans them)")
    neural.add_argument("--lr", type=float, default=3e-3)
    neural.add_argument("--schedule", choices=("cosine", "constant"), default="cosine")
    neural.add_argument("--warmup", type=int, default=0, help="warmup steps")
    neural.add_argument("--batch-size", type=int, default=32)
    neural.add_argument("--hidden", type=int, default=128)
    neural.add_argument("--embed-dim", type=int, default=100)
    neural.add_argument("--dropout", type=float, default=0.3)
    neural.add_argument("--word-dropout", type=float, default=0.0)
    neural.add_argument("--lowercase", action="store_true", help="lower-cased word lookup")
    neural.add_argument("--seed", type=int, default=0)
    neural.add_argument("--checkpoint", default="", help="write training checkpoints to this directory")
    neural.add_argument("--resume", action="store_true",
                        help="continue an interrupted run from --checkpoint (same settings); the CPU seconds "
                             "reported are this process's only")
    ap.add_argument("--merge", nargs="*", default=None, help="merge these partial result files into --out")
    args = ap.parse_args()
    if args.merge and args.update:
        merged = json.loads(Path(args.out).read_text())
        for f in args.merge:
            merged = add_rows(merged, json.loads(Path(f).read_text()), args.note)
        Path(args.out).write_text(json.dumps(merged, indent=1) + "\n")
        return
    if args.merge:
        parts = [json.loads(Path(f).read_text()) for f in args.merge]
        merged = parts[0]
        for part in parts[1:]:
            merged["results"].update(part["results"])
            if "trainer_overhead" in part:
                merged["trainer_overhead"] = part["trainer_overhead"]
        merged["machine"]["note"] = "rows ran as parallel processes (nice 10) on the shared 2-core machine"
        Path(args.out).write_text(json.dumps(merged, indent=1) + "\n")
        return
    rows_all = ("hmm", "perceptron", "crfsuite", "seqlab_bilstm", "seqlab_bilstm_crf", "overhead")
    skip = set(args.skip.split(",")) | ({r for r in rows_all if r not in args.only.split(",")} if args.only else set())
    import torch

    torch.set_num_threads(1)
    from seqlab import datasets
    from seqlab.tag import HMMTagger

    train, valid, test = (datasets.load("brown-pos", s) for s in ("train", "valid", "test"))
    known = {w for s in train.sentences for w in s}
    out: dict[str, object] = {
        "data": {"dataset": "brown-pos", "tagset": "universal", "train_sentences": len(train),
                 "train_tokens": train.n_tokens, "test_sentences": len(test), "test_tokens": test.n_tokens},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "torch_threads": 1,
                    "load_average_at_start": [round(x, 2) for x in os.getloadavg()]},
        "results": {},
    }
    results: dict[str, object] = out["results"]  # type: ignore[assignment]

    if "hmm" not in skip:
        t0, c0 = time.perf_counter(), cpu()
        hmm = HMMTagger().fit(train.sentences, train.tags)
        results["seqlab_hmm"] = evaluate("seqlab_hmm", hmm.predict, test, known, time.perf_counter() - t0,
                                         cpu() - c0)

    if "perceptron" not in skip:
        from nltk.tag.perceptron import PerceptronTagger

        t0, c0 = time.perf_counter(), cpu()
        pt = PerceptronTagger(load=False)
        pt.train([list(zip(s, t, strict=False)) for s, t in zip(train.sentences, train.tags, strict=False)], nr_iter=5)
        results["nltk_averaged_perceptron"] = evaluate(
            "nltk_averaged_perceptron", lambda ss: [[t for _, t in pt.tag(s)] for s in ss], test, known,
            time.perf_counter() - t0, cpu() - c0)
        results["nltk_averaged_perceptron"]["settings"] = "nr_iter=5 (NLTK default)"  # type: ignore[index]

    if "crfsuite" not in skip:
        try:
            import sklearn_crfsuite
        except ImportError:
            results["sklearn_crfsuite"] = "not installed"
        else:
            t0, c0 = time.perf_counter(), cpu()
            crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=0.1, c2=0.1, max_iterations=50)
            crf.fit([[word_features(s, i) for i in range(len(s))] for s in train.sentences], train.tags)
            results["sklearn_crfsuite"] = evaluate(
                "sklearn_crfsuite", lambda ss: crf.predict([[word_features(s, i) for i in range(len(s))] for s in ss]),
                test, known, time.perf_counter() - t0, cpu() - c0)
            results["sklearn_crfsuite"]["settings"] = "lbfgs c1=c2=0.1, 50 iterations, word-shape/suffix features"  # type: ignore[index]

    for name, model in (("seqlab_bilstm", "bilstm"), ("seqlab_bilstm_crf", "bilstm-crf")):
        if name in skip:
            continue
        tagger, fit_seconds, fit_cpu = fit_neural(model, args, train, valid)
        scored = valid if args.eval_on == "valid" else test
        row = evaluate(name, tagger.predict, scored, known, fit_seconds, fit_cpu)
        row["settings"] = neural_settings(args, tagger)
        if args.eval_on == "valid":
            row["scored_on"] = "valid"
        results[args.name or name] = row

    if "overhead" not in skip:
        out["trainer_overhead"] = bare_loop_overhead(train)
        print(out["trainer_overhead"], flush=True)
    out["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]  # type: ignore[index]
    path = Path(args.out)
    if args.update and path.is_file():
        out = add_rows(json.loads(path.read_text()), out, args.note)
    path.write_text(json.dumps(out, indent=1) + "\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
