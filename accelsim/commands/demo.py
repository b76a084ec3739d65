"""``accelsim demo``: the main job end to end on the traces shipped in traces/ plus a synthetic AlexNet.

1. load every shipped trace (real pruned LeNet-family networks, see traces/README.md) and synthesize
   AlexNet conv1-5 at batch 4 with Eyeriss's measured activation densities (seeded, labelled synthetic);
2. inspect them and measure how each format compresses their input activations (compression.csv);
3. simulate every registered design (and Cnvlutin with near-zero pruning at 10% of each layer's max
   input) on every trace and compare them with DaDianNao as the baseline (compare.csv / compare.json,
   runs/*.json), each priced by its own paper's table; then every design again priced by the shared
   table shared-45nm (shared/), the only fair basis for energies across design families.  The headline
   compares like with like: Cnvlutin vs DaDianNao and UCNN vs Eyeriss on their published tables, and
   the cross-family lines (Eyeriss, UCNN vs DaDianNao) on the shared basis; speedups are ratios of times;
4. UCNN: quantize a synthetic AlexNet (batch 1) with INQ, TTQ and uniform 8-bit weights and run the
   Eyeriss baseline, a dense Eyeriss and UCNN with G = 1, 2, 4 (ucnn/compare.csv, baseline eyeriss);
5. EIE and SCNN against their own dense baselines (sparse/): SCNN vs DCNN (``scnn:dataflow=dense``) on a
   few real traces and the synthetic AlexNet, EIE vs dense EIE (``eie:dense=true``) and EIE at activation
   queue depths 0, 2, 4, 8, 16 on the real traces (the SCNN and EIE runs of step 3 are reused);
6. copy the saved pruning-study results (studies/*.csv: accuracy vs pruning, sensitivity, model size,
   CPU time, near-zero threshold accuracy vs speedup, dynamic pruning level), made with PyTorch by
   `accelsim prune study NAME`, so their figures are drawn too (no torch needed here);
7. draw the 16 figures a paper would show (figures/*.png|pdf; accelsim/report/curated.py
   lists them); --all draws every figure instead (one of each kind per trace: about 170 with the shipped
   data, several minutes), as `accelsim figures --results DIR --out DIR` does from the saved results.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

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
    p.add_argument("--energy-basis", choices=("published", "shared"), default="published",
                   help="published (default): each design priced by its own paper's table, plus a second "
                        "run of every design on the shared-45nm table (shared/) for the cross-family lines; "
                        "shared: price every run by shared-45nm only")
    p.add_argument("--all", action="store_true", dest="all_figures",
                   help="draw every figure (one of each kind per trace and study, about 170; several minutes) "
                        "instead of the short set a paper would show")
    p.add_argument("--quiet", action="store_true", help="no progress or tables; one line saying where the results went")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from accelsim import comparison, runner
    from accelsim.accelerators import available
    from accelsim.errors import ConfigError
    from accelsim.progress import progress_iter
    from accelsim.report.compression import FIELDS, compression_rows
    from accelsim.report.curated import make_demo_figures
    from accelsim.report.make import make_all_figures
    from accelsim.results import run_file_stem, to_csv, write_text_atomic
    from accelsim.trace import load_trace, save_trace
    from accelsim.trace.synth import synth_trace

    t0 = time.monotonic()
    out = Path(args.out)
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    show = not args.quiet and sys.stderr.isatty()  # a progress bar only on a terminal (stderr stays one line)
    paths = sorted(Path(args.traces).glob("*.npz")) if Path(args.traces).is_dir() else []
    if not paths and not args.no_synthetic:  # a notice (printed after the run), never before an error line
        import warnings
        warnings.warn(f"demo: no traces found in {args.traces} (an install without accelsim's package data?); "
                      f"reinstall from a full checkout (pip install .) or pass --traces DIR", stacklevel=1)
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
    shared_only = args.energy_basis == "shared"
    main_energy = SHARED if shared_only else None
    results = []
    jobs = [(t, s) for t in traces for s in specs]
    for t, s in progress_iter(jobs, "simulate", enabled=show):
        res = runner.simulate(t, s, energy=main_energy)
        results.append(res)
        res.write_json(out / "runs" / f"{run_file_stem(t.path, s.label)}.json")
    rows = comparison.compare_rows(results, args.baseline)
    comparison.write_compare(rows, out)
    fams = families(specs)
    cross = [s for s in specs if family_of(s) != family_of(_spec(specs, args.baseline))]
    shared_rows = rows if shared_only else []
    if cross and not shared_only:
        # across design families only one price table is fair: every design again, on the shared basis
        shared_results = []
        priced = dict(zip(((id(t), s.label) for t, s in jobs), results))
        for t, s in progress_iter(jobs, "simulate (shared energy basis)", enabled=show):
            res = priced[(id(t), s.label)]
            if res.energy_table != SHARED:  # designs priced by the shared table already (SCNN) are not rerun
                res = runner.simulate(t, s, energy=SHARED)
            shared_results.append(res)
            res.write_json(out / "shared" / "runs" / f"{run_file_stem(t.path, s.label)}.json")
        shared_rows = comparison.compare_rows(shared_results, args.baseline)
        comparison.write_compare(shared_rows, out / "shared")
    _headline(say, results, rows, shared_rows, fams, args.baseline, len(traces), shared_only)
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
            res = runner.simulate(t, s, energy=main_energy)
            ures.append(res)
            res.write_json(out / "ucnn" / "runs" / f"{run_file_stem(t.path, s.label)}.json")
        urows = comparison.compare_rows(ures, "eyeriss")
        comparison.write_compare(urows, out / "ucnn")
        say("\nUCNN vs the Eyeriss baseline (quantized synthetic AlexNet conv, batch 1; ucnn/compare.csv):")
        say(comparison.format_table(urows, per_layer=False))
    if not args.arch and {"scnn", "eie"} <= set(available_now):
        _sparse_study(say, show, traces, results, out, main_energy)
    studies = sorted(Path(args.studies).glob("*.csv")) if Path(args.studies).is_dir() else []
    if not studies:
        print(f"accelsim demo: no saved pruning studies found in {args.studies}; their figures are skipped "
              f"(make them with `accelsim prune study NAME --out DIR`, then pass --studies DIR)", file=sys.stderr)
    if studies:
        from accelsim import atomic
        (out / "studies").mkdir(parents=True, exist_ok=True)
        for f in studies:
            atomic.write_bytes(out / "studies" / f.name, f.read_bytes())
        say(f"\npruning studies (saved, made with PyTorch): {', '.join(f.stem for f in studies)}")
    figs = (make_all_figures if args.all_figures else make_demo_figures)(out, out / "figures")
    pngs = [p for p in figs if p.suffix == ".png"]
    if args.quiet:   # even quiet, say where the results went
        print(f"accelsim demo: results in {out} ({len(results)} runs, {len(pngs)} figures as PNG and PDF in "
              f"{out / 'figures'})", flush=True)
    say(f"\nresults in {out}/: compare.csv and compare.json (every design vs {args.baseline}), "
        f"compression.csv, runs/*.json (one per trace and design)"
        + ("" if shared_only or not cross else ", shared/ (every design on the shared energy table)")
        + (", ucnn/ (the UCNN study)" if (out / "ucnn").is_dir() else "")
        + (", sparse/ (EIE and SCNN vs their dense baselines)" if (out / "sparse").is_dir() else "")
        + (", studies/ (saved pruning studies)" if studies else ""))
    say(f"figures: {len(pngs)} figures (PNG + PDF) in {out / 'figures'}:")
    for p in pngs:
        say(f"  {p.relative_to(out / 'figures')}")
    if not args.all_figures:
        say(f"every figure (one of each kind per trace, about 170): accelsim figures --results {out} "
            f"--out {out / 'figures_all'}  (or accelsim demo --all)")
    say(f"done in {time.monotonic() - t0:.1f} s")
    return 0


SHARED = "shared-45nm"
SPARSE_TRACES = ("lenet5_dense", "lenet5_magnitude90", "seed3_iterative90")  # real traces of the sparse/ study
EIE_DEPTHS = (0, 2, 4, 16)  # besides the default 8 (run in step 3)


def _sparse_study(say: Any, show: bool, traces: list, results: list, out: Path, energy: str | None) -> None:
    """SCNN vs DCNN and EIE vs dense EIE / queue depth (sparse/runs): the figures scnn_vs_dcnn and
    eie_speedup_queue.  Runs of step 3 (same design, trace and table) are written again, not re-simulated."""
    from accelsim import runner
    from accelsim.progress import progress_iter
    from accelsim.results import run_file_stem
    synth = [t for t in traces if getattr(t, "synthetic", False)]
    real = [t for t in traces if Path(str(t.path)).stem in SPARSE_TRACES]
    real = real or [t for t in traces if t not in synth][:2]  # other traces given: the first two
    jobs = [(t, "scnn:dataflow=dense") for t in real + synth] + [(t, "eie:dense=true") for t in real]
    jobs += [(t, f"eie:queue_depth={d}") for t in real for d in EIE_DEPTHS]
    reuse = [(t, a) for t in real + synth for a in ("scnn",)] + [(t, "eie") for t in real]
    for t, a in reuse:
        r = next((r for r in results if r.arch == a and r.trace == t.path), None)
        if r is not None:
            r.write_json(out / "sparse" / "runs" / f"{run_file_stem(t.path, a)}.json")
    runs = [r for t, a in reuse for r in results if r.arch == a and r.trace == t.path]
    for t, a in progress_iter(jobs, "EIE / SCNN dense baselines", enabled=show):
        r = runner.simulate(t, a, energy=energy)
        r.write_json(out / "sparse" / "runs" / f"{run_file_stem(t.path, a)}.json")
        runs.append(r)
    from accelsim import comparison
    say(f"\nEIE and SCNN vs their own dense baselines (same PEs, clock and table; sparse/runs, figures "
        "scnn_vs_dcnn, eie_speedup_queue):")
    for design, base in (("scnn", "scnn:dataflow=dense"), ("eie", "eie:dense=true")):
        sub = [r for r in runs if r.arch in (design, base)]
        if {r.arch for r in sub} == {design, base}:
            keys = {r.trace for r in sub if r.arch == base}
            for g in comparison.geomean_rows(comparison.compare_rows([r for r in sub if r.trace in keys], base)):
                if g["arch"] == design:
                    _line(say, g, base)




def _spec(specs: list, label: str) -> Any:
    return next(s for s in specs if s.label == label)


def family_of(spec: Any) -> str:
    """A design family = the designs priced by one published table (DaDianNao + Cnvlutin, Eyeriss + UCNN)."""
    from accelsim.accelerators import get
    return str(getattr(get(spec.name).config_cls(), "energy_table", spec.name))


def families(specs: list) -> dict[str, list]:
    out: dict[str, list] = {}
    for s in specs:
        out.setdefault(family_of(s), []).append(s)
    return out


FAMILY_BASELINES = ("dadiannao", "eyeriss")  # each paper's own baseline, for its family's line


def _family_baseline(members: list, preferred: str) -> str:
    labels = [s.label for s in members]
    for b in (preferred,) + FAMILY_BASELINES:
        if b in labels:
            return b
    plain = [s.label for s in members if s.label == s.name]
    return (plain or labels)[0]


def _line(say: Any, g: dict, baseline: str) -> None:
    from accelsim.comparison import is_mixed, mhz
    clocks = (f"both {mhz(g['clock_hz'])}" if g["clock_hz"] == g["baseline_clock_hz"]
              else f"{mhz(g['clock_hz'])} vs {mhz(g['baseline_clock_hz'])}")
    basis = g["energy_basis"]
    basis = f"MIXED tables {basis[6:]}" if is_mixed(basis) else f"table {basis}"
    rng = f"({g['speedup_min']:.2f}-{g['speedup_max']:.2f})"
    say(f"  {g['arch'][:28]:<28} {baseline:<10} {g['speedup_geomean']:>7.2f}x {rng:<13} {clocks:<20} "
        f"{g['energy_reduction_geomean']:>8.2f}x  {basis}")


def _headline(say: Any, results: list, rows: list, shared_rows: list, fams: dict, baseline: str, n: int,
              shared_only: bool) -> None:
    from accelsim import comparison
    say(f"\nHeadline: geometric means over {n} trace(s); speedup = ratio of times (latency with DRAM), "
        "energy reduction = baseline energy / energy; per-trace rows in compare.csv")
    say(f"  {'design':<28} {'baseline':<10} {'speedup':>8} {'(min-max)':<13} {'clocks':<20} {'energy':>9}  "
        "energy basis")
    say("like with like: each design against its own family's baseline, priced by "
        + ("the shared table" if shared_only else "its family's published table (reproduces each paper)"))
    for fam, members in fams.items():
        fb = _family_baseline(members, baseline)
        labels = {s.label for s in members}
        sub = [r for r in results if r.arch in labels]
        if len(labels) < 2:
            continue
        for g in comparison.geomean_rows(comparison.compare_rows(sub, fb)):
            if g["arch"] != fb:
                _line(say, g, fb)
    cross = [g for g in comparison.geomean_rows(shared_rows)
             if g["arch"] != baseline and family_of_label(g["arch"], fams) != family_of_label(baseline, fams)]
    if cross:
        say(f"across families: every design priced by the shared table {SHARED} (one source, one set of rules; "
            + ("" if shared_only else "shared/compare.csv; ") + "absolute joules are estimates)")
        for g in cross:
            _line(say, g, baseline)


def family_of_label(label: str, fams: dict) -> str:
    return next(f for f, members in fams.items() if label in {s.label for s in members})
