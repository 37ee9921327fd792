"""The wheel carries the licence the metadata declares and the data attributions."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_license_file_matches_the_declared_licence():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert {"LICENSE", "DATASETS.md"} <= set(project["license-files"])
    assert "CC-BY" in (ROOT / "DATASETS.md").read_text() or "CC BY" in (ROOT / "DATASETS.md").read_text()


@pytest.mark.slow
def test_wheel_ships_license_and_datasets(tmp_path):
    setuptools = pytest.importorskip("setuptools")
    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip("license-files needs setuptools >= 77 (pip's isolated build gets it)")
    project = tmp_path / "project"  # a copy, so that building leaves nothing in the checkout
    project.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "DATASETS.md"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(project), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist")], check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("seqlab-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    licences = {Path(n).name for n in names if ".dist-info/licenses/" in n}
    assert licences == {"LICENSE", "DATASETS.md"}, names
    assert any(n.startswith("seqlab/data/bundled/") for n in names)
