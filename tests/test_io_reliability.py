"""Model directories under faults and hostile input: kills at every rename, concurrent
writers, permissions, links out of the directory, damaged manifests and safetensors headers.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqlab import io
from seqlab.exceptions import FormatError, SeqlabError
from toymodels import MeanModel

SRC = str(Path(io.__file__).resolve().parents[1])

WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from seqlab import io
    path, tag, fallback = sys.argv[1:]
    if fallback == "1":  # the two-rename path used where renameat2 is missing
        io._exchange = lambda a, b: False
    def fill(tmp: Path) -> None:
        (tmp / "weights.txt").write_text(tag)
        (tmp / "manifest.json").write_text(tag)
    io.write_directory(path, fill)
""")


def _run_writer(path: Path, tag: str, fallback: bool, *, strace: list[str] | None = None,
                ) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", WRITER, str(path), tag, "1" if fallback else "0"]
    env = {**os.environ, "PYTHONPATH": SRC, "PYTHONDONTWRITEBYTECODE": "1"}  # .pyc writes rename too
    return subprocess.run((strace or []) + cmd, capture_output=True, text=True, env=env, timeout=60)


def _state(path: Path) -> str | None:
    """The tag of the complete model at ``path``; fails the test on a half model."""
    if not path.exists():
        return None
    tags = {(path / "weights.txt").read_text(), (path / "manifest.json").read_text()}
    assert len(tags) == 1, f"half a model at {path}: {tags}"
    return tags.pop()


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


RENAMES = "rename,renameat,renameat2"


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace (apt-get install strace)")
@pytest.mark.parametrize("fallback", [False, True], ids=["exchange", "two-renames"])
@pytest.mark.parametrize("existing", [False, True], ids=["new", "replace"])
def test_kill_at_every_rename_leaves_old_or_new_and_the_next_write_cleans_up(tmp_path, fallback, existing):
    probe = tmp_path / "probe" / "m"
    probe.parent.mkdir()
    if existing:
        assert _run_writer(probe, "old", fallback).returncode == 0
    log = tmp_path / "renames.log"
    done = _run_writer(probe, "new", fallback, strace=["strace", "-f", "-qq", "-o", str(log), "-e", RENAMES])
    assert done.returncode == 0, done.stderr
    n = sum(1 for line in log.read_text().splitlines() if "rename" in line)
    assert n == (2 if fallback and existing else 1), f"renames seen: {log.read_text()}"
    for when in range(1, n + 1):
        path = tmp_path / f"kill{when}" / "m"
        path.parent.mkdir()
        if existing:
            assert _run_writer(path, "old", fallback).returncode == 0
        inject = f"inject={RENAMES}:signal=SIGKILL:when={when}"
        killed = _run_writer(path, "new", fallback,
                             strace=["strace", "-f", "-qq", "-o", os.devnull, "-e", RENAMES, "-e", inject])
        assert killed.returncode != 0, "the injected kill did not happen"
        after_kill = _state(path)
        if fallback and existing and when == 2:
            assert after_kill is None, "the fallback's window: repaired by the next write below"
        else:
            assert after_kill == ("old" if existing else None), f"kill at rename {when}: {after_kill!r}"
        # the next write (or a reader after it) finds one model and no leftovers
        if fallback and existing and when == 2:
            recovered = tmp_path / f"kill{when}-recover.py"
            recovered.write_text("import sys\nfrom pathlib import Path\nfrom seqlab import io\n"
                                 "io._recover(Path(sys.argv[1]))\n")
            subprocess.run([sys.executable, str(recovered), str(path)], check=True,
                           env={**os.environ, "PYTHONPATH": SRC})
            assert _state(path) == "old", "the previous model is put back"
        assert _run_writer(path, "next", fallback).returncode == 0
        assert _state(path) == "next"
        assert _siblings(path) == [], f"leftovers after the next write: {_siblings(path)}"


def test_exchange_is_used_on_linux(tmp_path, monkeypatch):
    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux only")
    calls = []
    real = os.rename
    monkeypatch.setattr(os, "rename", lambda a, b: (calls.append((a, b)), real(a, b)))
    for tag in ("one", "two"):
        io.write_directory(tmp_path / "m", lambda tmp, tag=tag: (tmp / "manifest.json").write_text(tag))
    assert len(calls) == 1, "the replace is one renameat2 exchange, not os.rename"
    assert (tmp_path / "m" / "manifest.json").read_text() == "two" and _siblings(tmp_path / "m") == []


