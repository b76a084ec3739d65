"""Models a user would bring (tests/torch/user_models.py): prune -> export -> simulate on every design ->
compare --out -> figures, plus what the exporter must get right on them: BatchNorm folded as a hand fold,
conv->BN->ReLU layers recording post-ReLU outputs, residual adds, and Eyeriss's RLC on post-ReLU data."""
from __future__ import annotations

import glob
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

import torch.nn.functional as F  # noqa: E402

from accelsim import runner  # noqa: E402
from accelsim.accelerators import available  # noqa: E402
from accelsim.cli import main  # noqa: E402
from accelsim.export import export_model  # noqa: E402
from accelsim.prune import magnitude_prune  # noqa: E402
from accelsim.trace import load_trace  # noqa: E402

from tests.torch.user_models import make  # noqa: E402

RUNNABLE = ["resnet", "mobilenetv2", "mlp", "geometry", "sequential"]


def _export(name, tmp_path, prune=0.5):
    m, x = make(name)
    if prune:
        magnitude_prune(m, prune)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's own warning about 'same' with an even kernel
        tr = export_model(m, x, path=tmp_path / f"{name}.npz", network=name)
    return m, x, tr


@pytest.mark.parametrize("name", RUNNABLE)
def test_end_to_end(name, tmp_path, capsys):
    _, _, tr = _export(name, tmp_path)
    p = str(tmp_path / f"{name}.npz")
    assert load_trace(p).coverage()["fraction"] == 1.0
    for arch in available():
        assert main(["simulate", p, "--arch", arch]) == 0, capsys.readouterr().err
        out = capsys.readouterr().out
        assert "the trace covers 100.0% of the model's MACs" in out
    archs = ",".join(available() + ["eyeriss:rlc=false"])
    res = tmp_path / "res"
    code = main(["compare", p, "--arch", archs, "--baseline", "dadiannao", "--out", str(res), "--per-layer"])
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    code = main(["figures", "--results", str(res), "--out", str(tmp_path / "fig")])
    assert code == 0, capsys.readouterr().err
    assert glob.glob(str(tmp_path / "fig" / "*.png"))


def test_bn_folded_weights_equal_a_hand_fold(tmp_path):
    """w * gamma / sqrt(running_var + eps), per output channel, written out by hand for conv (ResNet stem,
    a residual block's conv2, the 1x1 downsample), Linear + BatchNorm1d (MLP) and Conv1d + BatchNorm1d."""
    def hand(w, bn):
        scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
        return (w.detach() * scale.reshape(-1, *([1] * (w.dim() - 1)))).numpy()

    m, _, tr = _export("resnet", tmp_path)
    for layer, conv, bn in (("conv1", m.conv1, m.bn1), ("layer1.0.conv2", m.layer1[0].conv2, m.layer1[0].bn2),
                            ("layer2.0.downsample.0", m.layer2[0].downsample[0], m.layer2[0].downsample[1])):
        got = tr.layer(layer).weights
        assert np.allclose(got, hand(conv.weight, bn), rtol=1e-6, atol=1e-8)
        assert not np.allclose(got, conv.weight.detach().numpy())  # the fold changed something
        assert np.array_equal(got == 0, conv.weight.detach().numpy() == 0)  # pruned zeros stay zeros
        assert tr.source["folded_bn"][layer] is not None
    m, _, tr = _export("mlp", tmp_path)
    assert np.allclose(tr.layer("1").weights, hand(m[1].weight, m[2]), rtol=1e-6, atol=1e-8)
    assert tr.source["folded_bn"] == {"1": "2", "4": None, "6": None}
    m, _, tr = _export("geometry", tmp_path, prune=0)
    assert np.allclose(tr.layer("seq1").weights[:, :, 0], hand(m.seq1.weight, m.bn1d), rtol=1e-6, atol=1e-8)


