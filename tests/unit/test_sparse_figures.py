"""EIE / SCNN figures and the per-method payoff heat map (accelsim/report/sparse_figures.py)."""
import math

import numpy as np

from accelsim import runner
from accelsim.report.make import make_all_figures
from accelsim.report.sparse_figures import eie_groups, fig_payoff, scnn_pairs
from accelsim.results import run_file_stem
from accelsim.trace import LayerSpec, LayerTrace, Trace, save_trace


def _trace(tmp_path, name, wd):
    rng = np.random.default_rng(3)
    layers = []
    for s in (LayerSpec("conv1", "conv", 1, 4, 8, 8, 8, 3, 3, 1, 1), LayerSpec("fc1", "fc", 1, 256, 1, 1, 200, 1, 1)):
        w = rng.standard_normal(s.weight_shape).astype(np.float32)
        w[rng.random(w.shape) > wd] = 0
        x = (rng.random(s.input_shape) + 0.1).astype(np.float32)
        x[rng.random(x.shape) > 0.5] = 0
        layers.append(LayerTrace(s, w, x))
    return save_trace(Trace(name, layers, {"synthetic": True}), tmp_path / "traces" / f"{name}.npz")


def test_sparse_figures_from_a_results_folder(tmp_path):
    res = tmp_path / "res"
    paths = [_trace(tmp_path, "a", 0.2), _trace(tmp_path, "b", 0.6)]
    archs = ["scnn", "scnn:dataflow=dense", "eie", "eie:dense=true", "eie:queue_depth=0", "eie:queue_depth=2"]
    for p in paths:
        for a in archs:
            runner.simulate(p, a).write_json(res / "runs" / f"{run_file_stem(p, a)}.json")
    from accelsim.report.load import load_runs
    runs = load_runs(res)
    pairs = scnn_pairs(runs)
    assert sorted((s.arch, d.arch, s.trace == d.trace) for s, d in pairs) == [("scnn", "scnn:dataflow=dense", True)] * 2
    g = eie_groups(runs)
    assert set(g) == {"a", "b"} and all(d is not None and sorted(q) == [0, 2, 8] for d, q in g.values())
    written = {p.name for p in make_all_figures(res, tmp_path / "f")}
    assert {"scnn_vs_dcnn.png", "eie_speedup_queue.png"} <= written


def test_payoff_cells_are_geometric_means_over_networks():
    rows = []
    for net, sp, er in (("n1", 2.0, 0.5), ("n2", 8.0, 0.125)):
        rows.append({"network": net, "method": "dense", "level": 0, "design": "x", "speedup": 1, "energy_ratio": 1})
        rows.append({"network": net, "method": "magnitude", "level": 0.9, "design": "x", "speedup": sp,
                     "energy_ratio": er})
        rows.append({"network": net, "method": "magnitude", "level": 0.9, "design": "y", "speedup": 1.0,
                     "energy_ratio": 1.0})
    fig = fig_payoff(rows)
    left, right = fig.axes[0], fig.axes[1]   # then the two colour bars
    assert [t.get_text() for t in left.texts] == ["4.00", "1.00"]      # geomean(2, 8); y alone
    assert [t.get_text() for t in right.texts] == ["4.00", "1.00"]     # 1 / geomean(0.5, 0.125)
    assert [t.get_fontweight() for t in left.texts] == ["bold", "normal"]  # the best design per method
    assert len(left.patches) == 1 and math.isclose(left.patches[0].get_x(), -0.5)  # boxed: column 0 (x)


def test_sweep_over_eie_queue_depth_and_scnn_dataflow_draws_both_figures(tmp_path):
    """The sweep runs EIE and SCNN on a grid (queue depth applies to EIE only), compares against DCNN,
    and `accelsim figures` draws the EIE and SCNN figures from the sweep's folder."""
    from accelsim.cli import main
    trace = _trace(tmp_path, "a", 0.3)
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"traces: [{str(trace)!r}]\narchs: [eie, 'eie:dense=true', scnn, 'scnn:dataflow=dense']\n"
                    "grid:\n  queue_depth: [0, 8]\nbaseline: 'scnn:dataflow=dense'\nout: res\n")
    assert main(["sweep", str(spec), "--workers", "0", "--quiet"]) == 0
    labels = sorted(p.name.split("__")[1] for p in (tmp_path / "res" / "runs").glob("*.json"))
    assert len(labels) == 6 and sum(lab.startswith("eie") for lab in labels) == 4
    assert main(["figures", "--results", str(tmp_path / "res"), "--out", str(tmp_path / "f")]) == 0
    assert (tmp_path / "f" / "eie_speedup_queue.png").exists() and (tmp_path / "f" / "scnn_vs_dcnn.png").exists()
