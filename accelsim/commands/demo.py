"""``accelsim demo``: the main job end to end on the traces shipped in traces/ plus a synthetic AlexNet.

1. load every shipped trace (real pruned LeNet-family networks, see traces/README.md) and synthesize
   AlexNet conv1-5 at batch 4 with Eyeriss's measured activation densities (seeded, labelled synthetic);
2. inspect them and measure how each format compresses their input activations (compression.csv);
3. simulate every registered design (and Cnvlutin with near-zero pruning at 10% of each layer's max
   input) on every trace and compare them with DaDianNao as the baseline (compare.csv / compare.json,
   runs/*.json);
4. UCNN: quantize a synthetic AlexNet (batch 1) with INQ, TTQ and uniform 8-bit weights and run the
   Eyeriss baseline, a dense Eyeriss and UCNN with G = 1, 2, 4 (ucnn/compare.csv, baseline eyeriss);
5. copy the saved pruning-study results (studies/*.csv: accuracy vs pruning, sensitivity, model size,
   CPU time, near-zero threshold accuracy vs speedup, dynamic pruning level), made with PyTorch by
   `accelsim prune study NAME`, so their figures are drawn too (no torch needed here);
6. draw every figure from the saved results (figures/*.png|pdf).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"   # package data: installed with accelsim
DEFAULT_TRACES = DATA / "traces"
DEFAULT_STUDIES = DATA / "studies"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the whole job on the shipped traces (results + figures)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="demo_out", metavar="DIR", help="output folder (default demo_out)")
    p.add_argument("--traces", default=str(DEFAULT_TRACES), metavar="DIR",
                   help="folder of .npz traces to run (default: the real traces shipped with accelsim, "
                        "accelsim/data/traces; traces/ in a checkout)")
    p.add_argument("--arch", metavar="A,B", help="designs to run (default: every registered design)")
    p.add_argument("--baseline", default="dadiannao", metavar="A", help="baseline design (default dadiannao)")
    p.add_argument("--studies", default=str(DEFAULT_STUDIES), metavar="DIR",
                   help="folder of saved pruning-study CSVs (made by `accelsim prune study NAME --out DIR`) to "
                        "draw with the other figures (default: the saved studies shipped with accelsim, "
                        "accelsim/data/studies; studies/ in a checkout)")
    p.add_argument("--no-synthetic", action="store_true", help="skip the synthetic AlexNet trace")
    p.add_argument("--quiet", action="store_true", help="no progress or tables; one line saying where the results went")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from accelsim import comparison, runner
    from accelsim.accelerators import available
    from accelsim.errors import ConfigError
    from accelsim.progress import progress_iter
    from accelsim.report.compression import FIELDS, compression_rows
    from accelsim.report.make import make_all_figures
    from accelsim.results import run_file_stem, to_csv, write_text_atomic
    from accelsim.trace import load_trace, save_trace
    from accelsim.trace.synth import synth_trace

    t0 = time.monotonic()
    out = Path(args.out)
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    show = not args.quiet
    paths = sorted(Path(args.traces).glob("*.npz")) if Path(args.traces).is_dir() else []
    if not paths:
        print(f"accelsim demo: no traces found in {args.traces} (an install without accelsim's package data?); "
              f"reinstall from a full checkout (pip install .) or pass --traces DIR", file=sys.stderr)
    traces = [load_trace(p) for p in paths]
    if not args.no_synthetic:
        syn = synth_trace("alexnet", batch=4, seed=0, weight_density="han2015", act_density="eyeriss-alexnet",
                          layers="conv")
        syn_path = save_trace(syn, out / "traces" / "alexnet_conv_b4_synthetic.npz")
        syn.path = str(syn_path)
        traces.append(syn)
    if not traces:
        raise ConfigError(f"no traces in {args.traces} and --no-synthetic given: nothing to run")
    say(f"accelsim demo: {len(traces)} trace(s): " + ", ".join(Path(t.path).stem for t in traces))

    comp = []
    for t in progress_iter(traces, "compression", enabled=show):
        comp += compression_rows(t)
    write_text_atomic(to_csv(comp, FIELDS), out / "compression.csv")

    default = available() + (["cnvlutin:threshold_rel=0.1"] if "cnvlutin" in available() else [])
    specs = runner.parse_arch_list(args.arch or ",".join(default))
    if args.baseline not in [s.label for s in specs]:
        raise ConfigError(f"--baseline {args.baseline!r} is not among the designs {[s.label for s in specs]}")
    results = []
    jobs = [(t, s) for t in traces for s in specs]
    for t, s in progress_iter(jobs, "simulate", enabled=show):
        res = runner.simulate(t, s)
        results.append(res)
        res.write_json(out / "runs" / f"{run_file_stem(t.path, s.label)}.json")
    rows = comparison.compare_rows(results, args.baseline)
    comparison.write_compare(rows, out)
    _summary(say, comparison.geomean_rows(rows), f"all {len(traces)} traces", args.baseline)
    available_now = available()
    if "ucnn" in available_now and "eyeriss" in available_now and not args.no_synthetic and not args.arch:
        from accelsim.quantize import quantize_trace
        base = synth_trace("alexnet", batch=1, seed=0, weight_density="han2015", act_density="eyeriss-alexnet",
                           layers="conv")
        qtraces = []
        for scheme, bits in (("inq", 5), ("ttq", 2), ("uniform", 8)):
            q = quantize_trace(base, scheme, bits)
            q.path = str(save_trace(q, out / "traces" / f"alexnet_conv_b1_{scheme}{bits}_synthetic.npz"))
            qtraces.append(q)
        uspecs = runner.parse_arch_list("eyeriss,eyeriss:rlc=false:gating=false,ucnn:group_size=1,"
                                        "ucnn:group_size=2,ucnn:group_size=4")
        ures = []
        for t, s in progress_iter([(t, s) for t in qtraces for s in uspecs], "ucnn study", enabled=show):
            res = runner.simulate(t, s)
            ures.append(res)
            res.write_json(out / "ucnn" / "runs" / f"{run_file_stem(t.path, s.label)}.json")
        urows = comparison.compare_rows(ures, "eyeriss")
        comparison.write_compare(urows, out / "ucnn")
        say("\nUCNN vs the Eyeriss baseline (quantized synthetic AlexNet conv, batch 1; ucnn/compare.csv):")
        say(comparison.format_table(urows, per_layer=False))
    studies = sorted(Path(args.studies).glob("*.csv")) if Path(args.studies).is_dir() else []
    if not studies:
        print(f"accelsim demo: no saved pruning studies found in {args.studies}; their figures are skipped "
              f"(make them with `accelsim prune study NAME --out DIR`, then pass --studies DIR)", file=sys.stderr)
    if studies:
        import shutil
        (out / "studies").mkdir(parents=True, exist_ok=True)
        for f in studies:
            shutil.copyfile(f, out / "studies" / f.name)
        say(f"\npruning studies (saved, made with PyTorch): {', '.join(f.stem for f in studies)}")
    figs = make_all_figures(out, out / "figures")
    if args.quiet:   # even quiet, say where the results went
        print(f"accelsim demo: results in {out} ({len(results)} runs, {len(figs)} figure files in "
              f"{out / 'figures'})", flush=True)
    say(f"\nresults: {out / 'compare.csv'}, {out / 'compare.json'}, {out / 'compression.csv'}, "
        f"{out / 'runs'}/*.json\nfigures: {len(figs)} files in {out / 'figures'}\n"
        f"done in {time.monotonic() - t0:.1f} s")
    return 0


def _summary(say, summary: list, what: str, baseline: str) -> None:
    say(f"\n{'design':<28} {'speedup (time) over ' + baseline:>22} {'energy reduction':>18}   ({what}, geometric means;"
        " per-trace rows in compare.csv)")
    for g in summary:
        say(f"{g['arch'][:28]:<28} {g['speedup_geomean']:>15.2f}x ({g['speedup_min']:.2f}-{g['speedup_max']:.2f})"
            f" {g['energy_reduction_geomean']:>17.2f}x")
