"""Figures of the energy-aware pruning and quantization studies (issue #16), from their CSV rows only."""
from __future__ import annotations

from typing import Any

Row = dict[str, Any]


def _fig(title: str, panels: int):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(5.0 * panels + 2.2, 4.6), dpi=110)
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, panels, i + 1) for i in range(panels)]
    fig.suptitle(title, fontsize=10)
    for ax in axes:
        ax.grid(True, axis="y", alpha=0.3)
    return fig, axes


def fig_energy(rows: list[Row]):
    """Per guide design: each pruned model's energy on that design, relative to global magnitude pruning;
    the model's test accuracy is written in its bar."""
    nets = list(dict.fromkeys(r["network"] for r in rows))
    guides = list(dict.fromkeys(r["guide"] for r in rows if r["guide"]))
    methods = [m for m in dict.fromkeys(r["method"] for r in rows) if m != "dense"]
    top = max(float(r["sparsity"]) for r in rows)
    fig, axes = _fig(f"energy study: energy-aware vs magnitude pruning at {top:.0%} weight sparsity, same "
                     "fine-tuning epochs (test accuracy in each bar)", max(1, len(guides)))
    width = 0.8 / max(1, len(methods))
    colors = {"magnitude-layer": "#b0b0b0", "magnitude-global": "#707070", "energy-aware-scnn": "#1f77b4",
              "energy-aware-eie": "#ff7f0e"}
    for ax, g in zip(axes, guides):
        for j, m in enumerate(methods):
            ys, accs = [], []
            for n in nets:
                ref = [float(r["energy"]) for r in rows if r["network"] == n and r["design"] == g
                       and r["method"] == "magnitude-global"]
                v = [r for r in rows if r["network"] == n and r["design"] == g and r["method"] == m]
                ys.append(float(v[0]["energy"]) / ref[0] if v and ref and ref[0] else float("nan"))
                accs.append(float(v[0]["accuracy"]) if v else float("nan"))
            xs = [i + (j - (len(methods) - 1) / 2) * width for i in range(len(nets))]
            ax.bar(xs, ys, width, label=m, color=colors.get(m))
            for x, a in zip(xs, accs):
                if a == a:
                    ax.text(x, 0.03, f"{100 * a:.1f}%", rotation=90, ha="center", va="bottom", fontsize=6.5)
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_xticks(range(len(nets)), nets)
        ax.set_ylabel(f"{g.upper()} energy / global magnitude's")
        ax.set_title(f"energy on {g.upper()}", fontsize=9)
        ax.set_ylim(0.0, 1.1)
    axes[-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


FLOOR = -15.0  # points: the quant figure's lowest value drawn


def fig_quant(rows: list[Row]):
    """Accuracy of each quantized model minus the float model fine-tuned alike, per network."""
    nets = list(dict.fromkeys(r["network"] for r in rows))
    bases = list(dict.fromkeys(r["base"] for r in rows))
    schemes = list(dict.fromkeys(f"{r['scheme']}-{r['bits']}" for r in rows))
    fig, axes = _fig("quant study: test accuracy of quantized models minus float fine-tuned alike (digits data)",
                     len(bases))
    width = 0.8 / max(1, len(schemes))
    for ax, b in zip(axes, bases):
        for j, s in enumerate(schemes):
            sel = {r["network"]: r for r in rows if r["base"] == b and f"{r['scheme']}-{r['bits']}" == s}
            xs = [i + (j - (len(schemes) - 1) / 2) * width for i in range(len(nets))]
            ft = [100 * (float(sel[n]["accuracy_finetuned"]) - float(sel[n]["accuracy_float_finetuned"]))
                  if n in sel else float("nan") for n in nets]
            one = [100 * (float(sel[n]["accuracy_one_shot"]) - float(sel[n]["accuracy_float"]))
                   if n in sel else float("nan") for n in nets]
            bars = ax.bar(xs, [max(v, FLOOR) for v in ft], width, label=f"{s} trained (shadow weights)")
            ax.plot(xs, [max(v, FLOOR) for v in one], "v", color=bars.patches[0].get_facecolor(), ms=5,
                    markeredgecolor="k", markeredgewidth=0.5, label=f"{s} one shot (vs float)")
            for x, v in list(zip(xs, ft)) + list(zip(xs, one)):
                if v < FLOOR:  # off the scale: drawn at the floor, value written
                    ax.annotate(f"{v:.0f}", (x, FLOOR), xytext=(0, 6), textcoords="offset points", fontsize=6,
                                ha="center", rotation=90)
        ax.axhline(0.0, color="k", lw=0.8)
        ax.set_xticks(range(len(nets)), nets)
        ax.set_ylabel("accuracy difference (points)")
        ax.set_title(f"{b} model (below {FLOOR:g}: drawn at {FLOOR:g}, value written)", fontsize=9)
        ax.set_ylim(FLOOR - 1, 3)
    axes[-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


FIGURES = {"energy": fig_energy, "quant": fig_quant}
MULTI_NETWORK = ("energy", "quant")

__all__ = ["FIGURES", "MULTI_NETWORK", "fig_energy", "fig_quant"]
