"""The documentation builds offline with no warning (a broken reference or docstring fails here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mkdocs_builds_strictly(tmp_path):
    out = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert (tmp_path / "site" / "api" / "models" / "index.html").is_file()
    assert "TorchEstimator" in (tmp_path / "site" / "api" / "models" / "index.html").read_text(encoding="utf-8")
