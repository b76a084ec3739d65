"""Figures as pure functions: results in, matplotlib Figure out (the caller saves it).

Every figure made from a synthetic trace says so in its title.  Styles are applied with a context
manager, never at import time.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from accelsim.results import NetworkResult  # noqa: E402

STYLE = {"figure.dpi": 110, "axes.titlesize": 9, "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
         "axes.spines.right": False, "font.size": 9, "legend.fontsize": 8}
CATEGORY_ORDER = ["ALU", "RF", "NoC", "SRAM", "GLB", "eDRAM", "Dispatch", "DRAM"]


def _tag(synthetic: bool) -> str:
    return "\n[synthetic trace]" if synthetic else ""


def trace_name(r: Any) -> str:
    """Display name of a run or compare row: its trace file's stem (several traces may share a network)."""
    t = r.get("trace") if isinstance(r, dict) else r.trace
    n = r.get("network") if isinstance(r, dict) else r.network
    return Path(str(t)).stem if t else str(n)


def fig_speedup(rows: Sequence[dict[str, Any]], baseline: str, per_layer: bool = False,
                network: str | None = None) -> Figure:
    """Speedup over ``baseline`` per trace (layer == total) or per layer of one trace (Cnvlutin Fig. 9
    style).  ``rows`` are compare rows (see accelsim.compare); synthetic traces are starred."""
    with plt.style.context(STYLE):
        sel = [r for r in rows if r["arch"] != baseline and
               ((r["layer"] != "total") if per_layer else (r["layer"] == "total")) and
               (network is None or trace_name(r) == network)]
        key = (lambda r: r["layer"]) if per_layer else trace_name
        xs = list(dict.fromkeys(key(r) for r in sel))
        synth = {key(r) for r in sel if r["synthetic"]}
        archs = list(dict.fromkeys(r["arch"] for r in sel))
        width = min(14.0, max(4.0, 0.25 * len(xs) * max(1, len(archs)) + 2))
        fig, ax = plt.subplots(figsize=(width, 3.6))
        w = 0.8 / max(1, len(archs))
        for i, a in enumerate(archs):
            vals = {key(r): r["speedup"] for r in sel if r["arch"] == a}
            ax.bar([j + i * w for j in range(len(xs))], [vals.get(x, 0) for x in xs], w, label=a)
        ax.axhline(1.0, color="k", lw=0.8)
        labels = [x + ("*" if (x in synth and not per_layer) else "") for x in xs]
        ax.set_xticks([j + w * (len(archs) - 1) / 2 for j in range(len(xs))], labels, rotation=35, ha="right",
                      fontsize=7 if len(xs) > 12 else 9)
        ax.set_ylabel(f"speedup over {baseline}\n(time ratio)")
        ax.set_xlabel("layer" if per_layer else "trace (* synthetic)" if synth else "trace")
        if per_layer:
            ax.set_title(f"Speedup over {baseline} per layer, {network}{_tag(bool(synth))}")
        else:
            ax.set_title(f"Speedup over {baseline} per trace")
        ax.legend(fontsize=7)
        fig.tight_layout()
        return fig


def fig_energy_breakdown(results: Sequence[NetworkResult], network: str) -> Figure:
    """Energy by category (ALU, RF, NoC, GLB, DRAM, ...) stacked per layer, one bar per design."""
    with plt.style.context(STYLE):
        runs = [r for r in results if trace_name(r) == network]
        layers = list(dict.fromkeys(lr.name for r in runs for lr in r.layers))
        cats = sorted({c for r in runs for lr in r.layers for c, v in lr.energy_by_category.items() if v},
                      key=lambda c: (CATEGORY_ORDER.index(c) if c in CATEGORY_ORDER else 99, c))
        fig, ax = plt.subplots(figsize=(min(14.0, max(4.5, 0.45 * len(layers) * len(runs) + 2)), 3.8))
        w = 0.8 / max(1, len(runs))
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        unit = runs[0].layers[0].energy_unit if runs and runs[0].layers else "pJ"
        scale, label = (1e-6, "energy (uJ)") if unit == "pJ" else (1.0, f"energy ({unit})")
        ticks, names, top = [], [], 0.0
        for i, r in enumerate(runs):
            by = {lr.name: lr for lr in r.layers}
            bottom = [0.0] * len(layers)
            xs = [j + i * w for j in range(len(layers))]
            for k, c in enumerate(cats):
                v = [by[n].energy_by_category.get(c, 0.0) * scale if n in by else 0.0 for n in layers]
                ax.bar(xs, v, w, bottom=bottom, color=colors[k % len(colors)], label=c if i == 0 else None,
                       edgecolor="white", lw=0.3)
                bottom = [b + x for b, x in zip(bottom, v)]
            ticks += xs
            names += [r.arch] * len(layers)
            top = max([top] + bottom)
        ax.set_xticks(ticks, names, rotation=90, fontsize=6)
        for j, n in enumerate(layers):
            ax.text(j + w * (len(runs) - 1) / 2, top * 1.03, n, ha="center", va="bottom", fontsize=8,
                    fontweight="bold")
        ax.set_ylim(0, top * 1.15 if top else 1)
        ax.set_ylabel(label)
        ax.set_title(f"Energy by component, {network}{_tag(any(r.synthetic for r in runs))}")
        ax.legend(loc="upper left", fontsize=7, bbox_to_anchor=(1.005, 1.0), frameon=False)
        fig.tight_layout()
        return fig


