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


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
def test_refusals():
    x = torch.randn(1, 2, 9, 9)
    for conv, field in [(nn.Conv2d(2, 2, 3, dilation=2), "dilation"), (nn.Conv2d(2, 2, 3, padding=(1, 0)), "padding"),
                        (nn.Conv2d(2, 2, 3, stride=(1, 2)), "stride"),
                        (nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect"), "padding_mode"),
                        (nn.Conv2d(2, 2, 4, padding="same"), "padding")]:
        with pytest.raises(ConfigError, match=field):
            export_model(nn.Sequential(conv), x)
    tr = export_model(nn.Sequential(nn.Conv2d(2, 2, 3, padding="same")), x)
    assert tr.layers[0].spec.padding == 1
    with pytest.raises(ConfigError, match="2-D"):
        export_model(nn.Sequential(nn.Linear(9, 3)), x)
    shared = nn.Linear(4, 4)
    with pytest.raises(ConfigError, match="more than once"):
        export_model(nn.Sequential(shared, nn.ReLU(), shared), torch.randn(2, 4))


def test_unsupported_layers_warn():
    net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.ConvTranspose2d(3, 2, 2),
                        nn.Flatten(), nn.Linear(2 * 5 * 5, 2))
    with pytest.warns(UserWarning, match=r"BatchNorm2d.*ConvTranspose2d"):
        tr = export_model(net, torch.randn(2, 1, 6, 6))
    assert [lt.name for lt in tr.layers] == ["0", "5"]
    assert tr.source["activation"]["0"] == "none"  # BatchNorm sits between conv and ReLU


def test_no_warning_for_plain_net(tiny_net, tiny_data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        export_model(tiny_net, tiny_data.x_test[:1])
    assert tiny_net.training  # mode restored
