"""``accelsim sweep SPEC.yaml [--scheduler ADDRESS] [--workers N]``: many runs on dask, resumable."""
from __future__ import annotations

import argparse
import sys
import time


def register(sub: argparse._SubParsersAction) -> None:
    from accelsim import sweep
    p = sub.add_parser("sweep", help="run traces x designs x config grid on dask (resumable)",
                       description=sweep.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", metavar="SPEC.yaml", help="sweep spec (see above)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="address of an existing dask scheduler (e.g. tcp://10.0.0.5:8786); default: start a "
                        "LocalCluster")
    p.add_argument("--connect-timeout", type=_seconds, default=sweep.CONNECT_TIMEOUT, metavar="SECONDS",
                   help=f"with --scheduler: give up when the scheduler has not answered within SECONDS "
                        f"(default {sweep.CONNECT_TIMEOUT:g}); an unreachable one exits 3, a malformed "
                        "address exits 2")
    p.add_argument("--workers", type=int, default=2, metavar="N",
                   help="LocalCluster worker processes, one thread each (default 2; 0 = run in this process)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _seconds(text: str) -> float:
    import math
    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return v


def run(args: argparse.Namespace) -> int:
    from accelsim import sweep
    from accelsim.errors import ConfigError
    if args.workers < 0:
        raise ConfigError(f"--workers must be >= 0, got {args.workers}")
    spec = sweep.SweepSpec.load(args.spec)
    t0 = time.monotonic()

    def bar(done: int, total: int) -> None:
        if args.quiet:
            return
        w = 30
        f = int(w * done / max(1, total))
        sys.stderr.write(f"\rsweep [{'#' * f}{'-' * (w - f)}] {done}/{total} {time.monotonic() - t0:6.1f}s")
        sys.stderr.flush()

    stats = sweep.execute(spec, workers=args.workers, scheduler=args.scheduler, on_done=bar,
                          on_wait=lambda msg: print(msg, file=sys.stderr, flush=True),
                          connect_timeout=args.connect_timeout)
    if not args.quiet:
        sys.stderr.write("\n")
    rows = sweep.summarize(spec)
    print(f"{stats['runs']} runs: {stats['ran']} ran, {stats['skipped']} already done; results in {stats['out']}"
          + (f" (compare.csv: {len(rows)} rows vs {spec.baseline})" if rows else ""))
    return 0
