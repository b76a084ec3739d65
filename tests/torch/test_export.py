"""Exporter: round trip through save/load, layer chaining, ReLU detection, masks, refusals and warnings."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from accelsim.errors import ConfigError  # noqa: E402
from accelsim.export import export_model  # noqa: E402
from accelsim.prune import magnitude_prune  # noqa: E402
from accelsim.trace.io import load_trace, read_manifest  # noqa: E402


def test_round_trip_bit_for_bit(tiny_net, tiny_data, tmp_path):
    magnitude_prune(tiny_net, 0.6)
    src = {"model": "tiny", "method": "magnitude", "target_sparsity": 0.6, "accuracy": 0.5, "seed": 0}
    tr = export_model(tiny_net, tiny_data.x_test[:4], tmp_path / "t.npz", network="tiny", source=src)
    back = load_trace(tmp_path / "t.npz")
    assert back.network == "tiny" and [lt.name for lt in back.layers] == ["conv1", "conv2", "fc1", "fc2"]
    for a, b in zip(tr.layers, back.layers):
        assert a.spec == b.spec
        for k in ("weights", "inputs", "outputs"):
            x, y = getattr(a, k), getattr(b, k)
            assert x.dtype == y.dtype == np.float32 and x.shape == y.shape
            assert np.array_equal(x.view(np.uint32), y.view(np.uint32))
    man = read_manifest(tmp_path / "t.npz")
    assert man["source"]["method"] == "magnitude" and man["source"]["accuracy"] == 0.5
    assert man["layers"][0] == {"name": "conv1", "kind": "conv", "N": 4, "C": 1, "H": 14, "W": 14, "M": 4,
                                "R": 3, "S": 3, "groups": 1, "stride": [1, 1], "dilation": [1, 1],
                                "padding": [0, 0, 0, 0]}
    assert man["layers"][2]["kind"] == "fc" and man["layers"][2]["C"] == 24
    # masks respected: exported weights are weight_orig * mask
    w = tiny_net.conv2.weight_orig.detach() * tiny_net.conv2.weight_mask
    assert np.array_equal(back.layer("conv2").weights, w.numpy())
    assert back.source["weight_sparsity"]["conv2"] == pytest.approx(round(0.6 * 216) / 216)


def test_inputs_are_previous_outputs_after_pooling(tiny_net, tiny_data):
    tr = export_model(tiny_net, tiny_data.x_test[:3])
    c1, c2, f1, f2 = tr.layers
    assert np.array_equal(c1.inputs, tiny_data.x_test[:3].numpy())
    pooled = F.max_pool2d(torch.from_numpy(c1.outputs), 2).numpy()
    assert np.array_equal(c2.inputs, pooled)
    assert np.array_equal(f1.inputs, F.max_pool2d(torch.from_numpy(c2.outputs), 2).reshape(3, -1).numpy())
    assert np.array_equal(f2.inputs, f1.outputs)
    assert tr.source["activation"] == {"conv1": "relu", "conv2": "relu", "fc1": "relu", "fc2": "none"}
    assert (c1.outputs >= 0).all() and (f2.outputs < 0).any()
    # outputs recompute from inputs and weights (+ bias, ReLU)
    z = F.conv2d(torch.from_numpy(c1.inputs), tiny_net.conv1.weight, tiny_net.conv1.bias).relu()
    assert np.allclose(c1.outputs, z.detach().numpy(), atol=1e-6)


class Functional(nn.Module):
    """ReLUs applied functionally, in-place ones included, and a stride-2 padded grouped conv."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(2, 4, 3, stride=2, padding=1)
        self.b = nn.Conv2d(4, 4, 3, padding=1, groups=2)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        x = F.relu(self.a(x))
        x = torch.relu_(self.b(x))
        return self.fc(torch.flatten(x, 1))


def test_functional_relu_groups_stride_padding():
    torch.manual_seed(0)
    m = Functional()
    x = torch.randn(2, 2, 8, 8)
    tr = export_model(m, x)
    a, b, fc = tr.layers
    assert (a.spec.stride, a.spec.padding, a.spec.E) == (2, 1, 4)
    assert (b.spec.groups, b.spec.padding, b.weights.shape) == (2, 1, (4, 2, 3, 3))
    assert tr.source["activation"] == {"a": "relu", "b": "relu", "fc": "none"}
    assert np.array_equal(b.inputs, a.outputs)
    assert np.array_equal(fc.inputs, b.outputs.reshape(2, -1))
    assert np.allclose(fc.outputs, m(x).detach().numpy())


