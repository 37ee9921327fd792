"""Helpers shared by the command groups: common options, output formatting, progress bars."""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

Formatter = argparse.ArgumentDefaultsHelpFormatter


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
    return g.add_subparsers(dest="verb", required=True, metavar="VERB")


def add_common(p: argparse.ArgumentParser) -> None:
    """Options every verb accepts: ``--seed``, ``--format``, ``--quiet``, ``--debug``."""
    p.add_argument("--seed", type=int, default=None, help="random seed (same seed, same result)")
    p.add_argument("--format", choices=("table", "json", "tsv"), default="table", help="output format on stdout")
    p.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress bars")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks for errors")


def seed_everything(seed: int | None) -> None:
    """Seed Python's and numpy's global generators (torch is seeded by the neural code)."""
    if seed is not None:
        random.seed(seed)
        np.random.seed(seed % 2**32)


def progress(iterable: Iterable[T], *, quiet: bool = False, **kwargs: Any) -> Iterable[T]:
    """A tqdm bar on stderr, off with ``--quiet`` or when stderr is not a terminal."""
    from tqdm.auto import tqdm

    return tqdm(iterable, file=sys.stderr, disable=True if quiet else None, leave=False, **kwargs)  # type: ignore[no-any-return]


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


def emit(args: argparse.Namespace, result: dict[str, Any] | list[dict[str, Any]], *, title: str | None = None) -> None:
    """Print a result as a table (default), JSON or TSV on stdout."""
    fmt = getattr(args, "format", "table")
    rows = result if isinstance(result, list) else [result]
    if fmt == "json":
        print(json.dumps(result, indent=2, default=_json_default))
    elif fmt == "tsv":
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


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
