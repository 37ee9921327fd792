#!/usr/bin/env python3
"""Rebuild ``bundled/kjv.txt.xz`` (King James Bible, public domain) from Debian packages.

Source: Debian bookworm ``bible-kjv`` (the ``bible`` reader, GPL-2+) and ``bible-kjv-text``
(the text). The reader dumps every verse with ``bible -f Gen1:1-Rev22:21`` as
``Ge1:1 In the beginning ...``, exactly as ``/work/shared/reference/ngram/prep.py`` expects.
This script strips the verse reference (prep.py's ``VERSE_REF``) and drops blank lines:
one verse per line, 31,102 lines, ASCII.

Usage: ``python scripts/build_kjv.py`` (needs apt-get and dpkg; no root needed).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from _build_common import apt_fetch, run, write_xz

VERSE_REF = re.compile(r"^\S*?\d+:\d+\s+")  # "Ge1:1 ", "1Co13:4 ", "Rev22:21 " (prep.py)


def verses(raw: str) -> list[str]:
    """Verse texts without references, blank lines dropped (prep.py's ``kjv_lines``)."""
    return [VERSE_REF.sub("", line, count=1) for line in raw.split("\n") if line.strip()]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = apt_fetch(["bible-kjv", "bible-kjv-text"], Path(tmp))
        raw = run([str(root / "usr/bin/bible"), "-p", str(root / "usr/lib"), "-f", "Gen1:1-Rev22:21"])
    lines = verses(raw)
    assert len(lines) == 31102, len(lines)
    write_xz("kjv.txt.xz", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
