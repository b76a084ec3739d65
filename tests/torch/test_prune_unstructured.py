"""Unstructured methods: exact target sparsity, deterministic ties, masks that survive retraining."""
import copy

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from accelsim.errors import ConfigError  # noqa: E402
from accelsim.prune import (dense_macs, energy_aware_prune, han_prune, han_threshold_prune,  # noqa: E402
                            iterative_prune, layer_sparsity, lottery_ticket, magnitude_prune, obd_prune,
                            one_shot_prune, prunable_layers, sparsity_schedule, total_sparsity)
from accelsim.prune.masks import lowest_k_mask, make_permanent  # noqa: E402
from accelsim.prune.obd import diag_hessian  # noqa: E402
from accelsim.prune.train import make_train_fn, train  # noqa: E402


def n_zero(model):
    return {n: int((m.weight == 0).sum()) for n, m in prunable_layers(model).items()}


def sizes(model):
    return {n: m.weight.numel() for n, m in prunable_layers(model).items()}


@pytest.mark.parametrize("s", [0.0, 0.3, 0.5, 0.77, 0.9, 1.0])
def test_magnitude_layer_exact(tiny_net, s):
    magnitude_prune(tiny_net, s)
    for n, z in n_zero(tiny_net).items():
        assert z == round(s * sizes(tiny_net)[n])


@pytest.mark.parametrize("s", [0.25, 0.6, 0.93])
def test_magnitude_global_exact_and_smallest(tiny_net, s):
    w = torch.cat([m.weight.detach().abs().reshape(-1) for m in prunable_layers(tiny_net).values()])
    magnitude_prune(tiny_net, s, scope="global")
    total = sum(sizes(tiny_net).values())
    assert sum(n_zero(tiny_net).values()) == round(s * total)
    # every pruned weight is no larger than every survivor
    mask = torch.cat([m.weight_mask.reshape(-1) for m in prunable_layers(tiny_net).values()])
    assert w[mask == 0].max() <= w[mask == 1].min()


def test_ties_broken_by_position():
    m = lowest_k_mask(torch.tensor([1.0, 0.5, 0.5, 0.5, 2.0]), 2)
    assert m.tolist() == [1.0, 0.0, 0.0, 1.0, 1.0]


def test_per_layer_mapping_and_bad_sparsity(tiny_net):
    magnitude_prune(tiny_net, {"conv1": 0.5, "fc1": 0.25})
    z = n_zero(tiny_net)
    assert z["conv1"] == 18 and z["fc1"] == 96 and z["conv2"] == 0
    with pytest.raises(ConfigError):
        magnitude_prune(tiny_net, 1.5)
    with pytest.raises(ConfigError):
        magnitude_prune(tiny_net, 0.5, layers=["nope"])


def test_masks_only_grow(tiny_net):
    magnitude_prune(tiny_net, 0.5)
    before = {n: m.weight_mask.clone() for n, m in prunable_layers(tiny_net).items()}
    with torch.no_grad():  # make pruned weights_orig large: they must stay pruned
        for m in prunable_layers(tiny_net).values():
            m.weight_orig[m.weight_mask == 0] = 100.0
    magnitude_prune(tiny_net, 0.7)
    for n, m in prunable_layers(tiny_net).items():
        assert torch.all(m.weight_mask[before[n] == 0] == 0)
        assert int((m.weight_mask == 0).sum()) == round(0.7 * m.weight.numel())


def test_masks_survive_retraining(tiny_net, tiny_data):
    magnitude_prune(tiny_net, 0.8, scope="global")
    masks = {n: m.weight_mask.clone() for n, m in prunable_layers(tiny_net).items()}
    train(tiny_net, tiny_data, epochs=2, lr=1e-2)
    train(tiny_net, tiny_data, epochs=1, optimizer="sgd", lr=0.05, weight_decay=1e-3)
    for n, m in prunable_layers(tiny_net).items():
        assert torch.equal(m.weight_mask, masks[n])
        assert torch.all(m.weight[masks[n] == 0] == 0)
    assert total_sparsity(tiny_net) == pytest.approx(0.8, abs=1e-3)


def test_han_threshold_rule(tiny_net):
    w = {n: m.weight.detach().clone() for n, m in prunable_layers(tiny_net).items()}
    han_threshold_prune(tiny_net, 0.7)
    for n, m in prunable_layers(tiny_net).items():
        keep = w[n].abs() >= 0.7 * w[n].std()
        assert torch.equal(m.weight_mask.bool(), keep)


def test_han_prune_exact_quality(tiny_net):
    total = sum(sizes(tiny_net).values())
    ach, q = han_prune(tiny_net, 0.6)
    assert sum(n_zero(tiny_net).values()) == round(0.6 * total)
    assert q > 0


def test_schedule():
    s = sparsity_schedule(0.9, 3)
    assert s[-1] == 0.9 and s[0] == pytest.approx(1 - 0.1 ** (1 / 3))
    assert all(a < b for a, b in zip(s, s[1:]))


