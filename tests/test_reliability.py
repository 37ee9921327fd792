"""The bad-input and fault table: one row per command and fault, across every command.

Each row is a :class:`~reliability_matrix.Case`: 45 handwritten rows (damage found by bug
hunts) and the matrix generated in ``tests/reliability_matrix.py``. ``setup`` damages or
prepares files in a fresh copy of what the row names from a small workspace (corpora, a saved
model of every family, existing outputs), ``argv`` runs in-process through
:func:`seqlab.cli.main.main`, and the command must end with exit status 1 and exactly one
``seqlab: error: ...`` line (2 and argparse's usage for a value that does not parse), no
traceback, and no file created, changed or removed (outputs are never overwritten without
``--force``, and a failed command leaves no temporary directory or lock behind). Rows that may
succeed (``--force``, a 2 MB line) must print no NaN or infinity and write only their output.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from reliability_matrix import Case, Setup, build_workspace, generated_cases, nothing
from seqlab import io
from seqlab.cli.main import main

_nothing = nothing


# ---------------------------------------------------------------------- the workspace
@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small files of every kind, a trained model of every family, existing outputs (built once)."""
    ws = tmp_path_factory.mktemp("workspace")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        build_workspace(ws, main)
    return ws


def _edit_manifest(model: str, change: Callable[[dict], None]) -> Setup:  # type: ignore[type-arg]
    def setup(ws: Path) -> None:
        file = ws / model / io.MANIFEST
        manifest = json.loads(file.read_text())
        change(manifest)
        file.write_text(json.dumps(manifest))
    return setup


def _write(name: str, data: str | bytes) -> Setup:
    def setup(ws: Path) -> None:
        (ws / name).write_bytes(data.encode() if isinstance(data, str) else data)
    return setup


def _rewrite_array(model: str, change: Callable[[np.ndarray], np.ndarray]) -> Setup:
    def setup(ws: Path) -> None:
        from safetensors.numpy import load_file, save_file

        file = ws / model / io.ARRAYS
        arrays = load_file(str(file))
        name = sorted(k for k, v in arrays.items() if v.dtype.kind == "f" and v.size)[0]
        arrays[name] = change(arrays[name].copy())
        save_file(arrays, str(file))
    return setup


def _first_float(a: np.ndarray, value: float) -> np.ndarray:
    a.flat[0] = value
    return a


def _link_outside(ws: Path) -> None:
    shutil.move(ws / "lm" / io.ARRAYS, ws / "elsewhere.safetensors")
    (ws / "lm" / io.ARRAYS).symlink_to(ws / "elsewhere.safetensors")


def _huge_header(ws: Path) -> None:
    header = json.dumps({"x": {"dtype": "F64", "shape": [2**31, 2**31], "data_offsets": [0, 2**62]}}).encode()
    (ws / "lm" / io.ARRAYS).write_bytes(len(header).to_bytes(8, "little") + header)


def _drop_shape(m: dict) -> None:  # type: ignore[type-arg]
    next(iter(m["arrays"].values())).pop("shape")


def _float32_dtype(m: dict) -> None:  # type: ignore[type-arg]
    for spec in m["arrays"].values():
        if spec["dtype"] == "float64":
            spec["dtype"] = "float32"


def _shorter(m: dict) -> None:  # type: ignore[type-arg]
    spec = next(s for s in m["arrays"].values() if s["shape"] and s["shape"][0] > 1)
    spec["shape"][0] -= 1


def _garbage_trainer_state(ws: Path) -> None:
    (ws / "nlm" / "trainer.pt").write_bytes(b"not a checkpoint")


def _huge_config(m: dict) -> None:  # type: ignore[type-arg]
    m["state"]["config"]["d_hidden"] = 10**9


def _nested(ws: Path) -> None:
    (ws / "lm" / io.MANIFEST).write_text("[" * 200_000 + "]" * 200_000)


EXISTS = "already exists; refusing to overwrite"

