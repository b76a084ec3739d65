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


MARKERS = "osD^vP*Xh<>p"
LINESTYLES = ("-", "--", "-.", ":")


def _style(k: int) -> dict[str, Any]:
    """Marker, dash and fill of the k-th line: no two of a figure's lines look alike, and hollow markers
    let a line drawn on top of another show both."""
    return dict(marker=MARKERS[k % len(MARKERS)], ls=LINESTYLES[k % len(LINESTYLES)], ms=5 + (k % 3),
                mfc="none" if k % 2 else None, mew=1.2, lw=1.3)


def _full_and_zoom(title: str, study: str):
    """A figure of two panels: the whole accuracy range (left) and, right, a zoom on the band around the
    dense accuracy where the lines crowd, in points relative to dense."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11.5, 4.6), dpi=110)
    FigureCanvasAgg(fig)
    full, zoom = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.15]})
    fig.suptitle(f"{study} study: {title}", fontsize=10)
    for ax in (full, zoom):
        ax.grid(True, alpha=0.3)
    return fig, full, zoom


def _zoom_band(zoom: Any, deltas: list[float], floor: float = -10.0) -> None:
    """y range of the zoom panel: every point within ``floor`` points of dense, plus a margin."""
    inside = [d for d in deltas if d >= floor] or [0.0]
    lo, hi = min(min(inside), -1.0), max(max(inside), 1.0)
    zoom.set_ylim(lo - 0.08 * (hi - lo), hi + 0.08 * (hi - lo))
    zoom.axhline(0.0, color="k", ls="--", lw=1)


def fig_accuracy(rows: list[Row]):
    net = rows[0]["network"]
    fig, ax, zoom = _full_and_zoom(f"{net}: accuracy vs weight sparsity (digits data)", "accuracy")
    dense = [r for r in rows if r["method"] == "dense"]
    base = dense[0]["accuracy"] * 100 if dense else None
    labels = {"none": "magnitude, no retrain", "direct": "direct (one-shot + retrain)",
              "iterative": "iterative (Han et al.)", "obd": "OBD + retrain", "global": "global magnitude + retrain",
              "lottery": "lottery ticket (rewind)", "filters": "L1 filters + retrain (x: weights gone)",
              "taylor": "Taylor channels + retrain (x: weights gone)", "energy": "energy-aware on SCNN"}
    methods = list(dict.fromkeys(r["method"] for r in rows if r["method"] != "dense"))
    deltas = []
    for method in methods:
        pts = [(r["achieved"] * 100, r["accuracy"] * 100) for r in rows if r["method"] == method]
        k = list(labels).index(method) if method in labels else len(labels) + methods.index(method)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], label=labels.get(method, method), **_style(k))
        if base is not None:
            dx = 0.25 * (methods.index(method) - (len(methods) - 1) / 2)  # side by side where points coincide
            zoom.plot([p[0] + dx for p in pts], [p[1] - base for p in pts], **_style(k))
            deltas += [p[1] - base for p in pts]
    if base is not None:
        ax.axhline(base, color="k", ls="--", lw=1, label=f"dense ({base:.1f}%)")
        _zoom_band(zoom, deltas)
    ax.set_xlabel("weights pruned (%)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("all methods, full range", fontsize=9)
    zoom.set_title("zoom: within 10 points of dense (lower points: left panel)", fontsize=9)
    zoom.set_xlabel(f"weights pruned (%); methods offset by up to {0.125 * (len(methods) - 1):.1f} pt to stay apart")
    zoom.set_ylabel("accuracy - dense accuracy (points)")
    zoom.legend(*ax.get_legend_handles_labels(), loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8,
                frameon=False)
    fig.tight_layout()
    return fig


def fig_sensitivity(rows: list[Row]):
    net = rows[0]["network"]
    fig, ax, zoom = _full_and_zoom(f"{net}: one layer pruned at a time, no retraining (digits data)",
                                   "sensitivity")
    layers = list(dict.fromkeys(str(r["layer"]) for r in rows))
    base = next((r["accuracy"] * 100 for r in rows if not r["sparsity"]), None)
    deltas = []
    for k, layer in enumerate(layers):
        pts = [(r["sparsity"] * 100, r["accuracy"] * 100) for r in rows if str(r["layer"]) == layer]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], label=layer, **_style(k))
        if base is not None:
            dx = 0.4 * (k - (len(layers) - 1) / 2)
            zoom.plot([p[0] + dx for p in pts], [p[1] - base for p in pts], **_style(k))
            deltas += [p[1] - base for p in pts]
    if base is not None:
        ax.axhline(base, color="k", ls="--", lw=1, label=f"unpruned ({base:.1f}%)")
        _zoom_band(zoom, deltas)
    ax.set_xlabel("weights pruned in the layer (%)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("every layer, full range", fontsize=9)
    zoom.set_title("zoom: within 10 points of unpruned (lower points: left panel)", fontsize=9)
    zoom.set_xlabel(f"weights pruned in the layer (%); layers offset by up to {0.2 * (len(layers) - 1):.1f} pt")
    zoom.set_ylabel("accuracy - unpruned accuracy (points)")
    zoom.legend(*ax.get_legend_handles_labels(), loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8,
                frameon=False, title="layer", title_fontsize=8)
    fig.tight_layout()
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
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    fig, ax = _figure(f"{rows[0]['network']}: CPU time, dense kernels / torch.sparse CSR (1 thread)", "cputime")
    for k, layer in enumerate(dict.fromkeys(r["layer"] for r in rows)):
        pts = [(r["sparsity"], r["speedup"]) for r in rows if r["layer"] == layer]
        ax.plot([p[0] * 100 for p in pts], [p[1] for p in pts], label=str(layer), **_style(k))
    ax.axhline(1.0, color="k", lw=1)
    ax.text(0.3, 0.97, "above 1: sparse faster\nbelow 1: sparse slower", transform=ax.transAxes, fontsize=8,
            va="top")
    ax.set_xlabel("weights pruned (%)")
    ax.set_ylabel("speedup of sparse over dense\n(CPU time ratio, x, log)")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    lo, hi = ax.get_ylim()
    ax.set_yticks([t for t in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50) if lo <= t <= hi])
    ax.legend(fontsize=8, title="layer", title_fontsize=8, loc="upper left")
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
        ax.plot([r["speedup"] for r in pts], [r["accuracy"] * 100 for r in pts], label=net,
                **{**_style(k), "color": f"C{k}"})
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
                      f"{r0['method']} pruning, mild {r0['mild_level']:g} / aggressive {r0['aggressive_level']:g}; "
                      "sklearn digits, not CIFAR-10", "dynamic", wide=True)
    for system, style in (("learned selector", dict(marker="o", ls="-", ms=4, color="C0")),
                          ("confidence baseline", dict(marker="s", ls="--", ms=6, mfc="none", color="C1"))):
        pts = sorted((r for r in rows if r["system"] == system), key=lambda r: r["energy_pj"])
        ax.plot([r["energy_vs_mild"] for r in pts], [r["accuracy"] * 100 for r in pts], label=system, **style)
    for name, mk in (("dense alone", dict(marker="*", color="k")), ("mild alone", dict(marker="D", color="g")),
                     ("aggressive alone", dict(marker="v", color="r"))):
        for r in rows:
            if r["system"] == name:
                ax.plot([r["energy_vs_mild"]], [r["accuracy"] * 100], ls="none", ms=10, mfc="none", mew=2,
                        label=name, zorder=5, **mk)
    ax.set_xlabel("Eyeriss energy per image / the mild network's alone (ratio, x)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8, loc="center right")
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
