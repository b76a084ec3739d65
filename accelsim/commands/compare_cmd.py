"""``accelsim compare TRACE... --arch A,B --baseline A``: speedup and energy ratios, CSV and JSON."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from accelsim.commands._common import add_model_options, energy_from_args, layer_list, overrides_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare", help="compare designs (and variants) against a baseline",
        description="Simulate several designs on one or more traces; report per-layer and per-network "
                    "speedup (baseline time / time, clocks included; the cycle ratio is its own column), energy ratio "
                    "(energy / baseline energy, each side's price table named), and "
                    "the geometric mean over networks. Variants carry overrides: "
                    "--arch dadiannao,cnvlutin,cnvlutin:threshold=0.05 --baseline dadiannao.")
    p.add_argument("traces", nargs="+", metavar="TRACE", help="trace files (.npz)")
    p.add_argument("--arch", required=True, metavar="A,B,...", help="comma-separated designs or variants")
    p.add_argument("--baseline", required=True, metavar="A", help="the design the others are compared to")
    add_model_options(p)
    p.add_argument("--out", metavar="DIR", help="write compare.csv, compare.json, compare_summary.csv and every "
                                                "run's full result (runs/*.json, for `accelsim figures`)")
    p.add_argument("--per-layer", action="store_true", help="print per-layer rows, not only network totals")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from accelsim import comparison, runner
    from accelsim.errors import ConfigError
    from accelsim.results import run_file_stem
    from accelsim.trace import load_trace
    from accelsim.trace.format import coverage_line
    specs = runner.parse_arch_list(args.arch)
    labels = [s.label for s in specs]
    if args.baseline not in labels:
        raise ConfigError(f"--baseline {args.baseline!r} is not one of --arch {labels}")
    over = overrides_from_args(args)
    if args.config and len(specs) > 1:
        raise ConfigError("--config FILE configures one design; with several, give each its overrides as "
                          "NAME:key=value in --arch (or use --set for keys several designs share)")
    fields = {s.label: runner.get(s.name).config_cls.__dataclass_fields__ for s in specs}
    unused = [k for k in over if not any(k in f for f in fields.values())]
    if unused:
        raise ConfigError(f"option(s) {', '.join(unused)} apply to none of the designs {labels}")
    results = []
    partial = []
    show = not args.quiet and sys.stderr.isatty()
    for t in args.traces:
        trace = load_trace(t)
        cov = trace.coverage()
        if cov["fraction"] is None or cov["fraction"] < 1.0 or cov["skipped_without_macs"]:
            partial.append(f"note: {t}: {coverage_line(cov)}; network rows and geomeans count the traced layers only")
        for s in specs:
            # a generic option (--threshold, --set k=v, ...) applies to the designs that have the key
            res = runner.simulate(trace, s, args.config, energy_from_args(args),
                                  {k: v for k, v in over.items() if k in fields[s.label]}, layers=layer_list(args),
                                  progress=show)
            results.append(res)
            if args.out:
                res.write_json(Path(args.out) / "runs" / f"{run_file_stem(t, s.label)}.json")
    rows = comparison.compare_rows(results, args.baseline)
    if not args.quiet:
        print(comparison.format_table(rows, per_layer=args.per_layer))
        for g in comparison.geomean_rows(rows):
            print(comparison.format_summary_line(g))
        for line in partial:
            print(line)
    if args.out:
        paths = comparison.write_compare(rows, args.out)
        if not args.quiet:
            print(f"wrote {paths['csv']}, {paths['json']}, {paths['summary_csv']}")
    return 0
