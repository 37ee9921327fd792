#!/usr/bin/env python3
"""Rebuild ``bundled/kjv-rv1909.tsv.xz``: King James (English) <-> Reina-Valera 1909 (Spanish) verse pairs.

Source: Debian ``sword-text-kjv`` (module ``engKJV2006eb``) and ``sword-text-sparv``
(``spaRV1909eb``), both public domain (``DistributionLicense=Public Domain`` in the module
``.conf``), read with PyPI ``pysword`` (pure Python). Both modules use the KJV versification,
so verse keys match one to one; verses present in both become ``ref<TAB>english<TAB>spanish``
lines in canonical order (31,084 pairs). The drop capital RV1909 prints at chapter starts
("EN el principio") is folded to title case ("En el principio").

Usage: ``python scripts/build_kjv_rv1909.py`` (needs apt-get, dpkg and ``pip install pysword``).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from _build_common import apt_fetch, write_xz

DROP_CAP = re.compile(r"^([A-ZÁÉÍÓÚÑ]{2,})(?=\s+[a-záéíóúñ])")


def verses(modules: object, name: str) -> dict[str, str]:
    """Every non-empty verse of one SWORD module by ``Book.chapter.verse`` key (whitespace collapsed)."""
    bible = modules.get_bible_from_module(name)  # type: ignore[attr-defined]
    out: dict[str, str] = {}
    for books in bible.get_structure().get_books().values():
        for book in books:
            for ch in range(1, book.num_chapters + 1):
                for v in range(1, book.chapter_lengths[ch - 1] + 1):
                    text = bible.get(books=[book.osis_name], chapters=[ch], verses=[v], clean=True).strip()
                    if text:
                        out[f"{book.osis_name}.{ch}.{v}"] = " ".join(text.replace("\u00b6", " ").split())
    return out


def fix_drop_cap(text: str) -> str:
    """``"EN el principio"`` -> ``"En el principio"`` (only an all-caps first word followed by lower case)."""
    return DROP_CAP.sub(lambda m: m.group(1).capitalize(), text)


def main() -> None:
    from pysword.modules import SwordModules

    with tempfile.TemporaryDirectory() as tmp:
        root = apt_fetch(["sword-text-kjv", "sword-text-sparv"], Path(tmp))
        modules = SwordModules(str(root / "usr/share/sword"))
        modules.parse_modules()
        en, es = verses(modules, "engKJV2006eb"), verses(modules, "spaRV1909eb")
    lines = [f"{key}\t{fix_drop_cap(en[key])}\t{fix_drop_cap(es[key])}" for key in en if key in es]
    assert len(lines) == 31084, len(lines)
    write_xz("kjv-rv1909.tsv.xz", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
