"""Near-zero threshold study (accelsim.prune.threshold_study) on the tiny conftest net: seconds."""
import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from accelsim import runner  # noqa: E402
from accelsim.export.exporter import export_model  # noqa: E402
from accelsim.prune.threshold_study import (input_scales, near_zero_hooks, threshold_points,  # noqa: E402
                                            thresholded_accuracy, trace_density)
from accelsim.prune.train import evaluate, train  # noqa: E402


@pytest.fixture
def trained(tiny_net, tiny_data):
    train(tiny_net, tiny_data, epochs=2, seed=0)
    return tiny_net, tiny_data


def test_hooks_zero_exactly_below_threshold(tiny_net):
    x = torch.rand(3, 1, 14, 14)
    x[0, 0, 0, :4] = torch.tensor([0.05, -0.0, 0.1, 0.2])
    seen = {}
    with near_zero_hooks(tiny_net, {"conv1": 0.1}):  # observer registered after: sees the hooked input
        h = tiny_net.conv1.register_forward_pre_hook(lambda m, a: seen.setdefault("x", a[0].clone()))
        tiny_net(x)
        h.remove()
    got = seen["x"]
    assert torch.all(got[x.abs() < 0.1] == 0)
    assert torch.equal(got[x.abs() >= 0.1], x[x.abs() >= 0.1])  # 0.1 itself is kept (|x| < T zeroed)


def test_t0_identical_to_unthresholded(trained):
    model, data = trained
    rows = threshold_points(model, data, "tiny", ts=[0.0], images=8)
    r = rows[0]
    assert r["accuracy"] == evaluate(model, data)
    trace = export_model(model, data.x_test[:8], network="tiny")
    dd, cv = runner.simulate(trace, "dadiannao"), runner.simulate(trace, "cnvlutin")
    assert r["speedup"] == dd.total.latency_total_s / cv.total.latency_total_s  # a time ratio
    assert math.isclose(r["speedup"], dd.total.cycles / cv.total.cycles, rel_tol=1e-12)  # both at 606 MHz
    assert r["energy_ratio"] == cv.total.energy / dd.total.energy
    assert r["zeroed"] == 0.0
    assert r["input_density"] == r["input_density_sim_only"]
    assert all(v == 0.0 for v in json.loads(r["thresholds"]).values())


def test_density_never_increases_with_threshold(trained):
    model, data = trained
    ts = [0.0, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8]
    rows = threshold_points(model, data, "tiny", ts=ts, images=8)
    sim_only = [r["input_density_sim_only"] for r in rows]
    assert all(b <= a for a, b in zip(sim_only, sim_only[1:]))  # one trace: monotone by construction
    first = [json.loads(r["layer_density"])["conv1"] for r in rows]  # no upstream layer: monotone too
    assert all(b <= a for a, b in zip(first, first[1:]))
    assert rows[-1]["input_density"] < rows[0]["input_density"]
    # a larger threshold makes Cnvlutin no slower on the fixed trace
    sp = [r["speedup_sim_only"] for r in rows]
    assert all(b >= a - 1e-12 for a, b in zip(sp, sp[1:]))


def test_density_matches_simulator_mask(trained):
    model, data = trained
    scales = input_scales(model, data.x_train[:32])
    assert set(scales) == {"conv1", "conv2", "fc1", "fc2"} and all(v > 0 for v in scales.values())
    thr = {k: 0.1 * v for k, v in scales.items()}
    trace = export_model(model, data.x_test[:4], network="tiny")
    d, per = trace_density(trace, thr)
    manual = [(np.abs(lt.inputs) >= thr[lt.name]).mean() for lt in trace.layers]
    assert per["conv1"] == pytest.approx(manual[0])
    assert 0 < d < 1
    assert thresholded_accuracy(model, data, {k: 0.0 for k in thr}) == evaluate(model, data)


def test_cli_threshold_and_dynamic(tmp_path):
    import csv

    from accelsim.cli import main

    assert main(["prune", "study", "threshold", "--out", str(tmp_path), "--net", "seed1", "--epochs", "1",
                 "--ts", "0,0.1", "--images", "4"]) == 0
    rows = list(csv.DictReader(open(tmp_path / "threshold.csv")))
    assert [r["t"] for r in rows] == ["0", "0.1"] and (tmp_path / "threshold.png").stat().st_size > 0
    assert {"net", "t", "thresholds", "accuracy", "speedup", "energy_ratio", "input_density"} <= set(rows[0])
    assert main(["prune", "study", "dynamic", "--out", str(tmp_path), "--net", "seed1", "--epochs", "1",
                 "--levels", "0.25,0.5", "--images", "2"]) == 0
    rows = list(csv.DictReader(open(tmp_path / "dynamic.csv")))
    assert {"mild alone", "aggressive alone", "learned selector", "confidence baseline"} <= {r["system"] for r in rows}
    assert (tmp_path / "dynamic.png").stat().st_size > 0
