"""Command-line options generated from a config dataclass or an estimator's ``__init__``.

A flag is the field name with dashes (``batch_size`` -> ``--batch-size``), its type and default
come from the annotation and default, its help from the numpydoc ``Parameters`` section of the
class docstring, and ``{"a", "b"}`` in that section becomes the choices. So the command line and
the Python API name every setting the same way; older flag names stay as aliases.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
from collections.abc import Callable, Iterable
from typing import Any

_ANNOTATIONS = {"int": int, "float": float, "str": str}


@dataclasses.dataclass(frozen=True)
class Param:
    """One setting: name, annotation (as a string), default, help text and choices."""

    name: str
    annotation: str
    default: Any
    help: str = ""
    choices: tuple[str, ...] | None = None


def dataclass_params(cls: type) -> list[Param]:
    """The fields of a dataclass as :class:`Param` s (documented in its docstring)."""
    docs = _param_docs(cls.__doc__ or "")
    out = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else None
        out.append(_param(f.name, str(f.type), default, docs))
    return out


def init_params(cls: type) -> list[Param]:
    """The keyword-only ``__init__`` parameters of an estimator as :class:`Param` s."""
    docs = _param_docs(cls.__doc__ or "")
    out = []
    for p in inspect.signature(cls).parameters.values():
        if p.kind is p.KEYWORD_ONLY:
            out.append(_param(p.name, str(p.annotation), p.default, docs))
    return out


def _param(name: str, annotation: str, default: Any, docs: dict[str, tuple[str, tuple[str, ...] | None]]) -> Param:
    text, choices = docs.get(name, ("", None))
    return Param(name, annotation, default, text, choices)


def _param_docs(doc: str) -> dict[str, tuple[str, tuple[str, ...] | None]]:
    """``name -> (first sentence of its description, choices)`` from a numpydoc Parameters section."""
    lines = inspect.cleandoc(doc).splitlines()
    out: dict[str, tuple[str, tuple[str, ...] | None]] = {}
    in_params = False
    names: list[str] = []
    choices: tuple[str, ...] | None = None
    body: list[str] = []

    def flush() -> None:
        text = " ".join(body).strip()
        first = re.split(r"(?<=[.;])\s", text, maxsplit=1)[0].rstrip(".;") if text else ""
        for n in names:
            out.setdefault(n, (first, choices))

    for i, line in enumerate(lines):
        if line.strip() in ("Parameters", "Attributes", "Returns", "Examples", "Notes") and i + 1 < len(lines) \
                and set(lines[i + 1].strip()) == {"-"}:
            flush()
            names, body, choices = [], [], None
            in_params = line.strip() == "Parameters"
            continue
        if not in_params or set(line.strip()) == {"-"}:
            continue
        m = re.match(r"^(\w+(?:,\s*\w+)*)\s*(?::\s*(.*))?$", line)
        if m and not line.startswith(" "):
            flush()
            names = [n.strip() for n in m.group(1).split(",")]
            spec = m.group(2) or ""
            found = re.search(r"\{([^}]*)\}", spec)
            choices = tuple(c.strip().strip("\"'") for c in found.group(1).split(",")) if found else None
            body = [] if found or not spec or re.match(r"^[\w\s|,.\[\]]+$", spec) else [spec]
        elif line.startswith(" "):
            body.append(line.strip())
    flush()
    return out


def _type_of(annotation: str) -> tuple[Callable[[str], Any] | None, bool]:
    """(converter, is_bool) for an annotation string such as ``"int | None"``."""
    parts = [p.strip() for p in annotation.split("|") if p.strip() != "None"]
    if parts == ["bool"]:
        return None, True
    if len(parts) == 1 and parts[0] in _ANNOTATIONS:
        return _ANNOTATIONS[parts[0]], False
    return str, False


def add_param_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup, params: Iterable[Param], *,
                      aliases: dict[str, list[str]] | None = None, skip: Iterable[str] = (),
                      types: dict[str, Callable[[str], Any]] | None = None,
                      helps: dict[str, str] | None = None, existing: Iterable[str] = ()) -> list[str]:
    """Add ``--field-name`` for each param (plus its aliases); returns the dests added.

    ``skip``: params not offered; ``existing``: dests the parser already has (not added again);
    ``types``: a converter per param where the annotation is not enough (durations, "auto|yes|no").
    """
    aliases, types, helps = aliases or {}, types or {}, helps or {}
    skipped, have = set(skip), set(existing)
    added = []
    for p in params:
        if p.name in skipped or p.name in have:
            continue
        flags = [f"--{p.name.replace('_', '-')}"] + [a for a in aliases.get(p.name, []) if a != f"--{p.name}"]
        text = helps.get(p.name, p.help) or p.name.replace("_", " ")
        convert, is_bool = _type_of(p.annotation)
        kwargs: dict[str, Any] = {"dest": p.name, "help": text}
        if is_bool and p.default is False and p.name not in types:
            kwargs.update(action="store_true", default=False)
        else:
            kwargs.update(type=types.get(p.name, convert), default=p.default)
            if p.choices and p.name not in types:
                kwargs["choices"] = p.choices
            if p.default is None:
                kwargs["help"] = text  # no "(default: None)" noise
                kwargs["default"] = None
        parser.add_argument(*flags, **kwargs)
        added.append(p.name)
    return added


def values_from_args(params: Iterable[Param], args: argparse.Namespace, *, skip: Iterable[str] = ()) -> dict[str, Any]:
    """``{name: args.name}`` for every param the parsed arguments hold."""
    skipped = set(skip)
    return {p.name: getattr(args, p.name) for p in params if p.name not in skipped and hasattr(args, p.name)}


__all__ = ["Param", "add_param_options", "dataclass_params", "init_params", "values_from_args"]