@pytest.mark.parametrize("method", ["han", "magnitude-layer", "magnitude-global"])
def test_iterative_and_one_shot_hit_target(tiny_net, tiny_data, method):
    net2 = copy.deepcopy(tiny_net)
    h = iterative_prune(tiny_net, 0.85, 3, make_train_fn(tiny_data, 1), method=method)
    assert len(h) == 3 and h[-1]["achieved"] == pytest.approx(0.85, abs=2e-3)
    one_shot_prune(net2, 0.85, make_train_fn(tiny_data, 1), method=method)
    assert total_sparsity(net2) == pytest.approx(0.85, abs=2e-3)
    if method != "magnitude-layer":  # global methods are exact on the total count
        total = sum(sizes(tiny_net).values())
        assert sum(n_zero(tiny_net).values()) == round(0.85 * total)


def test_obd_exact(tiny_net, tiny_data):
    train(tiny_net, tiny_data, epochs=2)
    obd_prune(tiny_net, 0.7, tiny_data.batches(32, 64))
    assert sum(n_zero(tiny_net).values()) == round(0.7 * sum(sizes(tiny_net).values()))
    obd_prune(tiny_net, 0.5, tiny_data.batches(32, 64), scope="layer", estimator="hutchinson", n_probes=4)
    assert all(z >= round(0.5 * sizes(tiny_net)[n]) for n, z in n_zero(tiny_net).items())


def test_gauss_newton_diagonal_equals_exact_hessian_diagonal():
    """For a ReLU net the GGN diagonal is the true Hessian diagonal (f is affine in each single weight)."""
    from torch import nn
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3))
    x, y = torch.randn(5, 3), torch.randint(0, 3, (5,))
    gn = diag_hessian(net, [(x, y)], layers=["0", "2"])
    for name in ("0", "2"):
        mod = dict(net.named_modules())[name]
        w0 = mod.weight.detach().clone()

        def loss_of(w, mod=mod):
            saved = mod.weight
            del mod.weight
            mod.weight = w
            out = torch.nn.functional.cross_entropy(net(x), y)
            del mod.weight
            mod.weight = saved
            return out

        H = torch.autograd.functional.hessian(loss_of, w0)
        exact = torch.diagonal(H.reshape(w0.numel(), w0.numel())).reshape(w0.shape)
        assert torch.allclose(gn[name], exact, atol=1e-6, rtol=1e-4)


def test_hutchinson_is_close_with_many_probes(tiny_net, tiny_data):
    b = tiny_data.batches(64, 64)
    gn = diag_hessian(tiny_net, b, layers=["fc2"])["fc2"]
    hu = diag_hessian(tiny_net, b, estimator="hutchinson", layers=["fc2"], n_probes=200)["fc2"]
    assert abs(float(hu.mean()) - float(gn.mean())) < 0.2 * float(gn.mean())


def test_lottery_rewinds_and_hits_target(tiny_factory, tiny_data):
    net = tiny_factory(3)
    init = {n: p.detach().clone() for n, p in net.named_parameters()}
    calls = []

    def train_fn(m):
        calls.append(1)
        train(m, tiny_data, epochs=1, seed=len(calls))

    # stop before the final training to check the rewind
    hist = lottery_ticket(net, 0.8, 2, lambda m: (train_fn(m) if len(calls) < 2 else None))
    assert hist[-1]["achieved"] == pytest.approx(0.8, abs=2e-3)
    total = sum(sizes(net).values())
    assert sum(n_zero(net).values()) == round(0.8 * total)
    for n, m in prunable_layers(net).items():
        keep = m.weight_mask == 1
        assert torch.equal(m.weight_orig[keep], init[f"{n}.weight"][keep])
        assert torch.equal(m.bias, init[f"{n}.bias"])


def test_energy_aware_orders_by_energy(tiny_net, tiny_data):
    x = tiny_data.x_test[:2]
    hist = energy_aware_prune(tiny_net, 0.5, x, energy_fn=dense_macs, max_layer_sparsity=0.9,
                              train_fn=make_train_fn(tiny_data, 1))
    energies = [h["energy"] for h in hist]
    assert energies == sorted(energies, reverse=True)
    total = sum(sizes(tiny_net).values())
    assert sum(n_zero(tiny_net).values()) == round(0.5 * total)
    sp = layer_sparsity(tiny_net)
    assert max(sp.values()) <= 0.9 + 1e-9
    # dense MACs per image: conv1 4*12*12*9 = 5184 > conv2 6*4*4*36 = 3456 > fc1 384 > fc2 80
    assert [h["layer"] for h in hist][:2] == ["conv1", "conv2"]
    assert n_zero(tiny_net)["conv1"] == round(0.9 * 36) and n_zero(tiny_net)["conv2"] == round(0.9 * 216)


def test_energy_aware_default_needs_accelerators(tiny_net, tiny_data, monkeypatch):
    import sys

    from accelsim.errors import AccelsimError
    monkeypatch.setitem(sys.modules, "accelsim.accelerators", None)
    with pytest.raises(AccelsimError, match="accelsim.accelerators"):
        energy_aware_prune(tiny_net, 0.5, tiny_data.x_test[:2])


def test_make_permanent(tiny_net):
    magnitude_prune(tiny_net, 0.5)
    make_permanent(tiny_net)
    assert not any(hasattr(m, "weight_mask") for m in prunable_layers(tiny_net).values())
    assert all(z == round(0.5 * sizes(tiny_net)[n]) for n, z in n_zero(tiny_net).items())
