"""The ``accelsim`` command line (DESIGN.md section 8).

Exit codes: 0 ok, 2 usage error, 3 bad input (trace, config, file).  Bad input prints one line on stderr.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from accelsim import __version__
from accelsim.commands import COMMANDS
from accelsim.errors import AccelsimError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="accelsim",
        description="Cycle-level simulator of sparse DNN accelerators (Eyeriss, DaDianNao, Cnvlutin, UCNN) "
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
        return 2
    try:
        return int(args.func(args) or 0)
    except AccelsimError as e:
        print(f"accelsim: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("accelsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