def fig_compression(rows: Sequence[dict[str, Any]], network: str) -> Figure:
    """Per layer: dense, RLC, ZFNAf and CSR sizes of the input fmaps, and the order-0 entropy bound."""
    with plt.style.context(STYLE):
        sel = [r for r in rows if trace_name(r) == network]
        layers = [r["layer"] for r in sel]
        keys = [("dense_bits", "dense 16-bit"), ("rlc_bits", "Eyeriss RLC"), ("zfnaf_bits", "ZFNAf (compact)"),
                ("csr_bits", "CSR"), ("entropy_bits", "entropy bound")]
        fig, ax = plt.subplots(figsize=(max(4.5, 0.9 * len(layers) + 2), 3.2))
        w = 0.8 / len(keys)
        for i, (k, lab) in enumerate(keys):
            ax.bar([j + i * w for j in range(len(layers))], [r[k] / 8e3 for r in sel], w, label=lab)
        ax.set_xticks([j + 0.4 - w / 2 for j in range(len(layers))], layers, rotation=30, ha="right")
        ax.set_ylabel("input fmap size (kB)")
        ax.set_title(f"Input activations compressed, {network}{_tag(any(r['synthetic'] for r in sel))}")
        ax.legend(ncol=3)
        fig.tight_layout()
        return fig


def fig_macs(results: Sequence[NetworkResult], network: str) -> Figure:
    """Executed / gated / skipped / reused MACs per layer and design (the vocabulary of DESIGN.md)."""
    with plt.style.context(STYLE):
        runs = [r for r in results if trace_name(r) == network]
        layers = list(dict.fromkeys(lr.name for r in runs for lr in r.layers))
        kinds = [("macs_executed", "executed"), ("macs_gated", "gated"), ("macs_skipped", "skipped"),
                 ("macs_reused", "reused")]
        fig, ax = plt.subplots(figsize=(min(14.0, max(4.5, 0.45 * len(layers) * len(runs) + 2)), 3.8))
        w = 0.8 / max(1, len(runs))
        colors = ["#3b75af", "#ef8636", "#c5c5c5", "#519e3e"]
        ticks, labels = [], []
        for i, r in enumerate(runs):
            by = {lr.name: lr for lr in r.layers}
            bottom = [0.0] * len(layers)
            xs = [j + i * w for j in range(len(layers))]
            for k, (f, lab) in enumerate(kinds):
                v = [getattr(by[n], f) / by[n].macs_dense if n in by and by[n].macs_dense else 0 for n in layers]
                ax.bar(xs, v, w, bottom=bottom, color=colors[k], label=lab if i == 0 else None,
                       edgecolor="white", lw=0.3)
                bottom = [b + x for b, x in zip(bottom, v)]
            ticks += xs
            labels += [r.arch] * len(layers)
        ax.set_xticks(ticks, labels, rotation=90, fontsize=6)
        for j, n in enumerate(layers):  # layer names above each group of bars
            ax.text(j + w * (len(runs) - 1) / 2, 1.03, n, ha="center", va="bottom", fontsize=8, fontweight="bold")
        ax.set_ylim(0, 1.25)
        ax.set_ylabel("fraction of dense MACs")
        ax.set_title(f"MACs executed / gated / skipped / reused, {network}{_tag(any(r.synthetic for r in runs))}")
        ax.legend(loc="upper left", fontsize=7, bbox_to_anchor=(1.005, 1.0), frameon=False)
        fig.tight_layout()
        return fig


def group_by_network(results: Sequence[NetworkResult]) -> dict[str, list[NetworkResult]]:
    out: dict[str, list[NetworkResult]] = defaultdict(list)
    for r in results:
        out[trace_name(r)].append(r)
    return out


