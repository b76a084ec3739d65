"""The demo's short set of figures: the ones a paper would show, drawn from a demo results folder.

``accelsim demo`` draws these by default (16 figures with the shipped data, PNG and PDF);
``accelsim demo --all`` and ``accelsim figures --results DIR`` draw every figure (one of each kind per
trace, about 170).  Each figure here
has the same file name and subfolder as in the full set, so the short set is a subset of the full one:

* ``speedup_per_network``: every design over the baseline, per trace (time ratios);
* ``shared/energy_per_network``: energy reduction per trace on the shared price table (the only fair
  basis across design families); with ``--energy-basis shared`` (no shared/ folder: every run is on that
  table) ``energy_per_network`` and the energy breakdown are drawn from the main results instead;
* for one featured trace (the synthetic AlexNet when the demo ran it, else the first trace): speedup per
  layer, MAC classes, Eyeriss DRAM traffic with and without RLC, input compression, and energy by
  component on the shared table (``shared/energy_breakdown_<trace>``);
* ``ucnn/ucnn_vs_unique_weights``: UCNN's multiplies and energy against unique weights;
* ``sparse/scnn_vs_dcnn`` and ``sparse/eie_speedup_queue``: SCNN and EIE against their dense baselines;
* the saved pruning studies: what pruning buys on each design (hardware, and its per-method payoff
  heat map), accuracy and per-layer
  sensitivity of LeNet-5, Cnvlutin's near-zero threshold, memory saved at iso-accuracy.
"""
from __future__ import annotations

from pathlib import Path

from accelsim.errors import FormatError
from accelsim.report import figures as F
from accelsim.report.load import load_csv, load_runs
from accelsim.report.make import _save, _slug
from accelsim.report.study_figures import FIGURES as STUDY_FIGURES
from accelsim.report.study_figures import extra_figures, figure_groups

#: (study, network or "" for the figures that show every network); drawn when the study's CSV is there
STUDIES = (("hardware", ""), ("accuracy", "lenet5"), ("sensitivity", "lenet5"), ("threshold", ""), ("memory", ""))


def featured_trace(names: list[str]) -> str:
    """The trace whose per-layer figures the short set shows."""
    return next((n for n in names if n.startswith("alexnet")), names[0] if names else "")


def make_demo_figures(results_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """The short set of figures of a demo results folder (see the module docstring); returns the files."""
    rd, od = Path(results_dir), Path(out_dir)
    written: list[Path] = []
    rows = load_csv(rd / "compare.csv") if (rd / "compare.csv").exists() else []
    if not rows:
        raise FormatError(f"{rd}: no compare.csv to draw")
    baseline = rows[0]["baseline"]
    written += _save(F.fig_speedup(rows, baseline), od, "speedup_per_network")
    names = list(dict.fromkeys(F.trace_name(r) for r in rows))
    net = featured_trace(names)
    written += _save(F.fig_speedup(rows, baseline, per_layer=True, network=net), od,
                     f"speedup_per_layer_{_slug(net)}")
    runs = [r for r in load_runs(rd, recursive=False) if F.trace_name(r) == net]
    if runs:
        written += _save(F.fig_macs(runs, net), od, f"macs_{_slug(net)}")
        if any(r.layers and "dram_ifmap_read_bits_uncompressed" in r.layers[0].extra for r in runs):
            written += _save(F.fig_dram_rlc(runs, net), od, f"dram_rlc_{_slug(net)}")
    if (rd / "compression.csv").exists():
        comp = [r for r in load_csv(rd / "compression.csv") if F.trace_name(r) == net]
        if comp:
            written += _save(F.fig_compression(comp, net), od, f"compression_{_slug(net)}")
    shared = rd / "shared"
    if not shared.is_dir():  # `demo --energy-basis shared` (or a single-table run): the energies are here
        if rows and "energy_reduction" in rows[0] and not any(str(r.get("energy_basis", "")).startswith("mixed:")
                                                              for r in rows):
            written += _save(F.fig_energy_per_network(rows, baseline), od, "energy_per_network")
            if runs:
                written += _save(F.fig_energy_breakdown(runs, net), od, f"energy_breakdown_{_slug(net)}")
    if (shared / "compare.csv").exists():
        srows = load_csv(shared / "compare.csv")
        if srows and "energy_reduction" in srows[0]:
            written += _save(F.fig_energy_per_network(srows, srows[0]["baseline"]), od / "shared",
                             "energy_per_network")
    sruns = [r for r in load_runs(shared, recursive=False) if F.trace_name(r) == net] if shared.is_dir() else []
    if sruns:
        written += _save(F.fig_energy_breakdown(sruns, net), od / "shared", f"energy_breakdown_{_slug(net)}")
    ucnn = rd / "ucnn"
    uruns = load_runs(ucnn, recursive=False) if ucnn.is_dir() else []
    if (any(r.arch.split(":")[0] == "ucnn" and r.source.get("quantization") for r in uruns)
            and any(r.arch == "eyeriss" for r in uruns)):
        written += _save(F.fig_ucnn(uruns), od / "ucnn", "ucnn_vs_unique_weights")
    sparse = rd / "sparse"
    spruns = load_runs(sparse, recursive=False) if sparse.is_dir() else []
    if spruns:
        from accelsim.report import sparse_figures as SF  # SCNN vs DCNN; EIE vs dense EIE and queue depth
        for fname, fig in (("scnn_vs_dcnn", SF.fig_scnn_density(spruns)), ("eie_speedup_queue", SF.fig_eie(spruns))):
            if fig is not None:
                written += _save(fig, od / "sparse", fname)
    for name, network in STUDIES:
        csv_path = rd / "studies" / f"{name}.csv"
        if not csv_path.exists():
            continue
        for suffix, rs in figure_groups(name, load_csv(csv_path)):
            if network and suffix not in ("", f"_{network}"):
                continue
            for extra, fn in [("", STUDY_FIGURES[name])] + extra_figures(name):
                fig = fn(rs)
                fig.tight_layout()
                written += _save(fig, od, f"study_{name}{_slug(suffix)}{extra}_studies")
    return written
