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


def _mhz(hz: Any) -> str:
    try:
        return f"{float(hz) / 1e6:g} MHz"
    except (TypeError, ValueError):
        return str(hz)


def _log_if_wide(ax: Any, values: Sequence[float], axis: str = "y") -> bool:
    """Log scale when the positive values span more than 10x (small bars stay visible)."""
    pos = [v for v in values if v and v > 0 and v != float("inf")]
    if pos and max(pos) / min(pos) > 10:
        (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
        from matplotlib.ticker import FuncFormatter
        plain = FuncFormatter(lambda v, _: f"{v:g}")  # 0.001, 20, 300: no "2 x 10^1" tick labels
        target = ax.yaxis if axis == "y" else ax.xaxis
        target.set_major_formatter(plain)
        few_decades = max(pos) / min(pos) <= 100  # label minor ticks 2 and 5 only when there is room
        target.set_minor_formatter(FuncFormatter(
            lambda v, _: f"{v:g}" if few_decades and f"{v:g}".lstrip("0.")[:1] in ("2", "5") else ""))
        return True
    return False


def _bar_values(ax: Any, containers: Sequence[Any], log: bool, most: int = 36) -> None:
    """Each bar's value above it when there are few bars (a single trace, a few layers): on a log axis
    the height of a short bar is hard to read."""
    if not containers or sum(len(c) for c in containers) > most:
        return
    upright = sum(len(c) for c in containers) > 12  # narrow bars: labels turned, so neighbours never overlap
    for c in containers:
        ax.bar_label(c, labels=[f"{b.get_height():.2g}" if b.get_height() else "" for b in c], fontsize=6,
                     padding=1, rotation=90 if upright else 0)
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi * (3.0 if upright else 1.6) if log else hi + (0.15 if upright else 0.08) * (hi - lo))


