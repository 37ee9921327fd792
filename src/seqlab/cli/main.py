"""Entry point of the ``seqlab`` command: ``seqlab GROUP VERB [options]``.

Results go to stdout; logs and progress bars to stderr. Exit status: 0 ok, 1 a reported
error (one line, ``seqlab: error: ...``), 2 a usage error. ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from seqlab import __version__
from seqlab.exceptions import SeqlabError


class _Parser(argparse.ArgumentParser):
    """argparse parser whose usage errors follow the ``seqlab: error:`` convention (exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"seqlab: error: {message}\n")


def _group_modules() -> list[str]:
    import seqlab.cli as pkg

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_") and m.name != "main")


def build_parser() -> argparse.ArgumentParser:
    """The full parser: global options plus every command group found in :mod:`seqlab.cli`."""
    parser = _Parser(prog="seqlab", description="Models for sequential data, from Markov chains to Transformers.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output on stderr")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    groups = parser.add_subparsers(dest="group", required=True, metavar="GROUP", parser_class=_Parser)
    for name in _group_modules():
        importlib.import_module(f"seqlab.cli.{name}").register(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING - 10 * args.verbose, stream=sys.stderr,
                        format="seqlab: %(levelname)s: %(message)s")
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("seqlab: interrupted", file=sys.stderr)
        return 130
    except (SeqlabError, OSError) as exc:
        if args.debug:
            raise
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"seqlab: error: {message}", file=sys.stderr)
        return 1