def test_crash_between_fallback_renames_is_repaired_in_process(tmp_path, monkeypatch):
    path = tmp_path / "m"
    io.write_directory(path, lambda tmp: (tmp / "manifest.json").write_text("old"))
    monkeypatch.setattr(io, "_exchange", lambda a, b: False)
    real = os.rename
    count = {"n": 0}

    def second_fails(a, b):
        count["n"] += 1
        if count["n"] == 2:
            raise OSError(28, "No space left on device")
        real(a, b)

    monkeypatch.setattr(os, "rename", second_fails)
    with pytest.raises(OSError):
        io.write_directory(path, lambda tmp: (tmp / "manifest.json").write_text("new"))
    monkeypatch.setattr(os, "rename", real)
    assert not path.exists()
    io.write_directory(path, lambda tmp: (tmp / "manifest.json").write_text("next"))
    assert (path / "manifest.json").read_text() == "next" and _siblings(path) == []


def test_leftover_temporary_directories_are_removed_by_the_next_write(tmp_path):
    path = tmp_path / "m"
    for name in (".m.tmp-abc", ".m.old-def", ".other.tmp-x"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.json").write_text("stale")
    io.write_directory(path, lambda tmp: (tmp / "manifest.json").write_text("new"))
    assert _siblings(path) == [".other.tmp-x"], "only this output's leftovers are touched"


def test_a_second_writer_gets_a_clear_error(tmp_path):
    path = tmp_path / "m"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom seqlab import io\nio.hold_output_lock(sys.argv[1])\n"
         "print('held', flush=True)\ntime.sleep(60)\n", str(path)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": SRC})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(SeqlabError, match="being written by another seqlab process"):
            io.write_directory(path, lambda tmp: (tmp / "manifest.json").write_text("x"))
        assert not path.exists()
    finally:
        holder.kill()
        holder.wait()
    io.write_directory(path, lambda tmp: (tmp / "manifest.json").write_text("x"))  # free again
    assert _siblings(path) == [], "the lock file goes away with its holder's successor"


def test_locks_are_reentrant_and_released(tmp_path):
    path = tmp_path / "m"
    io.hold_output_lock(path)
    try:
        io.write_directory(path, lambda tmp: (tmp / "manifest.json").write_text("x"))
        assert (tmp_path / ".m.lock").exists()
    finally:
        io.release_output_locks()
    assert _siblings(path) == []


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_model_files_follow_the_umask(tmp_path, rng, umask):
    old = os.umask(umask)
    try:
        path = MeanModel().fit(rng.normal(size=(4, 2))).save(tmp_path / "m")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o777 & ~umask
    for f in path.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~umask, f.name


# ---------------------------------------------------------------------- hostile directories
@pytest.fixture
def saved(tmp_path, rng):
    return MeanModel().fit(rng.normal(size=(5, 3))).save(tmp_path / "m")


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    manifest = json.loads((path / io.MANIFEST).read_text())
    change(manifest)
    (path / io.MANIFEST).write_text(json.dumps(manifest))


def test_links_out_of_the_directory_are_refused(saved, tmp_path):
    outside = tmp_path / "outside.safetensors"
    shutil.move(saved / io.ARRAYS, outside)
    (saved / io.ARRAYS).symlink_to(outside)
    with pytest.raises(FormatError, match="outside the model directory"):
        io.load(saved)
    (saved / io.ARRAYS).unlink()
    shutil.move(outside, saved / "real.safetensors")
    (saved / io.ARRAYS).symlink_to("real.safetensors")  # a link inside is fine
    assert isinstance(io.load(saved), MeanModel)


BAD_MANIFESTS = {
    "array spec without shape": lambda m: m["arrays"]["mean"].pop("shape"),
    "array spec as a list": lambda m: m["arrays"].update(mean=[3]),
    "negative dimension": lambda m: m["arrays"]["mean"].update(shape=[-3]),
    "params is a list": lambda m: m.update(params=[]),
    "arrays is a list": lambda m: m.update(arrays=["mean"]),
    "state is a string": lambda m: m.update(state="x"),
    "class is a number": lambda m: m.update({"class": 7}),
    "module is a list": lambda m: m.update(module=["os"]),
    "format_version is true": lambda m: m.update(format_version=True),
    "dtype disagrees": lambda m: m["arrays"]["mean"].update(dtype="float32"),
    "shape disagrees": lambda m: m["arrays"]["mean"].update(shape=[2]),
    "params of the wrong kind": lambda m: m.update(params={"scale": {"type": "Shrink", "bogus": 1}}),
}


@pytest.mark.parametrize("case", sorted(BAD_MANIFESTS))
def test_damaged_manifests_are_format_errors(saved, case):
    _edit(saved, BAD_MANIFESTS[case])
    with pytest.raises(FormatError):
        io.load(saved)


def test_deeply_nested_manifest_is_a_format_error(saved):
    (saved / io.MANIFEST).write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(FormatError, match="nested too deeply"):
        io.load(saved)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_weights_are_refused_at_load(saved, value):
    from safetensors.numpy import save_file

    arr = io.read_arrays(saved, io.read_manifest(saved))["mean"].copy()
    arr[1] = value
    save_file({"mean": arr}, str(saved / io.ARRAYS))
    with pytest.raises(FormatError, match="non-finite"):
        io.load(saved)


def test_minus_inf_is_allowed_in_log_arrays(tmp_path):
    from safetensors.numpy import save_file

    arrays = {"log_probs": np.array([0.0, -np.inf]), "log_bad": np.array([np.nan])}
    save_file(arrays, str(tmp_path / io.ARRAYS))
    manifest = {"arrays": {k: {"dtype": "float64", "shape": list(v.shape)} for k, v in arrays.items()}}
    with pytest.raises(FormatError, match="'log_bad' holds 1 non-finite"):
        io.read_arrays(tmp_path, manifest)


def _header_file(path: Path, header: dict, data: bytes = b"") -> Path:  # type: ignore[type-arg]
    raw = json.dumps(header).encode()
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + data)
    return path


