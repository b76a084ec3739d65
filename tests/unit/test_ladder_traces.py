"""The shipped real-trace sparsity ladder (accelsim/data/traces/ladder, made by models/make_ladder.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from accelsim.trace import load_trace

LADDER = Path(__file__).resolve().parents[2] / "accelsim" / "data" / "traces" / "ladder"
FILES = sorted(LADDER.glob("*.npz"))


def test_every_network_has_a_ladder():
    nets = {p.name.split("_")[0] for p in FILES}
    assert nets == {"lenet5", "seed1", "seed2", "seed3", "seed4"}
    readme = (LADDER / "README.md").read_text()
    assert all(f"`{p.name}`" in readme for p in FILES)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_ladder_trace_is_what_its_name_says(path):
    """Magnitude rungs hold exactly (1 - level) of their weights, rounded per layer; every trace is one
    image, real (not synthetic), with its accuracy recorded."""
    t = load_trace(path)
    s = t.source
    assert not t.synthetic and 0.0 < float(s["accuracy"]) <= 1.0
    assert all(lt.spec.N == 1 for lt in t.layers)
    if s["method"] == "magnitude":
        n = sum(lt.weights.size for lt in t.layers)
        nnz = sum(int(np.count_nonzero(lt.weights)) for lt in t.layers)
        assert nnz == pytest.approx((1 - float(s["level"])) * n, abs=len(t.layers))
    else:
        assert s["method"] == "filters"
