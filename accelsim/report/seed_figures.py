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


MARKERS = "osD^vP*X"
DASHES = ("-", "--", "-.", ":")


def _style(k: int) -> dict[str, Any]:
    """The k-th network's line: its own marker and dash, every other one hollow, so lines drawn on top of
    one another all stay visible."""
    return dict(marker=MARKERS[k % len(MARKERS)], ls=DASHES[k % len(DASHES)], ms=4 + (k % 3),
                mfc="none" if k % 2 else None, mew=1.1, lw=1.2, color=f"C{k}")


def fig_memory(rows: list[Row]):
    """Left: accuracy along the iterative-pruning ladder; middle: its last steps, where the networks part;
    right: storage saving (CSR) at iso-accuracy."""
    fig, axes = _fig(14.5, 4.6, 1, 3)
    ax1, axz, ax2 = axes[0]
    nets = _nets(rows)
    zoom_lo = 80.0
    for k, net in enumerate(nets):
        lad = sorted((r for r in rows if str(r["network"]) == net and r["row"] == "ladder"),
                     key=lambda r: _f(r["sparsity"]))
        xs, ys = [_f(r["sparsity"]) * 100 for r in lad], [_f(r["accuracy"]) * 100 for r in lad]
        ax1.plot(xs, ys, label=net, **_style(k))
        dx = 0.15 * (k - (len(nets) - 1) / 2)  # side by side where networks' points coincide
        axz.plot([x + dx for x in xs], ys, **_style(k))
    ax1.set_xlabel("weights pruned (%), iterative prune-and-retrain")
    ax1.set_ylabel("test accuracy (%)")
    ax1.set_title("accuracy along the pruning ladder", fontsize=10)
    ax1.legend(fontsize=8, loc="lower left", title="network", title_fontsize=8)
    ax1.axvspan(zoom_lo, 100, color="0.92", zorder=0)
    axz.set_xlim(zoom_lo - 1, 100)
    axz.set_ylim(88, 100)
    axz.set_xlabel(f"weights pruned (%); networks offset by up to {0.15 * (len(nets) - 1) / 2:.1f} pt")
    axz.set_ylabel("test accuracy (%)")
    axz.set_title(f"zoom: {zoom_lo:g}-100% pruned, accuracy above 88%", fontsize=10)
    tols = sorted({_f(r["tolerance"]) for r in rows if r["row"] == "iso"})
    width = 0.8 / max(1, len(tols))
    hatches = ("", "//", "..", "xx")
    for j, tol in enumerate(tols):
        vals = []
        for net in nets:
            iso = [r for r in rows if str(r["network"]) == net and r["row"] == "iso" and _f(r["tolerance"]) == tol]
            vals.append(_f(iso[0]["saving_csr"]) * 100 if iso else float("nan"))
        xs = [i + (j - (len(tols) - 1) / 2) * width for i in range(len(nets))]
        ax2.bar(xs, vals, width, label=f"within {tol * 100:g} pt of dense", hatch=hatches[j % len(hatches)],
                edgecolor="white")
    lo, hi, mean = SEED_CLAIM
    ax2.axhspan(lo * 100, hi * 100, color="0.85", zorder=0, label="seeds' reported range (38-79%)")
    ax2.axhline(mean * 100, color="k", ls="--", lw=1, label="seeds' mean (61%)")
    ax2.set_xticks(range(len(nets)))
    ax2.set_xticklabels(nets)
    ax2.set_ylim(0, 100)
    ax2.set_ylabel("weight storage saved vs dense\n16-bit, CSR (%)")
    ax2.set_title("memory saving at iso-accuracy", fontsize=10)
    ax2.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle("Memory savings at iso-accuracy (sklearn digits stand-ins, not MNIST/CIFAR-10)", fontsize=10)
    return fig


def fig_effort(rows: list[Row]):
    """Retraining epochs back to iso-accuracy vs sparsity, a panel per network (small multiples, so no
    network's lines hide another's); one-shot solid, iterative dashed; x = not reached."""
    nets = _nets(rows) or [""]
    fig, axes = _fig(2.6 * len(nets) + 1.2, 4.2, 1, len(nets), sharey=True)
    styles = (("one-shot", dict(ls="-", marker="o", color="C0")),
              ("iterative", dict(ls="--", marker="s", mfc="none", color="C1")))
    for ax, net in zip(axes[0], nets):
        for method, st in styles:
            pts = sorted((r for r in rows if str(r["network"]) == net and r["method"] == method),
                         key=lambda r: _f(r["sparsity"]))
            if not pts:
                continue
            ax.plot([_f(r["sparsity"]) * 100 for r in pts], [_f(r["retrain_epochs"]) for r in pts], ms=4,
                    mew=1.1, label=method, **st)
            miss = [r for r in pts if str(r["reached"]) not in ("True", "true", "1")]
            ax.plot([_f(r["sparsity"]) * 100 for r in miss], [_f(r["retrain_epochs"]) for r in miss], "x",
                    color=st["color"], ms=9, mew=2, label=f"{method}: never reached (capped)")
        ax.set_title(net, fontsize=10)
        ax.set_xlabel("weights pruned (%)")
    tol = _f(rows[0]["tolerance"]) * 100 if rows else float("nan")
    axes[0][0].set_ylabel("retraining epochs to iso-accuracy")
    handles, labels = axes[0][0].get_legend_handles_labels()
    for ax in axes[0][1:]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    axes[0][0].legend(handles, labels, fontsize=7, loc="upper left")  # the first panel's empty corner
    fig.suptitle(f"Training effort: retraining epochs until within {tol:g} pt of dense accuracy "
                 "(one-shot prune then retrain vs iterative, 3 rounds)", fontsize=10)
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
        ax.set_ylim(0, 106)  # a layer left whole (100%) stays clear of the frame
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
            dx = 0.14 * (k - (len(nets) - 1) / 2)  # networks side by side: equal ratios (often 1.0) stay apart
            xs = [labels.index(_variant_label(r)) + dx for r in rs]
            kw = dict(ms=4, mew=1.0, mfc="none" if k % 2 else None, color=f"C{k}", label=net)
            axes[0][c].plot(xs, [_f(r["speedup"]) for r in rs], markers[k % len(markers)], **kw)
            axes[1][c].plot(xs, [_f(r["energy_ratio"]) for r in rs], markers[k % len(markers)], **kw)
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
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), title="network\n(side by\nside)",
                       title_fontsize=7)
    fig.suptitle("What each kind of pruning buys on each design (real digits-trained traces; "
                 "unstructured weights, filters, quantized weights, near-zero activations)", fontsize=10)
    return fig


FIGURES = {"memory": fig_memory, "effort": fig_effort, "synapses": fig_synapses, "hardware": fig_hardware}
