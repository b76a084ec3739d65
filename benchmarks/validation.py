"""Regenerate the numbers of the README's validation table (synthetic traces at published densities).

    python benchmarks/validation.py [--out benchmarks/results/validation.json]

Every trace is seeded; every design runs with its default config (the published parameters), plus the
variants each row needs.  Nothing here is fitted to the published numbers: this script only measures.
Speedups are time ratios, as everywhere in accelsim: baseline ``latency_total_s`` / ``latency_total_s``
(cycles / clock, DRAM waits included); ``cycle_ratio`` keeps the ratio of cycles beside them (the same
number when both designs run at one clock, as Cnvlutin/DaDianNao and UCNN/Eyeriss do).

``shared_basis``: all six designs on two synthetic networks, every one priced by the one shared table
``shared-45nm`` (accelsim/energy/shared.py), the only basis on which energies of different design
families compare; the README's table "All six designs on one energy basis" is generated from it
(``--markdown`` prints it; ``tests/unit/test_validation_table.py`` checks the README holds exactly it).

A few minutes on one core (SCNN and EIE on VGG-16 take most of it); ``--only SECTION,...`` reruns some
sections and keeps the others from the existing output file.  Real-trace and pruning-study rows come from
`accelsim compare traces/*.npz` and `accelsim prune study ...` (see the README).
"""
from __future__ import annotations

import argparse
import json
import os
import time

for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[v] = "1"

from accelsim import runner  # noqa: E402
from accelsim.quantize import quantize_trace  # noqa: E402
from accelsim.trace.synth import synth_trace  # noqa: E402


SPEEDUP = ("time ratio: the baseline's latency_total_s / the design's (cycles / clock, DRAM waits included); "
           "cycle_ratio: baseline cycles / cycles")
SHARED = "shared-45nm"
DESIGNS = ("dadiannao", "cnvlutin", "eyeriss", "ucnn", "eie", "scnn")
SECTIONS = ("cnvlutin", "eyeriss", "ucnn", "shared_basis")


def speedups(trace, archs, baseline, energy=None):
    res = {a: runner.simulate(trace, a, energy=energy) for a in [baseline] + archs}
    b = res[baseline]
    out = {}
    for a in archs:
        r = res[a]
        out[a] = {"speedup": b.total.latency_total_s / r.total.latency_total_s,
                  "cycle_ratio": b.total.cycles / r.total.cycles,
                  "energy_reduction": b.total.energy / r.total.energy,
                  "per_layer_speedup": {x.name: y.latency_total_s / x.latency_total_s
                                        for x, y in zip(r.layers, b.layers)}}
    return out, res


SHARED_NETS = (("alexnet_b4", "AlexNet conv, batch 4", "alexnet", 4, "eyeriss-alexnet"),
               ("vgg16_b1", "VGG-16 conv, batch 1", "vgg16", 1, "han2015"))


def default_table(design: str) -> str:
    from accelsim.accelerators import get
    return str(get(design).config_cls().energy_table)


def shared_basis() -> dict:
    """Every design on each network, priced by the shared table; ratios against DaDianNao and Eyeriss.
    ``published_energy_vs_dadiannao`` is the same ratio with each design on its own paper's table (mixed
    tables: shown for contrast, not a comparison)."""
    out: dict = {"table": SHARED, "speedup": SPEEDUP}
    for key, _, net, batch, act in SHARED_NETS:
        tr = synth_trace(net, batch=batch, seed=0, weight_density="han2015", act_density=act, layers="conv")
        shared = {a: runner.simulate(tr, a, energy=SHARED) for a in DESIGNS}
        own = {a: shared[a] if default_table(a) == SHARED else runner.simulate(tr, a) for a in DESIGNS}
        d, e = shared["dadiannao"].total, shared["eyeriss"].total
        out[key] = {a: {"clock_mhz": r.total.clock_hz / 1e6,
                        "energy_uj": r.total.energy * 1e-6,
                        "energy_vs_dadiannao": r.total.energy / d.energy,
                        "energy_vs_eyeriss": r.total.energy / e.energy,
                        "speedup_vs_dadiannao": d.latency_total_s / r.total.latency_total_s,
                        "cycle_ratio_vs_dadiannao": d.cycles / r.total.cycles,
                        "energy_by_category_share": {k: v / r.total.energy for k, v in
                                                     r.total.energy_by_category.items() if v},
                        "published_table": own[a].energy_table,
                        "published_energy_vs_dadiannao": own[a].total.energy / own["dadiannao"].total.energy}
                    for a, r in shared.items()}
        print(f"  {key}: energy / DaDianNao's on {SHARED}: "
              + ", ".join(f"{a} {v['energy_vs_dadiannao']:.3f}" for a, v in out[key].items()), flush=True)
    return out


