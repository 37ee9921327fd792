"""First-use cost of the numba kernels, per family: a fresh cache vs a warm one.

Each family runs a tiny workload (HMM fit + decode + sample, Kalman filter + smooth + EM,
Word2Vec fit) in a new process, three times:

* ``cold``: with an empty ``NUMBA_CACHE_DIR`` (the first use after installing);
* ``warm``: again, with the cache the cold run wrote (every later use);
* ``after_warm_up``: with a fresh cache filled only by ``seqlab warm-up`` (what ``make demo``
  runs), i.e. a user's first real use after installing with the documented step.

Times are the child process's CPU seconds (user + sys, so other load on the machine does not
count) and wall seconds. ``python bench/first_run.py`` writes bench/results/first_run.json.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKLOADS = {
    "hmm": """
import numpy as np
from seqlab.hmm import CategoricalHMM, GaussianHMM
rng = np.random.default_rng(0)
seqs = [list(rng.integers(0, 3, 50)) for _ in range(5)]
m = CategoricalHMM(n_states=2, n_iter=5, n_init=1, random_state=0).fit(seqs)
m.decode(seqs[0]); m.sample(20, random_state=0)
g = GaussianHMM(n_states=2, n_iter=5, n_init=1, random_state=0).fit([rng.normal(size=(40, 2))])
g.decode(rng.normal(size=(10, 2)))
""",
    "statespace": """
import numpy as np
from seqlab.statespace import KalmanFilter
z = np.cumsum(np.random.default_rng(0).normal(size=(30, 1)), axis=0)
kf = KalmanFilter(F=np.eye(1), H=np.eye(1), Q=np.eye(1), R=np.eye(1), x0=np.zeros(1), P0=np.eye(1))
kf.filter(z); kf.smooth(z); kf.log_likelihood(z); kf.em(z, n_iter=2)
""",
    "embed": """
from seqlab.embed import Word2Vec
corpus = [["a", "b", "c", "d"], ["b", "c", "a"], ["d", "a", "b"]] * 20
Word2Vec(vector_size=8, min_count=1, epochs=1, workers=1, seed=0).fit(corpus)
Word2Vec(vector_size=8, min_count=1, epochs=1, workers=1, seed=0, architecture="cbow").fit(corpus)
Word2Vec(vector_size=8, min_count=1, epochs=1, workers=1, seed=0, loss="hierarchical").fit(corpus)
""",
}


def _run(code: list[str], cache: str) -> dict[str, float]:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(ROOT / "src")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(code, check=True, env=env, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"cpu_s": round(cpu, 2), "wall_s": round(wall, 2)}


def main() -> None:
    results: dict[str, dict[str, dict[str, float]]] = {}
    baseline = _run([sys.executable, "-c", "import numpy, numba"], tempfile.mkdtemp())
    for family, code in WORKLOADS.items():
        cmd = [sys.executable, "-c", code]
        with tempfile.TemporaryDirectory() as cache:
            cold = _run(cmd, cache)
            warm = _run(cmd, cache)
        with tempfile.TemporaryDirectory() as cache:
            warm_up = _run([sys.executable, "-m", "seqlab", "warm-up", "--family", family, "-q"], cache)
            after = _run(cmd, cache)
        results[family] = {"cold": cold, "warm": warm, "warm_up_command": warm_up, "after_warm_up": after,
                           "extra_first_use_cpu_s": round(cold["cpu_s"] - warm["cpu_s"], 2),
                           "extra_after_warm_up_cpu_s": round(after["cpu_s"] - warm["cpu_s"], 2)}
        print(family, results[family], flush=True)
    out = {"what": __doc__.split("\n")[0], "python_numpy_numba_import": baseline,
           "machine": f"{platform.machine()} {os.cpu_count()} cpus", "families": results}
    path = ROOT / "bench" / "results" / "first_run.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