def _legend_outside(ax: Any, **kw: Any) -> None:
    """Legend to the right of the axes: it never covers data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), frameon=False, **{"fontsize": 7, **kw})


def _xticks(ax: Any, positions: Sequence[float], labels: Sequence[str]) -> None:
    """Tick labels that fit: few groups get horizontal labels wrapped at '_' (long trace names stay inside
    the figure); many get rotated labels."""
    if len(labels) <= 6:
        wrapped = []
        for lab in labels:
            lines, cur = [], ""
            for part in str(lab).split("_"):
                nxt = f"{cur}_{part}" if cur else part
                if cur and len(nxt) > 18:
                    lines.append(cur + "_")
                    cur = part
                else:
                    cur = nxt
            wrapped.append("\n".join(lines + [cur]))
        ax.set_xticks(list(positions), wrapped, rotation=0, ha="center", fontsize=8)
    else:
        ax.set_xticks(list(positions), list(labels), rotation=35, ha="right", fontsize=7 if len(labels) > 12 else 9)


def fig_speedup(rows: Sequence[dict[str, Any]], baseline: str, per_layer: bool = False,
                network: str | None = None) -> Figure:
    """Speedup (ratio of times) over ``baseline`` per trace (layer == total) or per layer of one trace
    (Cnvlutin Fig. 9 style).  ``rows`` are compare rows (see accelsim.comparison); synthetic traces are
    starred; designs at another clock than the baseline carry their clock in the legend."""
    with plt.style.context(STYLE):
        sel = [r for r in rows if r["arch"] != baseline and
               ((str(r["layer"]) != "total") if per_layer else (str(r["layer"]) == "total")) and
               (network is None or trace_name(r) == network)]
        key = (lambda r: str(r["layer"])) if per_layer else trace_name
        xs = list(dict.fromkeys(key(r) for r in sel))
        synth = {key(r) for r in sel if r["synthetic"]}
        archs = list(dict.fromkeys(r["arch"] for r in sel))
        clocks = {r["arch"]: r.get("clock_hz") for r in sel}
        base_clock = next((r.get("baseline_clock_hz") for r in sel), None)
        differ = any(c != base_clock for c in clocks.values())
        width = min(14.0, max(8.0, 0.25 * len(xs) * max(1, len(archs)) + 3.5))
        fig, ax = plt.subplots(figsize=(width, 3.8))
        w = 0.8 / max(1, len(archs))
        bars = []
        for i, a in enumerate(archs):
            vals = {key(r): r["speedup"] for r in sel if r["arch"] == a}
            lab = f"{a} ({_mhz(clocks[a])})" if differ else a
            bars.append(ax.bar([j + i * w for j in range(len(xs))], [vals.get(x, 0) for x in xs], w, label=lab))
        ax.axhline(1.0, color="k", lw=0.8)
        log = _log_if_wide(ax, [r["speedup"] for r in sel] + [1.0])
        _bar_values(ax, bars, log)
        labels = [x + ("*" if (x in synth and not per_layer) else "") for x in xs]
        _xticks(ax, [j + w * (len(archs) - 1) / 2 for j in range(len(xs))], labels)
        ax.set_ylabel(f"speedup over {baseline}\n(time ratio{', log scale' if log else ''})")
        ax.set_xlabel("layer" if per_layer else "trace (* synthetic)" if synth else "trace")
        clock_txt = (f"\nclocks differ: {baseline} at {_mhz(base_clock)}, others as in the legend; "
                     "speedup = ratio of times, not cycles" if differ else f" (all at {_mhz(base_clock)})")
        if per_layer:
            ax.set_title(f"Speedup per layer over {baseline} (time ratio), {network}{clock_txt}{_tag(bool(synth))}")
        else:
            ax.set_title(f"Speedup per network over {baseline} (time ratio, one group per trace){clock_txt}")
        _legend_outside(ax)
        fig.tight_layout()
        return fig


def fig_energy_per_network(rows: Sequence[dict[str, Any]], baseline: str) -> Figure:
    """Energy reduction over ``baseline`` per trace (compare rows, layer == total).  The title names the
    energy basis; designs priced by another table than the baseline are hatched and flagged MIXED."""
    with plt.style.context(STYLE):
        sel = [r for r in rows if r["arch"] != baseline and str(r["layer"]) == "total"]
        xs = list(dict.fromkeys(trace_name(r) for r in sel))
        archs = list(dict.fromkeys(r["arch"] for r in sel))
        basis = {r["arch"]: str(r.get("energy_basis", "")) for r in sel}
        fig, ax = plt.subplots(figsize=(min(14.0, max(8.0, 0.25 * len(xs) * max(1, len(archs)) + 3.5)), 3.8))
        w = 0.8 / max(1, len(archs))
        bars = []
        for i, a in enumerate(archs):
            vals = {trace_name(r): r["energy_reduction"] for r in sel if r["arch"] == a}
            mixed = basis[a].startswith("mixed:")
            bars.append(ax.bar([j + i * w for j in range(len(xs))], [vals.get(x, 0) for x in xs], w,
                               label=a + (" (MIXED tables)" if mixed else ""), hatch="//" if mixed else None))
        ax.axhline(1.0, color="k", lw=0.8)
        log = _log_if_wide(ax, [r["energy_reduction"] for r in sel] + [1.0])
        _bar_values(ax, bars, log)
        _xticks(ax, [j + w * (len(archs) - 1) / 2 for j in range(len(xs))], xs)
        ax.set_xlabel("trace")
        ax.set_ylabel(f"energy reduction over {baseline}\n(baseline energy / energy{', log' if log else ''})")
        bases = sorted(set(basis.values()))
        if any(b.startswith("mixed:") for b in bases):
            txt, color = ("MIXED energy tables: hatched bars divide energies priced by different tables and do "
                          "not compare designs (use --energy-basis shared)"), "#b00000"
        else:
            txt, color = f"energy basis: table {', '.join(bases)}", "black"
        ax.set_title(f"Energy reduction per network over {baseline}\n{txt}", color=color)
        _legend_outside(ax)
        fig.tight_layout()
        return fig


def energy_basis_text(runs: Sequence[NetworkResult]) -> str:
    """Which price table each design's energy comes from; says MIXED when there are several."""
    by: dict[str, list[str]] = {}
    for r in runs:
        by.setdefault(r.energy_table or "?", []).append(r.arch)
    if len(by) == 1:
        return f"energy basis: table {next(iter(by))}"
    parts = "; ".join(f"{t}: {', '.join(a)}" for t, a in by.items())
    return f"MIXED energy tables ({parts}): totals of different tables are not comparable"


