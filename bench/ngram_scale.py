"""Benchmark: n-gram counting at scale -- out-of-core memory/time curves against ``lmplz -S``, and Dask scaling.

Corpus. No package registry offers a real corpus near 100M tokens to this machine, so the
corpora are sampled from an interpolated Witten-Bell 5-gram fitted on all bundled text
(kjv + shakespeare + austen, word level, lowercased; ~2.7M tokens): sampling walks the
backoff chain exactly (with probability c(h) / (c(h) + N1+(h .)) an extension of the
context h is drawn in proportion to its count, otherwise the context is shortened), so
the sample keeps the Zipfian word and n-gram statistics of real text, and its n-gram
tables grow with its size as real text's do. ``seed`` fixes the sample.

For each size (``--sizes``, in tokens), order 5, each fit in a fresh child process:
- in memory: ``NGramLM(order=5).fit(read_sequences(file))`` -> peak RSS (``VmHWM`` of the child:
  ``ru_maxrss`` would carry the parent's peak over fork + exec on Linux), CPU s;
- out of core: the same with ``memory=`` 25 % of that peak -> peak RSS, CPU s, runs written;
  the ARPA of both is compared byte for byte;
- out of core with one fixed budget for every size (``--fixed-budget``, default 256M): the peak
  should stay at the budget plus a constant however large the corpus;
- each child also saves its model (``peak_rss_after_save_bytes``: the peak including the save);
- ``lmplz -o 5 -S <same bytes>`` when the binary is found (PATH or ``--lmplz``).
Then the Dask count phase with 1 and 2 local worker processes on a ``--dask-tokens`` corpus
(sampled the same way, or ``--corpus FILE``, which is sampled once and then reused), against
the single-process count of the same file: wall time, each worker's CPU and its tasks' CPU by
task function, the client's CPU, and the bytes moved between workers and to the client.
Sizes not run are not extrapolated: the JSON lists exactly the sizes measured.

Writes ``bench/results/ngram_scale.json``. Run: ``python bench/ngram_scale.py --sizes 1e6 3e6 1e7``;
the Dask section alone (rewrites only the ``"dask"`` key, prints a one-line summary):
``python bench/ngram_scale.py --only dask --dask-tokens 1.2e7 --corpus /tmp/corpus-12M.txt``
(``--dask-key dask_30M`` keeps a second corpus size under its own key).

``lmplz`` runs with ``--discount_fallback`` (seqlab's behaviour: the sampled corpora of 30M
tokens and more give a modified Kneser-Ney discount outside [0, k] at some order, where lmplz
otherwise aborts) and ``--skip_symbols`` (the 100M sample holds one literal ``<unk>``, which lmplz
otherwise refuses; seqlab reads it as ``<unk>``). Where it aborts at the budget, it is run again at 2x and 4x the budget
(``--lmplz-retry``) and the first budget it accepts is recorded; ``--lmplz-only`` reruns just
``lmplz`` for sizes already in the results. ``--corpus-dir`` keeps the sampled corpora and
reuses them; ``--merge`` updates the existing JSON (rows of the sizes run are replaced, every
other key, e.g. ``dask``, is kept).

The size figures in the docs: ``python bench/ngram_scale.py --sizes 1e6 3e6 1e7 3e7 1e8
--corpus-dir /work/runs/ngram_scale --work-dir /work/runs --no-dask --merge``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results" / "ngram_scale.json"
SRC = str(Path(__file__).resolve().parents[1] / "src")

CHILD = r"""
import json, shutil, sys, time
from seqlab.data.readers import read_sequences
from seqlab.ngram import NGramLM
path, memory, arpa = sys.argv[1], (None if sys.argv[2] == "-" else sys.argv[2]), sys.argv[3]
def peak():
    return next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmHWM"))
c = time.process_time(); w = time.perf_counter()
lm = NGramLM(order=5, memory=memory).fit(read_sequences(path))
cpu, wall = time.process_time() - c, time.perf_counter() - w
rss = peak()
c = time.process_time()
saved = lm.save(arpa + ".model")
save_cpu, rss_saved = time.process_time() - c, peak()
shutil.rmtree(saved)
lm.to_arpa(arpa)
print(json.dumps({"cpu_s": cpu, "wall_s": wall, "peak_rss_bytes": rss, "ngrams": lm.ngram_counts_,
                  "save_cpu_s": save_cpu, "peak_rss_after_save_bytes": rss_saved,
                  "tokens": lm.n_train_tokens_, "runs": getattr(lm, "count_stats_", {}).get("runs")}))
