"""Energy-aware pruning by re-simulation: exact target, and it beats magnitude on the energy it is given."""
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from accelsim.prune.energy_aware import energy_aware_prune_resim  # noqa: E402
from accelsim.prune.magnitude import magnitude_prune  # noqa: E402
from accelsim.prune.masks import clone_model, effective_weight, total_sparsity  # noqa: E402


def _energy(model):
    """A stand-in design: a weight of the first layer costs 10, of the second 1 (zero weights cost 0)."""
    a, b = model[0], model[2]
    return 10.0 * float((effective_weight(a) != 0).sum()) + float((effective_weight(b) != 0).sum())


def test_resim_hits_target_and_beats_magnitude_on_its_energy():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(20, 30), nn.ReLU(), nn.Linear(30, 40))
    m1, m2 = clone_model(net), clone_model(net)
    hist = energy_aware_prune_resim(m1, 0.6, torch.zeros(1, 20), energy_fn=_energy, step=0.1)
    magnitude_prune(m2, 0.6, scope="global")
    assert total_sparsity(m1) == pytest.approx(0.6, abs=1e-3)
    assert _energy(m1) < _energy(m2)
    assert hist and hist[0]["layer"] == "0"   # the expensive layer is pruned first
