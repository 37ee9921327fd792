"""``seqlab reproduce NAME``: a claim of the source documents as a small experiment on bundled data.

Prints the table and the measured outcome (holding or not); ``--report DIR`` writes the HTML
report, ``--record FILE`` adds the result to a JSON file (bench/results/reproduce.json in the
repository) under the experiment's name.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from seqlab.cli._common import format_table
from seqlab.exceptions import SeqlabError


def _record(path: Path, name: str, results: dict[str, Any]) -> None:
    from seqlab.io import atomic_file

    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            raise SeqlabError(f"--record {path} is not valid JSON; refusing to overwrite it.") from None
    keep = ("claim", "documents", "data", "budget_cpu_seconds", "seed", "run_seconds", "run_cpu_seconds", "outcome",
            "rows", "benchmark", "samples")
    data[name] = {k: results[k] for k in keep if k in results}
    with atomic_file(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, indent=1, sort_keys=True, default=float) + "\n")


def _check_settings(args: argparse.Namespace) -> None:
    """Refuse a bad budget, an existing report or an unreadable record file before the experiment runs."""
    from seqlab.cli._common import check_parent, check_range

    check_range(args.budget, "--budget", low=0, strict=True, note=" (CPU seconds)")
    check_range(args.threads, "--threads", low=1)
    if args.report:
        check_parent(args.report, "--report directory")
        if Path(args.report).exists() and any(Path(args.report).iterdir()) and not args.force:
            raise SeqlabError(f"--report {args.report} exists and is not empty; refusing to overwrite it "
                              "(use --force).")
    if args.record:
        check_parent(args.record, "--record file")
        record = Path(args.record)
        if record.is_dir():
            raise SeqlabError(f"--record {record} is a directory; give a JSON file.")
        if record.is_file():
            try:
                existing = json.loads(record.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise SeqlabError(f"--record {record} is not valid JSON; refusing to overwrite it.") from None
            if not isinstance(existing, dict):
                raise SeqlabError(f"--record {record} holds JSON that is not an object; refusing to overwrite it.")


def run(args: argparse.Namespace) -> int:
    from seqlab.compare.experiments import EXPERIMENTS, run_experiment

    if args.list or args.name is None:
        print(format_table([{"name": e.name, "documents": e.documents, "budget": e.default_budget, "claim": e.claim}
                            for e in EXPERIMENTS.values()]))
        return 0
    names = list(EXPERIMENTS) if args.name == "all" else [args.name]
    if args.name != "all" and args.name not in EXPERIMENTS:
        raise SeqlabError(f"unknown experiment {args.name!r}; choose from {', '.join(EXPERIMENTS)} or all.")
    _check_settings(args)
    from seqlab.cli import _neural

    _neural.configure_threads(args.threads)
    for name in names:
        results = run_experiment(name, budget=args.budget, seed=0 if args.seed is None else args.seed)
        if args.record:
            _record(Path(args.record), name, results)
        path = None
        if args.report:
            from seqlab.report import build_report

            out = Path(args.report) / name if len(names) > 1 else Path(args.report)
            path = build_report(results, out, force=args.force)
        if args.format == "json":
            print(json.dumps({k: v for k, v in results.items() if k not in ("extra_figures",)}, indent=1,
                             default=str))
            continue
        print(f"== {name} ({results['run_cpu_seconds']} CPU-s)")
        print(format_table([{k: v for k, v in r.items() if k != "sample"} for r in results["rows"]]))
        print(f"\n{results['outcome']}\n")
        if path:
            print(f"report: {path}\n")
    return 0


def register(groups: Any) -> None:
    from seqlab.cli._common import Formatter, add_common

    p = groups.add_parser("reproduce", help="run a claim of the source documents as a small experiment",
                          description=__doc__.splitlines()[0], formatter_class=Formatter)
    p.add_argument("name", nargs="?", default=None, help="experiment name, or all (see --list)")
    p.add_argument("--list", action="store_true", help="list the experiments and exit")
    p.add_argument("--budget", type=float, default=None,
                   help="CPU seconds per trained model (default: the experiment's)")
    p.add_argument("--report", default=None, metavar="DIR", help="write the HTML report here")
    p.add_argument("--record", default=None, metavar="FILE", help="add the result to this JSON file")
    p.add_argument("--force", action="store_true", help="write into a non-empty --report directory")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default 1)")
    add_common(p)
    p.set_defaults(run=run)
