"""The ``accelsim`` command line (DESIGN.md section 8).

Exit codes: 0 ok, 2 usage error, 3 bad input (trace, config, file).  Bad input prints one line on stderr.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from typing import Any, NoReturn, Sequence

from accelsim import __version__
from accelsim.commands import COMMANDS
from accelsim.errors import AccelsimError


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr (exit 2), pointing to --help."""

    def error(self, message: str) -> NoReturn:
        msg = " ".join(message.split())
        self.exit(2, f"{self.prog}: error: {msg} (see {self.prog} --help)\n")


# argument names (argparse dests) that hold a command's input files and its outputs
INPUT_ARGS = ("trace", "traces", "config", "energy", "folder", "topology", "spec", "file", "results")
OUTPUT_ARGS = ("json", "csv", "out")


def _protect_inputs(args: argparse.Namespace) -> None:
    """Register every input path; refuse an output path that names one of them (nothing is lost)."""
    from accelsim import atomic
    atomic.unprotect_all()
    ins: list[str] = []
    for a in INPUT_ARGS:
        v = getattr(args, a, None)
        vals = v if isinstance(v, list) else [v]
        ins += [x for x in vals if isinstance(x, str) and x and os.path.exists(x)]
    atomic.protect(ins)
    for a in OUTPUT_ARGS:
        v = getattr(args, a, None)
        if isinstance(v, str) and v:
            atomic.check_not_input(v)


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def _run(args: argparse.Namespace) -> int:
    """Run a command with warnings captured: they never print before an error line."""
    import numpy as np
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        code = int(args.func(args) or 0)
    seen: set[str] = set()
    for w in caught:  # after a success, each distinct warning is one line
        text = _one_line(w.message)
        if text not in seen and not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)):
            seen.add(text)
            print(f"accelsim: warning: {text}", file=sys.stderr)
    return code


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="accelsim",
        description="Cycle-level simulator of sparse DNN accelerators (DaDianNao, Cnvlutin, Eyeriss, UCNN, EIE, SCNN) "
                    "driven by the real weight and activation tensors of pruned networks.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"accelsim {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:  # a missing command module is a broken install: the ImportError propagates
        importlib.import_module(f"accelsim.commands.{name}").register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        print("accelsim: error: a command is required (see accelsim --help)", file=sys.stderr)
        return 2
    restore = _terminate_as_exception()
    try:
        _protect_inputs(args)
        return _run(args)
    except _Terminated:
        print("accelsim: terminated", file=sys.stderr)
        return 143
    except AccelsimError as e:
        print(f"accelsim: error: {_one_line(e)}", file=sys.stderr)
        return e.exit_code
    except OSError as e:  # a file the command could not read or write: bad input, never a traceback
        if isinstance(e, BrokenPipeError):
            return 0
        where = f"{e.filename}: " if e.filename is not None else ""
        print(f"accelsim: error: {where}{_one_line(e.strerror or e)}", file=sys.stderr)
        return 3
    except MemoryError:
        from accelsim.limits import describe_limits
        print(f"accelsim: error: out of memory: the input is larger than this machine can hold "
              f"({describe_limits()})", file=sys.stderr)
        return 3
    except RecursionError:
        print("accelsim: error: an input file is nested too deeply to read", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("accelsim: interrupted", file=sys.stderr)
        return 130
    finally:
        restore()
        from accelsim import atomic
        atomic.unprotect_all()


class _Terminated(BaseException):
    """SIGTERM (``kill``, a time limit) raised in the main thread, so ``finally`` blocks run: a file being
    written is removed (accelsim.atomic) instead of staying behind as a ``.tmp`` file."""


def _terminate_as_exception():
    """Turn SIGTERM into :class:`_Terminated` while a command runs (main thread only); returns the undo."""
    import signal
    import threading
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_term(signum, frame):
        raise _Terminated()
    old = signal.signal(signal.SIGTERM, on_term)
    return lambda: signal.signal(signal.SIGTERM, old)


def _fast_exit(code: int) -> NoReturn:
    """Exit with ``code`` without tearing down every module (numba's and llvmlite's objects take 0.1-0.2 s
    to free at interpreter exit): flush the standard streams, run the atexit handlers (weakref
    finalizers, logging ...), then ``os._exit``.  Only when no other thread runs (a sweep's dask threads
    get the normal shutdown), and not under a profiler or tracer (``python -m cProfile -m accelsim``
    writes its statistics after the program returns)."""
    import threading
    if threading.active_count() > 1 or sys.getprofile() is not None or sys.gettrace() is not None:
        raise SystemExit(code)
    import atexit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)


def entry() -> NoReturn:
    """The ``accelsim`` console script and ``python -m accelsim``: :func:`main`, then a fast exit."""
    try:
        code = main()
    except SystemExit as e:  # --help, --version and usage errors (argparse exits)
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if not isinstance(e.code, (int, type(None))):
            print(e.code, file=sys.stderr)
    _fast_exit(code)


if __name__ == "__main__":
    entry()
