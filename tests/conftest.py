"""Shared fixtures: a seeded ``rng``, hypothesis settings, and an in-process CLI runner."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

SEED = int(os.environ.get("SEQLAB_TEST_SEED", "0"))

settings.register_profile("seqlab", deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile("seqlab")


def pytest_report_header(config: pytest.Config) -> str:
    return f"seqlab test seed: {SEED} (set SEQLAB_TEST_SEED to sweep)"


@pytest.fixture
def rng() -> np.random.Generator:
    """A numpy Generator seeded with SEQLAB_TEST_SEED (0 by default)."""
    return np.random.default_rng(SEED)


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run ``seqlab ARGS`` in-process: ``cli("lm", "eval", ...) -> CliResult(code, out, err)``."""
    from seqlab.cli.main import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse usage errors and --help
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
