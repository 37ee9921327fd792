"""The command line skeleton: help on every level, one-line errors, `seqlab info`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from seqlab.cli.main import build_parser


def _all_parsers(parser, prefix=()):
    yield prefix, parser
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield from _all_parsers(sub, prefix + (name,))


def test_help_on_every_level(cli):
    for path, _ in _all_parsers(build_parser()):
        result = cli(*path, "--help")
        assert result.code == 0 and "usage:" in result.out, f"seqlab {' '.join(path)} --help failed"


def test_usage_error_exits_2(cli):
    result = cli("no-such-group")
    assert result.code == 2 and "seqlab: error:" in result.err


def test_info_on_a_non_model_is_one_line_error(cli, tmp_path):
    result = cli("info", str(tmp_path))
    assert result.code == 1
    assert result.err.strip().count("\n") == 0 and result.err.startswith("seqlab: error:"), result.err


def test_info_describes_a_saved_model(cli, tmp_path, rng):
    from toymodels import MeanModel

    MeanModel().fit(rng.normal(size=(5, 2))).save(tmp_path / "m")
    result = cli("info", str(tmp_path / "m"))
    assert result.code == 0 and "MeanModel" in result.out and "mean: float64 (2,)" in result.out


def test_python_dash_m_runs():
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1] / "src"))
    out = subprocess.run([sys.executable, "-m", "seqlab", "--version"], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and out.stdout.startswith("seqlab "), out.stderr


def _walk(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)
    else:
        yield value


def test_one_json_schema_across_commands(cli, tmp_path):
    """``model`` is the saved class, ``output`` the directory, lists are JSON lists (never joined strings)."""
    import json

    import numpy as np

    from seqlab import io

    (tmp_path / "c.txt").write_text("the cat sat\nthe dog ran\na cat ran\n" * 20)
    (tmp_path / "s.csv").write_text("value\n" + "\n".join(f"{np.sin(i / 3):.4f}" for i in range(60)) + "\n")
    (tmp_path / "l.tsv").write_text("".join(f"{'ab'[i % 2]}\tthe {'cat dog'.split()[i % 2]} sat\n" for i in range(20)))
    runs = {
        "lm": ["lm", "train", "--data", tmp_path / "c.txt", "-o", tmp_path / "lm"],
        "forecast": ["forecast", "fit", "--data", tmp_path / "s.csv", "-o", tmp_path / "ar", "--lags", "2"],
        "hmm": ["hmm", "fit", "--states", "2", "--data", tmp_path / "c.txt", "-o", tmp_path / "hmm", "--n-init", "1"],
        "classify": ["classify", "train", "--data", tmp_path / "l.tsv", "-o", tmp_path / "clf"],
    }
    for name, argv in runs.items():
        r = cli(*argv, "--format", "json", "-q")
        assert r.code == 0, (name, r.err)
        out = json.loads(r.out)
        assert out["output"] == str(argv[argv.index("-o") + 1]), name
        if "model" in out:
            assert out["model"] in io.registered(), (name, out["model"])
        strings = [v for v in _walk(out) if isinstance(v, str)]
        assert not any(s.startswith("[") or " / " in s for s in strings), (name, strings)
    decoded = json.loads(cli("hmm", "decode", tmp_path / "hmm", "--data", tmp_path / "c.txt", "--format", "json").out)
    assert isinstance(decoded[0]["states"], list)


_BLAS_PROBE = """
import os, sys
from seqlab.cli.main import _load_numpy_for
_load_numpy_for(sys.argv[1:])
loaded = "numpy" in sys.modules
import numpy
from threadpoolctl import threadpool_info
threads = [p["num_threads"] for p in threadpool_info() if p["internal_api"] == "openblas"]
print(loaded, threads[0] if threads else "no-openblas", os.environ.get("OPENBLAS_NUM_THREADS"))
"""


def _blas_probe(*argv: str, **env: str) -> list[str]:
    full = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    full.update(PYTHONPATH=str(Path(__file__).parents[1] / "src"), **env)
    out = subprocess.run([sys.executable, "-c", _BLAS_PROBE, *argv], capture_output=True, text=True, env=full)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_lm_commands_load_numpy_with_one_blas_thread():
    """``seqlab lm ...`` starts numpy's OpenBLAS with one thread (its idle workers spin for CPU the n-gram
    path never uses) and leaves the environment as it found it; other groups and a user's own
    ``OPENBLAS_NUM_THREADS`` are left alone."""
    pytest.importorskip("threadpoolctl")
    loaded, threads, env = _blas_probe("-q", "lm", "eval", "m", "--data", "t.txt")
    assert (loaded, env) == ("True", "None")
    assert threads in ("1", "no-openblas")
    loaded, _, env = _blas_probe("hmm", "fit", "--data", "lm")
    assert (loaded, env) == ("False", "None")  # numpy is loaded later, by the command, as before
    loaded, threads, env = _blas_probe("lm", "train", OPENBLAS_NUM_THREADS="2")
    assert (loaded, env) == ("False", "2") and threads in ("2", "no-openblas")


_FREEZE_PROBE = """
import gc, sys
from seqlab.cli import datasets, main as M
frozen = []
run_list = datasets.run_list
datasets.run_list = lambda args: frozen.append((gc.get_freeze_count(), gc.isenabled())) or run_list(args)
sys.argv = ["seqlab", "datasets", "list", "--format", "json"]
print("main", M.main(sys.argv[1:]), *frozen[-1], gc.get_freeze_count())
try:
    M.run()
except SystemExit as exc:
    print("run", exc.code, *frozen[-1])
"""


def test_the_program_freezes_start_up_objects_and_main_does_not():
    """run() (console script, python -m seqlab) freezes what start-up made before the command
    runs, with the collector on again; main() called from Python leaves the collector alone."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1] / "src"))
    out = subprocess.run([sys.executable, "-c", _FREEZE_PROBE], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    lines = [line.split() for line in out.stdout.splitlines() if line.startswith(("main ", "run "))]
    assert lines[0] == ["main", "0", "0", "True", "0"], lines
    assert lines[1][:2] == ["run", "0"] and int(lines[1][2]) > 10_000 and lines[1][3] == "True", lines
