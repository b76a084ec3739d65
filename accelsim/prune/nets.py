"""The study networks (the ones accelsim ships traces of): LeNet-5 (Caffe's, as pruned by Han et al. 2015) and the four
seed nets.  Each builder returns an ``nn.Sequential`` whose conv/fc modules are named exactly like the
layers of the traces (``conv1``, ``conv2``, ``conv3``, ``fc1``, ...), so exported traces and the synthetic
traces of the same networks (``accelsim trace synth``) use the same layer names.

Seed-net conventions (shared with the synthetic shapes): stride 1, no padding, ReLU after every conv and
every fc except the last, 2x2 max-pool (stride 2, floor) after conv1 and conv2 only, flatten before fc1.

=========  ===========  ============================================  =========
network    input        layers                                        fc1 in
=========  ===========  ============================================  =========
lenet5     1x28x28      conv1 20c5, pool, conv2 50c5, pool, fc1 500,   800
                        ReLU, fc2 10 (Caffe LeNet: no ReLU after the
                        convolutions)
seed1      1x28x28      6c5-16c5-120-84-10                             256
seed2      1x28x28      6c3-16c3-36c4-240-120-84-10 (fc1..fc4)         144
seed3      3x32x32      6c5-16c5-120-84-10                             400
seed4      3x32x32      6c3-16c3-36c4-240-120-84-10 (fc1..fc4)         324
=========  ===========  ============================================  =========
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import torch
from torch import nn

from accelsim.errors import ConfigError
from accelsim.prune.train import Data, load_data, train

INPUT_SHAPES: dict[str, tuple[int, int, int]] = {
    "lenet5": (1, 28, 28), "seed1": (1, 28, 28), "seed2": (1, 28, 28),
    "seed3": (3, 32, 32), "seed4": (3, 32, 32),
}


def lenet5() -> nn.Sequential:
    """Caffe's LeNet (``examples/mnist/lenet.prototxt``), the LeNet-5 of Han et al. 2015 Table 1 (431K weights)."""
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 20, 5)), ("pool1", nn.MaxPool2d(2, 2)),
        ("conv2", nn.Conv2d(20, 50, 5)), ("pool2", nn.MaxPool2d(2, 2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(800, 500)), ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(500, 10)),
    ]))


def _seed(in_ch: int, convs: list[tuple[int, int]], fc_in: int, fcs: list[int]) -> nn.Sequential:
    mods: list[tuple[str, nn.Module]] = []
    c = in_ch
    for i, (m, k) in enumerate(convs, start=1):
        mods += [(f"conv{i}", nn.Conv2d(c, m, k)), (f"relu_conv{i}", nn.ReLU())]
        if i <= 2:
            mods.append((f"pool{i}", nn.MaxPool2d(2, 2)))
        c = m
    mods.append(("flatten", nn.Flatten()))
    d = fc_in
    for j, out in enumerate(fcs, start=1):
        mods.append((f"fc{j}", nn.Linear(d, out)))
        if j < len(fcs):
            mods.append((f"relu_fc{j}", nn.ReLU()))
        d = out
    return nn.Sequential(OrderedDict(mods))


def seed1() -> nn.Sequential:
    """28x28x1-6c5-16c5-120-84-10."""
    return _seed(1, [(6, 5), (16, 5)], 256, [120, 84, 10])


def seed2() -> nn.Sequential:
    """28x28x1-6c3-16c3-36c4-240-120-84-10."""
    return _seed(1, [(6, 3), (16, 3), (36, 4)], 144, [240, 120, 84, 10])


def seed3() -> nn.Sequential:
    """3x32x32-6c5-16c5-120-84-10."""
    return _seed(3, [(6, 5), (16, 5)], 400, [120, 84, 10])


def seed4() -> nn.Sequential:
    """3x32x32-6c3-16c3-36c4-240-120-84-10."""
    return _seed(3, [(6, 3), (16, 3), (36, 4)], 324, [240, 120, 84, 10])


NETS: dict[str, Callable[[], nn.Sequential]] = {
    "lenet5": lenet5, "seed1": seed1, "seed2": seed2, "seed3": seed3, "seed4": seed4,
}


def build(name: str, seed: int = 0) -> nn.Sequential:
    """A freshly initialized network (PyTorch default init, seeded)."""
    if name not in NETS:
        raise ConfigError(f"unknown network {name!r}; choose one of {sorted(NETS)}")
    torch.manual_seed(seed)
    return NETS[name]()


def trained_net(name: str, epochs: int, seed: int = 0) -> tuple[nn.Module, Data]:
    """Network ``name`` trained from a seeded init on its digits data; returns (model, data)."""
    if name not in NETS:
        raise ConfigError(f"unknown network {name!r}; choose one of {sorted(NETS)}")
    data = load_data(INPUT_SHAPES[name], seed=seed)
    model = build(name, seed=seed)
    train(model, data, epochs=epochs, seed=seed)
    return model, data
