"""The users' jobs end to end on a tiny trace: demo writes results and figures; figures regenerate from
saved results alone; compare's ratios are consistent with the runs it saved."""
import json
import math

import numpy as np
import pytest

from accelsim.cli import main
from accelsim.comparison import compare_rows, geomean_rows
from accelsim.report.load import load_runs
from accelsim.trace import LayerSpec, LayerTrace, Trace, save_trace


def tiny_traces(tmp_path):
    rng = np.random.default_rng(1)
    d = tmp_path / "traces"
    for k, dens in enumerate((0.3, 0.8)):
        layers = []
        for name, s in (("conv1", LayerSpec("conv1", "conv", 2, 3, 10, 10, 16, 3, 3, 1, 1)),
                        ("conv2", LayerSpec("conv2", "conv", 2, 16, 10, 10, 32, 3, 3, 1, 1)),
                        ("fc1", LayerSpec("fc1", "fc", 2, 64, 1, 1, 10, 1, 1))):
            x = (rng.random(s.input_shape) + 0.1).astype(np.float32)
            if name != "conv1":
                x[rng.random(s.input_shape) > dens] = 0
            layers.append(LayerTrace(s, rng.standard_normal(s.weight_shape).astype(np.float32), x))
        save_trace(Trace(f"net{k}", layers, {"synthetic": True}), d / f"net{k}.npz")
    return d


