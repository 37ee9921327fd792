"""The bad-input and fault matrix of ``tests/test_reliability.py``, generated from a few small lists.

One table of :class:`Case` rows across every command of ``seqlab --help``:

- **input files** (``FILE_FAULTS`` x every command that reads a data file, by the file's kind):
  missing, a directory, empty, blank lines only, binary, non-UTF-8, one 2 MB line, and for
  numeric, tab-separated or ``word/TAG`` files NaN/inf cells, numbers too large for a float and
  wrong column counts;
- **model directories** (``MODEL_FAULTS`` x every command that reads one): missing, empty, not
  a model, a model of another family, a manifest that is not JSON or of the wrong JSON types, of an
  unknown class or a newer format, no manifest, no or a truncated arrays file, NaN weights, and
  an arrays file that links outside the directory;
- **outputs** (``WRITERS``): an existing output without ``--force`` is refused with its bytes
  intact; with ``--force`` the command succeeds and replaces it; a directory that is not a model
  is never replaced;
- **numeric options** (``OPTIONS`` x ``0, -1, nan, inf, huge``): every value outside the
  option's domain is refused before any work.

The handwritten rows (specific damage found by earlier bug hunts) join them in
``tests/test_reliability.py``.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqlab import io

Setup = Callable[[Path], None]


def nothing(ws: Path) -> None:
    """No setup: the case runs on the workspace as it is."""


@dataclass(frozen=True)
class Case:
    """One row: run ``argv`` (``{ws}`` is the workspace) after ``setup``, and check the outcome.

    ``expect``: ``"error"`` (status 1, one ``seqlab: error:`` line matching ``match``), ``"usage"``
    (status 2: argparse's usage, then one error line), ``"refused"`` (either of those), ``"ok"``
    (status 0, finite results) or ``"clean"`` (``"ok"`` or ``"error"``: inputs a command may take or
    refuse, such as one 2 MB line). ``changes``: workspace paths an ``"ok"`` run must write (all
    other files stay as they were).
    """

    id: str
    argv: str
    setup: Setup = nothing
    expect: str = "error"
    match: str = ""
    changes: tuple[str, ...] = ()


# ---------------------------------------------------------------------- the workspace
TEXT = "the cat sat on a mat and the dog ran to the cat".split()
#: Small files of every kind the commands read, a directory that is not a model, existing outputs.
WORKSPACE_FILES: dict[str, Callable[[np.random.Generator], str | bytes]] = {
    "corpus.txt": lambda rng: "\n".join(" ".join(rng.choice(TEXT, 6)) for _ in range(40)) + "\n",
    "short.txt": lambda rng: "a b\nb c a\n",
    "labelled.tsv": lambda rng: "".join(f"{'ab'[i % 2]}\t{' '.join(rng.choice(TEXT, 5))}\n" for i in range(30)),
    "tagged.txt": lambda rng: "the/DET dog/NOUN runs/VERB\na/DET cat/NOUN sleeps/VERB\ndogs/NOUN bark/VERB\n" * 4,
    "pairs.tsv": lambda rng: "".join(f"{w}\t{' '.join(reversed(w))}\n" for w in ["abc", "bca", "cab", "acb"] * 3),
    "symbols.txt": lambda rng: "\n".join(" ".join(rng.choice(list("xyz"), 12)) for _ in range(6)) + "\n",
    "series.csv": lambda rng: "value\n" + "\n".join(f"{v:.4f}" for v in np.sin(np.arange(60) / 3)) + "\n",
    "track.csv": lambda rng: "x,y\n" + "\n".join(f"{t},{2 * t + 0.1}" for t in range(20)) + "\n",
    "analogies.txt": lambda rng: ": family\ncat dog mat sat\nthe a cat dog\n",
    "wordsim.tsv": lambda rng: "cat\tdog\t7.5\nthe\ta\t3.0\nmat\tsat\t1.0\nran\tto\t2.0\n",
    "latin1.txt": lambda rng: "caf\xe9 cr\xe8me\n".encode("latin-1"),
    "binary.bin": lambda rng: bytes(range(256)) * 4,
    "existing.txt": lambda rng: "precious\n",
    "existing.png": lambda rng: "precious\n",
    "existing.csv": lambda rng: "precious\n",
    "existing.json": lambda rng: "precious\n",
}

_TINY = ["--max-steps", "2", "--batch-size", "2"]
#: The saved models every model-reading command is tried on, and how each is trained (``{ws}``: workspace).
MODELS: dict[str, str] = {
    "lm": "lm train --data {ws}/corpus.txt -o {ws}/lm --order 3",
    "lm8": "lm train --data {ws}/short.txt -o {ws}/lm8 --order 8",
    "nlm": "lm train --model lstm --data {ws}/corpus.txt -o {ws}/nlm --eval-every 1 --hidden 8 --embed-dim 8 "
           "--layers 1 --bptt 4 " + " ".join(_TINY),
    "clf": "classify train --data {ws}/labelled.tsv -o {ws}/clf",
    "nclf": "classify train --model lstm --data {ws}/labelled.tsv -o {ws}/nclf --d-hidden 8 --d-embed 8 "
            + " ".join(_TINY),
    "tagger": "tag train --model hmm --data {ws}/tagged.txt -o {ws}/tagger",
    "ntagger": "tag train --model bilstm --data {ws}/tagged.txt -o {ws}/ntagger --hidden 8 --embed-dim 8 "
               + " ".join(_TINY),
    "w2v": "embed train --data {ws}/corpus.txt -o {ws}/w2v --min-count 1 --dim 8 --epochs 1 --workers 1",
    "hmm": "hmm fit --states 2 --data {ws}/symbols.txt -o {ws}/hmm --n-init 1",
    "ar": "forecast fit --data {ws}/series.csv -o {ws}/ar --lags 2",
    "kf": "kalman filter --data {ws}/track.csv --save {ws}/kf --em 1",
    "s2s": "seq2seq train --model gru --data {ws}/pairs.tsv -o {ws}/s2s --d-hidden 8 --d-embed 8 "
           "--target-level whitespace " + " ".join(_TINY),
    "vae": "vae train --data {ws}/corpus.txt -o {ws}/vae --d-hidden 8 --d-embed 8 --d-latent 2 " + " ".join(_TINY),
}


def build_workspace(ws: Path, run: Callable[[list[str]], int]) -> None:
    """Write the files and train the models of the workspace (``run``: the CLI's ``main``)."""
    rng = np.random.default_rng(0)
    for name, make in WORKSPACE_FILES.items():
        data = make(rng)
        (ws / name).write_bytes(data.encode() if isinstance(data, str) else data)
    for argv in MODELS.values():
        assert run([*argv.format(ws=ws).split(), "-q"]) == 0, argv
    (ws / "keep").mkdir()
    (ws / "keep" / "notes.txt").write_text("a directory that is not a model\n")
    (ws / "existing-dir").mkdir()
    (ws / "existing-dir" / "index.html").write_text("precious\n")


# ---------------------------------------------------------------------- input files
HUGE = 2_000_000  # bytes in the one-line files: big enough to find quadratic or per-line limits, small for CI


def _put(name: str, data: str | bytes) -> Setup:
    def setup(ws: Path) -> None:
        (ws / name).write_bytes(data.encode() if isinstance(data, str) else data)
    return setup


def _words_line(prefix: str = "", sep: str = " ", word: Callable[[int], str] = lambda i: TEXT[i % len(TEXT)]) -> str:
    parts, size, i = [], len(prefix), 0
    while size < HUGE:
        parts.append(word(i))
        size += len(parts[-1]) + 1
        i += 1
    return prefix + sep.join(parts) + "\n"


#: What a one-line 2 MB file of each kind holds.
_HUGE_LINE: dict[str, Callable[[], str]] = {
    "text": lambda: _words_line(),
    "tsv": lambda: _words_line("a\t"),
    "tagged": lambda: _words_line(word=lambda i: f"{TEXT[i % len(TEXT)]}/NOUN"),
    "pairs": lambda: _words_line().rstrip("\n") + "\tabc\n",  # a long source (references cost sacrebleu)
    "symbols": lambda: _words_line(word=lambda i: "xyz"[i % 3]),
    "series": lambda: "value\n1\n2\n" + "1" * HUGE + "\n",  # a number too large for a float
    "track": lambda: "x,y\n1,2\n" + "1," * (HUGE // 2) + "1\n",  # a row of a million columns
    "analogies": lambda: _words_line(),
    "wordsim": lambda: "cat\tdog\t" + "7" * HUGE + "\n",
}

#: Faults of every input file: (name, setup of ``bad`` or None, path in argv, expected outcome).
FILE_FAULTS: list[tuple[str, Callable[[str], Setup] | None, str, str]] = [
    ("missing", None, "{ws}/no-such-file.txt", "error"),
    ("directory", None, "{ws}/keep", "error"),
    ("empty", lambda kind: _put("bad.in", ""), "{ws}/bad.in", "error"),
    ("blank-lines", lambda kind: _put("bad.in", "\n  \n\t\n\n"), "{ws}/bad.in", "error"),
    ("binary", None, "{ws}/binary.bin", "error"),
    ("non-utf8", None, "{ws}/latin1.txt", "error"),
    ("huge-line", lambda kind: _put("bad.in", _HUGE_LINE[kind]()), "{ws}/bad.in", "clean"),
]

#: Faults of the numeric, tab-separated and tagged kinds: kind -> [(name, content, expected)].
KIND_FAULTS: dict[str, list[tuple[str, str, str]]] = {
    "series": [("nan-cell", "value\n1\n2\nnan\n3\n4\n5\n6\n7\n8\n9\n", "error"),
               ("inf-cell", "value\n1\n2\ninf\n3\n4\n5\n6\n7\n8\n9\n", "error"),
               ("overflow-cell", "value\n1\n2\n1e999\n3\n4\n5\n6\n7\n8\n9\n", "error"),
               ("text-cell", "value\n1\n2\nthree\n4\n5\n6\n7\n8\n9\n", "error"),
               ("ragged-rows", "a,b\n1,2\n3\n4,5\n6,7\n8,9\n1,2\n3,4\n5,6\n", "error")],
    "track": [("inf-cell", "x,y\n1,2\n2,inf\n3,6\n4,8\n", "error"),
              ("overflow-cell", "x,y\n1,2\n2,1e999\n3,6\n4,8\n", "error"),
              ("text-cell", "x,y\n1,2\n2,three\n3,6\n", "error"),
              ("ragged-rows", "x,y\n1,2\n2\n3,6\n", "error"),
              ("all-nan", "x,y\nnan,nan\nnan,nan\n", "error")],
    "tsv": [("no-tab", "a\tthe cat\nb the dog\n", "error"),
            ("empty-text", "a\t\nb\tthe dog\n", "clean"),
            ("one-class", "a\tthe cat\na\tthe dog\n", "clean")],
    "pairs": [("no-tab", "abc\ta b c\nbca b c a\n", "error")],
    "tagged": [("no-tag", "the/DET dog runs/VERB\n", "error"),
               ("empty-tag", "the/DET dog/ runs/VERB\n", "error")],
    "wordsim": [("nan-score", "cat\tdog\tnan\nthe\ta\t3\nmat\tsat\t1\n", "error"),
                ("inf-score", "cat\tdog\tinf\nthe\ta\t3\nmat\tsat\t1\n", "error"),
                ("text-score", "cat\tdog\thigh\nthe\ta\t3\n", "error"),
                ("two-columns", "cat\tdog\nthe\ta\t3\n", "error")],
    "analogies": [("three-words", "cat dog mat\n", "error")],
}

#: Every command that reads a data file: (id, argv with ``{data}``, the kind of file it reads).
READERS: list[tuple[str, str, str]] = [
    ("lm-train", "lm train --data {data} -o {ws}/out", "text"),
    ("lm-train-lstm", "lm train --model lstm --data {data} -o {ws}/out --hidden 4 --embed-dim 4 --layers 1 "
                      "--bptt 4 " + " ".join(_TINY), "text"),
    ("lm-eval", "lm eval {ws}/lm --data {data}", "text"),
    ("lm-eval-lstm", "lm eval {ws}/nlm --data {data}", "text"),
    ("classify-train", "classify train --data {data} -o {ws}/out", "tsv"),
    ("classify-train-lstm", "classify train --model lstm --data {data} -o {ws}/out --d-hidden 4 --d-embed 4 "
                            + " ".join(_TINY), "tsv"),
    ("classify-eval", "classify eval {ws}/clf --data {data}", "tsv"),
    ("classify-predict", "classify predict {ws}/clf --data {data}", "text"),
    ("tag-train", "tag train --model hmm --data {data} -o {ws}/out", "tagged"),
    ("tag-train-bilstm", "tag train --model bilstm --data {data} -o {ws}/out --hidden 4 --embed-dim 4 "
                         + " ".join(_TINY), "tagged"),
    ("tag-eval", "tag eval {ws}/tagger --data {data}", "tagged"),
    ("tag-predict", "tag predict {ws}/tagger --data {data}", "text"),
    ("embed-train", "embed train --data {data} -o {ws}/out --min-count 1 --dim 4 --epochs 1 --workers 1", "text"),
    ("embed-eval-analogies", "embed eval {ws}/w2v --analogies {data}", "analogies"),
    ("embed-eval-similarity", "embed eval {ws}/w2v --similarity {data}", "wordsim"),
    ("forecast-fit", "forecast fit --data {data} -o {ws}/out --lags 2", "series"),
    ("forecast-backtest", "forecast backtest --data {data} --lags 2 --initial 5", "series"),
    ("hmm-fit", "hmm fit --states 2 --data {data} -o {ws}/out --n-init 1 --n-iter 5", "symbols"),
    ("hmm-decode", "hmm decode {ws}/hmm --data {data}", "symbols"),
    ("kalman-filter", "kalman filter --data {data}", "track"),
    ("kalman-smooth", "kalman smooth --data {data}", "track"),
    ("kalman-load", "kalman filter --load {ws}/kf --data {data}", "track"),
    ("seq2seq-train", "seq2seq train --model gru --data {data} -o {ws}/out --d-hidden 4 --d-embed 4 "
                      "--target-level whitespace " + " ".join(_TINY), "pairs"),
    ("seq2seq-eval", "seq2seq eval {ws}/s2s --data {data}", "pairs"),
    ("seq2seq-translate", "seq2seq translate {ws}/s2s --data {data}", "text"),
    ("vae-train", "vae train --data {data} -o {ws}/out --d-hidden 4 --d-embed 4 --d-latent 2 " + " ".join(_TINY),
     "text"),
    ("report-data", "report {ws}/lm -o {ws}/out --data {data}", "text"),
    ("compare-lm", "compare lm --data {data} --models ngram:order=2", "text"),
]

#: Commands that work like filters (one output per input line).
_FILTERS = ("classify-predict", "tag-predict")

#: Files of some kinds that do not belong to the reader's kind but that a wrong ``--data`` often is.
_WRONG_KIND = {"series": "{ws}/corpus.txt", "track": "{ws}/corpus.txt", "tsv": "{ws}/series.csv",
               "pairs": "{ws}/series.csv", "tagged": "{ws}/series.csv", "wordsim": "{ws}/corpus.txt",
               "analogies": "{ws}/series.csv"}


def file_cases() -> list[Case]:
    """Every data-reading command x every input-file fault (and its kind's own faults)."""
    cases = []
    for rid, argv, kind in READERS:
        for fault, make, path, expect in FILE_FAULTS:
            setup = make(kind) if make else nothing
            if rid in _FILTERS and fault in ("empty", "blank-lines"):
                expect = "clean"  # a filter over lines may print nothing (or a prior) for no text
            cases.append(Case(f"file-{rid}-{fault}", argv.replace("{data}", path), setup, expect))
        for fault, content, expect in KIND_FAULTS.get(kind, []):
            cases.append(Case(f"file-{rid}-{fault}", argv.replace("{data}", "{ws}/bad.in"), _put("bad.in", content),
                              expect))
        if kind in _WRONG_KIND:
            cases.append(Case(f"file-{rid}-wrong-kind", argv.replace("{data}", _WRONG_KIND[kind]), expect="error"))
    return cases


# ---------------------------------------------------------------------- model directories
def _manifest(model: str, change: Callable[[dict], object]) -> Setup:  # type: ignore[type-arg]
    def setup(ws: Path) -> None:
        file = ws / model / io.MANIFEST
        manifest = json.loads(file.read_text())
        new = change(manifest)
        file.write_text(json.dumps(manifest if new is None else new))
    return setup


def _raw_manifest(model: str, text: str) -> Setup:
    return lambda ws: (ws / model / io.MANIFEST).write_text(text)


def _remove(model: str, name: str) -> Setup:
    return lambda ws: (ws / model / name).unlink()


def _truncate(model: str) -> Setup:
    def setup(ws: Path) -> None:
        file = ws / model / io.ARRAYS
        data = file.read_bytes()
        file.write_bytes(data[: max(9, len(data) // 2)])
    return setup


def _nan_weights(model: str) -> Setup:
    def setup(ws: Path) -> None:
        from safetensors.numpy import load_file, save_file

        file = ws / model / io.ARRAYS
        arrays = load_file(str(file))
        floats = sorted(k for k, v in arrays.items() if v.dtype.kind == "f" and v.size)
        assert floats, f"{model} holds no float array to damage"
        for name in floats:  # every float array: no reader can skip the damage
            a = arrays[name].copy()
            a.flat[0] = math.nan
            arrays[name] = a
        save_file(arrays, str(file), metadata=_metadata(file))
    return setup


def _metadata(file: Path) -> dict[str, str] | None:
    from safetensors import safe_open

    with safe_open(str(file), framework="np") as f:
        return f.metadata()  # type: ignore[no-any-return]


def _link_out(model: str) -> Setup:
    def setup(ws: Path) -> None:
        shutil.move(ws / model / io.ARRAYS, ws / f"{model}-outside.safetensors")
        (ws / model / io.ARRAYS).symlink_to(ws / f"{model}-outside.safetensors")
    return setup


def _empty_dir(ws: Path) -> None:
    (ws / "empty-dir").mkdir()


#: Faults of a model directory: name -> (path in argv, given the model's name; setup, given it).
MODEL_FAULTS: dict[str, tuple[Callable[[str], str], Callable[[str], Setup]]] = {
    "missing": (lambda m: "{ws}/no-such-model", lambda m: nothing),
    "empty-dir": (lambda m: "{ws}/empty-dir", lambda m: _empty_dir),
    "not-a-model": (lambda m: "{ws}/keep", lambda m: nothing),
    "a-file": (lambda m: "{ws}/corpus.txt", lambda m: nothing),
    "manifest-not-json": (lambda m: "{ws}/" + m, lambda m: _raw_manifest(m, "{not json")),
    "manifest-a-list": (lambda m: "{ws}/" + m, lambda m: _raw_manifest(m, "[1, 2, 3]")),
    "manifest-wrong-types": (lambda m: "{ws}/" + m,
                             lambda m: _manifest(m, lambda d: d.update(params="x", state=[1], arrays=7))),
    "unknown-class": (lambda m: "{ws}/" + m, lambda m: _manifest(m, lambda d: d.update({"class": "os.system"}))),
    "newer-format": (lambda m: "{ws}/" + m, lambda m: _manifest(m, lambda d: d.update(format_version=99))),
    "no-manifest": (lambda m: "{ws}/" + m, lambda m: _remove(m, io.MANIFEST)),
    "no-arrays": (lambda m: "{ws}/" + m, lambda m: _remove(m, io.ARRAYS)),
    "truncated-arrays": (lambda m: "{ws}/" + m, _truncate),
    "nan-weights": (lambda m: "{ws}/" + m, _nan_weights),
    "arrays-link-outside": (lambda m: "{ws}/" + m, _link_out),
}

#: A model of another family, for each model (what a user who swaps two paths gives).
_OTHER_FAMILY = {"lm": "hmm", "lm8": "hmm", "nlm": "w2v", "clf": "lm", "nclf": "nlm", "tagger": "clf",
                 "ntagger": "nclf", "w2v": "lm", "hmm": "lm", "ar": "hmm", "kf": "ar", "s2s": "nlm", "vae": "s2s"}

#: Every command that reads a model directory: (id, argv with ``{model}``, the model it reads).
MODEL_READERS: list[tuple[str, str, str]] = [
    ("lm-eval", "lm eval {model} --data {ws}/corpus.txt", "lm"),
    ("lm-eval-lstm", "lm eval {model} --data {ws}/corpus.txt", "nlm"),
    ("lm-generate", "lm generate {model} --max-tokens 3", "lm"),
    ("lm-generate-lstm", "lm generate {model} --max-tokens 3", "nlm"),
    ("lm-export", "lm export {model} --arpa {ws}/new.arpa", "lm"),
    ("lm-train-resume", "lm train --model lstm --data {ws}/corpus.txt -o {model} --resume --hidden 8 --embed-dim 8 "
                        "--layers 1 --bptt 4 --max-steps 3 --batch-size 2", "nlm"),
    ("classify-eval", "classify eval {model} --data {ws}/labelled.tsv", "clf"),
    ("classify-eval-lstm", "classify eval {model} --data {ws}/labelled.tsv", "nclf"),
    ("classify-predict", "classify predict {model} --data {ws}/corpus.txt", "clf"),
    ("tag-eval", "tag eval {model} --data {ws}/tagged.txt", "tagger"),
    ("tag-predict", "tag predict {model} --data {ws}/corpus.txt", "tagger"),
    ("tag-predict-bilstm", "tag predict {model} --data {ws}/corpus.txt", "ntagger"),
    ("embed-similar", "embed similar {model} cat", "w2v"),
    ("embed-analogy", "embed analogy {model} cat dog mat", "w2v"),
    ("embed-eval", "embed eval {model} --similarity {ws}/wordsim.tsv", "w2v"),
    ("embed-export", "embed export {model} --word2vec {ws}/new.txt", "w2v"),
    ("forecast-predict", "forecast predict {model} --horizon 3", "ar"),
    ("hmm-decode", "hmm decode {model} --data {ws}/symbols.txt", "hmm"),
    ("hmm-sample", "hmm sample {model} -n 5", "hmm"),
    ("kalman-load", "kalman filter --load {model} --data {ws}/track.csv", "kf"),
    ("seq2seq-eval", "seq2seq eval {model} --data {ws}/pairs.tsv", "s2s"),
    ("seq2seq-translate", "seq2seq translate {model} --data {ws}/corpus.txt", "s2s"),
    ("vae-sample", "vae sample {model} -n 2", "vae"),
    ("vae-interpolate", "vae interpolate {model} cat dog --steps 3", "vae"),
    ("info", "info {model}", "lm"),
    ("info-lstm", "info {model}", "nlm"),
    ("report", "report {model} -o {ws}/out", "lm"),
]

#: Faults a command may survive: ``info`` describes what it can read, ``report`` notes what is missing.
_TOLERATED = {(command, fault) for command in ("info", "info-lstm", "report")
              for fault in ("nan-weights", "no-arrays", "truncated-arrays", "arrays-link-outside", "unknown-class")}


def model_cases() -> list[Case]:
    """Every model-reading command x every model-directory fault, and a model of another family."""
    cases = []
    for rid, argv, model in MODEL_READERS:
        for fault, (path, setup) in MODEL_FAULTS.items():
            expect = "clean" if (rid, fault) in _TOLERATED else "error"
            cases.append(Case(f"model-{rid}-{fault}", argv.replace("{model}", path(model)), setup(model), expect))
        other = _OTHER_FAMILY[model]
        if not rid.startswith(("info", "report")):  # both read any model
            cases.append(Case(f"model-{rid}-other-family", argv.replace("{model}", "{ws}/" + other), expect="error"))
    return cases


# ---------------------------------------------------------------------- outputs
#: Every command that writes: (id, argv with ``{out}``, the existing output, a fresh output, extra for --force).
WRITERS: list[tuple[str, str, str]] = [
    ("lm-train", "lm train --data {ws}/corpus.txt -o {out}", "lm"),
    ("lm-train-lstm", "lm train --model lstm --data {ws}/corpus.txt -o {out} --hidden 4 --embed-dim 4 --layers 1 "
                      "--bptt 4 " + " ".join(_TINY), "nlm"),
    ("lm-export", "lm export {ws}/lm --arpa {out}", "existing.txt"),
    ("classify-train", "classify train --data {ws}/labelled.tsv -o {out}", "clf"),
    ("classify-train-lstm", "classify train --model lstm --data {ws}/labelled.tsv -o {out} --d-hidden 4 "
                            "--d-embed 4 " + " ".join(_TINY), "nclf"),
    ("tag-train", "tag train --model hmm --data {ws}/tagged.txt -o {out}", "tagger"),
    ("tag-train-bilstm", "tag train --model bilstm --data {ws}/tagged.txt -o {out} --hidden 4 --embed-dim 4 "
                         + " ".join(_TINY), "ntagger"),
    ("embed-train", "embed train --data {ws}/corpus.txt -o {out} --min-count 1 --dim 4 --epochs 1 --workers 1",
     "w2v"),
    ("embed-export", "embed export {ws}/w2v --word2vec {out}", "existing.txt"),
    ("forecast-fit", "forecast fit --data {ws}/series.csv -o {out} --lags 2", "ar"),
    ("forecast-backtest-plot", "forecast backtest --data {ws}/series.csv --lags 2 --initial 50 --plot {out}",
     "existing.png"),
    ("hmm-fit", "hmm fit --states 2 --data {ws}/symbols.txt -o {out} --n-init 1 --n-iter 5", "hmm"),
    ("kalman-filter-output", "kalman filter --data {ws}/track.csv -o {out}", "existing.csv"),
    ("kalman-smooth-plot", "kalman smooth --data {ws}/track.csv --plot {out}", "existing.png"),
    ("kalman-save", "kalman filter --data {ws}/track.csv --em 1 --save {out}", "kf"),
    ("seq2seq-train", "seq2seq train --model gru --data {ws}/pairs.tsv -o {out} --d-hidden 4 --d-embed 4 "
                      "--target-level whitespace " + " ".join(_TINY), "s2s"),
    ("seq2seq-attention-plot", "seq2seq translate {ws}/s2s --data {ws}/short.txt --plot-attention {out}",
     "existing.png"),
    ("vae-train", "vae train --data {ws}/corpus.txt -o {out} --d-hidden 4 --d-embed 4 --d-latent 2 "
                  + " ".join(_TINY), "vae"),
    ("report", "report {ws}/lm -o {out}", "existing-dir"),
]

#: Writers whose outputs are too costly to produce in the table: only the refusal is tried.
_REFUSAL_ONLY: list[tuple[str, str, str]] = [
    ("compare-lm-report", "compare lm --data {ws}/corpus.txt --models ngram:order=2 --report {out}", "existing-dir"),
    ("compare-lm-save-models", "compare lm --data {ws}/corpus.txt --models ngram:order=2 --save-models {out}",
     "existing-dir"),
    ("reproduce-report", "reproduce markov-order --report {out}", "existing-dir"),
    ("reproduce-record", "reproduce markov-order --record {out}", "existing.json"),
]


def writer_cases() -> list[Case]:
    """Existing outputs: refused without ``--force`` (bytes kept), replaced with it; non-models never replaced."""
    cases = []
    for rid, argv, existing in WRITERS + _REFUSAL_ONLY:
        cases.append(Case(f"out-{rid}-exists", argv.replace("{out}", "{ws}/" + existing), match="already exists|"
                          "exists and is not empty|refusing"))
        is_dir = "." not in existing
        if (rid, argv, existing) in WRITERS:  # a marker in an old directory shows that it was replaced
            cases.append(Case(f"out-{rid}-force", argv.replace("{out}", "{ws}/" + existing) + " --force",
                              _put(f"{existing}/old-marker", "old") if is_dir else nothing, expect="ok",
                              changes=(existing,)))
        if is_dir and existing != "existing-dir":
            cases.append(Case(f"out-{rid}-not-a-model", argv.replace("{out}", "{ws}/keep") + " --force",
                              match="not a seqlab model directory|not empty|refusing"))
        if not is_dir:
            cases.append(Case(f"out-{rid}-is-a-directory", argv.replace("{out}", "{ws}/keep") + " --force",
                              match="directory"))
        cases.append(Case(f"out-{rid}-under-a-file", argv.replace("{out}", "{ws}/corpus.txt/inside"),
                          match="corpus.txt"))
    return cases


# ---------------------------------------------------------------------- numeric options
@dataclass(frozen=True)
class Option:
    """A numeric flag of a command and its domain: ``lo``/``hi`` bounds (``open_lo``: lo itself is refused).

    ``huge``: whether a huge value must be refused too (sizes that would exhaust memory); loop
    counts (steps, tokens) are not tried huge, since a huge count is a long run, not bad input.
    """

    command: str
    flag: str
    integer: bool = True
    lo: float = 1
    hi: float = math.inf
    open_lo: bool = False
    huge: bool = False


_LM_LSTM = "lm train --model lstm --data {ws}/corpus.txt -o {ws}/out --hidden 4 --embed-dim 4 --layers 1 --bptt 4 " \
    "--max-steps 2 --batch-size 2"
_S2S = "seq2seq train --model gru --data {ws}/pairs.tsv -o {ws}/out --d-hidden 4 --d-embed 4 --max-steps 2 " \
    "--batch-size 2 --target-level whitespace"
_VAE = "vae train --data {ws}/corpus.txt -o {ws}/out --d-hidden 4 --d-embed 4 --d-latent 2 --max-steps 2 --batch-size 2"

OPTIONS: list[Option] = [
    Option("lm train --data {ws}/corpus.txt -o {ws}/out", "--order", hi=10),
    Option("lm train --data {ws}/corpus.txt -o {ws}/out", "--min-count"),
    Option("lm train --data {ws}/corpus.txt -o {ws}/out --smoothing lidstone", "--alpha", integer=False, lo=0,
           open_lo=True),
    Option("lm train --data {ws}/corpus.txt -o {ws}/out --smoothing absolute-discount", "--discount", integer=False,
           lo=0, hi=1, open_lo=True),
    Option(_LM_LSTM, "--max-steps"),
    Option(_LM_LSTM, "--lr", integer=False, lo=0, open_lo=True),
    Option(_LM_LSTM, "--batch-size", huge=True),
    Option(_LM_LSTM, "--hidden", huge=True),
    Option(_LM_LSTM, "--embed-dim", huge=True),
    Option(_LM_LSTM, "--layers", huge=True),
    Option(_LM_LSTM, "--bptt"),
    Option(_LM_LSTM, "--dropout", integer=False, lo=0, hi=0.99),
    Option(_LM_LSTM, "--weight-decay", integer=False, lo=0),
    Option(_LM_LSTM, "--eval-every"),
    Option(_LM_LSTM, "--threads"),
    Option("lm generate {ws}/lm", "--max-tokens", lo=0),
    Option("lm generate {ws}/lm", "--temperature", integer=False, lo=0, open_lo=True),
    Option("lm generate {ws}/lm", "--top-k"),
    Option("lm generate {ws}/lm", "--top-p", integer=False, lo=0, hi=1, open_lo=True),
    Option("lm generate {ws}/lm", "--beam-size", huge=True),
    Option("lm generate {ws}/lm", "--num-return-sequences", huge=True),
    Option("lm generate {ws}/lm", "--repetition-penalty", integer=False, lo=0, open_lo=True),
    Option("lm generate {ws}/lm --beam-size 2", "--length-penalty", integer=False, lo=-math.inf),
    Option("lm generate {ws}/lm", "--no-repeat-ngram-size", lo=0),
    Option("classify train --data {ws}/labelled.tsv -o {ws}/out", "--order", lo=0, hi=10),
    Option("classify train --data {ws}/labelled.tsv -o {ws}/out", "--alpha", integer=False, lo=0, open_lo=True),
    Option("tag train --model bilstm --data {ws}/tagged.txt -o {ws}/out --embed-dim 4 --max-steps 2", "--hidden",
           huge=True),
    Option("tag train --model bilstm --data {ws}/tagged.txt -o {ws}/out --hidden 4 --embed-dim 4 --max-steps 2",
           "--batch-size"),
    Option("embed train --data {ws}/corpus.txt -o {ws}/out --min-count 1 --epochs 1 --workers 1", "--dim", huge=True),
    Option("embed train --data {ws}/corpus.txt -o {ws}/out --min-count 1 --dim 4 --epochs 1", "--workers",
           huge=True),
    Option("embed train --data {ws}/corpus.txt -o {ws}/out --dim 4 --epochs 1 --workers 1", "--min-count"),
    Option("embed train --data {ws}/corpus.txt -o {ws}/out --min-count 1 --dim 4 --workers 1", "--epochs"),
    Option("embed train --data {ws}/corpus.txt -o {ws}/out --min-count 1 --dim 4 --epochs 1 --workers 1", "--window"),
    Option("embed train --data {ws}/corpus.txt -o {ws}/out --min-count 1 --dim 4 --epochs 1 --workers 1",
           "--negative", lo=1, hi=10**6),
    Option("embed train --data {ws}/corpus.txt -o {ws}/out --min-count 1 --dim 4 --epochs 1 --workers 1",
           "--alpha", integer=False, lo=0, open_lo=True),
    Option("embed train --data {ws}/corpus.txt -o {ws}/out --min-count 1 --dim 4 --epochs 1 --workers 1",
           "--sample", integer=False, lo=0),
    Option("embed train --data {ws}/corpus.txt -o {ws}/out --min-count 1 --dim 4 --epochs 1 --workers 1",
           "--ns-exponent", integer=False, lo=-math.inf),
    Option("embed similar {ws}/w2v cat", "--topn"),
    Option("embed analogy {ws}/w2v cat dog mat", "--topn"),
    Option("embed eval {ws}/w2v --similarity {ws}/wordsim.tsv", "--restrict-vocab"),
    Option("forecast fit --data {ws}/series.csv -o {ws}/out", "--lags", lo=0, huge=True),
    Option("forecast fit --data {ws}/series.csv -o {ws}/out --lags 2", "--direct", huge=True),
    Option("forecast fit --data {ws}/series.csv -o {ws}/out --model seasonal-naive", "--season-length", huge=True),
    Option("forecast fit --data {ws}/series.csv -o {ws}/out --model mlp --lags 2", "--d-hidden", huge=True),
    Option("forecast fit --data {ws}/series.csv -o {ws}/out --model mlp --lags 2 --d-hidden 4", "--epochs"),
    Option("forecast backtest --data {ws}/series.csv --lags 2", "--initial", huge=True),
    Option("forecast backtest --data {ws}/series.csv --lags 2 --initial 50", "--horizon", huge=True),
    Option("forecast backtest --data {ws}/series.csv --lags 2 --initial 50", "--step"),
    Option("forecast backtest --data {ws}/series.csv --lags 2 --initial 50", "--refit-every", lo=0),
    Option("forecast backtest --data {ws}/series.csv --lags 2 --initial 50", "--window"),
    Option("forecast backtest --data {ws}/series.csv --lags 2 --initial 50", "--coverage", integer=False, lo=0,
           hi=0.999, open_lo=True),
    Option("forecast backtest --data {ws}/series.csv --lags 2 --initial 40 --conformal --coverage 0.8",
           "--calibration", integer=False, lo=0, open_lo=True, huge=True),
    Option("forecast predict {ws}/ar", "--horizon", huge=True),
    Option("forecast predict {ws}/ar", "--coverage", integer=False, lo=0, hi=0.999, open_lo=True),
    Option("hmm fit --data {ws}/symbols.txt -o {ws}/out --n-init 1 --n-iter 2", "--states", huge=True),
    Option("hmm fit --states 2 --data {ws}/symbols.txt -o {ws}/out --n-init 1", "--n-iter"),
    Option("hmm fit --states 2 --data {ws}/symbols.txt -o {ws}/out --n-iter 2", "--n-init"),
    Option("hmm fit --states 2 --data {ws}/symbols.txt -o {ws}/out --n-init 1 --n-iter 2", "--tol", integer=False,
           lo=0),
    Option("hmm fit --states 2 --data {ws}/series.csv -o {ws}/out --n-init 1 --n-iter 2 --emission gmm", "--n-mix",
           huge=True),
    Option("hmm sample {ws}/hmm", "-n", huge=True),
    Option("kalman filter --data {ws}/track.csv", "--q", integer=False, lo=0),
    Option("kalman filter --data {ws}/track.csv", "--r", integer=False, lo=0, open_lo=True),
    Option("kalman filter --data {ws}/track.csv", "--dt", integer=False, lo=0, open_lo=True),
    Option("kalman smooth --data {ws}/track.csv", "--em", lo=0),
    Option("kalman filter --data {ws}/track.csv", "--dims", huge=True),
    Option(_S2S, "--d-hidden", huge=True),
    Option(_S2S, "--valid-limit", lo=0),
    Option("seq2seq eval {ws}/s2s --data {ws}/pairs.tsv", "--beam-size", huge=True),
    Option("seq2seq eval {ws}/s2s --data {ws}/pairs.tsv", "--batch-size"),
    Option("seq2seq eval {ws}/s2s --data {ws}/pairs.tsv", "--limit", lo=0),
    Option("seq2seq translate {ws}/s2s --data {ws}/short.txt", "--beam-size", huge=True),
    Option("seq2seq translate {ws}/s2s --data {ws}/short.txt", "--max-new-tokens"),
    Option("seq2seq translate {ws}/s2s --data {ws}/short.txt", "--num-return-sequences", huge=True),
    Option("seq2seq translate {ws}/s2s --data {ws}/short.txt", "--length-penalty", integer=False, lo=-math.inf),
    Option(_VAE, "--max-length"),
    Option(_VAE, "--d-latent", huge=True),
    Option(_VAE, "--limit", lo=0),
    Option("vae sample {ws}/vae", "-n", huge=True),
    Option("vae interpolate {ws}/vae cat dog", "--steps", lo=2, huge=True),
    Option("compare lm --data {ws}/corpus.txt --models ngram:order=2", "--budget", integer=False, lo=0,
           open_lo=True),
    Option("compare lm --data {ws}/corpus.txt --models ngram:order=2", "--steps"),
    Option("compare lm --data {ws}/corpus.txt --models ngram:order=2", "--eval-every"),
    Option("compare lm --data {ws}/corpus.txt --models ngram:order=2", "--limit"),
    Option("compare lm --data {ws}/corpus.txt --models ngram:order=2", "--sample-tokens", lo=0),
    Option("compare lm --data {ws}/corpus.txt --models ngram:order=2", "--temperature", integer=False, lo=0,
           open_lo=True),
    Option("compare lm --data {ws}/corpus.txt --models ngram:order=2", "--threads", huge=True),
    Option("compare forecast --data {ws}/series.csv --models naive", "--horizon", huge=True),
    Option("compare forecast --data {ws}/series.csv --models naive", "--step", huge=True),
    Option("compare forecast --data {ws}/series.csv --models naive", "--initial", huge=True),
    Option("compare forecast --data {ws}/series.csv --models naive", "--season-length", huge=True),
    Option("compare classify --data {ws}/labelled.tsv --models bayes-ngram:order=1", "--limit"),
    Option("datasets show kjv", "--head", lo=0),
    Option("demo", "--max-tokens", lo=0),
    Option("demo", "--temperature", integer=False, lo=0, open_lo=True),
    Option("demo", "--neural-seconds", integer=False, lo=0),
    Option("demo", "--threads", huge=True),
    Option("reproduce markov-order", "--budget", integer=False, lo=0, open_lo=True),
    Option("reproduce markov-order", "--threads", huge=True),
]

#: The values tried on every numeric option (huge: past any memory, but a valid number).
VALUES = {"zero": "0", "negative": "-1", "nan": "nan", "inf": "inf", "minus-inf": "-inf", "huge": "1000000000000"}


def _outside(option: Option, name: str, text: str) -> bool | None:
    """Whether ``text`` is outside ``option``'s domain (None: inside, not a fault to try)."""
    value = float(text)
    if not math.isfinite(value):
        return True
    if name == "huge":
        return True if option.huge or value > option.hi else None
    if value < option.lo or (option.open_lo and value == option.lo) or value > option.hi:
        return True
    return None


def option_cases() -> list[Case]:
    """Every numeric option x the values outside its domain: refused (status 1 or 2), nothing written."""
    cases = []
    for option in OPTIONS:
        cid = "-".join(option.command.split()[:2]).replace("{ws}/", "") + option.flag
        for name, text in VALUES.items():
            if not _outside(option, name, text):
                continue
            unparseable = option.integer and not math.isfinite(float(text))
            cases.append(Case(f"opt-{cid}-{name}", f"{option.command} {option.flag} {text}",
                              expect="usage" if unparseable else "refused"))
    return cases


# ---------------------------------------------------------------------- names and choices
NAMES: list[Case] = [
    Case("name-datasets-list-format", "datasets list --format xml", expect="usage"),
    Case("name-datasets-show-unknown", "datasets show no-such-dataset", match="no-such-dataset"),
    Case("name-reproduce-unknown", "reproduce no-such-claim", match="no-such-claim"),
    Case("name-warm-up-unknown", "warm-up --family no-such-family", match="no-such-family"),
    Case("name-compare-lm-unknown-model", "compare lm --data {ws}/corpus.txt --models no-such-model",
         match="no-such-model"),
    Case("name-compare-lm-bad-key", "compare lm --data {ws}/corpus.txt --models ngram:colour=red", match="colour"),
    Case("name-compare-lm-bad-value", "compare lm --data {ws}/corpus.txt --models ngram:order=x", match="order"),
    Case("name-compare-lm-missing-data", "compare lm --data {ws}/no-such-file.txt --models ngram:order=2",
         match="no-such-file"),
    Case("name-compare-classify-unknown-data", "compare classify --data no-such-set", match="no-such-set"),
    Case("name-compare-forecast-unknown-data", "compare forecast --data no-such-series", match="no-such-series"),
    Case("name-lm-train-unknown-smoothing", "lm train --data {ws}/corpus.txt -o {ws}/out --smoothing magic",
         match="magic"),
    Case("name-lm-train-unknown-encoding", "lm train --data {ws}/corpus.txt -o {ws}/out --encoding klingon",
         match="klingon"),
    Case("name-lm-eval-unknown-encoding", "lm eval {ws}/lm --data {ws}/corpus.txt --encoding klingon",
         match="klingon"),
    Case("name-classify-train-unknown-encoding", "classify train --data {ws}/labelled.tsv -o {ws}/out "
         "--encoding klingon", match="klingon"),
    Case("name-kalman-em-vars", "kalman filter --data {ws}/track.csv --em 1 --em-vars Q,Z", match="Z"),
    Case("name-forecast-column", "forecast fit --data {ws}/series.csv -o {ws}/out --column nope", match="nope"),
    Case("name-forecast-lags-list", "forecast fit --data {ws}/series.csv -o {ws}/out --lags 1,x", expect="usage"),
    Case("name-embed-similar-unknown-word", "embed similar {ws}/w2v zebra", match="zebra"),
    Case("name-embed-analogy-unknown-word", "embed analogy {ws}/w2v cat dog zebra", match="zebra"),
    Case("name-lm-generate-greedy-and-top-k", "lm generate {ws}/lm --greedy --top-k 3", match="greedy|top"),
    Case("name-lm-generate-label-on-plain-lm", "lm generate {ws}/lm --label a", match="label"),
    Case("name-vae-interpolate-unknown-words", "vae interpolate {ws}/vae zebra giraffe --steps 3", expect="clean"),
    Case("name-info-dataset-name", "info kjv", match="kjv"),
    Case("name-lm-train-max-time", "lm train --model lstm --data {ws}/corpus.txt -o {ws}/out --max-time soon",
         match="max-time"),
    Case("name-lm-train-neural-flag-on-ngram", "lm train --data {ws}/corpus.txt -o {ws}/out --hidden 8",
         expect="refused"),
    Case("name-tag-train-unknown-tagset", "tag train --model hmm --data {ws}/tagged.txt -o {ws}/out --tagset x",
         expect="usage"),
    Case("name-seed-negative-lm-train", "lm train --data {ws}/corpus.txt -o {ws}/out --seed -1", expect="usage"),
    Case("name-seed-negative-hmm-fit", "hmm fit --states 2 --data {ws}/symbols.txt -o {ws}/out --seed -1 --n-init 1",
         expect="usage"),
    Case("name-seed-negative-embed-train", "embed train --data {ws}/corpus.txt -o {ws}/out --min-count 1 --dim 4 "
         "--epochs 1 --workers 1 --seed -1", expect="usage"),
    Case("name-seed-negative-lm-lstm", _LM_LSTM + " --seed -1", expect="usage"),
    Case("name-seed-huge-lm-lstm", _LM_LSTM + " --seed 100000000000000000000000", expect="usage"),
    Case("name-seed-huge-hmm-fit", "hmm fit --states 2 --data {ws}/symbols.txt -o {ws}/out --n-init 1 "
         "--seed 100000000000000000000000", expect="usage"),
    Case("name-seed-negative-lm-generate", "lm generate {ws}/lm --seed -1", expect="usage"),
    Case("name-seed-negative-hmm-sample", "hmm sample {ws}/hmm --seed -1", expect="usage"),
]


def generated_cases() -> list[Case]:
    """The whole generated matrix."""
    return file_cases() + model_cases() + writer_cases() + option_cases() + NAMES
