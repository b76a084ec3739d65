"""Figures of the pruning studies, as pure functions of their CSV rows (no torch needed).

``accelsim prune study NAME`` draws them right after a study; ``accelsim figures`` redraws them from a
results folder's saved ``<study>.csv`` files.
"""
from __future__ import annotations

from typing import Any

Row = dict[str, Any]


def _figure(title: str):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.4), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    return fig, ax


def fig_accuracy(rows: list[Row]):
    net = rows[0]["network"]
    fig, ax = _figure(f"{net}: accuracy vs weight sparsity (digits data)")
    dense = [r for r in rows if r["method"] == "dense"]
    labels = {"none": "magnitude, no retrain", "direct": "direct (one-shot + retrain)",
              "iterative": "iterative (Han et al.)", "obd": "OBD + retrain", "global": "global magnitude + retrain"}
    for method in dict.fromkeys(r["method"] for r in rows if r["method"] != "dense"):
        pts = [(r["achieved"], r["accuracy"]) for r in rows if r["method"] == method]
        ax.plot([p[0] * 100 for p in pts], [p[1] * 100 for p in pts], "o-", label=labels.get(method, method))
    if dense:
        ax.axhline(dense[0]["accuracy"] * 100, color="k", ls="--", lw=1, label="dense")
    ax.set_xlabel("weights pruned (%)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8)
    return fig


def fig_sensitivity(rows: list[Row]):
    fig, ax = _figure(f"{rows[0]['network']}: one layer pruned at a time, no retraining")
    for layer in dict.fromkeys(r["layer"] for r in rows):
        pts = [(r["sparsity"], r["accuracy"]) for r in rows if r["layer"] == layer]
        ax.plot([p[0] * 100 for p in pts], [p[1] * 100 for p in pts], "o-", label=layer)
    ax.set_xlabel("weights pruned in the layer (%)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8)
    return fig


def fig_size(rows: list[Row]):
    tot = [r for r in rows if r["layer"] == "total"]
    fig, ax = _figure(f"{rows[0]['network']}: weight storage vs sparsity (16-bit values, index bits included)")
    xs = [r["sparsity"] * 100 for r in tot]
    for key, label in (("dense", "dense"), ("csr", "CSR"), ("rlc", "Eyeriss RLC"),
                       ("relative", "relative index (Han: 8b conv, 5b fc)")):
        ax.plot(xs, [r[key] / 8192 for r in tot], "o-", label=label)
    ax.plot(xs, [r["nnz"] * 16 / 8192 for r in tot], "k:", label="non-zero values only (no index)")
    ax.set_xlabel("weights pruned (%)")
    ax.set_ylabel("size (KiB)")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    return fig


def fig_cputime(rows: list[Row]):
    fig, ax = _figure(f"{rows[0]['network']}: CPU time, dense kernels / torch.sparse CSR (1 thread)")
    for layer in dict.fromkeys(r["layer"] for r in rows):
        pts = [(r["sparsity"], r["speedup"]) for r in rows if r["layer"] == layer]
        ax.plot([p[0] * 100 for p in pts], [p[1] for p in pts], "o-", label=layer)
    ax.axhline(1.0, color="k", lw=1)
    ax.text(0.01, 0.02, "below 1: sparse is slower than dense", transform=ax.transAxes, fontsize=8)
    ax.set_xlabel("weights pruned (%)")
    ax.set_ylabel("speedup of sparse over dense")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    return fig


def fig_threshold(rows: list[Row]):
    fig, ax = _figure("Near-zero pruning on Cnvlutin: accuracy vs speedup over DaDianNao\n"
                      "(T = t x layer max|input|; sklearn digits, not ImageNet)")
    for net in dict.fromkeys(r["net"] for r in rows):
        pts = [r for r in rows if r["net"] == net]
        ax.plot([r["speedup"] for r in pts], [r["accuracy"] * 100 for r in pts], "o-", label=net)
        for r in pts:
            ax.annotate(f"{r['t']:g}", (r["speedup"], r["accuracy"] * 100), fontsize=7,
                        textcoords="offset points", xytext=(3, 3))
    ax.set_xlabel("Cnvlutin speedup over DaDianNao")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8, title="net (labels: t)", title_fontsize=8)
    return fig


def fig_dynamic(rows: list[Row]):
    r0 = rows[0]
    fig, ax = _figure(f"{r0['net']}: dynamic pruning level, Eyeriss energy\n({r0['method']} pruning "
                      f"{r0['mild_level']:g} / {r0['aggressive_level']:g}; sklearn digits, not CIFAR-10)")
    for system, style in (("learned selector", "o-"), ("confidence baseline", "s--")):
        pts = sorted((r for r in rows if r["system"] == system), key=lambda r: r["energy_pj"])
        ax.plot([r["energy_vs_mild"] for r in pts], [r["accuracy"] * 100 for r in pts], style, ms=3,
                label=system)
    for name, mk in (("dense alone", "k*"), ("mild alone", "gD"), ("aggressive alone", "rv")):
        for r in rows:
            if r["system"] == name:
                ax.plot([r["energy_vs_mild"]], [r["accuracy"] * 100], mk, ms=9, label=name)
    ax.set_xlabel("Eyeriss energy per image / mild network alone")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8)
    return fig


FIGURES = {"accuracy": fig_accuracy, "sensitivity": fig_sensitivity, "size": fig_size, "cputime": fig_cputime,
           "dynamic": fig_dynamic, "threshold": fig_threshold}
