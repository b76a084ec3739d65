"""Real layer shapes of the networks accelsim studies, and published per-layer densities.

Each network is a list of LayerSpec-like dicts without the batch size N (``name, kind, C, H, W, M, R, S,
stride, padding, groups``); H x W is the layer's input as the hardware sees it: after the previous
layer's ReLU and pooling, before padding.  Pooling layers are not listed (no accelerator here runs them);
their effect is in the next layer's H x W.

Networks
--------
- ``alexnet``: Krizhevsky et al. 2012 as in Caffe's bvlc_alexnet (the model Han et al. 2015 and Eyeriss
  use): 227x227x3 input; 3x3 stride-2 max-pool after conv1, conv2, conv5; conv2, conv4, conv5 in 2 groups.
- ``vgg16``: Simonyan & Zisserman 2015, configuration D: 224x224x3, 13 convs 3x3 pad 1, 2x2 max-pool after
  each block; conv1_1 ... conv5_3, fc6 (25088 -> 4096), fc7, fc8.
- ``lenet5``: the Caffe LeNet that Han et al. 2015 prune (examples/mnist/lenet_train_test.prototxt):
  28x28x1; conv1 20 5x5; 2x2 pool; conv2 50 5x5; 2x2 pool; fc1 (ip1) 800 -> 500; ReLU; fc2 (ip2) 500 -> 10.
- ``seed1`` ... ``seed4``: small nets written ``input-<M>c<R>-...-<fc outputs>``, with these conventions
  (the PyTorch versions in ``models/`` follow exactly the same ones):

  * convolutions have stride 1 and no padding;
  * ReLU after every conv and after every fc except the last;
  * a 2x2 max-pool with stride 2 (floor mode, PyTorch's default) after conv1 and conv2 only, never after a
    third conv;
  * flatten (channel-major, C x H x W) before the first fc;
  * layer names conv1, conv2[, conv3], then fc1, fc2, ... in order (seed2/seed4 have four fc layers).

  ``seed1`` = 28x28x1-6c5-16c5-120-84-10 (28 -> 24 -> pool 12 -> 8 -> pool 4: fc1 in 16*4*4 = 256);
  ``seed2`` = 28x28x1-6c3-16c3-36c4-240-120-84-10 (28 -> 26 -> 13 -> 11 -> 5 -> 2: fc1 in 36*2*2 = 144);
  ``seed3`` = 3x32x32-6c5-16c5-120-84-10 (32 -> 28 -> 14 -> 10 -> 5: fc1 in 16*5*5 = 400);
  ``seed4`` = 3x32x32-6c3-16c3-36c4-240-120-84-10 (32 -> 30 -> 15 -> 13 -> 6 -> 3: fc1 in 36*3*3 = 324).

Densities (fractions of non-zero values, data with sources)
----------------------------------------------------------
- ``HAN2015_WEIGHTS``: kept-weight fraction per layer, Han et al., "Learning both Weights and Connections
  for Efficient Neural Networks", NIPS 2015, Tables 2-5 ("Weights%" column).  Han's AlexNet fc1..fc3 are
  fc6..fc8 here.
- ``HAN2015_ACTS``: the same tables' "Act%" column, the density of each layer's *output* activations.
  Layer i's input density is layer i-1's Act% (FLOP% = Weights% x previous Act% holds for every AlexNet
  row).  Pooling between layers raises density a little; this is ignored.
- ``EYERISS_ALEXNET_INPUTS``: AlexNet conv input densities from Eyeriss (Chen et al., JSSC 2017, Table V
  "zeros in ifmaps": conv1 ~0.01 %, conv2 38.7 %, conv3 72.5 %, conv4 79.3 %, conv5 77.6 %; the text
  says "about 40 % at CONV2 rising to about 75 % at CONV5").  Sparseloop's Eyeriss validation uses
  0.999 / 0.6 / 0.275 / 0.207 / 0.23, which agrees.
- ``CNVLUTIN_CONV_INPUT_DENSITY``: 1 - 0.44, the average fraction of zero conv-layer input neurons that
  Cnvlutin reports (44 %, as quoted by Jouppi et al., ISCA 2017).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from accelsim.errors import ConfigError


@dataclass(frozen=True)
class Network:
    """One network: a name, a one-line description, its input (C, H, W) and its layers (no N)."""

    name: str
    description: str
    input_chw: tuple[int, int, int]
    layers: tuple[dict[str, Any], ...]


def _conv(name: str, C: int, H: int, M: int, R: int, stride: int = 1, padding: int = 0,
          groups: int = 1) -> dict[str, Any]:
    return {"name": name, "kind": "conv", "C": C, "H": H, "W": H, "M": M, "R": R, "S": R,
            "stride": stride, "padding": padding, "groups": groups}


def _fc(name: str, C: int, M: int) -> dict[str, Any]:
    return {"name": name, "kind": "fc", "C": C, "H": 1, "W": 1, "M": M, "R": 1, "S": 1,
            "stride": 1, "padding": 0, "groups": 1}


def _out(size: int, r: int, stride: int = 1, padding: int = 0) -> int:
    return (size + 2 * padding - r) // stride + 1


def _alexnet() -> list[dict[str, Any]]:
    # 227 -conv1 11/4-> 55 -pool 3/2-> 27 -conv2 5 pad 2-> 27 -pool-> 13 -conv3..5 3 pad 1-> 13 -pool-> 6
    return [_conv("conv1", 3, 227, 96, 11, stride=4),
            _conv("conv2", 96, 27, 256, 5, padding=2, groups=2),
            _conv("conv3", 256, 13, 384, 3, padding=1),
            _conv("conv4", 384, 13, 384, 3, padding=1, groups=2),
            _conv("conv5", 384, 13, 256, 3, padding=1, groups=2),
            _fc("fc6", 256 * 6 * 6, 4096), _fc("fc7", 4096, 4096), _fc("fc8", 4096, 1000)]


def _vgg16() -> list[dict[str, Any]]:
    layers: list[dict[str, Any]] = []
    c, h = 3, 224
    for block, (m, n) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], start=1):
        for i in range(1, n + 1):
            layers.append(_conv(f"conv{block}_{i}", c, h, m, 3, padding=1))
            c = m
        h //= 2  # 2x2 max-pool, stride 2
    layers += [_fc("fc6", c * h * h, 4096), _fc("fc7", 4096, 4096), _fc("fc8", 4096, 1000)]
    return layers


def _lenet5() -> list[dict[str, Any]]:
    # 28 -conv1 5-> 24 -pool-> 12 -conv2 5-> 8 -pool-> 4: fc1 in 50*4*4 = 800
    return [_conv("conv1", 1, 28, 20, 5), _conv("conv2", 20, 12, 50, 5),
            _fc("fc1", 800, 500), _fc("fc2", 500, 10)]


def _seed(c: int, h: int, convs: list[tuple[int, int]], fcs: list[int]) -> list[dict[str, Any]]:
    """Layers of a seed net under the conventions of the module docstring."""
    layers: list[dict[str, Any]] = []
    for i, (m, r) in enumerate(convs, start=1):
        layers.append(_conv(f"conv{i}", c, h, m, r))
        c, h = m, _out(h, r)
        if i <= 2:
            h //= 2  # 2x2 max-pool, stride 2, floor mode, after conv1 and conv2 only
    n_in = c * h * h
    for i, m in enumerate(fcs, start=1):
        layers.append(_fc(f"fc{i}", n_in, m))
        n_in = m
    return layers


NETWORKS: dict[str, Network] = {
    n.name: n for n in [
        Network("alexnet", "AlexNet (Caffe bvlc_alexnet, 227x227x3, grouped conv2/4/5): 5 conv + 3 fc",
                (3, 227, 227), tuple(_alexnet())),
        Network("vgg16", "VGG-16 (configuration D, 224x224x3): 13 conv 3x3 + 3 fc", (3, 224, 224),
                tuple(_vgg16())),
        Network("lenet5", "Caffe LeNet-5 as pruned by Han et al. 2015 (28x28x1): 2 conv + 2 fc", (1, 28, 28),
                tuple(_lenet5())),
        Network("seed1", "seed net 28x28x1-6c5-16c5-120-84-10: 2 conv + 3 fc", (1, 28, 28),
                tuple(_seed(1, 28, [(6, 5), (16, 5)], [120, 84, 10]))),
        Network("seed2", "seed net 28x28x1-6c3-16c3-36c4-240-120-84-10: 3 conv + 4 fc", (1, 28, 28),
                tuple(_seed(1, 28, [(6, 3), (16, 3), (36, 4)], [240, 120, 84, 10]))),
        Network("seed3", "seed net 3x32x32-6c5-16c5-120-84-10: 2 conv + 3 fc", (3, 32, 32),
                tuple(_seed(3, 32, [(6, 5), (16, 5)], [120, 84, 10]))),
        Network("seed4", "seed net 3x32x32-6c3-16c3-36c4-240-120-84-10: 3 conv + 4 fc", (3, 32, 32),
                tuple(_seed(3, 32, [(6, 3), (16, 3), (36, 4)], [240, 120, 84, 10]))),
    ]
}


def network_names() -> list[str]:
    return list(NETWORKS)


def get_network(name: "str | Network") -> Network:
    """A shipped network by name, or ``name`` itself when it already is a Network (e.g. an imported
    SCALE-Sim topology, see accelsim.trace.topology)."""
    if isinstance(name, Network):
        return name
    try:
        return NETWORKS[name]
    except KeyError:
        raise ConfigError(f"unknown network {name!r}: known networks are {', '.join(NETWORKS)}") from None


def network_layers(name: str) -> list[dict[str, Any]]:
    """The layers of network ``name`` as fresh LayerSpec-like dicts (no ``N``), in order."""
    return copy.deepcopy(list(get_network(name).layers))


# ---- published densities (fractions) ---------------------------------------------------------------

#: Han et al. 2015, Tables 2-5, "Weights%" (kept weights) per layer, keyed by accelsim layer name.
HAN2015_WEIGHTS: dict[str, dict[str, float]] = {
    "alexnet": {"conv1": 0.84, "conv2": 0.38, "conv3": 0.35, "conv4": 0.37, "conv5": 0.37,
                "fc6": 0.09, "fc7": 0.09, "fc8": 0.25},
    "vgg16": {"conv1_1": 0.58, "conv1_2": 0.22, "conv2_1": 0.34, "conv2_2": 0.36, "conv3_1": 0.53,
              "conv3_2": 0.24, "conv3_3": 0.42, "conv4_1": 0.32, "conv4_2": 0.27, "conv4_3": 0.34,
              "conv5_1": 0.35, "conv5_2": 0.29, "conv5_3": 0.36, "fc6": 0.04, "fc7": 0.04, "fc8": 0.23},
    "lenet5": {"conv1": 0.66, "conv2": 0.12, "fc1": 0.08, "fc2": 0.19},
}

#: Han et al. 2015, Tables 2-5, "Act%": density of each layer's output activations.
HAN2015_ACTS: dict[str, dict[str, float]] = {
    "alexnet": {"conv1": 0.88, "conv2": 0.52, "conv3": 0.37, "conv4": 0.40, "conv5": 0.34,
                "fc6": 0.36, "fc7": 0.40, "fc8": 1.00},
    "vgg16": {"conv1_1": 0.53, "conv1_2": 0.89, "conv2_1": 0.80, "conv2_2": 0.81, "conv3_1": 0.68,
              "conv3_2": 0.70, "conv3_3": 0.64, "conv4_1": 0.51, "conv4_2": 0.45, "conv4_3": 0.34,
              "conv5_1": 0.32, "conv5_2": 0.29, "conv5_3": 0.19, "fc6": 0.38, "fc7": 0.42, "fc8": 1.00},
    "lenet5": {"conv1": 0.82, "conv2": 0.72, "fc1": 0.55, "fc2": 1.00},
}

#: Eyeriss (JSSC 2017, Table V): AlexNet conv *input* densities = 1 - zero fraction.  conv1's 0.01 % zeros
#: are kept as density 0.9999 (the image itself is dense; the few zeros are exact-zero pixels).
EYERISS_ALEXNET_INPUTS: dict[str, float] = {
    "conv1": 0.9999, "conv2": 0.613, "conv3": 0.275, "conv4": 0.207, "conv5": 0.224}  # 1 - zero fraction

#: Cnvlutin (ISCA 2016): on average 44 % of conv-layer input neurons are zero.
CNVLUTIN_CONV_INPUT_DENSITY = 0.56
