"""Network shapes and synthetic traces."""
from __future__ import annotations

import numpy as np
import pytest

from accelsim.errors import ConfigError
from accelsim.fixedpoint import nonzero_mask
from accelsim.trace import LayerSpec, load_trace, save_trace
from accelsim.trace.networks import HAN2015_ACTS, HAN2015_WEIGHTS, NETWORKS, network_layers
from accelsim.trace.synth import (CHUNK, act_densities, exact_count, forward, parse_density, sparse_tensor,
                                  synth_trace, weight_densities)


def specs(name, batch=1):
    return {d["name"]: LayerSpec.from_dict({**d, "N": batch}) for d in network_layers(name)}


# ---- shapes -----------------------------------------------------------------------------------------

def test_every_network_builds_valid_specs_with_a_description():
    """Chain networks: each layer takes the previous layer's output (branching networks -- GoogLeNet,
    ResNet-50 -- are checked through their recorded inputs in test_networks_more.py)."""
    for name, net in NETWORKS.items():
        assert net.description
        layers = network_layers(name)
        assert layers and all("N" not in d for d in layers)
        s = list(specs(name).values())
        assert s[0].C == net.input_chw[0] and s[0].H == net.input_chw[1]
        for a, b in zip(s, s[1:]):
            assert b.C == (a.M if b.kind == "conv" or a.kind == "fc" else b.C)
        assert s[-1].M in (10, 1000)


def test_network_layers_returns_fresh_copies():
    a = network_layers("alexnet")
    a[0]["M"] = 1
    assert network_layers("alexnet")[0]["M"] == 96


def test_unknown_network():
    with pytest.raises(ConfigError, match="unknown network 'resnet'"):
        network_layers("resnet")


def test_alexnet_shapes_and_macs():
    """Published AlexNet shapes: conv1 55x55, conv2 27x27 (2 groups), conv3-5 13x13, fc6 in 256*6*6.

    Conv MACs at batch 1 (M * E * F * C/groups * R * S):
      conv1 96*55*55*3*11*11   = 105,415,200
      conv2 256*27*27*48*5*5   = 223,948,800
      conv3 384*13*13*256*3*3  = 149,520,384
      conv4 384*13*13*192*3*3  = 112,140,288
      conv5 256*13*13*192*3*3  =  74,760,192
      total                    = 665,784,864  (~666 M; Han et al. list conv1 at 211 M FLOP = 2 x 105 M)
    """
    s = specs("alexnet")
    assert (s["conv1"].E, s["conv1"].F) == (55, 55)
    assert (s["conv2"].E, s["conv2"].F) == (27, 27)
    assert s["conv2"].weight_shape == (256, 48, 5, 5)
    assert all(s[n].E == 13 for n in ("conv3", "conv4", "conv5"))
    assert s["conv4"].groups == 2 and s["conv5"].groups == 2 and s["conv3"].groups == 1
    assert s["conv1"].macs_dense == 105_415_200
    assert s["conv2"].macs_dense == 223_948_800
    assert sum(x.macs_dense for x in s.values() if x.kind == "conv") == 665_784_864
    assert (s["fc6"].C, s["fc6"].M, s["fc7"].C, s["fc8"].M) == (9216, 4096, 4096, 1000)


def test_vgg16_shapes_and_macs():
    """VGG-16 conv MACs at batch 1: 6 layers at 1,849,688,064 (conv1_2 = 64*224*224*64*9, conv2_2,
    conv3_2, conv3_3, conv4_2, conv4_3), 3 at 924,844,032 (conv2_1, conv3_1, conv4_1), 3 at 462,422,016
    (conv5_x = 512*14*14*512*9) and conv1_1 = 64*224*224*3*9 = 86,704,128:
    total 15,346,630,656 ~ 15.35 G."""
    s = specs("vgg16")
    names = [n for n in s if n.startswith("conv")]
    assert names == ["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3",
                     "conv4_1", "conv4_2", "conv4_3", "conv5_1", "conv5_2", "conv5_3"]
    assert s["conv1_2"].macs_dense == 1_849_688_064
    assert s["conv5_3"].macs_dense == 462_422_016
    assert sum(s[n].macs_dense for n in names) == 15_346_630_656
    assert all(s[n].R == 3 and s[n].padding == 1 and s[n].E == s[n].H for n in names)
    assert (s["fc6"].C, s["fc6"].M, s["fc8"].M) == (25088, 4096, 1000)


def test_lenet5_matches_han():
    """Han et al. 2015 LeNet-5: conv1 576K FLOP = 2 * 20*24*24*1*5*5 = 2 * 288,000; conv2 3200K FLOP
    = 2 * 50*8*8*20*5*5 = 2 * 1,600,000; fc1 800 -> 500 (400K weights); fc2 500 -> 10."""
    s = specs("lenet5")
    assert s["conv1"].macs_dense == 288_000 and s["conv2"].macs_dense == 1_600_000
    assert s["conv2"].H == 12 and s["fc1"].C == 800 and s["fc1"].C * s["fc1"].M == 400_000
    assert (s["fc2"].C, s["fc2"].M) == (500, 10)


