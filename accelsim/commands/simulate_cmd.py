"""``accelsim simulate TRACE --arch NAME``: per-layer cycles, counts, DRAM traffic and energy."""
from __future__ import annotations

import argparse
import sys

from accelsim.commands._common import (add_model_options, energy_from_args, layer_list, overrides_from_args,
                                       print_breakdown, print_result_table)
from accelsim.results import rows, to_csv, write_text_atomic, CSV_FIELDS


def register(sub: argparse._SubParsersAction) -> None:
    from accelsim.accelerators import available
    p = sub.add_parser(
        "simulate", help="simulate one design on a trace",
        description="Simulate one accelerator design on every layer of a trace and print a per-layer "
                    "table with totals. Designs: " + ", ".join(available()) + ". A design may carry "
                    "config overrides: --arch cnvlutin:threshold=0.05.")
    p.add_argument("trace", metavar="TRACE", help="trace file (.npz, format v2 or v1)")
    p.add_argument("--arch", required=True, metavar="NAME",
                   help="design name, optionally with overrides NAME:key=value[:key=value]")
    add_model_options(p)
    p.add_argument("--json", metavar="OUT", help="write every LayerResult field (layers + total) as JSON")
    p.add_argument("--csv", metavar="OUT", help="write the per-layer table as CSV")
    p.add_argument("--breakdown", action="store_true",
                   help="also print each layer's energy by component category (ALU, RF, NoC, GLB, DRAM, ...)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from accelsim import runner
    from accelsim.trace import read_manifest
    from accelsim.trace.format import LayerSpec, coverage, coverage_line
    spec = runner.ArchSpec.parse(args.arch)
    # the file, not a loaded Trace: runner reads it one layer at a time (memory holds one layer)
    res = runner.simulate(args.trace, spec, args.config, energy_from_args(args), overrides_from_args(args),
                          layers=layer_list(args), progress=not args.quiet and sys.stderr.isatty())
    if not args.quiet:
        print_result_table(res)
        man = read_manifest(args.trace)
        specs = [LayerSpec.from_dict(d, where=str(args.trace), version=man["version"]) for d in man["layers"]]
        print(coverage_line(coverage([s.macs_dense for s in specs], man.get("skipped", []),
                                     recorded=man["version"] >= 2)))
        if args.breakdown:
            print_breakdown(res)
    if args.json:
        res.write_json(args.json)
    if args.csv:
        write_text_atomic(to_csv(rows(res), CSV_FIELDS), args.csv)
    return 0
