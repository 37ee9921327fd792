#!/usr/bin/env python3
"""Rebuild ``bundled/austen.txt.xz`` (Jane Austen's six novels, MIT) from Debian ``r-cran-janeaustenr``.

The package stores each novel as an R character vector (one element per printed line) in
its lazy-load database ``data/Rdata.rdx/.rdb``; ``_rdata.py`` decodes it without R. The
novels are concatenated in janeaustenr's ``austen_books()`` order (publication order) and
blank lines dropped.

Usage: ``python scripts/build_austen.py`` (needs apt-get and dpkg).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _build_common import apt_fetch, write_xz
from _rdata import load_lazydb, value

NOVELS = ("sensesensibility", "prideprejudice", "mansfieldpark", "emma", "northangerabbey", "persuasion")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = apt_fetch(["r-cran-janeaustenr"], Path(tmp))
        objects = load_lazydb(root / "usr/lib/R/site-library/janeaustenr/data/Rdata")
    lines: list[str] = []
    for novel in NOVELS:
        lines += [(line or "").rstrip() for line in value(objects[novel])]
    write_xz("austen.txt.xz", "\n".join(line for line in lines if line.strip()) + "\n")


if __name__ == "__main__":
    main()
