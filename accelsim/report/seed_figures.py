"""Figures of the seed-network studies (:mod:`accelsim.prune.seed_studies`), pure functions of CSV rows.

Each draws every network of its CSV in one figure, so the five networks are read side by side.
"""
from __future__ import annotations

from typing import Any

Row = dict[str, Any]
SEED_CLAIM = (0.38, 0.79, 0.61)  # the seeds' memory savings: min, max, mean over their four benchmarks


def _fig(w: float, h: float, nrows: int = 1, ncols: int = 1, sharey: Any = False):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=110)
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=sharey)
    for ax in axes.flat:
        ax.grid(True, alpha=0.3)
    return fig, axes


def _nets(rows: list[Row]) -> list[str]:
    return list(dict.fromkeys(str(r["network"]) for r in rows))


def _f(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def fig_memory(rows: list[Row]):
    """Left: accuracy along the iterative-pruning ladder; right: storage saving (CSR) at iso-accuracy."""
    fig, axes = _fig(11.5, 4.4, 1, 2)
    ax1, ax2 = axes[0]
    nets = _nets(rows)
    for net in nets:
        lad = sorted((r for r in rows if str(r["network"]) == net and r["row"] == "ladder"),
                     key=lambda r: _f(r["sparsity"]))
        ax1.plot([_f(r["sparsity"]) * 100 for r in lad], [_f(r["accuracy"]) * 100 for r in lad], "o-", ms=3,
                 label=net)
    ax1.set_xlabel("weights pruned (%), iterative prune-and-retrain")
    ax1.set_ylabel("test accuracy (%)")
    ax1.set_title("accuracy along the pruning ladder", fontsize=10)
    ax1.legend(fontsize=8, loc="lower left")
    tols = sorted({_f(r["tolerance"]) for r in rows if r["row"] == "iso"})
    width = 0.8 / max(1, len(tols))
    for j, tol in enumerate(tols):
        vals = []
        for net in nets:
            iso = [r for r in rows if str(r["network"]) == net and r["row"] == "iso" and _f(r["tolerance"]) == tol]
            vals.append(_f(iso[0]["saving_csr"]) * 100 if iso else float("nan"))
        xs = [i + (j - (len(tols) - 1) / 2) * width for i in range(len(nets))]
        ax2.bar(xs, vals, width, label=f"within {tol * 100:g} pt of dense")
    lo, hi, mean = SEED_CLAIM
    ax2.axhspan(lo * 100, hi * 100, color="0.85", zorder=0, label="seeds' reported range (38-79%)")
    ax2.axhline(mean * 100, color="k", ls="--", lw=1, label="seeds' mean (61%)")
    ax2.set_xticks(range(len(nets)))
    ax2.set_xticklabels(nets)
    ax2.set_ylim(0, 100)
    ax2.set_ylabel("weight storage saved vs dense 16-bit (%), CSR")
    ax2.set_title("memory saving at iso-accuracy", fontsize=10)
    ax2.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle("Memory savings at iso-accuracy (sklearn digits stand-ins, not MNIST/CIFAR-10)", fontsize=10)
    return fig


def fig_effort(rows: list[Row]):
    """Retraining epochs back to iso-accuracy vs sparsity; one-shot solid, iterative dashed; x = not reached."""
    fig, axes = _fig(7.5, 4.6)
    ax = axes[0][0]
    colors = {}
    for net in _nets(rows):
        for method, ls in (("one-shot", "-"), ("iterative", "--")):
            pts = sorted((r for r in rows if str(r["network"]) == net and r["method"] == method),
                         key=lambda r: _f(r["sparsity"]))
            if not pts:
                continue
            kw = {"color": colors[net]} if net in colors else {}
            line, = ax.plot([_f(r["sparsity"]) * 100 for r in pts], [_f(r["retrain_epochs"]) for r in pts], ls,
                            marker="o", ms=3, label=f"{net} {method}", **kw)
            colors[net] = line.get_color()
            miss = [r for r in pts if str(r["reached"]) not in ("True", "true", "1")]
            ax.plot([_f(r["sparsity"]) * 100 for r in miss], [_f(r["retrain_epochs"]) for r in miss], "x",
                    color=colors[net], ms=8, mew=2)
    tol = _f(rows[0]["tolerance"]) * 100 if rows else float("nan")
    ax.set_xlabel("weights pruned (%)")
    ax.set_ylabel("retraining epochs to iso-accuracy")
    ax.set_title(f"Training effort: epochs until within {tol:g} pt of dense (x: never, capped)\n"
                 "solid: one-shot prune then retrain; dashed: iterative (3 rounds)", fontsize=10)
    ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1.0), handlelength=3.5)
    return fig


