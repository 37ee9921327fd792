"""Open an HTML file in headless Chromium (Debian's ``chromium``): console messages, figure sizes, screenshot.

No extra Python package: a measuring script is injected into a copy of the page, Chromium's
``--dump-dom`` returns the DOM after the load event (sizes in a ``data-`` attribute) and
``--enable-logging=stderr`` prints every console message (errors included) on stderr.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]
_PROBE = """<script>
window.addEventListener("load", () => {
  const figs = [...document.querySelectorAll("figure svg, figure img")].map(e => {
    const b = e.getBoundingClientRect(); return Math.round(b.width) + "x" + Math.round(b.height); });
  document.body.setAttribute("data-figure-sizes", figs.join(","));
  document.body.setAttribute("data-probe", "done");
});
</script>"""


def find() -> str | None:
    """Path of a Chromium binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


@dataclass
class PageCheck:
    console: list[str]       # console messages the page itself produced
    figure_sizes: list[tuple[int, int]]
    loaded: bool


def check_page(html_file: Path, *, binary: str, timeout: float = 90) -> PageCheck:
    """Load ``html_file`` (a copy with the probe injected); return console messages and figure sizes."""
    text = html_file.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.html"
        probe.write_text(text.replace("</body>", _PROBE + "\n</body>"), encoding="utf-8")
        out = subprocess.run([binary, *FLAGS, f"--user-data-dir={tmp}/profile", "--enable-logging=stderr", "--v=0",
                              "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=timeout)
    console = [line for line in out.stderr.splitlines() if ":CONSOLE" in line]
    m = re.search(r'data-figure-sizes="([^"]*)"', out.stdout)
    sizes = [tuple(int(v) for v in s.split("x")) for s in m.group(1).split(",") if s] if m else []
    return PageCheck(console, sizes, 'data-probe="done"' in out.stdout)  # type: ignore[arg-type]


def screenshot(html_file: Path, png: Path, *, binary: str, width: int = 1100, height: int = 2600,
               timeout: float = 90) -> Path:
    """Save a screenshot of ``html_file`` to ``png``."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([binary, *FLAGS, f"--user-data-dir={tmp}/profile", "--hide-scrollbars",
                        f"--screenshot={png}", f"--window-size={width},{height}", html_file.resolve().as_uri()],
                       capture_output=True, text=True, timeout=timeout, check=True)
    return png
