#!/usr/bin/env python3
"""What the one Trainer costs over a bare PyTorch loop, per step, for the neural classifier and tagger.

The issue's speed item: "neural classifier/tagger training costs at most 1.15x a bare PyTorch
loop of the same model on the same batches (per step, startup excluded)". For each model:

* Trainer: CPU time of steps ``WARM .. WARM + STEPS`` of ``fit(max_steps=WARM + STEPS)``, read
  from the run's metrics log (process time logged every ``WARM`` steps; vocabulary, encoding and
  module build are before it), divided by ``STEPS``;
* bare loop: the same module (same seed, so the same initial weights), the same batches in the
  same order (padding each batch inside the step, as the Trainer does), AdamW with the same
  weight-decay groups, the same clipping; CPU time of steps ``WARM .. WARM + STEPS``.

Both are measured in one process, one torch thread, ``--repeats`` times (alternating which goes
first), in CPU time (``time.process_time``), so other work on a shared machine changes both alike.

Models: ``classifier`` (NeuralClassifier, LSTM encoder, embed 64, hidden 64, max pooling, on the
2,000 spamassassin training texts (a seeded sample) tokenised as in bench/classify_neural.py, truncated to 100 tokens)
and ``tagger`` (NeuralTagger BiLSTM-CRF, embed 64, hidden 64, on the first 4,000 brown-pos training
sentences). Writes ``bench/results/trainer_overhead.json``.
Usage: ``nice -n 10 python bench/trainer_overhead.py [--models classifier,tagger] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

WARM = 5      # steps left out of both measurements (first-call allocations, lazy init)


def classifier_case(cfg: Any) -> tuple[Any, Any, Any]:
    """An LSTM NeuralClassifier and its training data (token lists and labels)."""
    from seqlab import datasets
    from seqlab.data.tokenize import get_tokenizer
    from seqlab.models import NeuralClassifier

    tok = get_tokenizer("word", lowercase=True)
    train = datasets.load("spamassassin", "train")
    pick = np.random.default_rng(0).permutation(len(train.texts))[:2000]   # the split is sorted by label
    pairs = [(tok(train.texts[i]), train.labels[i]) for i in pick]
    X, y = [s for s, _ in pairs if s], [lab for s, lab in pairs if s]
    est = NeuralClassifier(model="lstm", d_embed=64, d_hidden=64, bidirectional=True, pooling="max", min_count=2,
                           truncate=100, train=cfg, device="cpu", random_state=0)
    return est, X, y


def tagger_case(cfg: Any) -> tuple[Any, Any, Any]:
    """A BiLSTM-CRF NeuralTagger and its training data (sentences and tags)."""
    from seqlab import datasets
    from seqlab.models import NeuralTagger

    train = datasets.load("brown-pos", "train")
    est = NeuralTagger(model="bilstm-crf", d_embed=64, d_hidden=64, train=cfg, device="cpu", random_state=0)
    return est, train.sentences[:4000], train.tags[:4000]


CASES = {"classifier": classifier_case, "tagger": tagger_case}


def trainer_cpu(case: str, steps: int) -> float:
    """CPU seconds of optimisation steps ``WARM .. WARM + steps`` inside ``fit`` (evaluation off).

    Read from the run's metrics log (``cpu_seconds`` is process time, logged every ``WARM`` steps),
    so vocabulary, encoding, module build and the first steps are left out.
    """
    from seqlab.train import TrainConfig

    cfg = TrainConfig(batching="padded", max_steps=WARM + steps, batch_size=32, lr=2e-3, clip=1.0,
                      schedule="constant", eval_every=10**6, log_every=WARM)
    est, X, y = CASES[case](cfg)
    est.fit(X, y)
    cpu_at: dict[int, float] = {}
    for row in est._metrics_rows:            # the first row of a step is its training-loss row
        cpu_at.setdefault(row["step"], row["cpu_seconds"])
    return float(cpu_at[WARM + steps] - cpu_at[WARM])


def bare_cpu(case: str, steps: int) -> float:
    """CPU seconds of steps ``WARM .. WARM + steps`` of a plain loop over the same module and batches."""
    import torch

    from seqlab.train import TrainConfig
    from seqlab.train.batch import TensorBatch
    from seqlab.train.trainer import _decay_groups

    cfg = TrainConfig(batching="padded", max_steps=1, batch_size=32, lr=2e-3, clip=1.0, schedule="constant",
                      eval_every=10**6, log_every=10**6)
    est, X, y = CASES[case](cfg)
    est.fit(X, y)                                     # fitted vocabulary, classes, config; weights rebuilt below
    data = est._encode(X, y)
    batches = est._batches(data, shuffle=True, rows=None)
    torch.manual_seed(est.seed_)
    module = est.architecture.build(est.config_)
    est._init_module(module)
    decay, no_decay = _decay_groups(module)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr)
    module.train()
    objective = type(est).objective
    start = 0.0
    for k in range(WARM + steps):
        if k == WARM:
            start = time.process_time()
        b = batches.batch(0, k)                      # padding a batch is part of a step, as in the Trainer
        tensors = {n: None if getattr(b, n) is None else torch.from_numpy(getattr(b, n))
                   for n in ("inputs", "targets", "lengths", "weights")}
        total, count, _ = objective(module, TensorBatch(**tensors), None)
        loss = total / count
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), cfg.clip)
        opt.step()
    return time.process_time() - start


def measure(case: str, steps: int, bare_first: bool) -> dict[str, float]:
    """One measurement: Trainer and bare CPU seconds per step (in the given order), and their ratio."""
    if bare_first:
        bare = bare_cpu(case, steps) / steps
        trainer = trainer_cpu(case, steps) / steps
    else:
        trainer = trainer_cpu(case, steps) / steps
        bare = bare_cpu(case, steps) / steps
    return {"trainer_cpu_seconds_per_step": round(trainer, 4), "bare_cpu_seconds_per_step": round(bare, 4),
            "ratio_trainer_over_bare": round(trainer / bare, 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="classifier,tagger")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "trainer_overhead.json"))
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    out: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                       "torch": torch.__version__, "torch_threads": 1,
                                       "load_average_at_start": [round(x, 2) for x in os.getloadavg()]},
                           "steps": args.steps, "warm_steps_left_out": WARM, "target_ratio": 1.15, "results": {}}
    for case in args.models.split(","):
        runs = []
        for k in range(args.repeats):
            runs.append(measure(case, args.steps, bare_first=k % 2 == 1))   # alternate the order
            print(case, runs[-1], flush=True)
        out["results"][case] = {"runs": runs, "median_ratio_trainer_over_bare":
                                round(statistics.median(r["ratio_trainer_over_bare"] for r in runs), 3)}
    out["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