"""


# ---------------------------------------------------------------------- the sampled corpus
def fit_source() -> tuple[list[str], object]:
    """Witten-Bell 5-gram counts of all bundled text: (id -> token, NGramCounts)."""
    from seqlab.datasets import load_corpus
    from seqlab.ngram import _kernels as K
    from seqlab.ngram.model import _build_vocabulary

    sents: list[list[str]] = []
    for name in ("kjv", "shakespeare", "austen"):
        sents += load_corpus(name, tokenizer="word")
    raw = K.read_corpus(sents)
    vocab, remap = _build_vocabulary(raw, 1)
    ids, pos = K.with_boundaries(remap[raw.ids], raw.lengths)
    return list(vocab.itos), K.count_ngrams(ids, pos, 5, len(vocab))


def sample_corpus(itos: list[str], counts, n_tokens: int, path: Path, seed: int = 0,  # type: ignore[no-untyped-def]
                  batch: int = 200_000, max_len: int = 100) -> int:
    """Write sentences sampled from the interpolated Witten-Bell 5-gram until ``n_tokens`` words.

    ``batch`` sentences are drawn in lockstep; a sentence is cut after ``max_len`` words.
    """
    from seqlab.data.vocab import BOS_ID, EOS_ID
    from seqlab.ngram import _kernels as K

    rng = np.random.default_rng(seed)
    V, N = counts.vocab_size, counts.order
    cum = [np.cumsum(c) for c in counts.counts]  # cumulative counts per order, for drawing within a context
    starts, ctx_total, ctx_types = [None], [None], [None]
    for n in range(2, N + 1):  # extensions of row r of order n-1: rows starts[n-1][r] .. starts[n-1][r+1]
        H = counts.keys[n - 2].size
        st = np.searchsorted(counts.keys[n - 1], np.arange(H + 1, dtype=np.int64) * V)
        starts.append(st)
        ctx_total.append(np.bincount(counts.prefix(n), weights=counts.counts[n - 1], minlength=H))
        ctx_types.append(np.diff(st))
    uni = counts.counts[0].astype(np.float64).copy()
    uni[[0, BOS_ID]] = 0
    uni_cum = np.cumsum(uni)
    Vp = V - 2
    seen_types = float((uni > 0).sum())  # N1+ of the unigram level
    written = 0
    with open(path, "w", encoding="utf-8") as f:
        while written < n_tokens:
            B = batch
            ctx = np.full((B, N - 1), -1, dtype=np.int64)  # ctx[:, k-1]: row of the last k tokens in order k
            ctx[:, 0] = BOS_ID
            alive = np.ones(B, dtype=bool)
            out = np.full((B, max_len), -1, dtype=np.int64)
            for t in range(max_len):
                idx = np.flatnonzero(alive)
                if idx.size == 0:
                    break
                word = np.full(idx.size, -1, dtype=np.int64)
                for k in range(N - 1, 0, -1):  # try the longest context first, back off on a coin flip
                    open_ = (word < 0) & (ctx[idx, k - 1] >= 0)
                    if not open_.any():
                        continue
                    r = ctx[idx[open_], k - 1]
                    tot, typ = ctx_total[k][r], ctx_types[k][r]
                    take = rng.random(r.size) * (tot + typ) < tot  # P(stay) = c(h) / (c(h) + N1+(h .))
                    sel = np.flatnonzero(open_)[take]
                    r = r[take]
                    lo = starts[k][r]
                    base = np.where(lo > 0, cum[k][np.maximum(lo - 1, 0)], 0)
                    target = base + rng.random(r.size) * ctx_total[k][r]
                    row = np.searchsorted(cum[k], target, side="right")
                    word[sel] = counts.keys[k][row] % V
                rest = word < 0
                if rest.any():  # unigram level: counts, or the uniform distribution
                    m = int(rest.sum())
                    tot = uni_cum[-1]
                    u = rng.random(m) * (tot + seen_types)
                    w = np.searchsorted(uni_cum, np.minimum(u, tot - 1e-9), side="right")
                    uniform = rng.integers(0, Vp, size=m)
                    uniform = np.where(uniform >= BOS_ID - 1, uniform + 1, uniform) + 1  # skip <pad> and <s>
                    word[rest] = np.where(u < tot, w, uniform)
                out[idx, t] = word
                ended = word == EOS_ID
                # new context rows: the (k+1)-gram (old k-context + word) for k = N-2..1, then the word itself
                new = np.full((idx.size, N - 1), -1, dtype=np.int64)
                new[:, 0] = word
                for k in range(1, N - 1):
                    prev = ctx[idx, k - 1]
                    ok = prev >= 0
                    if ok.any():
                        new[ok, k] = K.find_rows(counts.keys[k], prev[ok] * V + word[ok])
                ctx[idx] = new
                alive[idx[ended]] = False
            for row in out:
                toks = row[(row >= 0)]
                toks = toks[: np.argmax(toks == EOS_ID)] if (toks == EOS_ID).any() else toks
                if toks.size == 0:
                    continue
                f.write(" ".join(itos[i] for i in toks.tolist()) + "\n")
                written += int(toks.size)
                if written >= n_tokens:
                    break
    return written


# ---------------------------------------------------------------------- measurements
def cached_corpus(itos: list[str], counts, n_tokens: int, directory: Path) -> tuple[Path, dict]:  # type: ignore[no-untyped-def]
    """The sampled corpus of ``n_tokens`` words in ``directory``, sampled once and reused afterwards.

    A sidecar ``corpus-<n>.json`` (written last) records the words and the sampling time; a
    corpus file without it is an interrupted sample and is drawn again.
    """
    path = directory / f"corpus-{n_tokens}.txt"
    meta_path = directory / f"corpus-{n_tokens}.json"
    if path.exists() and meta_path.exists():
        return path, json.loads(meta_path.read_text())
    directory.mkdir(parents=True, exist_ok=True)
    w = time.perf_counter()
    words = sample_corpus(itos, counts, n_tokens, path)
    meta = {"words": words, "bytes": path.stat().st_size, "sample_wall_s": time.perf_counter() - w}
    meta_path.write_text(json.dumps(meta) + "\n")
    return path, meta


def child(path: Path, memory: str | None, arpa: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), memory or "-", str(arpa)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_lmplz(lmplz: str, path: Path, memory_bytes: int, tmp: Path) -> dict:
    """``lmplz -o 5 -S <memory_bytes>`` on ``path``: CPU and wall seconds, and its own peak RSS (``/usr/bin/time``)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    w = time.perf_counter()
    with open(path) as f, open(tmp / "lmplz.arpa", "w") as sink:
        # -S in KiB ("K"): lmplz reads a bare number as KiB as well; give the unit explicitly
        # --discount_fallback: where a modified Kneser-Ney discount estimate is out of range, use
        # (0.5, 1, 1.5), as seqlab does (with a warning); without it lmplz aborts on such corpora.
        # --skip_symbols: a literal <unk> in the text (one in the 100M sample) becomes whitespace
        # instead of an abort (seqlab reads it as <unk>)
        done = subprocess.run(["/usr/bin/time", "-f", "%M", lmplz, "-o", "5", "-S", f"{memory_bytes // 1024}K", "-T",
                               str(tmp), "--discount_fallback", "--skip_symbols"], stdin=f, stdout=sink,
                              stderr=subprocess.PIPE, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = done.stderr.strip().splitlines()
    if done.returncode != 0:
        reason = next((ln for ln in reversed(lines[:-1]) if ln.strip()), f"exit status {done.returncode}")
        why = [ln for ln in lines if any(w in ln for w in ("because", "exceeds", "not allowed", "rror"))]
        detail = " / ".join(ln.split(" threw ")[-1].strip() for ln in why[-2:])  # lmplz's own message
        raise RuntimeError(f"lmplz failed: {reason.strip()}" + (f" ({detail[:300]})" if detail else ""))
    return {"cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "wall_s": time.perf_counter() - w,
            "peak_rss_bytes": int(lines[-1]) * 1024}


COUNT_CHILD = r"""
import json, sys, time
from seqlab.data.readers import read_sequences
from seqlab.ngram import _kernels as K
from seqlab.ngram.model import _build_vocabulary
c = time.process_time(); w = time.perf_counter()
raw = K.read_corpus(read_sequences(sys.argv[1]))
vocab, remap = _build_vocabulary(raw, 1)
ids, pos = K.with_boundaries(remap[raw.ids], raw.lengths)
counts = K.count_ngrams(ids, pos, int(sys.argv[2]), len(vocab))
print(json.dumps({"cpu_s": time.process_time() - c, "wall_s": time.perf_counter() - w,
                  "ngrams": [int(k.size) for k in counts.keys]}))
"""


def in_memory_count(path: Path, order: int) -> dict:
    """CPU and wall seconds of the single-process count phase (read, vocabulary, count; no smoothing)."""
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", COUNT_CHILD, str(path), str(order)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _worker_counters(dask_worker) -> dict:  # type: ignore[no-untyped-def]
    """Run on a worker: its process CPU, its tasks' CPU by task function, the bytes it got from other workers
    and the bytes it sent to the client."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    tasks: dict[str, float] = {}
    for key, value in dask_worker.digests_total.items():  # ("execute", span, function, "thread-cpu", "seconds")
        if isinstance(key, tuple) and key[0] == "execute" and key[-2:] == ("thread-cpu", "seconds"):
            tasks[key[-3]] = tasks.get(key[-3], 0.0) + value
    return {"cpu_s": ru.ru_utime + ru.ru_stime, "task_cpu_s": tasks,
            "bytes_from_workers": sum(d["total"] for d in dask_worker.transfer_incoming_log),
            "bytes_to_client": sum(d["total"] for d in dask_worker.transfer_outgoing_log if d["who"] is None)}


def dask_count(path: Path, workers: int, order: int, shard_bytes: int | None) -> dict:
    """One Dask count phase on a fresh LocalCluster of ``workers`` processes (as ``--workers N``): CPU and bytes.

    ``client_cpu_s`` is this process's CPU during the count: the client and, for a LocalCluster,
    the scheduler (it runs in this process). ``worker_cpu_s`` is each worker process's CPU
    (tasks, serialisation, communication, Dask's own housekeeping); ``worker_task_cpu_s`` the
    CPU inside its tasks, by task function (thread CPU time, from Dask's per-task metrics).
    """
    import logging

    import distributed

    from seqlab.ngram.dask_engine import DaskEngine, local_cluster

    logging.getLogger("distributed").setLevel(logging.WARNING)
    with local_cluster(workers) as cluster, distributed.Client(cluster, set_as_default=False) as client:
        engine = DaskEngine(client, shard_bytes=shard_bytes)
        before = client.run(_worker_counters)
        c, w = time.process_time(), time.perf_counter()
        _, counts, n_tokens, stats = engine.count([path], order=order)
        wall, client_cpu = time.perf_counter() - w, time.process_time() - c
        after = client.run(_worker_counters)
    addrs = sorted(after)
    task_cpu = []
    for a in addrs:
        old = before[a]["task_cpu_s"]
        task_cpu.append({k: round(v - old.get(k, 0.0), 3) for k, v in sorted(after[a]["task_cpu_s"].items(),
                                                                          key=lambda kv: -kv[1])})
    worker_cpu = [after[a]["cpu_s"] - before[a]["cpu_s"] for a in addrs]
    return {"workers": workers, "count_wall_s": wall, "client_cpu_s": client_cpu, "worker_cpu_s": worker_cpu,
            "worker_task_cpu_s": [sum(t.values()) for t in task_cpu], "total_cpu_s": client_cpu + sum(worker_cpu),
            "task_cpu_s_by_function": task_cpu,
            "bytes_between_workers": sum(after[a]["bytes_from_workers"] - before[a]["bytes_from_workers"]
                                         for a in addrs),
            "bytes_workers_to_client": sum(after[a]["bytes_to_client"] - before[a]["bytes_to_client"] for a in addrs),
            "tokens": n_tokens, "ngrams": [int(k.size) for k in counts.keys], **stats}


def dask_scaling(path: Path, order: int = 5, shard_bytes: int | None = None, repeat: int = 1) -> dict:
    """Count phase with 1 and 2 local workers (alternating, ``repeat`` times each), against the single-process count.

    ``workers_1`` / ``workers_2`` list every run; ``median`` holds the medians that the summary
    line prints (wall and CPU on a shared machine vary from run to run).
    """
    out: dict = {"corpus_bytes": path.stat().st_size, "order": order, "repeat": repeat, "load_before": os.getloadavg()}
    out["in_memory_count"] = in_memory_count(path, order)
    runs: dict[int, list[dict]] = {1: [], 2: []}
    for _ in range(repeat):
        for workers in (1, 2):
            runs[workers].append(dask_count(path, workers, order, shard_bytes))
    out["load_after"] = os.getloadavg()
    out["workers_1"], out["workers_2"] = runs[1], runs[2]
    med = {f"{k}_{w}": float(np.median([f(r) for r in runs[w]])) for w in (1, 2)
           for k, f in (("count_wall_s", lambda r: r["count_wall_s"]), ("total_cpu_s", lambda r: r["total_cpu_s"]),
                        ("client_cpu_s", lambda r: r["client_cpu_s"]),
                        ("busiest_worker_cpu_s", lambda r: max(r["worker_cpu_s"])),
                        ("worker_cpu_s", lambda r: sum(r["worker_cpu_s"])))}
    med["speedup_2_over_1"] = med["count_wall_s_1"] / med["count_wall_s_2"]
    med["cpu_split_bound_2_over_1"] = med["worker_cpu_s_1"] / med["busiest_worker_cpu_s_2"]
    med["cpu_ratio_1_worker_over_in_memory"] = med["total_cpu_s_1"] / out["in_memory_count"]["cpu_s"]
    med["cpu_ratio_2_workers_over_in_memory"] = med["total_cpu_s_2"] / out["in_memory_count"]["cpu_s"]
    out["median"] = med
    out["notes"] = ("CPU in seconds (user + system). speedup_2_over_1 is the wall-clock ratio, which on a shared "
                    "machine also measures the other jobs (see load_before/after, the 1-minute load average of "
                    "the 2-core machine). cpu_split_bound_2_over_1 = worker CPU with 1 worker / the busiest "
                    "worker's CPU with 2: the wall-clock speed-up on two free cores if no worker ever waited.")
    return out


def dask_summary(d: dict) -> str:
    """One line: median wall and CPU with 1 and 2 workers, against the single-process count."""
    m, w1, w2 = d["median"], d["workers_1"][0], d["workers_2"][0]
    return (f"dask count, {w1['tokens'] / 1e6:.1f}M tokens, order {d['order']}, {w1['shards']}/{w2['shards']} shards, "
            f"median of {d['repeat']}: in-memory {d['in_memory_count']['cpu_s']:.1f} CPU-s; 1 worker "
            f"{m['count_wall_s_1']:.1f} s wall, {m['worker_cpu_s_1']:.1f} worker + {m['client_cpu_s_1']:.1f} client "
            f"CPU-s; 2 workers {m['count_wall_s_2']:.1f} s wall, {m['worker_cpu_s_2']:.1f} worker (busiest "
            f"{m['busiest_worker_cpu_s_2']:.1f}) + {m['client_cpu_s_2']:.1f} client CPU-s; wall speed-up "
            f"{m['speedup_2_over_1']:.2f}x, CPU split bound {m['cpu_split_bound_2_over_1']:.2f}x; "
            f"{w2['bytes_between_workers'] / 2**20:.0f} MiB between workers, "
            f"{w2['bytes_workers_to_client'] / 2**20:.0f} MiB to the client; load {d['load_before'][0]:.1f}-"
            f"{d['load_after'][0]:.1f}")


def _not_run(sizes: list[float]) -> str:
    """Which of the issue's sizes (10M, 30M, 100M tokens) this run left out; nothing is extrapolated."""
    missing = [f"{int(n / 1e6)}M" for n in (1e7, 3e7, 1e8) if n not in sizes]
    if not missing:
        return "none"
    return f"{', '.join(missing)} tokens not run (see --sizes); nothing here is extrapolated"


def dask_corpus(args: argparse.Namespace, itos: list[str] | None, counts: object, tmp: Path) -> Path:
    """The Dask corpus: ``--corpus`` if it exists, else ``--dask-tokens`` sampled (into ``--corpus``, a cache)."""
    if args.corpus is not None and Path(args.corpus).is_file():
        return Path(args.corpus)
    path = Path(args.corpus) if args.corpus is not None else tmp / f"dask-corpus-{int(args.dask_tokens)}.txt"
    if itos is None:
        itos, counts = fit_source()
    part = path.with_name(path.name + ".part")
    sample_corpus(itos, counts, int(args.dask_tokens), part)
    part.rename(path)
    return path


def write_result(result: dict, only_dask: bool, key: str = "dask") -> None:
    """Write the JSON; with ``--only dask`` replace its ``key`` entry (default ``"dask"``) and keep the rest."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if only_dask:
        old = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"benchmark": "ngram_scale"}
        old[key] = result[key]
        result = old
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


def _same_file(a: Path, b: Path) -> bool:
    """Byte-for-byte equality, streamed (the ARPA files of 100M tokens are gigabytes)."""
    if a.stat().st_size != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 24), fb.read(1 << 24)
            if x != y:
                return False
            if not x:
                return True


def lmplz_entry(lmplz: str, path: Path, budget: int, tmp: Path, retries: list[float]) -> dict | str:
    """``lmplz -S budget``; where it aborts, also the first of ``budget * factor`` that it accepts."""
    try:
        return {"memory_bytes": budget, **run_lmplz(lmplz, path, budget, tmp)}
    except RuntimeError as exc:
        failed: dict = {"memory_bytes": budget, "error": str(exc), "retries": []}
    for factor in retries:
        memory = int(budget * factor)
        try:
            failed["retries"].append({"factor": factor, "memory_bytes": memory,
                                      **run_lmplz(lmplz, path, memory, tmp)})
            break
        except RuntimeError as exc:
            failed["retries"].append({"factor": factor, "memory_bytes": memory, "error": str(exc)})
    return failed


def parse_size(text: str) -> int:
    """Bytes of a budget written like ``256M`` (seqlab's own parser, imported late: ``sys.path`` is set in main)."""
    from seqlab.ngram.outofcore import parse_memory

    return parse_memory(text)


def measure(path: Path, meta: dict, n: int, tmp: Path, args: argparse.Namespace) -> dict:
    """One size: in memory, out of core at 25% of that peak, ``lmplz -S`` at the same budget."""
    entry: dict = {"tokens_requested": n, **meta}
    mem = child(path, None, tmp / "mem.arpa")
    print(json.dumps({"tokens": n, "in_memory": mem}), flush=True)
    budget = max(1 << 20, mem["peak_rss_bytes"] // 4)
    ooc = child(path, str(budget), tmp / "ooc.arpa")
    print(json.dumps({"tokens": n, "out_of_core": ooc}), flush=True)
    entry["in_memory"] = mem
    entry["out_of_core"] = {"memory_budget_bytes": budget, **ooc}
    entry["same_arpa_bytes"] = _same_file(tmp / "mem.arpa", tmp / "ooc.arpa")
    (tmp / "ooc.arpa").unlink()
    if args.fixed_budget:  # one budget for every size: the peak should not grow with the corpus
        fixed = child(path, args.fixed_budget, tmp / "ooc.arpa")
        print(json.dumps({"tokens": n, "out_of_core_fixed": fixed}), flush=True)
        entry["out_of_core_fixed"] = {"memory_budget_bytes": parse_size(args.fixed_budget), **fixed}
        entry["same_arpa_bytes_fixed"] = _same_file(tmp / "mem.arpa", tmp / "ooc.arpa")
        (tmp / "ooc.arpa").unlink()
    (tmp / "mem.arpa").unlink()
    if args.lmplz:
        entry["lmplz"] = lmplz_entry(args.lmplz, path, budget, tmp, args.lmplz_retry)
        (tmp / "lmplz.arpa").unlink(missing_ok=True)
    return entry


def rerun_lmplz(args: argparse.Namespace) -> None:
    """``lmplz`` again for sizes already measured (same cached corpus, same budget); the rest is kept."""
    result = json.loads(RESULTS.read_text())
    with tempfile.TemporaryDirectory(dir=args.work_dir) as tmpd:
        for size in args.sizes:
            entry = next(r for r in result["runs"] if r["tokens_requested"] == int(size))
            path = args.corpus_dir / f"corpus-{int(size)}.txt"
            budget = entry["out_of_core"]["memory_budget_bytes"]
            entry["lmplz"] = lmplz_entry(args.lmplz, path, budget, Path(tmpd), args.lmplz_retry)
            print(json.dumps({"tokens": int(size), "lmplz": entry["lmplz"]}), flush=True)
            RESULTS.write_text(json.dumps(result, indent=2) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=float, nargs="+", default=[1e6, 3e6, 1e7])
    ap.add_argument("--dask-key", default="dask",
                    help="JSON key of the Dask section (e.g. dask_30M for a second corpus size); default: dask")
    ap.add_argument("--only", choices=("all", "dask"), default="all",
                    help="dask: run only the Dask section and rewrite only the 'dask' key of the JSON")
    ap.add_argument("--dask-tokens", "--dask-size", type=float, default=1.2e7,
                    help="tokens of the Dask corpus (sampled unless --corpus names an existing file)")
    ap.add_argument("--corpus", help="Dask corpus file: used when it exists, else sampled into it (a cache)")
    ap.add_argument("--shard-bytes", type=int, default=None, help="DaskEngine(shard_bytes=...); default: its own")
    ap.add_argument("--repeat", type=int, default=3, help="Dask runs per worker count (medians are reported)")
    ap.add_argument("--lmplz", default=shutil.which("lmplz"))
    ap.add_argument("--lmplz-retry", type=float, nargs="*", default=[2.0, 4.0],
                    help="where lmplz aborts at the budget, retry with these multiples of it")
    ap.add_argument("--fixed-budget", default="256M",
                    help="also fit out of core with this one budget at every size ('' to skip)")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--no-write", action="store_true", help="print only; leave the JSON alone")
    ap.add_argument("--corpus-dir", type=Path, default=None,
                    help="keep the sampled corpora here and reuse them (default: a temporary directory)")
    ap.add_argument("--work-dir", type=Path, default=None, help="where the ARPA files go (default: temporary)")
    ap.add_argument("--merge", action="store_true",
                    help="update the existing results: replace the rows of the sizes run, keep every other key")
    ap.add_argument("--lmplz-only", action="store_true",
                    help="run only lmplz again on the sizes given, at the budgets already in the results")
    args = ap.parse_args()
    sys.path.insert(0, SRC)
    if args.lmplz_only:
        rerun_lmplz(args)
        return
    only_dask = args.only == "dask"
    itos, counts = (None, None) if only_dask else fit_source()
    result: dict = {"benchmark": "ngram_scale", "order": 5, "sizes_run": [], "runs": [],
                    "corpus": "sampled from an interpolated Witten-Bell 5-gram of all bundled text "
                              "(kjv + shakespeare + austen, word level); see bench/ngram_scale.py",
                    "not_run": "", "lmplz": args.lmplz or "not found; not run"}
    if args.merge and RESULTS.exists():
        result = json.loads(RESULTS.read_text())
    with tempfile.TemporaryDirectory(dir=args.work_dir) as tmpd:
        tmp = Path(tmpd)
        for size in [] if only_dask else args.sizes:
            n = int(size)
            path, meta = cached_corpus(itos, counts, n, args.corpus_dir or tmp)
            entry = measure(path, meta, n, tmp, args)
            result["runs"] = sorted([r for r in result["runs"] if r["tokens_requested"] != n] + [entry],
                                    key=lambda r: r["tokens_requested"])
            result["sizes_run"] = [r["words"] for r in result["runs"]]
            result["not_run"] = _not_run([float(r["tokens_requested"]) for r in result["runs"]])
            print(json.dumps(entry, default=str)[:800], flush=True)
            if not args.no_write:  # after every size: a long run keeps what it did
                RESULTS.parent.mkdir(parents=True, exist_ok=True)
                RESULTS.write_text(json.dumps(result, indent=2) + "\n")
            if args.corpus_dir is None:
                path.unlink()
        if not args.no_dask:
            path = dask_corpus(args, itos, counts, tmp)
            result[args.dask_key] = {"corpus": args.corpus or "sampled as above",
                                     **dask_scaling(path, 5, args.shard_bytes, args.repeat)}
            print(json.dumps(result[args.dask_key]), flush=True)
            print(dask_summary(result[args.dask_key]), flush=True)
    result["environment"] = {"python": sys.version.split()[0], "numpy": np.__version__, "cpus": os.cpu_count(),
                             "machine": platform.machine(),
                             "note": "shared machine (other jobs running): wall times vary; CPU seconds and RSS "
                                     "are the primary figures"}
    if not args.no_write and (not only_dask or args.dask_key in result):
        write_result(result, only_dask, args.dask_key)


if __name__ == "__main__":
    main()
