"""Comparing designs: speedup and energy of each design against a baseline, per layer and per network.

Definitions (named the same in every CSV/JSON column):
* ``speedup`` = baseline time / design time, times being ``latency_total_s`` (cycles / clock, DRAM waits
  included): >1 means the design finishes sooner.  This is the number a paper quotes;
* ``cycle_ratio`` = baseline cycles / design cycles.  It equals ``speedup`` only when both run at one clock
  (``clock_hz`` / ``baseline_clock_hz`` name them); across designs at different clocks it is *not* a speedup;
* ``energy_ratio`` = design energy / baseline energy (<1: the design spends less);
* ``energy_reduction`` = baseline energy / design energy (the "x better" of papers);
* ``energy_table`` / ``baseline_energy_table`` name the price table of each side, and ``energy_basis`` says
  whether they agree: the table's name when both sides use one table, else ``mixed:A|B``.  A mixed ratio
  compares prices from different sources and rules, not designs; price every design with one table
  (``--energy-basis shared``) to compare designs of different families;
* per-network rows (``layer`` = "total") use the sums over layers (layers run one after another);
* ``geomean`` rows average the per-network ratios geometrically, as the Cnvlutin paper averages networks.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from accelsim.errors import ConfigError
from accelsim.results import NetworkResult, to_csv, write_json_atomic, write_text_atomic

COMPARE_FIELDS = ("network", "trace", "synthetic", "layer", "arch", "baseline",
                  "speedup", "cycle_ratio", "latency_total_s", "baseline_latency_total_s",
                  "cycles", "baseline_cycles", "clock_hz", "baseline_clock_hz",
                  "energy", "baseline_energy", "energy_unit", "energy_ratio", "energy_reduction",
                  "energy_table", "baseline_energy_table", "energy_basis",
                  "macs_dense", "macs_executed", "macs_gated", "macs_skipped", "macs_reused",
                  "dram_read_bits", "dram_write_bits", "utilization")
SUMMARY_FIELDS = ("arch", "baseline", "networks", "speedup_geomean", "cycle_ratio_geomean",
                  "energy_reduction_geomean", "speedup_min", "speedup_max", "clock_hz", "baseline_clock_hz",
                  "energy_table", "baseline_energy_table", "energy_basis")


def energy_basis(table: str, baseline_table: str) -> str:
    """The basis of an energy ratio: the one table both sides use, or ``mixed:A|B``."""
    return table if table == baseline_table else f"mixed:{table}|{baseline_table}"


def is_mixed(basis: Any) -> bool:
    return str(basis).startswith("mixed:")


def _ratio(num: float, den: float) -> float:
    if not den:
        return math.inf if num else math.nan
    return num / den


def weight_bits(r: NetworkResult) -> int | None:
    """Bits one stored weight occupies on the design of ``r``: EIE stores 4-bit codebook indices (its
    ``codebook_bits``; 16-bit arithmetic after the lookup) unless run dense, the others their word width."""
    c = r.config or {}
    if "codebook_bits" in c and not c.get("dense"):
        return int(c["codebook_bits"])
    return int(c["word_bits"]) if "word_bits" in c else None


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
                    "arch": arch, "baseline": baseline,
                    "speedup": _ratio(b.latency_total_s, lr.latency_total_s),
                    "cycle_ratio": _ratio(b.cycles, lr.cycles),
                    "latency_total_s": lr.latency_total_s, "baseline_latency_total_s": b.latency_total_s,
                    "cycles": lr.cycles, "baseline_cycles": b.cycles,
                    "clock_hz": lr.clock_hz, "baseline_clock_hz": b.clock_hz,
                    "energy": lr.energy, "baseline_energy": b.energy, "energy_unit": lr.energy_unit,
                    "energy_ratio": _ratio(lr.energy, b.energy),
                    "energy_reduction": _ratio(b.energy, lr.energy),
                    "energy_table": r.energy_table, "baseline_energy_table": base.energy_table,
                    "weight_bits": weight_bits(r), "baseline_weight_bits": weight_bits(base),
                    "energy_basis": energy_basis(r.energy_table, base.energy_table),
                    "macs_dense": lr.macs_dense, "macs_executed": lr.macs_executed, "macs_gated": lr.macs_gated,
                    "macs_skipped": lr.macs_skipped, "macs_reused": lr.macs_reused,
                    "dram_read_bits": lr.dram_read_bits, "dram_write_bits": lr.dram_write_bits,
                    "utilization": lr.utilization})
    return out


def _geomean(vals: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in vals) / len(vals)) if vals and all(0 < v < math.inf for v in vals) \
        else math.nan


def _one(vals: list[Any]) -> Any:
    """The common value of ``vals``, or all distinct values joined with '|' (e.g. clocks of several runs)."""
    u = list(dict.fromkeys(vals))
    return u[0] if len(u) == 1 else "|".join(map(str, u))


def geomean_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    totals = [r for r in rows if r["layer"] == "total"]
    out = []
    for arch in dict.fromkeys(r["arch"] for r in totals):
        rs = [r for r in totals if r["arch"] == arch]
        bases = list(dict.fromkeys(r["energy_basis"] for r in rs))
        basis = bases[0] if len(bases) == 1 else "mixed:" + "|".join(bases)
        out.append({"arch": arch, "baseline": rs[0]["baseline"], "networks": len(rs),
                    "speedup_geomean": _geomean([r["speedup"] for r in rs]),
                    "cycle_ratio_geomean": _geomean([r["cycle_ratio"] for r in rs]),
                    "energy_reduction_geomean": _geomean([r["energy_reduction"] for r in rs]),
                    "speedup_min": min(r["speedup"] for r in rs), "speedup_max": max(r["speedup"] for r in rs),
                    "clock_hz": _one([r["clock_hz"] for r in rs]),
                    "baseline_clock_hz": _one([r["baseline_clock_hz"] for r in rs]),
                    "energy_table": _one([r["energy_table"] for r in rs]),
                    "baseline_energy_table": _one([r["baseline_energy_table"] for r in rs]),
                    "energy_basis": basis})
    return out


def write_compare(rows: list[dict[str, Any]], out_dir: str | Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    summary = geomean_rows(rows)
    paths = {"csv": write_text_atomic(to_csv(rows, COMPARE_FIELDS), out_dir / "compare.csv"),
             "json": write_json_atomic({"definitions": DEFINITIONS, "rows": rows, "summary": summary},
                                       out_dir / "compare.json"),
             "summary_csv": write_text_atomic(to_csv(summary, SUMMARY_FIELDS), out_dir / "compare_summary.csv")}
    return paths


DEFINITIONS = {
    "speedup": "baseline latency_total_s / latency_total_s (ratio of times, clocks included)",
    "cycle_ratio": "baseline cycles / cycles (equals speedup only when clock_hz == baseline_clock_hz)",
    "energy_ratio": "energy / baseline energy",
    "energy_reduction": "baseline energy / energy",
    "energy_basis": "the energy table both sides use, or mixed:A|B when their prices come from different tables",
}


def mhz(hz: Any) -> str:
    try:
        return f"{float(hz) / 1e6:g} MHz"
    except (TypeError, ValueError):
        return "|".join(mhz(x) for x in str(hz).split("|"))


def notes(rows: list[dict[str, Any]]) -> list[str]:
    """Warnings a reader of the table needs: clocks that differ, energy ratios across price tables, weights
    stored at different widths."""
    out = []
    seen_clock, seen_basis, seen_bits = set(), set(), set()
    for r in rows:
        wb, bb = r.get("weight_bits"), r.get("baseline_weight_bits")
        if wb and bb and wb != bb and r["arch"] not in seen_bits:
            seen_bits.add(r["arch"])
            out.append(f"note: {r['arch']} stores {wb}-bit weights, {r['baseline']} {bb}-bit"
                       + (" (EIE: 4-bit codebook indices, 16-bit arithmetic)" if wb < bb else "")
                       + ": its energy and DRAM ratios include the narrower weights, not only sparsity")
        if r["clock_hz"] != r["baseline_clock_hz"] and r["arch"] not in seen_clock:
            seen_clock.add(r["arch"])
            out.append(f"note: {r['arch']} runs at {mhz(r['clock_hz'])}, {r['baseline']} at "
                       f"{mhz(r['baseline_clock_hz'])}: speedup is the ratio of times; the cycle ratio differs")
        if is_mixed(r["energy_basis"]) and r["arch"] not in seen_basis:
            seen_basis.add(r["arch"])
            out.append(f"WARNING: {r['arch']} is priced by {r['energy_table']!r}, {r['baseline']} by "
                       f"{r['baseline_energy_table']!r}: its energy ratio mixes price tables "
                       f"(use --energy-basis shared to compare designs on one basis)")
    return out


def format_table(rows: list[dict[str, Any]], per_layer: bool = True) -> str:
    lines = [f"{'trace':<26} {'layer':<10} {'design':<28} {'cycles':>12} {'MHz':>5} {'speedup':>8} "
             f"{'cyc.ratio':>9} {'energy/base':>11} {'DRAM MB':>9}  energy basis"]
    for r in rows:
        if not per_layer and r["layer"] != "total":
            continue
        tag = "*" if r["synthetic"] else ""
        name = Path(str(r["trace"])).stem if r.get("trace") else r["network"]
        basis = r["energy_basis"]
        lines.append(f"{(name + tag)[:26]:<26} {str(r['layer'])[:10]:<10} {r['arch'][:28]:<28} {r['cycles']:>12} "
                     f"{r['clock_hz'] / 1e6:>5.0f} {r['speedup']:>7.2f}x {r['cycle_ratio']:>8.2f}x "
                     f"{r['energy_ratio']:>11.3f} {(r['dram_read_bits'] + r['dram_write_bits']) / 8e6:>9.2f}  "
                     f"{basis.replace('mixed:', 'MIXED ') if is_mixed(basis) else basis}")
    lines.append("speedup = ratio of times (latency with DRAM); cyc.ratio = ratio of cycles")
    if any(r["synthetic"] for r in rows):
        lines.append("* synthetic trace")
    lines += notes(rows)
    return "\n".join(lines)


def format_summary_line(g: dict[str, Any]) -> str:
    clocks = (f"both at {mhz(g['clock_hz'])}" if g["clock_hz"] == g["baseline_clock_hz"]
              else f"{mhz(g['clock_hz'])} vs {mhz(g['baseline_clock_hz'])}, cycle ratio {g['cycle_ratio_geomean']:.3f}x")
    basis = g["energy_basis"]
    basis_txt = (f"MIXED price tables {basis[6:]}: not a design comparison" if is_mixed(basis)
                 else f"energy basis {basis}")
    return (f"{g['arch']}: speedup (time ratio) geomean {g['speedup_geomean']:.3f}x over {g['networks']} trace(s) "
            f"(min {g['speedup_min']:.3f}, max {g['speedup_max']:.3f}; {clocks}); "
            f"energy reduction geomean {g['energy_reduction_geomean']:.3f}x ({basis_txt})")
