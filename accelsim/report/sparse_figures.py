"""Figures of the weight-sparse designs (EIE, SCNN) and of which design each pruning method pays off on.

* :func:`fig_scnn_density` -- per layer, SCNN's speedup and energy against its dense baseline DCNN
  (``scnn:dataflow=dense``, same array, clock, buffers and energy table) versus the layer's fraction of
  effectual products (non-zero weight x non-zero input pairs over dense MACs: about weight density x
  activation density);
* :func:`fig_eie` -- per layer, EIE's speedup over its dense reference (``eie:dense=true``, same 64 PEs)
  and its load efficiency against the activation-queue depth (runs ``eie:queue_depth=D``);
* :func:`fig_payoff` -- from the hardware study's CSV: per pruning variant and design, the geometric mean
  over networks of the speedup and the energy saving against the dense model on the same design, the best
  design of each variant boxed.

Pure functions: results in, Figure out (the caller saves it).  A function returns None when the results
hold no runs it can pair.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from accelsim.results import NetworkResult

MARKERS = "osD^vP*Xh<>"
COLORS = ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"]


def _new(w: float, h: float, ncols: int = 1) -> tuple[Figure, list[Any]]:
    fig = Figure(figsize=(w, h), dpi=110)
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    for ax in axes:
        ax.grid(True, alpha=0.3, which="both")
    return fig, axes


def _plain_log(ax: Any, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter, NullFormatter
    target = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_formatter(NullFormatter())


def _stem(r: NetworkResult) -> str:
    from pathlib import Path
    return Path(str(r.trace)).stem if r.trace else str(r.network)


def _base(r: NetworkResult) -> str:
    return r.arch.split(":")[0]


def _same_but(a: dict[str, Any], b: dict[str, Any], keys: Sequence[str]) -> bool:
    ka = {k: v for k, v in a.items() if k not in keys}
    kb = {k: v for k, v in b.items() if k not in keys}
    return ka == kb


# ---- SCNN vs DCNN ----------------------------------------------------------------------------------
def scnn_pairs(runs: Sequence[NetworkResult]) -> list[tuple[NetworkResult, NetworkResult]]:
    """(SCNN, DCNN) runs of one trace whose configs differ only in the dataflow (and the bank-conflict
    switch, which DCNN ignores)."""
    sc = [r for r in runs if _base(r) == "scnn"]
    out = []
    for s in sc:
        if s.config.get("dataflow") != "sparse":
            continue
        for d in sc:
            if (d.config.get("dataflow") == "dense" and _stem(d) == _stem(s) and d.energy_table == s.energy_table
                    and _same_but(s.config, d.config, ("dataflow", "bank_conflicts"))):
                out.append((s, d))
                break
    return out


def fig_scnn_density(runs: Sequence[NetworkResult]) -> Figure | None:
    pairs = scnn_pairs(runs)
    if not pairs:
        return None
    fig, (a1, a2) = _new(11.5, 4.6, 2)
    xs_all: list[float] = []
    def _label(s: NetworkResult) -> str:
        return (_stem(s) + (" (no bank conflicts)" if not s.config.get("bank_conflicts", True) else "")
                + (" *" if s.synthetic else ""))
    labels = list(dict.fromkeys(_label(s) for s, _ in pairs))
    for s, d in pairs:
        lab = _label(s)
        k = labels.index(lab)
        xs, sp, en = [], [], []
        for ls, ld in zip(s.layers, d.layers):
            if ls.name != ld.name or not ls.macs_dense or not ls.cycles or not ld.energy:
                continue
            xs.append(max(ls.macs_executed, 1) / ls.macs_dense)
            sp.append(ld.cycles / ls.cycles)
            en.append(ls.energy / ld.energy)
        xs_all += xs
        style = dict(marker=MARKERS[k % len(MARKERS)], color=COLORS[k % len(COLORS)], ls="none", ms=5, alpha=0.85)
        a1.plot(xs, sp, label=lab, **style)
        a2.plot(xs, en, label=lab, **style)
    lo = min(xs_all + [1.0]) * 0.8
    grid = [lo * (1.0 / lo) ** (i / 40) for i in range(41)]
    ideal, = a1.plot(grid, [1 / g for g in grid], "k--", lw=0.8, label="bound: dense / effectual MACs")
    for ax in (a1, a2):
        ax.axhline(1.0, color="k", lw=0.8)
        _plain_log(ax, "x")
        _plain_log(ax, "y")
        ax.set_xlim(lo, 1.05)
        ax.set_xlabel("effectual products / dense MACs per layer\n(~ weight density x activation density)")
    a1.set_ylabel("speedup of SCNN over DCNN (cycles ratio)")
    a1.set_title("SCNN / DCNN performance per layer", fontsize=10)
    a2.set_ylabel("SCNN energy / DCNN energy")
    a2.set_title("SCNN / DCNN energy per layer (same table: " + str(pairs[0][0].energy_table) + ")", fontsize=10)
    a2.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False, title="trace")
    a1.legend(loc="upper right", fontsize=7, handles=[ideal])
    synth = any(s.synthetic for s, _ in pairs)
    fig.suptitle("SCNN (PT-IS-CP-sparse) against its dense baseline DCNN: same 8x8 PEs x 4x4 multipliers, "
                 "1 GHz, buffers" + ("\n* synthetic trace" if synth else ""), fontsize=10)
    fig.tight_layout()
    return fig


# ---- EIE ---------------------------------------------------------------------------------------------
def eie_groups(runs: Sequence[NetworkResult]) -> dict[str, tuple[NetworkResult | None, dict[int, NetworkResult]]]:
    """Per trace: the dense EIE reference run (or None) and the sparse runs by queue depth, configs
    otherwise alike."""
    out: dict[str, tuple[NetworkResult | None, dict[int, NetworkResult]]] = {}
    eie = [r for r in runs if _base(r) == "eie"]
    for r in eie:
        if r.config.get("dense"):
            continue
        dense, depths = out.get(_stem(r), (None, {}))
        ref = next((d for d in eie if d.config.get("dense") and _stem(d) == _stem(r)
                    and _same_but(r.config, d.config, ("dense", "queue_depth"))), None)
        if depths and not _same_but(r.config, next(iter(depths.values())).config, ("queue_depth",)):
            continue
        depths[int(r.config.get("queue_depth", 8))] = r
        out[_stem(r)] = (dense or ref, depths)
    return {k: v for k, v in out.items() if v[0] is not None or len(v[1]) > 1}


def fig_eie(runs: Sequence[NetworkResult], default_depth: int = 8) -> Figure | None:
    groups = eie_groups(runs)
    if not groups:
        return None
    fig, (a1, a2) = _new(12.0, 4.6, 2)
    # left: per-layer speedup over dense EIE at the default depth (or the deepest run)
    x, ticks, labels, k = 0, [], [], 0
    for stem, (dense, depths) in groups.items():
        if dense is None or not depths:
            continue
        run = depths.get(default_depth) or depths[max(depths)]
        sp = [ld.cycles / ls.cycles if ls.cycles else 0.0 for ls, ld in zip(run.layers, dense.layers)]
        pos = list(range(x, x + len(sp)))
        a1.bar(pos, sp, color=COLORS[k % len(COLORS)], label=stem)
        for p, v in zip(pos, sp):
            a1.text(p, v + 0.05, f"{v:.1f}", ha="center", va="bottom", fontsize=6)
        ticks += pos
        labels += [ls.name for ls in run.layers]
        x += len(sp) + 1
        k += 1
    a1.axhline(1.0, color="k", lw=0.8)
    a1.set_ylim(0, None)
    a1.set_xticks(ticks, labels, rotation=45, ha="right", fontsize=7)
    a1.set_ylabel(f"EIE speedup over dense EIE\n(cycles ratio; queue depth {default_depth})")
    a1.set_title("per layer (conv layers lowered to matrix-vector products)", fontsize=9)
    if k:
        a1.legend(fontsize=7, loc="upper left", frameon=False, title="trace")
    # right: load efficiency vs queue depth, a line per (trace, layer)
    j, flat = 0, []
    for stem, (_, depths) in groups.items():
        ds = sorted(depths)
        if len(ds) < 2:
            continue
        names = [ls.name for ls in depths[ds[0]].layers]
        for li, name in enumerate(names):
            eff = [float(depths[d].layers[li].extra.get("load_efficiency", float("nan"))) for d in ds]
            if min(eff) >= 0.99:  # balanced at every depth (e.g. one row per PE): listed, not drawn
                flat.append(f"{stem}: {name}")
                continue
            a2.plot(ds, eff, marker=MARKERS[j % len(MARKERS)], color=COLORS[j % len(COLORS)], ms=4,
                    label=f"{stem}: {name}")
            j += 1
    if j:
        a2.set_xscale("symlog", linthresh=1)
        a2.set_xticks(sorted({d for _, (_, dd) in groups.items() for d in dd}))
        a2.xaxis.set_major_formatter(__import__("matplotlib.ticker", fromlist=["x"]).ScalarFormatter())
        a2.set_ylim(0, 1.02)
        a2.set_xlabel("activation queue depth per PE (entries; 0 = no queue)")
        a2.set_ylabel("load efficiency\n(busy PE-cycles / PE-cycles)")
        a2.set_title("load balance vs activation queue depth (the paper's Fig. 8 chose 8)", fontsize=9)
        a2.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        if flat:
            a2.text(0.98, 0.03, f"{len(flat)} layer(s) at >= 0.99 at every depth not drawn", fontsize=7,
                    ha="right", va="bottom", transform=a2.transAxes)
    else:
        a2.set_axis_off()
        a2.text(0.5, 0.5, "no runs at several queue depths\n(run eie:queue_depth=0,2,4,8,16)", ha="center",
                va="center", transform=a2.transAxes)
    fig.suptitle("EIE (64 PEs, CSC weights, zero-activation skipping) against dense EIE on the same PEs",
                 fontsize=10)
    fig.tight_layout()
    return fig


# ---- which design each pruning method pays off on -----------------------------------------------------
def _variant(r: dict[str, Any]) -> str:
    m, lv = str(r["method"]), float(r["level"])
    if m in ("inq", "ttq"):
        return f"{m.upper()} {int(lv)}-bit weights"
    if m == "threshold":
        return f"activations < {lv:g} max zeroed"
    if m == "filters":
        return f"filters {lv * 100:g}% removed"
    if m == "magnitude":
        return f"magnitude {lv * 100:g}% weights"
    return f"{m} {lv:g}"


def _with_accuracy(variant: str, rows: list[dict[str, Any]]) -> str:
    """The variant's label with its test-accuracy range over the networks (a speedup of a model that lost its
    accuracy is no payoff)."""
    acc = [float(r["accuracy"]) for r in rows if _variant(r) == variant and str(r.get("accuracy", "")) != ""]
    if not acc:
        return variant
    lo, hi = min(acc) * 100, max(acc) * 100
    return f"{variant}\n(accuracy {lo:.0f}-{hi:.0f}%)" if round(lo) != round(hi) else f"{variant}\n(accuracy {lo:.0f}%)"


def fig_payoff(rows: list[dict[str, Any]]) -> Figure:
    """Heat maps: rows = pruning variants, columns = designs; cells = geomean over networks of the
    speedup (left) and the energy saving (right) against the dense model on the same design."""
    import numpy as np
    from matplotlib.colors import LogNorm
    from matplotlib.patches import Rectangle

    rows = [r for r in rows if str(r["method"]) != "dense"]
    designs = list(dict.fromkeys(str(r["design"]) for r in rows))
    variants = list(dict.fromkeys(_variant(r) for r in rows))
    nets = sorted({str(r["network"]) for r in rows})
    acc: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for r in rows:
        sp, er = float(r["speedup"]), float(r["energy_ratio"])
        if sp > 0 and er > 0:
            acc[(_variant(r), str(r["design"]), "sp")].append(math.log(sp))
            acc[(_variant(r), str(r["design"]), "en")].append(-math.log(er))

    def grid(key: str) -> np.ndarray:
        g = np.full((len(variants), len(designs)), np.nan)
        for i, v in enumerate(variants):
            for j, d in enumerate(designs):
                vals = acc.get((v, d, key))
                if vals:
                    g[i, j] = math.exp(sum(vals) / len(vals))
        return g

    fig = Figure(figsize=(12.5, 0.5 * len(variants) + 2.4), dpi=110)
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, 2, i + 1) for i in range(2)]
    for ax, key, title in ((axes[0], "sp", "speedup vs the dense model (x)"),
                           (axes[1], "en", "energy saving: dense energy / pruned energy (x)")):
        g = grid(key)
        finite = g[np.isfinite(g)]
        top = max(2.0, float(finite.max()) if finite.size else 2.0)
        norm = LogNorm(vmin=1 / top, vmax=top)
        im = ax.imshow(np.clip(g, 1 / top, top), cmap="RdBu", norm=norm, aspect="auto")
        for i in range(len(variants)):
            row = g[i]
            best = int(np.nanargmax(row)) if np.isfinite(row).any() else -1
            for j in range(len(designs)):
                if not np.isfinite(row[j]):
                    continue
                strong = abs(math.log(row[j])) > 0.6 * math.log(top)
                ax.text(j, i, f"{row[j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if strong else "black", fontweight="bold" if j == best else "normal")
            if best >= 0 and row[best] > 1.05:
                ax.add_patch(Rectangle((best - 0.5, i - 0.5), 1, 1, fill=False, lw=1.8, ec="k"))
        ax.set_xticks(range(len(designs)), designs)
        ax.xaxis.tick_top()
        ax.set_yticks(range(len(variants)), [_with_accuracy(v, rows) for v in variants] if ax is axes[0] else [],
                      fontsize=8)
        ax.set_title(title, fontsize=9, pad=22)
        ax.grid(False)
        cb = fig.colorbar(im, ax=ax, fraction=0.05, pad=0.02)
        from matplotlib.ticker import FuncFormatter
        cb.set_ticks([t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10) if 1 / top <= t <= top])
        cb.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        cb.ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    fig.suptitle("Which design each pruning method pays off on: geometric mean over the "
                 f"{len(nets)} digit-trained networks ({', '.join(nets)})\neach design against the dense model "
                 "on itself (same clock and energy table); the best design per method boxed (when > 1.05x)",
                 fontsize=9)
    fig.tight_layout()
    return fig


__all__ = ["eie_groups", "fig_eie", "fig_payoff", "fig_scnn_density", "scnn_pairs"]