def shared_table_markdown(res: dict) -> str:
    """The README's table "All six designs on one energy basis", from validation.json's shared_basis."""
    sb = res["shared_basis"]
    head = ("| network | quantity | " + " | ".join(_NAMES[a] for a in DESIGNS) + " |\n"
            + "| --- | --- |" + " --- |" * len(DESIGNS))
    lines = [head]
    for key, label, *_ in SHARED_NETS:
        r = sb[key]
        lines.append(f"| {label} | energy / DaDianNao's, `{SHARED}` | "
                     + " | ".join(f"{r[a]['energy_vs_dadiannao']:.3f}" for a in DESIGNS) + " |")
        lines.append(f"| | energy / Eyeriss's, `{SHARED}` | "
                     + " | ".join(f"{r[a]['energy_vs_eyeriss']:.2f}" for a in DESIGNS) + " |")
        lines.append(f"| | energy per batch (uJ), `{SHARED}` | "
                     + " | ".join(f"{r[a]['energy_uj']:.0f}" for a in DESIGNS) + " |")
        lines.append("| | speedup over DaDianNao (time ratio; clock MHz) | "
                     + " | ".join(f"{_x(r[a]['speedup_vs_dadiannao'])} ({r[a]['clock_mhz']:g})" for a in DESIGNS)
                     + " |")
        lines.append("| | energy / DaDianNao's, each on its published table (mixed: not a comparison) | "
                     + " | ".join(f"{r[a]['published_energy_vs_dadiannao']:.3f}" for a in DESIGNS) + " |")
    return "\n".join(lines) + "\n"


def _x(v: float) -> str:
    return f"{v:.2f}x" if v >= 0.1 else f"{v:.3f}x"


_NAMES = {"dadiannao": "DaDianNao", "cnvlutin": "Cnvlutin", "eyeriss": "Eyeriss", "ucnn": "UCNN", "eie": "EIE",
          "scnn": "SCNN"}


def pe_energy(r):
    return sum(lr.energy_by_category.get("ALU", 0) + lr.energy_by_category.get("RF", 0) for lr in r.layers)