# Handwritten rows, each damage found by a bug hunt: (argv with {ws}, setup, regex the one error line must match)
_HANDWRITTEN: list[tuple[str, Setup, str]] = [
    # outputs are never overwritten without --force
    ("lm train --data {ws}/corpus.txt -o {ws}/lm", _nothing, EXISTS),
    ("lm export {ws}/lm --arpa {ws}/existing.txt", _nothing, "already exists"),
    ("classify train --data {ws}/labelled.tsv -o {ws}/lm", _nothing, EXISTS),
    ("embed train --data {ws}/corpus.txt -o {ws}/w2v --min-count 1", _nothing, EXISTS),
    ("embed export {ws}/w2v --word2vec {ws}/existing.txt", _nothing, EXISTS),
    ("forecast fit --data {ws}/series.csv -o {ws}/ar", _nothing, EXISTS),
    ("forecast backtest --data {ws}/series.csv --initial 30 --plot {ws}/existing.png", _nothing, EXISTS),
    ("hmm fit --states 2 --data {ws}/symbols.txt -o {ws}/hmm", _nothing, EXISTS),
    ("kalman filter --data {ws}/track.csv -o {ws}/existing.csv", _nothing, EXISTS),
    ("kalman smooth --data {ws}/track.csv --plot {ws}/existing.png", _nothing, EXISTS),
    ("hmm fit --states 2 --data {ws}/symbols.txt -o {ws}/keep --force", _nothing, "not a seqlab model directory"),
    ("hmm fit --states 2 --data {ws}/missing.txt -o {ws}/new/deeper/model", _nothing, "missing.txt"),
    # damaged model directories
    ("lm eval {ws}/lm --data {ws}/corpus.txt", _edit_manifest("lm", _drop_shape), "must be described as"),
    ("info {ws}/lm", _edit_manifest("lm", lambda m: m.update(params=[1, 2])), "'params' must be an object"),
    ("info {ws}/lm", _edit_manifest("lm", lambda m: m.update(arrays=["a"])), "'arrays' must be an object"),
    ("info {ws}/hmm", _edit_manifest("hmm", lambda m: m.update({"class": 42})), "'class' must be a string"),
    ("info {ws}/lm", _nested, "nested too deeply"),
    ("lm eval {ws}/lm --data {ws}/corpus.txt", _nested, "nested too deeply"),
    ("lm eval {ws}/lm --data {ws}/corpus.txt", _rewrite_array("lm", lambda a: _first_float(a, np.nan)), "non-finite"),
    ("embed similar {ws}/w2v cat", _rewrite_array("w2v", lambda a: _first_float(a, np.inf)), "non-finite"),
    ("forecast predict {ws}/ar", _rewrite_array("ar", lambda a: _first_float(a, np.nan)), "non-finite"),
    ("hmm sample {ws}/hmm -n 5", _rewrite_array("hmm", lambda a: _first_float(a, np.nan)), "non-finite"),
    ("lm eval {ws}/lm --data {ws}/corpus.txt", _edit_manifest("lm", _float32_dtype), "manifest says"),
    ("lm eval {ws}/lm --data {ws}/corpus.txt", _edit_manifest("lm", _shorter), "manifest says"),
    ("embed similar {ws}/w2v cat", _edit_manifest("w2v", _shorter), "manifest says"),
    ("forecast predict {ws}/ar", _edit_manifest("ar", _shorter), "manifest says"),
    ("lm eval {ws}/lm --data {ws}/corpus.txt", _link_outside, "outside the model directory"),
    ("lm eval {ws}/lm --data {ws}/corpus.txt", _huge_header, "claims|does not fit"),
    # interchange files
    ("embed similar {ws}/huge.w2v cat", _write("huge.w2v", "999999999999 100\ncat 1 2\n"), "header claims"),
    ("lm eval {ws}/nan.arpa --data {ws}/corpus.txt",
     _write("nan.arpa", "\\data\\\nngram 1=3\n\n\\1-grams:\nnan\t<s>\t0\n-1\t</s>\n-1\tcat\n\n\\end\\\n"),
     "NaN or infinite"),
    ("embed similar {ws}/binary.bin cat", _nothing, "word2vec|header|not"),
    ("lm eval {ws}/lm --data {ws}/latin1.txt", _nothing, "utf-8|UTF-8"),
    # input files and sizes (the command line's safety nets)
    ("forecast backtest --data {ws}/latin1.txt --initial 2", _nothing, "latin1.txt: the input is not valid utf-8"),
    ("forecast backtest --data {ws}/binary.bin --initial 2", _nothing, "binary.bin: the input is not valid utf-8"),
    ("hmm sample {ws}/hmm -n 100000000000", _nothing, "out of memory: .*ask for smaller sizes"),
    # results that would be NaN are refused, not printed
    ("forecast backtest --data {ws}/huge.csv --initial 12",
     _write("huge.csv", "value\n" + "\n".join(["1e300", "-1e300"] * 20) + "\n"), "not a finite number"),
    ("embed similar {ws}/nan.w2v cat", _write("nan.w2v", "2 2\ncat 1 2\ndog nan 1\n"), "NaN or inf"),
    # neural models: settings, divergence, checkpoints and configs
    ("lm train --model lstm --data {ws}/corpus.txt -o {ws}/new --heads 2 --max-steps 2", _nothing, "does not apply"),
    ("lm train --model lstm --data {ws}/corpus.txt -o {ws}/new --weight-decay nan --max-steps 2", _nothing,
     "weight_decay must be a finite number"),
    ("lm train --model lstm --data {ws}/corpus.txt -o {ws}/new --lr 1e30 --max-steps 20 --eval-every 10 "
     "--hidden 8 --embed-dim 8 --layers 1 --batch-size 2 --bptt 4", _nothing, "training loss became nan"),
    ("lm train --model lstm --data {ws}/corpus.txt -o {ws}/nlm --resume --max-steps 4 --hidden 8 --embed-dim 8 "
     "--layers 1 --batch-size 2 --bptt 4", _garbage_trainer_state, "is not a seqlab checkpoint"),
    ("lm eval {ws}/nlm --data {ws}/corpus.txt", _edit_manifest("nlm", _huge_config), "cannot be built"),
    # settings the data cannot support
    ("forecast fit --data {ws}/five.csv -o {ws}/newar --lags 4", _write("five.csv", "value\n1\n2\n3\n4\n5\n"),
     "needs at least 6"),
    ("hmm fit --states 2 --data {ws}/symbols.txt -o {ws}/newhmm --n-iter 0", _nothing, "--n-iter must be >= 1"),
    ("kalman filter --data {ws}/allnan.csv", _write("allnan.csv", "x,y\nnan,nan\nnan,nan\n"),
     "every observation is missing"),
]


