"""The progress-bar class: tqdm's notebook-aware bar inside Jupyter, its plain bar elsewhere.

``tqdm.auto`` imports asyncio and package metadata (about 30 ms), which a command that reads a
file and prints a number should not pay; in a notebook (ipykernel loaded) it is what users want.
"""

from __future__ import annotations

import sys
from typing import Any


def tqdm_class() -> Any:
    """``tqdm.auto.tqdm`` in a Jupyter kernel, else ``tqdm.tqdm``."""
    if "ipykernel" in sys.modules:
        from tqdm.auto import tqdm as auto

        return auto
    from tqdm import tqdm as plain

    return plain
