"""``seqlab report DIR [DIR ...] -o report/``: the HTML report from model directories already trained.

Nothing is retrained: each directory contributes its configuration, its summary and its
training log (``metrics.csv``); with ``--data`` the language models are also scored on that
text, sampled from, and shown token by token. A directory without a training log is reported
with what it has and a note saying what is missing.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from seqlab.exceptions import SeqlabError


def run(args: argparse.Namespace) -> int:
    from seqlab.report import build_report, results_from_model_dirs

    out = Path(args.output)
    if out.exists() and any(out.iterdir()) and not args.force:  # before any model is read
        raise SeqlabError(f"{out} exists and is not empty; refusing to overwrite it (use --force or another path).")
    results = results_from_model_dirs(args.dirs, data=args.data, level=args.level, prompt=args.prompt,
                                      seed=0 if args.seed is None else args.seed)
    path = build_report(results, out, force=args.force, title=args.title)
    if args.format == "json":
        import json

        print(json.dumps({"report": str(path), "rows": results["rows"], "notes": results["notes"]}, indent=2,
                         default=str))
        return 0
    for note in results["notes"]:
        print(f"note: {note}")
    print(f"report: {path}")
    return 0


def register(groups: Any) -> None:
    from seqlab.cli._common import Formatter, add_common

    p = groups.add_parser("report", help="build the HTML report from saved model directories (no retraining)",
                          description=__doc__.splitlines()[0], formatter_class=Formatter)
    p.add_argument("dirs", nargs="+", metavar="DIR", help="model directories (manifest.json, metrics.csv)")
    p.add_argument("-o", "--output", required=True, help="report directory to create (index.html, results.json)")
    p.add_argument("--force", action="store_true", help="write into a non-empty output directory")
    p.add_argument("--data", default=None, help="score language models on this text (kjv:test, a file)")
    p.add_argument("--level", choices=("word", "char"), default="word", help="level of a bundled --data corpus")
    p.add_argument("--prompt", default="", help="text the samples continue (with --data)")
    p.add_argument("--title", default=None, help="page title")
    add_common(p)
    p.set_defaults(run=run)