def fig_synapses(rows: list[Row]):
    """One panel per network: fraction of each layer's weights that survive, per method."""
    nets = _nets(rows)
    fig, axes = _fig(3.3 * len(nets) + 1.8, 4.2, 1, len(nets))
    methods = list(dict.fromkeys(str(r["method"]) for r in rows))
    for ax, net in zip(axes[0], nets):
        rs = [r for r in rows if str(r["network"]) == net]
        layers = list(dict.fromkeys(str(r["layer"]) for r in rs))
        width = 0.8 / max(1, len(methods))
        for j, m in enumerate(methods):
            vals = []
            for layer in layers:
                hit = [r for r in rs if str(r["method"]) == m and str(r["layer"]) == layer]
                vals.append(_f(hit[0]["fraction"]) * 100 if hit else float("nan"))
            ax.bar([i + (j - (len(methods) - 1) / 2) * width for i in range(len(layers))], vals, width, label=m)
        ax.set_xticks(range(len(layers)))
        ax.set_xticklabels(layers, rotation=45, ha="right", fontsize=8)
        ax.set_title(net, fontsize=10)
        ax.set_ylim(0, 100)
    axes[0][0].set_ylabel("weights surviving in the layer (%)")
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), title="method")
    fig.suptitle("Where the surviving synapses are (unstructured: 90% of all weights pruned; "
                 "filters/taylor: 50% of filters removed)", fontsize=10)
    return fig


def _variant_label(r: Row) -> str:
    m, lv = str(r["method"]), _f(r["level"])
    if m == "dense":
        return "dense"
    if m in ("inq", "ttq"):
        return f"{m}-{int(lv)}b"
    if m == "threshold":
        return f"act<{lv:g}max"
    return f"{m[:4]} {lv * 100:g}%"


def fig_hardware(rows: list[Row]):
    """Top: speedup (time ratio vs the dense model on the same design); bottom: energy vs dense; a panel
    per design, a marker per network, the variants along x."""
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    designs = list(dict.fromkeys(str(r["design"]) for r in rows))
    nets = _nets(rows)
    labels = list(dict.fromkeys(_variant_label(r) for r in rows))
    fig, axes = _fig(2.9 * len(designs) + 1.6, 7.0, 2, len(designs), sharey="row")
    markers = "osD^vP*X"
    for c, d in enumerate(designs):
        for k, net in enumerate(nets):
            rs = [r for r in rows if str(r["design"]) == d and str(r["network"]) == net]
            xs = [labels.index(_variant_label(r)) for r in rs]
            axes[0][c].plot(xs, [_f(r["speedup"]) for r in rs], markers[k % len(markers)], ms=4, label=net)
            axes[1][c].plot(xs, [_f(r["energy_ratio"]) for r in rs], markers[k % len(markers)], ms=4, label=net)
        for row, name in ((0, "speedup (time ratio)"), (1, "energy / dense")):
            ax = axes[row][c]
            ax.set_yscale("log")  # shared per row, so the designs compare at a glance
            ax.yaxis.set_major_formatter(ScalarFormatter())
            ax.yaxis.set_minor_formatter(NullFormatter())
            ax.set_yticks([0.1, 0.2, 0.5, 1, 2, 5, 10])
            ax.axhline(1.0, color="k", lw=0.8)
            ax.set_xticks(range(len(labels)))
            ax.set_xticklabels(labels if row == 1 else [], rotation=60, ha="right", fontsize=7)
            if c == 0:
                ax.set_ylabel(name + " vs dense,\nsame design, clock, table")
        axes[0][c].set_title(d, fontsize=10)
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), title="network")
    fig.suptitle("What each kind of pruning buys on each design (real digits-trained traces; "
                 "unstructured weights, filters, quantized weights, near-zero activations)", fontsize=10)
    return fig


FIGURES = {"memory": fig_memory, "effort": fig_effort, "synapses": fig_synapses, "hardware": fig_hardware}