def fig_dram_rlc(results: Sequence[NetworkResult], network: str) -> Figure:
    """DRAM traffic per layer before and after RLC, split into filters / ifmaps / ofmaps (Eyeriss JSSC
    Fig. 9 style), from an Eyeriss run's per-tensor DRAM counts."""
    with plt.style.context(STYLE):
        runs = [r for r in results if trace_name(r) == network and r.layers
                and "dram_ifmap_read_bits_uncompressed" in r.layers[0].extra]
        fig, ax = plt.subplots(figsize=(5.5, 3.2))
        if not runs:
            ax.text(0.5, 0.5, "no Eyeriss run", ha="center")
            return fig
        r = runs[0]
        names = [lr.name for lr in r.layers]
        x = range(len(names))
        parts = [("dram_filter_read_bits", "dram_filter_read_bits", "filters"),
                 ("dram_ifmap_read_bits_uncompressed", "dram_ifmap_read_bits", "ifmaps"),
                 ("dram_ofmap_write_bits_uncompressed", "dram_ofmap_write_bits", "ofmaps")]
        colors = ["#7f7f7f", "#3b75af", "#ef8636"]
        for j, (label_off, w) in enumerate((("uncompressed", -0.2), ("RLC", 0.2))):
            bottom = [0.0] * len(names)
            for k, (raw, comp, lab) in enumerate(parts):
                key = raw if j == 0 else comp
                v = [lr.extra.get(key, 0) / 8e6 for lr in r.layers]
                ax.bar([i + w for i in x], v, 0.38, bottom=bottom, color=colors[k], alpha=1.0 if j else 0.45,
                       label=f"{lab} ({label_off})", edgecolor="white", lw=0.3)
                bottom = [b + y for b, y in zip(bottom, v)]
        ax.set_xticks(list(x), names, rotation=30, ha="right")
        ax.set_ylabel("DRAM traffic (MB)")
        ax.set_title(f"Eyeriss DRAM traffic before/after RLC, {network}{_tag(r.synthetic)}")
        ax.legend(ncol=2)
        fig.tight_layout()
        return fig


def _unique_weights(r: NetworkResult) -> float:
    """MAC-weighted mean of the layers' unique non-zero weight counts U (from a UCNN run)."""
    tot = sum(lr.macs_dense for lr in r.layers) or 1
    return sum(lr.extra.get("unique_nonzero_weights", 0) * lr.macs_dense for lr in r.layers) / tot


def fig_ucnn(results: Sequence[NetworkResult], baseline: str = "eyeriss") -> Figure:
    """UCNN multiplies and energy (relative to ``baseline`` on the same trace) vs unique weights U, one
    line per group size G."""
    with plt.style.context(STYLE):
        base = {r.trace: r for r in results if r.arch == baseline}
        runs = [r for r in results if r.arch.split(":")[0] == "ucnn" and r.layers]
        quantized = [r for r in runs if r.source.get("quantization")]
        runs = quantized or runs  # the U/G study: traces quantized on purpose, when there are any
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 3.2))
        by_g: dict[int, list[tuple[float, float, float, str]]] = defaultdict(list)
        for r in runs:
            g = int(r.layers[0].extra.get("group_size", 1))
            b = base.get(r.trace)
            e = r.total.energy / b.total.energy if b and b.total.energy else float("nan")
            label = (r.source.get("quantization") or {}).get("scheme", "none")
            by_g[g].append((_unique_weights(r), r.total.macs_executed / r.total.macs_dense, e, label))
        for g, pts in sorted(by_g.items()):
            pts.sort()
            a1.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=f"G={g}")
            a2.plot([p[0] for p in pts], [p[2] for p in pts], "o-", label=f"G={g}")
            if g == min(by_g):
                for p in pts:
                    a1.annotate(p[3], (p[0], p[1]), fontsize=6, textcoords="offset points", xytext=(3, 3))
        for ax in (a1, a2):
            ax.set_xscale("log")
            ax.set_xlabel("unique non-zero weights U (MAC-weighted mean)")
            ax.legend()
        a1.set_ylabel("multiplies / dense MACs")
        a2.set_ylabel(f"energy / {baseline} energy")
        a2.axhline(1.0, color="k", lw=0.8)
        syn = any(r.synthetic for r in runs)
        fig.suptitle(f"UCNN: multiplies and energy vs U and G{_tag(syn)}", fontsize=9)
        fig.tight_layout()
        return fig
