"""Entry point of the ``seqlab`` command: ``seqlab GROUP VERB [options]``.

Results go to stdout; logs and progress bars to stderr. Exit status: 0 ok, 1 a reported
error (one line, ``seqlab: error: ...``), 2 a usage error. ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import pkgutil
import sys
import warnings
from collections.abc import Sequence

from seqlab import __version__
from seqlab.exceptions import SeqlabError

#: command groups whose commands never call BLAS: numpy starts there with one OpenBLAS thread
SINGLE_BLAS_THREAD_GROUPS = frozenset({"lm"})
#: set by run(): main() is the program and owns the process (not a call from Python code)
_OWNS_PROCESS = [False]


class _Parser(argparse.ArgumentParser):
    """argparse parser whose usage errors follow the ``seqlab: error:`` convention (exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"seqlab: error: {message}\n")


def _group_modules() -> list[str]:
    import seqlab.cli as pkg

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_") and m.name != "main")


def _module_of(argv: Sequence[str], modules: list[str]) -> str | None:
    """The command-group module the command line names (``warm-up`` -> ``warmup``), or None."""
    for arg in argv:
        if not arg.startswith("-"):
            name = arg.replace("-", "")
            return name if name in modules else None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser: global options plus the command groups found in :mod:`seqlab.cli`.

    Given the command line, only the group it names is imported (a command starts without
    loading the other families); without one, or for an unknown name, every group is.
    """
    from seqlab.cli import _common

    parser = _Parser(prog="seqlab", description="Models for sequential data, from Markov chains to Transformers.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _common.add_logging_options(parser)
    parser.set_defaults(verbose=0, quiet=False, debug=False)
    groups = parser.add_subparsers(dest="group", required=True, metavar="GROUP", parser_class=_Parser)
    modules = _group_modules()
    only = _module_of(argv, modules) if argv is not None else None
    for name in [only] if only is not None else modules:
        importlib.import_module(f"seqlab.cli.{name}").register(groups)
    return parser


def _load_numpy_for(argv: Sequence[str]) -> None:
    """Load numpy with a single OpenBLAS thread when the command never calls BLAS (the ``lm`` group).

    OpenBLAS starts its worker threads when numpy is imported, and each busy-waits (up to 2**28
    cycles, its default thread timeout) before it sleeps: CPU time a short command pays whether
    or not it multiplies a matrix (~0.04 CPU-s per command on 2 cores, a fifth of ``lm eval``'s).
    The n-gram path counts, sorts and gathers; neural models use torch's own BLAS. The variable
    is removed again once numpy is loaded, so child processes (Dask workers, DDP) inherit the
    user's environment; a user's own ``OPENBLAS_NUM_THREADS`` is left as it is.
    """
    if "numpy" in sys.modules or "OPENBLAS_NUM_THREADS" in os.environ:
        return
    group = next((a for a in argv if not a.startswith("-")), None)
    if group not in SINGLE_BLAS_THREAD_GROUPS:
        return
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        import numpy  # noqa: F401  (OpenBLAS reads the variable as numpy loads it)
    finally:
        del os.environ["OPENBLAS_NUM_THREADS"]


def run() -> None:
    """The ``seqlab`` program (its console script and ``python -m seqlab``): :func:`main`, then exit with its status.

    As the program owns the process, :func:`main` pauses the cycle collector while it imports
    and builds the parser, and moves every object that start-up created (modules, classes,
    functions, the parser) to the collector's permanent generation once the command line is
    parsed (``gc.freeze()``). They live until exit anyway; frozen, they are skipped by every
    later collection, including the full ones at interpreter shutdown, which otherwise walk
    all of numpy's and seqlab's objects: ~0.02 CPU-s of each short command (and ~0.005 s of
    collections during the imports). Objects made by the command itself are collected as
    before. A call to :func:`main` from Python (tests, notebooks) changes nothing.
    """
    _OWNS_PROCESS[0] = True
    sys.exit(main())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv_seen = sys.argv[1:] if argv is None else argv
    if _OWNS_PROCESS[0]:
        gc.disable()  # start-up's objects live until exit: no collection walks them (frozen below, see run())
    _load_numpy_for(argv_seen)
    parser = build_parser(argv_seen)
    from seqlab import io
    from seqlab.cli import _common

    _common._VERBOSITY[0] = 0
    args = parser.parse_args(argv)
    if _OWNS_PROCESS[0]:
        gc.freeze()  # see run()
        gc.enable()
    logging.basicConfig(level=logging.WARNING - 10 * args.verbose, stream=sys.stderr,
                        format="seqlab: %(levelname)s: %(message)s")
    logging.getLogger("seqlab").setLevel(logging.WARNING - 10 * args.verbose)
    formatted = warnings.formatwarning
    if not args.debug:  # a warning is one line too, like the errors (--debug keeps Python's form)
        warnings.formatwarning = _one_line_warning  # only the display: recording (pytest.warns) is untouched
    try:
        status = int(args.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return status
    except BrokenPipeError:
        # ``seqlab ... | head``: the reader has gone, which is not an error worth a message
        _silence_stdout()
        return 141  # 128 + SIGPIPE, what a shell reports for a writer whose pipe closed
    except ImportError as exc:  # a neural path reached without torch installed
        from seqlab.deps import is_torch_import_error, torch_message

        if args.debug or not (isinstance(exc, SeqlabError) or is_torch_import_error(exc)):
            raise
        print(f"seqlab: error: {exc if isinstance(exc, SeqlabError) else torch_message('this command')}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("seqlab: interrupted", file=sys.stderr)
        return 130
    except (SeqlabError, OSError, UnicodeDecodeError, MemoryError) as exc:
        if args.debug:
            raise
        print(f"seqlab: error: {_one_line(exc, getattr(args, 'data', None))}", file=sys.stderr)
        return 1
    finally:
        io.release_output_locks()
        warnings.formatwarning = formatted


def _one_line_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                      line: str | None = None) -> str:
    text = str(message).splitlines()[0] if str(message) else category.__name__
    return (text if text.startswith("seqlab: ") else f"seqlab: warning: {text}") + "\n"


def _one_line(exc: BaseException, source: object = None) -> str:
    """The message of a reported error, on one line (the safety nets say what happened and what to do)."""
    if isinstance(exc, UnicodeDecodeError):
        where = f"{source}: " if isinstance(source, str) else ""
        byte = exc.object[exc.start]
        return (f"{where}the input is not valid {exc.encoding} (byte 0x{byte:02x} at offset {exc.start}); "
                "pass --encoding if the command has it, or convert the file to UTF-8.")
    if isinstance(exc, MemoryError):
        detail = str(exc).splitlines()[0] if str(exc) else "an allocation failed"
        return f"out of memory: {detail}; ask for smaller sizes (states, steps, vocabulary, batch)."
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout replaced (tests) or already closed
        pass
