#!/usr/bin/env python3
"""Rebuild ``bundled/dates.tsv.xz``: date-format normalisation pairs made from CLDR data.

Each line is ``written date<TAB>ISO date<TAB>locale/format``, e.g.
``14 juillet 2023<TAB>2023-07-14<TAB>fr_FR/long``. The written form comes from PyPI ``babel``
(``babel.dates.format_date``, CLDR locale data; BSD-3 + Unicode licence); dates are drawn
uniformly from 1900-01-01..2099-12-31 with a fixed seed, locale and format (short, medium,
long, full) uniformly from the list below (forms with a two-digit year such as en_US
``1/2/03`` are skipped: their century is ambiguous), so the file is the same on every rebuild with the
same babel version. Generated once here and bundled; nothing is generated at run time.

Usage: ``python scripts/build_dates.py`` (needs ``pip install babel``).
"""

from __future__ import annotations

import datetime as dt
import random

from _build_common import write_xz

LOCALES = ("en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "it_IT", "pt_BR", "nl_NL", "sv_SE", "pl_PL",
           "cs_CZ", "tr_TR", "fi_FI", "da_DK", "ro_RO", "id_ID", "hu_HU", "ca_ES")
FORMATS = ("short", "medium", "long", "full")
N_PAIRS = 30000
SEED = 20230714


def pairs(n: int = N_PAIRS, seed: int = SEED) -> list[tuple[str, str, str]]:
    """``n`` distinct (written, iso, "locale/format") triples, deterministic in ``seed``."""
    from babel.dates import format_date

    rng = random.Random(seed)
    start, span = dt.date(1900, 1, 1).toordinal(), (dt.date(2099, 12, 31) - dt.date(1900, 1, 1)).days + 1
    seen: set[str] = set()
    out = []
    while len(out) < n:
        day = dt.date.fromordinal(start + rng.randrange(span))
        locale, fmt = rng.choice(LOCALES), rng.choice(FORMATS)
        written = " ".join(format_date(day, format=fmt, locale=locale).split())
        if written in seen or str(day.year) not in written:  # one target per source; no 2-digit years
            continue
        seen.add(written)
        out.append((written, day.isoformat(), f"{locale}/{fmt}"))
    return out


def main() -> None:
    import babel

    rows = pairs()
    write_xz("dates.tsv.xz", "".join(f"{a}\t{b}\t{c}\n" for a, b, c in rows))
    print(f"{len(rows)} pairs, babel {babel.__version__}")


if __name__ == "__main__":
    main()