def _snapshot(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = "link:" + str(p.readlink())
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


CASES: list[Case] = [
    *(Case(f"hand-{i:02d}-{'-'.join(argv.split()[:2])}", argv, setup, "error", expected)
      for i, (argv, setup, expected) in enumerate(_HANDWRITTEN)),
    *generated_cases(),
]
#: Outputs a command that succeeds may create (the fresh paths of the table's argv).
_FRESH = ("out", "new.arpa", "new.txt")
_NON_FINITE = re.compile(r"(?<![\w.])-?(nan|inf|infinity)(?![\w.])", re.IGNORECASE)


def _run(ws: Path, argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            code = main([*argv.format(ws=ws).split(), "-q"])
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def _check_failure(case: Case, code: int, out: str, err: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    if code == 2:  # argparse: its usage lines, then the one error line
        assert case.expect in ("usage", "refused"), f"a usage error where {case.expect!r} was expected: {err!r}"
        assert lines and lines[0].startswith("usage: ") and lines[-1].startswith("seqlab: error: "), err
        assert not any(line.startswith("seqlab: error: ") for line in lines[:-1]), err
        return
    assert code == 1, f"exit status {code}; stderr: {err!r}"
    assert case.expect in ("error", "refused", "clean"), f"refused where {case.expect!r} was expected: {err!r}"
    assert len(lines) == 1 and lines[0].startswith("seqlab: error: "), f"want one error line, got: {lines}"
    assert re.search(case.match, lines[0]), lines[0]


def _check_success(case: Case, out: str, err: str, before: dict[str, str], after: dict[str, str]) -> None:
    assert case.expect in ("ok", "clean"), f"exit status 0 where {case.expect!r} was expected; stdout: {out[:300]!r}"
    assert not _NON_FINITE.search(out), f"a non-finite number printed as a result: {out[:300]!r}"
    assert not any(line.startswith("seqlab: error") for line in err.splitlines()), err
    allowed = (*case.changes, *_FRESH)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    stray = {k for k in changed if k.split("/")[0] not in allowed}
    assert not stray, f"files outside the command's output changed: {sorted(stray)}"
    for path in case.changes:  # --force replaced the old output
        assert any(k == path or k.startswith(path + "/") for k in changed), f"{path} was not replaced"


def _copy_needed(workspace: Path, ws: Path, argv: str) -> None:
    """Copy the workspace entries ``argv`` names into ``ws`` (a full copy per row would dominate the run time).

    A command can only touch what it is given; a file it creates anywhere in ``ws`` still shows.
    """
    ws.mkdir()
    for name in set(re.findall(r"\{ws\}/([^/\s]+)", argv)):
        src = workspace / name
        if src.is_dir() and not src.is_symlink():
            shutil.copytree(src, ws / name, symlinks=True)
        elif src.exists():
            shutil.copy2(src, ws / name)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_fails_cleanly_and_overwrites_nothing(workspace, tmp_path, capsys, case):
    ws = tmp_path / "ws"
    _copy_needed(workspace, ws, case.argv)
    case.setup(ws)
    before = _snapshot(ws)
    code, out, err = _run(ws, case.argv, capsys)
    assert "Traceback" not in err and "Traceback" not in out, err
    after = _snapshot(ws)
    if code == 0:
        _check_success(case, out, err, before, after)
        return
    _check_failure(case, code, out, err)
    assert after == before, "a failed command changed, created or removed files"


def _leaf_commands() -> set[str]:
    """Every command of ``seqlab --help`` that runs (``lm train``, ``info``, ...), not the groups."""
    return {name for name, parser in _all_parsers() if not any(
        a.__class__.__name__ == "_SubParsersAction" for a in parser._actions)}  # type: ignore[attr-defined]


def test_the_table_has_unique_ids_and_covers_every_command():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    commands = _leaf_commands()
    tried = {" ".join(case.argv.split()[:2]) for case in CASES} | {case.argv.split()[0] for case in CASES}
    assert commands <= tried, f"commands the table never runs: {sorted(commands - tried)}"


def test_force_replaces_and_a_second_writer_is_refused(workspace, tmp_path, capsys):
    """The other side of the table: with --force the output is replaced; a held lock is refused."""
    ws = tmp_path / "ws"
    shutil.copytree(workspace, ws, symlinks=True)
    assert main(["kalman", "filter", "--data", str(ws / "track.csv"), "-o", str(ws / "existing.csv"), "--force",
                 "-q"]) == 0
    assert (ws / "existing.csv").read_text().startswith("p1,p2")
    io.hold_output_lock(ws / "new-model")  # as another process running on the same output would
    try:
        import subprocess
        import sys

        done = subprocess.run([sys.executable, "-m", "seqlab", "hmm", "fit", "--states", "2", "--data",
                               str(ws / "symbols.txt"), "-o", str(ws / "new-model"), "-q"],
                              capture_output=True, text=True, env={"PYTHONPATH": str(Path(io.__file__).parents[1]),
                                                                    "PATH": "/usr/bin:/bin"}, timeout=120)
    finally:
        io.release_output_locks()
    assert done.returncode == 1 and "being written by another seqlab process" in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1 and not (ws / "new-model").exists()


def test_high_order_model_from_short_sentences_scores_a_long_one(workspace, tmp_path, capsys):
    (tmp_path / "long.txt").write_text("a b c a b c a b c a b\n")
    capsys.readouterr()
    assert main(["lm", "eval", str(workspace / "lm8"), "--data", str(tmp_path / "long.txt"), "--format", "json",
                 "-q"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert np.isfinite(result["perplexity"]) and result["perplexity"] > 1


def test_readme_counts_match_the_table():
    root = Path(__file__).parents[1]
    for doc in ("README.md", "docs/guides/reliability.md"):
        text = (root / doc).read_text()
        match = re.search(r"bad-input table: (\d+) cases\*\*\s+across all (\d+)\s+commands", text)
        assert match, f"{doc} does not say how many cases the table holds"
        assert int(match.group(1)) == len(CASES), f"update the Reliability section of {doc}"
        assert int(match.group(2)) == len(_leaf_commands()), f"update the command count in {doc}"


# ---------------------------------------------------------------------- the command line's surface
def test_a_closed_pipe_ends_quietly(tmp_path):
    import subprocess
    import sys

    env = {"PYTHONPATH": str(Path(io.__file__).parents[1]), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen([sys.executable, "-m", "seqlab", "datasets", "show", "kjv", "--head", "20000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()  # like `| head -1`: read one line, then go away
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141 and err == "", err


def _all_parsers() -> list[tuple[str, object]]:
    import argparse

    from seqlab.cli.main import build_parser

    out = []

    def walk(prefix: str, parser: argparse.ArgumentParser) -> None:
        out.append((prefix, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(f"{prefix} {name}".strip(), sub)

    walk("", build_parser())
    return out


def test_help_has_no_none_or_false_defaults_and_every_level_takes_v_q():
    import argparse

    parsers = _all_parsers()
    assert len(parsers) > 30
    for name, parser in parsers:
        assert isinstance(parser, argparse.ArgumentParser)
        text = parser.format_help()
        for noise in ("(default: None)", "(default: False)", "(default: True)", "(default: [])"):
            assert noise not in text, f"'seqlab {name} --help' shows {noise}"
        for action in parser._actions:
            shown = parser._get_formatter()._get_help_string(action) or ""
            own = "default" in (action.help or "")  # the help already says its default in words
            assert not (own and "%(default)" in shown), f"'seqlab {name}': {shown!r} repeats its default"
        flags = {s for a in parser._actions for s in a.option_strings}
        assert {"-v", "-q", "--debug"} <= flags, f"'seqlab {name}' lacks -v/-q/--debug"


def test_verbose_counts_across_levels(monkeypatch):
    seen = {}

    def fake_run(args):  # type: ignore[no-untyped-def]
        seen["verbose"], seen["quiet"] = args.verbose, args.quiet
        return 0

    from seqlab.cli import datasets

    monkeypatch.setattr(datasets, "run_list", fake_run)
    assert main(["-v", "datasets", "-v", "list", "-v", "-q"]) == 0
    assert seen == {"verbose": 3, "quiet": True}
    assert main(["datasets", "list"]) == 0 and seen == {"verbose": 0, "quiet": False}


def test_every_writing_command_accepts_force():
    writing = {"lm train", "lm export", "classify train", "embed train", "embed export", "forecast fit",
               "forecast backtest", "hmm fit", "kalman filter", "kalman smooth", "tag train", "seq2seq train",
               "seq2seq translate", "vae train", "report", "compare lm", "compare forecast", "compare classify",
               "reproduce"}
    parsers = dict(_all_parsers())
    for name in writing:
        flags = {s for a in parsers[name]._actions for s in a.option_strings}  # type: ignore[attr-defined]
        assert "--force" in flags, name


@pytest.mark.parametrize("argv", [
    "lm train --data {ws}/corpus.txt -o {ws}/lm --force",
    "hmm fit --states 2 --data {ws}/symbols.txt -o {ws}/hmm --force --n-init 1",
    "embed train --data {ws}/corpus.txt -o {ws}/w2v --force --min-count 1 --dim 4 --epochs 1 --workers 1",
    "classify train --data {ws}/labelled.tsv -o {ws}/new-classifier",
    "forecast fit --data {ws}/series.csv -o {ws}/ar --force --lags 2",
], ids=lambda a: "-".join(a.split()[:2]))
def test_a_full_disk_is_one_line_and_keeps_the_old_model(workspace, tmp_path, capsys, monkeypatch, argv):
    """A full disk while the arrays are written: one line, the old model stays and no temporary is left."""
    import errno

    from seqlab import io as seqlab_io

    def full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    ws = tmp_path / "ws"
    shutil.copytree(workspace, ws, symlinks=True)
    before = _snapshot(ws)
    monkeypatch.setattr(seqlab_io, "_write_array", full)
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main([*argv.format(ws=ws).split(), "-q"])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("seqlab: error: ")]
    assert code == 1 and "Traceback" not in err and len(errors) == 1, err
    assert "No space left on device" in errors[0] and re.search("unchanged|nothing was written", errors[0])
    assert _snapshot(ws) == before, "the old model is intact and no temporary directory is left"