def fig_energy_breakdown(results: Sequence[NetworkResult], network: str) -> Figure:
    """Energy by category (ALU, RF, NoC, GLB, DRAM, ...) per layer and design.  Top: each bar is 100% of
    its own total (the split stays readable when one design spends 1000x another); bottom: the totals, on a
    log scale when they span more than 10x.  The title names the price table(s)."""
    with plt.style.context(STYLE):
        runs = [r for r in results if trace_name(r) == network]
        layers = list(dict.fromkeys(lr.name for r in runs for lr in r.layers))
        cats = sorted({c for r in runs for lr in r.layers for c, v in lr.energy_by_category.items() if v},
                      key=lambda c: (CATEGORY_ORDER.index(c) if c in CATEGORY_ORDER else 99, c))
        fig, (ax, ax2) = plt.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]},
                                      figsize=(min(14.0, max(5.5, 0.45 * len(layers) * len(runs) + 3)), 6.2))
        w = 0.8 / max(1, len(runs))
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        unit = runs[0].layers[0].energy_unit if runs and runs[0].layers else "pJ"
        scale, label = (1e-6, "uJ") if unit == "pJ" else (1.0, unit)
        ticks, names, totals = [], [], []
        for i, r in enumerate(runs):
            by = {lr.name: lr for lr in r.layers}
            bottom = [0.0] * len(layers)
            xs = [j + i * w for j in range(len(layers))]
            tot = [by[n].energy if n in by else 0.0 for n in layers]
            for k, c in enumerate(cats):
                v = [by[n].energy_by_category.get(c, 0.0) / t if n in by and t else 0.0 for n, t in zip(layers, tot)]
                ax.bar(xs, v, w, bottom=bottom, color=colors[k % len(colors)], label=c if i == 0 else None,
                       edgecolor="white", lw=0.3)
                bottom = [b + x for b, x in zip(bottom, v)]
            ax2.bar(xs, [t * scale for t in tot], w, color="#555555")
            totals += [t * scale for t in tot]
            ticks += xs
            names += [r.arch] * len(layers)
        ax2.set_xticks(ticks, names, rotation=90, fontsize=7)
        for j, n in enumerate(layers):
            ax.text(j + w * (len(runs) - 1) / 2, 1.03, str(n), ha="center", va="bottom", fontsize=8,
                    fontweight="bold")
        ax.set_ylim(0, 1.15)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.set_ylabel("share of the bar's energy")
        log = _log_if_wide(ax2, totals)
        ax2.set_ylabel(f"energy ({label}{', log' if log else ''})")
        basis = energy_basis_text(runs)
        ax.set_title(f"Energy by component, {network}{_tag(any(r.synthetic for r in runs))}\n{basis}",
                     color="#b00000" if basis.startswith("MIXED") else "black")
        _legend_outside(ax)
        fig.tight_layout()
        return fig