@pytest.mark.parametrize("header", [
    {"mean": {"dtype": "F64", "shape": [2**31, 2**31], "data_offsets": [0, 2**62]}},
    {"mean": {"dtype": "F64", "shape": [3], "data_offsets": [0, 2**62]}},
    {"mean": {"dtype": "F64", "shape": [3], "data_offsets": [0, 16]}},
    {"mean": {"dtype": "X99", "shape": [3], "data_offsets": [0, 24]}},
    {"mean": {"dtype": "F64", "shape": "3", "data_offsets": [0, 24]}},
    ["not", "an", "object"],
], ids=["huge-shape", "huge-offsets", "short", "dtype", "shape-type", "list"])
def test_safetensors_headers_claiming_too_much_are_refused(tmp_path, header):
    file = _header_file(tmp_path / io.ARRAYS, header, bytes(24))
    with pytest.raises(FormatError):
        io.read_arrays(tmp_path, {"arrays": {"mean": {"dtype": "float64", "shape": [3]}}})
    assert file.exists()


def test_header_length_beyond_the_file_is_refused(tmp_path):
    (tmp_path / io.ARRAYS).write_bytes((2**62).to_bytes(8, "little") + b"{}")
    with pytest.raises(FormatError, match="claims"):
        io.read_arrays(tmp_path, {"arrays": {"mean": {"dtype": "float64", "shape": [3]}}})


# ---------------------------------------------------------------------- fuzz
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)
manifest_fields = st.fixed_dictionaries({}, optional={
    "format": st.just(io.FORMAT) | st.text(max_size=5), "format_version": st.just(1) | json_values,
    "class": st.just("MeanModel") | json_values, "module": json_values, "params": json_values,
    "state": json_values, "arrays": st.just({"mean": {"dtype": "float64", "shape": [3]}}) | json_values})


@given(manifest=manifest_fields | json_values)
def test_fuzzed_manifests_raise_only_seqlab_errors(tmp_path_factory, manifest):
    directory = tmp_path_factory.mktemp("fuzz")
    np_arrays = {"mean": np.zeros(3)}
    from safetensors.numpy import save_file

    save_file(np_arrays, str(directory / io.ARRAYS))
    (directory / io.MANIFEST).write_text(json.dumps(manifest))
    _bounded(lambda: io.load(directory), SeqlabError)


@given(data=st.binary(max_size=200), claim=st.integers(0, 2**64 - 1), as_header=st.booleans(),
       header=st.dictionaries(st.text(max_size=6), json_values, max_size=3))
def test_fuzzed_safetensors_files_raise_only_format_errors(tmp_path_factory, data, claim, as_header, header):
    directory = tmp_path_factory.mktemp("fuzz")
    if as_header:
        _header_file(directory / io.ARRAYS, header, data)
    else:
        (directory / io.ARRAYS).write_bytes(claim.to_bytes(8, "little") + data)
    _bounded(lambda: io.read_arrays(directory, {"arrays": {"mean": {"dtype": "float64", "shape": [3]}}}), FormatError)


#: the most a loader may allocate for the few-hundred-byte files fuzzed here
ALLOC_CAP = 8 * 2**20


def _bounded(call, allowed: type[Exception]) -> None:  # type: ignore[no-untyped-def]
    """Run ``call``: it may raise only ``allowed``, and its peak Python allocation stays under the cap."""
    import tracemalloc

    tracemalloc.start()
    try:
        call()
    except allowed:
        pass
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < ALLOC_CAP, f"a fuzzed file made the loader allocate {peak} bytes"
