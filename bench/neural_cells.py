"""Training throughput of seqlab's recurrent runner against a bare ``torch.nn.LSTM``.

Measures tokens/s of one training step (forward + backward + optimizer step) for
``Recurrent(cell="peephole")``, ``Recurrent(cell="jordan")`` and ``Recurrent(cell="lstm")``
against a hand-written ``nn.LSTM`` model of the same size, all inside one char-level LM shell
(embedding -> recurrent layer -> linear head -> cross-entropy), in one process. Rounds are
interleaved (every model once per round) so that load from other work hits all sides alike;
each side reports its median round. Writes ``bench/results/neural_cells.json``.

Two shells: char level (65 symbols, the recurrent layer dominates the step) and word level
(10,000 words, PTB-sized: the softmax head takes a large share of every step).

Run: ``PYTHONPATH=src python bench/neural_cells.py [--threads 1] [--rounds 5]``.
``run(...)`` returns the same dict, for ``bench/neural.py``.

``OMP_WAIT_POLICY=PASSIVE`` is set before torch is imported (busy-waiting OpenMP threads made
a 2-thread LSTM step 3-4x slower on a loaded 2-core machine; see issue 5).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import torch  # noqa: E402
from torch import Tensor, nn  # noqa: E402

from seqlab.nn import Recurrent  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "neural_cells.json"


class _LM(nn.Module):
    """Embedding -> recurrent layer -> head; ``layer`` is a seqlab Recurrent or a bare nn.LSTM."""

    def __init__(self, layer: nn.Module, vocab_size: int, d_hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, d_hidden)
        self.layer = layer
        self.head = nn.Linear(d_hidden, vocab_size)

    def forward(self, ids: Tensor, targets: Tensor) -> Tensor:
        out, _ = self.layer(self.embed(ids))  # (N, L, H)
        logits = self.head(out)  # (N, L, V)
        return nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten())


def _models(d_hidden: int, vocab_size: int) -> dict[str, nn.Module]:
    def seqlab(cell: str) -> nn.Module:
        return _LM(Recurrent(d_hidden, d_hidden, cell=cell), vocab_size, d_hidden)

    return {
        "torch_nn_lstm": _LM(nn.LSTM(d_hidden, d_hidden, batch_first=True), vocab_size, d_hidden),
        "seqlab_lstm": seqlab("lstm"),
        "seqlab_peephole": seqlab("peephole"),
        "seqlab_jordan": seqlab("jordan"),
    }


def _time_steps(model: nn.Module, ids: Tensor, targets: Tensor, steps: int) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) for ``steps`` training steps (after the caller's warm-up)."""
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        loss = model(ids, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return time.perf_counter() - start, time.process_time() - cpu


def run(
    *,
    batch_size: int = 32,
    bptt: int = 64,
    d_hidden: int = 256,
    vocab_size: int = 65,
    steps: int = 10,
    rounds: int = 5,
    threads: int = 1,
    seed: int = 0,
) -> dict[str, Any]:
    """Measure training tokens/s of each side; returns figures and ratios to ``nn.LSTM``."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    ids = torch.randint(vocab_size, (batch_size, bptt))
    targets = torch.randint(vocab_size, (batch_size, bptt))
    models = _models(d_hidden, vocab_size)
    for model in models.values():
        _time_steps(model, ids, targets, 2)  # warm-up: allocator, first-call dispatch
    wall: dict[str, list[float]] = {name: [] for name in models}
    cpu: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(rounds):
        for name, model in models.items():
            w, c = _time_steps(model, ids, targets, steps)
            wall[name].append(w)
            cpu[name].append(c)
    tokens = batch_size * bptt * steps
    tps = {name: tokens / statistics.median(s) for name, s in cpu.items()}
    tps_wall = {name: tokens / statistics.median(s) for name, s in wall.items()}
    base, base_wall = tps["torch_nn_lstm"], tps_wall["torch_nn_lstm"]
    return {
        "config": {"batch_size": batch_size, "bptt": bptt, "d_hidden": d_hidden, "vocab_size": vocab_size,
                   "steps_per_round": steps, "rounds": rounds, "threads": threads,
                   "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "torch": torch.__version__,
                   "machine": platform.processor() or platform.machine()},
        "tokens_per_second": {k: round(v, 1) for k, v in tps.items()},
        "ratio_to_torch_nn_lstm": {k: round(v / base, 3) for k, v in tps.items() if k != "torch_nn_lstm"},
        "wall_tokens_per_second": {k: round(v, 1) for k, v in tps_wall.items()},
        "wall_ratio_to_torch_nn_lstm": {k: round(v / base_wall, 3) for k, v in tps_wall.items()
                                        if k != "torch_nn_lstm"},
        "timing": "tokens_per_second uses process CPU time (one thread, so it excludes time spent waiting "
                  "for a core on a shared machine); wall_* uses elapsed time. Median over rounds.",
        "target": "custom cells (peephole, jordan) >= 0.8x torch nn.LSTM",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--word-vocab", type=int, default=10000, help="vocabulary of the word-level run (0: skip)")
    parser.add_argument("-o", "--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    result = {"char_level": run(threads=args.threads, rounds=args.rounds, steps=args.steps, vocab_size=65)}
    if args.word_vocab:  # a large softmax head dilutes the recurrent layer's share of the step
        result["word_level"] = run(threads=args.threads, rounds=args.rounds, steps=args.steps,
                                   vocab_size=args.word_vocab)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
