"""Comparing designs: speedup and energy of each design against a baseline, per layer and per network.

Definitions (named the same in every CSV/JSON column):
* ``speedup`` = baseline cycles / design cycles (>1: the design is faster);
* ``energy_ratio`` = design energy / baseline energy (<1: the design spends less);
* ``energy_reduction`` = baseline energy / design energy (the "x better" of papers);
* per-network rows (``layer`` = "total") use the sums over layers (layers run one after another);
* ``geomean`` rows average the per-network ratios geometrically, as the Cnvlutin paper averages networks.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from accelsim.errors import ConfigError
from accelsim.results import NetworkResult, to_csv, write_json_atomic, write_text_atomic

COMPARE_FIELDS = ("network", "trace", "synthetic", "layer", "arch", "baseline", "cycles", "baseline_cycles",
                  "speedup", "energy", "baseline_energy", "energy_unit", "energy_ratio", "energy_reduction",
                  "macs_dense", "macs_executed", "macs_gated", "macs_skipped", "macs_reused",
                  "dram_read_bits", "dram_write_bits", "utilization")


def compare_rows(results: list[NetworkResult], baseline: str) -> list[dict[str, Any]]:
    """Rows for every (network, layer, design) of ``results`` (grouped by trace) against ``baseline``."""
    by_trace: dict[str, dict[str, NetworkResult]] = {}
    for r in results:
        by_trace.setdefault(r.trace or r.network, {})[r.arch] = r
    out: list[dict[str, Any]] = []
    for key, runs in by_trace.items():
        if baseline not in runs:
            raise ConfigError(f"baseline {baseline!r} was not simulated on {key}")
        base = runs[baseline]
        units = {r.layers[0].energy_unit for r in runs.values() if r.layers}
        if len(units) > 1:
            raise ConfigError(f"energy tables of different units {sorted(units)} cannot be compared")
        bl = {lr.name: lr for lr in base.layers}
        bl["total"] = base.total
        for arch, r in runs.items():
            for lr in r.layers + [r.total]:
                b = bl[lr.name]
                out.append({
                    "network": r.network, "trace": key, "synthetic": r.synthetic, "layer": lr.name,
                    "arch": arch, "baseline": baseline, "cycles": lr.cycles, "baseline_cycles": b.cycles,
                    "speedup": b.cycles / lr.cycles if lr.cycles else math.inf,
                    "energy": lr.energy, "baseline_energy": b.energy, "energy_unit": lr.energy_unit,
                    "energy_ratio": lr.energy / b.energy if b.energy else math.nan,
                    "energy_reduction": b.energy / lr.energy if lr.energy else math.inf,
                    "macs_dense": lr.macs_dense, "macs_executed": lr.macs_executed, "macs_gated": lr.macs_gated,
                    "macs_skipped": lr.macs_skipped, "macs_reused": lr.macs_reused,
                    "dram_read_bits": lr.dram_read_bits, "dram_write_bits": lr.dram_write_bits,
                    "utilization": lr.utilization})
    return out


def geomean_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    totals = [r for r in rows if r["layer"] == "total"]
    out = []
    for arch in dict.fromkeys(r["arch"] for r in totals):
        rs = [r for r in totals if r["arch"] == arch]
        g = lambda k: math.exp(sum(math.log(r[k]) for r in rs) / len(rs)) if all(r[k] > 0 for r in rs) else math.nan
        out.append({"arch": arch, "baseline": rs[0]["baseline"], "networks": len(rs),
                    "speedup_geomean": g("speedup"), "energy_reduction_geomean": g("energy_reduction"),
                    "speedup_min": min(r["speedup"] for r in rs), "speedup_max": max(r["speedup"] for r in rs)})
    return out


def write_compare(rows: list[dict[str, Any]], out_dir: str | Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    summary = geomean_rows(rows)
    paths = {"csv": write_text_atomic(to_csv(rows, COMPARE_FIELDS), out_dir / "compare.csv"),
             "json": write_json_atomic({"rows": rows, "summary": summary}, out_dir / "compare.json"),
             "summary_csv": write_text_atomic(
                 to_csv(summary, ["arch", "baseline", "networks", "speedup_geomean", "energy_reduction_geomean",
                                  "speedup_min", "speedup_max"]), out_dir / "compare_summary.csv")}
    return paths


def format_table(rows: list[dict[str, Any]], per_layer: bool = True) -> str:
    from pathlib import Path
    lines = [f"{'trace':<26} {'layer':<10} {'design':<28} {'cycles':>12} {'speedup':>8} {'energy/base':>11} "
             f"{'DRAM MB':>9}"]
    for r in rows:
        if not per_layer and r["layer"] != "total":
            continue
        tag = "*" if r["synthetic"] else ""
        name = Path(str(r["trace"])).stem if r.get("trace") else r["network"]
        lines.append(f"{(name + tag)[:26]:<26} {r['layer'][:10]:<10} {r['arch'][:28]:<28} {r['cycles']:>12} "
                     f"{r['speedup']:>7.2f}x {r['energy_ratio']:>11.3f} "
                     f"{(r['dram_read_bits'] + r['dram_write_bits']) / 8e6:>9.2f}")
    if any(r["synthetic"] for r in rows):
        lines.append("* synthetic trace")
    return "\n".join(lines)
