"""Measure seqlab's structure: upward imports between layers, import cycles (module-level imports,
the ones that run on import), and how many places write model files, list neural model names, or
validate an int by hand.

Usage: python scripts/structure.py [SRC_DIR]   (default: src/seqlab)
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

# Layers from top to bottom (DESIGN.md): a package may import only packages at its level or below.
LAYERS = {"cli": 4, "compare": 4, "report": 4, "models": 3, "train": 2, "nn": 2, "generate": 2, "data": 0}


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports(src: Path, *, module_level: bool = False) -> list[tuple[str, str]]:
    """(importer, imported) pairs of seqlab modules; ``module_level``: only what importing runs."""
    edges = []
    for file in src.rglob("*.py"):
        mod = "seqlab." + ".".join(file.relative_to(src).with_suffix("").parts).removesuffix(".__init__")
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in (tree.body if module_level else ast.walk(tree)):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("seqlab"):
                edges.append((mod, node.module))
            elif isinstance(node, ast.Import):
                edges += [(mod, a.name) for a in node.names if a.name.startswith("seqlab")]
    return edges


def main(src: Path) -> dict[str, object]:
    edges = imports(src)
    upward = sorted({(a, b) for a, b in edges
                     if LAYERS.get(package_of(a), 1) < LAYERS.get(package_of(b), 1)
                     and package_of(a) in LAYERS and package_of(b) in LAYERS})
    graph: dict[str, set[str]] = {}
    for a, b in imports(src, module_level=True):
        pa, pb = package_of(a), package_of(b)
        if pa != pb and pa and pb:
            graph.setdefault(pa, set()).add(pb)
    cycles = sorted({tuple(sorted((a, b))) for a in graph for b in graph[a] if a in graph.get(b, set())})
    text = {f: f.read_text(encoding="utf-8") for f in src.rglob("*.py")}
    writers = sorted(str(f.relative_to(src)) for f, t in text.items()
                     if re.search(r"\bsave_file\(|write_json\(.*MANIFEST", t))
    name_lists = sorted(str(f.relative_to(src)) for f, t in text.items()
                        if re.search(r'"jordan"', t) and re.search(r'"peephole"', t) and re.search(r'"window"', t))
    int_checks = sorted(str(f.relative_to(src)) for f, t in text.items()
                        if re.search(r"def _(positive|check_positive|check_dropout|positive_int)\b", t))
    return {"upward_imports": [f"{a} -> {b}" for a, b in upward], "package_cycles": [list(c) for c in cycles],
            "model_file_writers": writers, "neural_name_lists": name_lists, "private_int_validators": int_checks}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1] if len(sys.argv) > 1 else "src/seqlab")), indent=2))
