"""Where the memory of an n-gram fit goes: resident memory sampled every 50 ms, by phase.

A thread reads ``VmRSS`` from ``/proc/self/status`` every ``--interval`` seconds while
``NGramLM(order=..., memory=...).fit(read_sequences(corpus))`` runs; the fit's debug log
records (``seqlab.ngram``: "phase: ...") mark where each phase ends. For each phase it prints
the RSS when the phase ended and the highest RSS sampled during it, plus the model's own
arrays (keys, log probs, backoffs) and the count tables' bytes per distinct n-gram.

Run (a 10M-token corpus from ``bench/ngram_scale.py``)::

    python bench/ngram_memory.py /work/runs/ngram_scale/corpus-10000000.txt --memory 333443072
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
import tracemalloc
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")
MIB = 1 << 20


def rss() -> int:
    """Resident bytes of this process now (``VmRSS``)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS"))


def hwm() -> int:
    """Peak resident bytes of this process so far (``VmHWM``)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM"))


class Sampler(threading.Thread):
    """Samples RSS every ``interval`` s; ``mark(name)`` closes the current phase."""

    def __init__(self, interval: float) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self.marks: list[tuple[float, str]] = []
        self.traced: list[tuple[int, int]] = []
        self.stop = threading.Event()
        self.t0 = time.perf_counter()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append((time.perf_counter() - self.t0, rss()))
            self.stop.wait(self.interval)

    def mark(self, name: str) -> None:
        self.samples.append((time.perf_counter() - self.t0, rss()))
        self.marks.append((time.perf_counter() - self.t0, name))
        if tracemalloc.is_tracing():  # live bytes allocated through Python and numpy (no allocator slack)
            self.traced.append(tracemalloc.get_traced_memory())
            tracemalloc.reset_peak()

    def phases(self) -> list[dict]:
        out, start = [], 0.0
        for i, (end, name) in enumerate(self.marks):
            during = [r for t, r in self.samples if start <= t <= end]
            out.append({"phase": name, "end_s": round(end, 2), "rss_end_mib": round(during[-1] / MIB, 1),
                        "rss_max_mib": round(max(during) / MIB, 1)})
            if self.traced:
                out[-1]["traced_end_mib"] = round(self.traced[i][0] / MIB, 1)
                out[-1]["traced_max_mib"] = round(self.traced[i][1] / MIB, 1)
            start = end
        return out


class _MarkHandler(logging.Handler):
    def __init__(self, sampler: Sampler) -> None:
        super().__init__(logging.DEBUG)
        self.sampler = sampler

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if msg.startswith("phase: "):
            self.sampler.mark(msg[len("phase: "):])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--memory", default=None, help="budget (bytes or e.g. 300M); none: the in-memory path")
    ap.add_argument("--order", type=int, default=5)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--json", default=None, help="also write the phases here")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="also trace live allocations per phase (numpy's included; slower)")
    args = ap.parse_args()
    sys.path.insert(0, SRC)
    import numpy as np

    from seqlab.data.readers import read_sequences
    from seqlab.ngram import NGramLM

    sampler = Sampler(args.interval)
    logger = logging.getLogger("seqlab.ngram")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(_MarkHandler(sampler))
    sampler.start()
    if args.tracemalloc:
        tracemalloc.start()
    sampler.mark("start (interpreter, numpy, seqlab imported)")
    cpu = time.process_time()
    lm = NGramLM(order=args.order, memory=args.memory).fit(read_sequences(args.corpus))
    cpu = time.process_time() - cpu
    sampler.mark("fit returned")
    sampler.stop.set()
    sampler.join()
    n_total = sum(k.size for k in lm.keys_)
    model_bytes = sum(a.nbytes for arrs in (lm.keys_, lm.log_probs_, lm.log_backoffs_) for a in arrs)
    result = {"corpus": args.corpus, "memory": args.memory, "order": args.order, "cpu_s": round(cpu, 2),
              "peak_rss_mib": round(hwm() / MIB, 1), "ngrams": lm.ngram_counts_, "rows_total": int(n_total),
              "model_arrays_mib": round(model_bytes / MIB, 1), "runs": getattr(lm, "count_stats_", {}).get("runs"),
              "phases": sampler.phases()}
    del np
    width = max(len(p["phase"]) for p in result["phases"])
    traced = "  traced end / max MiB" if args.tracemalloc else ""
    print(f"{'phase (ends at)':<{width}}  {'t s':>7}  {'RSS end MiB':>11}  {'RSS max MiB':>11}{traced}")
    for p in result["phases"]:
        extra = f"  {p['traced_end_mib']:>9.1f} / {p['traced_max_mib']:.1f}" if "traced_end_mib" in p else ""
        print(f"{p['phase']:<{width}}  {p['end_s']:>7.2f}  {p['rss_end_mib']:>11.1f}  {p['rss_max_mib']:>11.1f}{extra}")
    print(json.dumps({k: v for k, v in result.items() if k != "phases"}))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
