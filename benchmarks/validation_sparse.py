"""Regenerate the README's EIE and SCNN validation rows and the six-design table on the real traces.

    python benchmarks/validation_sparse.py [--out benchmarks/results/validation_sparse.json] [--quick]

Everything runs with each design's default config (the published parameters) plus the variants a row
needs; nothing here is fitted to a published number.  Synthetic traces are seeded.  A few minutes on one
core (VGG-16 on SCNN with bank conflicts dominates); --quick skips VGG-16 conv.
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import os
import time
from pathlib import Path

for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[v] = "1"

from accelsim import runner  # noqa: E402
from accelsim.trace import load_trace  # noqa: E402
from accelsim.trace.synth import synth_trace  # noqa: E402

# EIE (ISCA 2016) Table III: input-activation density of each FC benchmark layer (weights: Han 2015)
EIE_ACTS = {"alexnet": {"fc6": 0.351, "fc7": 0.353, "fc8": 0.375},
            "vgg16": {"fc6": 0.183, "fc7": 0.375, "fc8": 0.411}}
EIE_FLOP_PCT = {"alexnet": {"fc6": 3, "fc7": 3, "fc8": 10}, "vgg16": {"fc6": 1, "fc7": 2, "fc8": 9}}
SIX = ["dadiannao", "cnvlutin", "eyeriss", "ucnn", "eie", "scnn"]


def geomean(xs):
    xs = [x for x in xs if x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def scnn_rows(quick: bool, only_net: str | None = None) -> dict:
    # GoogLeNet is not in Han et al. 2015: weight density 0.4 and input density 0.5 are assumptions
    nets = [("alexnet", "han2015", "han2015"), ("googlenet", 0.4, 0.5)]
    if not quick:
        nets.append(("vgg16", "han2015", "han2015"))
    if only_net:
        nets = [x for x in nets if x[0] == only_net]
    out = {}
    for net, wd, ad in nets:
        t = synth_trace(net, batch=1, seed=0, weight_density=wd, act_density=ad, layers="conv")
        res = {a: runner.simulate(t, a) for a in ("scnn:dataflow=dense", "scnn:dataflow=dense_opt", "scnn",
                                                   "scnn:bank_conflicts=false")}
        d = res["scnn:dataflow=dense"].total
        row = {"weight_density": wd, "act_density": ad}
        for a, r in res.items():
            row[a] = {"speedup_vs_dcnn": d.latency_total_s / r.total.latency_total_s,
                      "energy_reduction_vs_dcnn": d.energy / r.total.energy,
                      "cycles": r.total.cycles,
                      "bank_conflict_cycles": sum(lr.extra.get("bank_conflict_cycles", 0) for lr in r.layers),
                      "idle_pe_cycles": sum(lr.extra.get("idle_pe_cycles", 0) for lr in r.layers),
                      "pe_busy_cycles": sum(lr.extra.get("pe_busy_cycles", 0) for lr in r.layers),
                      "energy_by_component": r.total.energy_by_component}
        out[net] = row
    for a in ("scnn", "scnn:bank_conflicts=false", "scnn:dataflow=dense_opt"):
        out[f"geomean {a}"] = {k: geomean([out[n][a][k] for n, _, _ in nets])
                                for k in ("speedup_vs_dcnn", "energy_reduction_vs_dcnn")}
    return out


def eie_rows() -> dict:
    out = {}
    for net in ("alexnet", "vgg16"):
        t = synth_trace(net, batch=1, seed=0, weight_density="han2015", act_density=EIE_ACTS[net],
                        layers=["fc6", "fc7", "fc8"])
        dense = runner.simulate(t, "eie:dense=true")
        runs = {q: runner.simulate(t, f"eie:queue_depth={q}") for q in (0, 1, 2, 4, 8, 16, 32)}
        for i, lt in enumerate(t.layers):
            r8 = runs[8].layers[i]
            out[f"{net} {lt.name}"] = {
                "speedup_vs_dense_eie": dense.layers[i].compute_cycles / r8.compute_cycles,
                "speedup_vs_dense_eie_with_dram": dense.layers[i].cycles / r8.cycles,
                "weights_on_chip": r8.extra["weights_on_chip"],
                "ideal_speedup_1_over_flop_fraction": dense.layers[i].macs_dense / r8.macs_executed,
                "paper_flop_pct": EIE_FLOP_PCT[net][lt.name],
                "energy_reduction_vs_dense_eie": dense.layers[i].energy / r8.energy,
                "load_efficiency_by_queue_depth": {q: runs[q].layers[i].extra["load_efficiency"] for q in runs},
                "padding_entries": r8.extra["padding_entries"], "entries": r8.extra["entries_processed"],
                "us_at_800MHz": r8.latency_total_s * 1e6}
    return out


def real_trace_rows() -> dict:
    """Each design on every shipped trace: time and energy of each pruned net relative to its dense net
    on the same design (shared-45nm basis, so designs can also be compared with each other)."""
    paths = sorted(glob.glob("traces/*.npz"))
    res = {}
    for p in paths:
        t = load_trace(p)
        for a in SIX:
            r = runner.simulate(t, a, energy="shared-45nm")
            res[(Path(p).stem, a)] = (r.total.latency_total_s, r.total.energy)
    out = {}
    for (stem, a), (sec, e) in res.items():
        net = stem.split("_")[0]
        base = res.get((f"{net}_dense", a))
        if base is None or stem.endswith("_dense"):
            continue
        out.setdefault(stem, {})[a] = {"time_vs_dense": sec / base[0], "energy_vs_dense": e / base[1]}
    return out


def scnn_breakdown(net: str, act_pattern: str = "iid") -> list[dict]:
    """Where SCNN's speedup over DCNN goes, per conv layer (batch 1, seed 0, the validation densities):
    the bound dense / effectual MACs, the compute-cycle speedup without and with bank conflicts, the
    multipliers' fill in PE-busy cycles (products formed / 16 slots), valid / formed products, the barrier
    efficiency busy / (busy + idle) PE-cycles, the halo share of cycles, DCNN's own multiplier fill, and
    conflict stalls over busy cycles.  The last row is the whole net."""
    wd, ad = dict((n, (w, a)) for n, w, a in [("alexnet", "han2015", "han2015"), ("googlenet", 0.4, 0.5),
                                               ("vgg16", "han2015", "han2015")])[net]
    t = synth_trace(net, batch=1, seed=0, weight_density=wd, act_density=ad, layers="conv", act_pattern=act_pattern)
    d, s, n = (runner.simulate(t, a) for a in ("scnn:dataflow=dense", "scnn", "scnn:bank_conflicts=false"))
    rows, tot = [], {}
    for ld, ls, ln in zip(d.layers, s.layers, n.layers):
        x = dict(ln.extra)
        v = {"dc": ld.compute_cycles, "nc": ln.compute_cycles, "s": ls.compute_cycles, "ex": ln.macs_executed,
             "de": ln.macs_dense, "busy": x["pe_busy_cycles"], "idle": x["idle_pe_cycles"],
             "formed": x["products_formed"], "halo": x["halo_cycles"], "conf": ls.extra["bank_conflict_cycles"],
             "sbusy": ls.extra["pe_busy_cycles"]}
        for k, val in v.items():
            tot[k] = tot.get(k, 0) + val
        rows.append({"layer": ld.name, **v})
    rows.append({"layer": "total", **tot})
    out = []
    for v in rows:
        out.append({"layer": v["layer"], "effectual_fraction": v["ex"] / v["de"], "bound": v["de"] / v["ex"],
                    "speedup_no_conflicts": v["dc"] / v["nc"], "speedup": v["dc"] / v["s"],
                    "mult_fill_busy": v["formed"] / (16 * v["busy"]), "valid_over_formed": v["ex"] / v["formed"],
                    "barrier_efficiency": v["busy"] / (v["busy"] + v["idle"]), "halo_share": v["halo"] / v["nc"],
                    "dcnn_mult_fill": v["de"] / (1024 * v["dc"]), "conflict_over_busy": v["conf"] / v["sbusy"]})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="benchmarks/results/validation_sparse.json")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=["scnn", "eie", "real"], default=None)
    ap.add_argument("--net", default=None, help="SCNN rows for this network only")
    ap.add_argument("--breakdown", action="store_true",
                    help="print where SCNN's speedup over DCNN goes, per layer (with --net; default all three)")
    ap.add_argument("--act-pattern", default="iid", choices=["iid", "clustered"], help="with --breakdown")
    args = ap.parse_args(argv)
    t0 = time.time()
    if args.breakdown:
        for net in [args.net] if args.net else ["alexnet", "googlenet", "vgg16"]:
            print(f"== {net} ({args.act_pattern} activation zeros)")
            rows = scnn_breakdown(net, args.act_pattern)
            print(" ".join(f"{k:>10.10}" for k in rows[0]))
            for r in rows:
                print(" ".join(f"{v:>10.3f}" if isinstance(v, float) else f"{v:>10.10}" for v in r.values()))
        return 0
    out = {}
    if args.only in (None, "eie"):
        out["eie"] = eie_rows()
    if args.only in (None, "real"):
        out["real_traces"] = real_trace_rows()
    if args.only in (None, "scnn"):
        out["scnn"] = scnn_rows(args.quick, args.net)
    out["seconds"] = time.time() - t0
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1, default=str))
    print(json.dumps(out, indent=1, default=str)[:6000])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
