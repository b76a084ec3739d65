"""Structured filter pruning and the Taylor criterion: physically smaller dense models."""
import copy

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torch_pruning")
pytestmark = pytest.mark.torch

from torch import nn  # noqa: E402

from accelsim.errors import ConfigError  # noqa: E402
from accelsim.prune import filter_norms, magnitude_prune, remove_channels, structured_prune  # noqa: E402
from accelsim.prune.taylor import taylor_prune, taylor_scores  # noqa: E402
from accelsim.prune.train import make_train_fn  # noqa: E402


def zero_channels(model, removal):
    with torch.no_grad():
        mods = dict(model.named_modules())
        for n, idx in removal.items():
            mods[n].weight[idx] = 0
            mods[n].bias[idx] = 0


@pytest.mark.parametrize("norm", [1, 2])
def test_structured_exact_and_lowest_norm(tiny_net, tiny_data, norm):
    x = tiny_data.x_test[:3]
    norms = filter_norms(tiny_net, p=norm)
    new, removed = structured_prune(tiny_net, 0.5, x, norm=norm)
    assert set(removed) == {"conv1", "conv2", "fc1"}  # the classifier keeps its outputs
    assert new.conv1.out_channels == 2 and new.conv2.out_channels == 3 and new.fc1.out_features == 8
    assert new.conv2.in_channels == 2 and new.fc1.in_features == 3 * 2 * 2 and new.fc2.in_features == 8
    for n, idx in removed.items():
        kept = [j for j in range(norms[n].numel()) if j not in idx]
        assert norms[n][idx].max() <= norms[n][kept].min()
    assert tiny_net.conv1.out_channels == 4  # the original is untouched


def test_structured_outputs_equal_when_removed_channels_were_zero(tiny_net, tiny_data):
    x = tiny_data.x_test[:8]
    removal = {"conv1": [1, 3], "conv2": [0, 4], "fc1": [2, 5, 11]}
    zero_channels(tiny_net, removal)
    tiny_net.eval()
    ref = tiny_net(x)
    small = remove_channels(tiny_net, removal, x)
    assert torch.allclose(small(x), ref, atol=1e-6)
    # the kept filters are the original ones, in order
    keep = [j for j in range(6) if j not in removal["conv2"]]
    assert torch.equal(small.conv2.weight, tiny_net.conv2.weight[keep][:, [0, 2]])


def test_structured_after_masks_and_errors(tiny_net, tiny_data):
    magnitude_prune(tiny_net, 0.5)
    new, _ = structured_prune(tiny_net, {"conv2": 0.5}, tiny_data.x_test[:2])
    assert not hasattr(new.conv2, "weight_mask") and new.conv2.out_channels == 3
    with pytest.raises(ConfigError):
        structured_prune(tiny_net, 1.0, tiny_data.x_test[:2])


def test_structured_grouped_conv():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(2, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3, groups=4), nn.ReLU(),
                        nn.Conv2d(4, 3, 1))
    x = torch.randn(2, 2, 8, 8)
    new, removed = structured_prune(net, {"0": 0.5}, x)
    assert new[0].out_channels == 2 and new[2].groups == 2 and new[2].out_channels == 2
    assert new(x).shape == (2, 3, 4, 4)


def test_taylor_scores_match_definition(tiny_net, tiny_data):
    x, y = tiny_data.x_train[:16], tiny_data.y_train[:16]
    s = taylor_scores(tiny_net, [(x, y)], ["conv2"], normalize=False)["conv2"]
    feats = {}
    h = tiny_net.conv2.register_forward_hook(lambda m, i, o: feats.setdefault("z", o))
    z_out = None
    loss = torch.nn.functional.cross_entropy(tiny_net(x), y)
    z_out = feats["z"]
    (g,) = torch.autograd.grad(loss, z_out)
    h.remove()
    expect = (g * z_out).mean(dim=(2, 3)).abs().mean(0)
    assert torch.allclose(s.float(), expect, atol=1e-7)


def test_taylor_prune_exact_and_keeps_one(tiny_net, tiny_data):
    x = tiny_data.x_test[:2]
    b = tiny_data.batches(50, 100)
    ref = copy.deepcopy(tiny_net)
    new, removed, hist = taylor_prune(tiny_net, 0.6, b, x, train_fn=make_train_fn(tiny_data, 1), steps=2)
    assert sum(len(v) for v in removed.values()) == round(0.6 * 10)
    assert new.conv1.out_channels + new.conv2.out_channels == 10 - 6
    assert new.conv1.out_channels >= 1 and new.conv2.out_channels >= 1
    assert len(hist) == 2 and hist[-1]["removed"] == 6
    assert all(torch.equal(p, q) for p, q in zip(ref.parameters(), tiny_net.parameters()))
    with pytest.raises(ConfigError):
        taylor_prune(tiny_net, 0.95, b, x)