def test_demo_then_figures_from_saved_results_only(tmp_path, capsys):
    d = tiny_traces(tmp_path)
    out = tmp_path / "demo"
    assert main(["demo", "--traces", str(d), "--no-synthetic", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    head = said[said.index("Headline"):]
    lines = {tuple(ln.split()[:2]): ln for ln in head.splitlines() if ln.startswith("  ") and "x " in ln}
    # like with like on the family's own table; Eyeriss/UCNN against DaDianNao only on the shared basis
    assert "table dadiannao-45nm" in lines[("cnvlutin", "dadiannao")]
    assert "table eyeriss-45nm" in lines[("ucnn", "eyeriss")] and "both 200 MHz" in lines[("ucnn", "eyeriss")]
    for a in ("eyeriss", "ucnn"):
        assert "table shared-45nm" in lines[(a, "dadiannao")] and "200 MHz vs 606 MHz" in lines[(a, "dadiannao")]
    assert ("cnvlutin:threshold_rel=0.1", "dadiannao") in lines
    assert not any(a in ("eyeriss", "ucnn") and b == "dadiannao" and "shared-45nm" not in ln
                   for (a, b), ln in lines.items())
    assert "MIXED" not in head
    shared = json.loads((out / "shared" / "compare.json").read_text())["rows"]
    assert {r["energy_basis"] for r in shared} == {"shared-45nm"}
    for f in ("compare.csv", "compare.json", "compare_summary.csv", "compression.csv"):
        assert (out / f).exists(), f
    runs = load_runs(out)
    assert {r.arch for r in runs} >= {"dadiannao", "cnvlutin"} and len({r.trace for r in runs}) == 2
    # the demo draws the short set: the featured (first) trace's figures, not one of each kind per trace
    short = {str(p.relative_to(out / "figures")) for p in (out / "figures").rglob("*") if p.is_file()}
    assert {"speedup_per_network.png", "speedup_per_network.pdf", "speedup_per_layer_net0.png", "macs_net0.png",
            "compression_net0.png", "shared/energy_per_network.png", "shared/energy_breakdown_net0.png"} <= short
    assert not any("net1" in f for f in short)
    for f in short:  # and says where each went
        if f.endswith(".png"):
            assert f"  {f}\n" in said
    assert f"accelsim figures --results {out}" in said
    # remove the traces: figures must come from the saved results alone
    for p in d.iterdir():
        p.unlink()
    assert main(["figures", "--results", str(out), "--out", str(tmp_path / "figs")]) == 0
    names = {str(p.relative_to(tmp_path / "figs")) for p in (tmp_path / "figs").rglob("*") if p.is_file()}
    assert {"speedup_per_network.png", "speedup_per_network.pdf", "energy_breakdown_net0.png",
            "compression_net1.png", "macs_net0.png", "macs_net1.png"} <= names
    assert short < names  # the short set is part of the full set, under the same names


def test_compare_rows_are_ratios_of_saved_runs(tmp_path):
    d = tiny_traces(tmp_path)
    assert main(["compare", *map(str, sorted(d.glob("*.npz"))), "--arch", "dadiannao,cnvlutin",
                 "--baseline", "dadiannao", "--out", str(tmp_path / "c"), "--quiet"]) == 0
    runs = load_runs(tmp_path / "c")
    rows = compare_rows(runs, "dadiannao")
    by = {(r.trace, r.arch): r for r in runs}
    for row in rows:
        a, b = by[(row["trace"], row["arch"])], by[(row["trace"], "dadiannao")]
        la = a.total if row["layer"] == "total" else next(x for x in a.layers if x.name == row["layer"])
        lb = b.total if row["layer"] == "total" else next(x for x in b.layers if x.name == row["layer"])
        assert math.isclose(row["speedup"], lb.latency_total_s / la.latency_total_s)
        assert math.isclose(row["cycle_ratio"], lb.cycles / la.cycles)
        assert math.isclose(row["energy_ratio"], la.energy / lb.energy)
    g = {x["arch"]: x for x in geomean_rows(rows)}["cnvlutin"]
    sp = [r["speedup"] for r in rows if r["arch"] == "cnvlutin" and r["layer"] == "total"]
    assert math.isclose(g["speedup_geomean"], math.sqrt(sp[0] * sp[1]))
    saved = json.loads((tmp_path / "c" / "compare.json").read_text())
    assert saved["summary"][1]["arch"] == "cnvlutin"


def test_figures_on_empty_folder_is_bad_input(tmp_path, capsys):
    assert main(["figures", "--results", str(tmp_path), "--out", str(tmp_path / "f")]) == 3
    assert main(["figures", "--results", str(tmp_path / "none"), "--out", str(tmp_path / "f")]) == 3


def test_study_figures_redraw_from_csv_without_torch(tmp_path, capsys):
    """A threshold-study CSV (as `accelsim prune study threshold` writes it) is redrawn by `figures`."""
    d = tmp_path / "res" / "thr"
    d.mkdir(parents=True)
    (d / "threshold.csv").write_text("net,t,accuracy,speedup\nlenet5,0,0.97,1.19\nlenet5,0.1,0.973,1.43\n"
                                     "lenet5,0.3,0.127,1.95\n")
    assert main(["figures", "--results", str(tmp_path / "res"), "--out", str(tmp_path / "f")]) == 0
    assert (tmp_path / "f" / "study_threshold_thr.png").exists()


def test_layer_names_of_any_type_draw(tmp_path, capsys):
    """Layers named "0", "1.5", "block.1/conv" survive compare.csv's round trip as text and are drawn."""
    from accelsim.report.load import load_csv
    rng = np.random.default_rng(2)
    layers = []
    for name in ("0", "1.5", "block.1/conv"):
        s = LayerSpec(name, "conv", 1, 4, 6, 6, 8, 3, 3, 1, 1)
        layers.append(LayerTrace(s, rng.standard_normal(s.weight_shape).astype(np.float32),
                                 rng.random(s.input_shape).astype(np.float32)))
    p = save_trace(Trace("odd", layers, {"synthetic": True}), tmp_path / "odd.npz")
    assert main(["compare", str(p), "--arch", "dadiannao,cnvlutin,eyeriss", "--baseline", "dadiannao",
                 "--out", str(tmp_path / "c"), "--quiet"]) == 0
    rows = load_csv(tmp_path / "c" / "compare.csv")
    assert {r["layer"] for r in rows} == {"0", "1.5", "block.1/conv", "total"}
    assert main(["figures", "--results", str(tmp_path / "c"), "--out", str(tmp_path / "f")]) == 0
    assert (tmp_path / "f" / "speedup_per_layer_odd.png").exists()
    assert (tmp_path / "f" / "energy_breakdown_odd.png").exists()


def test_speedup_figure_says_time_ratio_names_clocks_and_uses_log_when_wide():
    from accelsim.report.figures import fig_speedup
    rows = [{"network": "n", "trace": "t.npz", "synthetic": False, "layer": "total", "arch": a, "baseline": "d",
             "speedup": sp, "clock_hz": c, "baseline_clock_hz": 606e6}
            for a, sp, c in (("d", 1.0, 606e6), ("c", 1.3, 606e6), ("e", 0.02, 200e6))]
    fig = fig_speedup(rows, "d")
    ax = fig.axes[0]
    assert "time ratio" in ax.get_ylabel() and ax.get_yscale() == "log"
    assert "606 MHz" in ax.get_title() and any("200 MHz" in t.get_text() for t in ax.get_legend().get_texts())
    same = fig_speedup([r for r in rows if r["arch"] != "e"], "d")
    assert same.axes[0].get_yscale() == "linear" and "clocks differ" not in same.axes[0].get_title()


@pytest.mark.slow
def test_demo_all_draws_what_figures_draws(tmp_path, capsys):
    """`demo --all` draws the full set: the same files as `accelsim figures` on its results folder."""
    d = tiny_traces(tmp_path)
    out = tmp_path / "demo"
    assert main(["demo", "--traces", str(d), "--no-synthetic", "--out", str(out), "--all", "--quiet"]) == 0
    assert main(["figures", "--results", str(out), "--out", str(tmp_path / "figs")]) == 0
    got = {str(p.relative_to(out / "figures")) for p in (out / "figures").rglob("*") if p.is_file()}
    want = {str(p.relative_to(tmp_path / "figs")) for p in (tmp_path / "figs").rglob("*") if p.is_file()}
    assert got == want and "macs_net1.png" in got