@pytest.mark.parametrize("name,fc1_in,n_fc", [
    # seed1: 28 -c5-> 24 -pool-> 12 -c5-> 8 -pool-> 4: 16*4*4 = 256
    ("seed1", 256, 3),
    # seed2: 28 -c3-> 26 -pool-> 13 -c3-> 11 -pool-> 5 -c4-> 2: 36*2*2 = 144
    ("seed2", 144, 4),
    # seed3: 32 -c5-> 28 -pool-> 14 -c5-> 10 -pool-> 5: 16*5*5 = 400
    ("seed3", 400, 3),
    # seed4: 32 -c3-> 30 -pool-> 15 -c3-> 13 -pool-> 6 -c4-> 3: 36*3*3 = 324
    ("seed4", 324, 4),
])
def test_seed_nets(name, fc1_in, n_fc):
    s = specs(name)
    assert s["fc1"].C == fc1_in
    fcs = [x for x in s.values() if x.kind == "fc"]
    assert len(fcs) == n_fc and fcs[-1].M == 10
    assert [x.name for x in s.values() if x.kind == "conv"][0] == "conv1"
    assert all(x.stride == 1 and x.padding == 0 and x.groups == 1 for x in s.values())


# ---- densities ----------------------------------------------------------------------------------

def test_density_profiles():
    assert weight_densities("alexnet", "han2015") == HAN2015_WEIGHTS["alexnet"]
    a = act_densities("alexnet", "han2015")
    assert a["conv1"] == 1.0 and a["conv2"] == HAN2015_ACTS["alexnet"]["conv1"] == 0.88 and a["fc6"] == 0.34
    e = act_densities("alexnet", "eyeriss-alexnet")
    assert e["conv1"] == pytest.approx(0.9999) and e["conv2"] == pytest.approx(0.613)
    assert e["conv5"] == pytest.approx(0.224) and e["fc6"] == 0.34
    c = act_densities("vgg16", "cnvlutin44")
    assert c["conv1_1"] == 1.0 and set(list(c.values())[1:]) == {0.56}
    f = act_densities("seed1", 0.3)
    assert f["conv1"] == 1.0 and f["conv2"] == 0.3
    assert weight_densities("seed1", 0.25)["fc3"] == 0.25


@pytest.mark.parametrize("call", [
    lambda: weight_densities("seed1", "han2015"),
    lambda: act_densities("seed2", "han2015"),
    lambda: act_densities("vgg16", "eyeriss-alexnet"),
    lambda: weight_densities("alexnet", "bogus"),
    lambda: weight_densities("alexnet", 1.5),
    lambda: act_densities("alexnet", {"conv9": 0.5}),
    lambda: parse_density("lots", ("dense",)),
    lambda: parse_density("-0.1", ("dense",)),
    lambda: synth_trace("seed1", batch=0),
    lambda: synth_trace("seed1", seed=-1),
    lambda: synth_trace("seed1", layers="some"),
    lambda: synth_trace("seed1", layers=["conv7"]),
    lambda: synth_trace("seed1", weight_density={"conv1": 0.5}),
    lambda: synth_trace("nonet"),
])
def test_bad_arguments_raise_config_error(call):
    with pytest.raises(ConfigError):
        call()


def test_parse_density():
    assert parse_density("han2015", ("dense", "han2015")) == "han2015"
    assert parse_density("0.25", ("dense",)) == 0.25


def test_exact_densities_after_quantization():
    """Every layer has exactly round(d * n) non-zeros, also after 16-bit fixed-point quantization."""
    tr = synth_trace("alexnet", batch=2, weight_density="han2015", act_density="eyeriss-alexnet")
    wd, ad = tr.source["weight_density"]["per_layer"], tr.source["act_density"]["per_layer"]
    for lt in tr.layers:
        for arr, d in ((lt.weights, wd[lt.name]), (lt.inputs, ad[lt.name])):
            k = exact_count(d, arr.size)
            assert np.count_nonzero(arr) == k
            assert int(nonzero_mask(arr).sum()) == k
            assert abs(k - d * arr.size) <= 1


def test_large_tensor_exact_count_and_bounds(rng):
    shape = (3, CHUNK + 17)
    x = sparse_tensor(rng, shape, 0.3, std=0.5, signed=False)
    assert x.shape == shape and x.dtype == np.float32
    assert np.count_nonzero(x) == exact_count(0.3, x.size)
    nz = x[x != 0]
    assert nz.min() >= nz.max() * 2.0 ** -8 and nz.min() > 0
    assert np.count_nonzero(sparse_tensor(rng, (10,), 0.0)) == 0
    assert np.count_nonzero(sparse_tensor(rng, (10,), 1.0)) == 10