def test_conv_bn_relu_layers_record_post_relu_outputs(tmp_path):
    """Outputs recomputed from the modules by hand: relu(bn(conv(x))) for the stem; for a residual block,
    relu(bn2(conv2(.)) + identity) on conv2, and with a downsample branch the add joins the downsample conv
    (it runs last), while conv2 records bn2's output."""
    m, x, tr = _export("resnet", tmp_path)
    with torch.no_grad():
        stem = F.relu(m.bn1(m.conv1(x)))
        assert np.allclose(tr.layer("conv1").outputs, stem.numpy(), atol=1e-5)
        assert (tr.layer("conv1").outputs >= 0).all() and (tr.layer("conv1").outputs == 0).mean() > 0.2
        b = m.layer1[0]
        h = m.maxpool(stem)
        y = F.relu(b.bn2(b.conv2(F.relu(b.bn1(b.conv1(h))))) + h)
        assert np.allclose(tr.layer("layer1.0.conv2").outputs, y.numpy(), atol=1e-5)
        assert tr.source["chain"]["layer1.0.conv2"] == ["batchnorm(layer1.0.bn2)", "add", "relu"]
        b2 = m.layer2[0]
        z = m.layer1(h)
        main_path = b2.bn2(b2.conv2(F.relu(b2.bn1(b2.conv1(z)))))
        assert np.allclose(tr.layer("layer2.0.conv2").outputs, main_path.numpy(), atol=1e-5)
        short = b2.downsample(z)
        assert np.allclose(tr.layer("layer2.0.downsample.0").outputs, F.relu(main_path + short).numpy(), atol=1e-5)
    assert tr.source["activation"]["layer2.0.conv2"] == "none"
    m, x, tr = _export("mobilenetv2", tmp_path)
    assert tr.source["chain"]["features.1.conv.3"] == ["batchnorm(features.1.conv.4)", "relu6"]
    assert tr.layer("features.1.conv.3").spec.groups == 16
    o = tr.layer("features.1.conv.3").outputs
    assert o.min() >= 0 and o.max() <= 6 and (o == 0).any()
    assert tr.source["chain"]["features.1.conv.6"] == ["batchnorm(features.1.conv.7)", "add"]  # linear bottleneck


def test_eyeriss_rlc_never_writes_more_dram_than_without_on_post_relu_data(tmp_path):
    """The issue's symptom: with raw pre-BN outputs (dense, signed) a ResNet-style net wrote more DRAM with
    RLC than without.  On what a folded conv->BN->ReLU writes, it writes less in total on the ReLU nets, and
    less on every post-ReLU layer whose output is at most 60% non-zero (in all four nets).

    Why not every post-ReLU layer: RLC packs 3 (5-bit run, 16-bit level) pairs per 64-bit word, 21.3 bits
    per non-zero against 16 bits per raw value, so it breaks even at 16/21.3 = 75% non-zeros and expands
    denser data.  Outputs after a residual add + ReLU reach 82-86% here; Eyeriss as modelled (and as
    published) compresses every fmap after the first layer's input and has no per-layer bypass."""
    for name in ("resnet", "mobilenetv2", "sequential", "geometry"):
        _, _, tr = _export(name, tmp_path)
        rlc = runner.simulate(tr, "eyeriss")
        raw = runner.simulate(tr, "eyeriss:rlc=false")
        sparse_post_relu = [n for n, a in tr.source["activation"].items()
                            if a in ("relu", "relu6") and (tr.layer(n).outputs != 0).mean() <= 0.6]
        assert sparse_post_relu
        for a, b in zip(rlc.layers, raw.layers):
            if a.name in sparse_post_relu:
                assert a.dram_write_bits <= b.dram_write_bits, (name, a.name)
        relu_nets = ("resnet", "mobilenetv2", "sequential")  # geometry's LeakyReLU/SiLU/Hardswish outputs are dense
        if name in relu_nets:
            assert rlc.total.dram_write_bits < raw.total.dram_write_bits, name


def test_geometry_model_exports_and_round_trips(tmp_path):
    """Dilation, a (2,1)-strided 3x1 conv with padding (1,0), 'same' with an even kernel and Conv1d: the
    trace describes each exactly (outputs recomputed from the trace alone match the model's)."""
    m, x, tr = _export("geometry", tmp_path, prune=0)
    back = load_trace(tmp_path / "geometry.npz")
    s = {lt.name: lt.spec for lt in back.layers}
    assert s["dil"].dilations == (2, 2) and s["tall"].strides == (2, 1) and s["tall"].pads == (1, 1, 0, 0)
    assert s["same"].pads == (1, 2, 1, 2) and (s["seq1"].H, s["seq1"].R) == (1, 1) and s["seq2"].dilations == (1, 2)
    with torch.no_grad():
        for name, mod in (("tall", m.tall), ("same", m.same), ("seq2", m.seq2)):
            lt = back.layer(name)
            sp = lt.spec
            xi = F.pad(torch.from_numpy(lt.inputs), (sp.pad_left, sp.pad_right, sp.pad_top, sp.pad_bottom))
            pre = F.conv2d(xi, torch.from_numpy(lt.weights), mod.bias, sp.strides, 0, sp.dilations)
            act = {"tall": lambda t: F.leaky_relu(t, 0.1), "same": F.silu, "seq2": F.relu}[name]
            assert np.allclose(act(pre).numpy(), lt.outputs, atol=1e-5), name