def eyeriss_rows(trace, label):
    out = {}
    for variant in ("eyeriss", "eyeriss:mapping_search=false"):
        r = runner.simulate(trace, variant)
        nog = runner.simulate(trace, variant + ":gating=false")
        norlc = runner.simulate(trace, variant + ":rlc=false")
        n = trace.layers[0].spec.N
        out[variant] = {
            "fps": n / r.total.latency_total_s, "processing_ms": r.total.latency_processing_s * 1e3,
            "total_ms": r.total.latency_total_s * 1e3,
            "dram_mb_per_batch": (r.total.dram_read_bits + r.total.dram_write_bits) / 8e6,
            "dram_mb_per_batch_no_rlc": (norlc.total.dram_read_bits + norlc.total.dram_write_bits) / 8e6,
            "rlc_reduction_per_layer": {lr.name: (a.dram_read_bits + a.dram_write_bits) /
                                        max(1, lr.dram_read_bits + lr.dram_write_bits)
                                        for lr, a in zip(r.layers, norlc.layers)},
            "gating_pe_energy_saving": 1 - pe_energy(r) / pe_energy(nog),
            "mapping": {lr.name: {k: lr.extra["mapping"].get(k) for k in ("pe_set", "segments", "t", "r", "u")}
                        for lr in r.layers},
            "onchip_power_w": sum(v for k, v in r.total.energy_by_category.items() if k != "DRAM") * 1e-12
            / r.total.latency_total_s,
            "macs_per_layer": {lr.name: lr.macs_dense for lr in r.layers},
        }
        print(f"  {label} {variant}: {out[variant]['fps']:.2f} fps, DRAM {out[variant]['dram_mb_per_batch']:.1f} MB"
              f" (no RLC {out[variant]['dram_mb_per_batch_no_rlc']:.1f}), gating saves "
              f"{out[variant]['gating_pe_energy_saving']:.1%} PE energy", flush=True)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="benchmarks/results/validation.json")
    p.add_argument("--only", metavar="SECTION,...",
                   help=f"run only these sections ({', '.join(SECTIONS)}); the others are kept from --out")
    p.add_argument("--markdown", action="store_true",
                   help="print the README's shared-basis table from --out and exit (nothing is simulated)")
    a = p.parse_args(argv)
    if a.markdown:
        with open(a.out) as fh:
            print(shared_table_markdown(json.load(fh)), end="")
        return 0
    only = set(a.only.split(",")) if a.only else set(SECTIONS)
    if only - set(SECTIONS):
        p.error(f"--only: unknown section(s) {', '.join(sorted(only - set(SECTIONS)))}")
    t0 = time.time()
    res: dict = {}
    if a.only and os.path.exists(a.out):
        with open(a.out) as fh:
            res = json.load(fh)
    res["speedup"] = SPEEDUP
    if only & {"cnvlutin", "eyeriss"}:
        alex = synth_trace("alexnet", batch=4, seed=0, act_density="eyeriss-alexnet", layers="conv")
        vgg = synth_trace("vgg16", batch=3, seed=0, act_density="han2015", layers="conv")
    if "cnvlutin" in only:
        res["cnvlutin"] = cnvlutin_rows(alex, vgg)
    if "eyeriss" in only:
        print("Eyeriss", flush=True)
        res["eyeriss"] = {"alexnet_b4": eyeriss_rows(alex, "AlexNet b4"), "vgg16_b3": eyeriss_rows(vgg, "VGG-16 b3")}
    if "ucnn" in only:
        res["ucnn"] = ucnn_rows()
    if "shared_basis" in only:
        print(f"All six designs on one energy basis ({SHARED})", flush=True)
        res["shared_basis"] = shared_basis()
        print(shared_table_markdown(res), end="")
    res["seconds"] = time.time() - t0
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    with open(a.out, "w") as fh:
        json.dump(res, fh, indent=1)
    print(f"wrote {a.out} in {res['seconds']:.0f} s")
    return 0


