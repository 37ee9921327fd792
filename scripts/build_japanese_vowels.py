#!/usr/bin/env python3
"""Rebuild ``bundled/japanese-vowels.json.xz`` (UCI Japanese Vowels) from the ``aeon`` wheel.

Source: PyPI ``aeon`` 1.6.0 wheel (``pip download --no-deps``), files
``aeon/datasets/data/JapaneseVowels/JapaneseVowels_{TRAIN,TEST}.ts`` (the UEA/UCR multivariate
archive's copy of UCI Japanese Vowels, Kudo, Toyama and Shimbo 1999): 270 training and 370 test
utterances of /ae/ by 9 male speakers, 12 LPC cepstrum coefficients per frame, 7 to 29 frames;
the label is the speaker (1..9). Output JSON: ``{"train": [...], "test": [...]}``, each item
``{"label": "3", "values": [[12 floats] per frame]}`` in file order, numbers as written in the .ts file.

Licence: UCI Machine Learning Repository, CC BY 4.0.

Usage: ``python scripts/build_japanese_vowels.py`` (needs pip and network access to PyPI).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from _build_common import pip_wheel, write_xz

REQUIREMENT = "aeon==1.6.0"


def parse_ts(text: str) -> list[dict[str, object]]:
    """Items of a sktime/aeon ``.ts`` file with unequal lengths: ``dim1:dim2:...:label`` per line."""
    items = []
    in_data = False
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower() == "@data":
            in_data = True
            continue
        if not in_data or line.startswith("@"):
            continue
        *dims, label = line.split(":")
        columns = [[float(v) for v in d.split(",")] for d in dims]
        assert len(columns) == 12 and len({len(c) for c in columns}) == 1, line[:80]
        frames = [list(row) for row in zip(*columns, strict=False)]   # (T, 12)
        items.append({"label": label, "values": frames})
    return items


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wheel = pip_wheel(REQUIREMENT, Path(tmp))
        folder = wheel / "aeon" / "datasets" / "data" / "JapaneseVowels"
        data = {split: parse_ts((folder / f"JapaneseVowels_{split.upper()}.ts").read_text("utf-8"))
                for split in ("train", "test")}
    assert len(data["train"]) == 270 and len(data["test"]) == 370, {k: len(v) for k, v in data.items()}
    write_xz("japanese-vowels.json.xz", json.dumps(data, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
