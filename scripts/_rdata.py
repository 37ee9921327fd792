"""Minimal reader of R's serialization format (XDR, versions 2 and 3), stdlib only.

Enough to decode the lazy-load databases (``Rdata.rdx``/``Rdata.rdb``) and ``.rda`` files of
R data packages that hold character vectors, numeric vectors and data frames, so the build
scripts need no R. Adapted from the project's data-source survey (``rdb_reader.py``).
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path
from typing import Any

NA_INT = -(2**31)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.b, self.i, self.refs = data, 0, []  # type: ignore[var-annotated]

    def int(self) -> int:
        (v,) = struct.unpack(">i", self.b[self.i:self.i + 4])
        self.i += 4
        return int(v)

    def dbl(self) -> float:
        (v,) = struct.unpack(">d", self.b[self.i:self.i + 8])
        self.i += 8
        return float(v)

    def start(self) -> Any:
        if self.b[:2] != b"X\n":
            raise ValueError(f"not an XDR R serialization: {self.b[:2]!r}")
        self.i = 2
        version = self.int()
        self.int()
        self.int()
        if version == 3:
            n = self.int()
            self.i += n  # native encoding name
        return self.item()

    def item(self) -> Any:  # noqa: C901 - one branch per SEXP type
        flags = self.int()
        t, has_attr, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
        if t in (254, 242):  # NILVALUE, EMPTYENV
            return None
        if t == 253:
            return "GLOBALENV"
        if t == 255:  # REFSXP
            return self.refs[(flags >> 8) - 1]
        if t == 1:  # SYMSXP
            v = ("sym", self.item())
            self.refs.append(v)
            return v
        if t == 9:  # CHARSXP
            n = self.int()
            if n == -1:
                return None
            s = self.b[self.i:self.i + n].decode("utf-8", "replace")
            self.i += n
            return s
        if t == 2:  # LISTSXP (pairlist): list of (tag, value)
            attr = self.item() if has_attr else None  # noqa: F841
            tag = self.item() if has_tag else None
            car, cdr = self.item(), self.item()
            out = [(tag, car)]
            if isinstance(cdr, list):
                out += cdr
            return out
        if t in (13, 10):  # INTSXP, LGLSXP
            n = self.int()
            v: Any = [self.int() for _ in range(n)]
        elif t == 14:  # REALSXP
            n = self.int()
            v = [self.dbl() for _ in range(n)]
        elif t in (16, 19, 20):  # STRSXP, VECSXP, EXPRSXP
            n = self.int()
            v = [self.item() for _ in range(n)]
        else:
            raise ValueError(f"unsupported R type {t} at byte {self.i}")
        if has_attr:
            return ("attr", v, self.item())
        return v


def attributes(obj: Any) -> dict[str, Any]:
    """The attributes of an object read with attributes (``{}`` otherwise)."""
    if isinstance(obj, tuple) and obj[0] == "attr":
        return {tag[1]: val for tag, val in obj[2]}
    return {}


def value(obj: Any) -> Any:
    """The bare value of an object, attributes dropped."""
    return obj[1] if isinstance(obj, tuple) and obj[0] == "attr" else obj


def load_lazydb(prefix: str | Path) -> dict[str, Any]:
    """Every object of an R lazy-load DB (``PREFIX.rdx`` + ``PREFIX.rdb``) by name."""
    prefix = str(prefix)
    index = _Reader(gzip.decompress(Path(prefix + ".rdx").read_bytes())).start()
    db = Path(prefix + ".rdb").read_bytes()
    top = dict(zip(attributes(index)["names"], value(index), strict=False))
    variables = top["variables"]  # a named list of (offset, length) pairs
    out: dict[str, Any] = {}
    for name, (off, length) in zip(attributes(variables)["names"], value(variables), strict=False):
        out[name] = _Reader(zlib.decompress(db[off + 4: off + length])).start()  # 4-byte length + zlib stream
    return out


def load_rda(path: str | Path) -> dict[str, Any]:
    """Every object of an ``.rda``/``.RData`` file (gzip, bzip2 or xz compressed, format RDX2/RDX3)."""
    import bz2
    import lzma

    raw = Path(path).read_bytes()
    for opener in (gzip.decompress, bz2.decompress, lzma.decompress, lambda b: b):
        try:
            data = opener(raw)
            break
        except Exception:  # noqa: BLE001 - try the next compression
            continue
    if not data.startswith((b"RDX2\n", b"RDX3\n")):
        raise ValueError(f"{path}: not an RDX2/RDX3 file")
    pairs = _Reader(data[5:]).start()
    return {tag[1]: val for tag, val in pairs}