def test_value_signs_and_scale():
    tr = synth_trace("seed1", batch=4, act_density=0.5, layers="all")
    conv1, conv2 = tr.layer("conv1"), tr.layer("conv2")
    assert (conv1.inputs < 0).any() and (conv1.inputs > 0).any()
    assert (conv2.inputs >= 0).all()
    assert conv2.weights.std() == pytest.approx(np.sqrt(2.0 / (6 * 25)), rel=0.15)
    assert tr.synthetic


def test_seeding_is_reproducible_and_layer_independent():
    a = synth_trace("seed2", batch=2, seed=7, weight_density=0.4, act_density=0.5, layers="all")
    b = synth_trace("seed2", batch=2, seed=7, weight_density=0.4, act_density=0.5, layers="all")
    c = synth_trace("seed2", batch=2, seed=8, weight_density=0.4, act_density=0.5, layers="all")
    only = synth_trace("seed2", batch=2, seed=7, weight_density=0.4, act_density=0.5, layers=["fc2", "conv3"])
    assert [lt.name for lt in only.layers] == ["conv3", "fc2"]
    for la, lb, lc in zip(a.layers, b.layers, c.layers):
        assert np.array_equal(la.weights, lb.weights) and np.array_equal(la.inputs, lb.inputs)
        assert not np.array_equal(la.weights, lc.weights)
    for lo in only.layers:
        assert np.array_equal(lo.weights, a.layer(lo.name).weights)
        assert np.array_equal(lo.inputs, a.layer(lo.name).inputs)
    # inputs do not depend on the weight density (separate streams)
    d = synth_trace("seed2", batch=2, seed=7, weight_density=0.9, act_density=0.5, layers="all")
    assert np.array_equal(d.layer("conv2").inputs, a.layer("conv2").inputs)


def test_manifest_source_and_round_trip(tmp_path):
    tr = synth_trace("lenet5", batch=2, seed=3, weight_density="han2015", act_density="han2015",
                     layers="all", with_outputs=True)
    src = tr.source
    assert src["synthetic"] is True and src["generator"] == "accelsim trace synth"
    assert (src["network"], src["seed"], src["batch"]) == ("lenet5", 3, 2)
    assert src["weight_density"]["profile"] == "han2015"
    assert src["weight_density"]["per_layer"]["fc1"] == 0.08
    assert src["act_density"]["per_layer"]["fc1"] == 0.72
    p = save_trace(tr, tmp_path / "t.npz")
    back = load_trace(p)
    assert back.network == "lenet5" and back.source == src and back.synthetic
    for la, lb in zip(tr.layers, back.layers):
        assert la.spec == lb.spec
        assert np.array_equal(la.weights, lb.weights) and np.array_equal(la.inputs, lb.inputs)
        assert np.array_equal(la.outputs, lb.outputs)


def test_outputs_relu_except_last_layer():
    tr = synth_trace("seed1", layers="all", with_outputs=True, batch=3)
    assert all((lt.outputs >= 0).all() for lt in tr.layers[:-1])
    assert (tr.layers[-1].outputs < 0).any()
    assert synth_trace("seed1").layers[0].outputs is None


def _naive_conv(spec, x, w):
    p, st = spec.padding, spec.stride
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (p, p), (p, p)))
    out = np.zeros((spec.N, spec.M, spec.E, spec.F))
    for n in range(spec.N):
        for m in range(spec.M):
            g = m // spec.Mg
            for e in range(spec.E):
                for f in range(spec.F):
                    patch = xp[n, g * spec.Cg:(g + 1) * spec.Cg, e * st:e * st + spec.R, f * st:f * st + spec.S]
                    out[n, m, e, f] = (patch * w[m]).sum()
    return out


@pytest.mark.parametrize("stride,padding,groups", [(1, 0, 1), (2, 1, 2), (3, 2, 3)])
def test_forward_matches_naive_convolution(rng, stride, padding, groups):
    spec = LayerSpec("c", "conv", N=2, C=6, H=9, W=8, M=6, R=3, S=2, stride=stride, padding=padding,
                     groups=groups)
    x = rng.standard_normal(spec.input_shape).astype(np.float32)
    w = rng.standard_normal(spec.weight_shape).astype(np.float32)
    want = _naive_conv(spec, x, w)
    np.testing.assert_allclose(forward(spec, x, w, relu=False), want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(forward(spec, x, w), np.maximum(want, 0), rtol=1e-4, atol=1e-4)
    fc = LayerSpec("f", "fc", N=2, C=5, H=1, W=1, M=3, R=1, S=1)
    xf, wf = x.reshape(2, -1)[:, :5], w.reshape(6, -1)[:3, :5]
    np.testing.assert_allclose(forward(fc, xf, wf, relu=False), xf @ wf.T, rtol=1e-5)
