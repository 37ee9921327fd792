"""``seqlab info DIR``: what a model directory holds (class, versions, hyperparameters, arrays)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from seqlab import io


def register(groups: Any) -> None:
    from seqlab.cli._common import Formatter, add_logging_options

    p = groups.add_parser("info", help="describe a saved model directory", formatter_class=Formatter)
    p.add_argument("model", help="model directory")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    add_logging_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    manifest = io.read_manifest(args.model)
    if args.format == "json":
        print(json.dumps({k: manifest[k] for k in manifest if k != "state"}, indent=2))
        return 0
    print(f"model        {manifest['class']}")
    print(f"format       {manifest['format']} v{manifest['format_version']} (seqlab {manifest.get('seqlab_version')})")
    for key, value in manifest["params"].items():
        print(f"param        {key} = {json.dumps(value)}")
    summary = manifest["state"].get("summary") if isinstance(manifest["state"], dict) else None
    for key, value in (summary or {}).items():
        print(f"state        {key} = {value}")
    for name, spec in manifest.get("arrays", {}).items():
        print(f"array        {name}: {spec['dtype']} {tuple(spec['shape'])}")
    return 0
