"""``accelsim prune study accuracy|sensitivity|size|cputime --out DIR``: the pruning studies.

Each study trains a network of models/nets.py on the digits data, prunes it and writes ``DIR/<study>.csv``
and ``DIR/<study>.png`` (see :mod:`accelsim.prune.studies`).  They need the optional PyTorch extra; this
module imports neither torch nor the studies until a study runs, so ``accelsim --help`` works without it.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from typing import Any

from accelsim.errors import ConfigError

TORCH_MISSING = "install the torch extra: pip install torch==2.13.0"

DESCRIPTION = """\
Regenerate one pruning study: train the network (seeded, one thread) on scikit-learn's bundled digits
(1x28x28, or rendered to 3x32x32 for seed3/seed4 -- not CIFAR-10), prune it, and write OUT/<study>.csv
and OUT/<study>.png.  Needs PyTorch (pip install torch==2.13.0) and the accelsim source checkout
(models/nets.py).

Studies:
  accuracy     test accuracy vs weight sparsity for each method: magnitude without retraining (none),
               one-shot + retraining (direct), Han et al.'s iterative prune/retrain with the same total
               retraining (iterative), Optimal Brain Damage + retraining (obd), global magnitude (global).
  sensitivity  test accuracy when ONE layer at a time is pruned by magnitude, without retraining.
  size         weight storage vs sparsity: dense, CSR, Eyeriss RLC and Han's relative-index format,
               16-bit values, every index/pointer/filler bit counted.
  cputime      per-layer CPU time of the pruned layers with dense kernels vs torch.sparse CSR kernels
               (row "network": the whole dense forward vs the sum of the sparse layers)
               (speedup < 1 means sparse is SLOWER; the CSV says so in the column sparse_slower).
"""


def _floats(text: str) -> list[float]:
    try:
        vals = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if not vals or any(not 0.0 <= v <= 1.0 for v in vals):
        raise argparse.ArgumentTypeError(f"sparsities must be in [0, 1], got {text!r}")
    return vals


def _names(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("prune", help="pruning studies on PyTorch models (needs torch)",
                              description="Pruning front end (optional PyTorch extra).")
    sub = p.add_subparsers(dest="prune_command", metavar="SUBCOMMAND")
    p.set_defaults(func=lambda args: _usage(p))
    s = sub.add_parser("study", help="run one pruning study, writing CSV + PNG",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("study", choices=["accuracy", "sensitivity", "size", "cputime"], help="which study")
    s.add_argument("--out", required=True, metavar="DIR", help="directory for <study>.csv and <study>.png")
    s.add_argument("--net", default="lenet5", choices=["lenet5", "seed1", "seed2", "seed3", "seed4"],
                   help="network of models/nets.py (default: lenet5)")
    s.add_argument("--sparsities", type=_floats, metavar="S1,S2,...",
                   help="weight sparsities in [0, 1] (default: per study, e.g. 0.5,0.7,0.8,0.9,0.95,0.98)")
    s.add_argument("--epochs", type=int, default=12, metavar="N", help="epochs to train the dense net (12)")
    s.add_argument("--seed", type=int, default=0, help="seed of the init, the data split and the shuffles (0)")
    g = s.add_argument_group("accuracy study")
    g.add_argument("--methods", type=_names, metavar="M1,M2",
                   help="subset of none,direct,iterative,obd,global (default: none,direct,iterative,obd)")
    g.add_argument("--retrain-epochs", type=int, default=2, metavar="N",
                   help="epochs per iterative round; direct/obd/global retrain N x steps epochs once (2)")
    g.add_argument("--steps", type=int, default=3, metavar="K", help="prune/retrain rounds of iterative (3)")
    g = s.add_argument_group("size study")
    g.add_argument("--value-bits", type=int, default=16, metavar="B",
                   help="bits per stored weight value (16, the accelerators' datapath width)")
    g = s.add_argument_group("cputime study")
    g.add_argument("--batch", type=int, default=64, metavar="N", help="test images per timed forward (64)")
    g.add_argument("--repeats", type=int, default=20, metavar="R", help="timings per kernel, best kept (20)")
    s.set_defaults(func=run_study)


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return 2


def run_study(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("torch") is None:
        print(f"accelsim: error: the pruning studies need PyTorch; {TORCH_MISSING}", file=sys.stderr)
        return 3
    for name in ("epochs", "retrain_epochs", "steps", "batch", "repeats"):
        if getattr(args, name) < (0 if name == "epochs" else 1):
            raise ConfigError(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    from accelsim.prune.studies import run_study as run

    kw: dict[str, Any] = {"net": args.net, "epochs": args.epochs, "seed": args.seed}
    if args.sparsities:
        kw["sparsities"] = args.sparsities
    if args.study == "accuracy":
        kw.update(retrain_epochs=args.retrain_epochs, steps=args.steps)
        if args.methods:
            kw["methods"] = args.methods
    elif args.study == "size":
        kw["value_bits"] = args.value_bits
    elif args.study == "cputime":
        kw.update(batch=args.batch, repeats=args.repeats)
    csv_path, png, rows = run(args.study, args.out, **kw)
    print(f"wrote {csv_path} ({len(rows)} rows) and {png}")
    if args.study == "cputime":
        slower = [r for r in rows if r["sparse_slower"]]
        print(f"torch.sparse was slower than the dense kernels in {len(slower)} of {len(rows)} measurements")
    return 0
