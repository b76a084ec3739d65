"""``accelsim figures --results DIR --out DIR``: every figure, regenerated from saved results only."""
from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("figures", help="regenerate every figure from a results folder",
                       description="Draw every figure (PNG and PDF) from a results folder written by "
                                   "`accelsim compare --out`, `accelsim demo` or `accelsim sweep`: speedup "
                                   "and energy per network, speedup per layer, energy by component, MAC "
                                   "classes, Eyeriss DRAM traffic with and without RLC, compression vs the "
                                   "entropy bound, UCNN vs unique weights, SCNN vs DCNN and EIE vs dense EIE, "
                                   "and the pruning studies' figures of any <study>.csv in the folder. One "
                                   "figure of each kind per trace: the demo's own figures are the short set "
                                   "of these. Nothing is simulated.")
    p.add_argument("--results", required=True, metavar="DIR", help="results folder (runs/*.json, compare.csv, ...)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the figures")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from accelsim.report.make import make_all_figures
    paths = make_all_figures(args.results, args.out)
    print(f"wrote {len(paths)} files into {args.out}")
    return 0