def fig_compression(rows: Sequence[dict[str, Any]], network: str) -> Figure:
    """Per layer: dense, RLC, ZFNAf and CSR sizes of the input fmaps, and the order-0 entropy bound."""
    with plt.style.context(STYLE):
        sel = [r for r in rows if trace_name(r) == network]
        layers = [r["layer"] for r in sel]
        keys = [("dense_bits", "dense 16-bit"), ("rlc_bits", "Eyeriss RLC"), ("zfnaf_bits", "ZFNAf (compact)"),
                ("csr_bits", "CSR"), ("entropy_bits", "entropy bound")]
        fig, ax = plt.subplots(figsize=(max(5.5, 0.9 * len(layers) + 3.5), 3.4))
        w = 0.8 / len(keys)
        for i, (k, lab) in enumerate(keys):
            ax.bar([j + i * w for j in range(len(layers))], [r[k] / 8e3 for r in sel], w, label=lab)
        ax.set_xticks([j + 0.4 - w / 2 for j in range(len(layers))], [str(x) for x in layers], rotation=30,
                      ha="right")
        log = _log_if_wide(ax, [r[k] / 8e3 for r in sel for k, _ in keys])
        ax.set_ylabel("input fmap size (kB" + (", log)" if log else ")"))
        ax.set_title(f"Input activations compressed, {network}{_tag(any(r['synthetic'] for r in sel))}")
        _legend_outside(ax)
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
        ax.set_xticks(ticks, labels, rotation=90, fontsize=7)
        for j, n in enumerate(layers):  # layer names above each group of bars
            ax.text(j + w * (len(runs) - 1) / 2, 1.03, str(n), ha="center", va="bottom", fontsize=8,
                    fontweight="bold")
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
    """DRAM traffic per layer without and with RLC, split into filters / ifmaps / ofmaps (Eyeriss JSSC
    Fig. 9 style), from an Eyeriss run's per-tensor DRAM counts.  Each layer's bars are relative to its
    uncompressed total (written above, in MB), so layers of very different sizes stay readable.  Filters
    are never RLC-compressed and are labelled so."""
    with plt.style.context(STYLE):
        runs = [r for r in results if trace_name(r) == network and r.layers
                and "dram_ifmap_read_bits_uncompressed" in r.layers[0].extra]
        fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(runs[0].layers) + 3.5) if runs else 6.0, 3.4))
        if not runs:
            ax.text(0.5, 0.5, "no Eyeriss run", ha="center")
            return fig
        r = next((x for x in runs if x.arch == "eyeriss"), runs[0])
        names = [str(lr.name) for lr in r.layers]
        x = range(len(names))
        raw_tot = [sum(lr.extra.get(k, 0) for k in ("dram_filter_read_bits", "dram_ifmap_read_bits_uncompressed",
                                                       "dram_ofmap_write_bits_uncompressed")) or 1
                   for lr in r.layers]
        parts = [("dram_filter_read_bits", "dram_filter_read_bits", "filters (never compressed)"),
                 ("dram_ifmap_read_bits_uncompressed", "dram_ifmap_read_bits", "ifmaps"),
                 ("dram_ofmap_write_bits_uncompressed", "dram_ofmap_write_bits", "ofmaps")]
        colors = ["#7f7f7f", "#3b75af", "#ef8636"]
        tops = [0.0] * len(names)
        for j, (label_off, w) in enumerate((("uncompressed", -0.2), ("RLC", 0.2))):
            bottom = [0.0] * len(names)
            for k, (raw, comp, lab) in enumerate(parts):
                key = raw if j == 0 else comp
                v = [lr.extra.get(key, 0) / t for lr, t in zip(r.layers, raw_tot)]
                if k == 0:
                    lab_full = lab if j == 0 else None
                else:
                    lab_full = f"{lab} ({label_off})"
                ax.bar([i + w for i in x], v, 0.38, bottom=bottom, color=colors[k], alpha=1.0 if j else 0.45,
                       label=lab_full, edgecolor="white", lw=0.3)
                bottom = [b + y for b, y in zip(bottom, v)]
            tops = [max(a, b) for a, b in zip(tops, bottom)]
        for i, t in enumerate(raw_tot):
            ax.text(i, tops[i] + 0.03, f"{t / 8e6:.3g} MB\nuncompr.", ha="center", va="bottom", fontsize=6.5)
        ax.set_ylim(0, max(tops) * 1.22)
        ax.set_xticks(list(x), names, rotation=30, ha="right")
        ax.set_ylabel("DRAM traffic / uncompressed\n(left bar: uncompressed, right: RLC)")
        ax.set_title(f"Eyeriss DRAM traffic without and with RLC ({r.arch}), {network}{_tag(r.synthetic)}")
        _legend_outside(ax)
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
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.4))
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
            if g == max(by_g):  # the scheme's name above the top line's point: nothing is drawn there
                for p in pts:
                    a1.annotate(p[3], (p[0], p[1]), fontsize=8, textcoords="offset points", xytext=(0, 7),
                                ha="center")
        for ax in (a1, a2):
            ax.set_xscale("log")
            ax.set_xlabel("unique non-zero weights U (MAC-weighted mean)")
        _legend_outside(a2)
        _log_if_wide(a1, [p[1] for pts in by_g.values() for p in pts])
        a1.set_ylabel("multiplies / dense MACs")
        a2.set_ylabel(f"energy / {baseline} energy")
        a2.axhline(1.0, color="k", lw=0.8)
        syn = any(r.synthetic for r in runs)
        tables = sorted({r.energy_table for r in runs} | {b.energy_table for b in base.values()})
        basis = (f"energy basis: table {tables[0]}" if len(tables) == 1
                 else f"MIXED energy tables {', '.join(tables)}")
        fig.suptitle(f"UCNN vs unique weights U: multiplies and energy per group size G ({basis}){_tag(syn)}",
                     fontsize=9)
        fig.tight_layout()
        return fig
