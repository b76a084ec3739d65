"""What a reader would stumble on in a figure: a title cut at the figure's edge, lines that cannot be told
apart, crowded lines hidden in a full-range axis."""
from pathlib import Path

import accelsim
from accelsim.report import figures as F
from accelsim.report.layout import fit_titles
from accelsim.report.load import load_csv
from accelsim.report.study_figures import fig_accuracy, fig_sensitivity

STUDIES = Path(accelsim.__file__).parent / "data" / "studies"


def _inside(fig, text) -> bool:
    box = text.get_window_extent(fig.canvas.get_renderer())
    return box.x0 >= 0 and box.x1 <= fig.bbox.width


def test_speedup_title_of_one_trace_with_a_wide_legend_fits_the_figure():
    archs = [("dadiannao", 606e6), ("cnvlutin:threshold_rel=0.1", 606e6), ("eyeriss:rlc=false:gating=false", 200e6),
             ("eie", 800e6), ("scnn", 1e9)]
    rows = [{"network": "n", "trace": "lenet5_magnitude90.npz", "synthetic": False, "layer": "total", "arch": a,
             "baseline": "dadiannao", "speedup": 0.05 + k if k else 1.0, "clock_hz": c, "baseline_clock_hz": 606e6}
            for k, (a, c) in enumerate(archs)]
    fig = F.fig_speedup(rows, "dadiannao")
    ax = fig.axes[0]
    assert not _inside(fig, ax.title)  # the case that was cut off
    fit_titles(fig)
    assert _inside(fig, ax.title)
    words = "clocks differ: dadiannao at 606 MHz, others as in the legend; speedup = ratio of times, not cycles".split()
    assert ax.get_title().split() == ("Speedup per network over dadiannao (time ratio, one group per trace)".split()
                                      + words)  # rewrapped, nothing lost
    # few bars: each carries its value
    assert {t.get_text() for t in ax.texts} >= {"1.1", "2", "3", "4"}


def _distinct_lines(ax):
    return [(ln.get_marker(), ln.get_linestyle(), ln.get_markerfacecolor() == "none") for ln in ax.get_lines()
            if ln.get_marker() not in ("None", None, "")]


def test_accuracy_figure_lines_are_distinct_and_zoomed_near_dense():
    rows = [r for r in load_csv(STUDIES / "accuracy.csv") if r["network"] == "lenet5"]
    fig = fig_accuracy(rows)
    full, zoom = fig.axes[:2]
    styles = _distinct_lines(full)
    assert len(styles) == len({r["method"] for r in rows}) - 1 == len(set(styles))
    dense = next(r["accuracy"] for r in rows if r["method"] == "dense") * 100
    lo, hi = zoom.get_ylim()
    near = [r["accuracy"] * 100 - dense for r in rows if r["method"] != "dense"
            and r["accuracy"] * 100 - dense >= -10]
    assert lo <= min(near) and hi >= max(near) and hi - lo <= 16  # the band, not 0-100
    assert "points" in zoom.get_ylabel() and zoom.get_legend() is not None


def test_sensitivity_figure_lines_are_distinct_and_zoomed():
    rows = [r for r in load_csv(STUDIES / "sensitivity.csv") if r["network"] == "seed2"]
    fig = fig_sensitivity(rows)
    full, zoom = fig.axes[:2]
    styles = _distinct_lines(full)
    assert len(styles) == len({r["layer"] for r in rows}) == len(set(styles))
    lo, hi = zoom.get_ylim()
    assert hi - lo <= 16 and lo < 0 < hi
