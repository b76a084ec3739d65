"""Projected fine-tuning for the quantization study: weights stay on the scheme's levels, pruned stay zero."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from accelsim.prune.magnitude import magnitude_prune  # noqa: E402
from accelsim.prune.masks import effective_weight  # noqa: E402
from accelsim.prune.quant_study import _project  # noqa: E402


@pytest.mark.parametrize("scheme,bits,limit", [("inq", 5, 17), ("ttq", 2, 3), ("kmeans", 4, 16)])
def test_project_keeps_levels_and_zeros(scheme, bits, limit):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(30, 20), nn.ReLU(), nn.Linear(20, 5))
    magnitude_prune(net, 0.7, scope="layer")
    zeros_before = [(effective_weight(m) == 0).numpy().copy() for m in (net[0], net[2])]
    most = _project(net, scheme, bits)
    assert most <= limit
    for m, z in zip((net[0], net[2]), zeros_before):
        w = effective_weight(m).numpy()
        assert np.all(w[z] == 0)                 # pruning survives quantization
        assert len(np.unique(w)) <= limit
