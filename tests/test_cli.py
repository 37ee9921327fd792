"""The command line skeleton: help on every level, one-line errors, `seqlab info`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
