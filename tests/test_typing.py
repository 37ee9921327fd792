"""The package type-checks: ``mypy --strict src/seqlab`` (configured in pyproject.toml) reports no error.

STYLE.md promises a public API checked by ``mypy --strict``; this keeps the count at zero. mypy is in
the ``test`` extra (pinned in constraints.txt: a newer checker may find new errors). The torch models
are checked against torch's own annotations, so the check needs torch installed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_strict_reports_no_error():
    pytest.importorskip("torch", reason="without torch, mypy cannot check the torch models against its types")
    proc = subprocess.run([sys.executable, "-m", "mypy", "--strict", "src/seqlab"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    report = (proc.stdout + proc.stderr).strip()
    assert "No module named mypy" not in report, "mypy is missing: pip install -e '.[test]' -c constraints.txt"
    assert proc.returncode == 0, f"mypy --strict src/seqlab failed:\n{report[-6000:]}"
    assert "Success: no issues found" in report, report
