"""matplotlib, imported only when a plot is asked for (the ``plot`` extra)."""

from __future__ import annotations

from typing import Any

from seqlab.exceptions import SeqlabError


def pyplot(*, headless: bool = True) -> Any:
    """``matplotlib.pyplot``; ``headless`` selects the file-only Agg backend unless one is already running.

    Raises ``SeqlabError`` with the install command when matplotlib is missing.
    """
    try:
        import matplotlib
    except ImportError:
        raise SeqlabError("Plotting needs matplotlib; install it with pip install 'seqlab[plot]'.") from None
    if headless:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt
