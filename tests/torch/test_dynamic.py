"""Dynamic pruning level (accelsim.prune.dynamic): the combined system's formula and its extremes."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from accelsim.errors import ConfigError  # noqa: E402
from accelsim.prune.dynamic import (best_within, build_system, combined_energy, combined_predictions,  # noqa: E402
                                    sweep, system_rows, threshold_grid)


def test_combined_energy_hand_checked():
    # aggressive 10 pJ, selector 1 pJ, mild 100 pJ; 3 of 4 inputs escalated -> 10 + 1 + 0.75 * 100 = 86
    assert combined_energy(10.0, 1.0, 100.0, 0.75) == 86.0
    with pytest.raises(ConfigError):
        combined_energy(10.0, 1.0, 100.0, 1.5)


def test_sweep_hand_checked():
    y = np.array([0, 1, 2, 3])
    agg = np.array([0, 9, 9, 3])    # right on inputs 0 and 3
    mild = np.array([0, 1, 9, 3])   # right on 0, 1, 3
    scores = np.array([0.1, 0.9, 0.6, 0.2])
    rows = sweep(scores, [0.5], agg, mild, y, 10.0, 1.0, 100.0)
    # escalated: inputs 1 and 2 -> predictions [0, 1, 9, 3] -> 3/4 right; energy 10 + 1 + 0.5 * 100
    assert rows[0]["escalated"] == 0.5 and rows[0]["accuracy"] == 0.75 and rows[0]["energy_pj"] == 61.0
    assert list(combined_predictions(agg, mild, scores > 0.5)) == [0, 1, 9, 3]
    below = sweep(scores, [0.5], agg, mild, y, 10.0, 0.0, 100.0, escalate_below=True)
    assert below[0]["escalated"] == 0.5 and below[0]["energy_pj"] == 60.0
    grid = threshold_grid(scores, 4)
    assert grid[0] == -math.inf and grid[-1] == math.inf and grid == sorted(grid)


@pytest.fixture(scope="module")
def system():
    from collections import OrderedDict

    from torch import nn

    from accelsim.prune.train import Data

    g = torch.Generator().manual_seed(0)

    def make(n):
        y = torch.randint(0, 5, (n,), generator=g)
        x = torch.rand(n, 1, 14, 14, generator=g) * 0.6
        for i in range(n):
            c = int(y[i])
            x[i, 0, (c // 3) * 7:(c // 3) * 7 + 7, (c % 3) * 4:(c % 3) * 4 + 4] += 0.5
        return x, y

    xtr, ytr = make(240)
    xte, yte = make(80)
    torch.manual_seed(0)
    net = nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 8, 3)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(8, 10, 3)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()), ("fc1", nn.Linear(40, 20)), ("relu3", nn.ReLU()), ("fc2", nn.Linear(20, 5))]))
    return build_system("tiny", "structured", (0.25, 0.75), epochs=3, retrain_epochs=1, hidden=4, images=4,
                        data=Data(xtr, ytr, xte, yte, "tiny synthetic", 0), dense=net)


def test_extremes_reproduce_each_network(system):
    rows = system_rows(system, points=5)
    alone = {r["system"]: r for r in rows if r["system"].endswith("alone")}
    for name in ("learned selector", "confidence baseline"):
        pts = [r for r in rows if r["system"] == name]
        all_esc = [r for r in pts if r["escalated"] == 1.0]
        none_esc = [r for r in pts if r["escalated"] == 0.0]
        assert all_esc and none_esc
        assert all(r["accuracy"] == alone["mild alone"]["accuracy"] for r in all_esc)
        assert all(r["accuracy"] == alone["aggressive alone"]["accuracy"] for r in none_esc)
    # the extremes also agree with torch's own evaluation of each pruned network
    assert alone["mild alone"]["accuracy"] == pytest.approx(system.info["accuracy_check"]["mild"])
    assert alone["aggressive alone"]["accuracy"] == pytest.approx(system.info["accuracy_check"]["aggressive"])


def test_energy_between_bounds_and_formula(system):
    e = system.energy
    assert e["aggressive"] < e["mild"] < e["dense"] and e["selector"] > 0
    rows = [r for r in system_rows(system, points=5) if r["system"] == "learned selector"]
    lo, hi = e["aggressive"], e["aggressive"] + e["selector"] + e["mild"]
    for r in rows:
        assert lo <= r["energy_pj"] <= hi
        assert r["energy_pj"] == pytest.approx(e["aggressive"] + e["selector"] + r["escalated"] * e["mild"])
    conf = [r for r in system_rows(system, points=5) if r["system"] == "confidence baseline"]
    for r in conf:
        assert r["energy_pj"] == pytest.approx(e["aggressive"] + r["escalated"] * e["mild"])
    assert best_within(rows, "learned selector", 1.0)["energy_pj"] == min(r["energy_pj"] for r in rows)
