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


def _seed1():
    from accelsim.prune.nets import trained_net
    torch.set_num_threads(1)
    return trained_net("seed1", epochs=3, seed=0)


def test_partial_resimulation_equals_full_and_costs_fewer_layer_simulations():
    """Layer energies are independent, so re-simulating only layers l..L for a candidate on layer l gives
    the same choices and energies as simulating the whole network each time."""
    net, data = _seed1()
    x = data.x_test[:2]
    a, b = clone_model(net), clone_model(net)
    ha = energy_aware_prune_resim(a, 0.6, x, arch="scnn", step=0.3)
    hb = energy_aware_prune_resim(b, 0.6, x, arch="scnn", step=0.3, full_resim=True)
    assert [h["layer"] for h in ha] == [h["layer"] for h in hb]
    assert [h["energy_after_finetune"] for h in ha] == pytest.approx([h["energy_after_finetune"] for h in hb],
                                                                     rel=1e-12)
    assert sum(h["layers_simulated"] for h in ha) < sum(h["layers_simulated"] for h in hb)


@pytest.mark.parametrize("guide", ["scnn", "eie"])
def test_guided_energy_falls_on_the_guiding_design(guide):
    """At equal sparsity, the model pruned by energy-aware re-simulation costs less energy on the design
    that guided it than magnitude pruning (per layer and global), simulated independently afterwards."""
    from accelsim import runner
    from accelsim.export import export_model
    net, data = _seed1()
    x = data.x_test[:2]
    ea = clone_model(net)
    energy_aware_prune_resim(ea, 0.8, x, arch=guide, step=0.2)
    energies = {}
    for name, m in [("ea", ea)] + [(s, clone_model(net)) for s in ("layer", "global")]:
        if name != "ea":
            magnitude_prune(m, 0.8, scope=name)
        assert total_sparsity(m) == pytest.approx(0.8, abs=1e-3)
        energies[name] = runner.simulate(export_model(m, x, network="seed1"), guide).total.energy
    assert energies["ea"] < energies["layer"] and energies["ea"] < energies["global"]
