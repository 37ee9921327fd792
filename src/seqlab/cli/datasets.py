"""``seqlab datasets list|show``: the bundled data sets, their sources, licences and sizes."""

from __future__ import annotations

import argparse
from typing import Any

_UNITS = {"text": "lines", "labelled": "docs", "series": "values", "tagged": "sentences", "sequences": "sequences"}


def register(groups: Any) -> None:
    from seqlab.cli._common import add_group, add_verb

    verbs = add_group(groups, "datasets", "bundled data sets: list them, show one")
    add_verb(verbs, "list", "list the bundled data sets (name, kind, size, licence)", run_list)
    p = add_verb(verbs, "show", "describe one data set: source, licence, split sizes, first items", run_show)
    p.add_argument("name", help="data set name (see `seqlab datasets list`), optionally NAME:SPLIT")
    p.add_argument("--head", type=int, default=5, help="how many first lines, documents or values to show")


def _human_bytes(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.0f} KB"


def run_list(args: argparse.Namespace) -> int:
    from seqlab import datasets
    from seqlab.cli._common import emit

    infos = [datasets.info(n) for n in datasets.list()]
    if args.format == "json":
        emit(args, [i.to_dict() for i in infos])
        return 0
    rows = [{"name": i.name, "kind": i.kind, "items": i.n_items, "unit": _UNITS[i.kind],
             "size": _human_bytes(i.bytes), "licence": i.licence} for i in infos]
    emit(args, rows)
    return 0


def _head(name: str, split: str, n: int) -> list[Any]:
    """The first ``n`` items of a split, in a printable form (only those are parsed)."""
    from seqlab import datasets
    from seqlab.data.datasets import preview

    kind = datasets.info(name).kind
    first = preview(name, split, n)
    if kind == "text":
        return list(first)
    if kind == "labelled":
        return [{"id": i, "label": lab, "text": _shorten(t)}
                for i, lab, t in zip(first.ids, first.labels, first.texts, strict=True)]
    if kind == "tagged":
        return [{"id": i, "tagged": _shorten(" ".join(f"{w}/{t}" for w, t in zip(s, ts, strict=True)))}
                for i, s, ts in zip(first.ids, first.sentences, first.tags, strict=True)]
    if kind == "sequences":
        return [{"label": lab, "shape": f"{x.shape[0]}x{x.shape[1]}"}
                for lab, x in zip(first.labels, first.sequences, strict=True)]
    return [{"index": str(i), "value": float(v)} for i, v in zip(first.index, first.values, strict=True)]


def _shorten(text: str, width: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def run_show(args: argparse.Namespace) -> int:
    from seqlab import datasets
    from seqlab.cli._common import emit, format_table
    from seqlab.exceptions import InvalidParameterError

    if args.head < 0:
        raise InvalidParameterError(f"--head must be >= 0; got {args.head}.")
    resolved = datasets.resolve(args.name)
    if resolved is None:
        datasets.info(args.name.partition(":")[0])  # raises the unknown-name error listing the bundled sets
        raise AssertionError("unreachable")
    name, split = resolved
    info = datasets.info(name)
    head = _head(name, split, args.head)
    if args.format == "json":
        emit(args, {**info.to_dict(), "split": split, "head": head})
        return 0
    sizes = " · ".join(f"{k} {v:,}" for k, v in info.sizes.items())
    lines = [
        f"name         {info.name} ({info.kind})",
        f"description  {info.description}",
        f"source       {info.source}",
        f"licence      {info.licence}",
    ]
    if info.attribution:
        lines.append(f"attribution  {info.attribution}")
    lines += [f"splits       {', '.join(info.splits)}", f"sizes        {sizes} {_UNITS[info.kind]}",
              f"bundled      {info.file} ({_human_bytes(info.bytes)})"]
    for key, value in info.extra.items():
        lines.append(f"{key.replace('_', ' '):<12} {value if not isinstance(value, tuple) else ', '.join(value)}")
    print("\n".join(lines))
    if head:
        print(f"\nfirst {len(head)} of {split}:")
        print("\n".join(f"  {h}" for h in head) if info.kind == "text" else format_table(head))
    return 0
