"""numba's cache: NUMBA_CACHE_DIR is honoured, and ``seqlab warm-up`` fills it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from seqlab.cli.main import main

SRC = str(Path(__file__).resolve().parents[1] / "src")


def test_numba_cache_dir_is_honoured(tmp_path):
    cache = tmp_path / "numba-cache"
    code = ("import numpy as np\nfrom seqlab.hmm._algorithms import sample_states\n"
            "sample_states(np.array([0.5, 0.5]), np.full((2, 2), 0.5), np.random.default_rng(0).random(5))\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300,
                   env={**os.environ, "PYTHONPATH": SRC, "NUMBA_CACHE_DIR": str(cache)})
    written = sorted(p.name for p in cache.rglob("*") if p.suffix in (".nbi", ".nbc"))
    assert any(name.startswith("_algorithms.sample_states") for name in written), written


def test_warm_up_runs_the_families_it_is_asked_for(capsys):
    assert main(["warm-up", "--family", "statespace"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("statespace") and "ready" in out and "hmm" not in out
    assert main(["warm-up", "--family", "nope"]) == 1
    assert "--family must name some of hmm, statespace, embed" in capsys.readouterr().err


def test_warm_up_compiles_the_ngram_scoring_kernels(tmp_path):
    """``warm-up --family ngram`` leaves every compiled n-gram kernel in the cache."""
    cache = tmp_path / "numba-cache"
    subprocess.run([sys.executable, "-m", "seqlab", "warm-up", "--family", "ngram"], check=True, timeout=600,
                   capture_output=True, env={**os.environ, "PYTHONPATH": SRC, "NUMBA_CACHE_DIR": str(cache)})
    written = {p.name.split("-")[0] for p in cache.rglob("*.nbi")}
    expected = {f"_fastscore.{k}" for k in ("_build", "_score", "_score_sentences", "_build_tokens", "_ids_of")}
    assert expected <= written, sorted(written)