def _conv_from_spec(lt):
    """Recompute a conv layer's pre-activation output from the trace alone: zero-pad by the spec's
    (top, bottom, left, right), then a plain strided, dilated, grouped correlation (no padding argument)."""
    s = lt.spec
    x = F.pad(torch.from_numpy(lt.inputs), (s.pad_left, s.pad_right, s.pad_top, s.pad_bottom))
    return F.conv2d(x, torch.from_numpy(lt.weights), stride=s.strides, dilation=s.dilations, groups=s.groups)


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
@pytest.mark.parametrize("conv, want", [
    # (stride_h, stride_w), (dilation_h, dilation_w), (top, bottom, left, right), E, F on a 9x9 input
    (nn.Conv2d(2, 2, 3, dilation=2), ((1, 1), (2, 2), (0, 0, 0, 0), 5, 5)),
    (nn.Conv2d(2, 2, (3, 1), padding=(1, 0)), ((1, 1), (1, 1), (1, 1, 0, 0), 9, 9)),
    (nn.Conv2d(2, 2, 3, stride=(2, 1)), ((2, 1), (1, 1), (0, 0, 0, 0), 4, 7)),
    (nn.Conv2d(2, 2, 4, padding="same"), ((1, 1), (1, 1), (1, 2, 1, 2), 9, 9)),  # PyTorch: odd pad at the end
    (nn.Conv2d(2, 2, 3, padding="same", dilation=(1, 2)), ((1, 1), (1, 2), (1, 1, 2, 2), 9, 9)),
    (nn.Conv2d(2, 4, 3, padding=1, groups=2, padding_mode="reflect"), ((1, 1), (1, 1), (0, 0, 0, 0), 9, 9)),
])
def test_conv_geometry_exported(conv, want):
    torch.manual_seed(0)
    x = torch.randn(1, 2, 9, 9)
    lt = export_model(nn.Sequential(conv), x).layers[0]
    s = lt.spec
    assert (s.strides, s.dilations, s.pads, s.E, s.F) == want
    y = conv(x).detach()
    assert lt.outputs.shape == tuple(y.shape) and np.allclose(lt.outputs, y.numpy(), atol=1e-6)
    bias = conv.bias.detach().reshape(1, -1, 1, 1)
    assert np.allclose(_conv_from_spec(lt) + bias, y, atol=1e-5)
    if conv.padding_mode == "reflect":  # recorded already padded: the real values the hardware reads
        assert s.H == 11 and np.array_equal(lt.inputs, F.pad(x, (1, 1, 1, 1), mode="reflect").numpy())


def test_conv1d_is_a_height_1_conv_and_linear_on_3d_inputs():
    """Conv1d k=3, dilation 2, padding 2 on length 10: F = (10+4-5)+1 = 10; Linear over (N, T, C) is an FC
    layer with batch N*T; a module called twice gives a second layer 'NAME (call 2)'."""
    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.c = nn.Conv1d(3, 4, 3, dilation=2, padding=2)
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            h = F.relu(self.c(x)).transpose(1, 2)  # (N, T, C)
            return self.fc(F.relu(self.fc(h)))

    m, x = Net(), torch.randn(2, 3, 10)
    tr = export_model(m, x)
    c, f1, f2 = tr.layers
    assert (c.spec.H, c.spec.R, c.spec.S, c.spec.dilations, c.spec.pads, c.spec.F) == (1, 1, 3, (1, 2), (0, 0, 2, 2), 10)
    assert c.inputs.shape == (2, 3, 1, 10) and c.weights.shape == (4, 3, 1, 3)
    assert np.allclose(_conv_from_spec(c)[:, :, 0] + m.c.bias.detach()[None, :, None], m.c(x).detach(), atol=1e-5)
    assert np.array_equal(c.outputs[:, :, 0], F.relu(m.c(x)).detach().numpy())
    assert [f1.name, f2.name] == ["fc", "fc (call 2)"] and f1.spec.N == 20 and f1.spec.C == 4
    assert np.allclose(f2.outputs.reshape(2, 10, 4), m(x).detach().numpy(), atol=1e-6)
    assert tr.source["activation"] == {"c": "relu", "fc": "relu", "fc (call 2)": "none"}


def test_unsupported_layers_are_skipped_with_macs():
    """ConvTranspose2d(3, 2, 2) on a (2, 3, 4, 4) input: each of the 2*3*16 = 96 inputs meets 2 filters x 2x2
    taps -> 768 MACs.  The BatchNorm right after conv '0' is folded (not skipped); one after a pooling is not."""
    net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.ConvTranspose2d(3, 2, 2),
                        nn.MaxPool2d(2), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2 * 2 * 2, 2))
    with pytest.warns(UserWarning, match=r"ConvTranspose2d.*BatchNorm2d"):
        tr = export_model(net, torch.randn(2, 1, 6, 6))
    assert [lt.name for lt in tr.layers] == ["0", "7"]
    assert tr.source["chain"]["0"] == ["batchnorm(1)", "relu"] and tr.source["folded_bn"]["0"] == "1"
    assert [(e["name"], e["type"], e["macs"]) for e in tr.skipped] == [("3", "ConvTranspose2d", 768),
                                                                      ("5", "BatchNorm2d", None)]
    cov = tr.coverage()  # conv 2*3*16*9 = 864, fc 2*8*2 = 32 traced; 768 skipped
    assert cov["macs_traced"] == 896 and cov["fraction"] == pytest.approx(896 / (896 + 768))


def test_no_warning_for_plain_net(tiny_net, tiny_data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        export_model(tiny_net, tiny_data.x_test[:1])
    assert tiny_net.training  # mode restored
