"""Helpers shared by the command groups: common options, output formatting, progress bars."""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import random
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from seqlab import io
from seqlab.exceptions import InvalidParameterError, SeqlabError

T = TypeVar("T")


class Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` with each meaningful default shown once: no ``(default: None)`` or on/off-flag noise."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if ("default" in text or action.nargs == 0  # flags: "(default: False)" says nothing
                or action.default in (None, "", argparse.SUPPRESS) or action.default == []):
            return text
        return super()._get_help_string(action) or text


def save_with_curve(model: Any, path: Any, log: Any) -> None:
    """Save a fitted model with its training curve (``metrics.csv``, :mod:`seqlab.train.log`) in one atomic write."""
    from seqlab import io
    from seqlab.train.log import FILENAME, write_metrics

    rows = list(getattr(log, "rows", []) or [])
    io.save(model, path, extra_files={FILENAME: lambda file: write_metrics(file, rows)} if rows else None)


@contextlib.contextmanager
def gc_paused(pause: bool = True) -> Iterator[None]:
    """Pause Python's cycle collector for a block that builds many containers none of which is in a cycle.

    A corpus read into token lists is one list per line. While it is alive, every collection
    the allocations trigger walks all of those lists, for nothing (lists of strings cannot
    form cycles): about 0.015 CPU-s of ``lm train``'s 0.24 on a 355k-token text. The block
    should drop the corpus before it ends, so that the collector resumes without it.
    ``pause=False`` runs the block unchanged (the neural families, whose objects may cycle).
    """
    was_enabled = gc.isenabled()
    if pause:
        gc.disable()
    try:
        yield
    finally:
        if pause and was_enabled:
            gc.enable()


def add_verb(verbs: Any, name: str, help: str, run: Any) -> argparse.ArgumentParser:
    """Add a verb subparser with defaults shown in ``--help`` and the common options."""
    p: argparse.ArgumentParser = verbs.add_parser(name, help=help, description=help, formatter_class=Formatter)
    p.set_defaults(run=run)
    add_common(p)
    return p


def defer_options(p: argparse.ArgumentParser, adder: Any) -> None:
    """Run ``adder(p, argv)`` just before ``p`` parses its arguments (once).

    Lets a verb add options that need a heavy import (torch) only when the command line uses
    them, so commands that do not start fast.
    """
    original = p.parse_known_args

    def parse_known_args(args: Any = None, namespace: Any = None) -> Any:
        p.parse_known_args = original  # type: ignore[method-assign]
        adder(p, list(sys.argv[1:] if args is None else args))
        return original(args, namespace)

    p.parse_known_args = parse_known_args  # type: ignore[method-assign]


def add_group(groups: Any, name: str, help: str) -> Any:
    """Add a command group and return its verb subparsers."""
    g = groups.add_parser(name, help=help, description=help)
    add_logging_options(g)
    return g.add_subparsers(dest="verb", required=True, metavar="VERB")


def add_common(p: argparse.ArgumentParser) -> None:
    """Options every verb accepts: ``--seed``, ``--format``, ``-v``, ``--quiet``, ``--debug``."""
    p.add_argument("--seed", type=seed_value, default=None, help="random seed (same seed, same result)")
    p.add_argument("--format", choices=("table", "json", "tsv"), default="table", help="output format on stdout")
    add_logging_options(p)


#: Largest ``--seed``: numpy takes any non-negative integer, torch at most a 64-bit one.
MAX_SEED = 2**63 - 1


def seed_value(text: str) -> int:
    """``--seed``'s type: an integer from 0 to :data:`MAX_SEED` (numpy refuses negative seeds, torch huge ones)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**63 - 1, got {text}")
    return value


def add_logging_options(p: argparse.ArgumentParser) -> None:
    """``-v``, ``-q`` and ``--debug``, accepted at every level (``seqlab -v lm train`` = ``seqlab lm train -v``).

    Defaults are suppressed so that a flag given at an outer level is not reset by an inner one.
    """
    p.add_argument("-v", "--verbose", action=_Count, default=argparse.SUPPRESS, nargs=0,
                   help="more log output on stderr (repeat for more)")
    p.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress bars")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks for errors")


class _Count(argparse.Action):
    """``-v`` counting across parser levels (argparse's own count restarts in each subparser)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        _VERBOSITY[0] += 1
        setattr(namespace, self.dest, _VERBOSITY[0])


_VERBOSITY = [0]  # reset by seqlab.cli.main.main at the start of each run


# ---------------------------------------------------------------------- outputs
def add_force(p: argparse.ArgumentParser, what: str = "output") -> None:
    """The ``--force`` flag of a command that writes: replace an existing output."""
    p.add_argument("--force", action="store_true", help=f"replace an existing {what}")


def check_output(path: str | os.PathLike[str] | None, force: bool, what: str = "output", *,
                 directory: bool | None = None) -> Path | None:
    """Refuse an existing output unless ``--force``, then lock it for the rest of the run.

    Every command that writes calls this before doing any work, so a long run never ends by
    overwriting something, and a second run writing the same path fails at once with a
    one-line error instead of silently replacing the first one's result. ``None`` passes.
    ``directory`` says whether the output is a model directory (default: unless ``what``
    names a file); even ``--force`` never replaces a directory that is not a seqlab model,
    nor a directory with a file.
    """
    if path is None:
        return None
    p = Path(path)
    check_parent(p, what)
    directory = "file" not in what if directory is None else directory
    if directory and p.is_dir() and any(p.iterdir()) and not (p / io.MANIFEST).is_file():
        raise SeqlabError(f"{p} exists and is not a seqlab model directory; refusing to overwrite it. "
                          "Choose a new output path or remove it first.")
    if not directory and p.is_dir():
        raise SeqlabError(f"{p} is a directory; give a file name for the {what}.")
    if p.exists() and not force and (not p.is_dir() or any(p.iterdir())):
        raise SeqlabError(f"{p} already exists; refusing to overwrite the {what}. "
                          "Choose a new path or pass --force.")
    if os.environ.get("RANK", "0") in ("0", ""):  # under torchrun only the first process writes
        io.hold_output_lock(p)
    return p


def check_parent(path: str | os.PathLike[str], what: str = "output") -> None:
    """Refuse an output whose nearest existing ancestor is a file (``-o data.txt/model``) before any work."""
    for parent in Path(path).absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise SeqlabError(f"cannot write the {what} {path}: {parent} is a file, not a directory.")
            return


def check_range(value: float | None, flag: str, *, low: float, high: float | None = None, strict: bool = False,
                note: str = "") -> None:
    """Refuse a numeric option outside ``[low, high]`` (``(low, high]`` if ``strict``), NaN and infinities included.

    ``None`` (an option left unset) passes. Commands check every option this way *before* they read
    data or train, so ``--budget nan`` is one line at once, not an error after a long run.
    """
    if value is None:
        return
    ok = math.isfinite(value) and (value > low if strict else value >= low) and (high is None or value <= high)
    if not ok:
        bound = f"{'>' if strict else '>='} {low:g}" + (f" and <= {high:g}" if high is not None else "")
        raise InvalidParameterError(f"{flag} must be {bound}{note}, got {value:g}.")


def check_finite(result: Any, where: str = "result") -> None:
    """Refuse to print a NaN or infinite number as a result: say which one and why instead."""
    if isinstance(result, dict):
        for key, value in result.items():
            check_finite(value, str(key))
    elif isinstance(result, list | tuple):
        for value in result:
            check_finite(value, where)
    elif isinstance(result, np.ndarray) and result.dtype.kind in "fc":
        if not np.isfinite(result).all():
            check_finite(float(result[~np.isfinite(result)].flat[0]), where)
    elif isinstance(result, float | np.floating) and not math.isfinite(result):
        raise SeqlabError(f"{where} came out as {float(result)}, not a finite number: the data or the model "
                          "holds values too extreme or damaged to compute it; check the input or refit the model.")


def seed_everything(seed: int | None) -> None:
    """Seed Python's and numpy's global generators (torch is seeded by the neural code)."""
    if seed is not None:
        random.seed(seed)
        np.random.seed(seed % 2**32)


def progress(iterable: Iterable[T], *, quiet: bool = False, **kwargs: Any) -> Iterable[T]:
    """A tqdm bar on stderr, off with ``--quiet`` or when stderr is not a terminal.

    When off, the iterable itself is returned: importing tqdm (and the package metadata it
    reads) costs about 40 ms, a tenth of a short command's run.
    """
    if quiet or not _is_terminal(sys.stderr):
        return iterable
    from seqlab.progress import tqdm_class

    tqdm = tqdm_class()

    return tqdm(iterable, file=sys.stderr, disable=True if quiet else None, leave=False, **kwargs)  # type: ignore[no-any-return]


def _is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal (tqdm's test for ``disable=None``); False for closed or odd streams."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.4f}" if abs(float(value)) < 1e5 else f"{value:.4g}"
    return str(value)


def format_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Rows of dicts as an aligned plain-text table (numbers right-aligned)."""
    if not rows:
        return "(no rows)"
    check_finite(list(rows))
    cols = list(columns or rows[0].keys())
    cells = [[_fmt(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    numeric = [all(isinstance(r.get(c), int | float | np.number) for r in rows) for c in cols]

    def line(values: Sequence[str]) -> str:
        cells = (v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True))
        return "  ".join(cells).rstrip()

    out = [line(cols), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    return "\n".join(out)


def _is_first_process() -> bool:
    """False in the other processes of a torchrun job (torch is never imported just to ask)."""
    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return True
    return bool(dist.get_rank() == 0)


def emit(args: argparse.Namespace, result: dict[str, Any] | list[dict[str, Any]], *, title: str | None = None) -> None:
    """Print a result as a table (default), JSON or TSV on stdout (under torchrun: the first process only)."""
    fmt = getattr(args, "format", "table")
    check_finite(result)
    if not _is_first_process():
        return
    if fmt == "json":  # one schema: lists stay JSON lists
        print(json.dumps(result, indent=2, default=_json_default))
        return
    result = _flat(result)  # tables and TSV show a list of numbers or labels as one space-joined cell
    rows = result if isinstance(result, list) else [result]
    if fmt == "tsv":
        cols = list(rows[0].keys()) if rows else []
        print("\t".join(cols))
        for r in rows:
            print("\t".join(str(r.get(c, "")) for c in cols))
    else:
        if title:
            print(title)
        if isinstance(result, dict) and not any(isinstance(v, dict | list) for v in result.values()):
            width = max(len(k) for k in result) if result else 0
            for k, v in result.items():
                print(f"{k.ljust(width)}  {_fmt(v)}")
        else:
            print(format_table(rows))


def _flat(result: Any) -> Any:
    """Rows with list values joined by spaces (nested lists by " / "), for the table and TSV formats."""
    def cell(v: Any) -> Any:
        if isinstance(v, list | tuple) and not any(isinstance(x, dict) for x in v):
            return " / ".join(cell(x) for x in v) if any(isinstance(x, list | tuple) for x in v) else \
                " ".join(_fmt(x) if isinstance(x, float) else str(x) for x in v)
        return v

    if isinstance(result, list):
        return [_flat(r) for r in result]
    if isinstance(result, dict):
        return {k: cell(v) for k, v in result.items()}
    return result


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