def cnvlutin_rows(alex, vgg) -> dict:
    print("Cnvlutin vs DaDianNao", flush=True)
    res: dict = {"cnvlutin": {}}
    for name, tr in (("alexnet_eyeriss", alex), ("vgg16_han2015", vgg),
                     ("alexnet_eyeriss_clustered", synth_trace("alexnet", batch=4, seed=0, act_density="eyeriss-alexnet",
                                                               layers="conv", act_pattern="clustered")),
                     ("alexnet_44", synth_trace("alexnet", batch=4, seed=0, act_density="cnvlutin44", layers="conv")),
                     ("vgg16_44", synth_trace("vgg16", batch=3, seed=0, act_density="cnvlutin44", layers="conv"))):
        out, _ = speedups(tr, ["cnvlutin", "cnvlutin:gate_idle_lanes=false"], "dadiannao")
        res["cnvlutin"][name] = out["cnvlutin"]
        res["cnvlutin"][name]["energy_reduction_ungated_lanes"] = \
            out["cnvlutin:gate_idle_lanes=false"]["energy_reduction"]
        print(f"  {name}: speedup {out['cnvlutin']['speedup']:.3f}, energy reduction "
              f"{out['cnvlutin']['energy_reduction']:.2f} (lanes not gated: "
              f"{out['cnvlutin:gate_idle_lanes=false']['energy_reduction']:.2f})", flush=True)
    print("Cnvlutin vs DaDianNao on the paper's other networks (batch 1, 44% zero inputs)", flush=True)
    for net in ("vgg19", "nin", "googlenet", "cnn_m", "cnn_s", "resnet50"):
        tr = synth_trace(net, batch=1, seed=0, act_density="cnvlutin44", layers="conv")
        out, runs = speedups(tr, ["cnvlutin"], "dadiannao")
        first = tr.layers[0].name
        d, c = runs["dadiannao"], runs["cnvlutin"]
        rest = (sum(x.latency_total_s for x in d.layers[1:]) / sum(x.latency_total_s for x in c.layers[1:]))
        res["cnvlutin"][f"{net}_44"] = {**out["cnvlutin"], "speedup_without_first_layer": rest,
                                        "first_layer_share_of_dadiannao": d.layers[0].cycles / d.total.cycles}
        print(f"  {net}: speedup {out['cnvlutin']['speedup']:.3f} (without {first}: {rest:.3f}; {first} is "
              f"{d.layers[0].cycles / d.total.cycles:.0%} of DaDianNao's cycles)", flush=True)
    return res["cnvlutin"]


def ucnn_rows() -> dict:
    res: dict = {}
    print("UCNN vs Eyeriss (AlexNet conv, batch 1, Han weights)", flush=True)
    base = synth_trace("alexnet", batch=1, seed=0, weight_density="han2015", act_density="eyeriss-alexnet",
                       layers="conv")
    res["ucnn"] = {}
    for scheme, bits in (("inq", 5), ("ttq", 2), ("uniform", 8), (None, None)):
        q = quantize_trace(base, scheme, bits) if scheme else base
        ucnn = [f"ucnn:group_size={g}" for g in (1, 2, 4)]
        out, runs = speedups(q, ucnn + ["eyeriss:rlc=false:gating=false"], "eyeriss")
        key = f"{scheme}{bits}" if scheme else "unquantized"
        res["ucnn"][key] = {a: {"energy_gain": out[a]["energy_reduction"], "speedup": out[a]["speedup"],
                                "multiplies": runs[a].total.macs_executed} for a in out}
        print(f"  {key}: energy gain G=1/2/4 " + " / ".join(f"{out[a]['energy_reduction']:.2f}" for a in ucnn)
              + "; multiplies " + " / ".join(f"{runs[a].total.macs_executed / 1e6:.1f}M" for a in ucnn), flush=True)
    print("UCNN vs Eyeriss on ResNet-50 conv (batch 1, weight density 0.35, 44% zero inputs), G = 1", flush=True)
    r50 = synth_trace("resnet50", batch=1, seed=0, weight_density=0.35, act_density="cnvlutin44", layers="conv")
    for scheme, bits in (("inq", 5), ("ttq", 2)):
        out, _ = speedups(quantize_trace(r50, scheme, bits), ["ucnn"], "eyeriss")
        res["ucnn"][f"resnet50_{scheme}{bits}"] = {"energy_gain": out["ucnn"]["energy_reduction"],
                                                  "speedup": out["ucnn"]["speedup"]}
        print(f"  {scheme}{bits}: energy gain {out['ucnn']['energy_reduction']:.2f}, speedup "
              f"{out['ucnn']['speedup']:.2f}", flush=True)
    return res["ucnn"]


if __name__ == "__main__":
    raise SystemExit(main())
