"""Figures of the pruning studies, as pure functions of their CSV rows (no torch needed).

``accelsim prune study NAME`` draws them right after a study; ``accelsim figures`` redraws them from a
results folder's saved ``<study>.csv`` files.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from accelsim.report.ea_figures import FIGURES as _EA_FIGURES
from accelsim.report.ea_figures import MULTI_NETWORK as _EA_MULTI
from accelsim.report.seed_figures import FIGURES as _SEED_FIGURES

Row = dict[str, Any]


def _figure(title: str, study: str = "", wide: bool = False):
    """A figure whose title starts with the study's name, as its file name does (``study_NAME``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if study:
        title = f"{study} study: {title}"
    fig = Figure(figsize=(8.4 if wide else 6.4, 4.4), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    return fig, ax


def fig_accuracy(rows: list[Row]):
    net = rows[0]["network"]
    fig, ax = _figure(f"{net}: accuracy vs weight sparsity (digits data)", "accuracy")
    dense = [r for r in rows if r["method"] == "dense"]
    labels = {"none": "magnitude, no retrain", "direct": "direct (one-shot + retrain)",
              "iterative": "iterative (Han et al.)", "obd": "OBD + retrain", "global": "global magnitude + retrain",
              "lottery": "lottery ticket (rewind)", "filters": "L1 filters + retrain (x: weights gone)",
              "taylor": "Taylor channels + retrain (x: weights gone)", "energy": "energy-aware on SCNN"}
    for method in dict.fromkeys(r["method"] for r in rows if r["method"] != "dense"):
        pts = [(r["achieved"], r["accuracy"]) for r in rows if r["method"] == method]
        k = list(labels).index(method) if method in labels else 0
        ax.plot([p[0] * 100 for p in pts], [p[1] * 100 for p in pts], marker="osD^vP*Xh"[k % 9],
                ls="-" if k < 5 else "--", label=labels.get(method, method))
    if dense:
        ax.axhline(dense[0]["accuracy"] * 100, color="k", ls="--", lw=1, label="dense")
    ax.set_xlabel("weights pruned (%)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8)
    return fig


def fig_sensitivity(rows: list[Row]):
    fig, ax = _figure(f"{rows[0]['network']}: one layer pruned at a time, no retraining", "sensitivity")
    for layer in dict.fromkeys(r["layer"] for r in rows):
        pts = [(r["sparsity"], r["accuracy"]) for r in rows if r["layer"] == layer]
        ax.plot([p[0] * 100 for p in pts], [p[1] * 100 for p in pts], "o-", label=str(layer))
    ax.set_xlabel("weights pruned in the layer (%)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8)
    return fig


def fig_size(rows: list[Row]):
    tot = [r for r in rows if str(r["layer"]) == "total"]
    fig, ax = _figure(f"{rows[0]['network']}: weight storage vs sparsity\n(16-bit values, index bits included)",
                      "size", wide=True)
    xs = [r["sparsity"] * 100 for r in tot]
    # distinct markers and dashes: formats of equal size (RLC and relative index often coincide) stay visible
    for key, label, style in (("dense", "dense", dict(marker="o", ls="-")),
                              ("csr", "CSR", dict(marker="s", ls="-")),
                              ("rlc", "Eyeriss RLC", dict(marker="^", ls="--", ms=9, mfc="none", mew=1.5)),
                              ("relative", "relative index (Han: 8b conv, 5b fc)", dict(marker="x", ls="-.", ms=7))):
        ax.plot(xs, [r[key] / 8192 for r in tot], label=label, **style)
    ax.plot(xs, [r["nnz"] * 16 / 8192 for r in tot], "k:", label="non-zero values only (no index)")
    ax.set_xlabel("weights pruned (%)")
    ax.set_ylabel("size (KiB, log)")
    ax.set_yscale("log")
    fig.subplots_adjust(right=0.62)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def fig_cputime(rows: list[Row]):
    fig, ax = _figure(f"{rows[0]['network']}: CPU time, dense kernels / torch.sparse CSR (1 thread)", "cputime")
    for layer in dict.fromkeys(r["layer"] for r in rows):
        pts = [(r["sparsity"], r["speedup"]) for r in rows if r["layer"] == layer]
        ax.plot([p[0] * 100 for p in pts], [p[1] for p in pts], "o-", label=str(layer))
    ax.axhline(1.0, color="k", lw=1)
    ax.text(0.01, 0.02, "below 1: sparse is slower than dense", transform=ax.transAxes, fontsize=8)
    ax.set_xlabel("weights pruned (%)")
    ax.set_ylabel("speedup of sparse over dense\n(CPU time ratio, log)")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    return fig


def fig_threshold(rows: list[Row]):
    fig, ax = _figure("Cnvlutin near-zero pruning: accuracy vs speedup over DaDianNao\n"
                      "(time ratio, both at 606 MHz; T = t x layer max|input|; sklearn digits, not ImageNet)",
                      "threshold")
    nets = list(dict.fromkeys(str(r["net"]) for r in rows))
    x0, y0 = min(r["speedup"] for r in rows), min(r["accuracy"] for r in rows)
    xr = (max(r["speedup"] for r in rows) - x0) or 1.0
    yr = (max(r["accuracy"] for r in rows) - y0) or 1.0
    placed: list[tuple[float, float]] = []  # label positions as fractions of the data range
    for k, net in enumerate(nets):
        pts = [r for r in rows if str(r["net"]) == net]
        ax.plot([r["speedup"] for r in pts], [r["accuracy"] * 100 for r in pts], "o-", label=net)
        dy = 6 if k % 2 == 0 else -12  # one net's labels above its points, the next one's below
        for r in pts:
            fx, fy = (r["speedup"] - x0) / xr, (r["accuracy"] - y0) / yr + (0.04 if dy > 0 else -0.06)
            if any(abs(fx - px) < 0.05 and abs(fy - py) < 0.05 for px, py in placed):
                continue  # a label here would overlap one already drawn: this point stays unlabelled
            placed.append((fx, fy))
            ax.annotate(f"{r['t']:g}", (r["speedup"], r["accuracy"] * 100), fontsize=7,
                        textcoords="offset points", xytext=(2, dy), color=f"C{k}")
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo - 0.04 * (hi - lo), hi + 0.04 * (hi - lo))  # room for the labels below the lowest points
    ax.set_xlabel("Cnvlutin speedup over DaDianNao (time ratio)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8, title="net (labels: t; crowded\npoints unlabelled)", title_fontsize=7, loc="lower left")
    return fig


def fig_dynamic(rows: list[Row]):
    r0 = rows[0]
    fig, ax = _figure(f"{r0['net']}: dynamic pruning level, Eyeriss energy (table eyeriss-45nm)\n"
                      f"({r0['method']} pruning {r0['mild_level']:g} / {r0['aggressive_level']:g}; "
                      "sklearn digits, not CIFAR-10)", "dynamic")
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
FIGURES.update(_SEED_FIGURES)  # memory, effort, synapses, hardware: the seed-network studies
FIGURES.update(_EA_FIGURES)  # energy, quant: issue #16's energy-aware pruning and quantized accuracy
MULTI_NETWORK = ("memory", "effort", "synapses", "hardware", "threshold") + _EA_MULTI  # one figure, every network


def extra_figures(study: str) -> list[tuple[str, Any]]:
    """Further figures drawn from one study's CSV, as (file-name suffix, figure function): the hardware
    study also gets the per-method payoff heat map (:func:`accelsim.report.sparse_figures.fig_payoff`)."""
    if study == "hardware":
        from accelsim.report.sparse_figures import fig_payoff
        return [("_payoff", fig_payoff)]
    return []


def figure_groups(study: str, rows: list[Row]) -> list[tuple[str, list[Row]]]:
    """(file-name suffix, rows) per figure of a study's CSV: one figure, or one per network for the
    studies whose figure shows a single network (``_<network>`` suffix when the CSV holds several)."""
    key = "net" if rows and "net" in rows[0] else "network"
    nets = list(dict.fromkeys(str(r.get(key)) for r in rows))
    if study in MULTI_NETWORK or len(nets) <= 1:
        return [("", rows)]
    return [(f"_{n}", [r for r in rows if str(r.get(key)) == n]) for n in nets]


def draw_study_csv(name: str, csv_path: str | Path, png: str | Path) -> list[Path]:
    """Draw study ``name``'s figure(s) from its saved CSV (what ``accelsim prune study`` does after the
    study wrote its CSV): ``png``, or ``<png stem>_<network>.png`` per network when the CSV holds several
    networks and the figure shows one; returns the PNG paths."""
    from accelsim import atomic
    from accelsim.report.load import load_csv
    png = Path(png)
    out = []
    for suffix, rows in figure_groups(name, load_csv(csv_path)):
        for extra, fn in [("", FIGURES[name])] + extra_figures(name):
            fig = fn(rows)
            fig.tight_layout()
            path = png.with_name(png.stem + suffix + extra + png.suffix)
            atomic.write_with(path, lambda fh: fig.savefig(fh, format="png"))
            out.append(path)
    return out
