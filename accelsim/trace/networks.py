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

- ``vgg19``: Simonyan & Zisserman 2015, configuration E: as ``vgg16`` with four convs in blocks 3-5
  (conv3_4, conv4_4, conv5_4); fc6 25088 -> 4096, fc7, fc8.
- ``nin``: Network in Network (Lin et al. 2014), the ImageNet model of Caffe's model zoo (Lin's
  ``nin_imagenet`` prototxt, crop 224): conv1 96 11x11/4 (no pad, 224 -> 54), cccp1, cccp2 (1x1, 96);
  max-pool 3/2 (54 -> 27); conv2 256 5x5 pad 2, cccp3, cccp4 (256); pool (27 -> 13); conv3 384 3x3 pad 1,
  cccp5, cccp6 (384); pool (13 -> 6); conv4_1024 1024 3x3 pad 1, cccp7_1024 (1024), cccp8_1024 (1000, 1x1);
  then a 6x6 average pool (no fc).  Caffe's ``conv4-1024`` etc. are written with ``_``.
- ``cnn_m``: CNN-M of Chatfield et al. 2014 ("Return of the Devil in the Details") as in the model zoo's
  VGG_CNN_M prototxt, 224x224x3: conv1 96 7x7/2 (224 -> 109), LRN, max-pool 3/2 (-> 54); conv2 256 5x5/2
  pad 1 (-> 26), LRN, pool 3/2 (-> 13); conv3-5 512 3x3 pad 1; pool 3/2 (-> 6); fc6 18432 -> 4096, fc7
  4096 -> 4096, fc8 -> 1000.  (Cnvlutin's MIsim ran ``vgg_cnn_m_2048``: the same convs, fc7 4096 -> 2048.)
- ``cnn_s``: CNN-S of Chatfield et al. 2014 as in the model zoo's VGG_CNN_S prototxt, 224x224x3: conv1 96
  7x7/2 (-> 109), LRN, max-pool 3/3 (-> 37); conv2 256 5x5, stride 1, *no padding* as in the prototxt
  (-> 33); pool 2/2 (-> 17); conv3-5 512 3x3 pad 1; pool 3/3 (-> 6); fc6 18432 -> 4096, fc7, fc8.
- ``googlenet``: Szegedy et al. 2015 as in Caffe's bvlc_googlenet, 224x224x3: conv1_7x7_s2 64 7x7/2 pad 3
  (-> 112); max-pool 3/2 (-> 56); conv2_3x3_reduce 64 1x1, conv2_3x3 192 3x3 pad 1; pool 3/2 (-> 28);
  inception 3a, 3b (28x28); pool (-> 14); 4a-4e (14x14); pool (-> 7); 5a, 5b (7x7); 7x7 average pool;
  loss3_classifier 1024 -> 1000.  Each inception module is six conv layers named as Caffe's with ``_``
  for ``/``: ``inception_3a_1x1``, ``_3x3_reduce``, ``_3x3`` (pad 1), ``_5x5_reduce``, ``_5x5`` (pad 2),
  ``_pool_proj`` (1x1 after a 3x3 stride-1 pad-1 max-pool, so its input has the module's input size).  The
  module's output concatenates 1x1, 3x3, 5x5 and pool_proj.  The two auxiliary classifiers (training
  only) are left out.
- ``resnet50``: He et al. 2016, ResNet-50, 224x224x3, with *torchvision's stride placement* (the stride-2
  of a stage's first block is on its 3x3 conv, "ResNet v1.5"; the original Caffe model puts it on the
  first 1x1, which gives ~3.9 G instead of ~4.1 G multiply-adds).  conv1 64 7x7/2 pad 3 (-> 112); max-pool
  3/2 pad 1 (-> 56); stages res2 (3 blocks, 64-64-256, 56x56), res3 (4, 128-128-512, 28x28), res4 (6,
  256-256-1024, 14x14), res5 (3, 512-512-2048, 7x7); global average pool; fc1000 2048 -> 1000.  Layers are
  named as in the Caffe model: block ``res3a`` has ``res3a_branch2a`` (1x1), ``res3a_branch2b`` (3x3, pad
  1, stride 2 in a stage's first block but res2a), ``res3a_branch2c`` (1x1) and, in each stage's first
  block, the projection shortcut ``res3a_branch1`` (1x1, stride 2 but in res2a), listed after branch2c.

Pooling output sizes use Caffe's rounding where Caffe is the reference (nin, cnn_m, cnn_s, googlenet):
``ceil((H + 2p - k) / s) + 1``, minus one if the last window would start in the padding (:func:`_pool`).
vgg19's 2x2/2 pools see even sizes, where floor and ceil agree.  resnet50 follows torchvision: max-pool
3/2 pad 1 with floor rounding, 112 -> 56 (Caffe's ResNet-50 gets the same 56 from 3/2 *pad 0* with ceil;
ceil with pad 1 would give 57).

Branching networks
------------------
``googlenet`` and ``resnet50`` are not chains, so they are kept apart from :data:`NETWORKS` (whose layers
each take the previous layer's output) in :data:`DAG_NETWORKS`; :func:`get_network`, :func:`network_layers`
and :func:`network_names` know both.  Their :attr:`Network.sources` gives, per layer, the layers whose
outputs feed it: several names are concatenated along channels (an inception module's output); a
residual sum has the shape of its ``branch2c`` addend, which is the name given for it; ``"input"`` is the
image.  H x W is still the input as the hardware sees it, after any pooling.  (``accelsim trace synth
--network`` offers the names of :data:`NETWORKS`; the DAG networks are reachable from Python,
``synth_trace("resnet50", ...)``, until the command lists :func:`network_names`.)

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
    #: per layer, the names of the layers whose outputs feed it (concatenated along channels); empty for
    #: a chain, where every layer takes the previous layer's output (see "Branching networks" above)
    sources: tuple[tuple[str, ...], ...] = ()


def _conv(name: str, C: int, H: int, M: int, R: int, stride: int = 1, padding: int = 0,
          groups: int = 1) -> dict[str, Any]:
    return {"name": name, "kind": "conv", "C": C, "H": H, "W": H, "M": M, "R": R, "S": R,
            "stride": stride, "padding": padding, "groups": groups}


def _fc(name: str, C: int, M: int) -> dict[str, Any]:
    return {"name": name, "kind": "fc", "C": C, "H": 1, "W": 1, "M": M, "R": 1, "S": 1,
            "stride": 1, "padding": 0, "groups": 1}


def _out(size: int, r: int, stride: int = 1, padding: int = 0) -> int:
    return (size + 2 * padding - r) // stride + 1


def _pool(size: int, k: int, stride: int, padding: int = 0, ceil: bool = True) -> int:
    """Output size of a k x k pooling.  ``ceil`` (Caffe's rounding): ceil((size + 2p - k) / stride) + 1, minus
    one when the last window would start inside the padding (Caffe's PoolingLayer::Reshape); otherwise
    floor, as PyTorch's default."""
    if not ceil:
        return (size + 2 * padding - k) // stride + 1
    out = -(-(size + 2 * padding - k) // stride) + 1
    if padding and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _alexnet() -> list[dict[str, Any]]:
    # 227 -conv1 11/4-> 55 -pool 3/2-> 27 -conv2 5 pad 2-> 27 -pool-> 13 -conv3..5 3 pad 1-> 13 -pool-> 6
    return [_conv("conv1", 3, 227, 96, 11, stride=4),
            _conv("conv2", 96, 27, 256, 5, padding=2, groups=2),
            _conv("conv3", 256, 13, 384, 3, padding=1),
            _conv("conv4", 384, 13, 384, 3, padding=1, groups=2),
            _conv("conv5", 384, 13, 256, 3, padding=1, groups=2),
            _fc("fc6", 256 * 6 * 6, 4096), _fc("fc7", 4096, 4096), _fc("fc8", 4096, 1000)]


def _vgg(blocks: list[tuple[int, int]]) -> list[dict[str, Any]]:
    layers: list[dict[str, Any]] = []
    c, h = 3, 224
    for block, (m, n) in enumerate(blocks, start=1):
        for i in range(1, n + 1):
            layers.append(_conv(f"conv{block}_{i}", c, h, m, 3, padding=1))
            c = m
        h //= 2  # 2x2 max-pool, stride 2
    layers += [_fc("fc6", c * h * h, 4096), _fc("fc7", 4096, 4096), _fc("fc8", 4096, 1000)]
    return layers


def _vgg16() -> list[dict[str, Any]]:
    return _vgg([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)])   # configuration D


def _vgg19() -> list[dict[str, Any]]:
    return _vgg([(64, 2), (128, 2), (256, 4), (512, 4), (512, 4)])   # configuration E


def _nin() -> list[dict[str, Any]]:
    layers: list[dict[str, Any]] = []
    c, h = 3, 224
    # (conv name, M, R, stride, pad, cccp names, cccp outputs); a 3/2 max-pool after each of the first three
    stages = [("conv1", 96, 11, 4, 0, ("cccp1", "cccp2"), (96, 96)),
              ("conv2", 256, 5, 1, 2, ("cccp3", "cccp4"), (256, 256)),
              ("conv3", 384, 3, 1, 1, ("cccp5", "cccp6"), (384, 384)),
              ("conv4_1024", 1024, 3, 1, 1, ("cccp7_1024", "cccp8_1024"), (1024, 1000))]
    for i, (name, m, r, st, p, cccps, cms) in enumerate(stages):
        layers.append(_conv(name, c, h, m, r, stride=st, padding=p))
        c, h = m, _out(h, r, st, p)
        for cname, cm in zip(cccps, cms):
            layers.append(_conv(cname, c, h, cm, 1))
            c = cm
        if i < 3:
            h = _pool(h, 3, 2)
    return layers                       # 224 -> 54 -> 27 -> 13 -> 6; then a 6x6 average pool


def _cnn_m() -> list[dict[str, Any]]:
    h1 = _pool(_out(224, 7, 2), 3, 2)                   # 109 -> 54
    h2 = _pool(_out(h1, 5, 2, 1), 3, 2)                 # 26 -> 13
    h5 = _pool(h2, 3, 2)                                # 13 -> 6
    return [_conv("conv1", 3, 224, 96, 7, stride=2),
            _conv("conv2", 96, h1, 256, 5, stride=2, padding=1),
            _conv("conv3", 256, h2, 512, 3, padding=1),
            _conv("conv4", 512, h2, 512, 3, padding=1),
            _conv("conv5", 512, h2, 512, 3, padding=1),
            _fc("fc6", 512 * h5 * h5, 4096), _fc("fc7", 4096, 4096), _fc("fc8", 4096, 1000)]


def _cnn_s() -> list[dict[str, Any]]:
    h1 = _pool(_out(224, 7, 2), 3, 3)                   # 109 -> 37
    h2 = _pool(_out(h1, 5), 2, 2)                       # 33 -> 17
    h5 = _pool(h2, 3, 3)                                # 17 -> 6
    return [_conv("conv1", 3, 224, 96, 7, stride=2),
            _conv("conv2", 96, h1, 256, 5),
            _conv("conv3", 256, h2, 512, 3, padding=1),
            _conv("conv4", 512, h2, 512, 3, padding=1),
            _conv("conv5", 512, h2, 512, 3, padding=1),
            _fc("fc6", 512 * h5 * h5, 4096), _fc("fc7", 4096, 4096), _fc("fc8", 4096, 1000)]


#: GoogLeNet's inception modules (Szegedy et al. 2015, Table 1): #1x1, #3x3 reduce, #3x3, #5x5 reduce,
#: #5x5, pool proj; a 3/2 max-pool comes before 4a and before 5a.
GOOGLENET_INCEPTION: dict[str, tuple[int, int, int, int, int, int]] = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64), "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64), "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}


def _googlenet() -> tuple[list[dict[str, Any]], list[tuple[str, ...]]]:
    layers: list[dict[str, Any]] = []
    sources: list[tuple[str, ...]] = []

    def add(layer: dict[str, Any], src: tuple[str, ...]) -> None:
        layers.append(layer)
        sources.append(src)

    add(_conv("conv1_7x7_s2", 3, 224, 64, 7, stride=2, padding=3), ("input",))
    h = _pool(_out(224, 7, 2, 3), 3, 2)                                      # 112 -> 56
    add(_conv("conv2_3x3_reduce", 64, h, 64, 1), ("conv1_7x7_s2",))
    add(_conv("conv2_3x3", 64, h, 192, 3, padding=1), ("conv2_3x3_reduce",))
    c, h, prev = 192, _pool(h, 3, 2), ("conv2_3x3",)                           # 56 -> 28
    for mod, (n1, n3r, n3, n5r, n5, npp) in GOOGLENET_INCEPTION.items():
        if mod in ("4a", "5a"):
            h = _pool(h, 3, 2)                                               # 28 -> 14 -> 7
        p = f"inception_{mod}_"
        add(_conv(p + "1x1", c, h, n1, 1), prev)
        add(_conv(p + "3x3_reduce", c, h, n3r, 1), prev)
        add(_conv(p + "3x3", n3r, h, n3, 3, padding=1), (p + "3x3_reduce",))
        add(_conv(p + "5x5_reduce", c, h, n5r, 1), prev)
        add(_conv(p + "5x5", n5r, h, n5, 5, padding=2), (p + "5x5_reduce",))
        add(_conv(p + "pool_proj", c, h, npp, 1), prev)          # after a 3x3/1 pad-1 max-pool: same size
        c, prev = n1 + n3 + n5 + npp, (p + "1x1", p + "3x3", p + "5x5", p + "pool_proj")
    add(_fc("loss3_classifier", c, 1000), prev)                  # after the 7x7 average pool: 1024
    return layers, sources


#: ResNet-50 stages (He et al. 2016, Table 1): (stage, blocks, bottleneck width m; output 4m).
RESNET50_STAGES: tuple[tuple[int, int, int], ...] = ((2, 3, 64), (3, 4, 128), (4, 6, 256), (5, 3, 512))


def _resnet50() -> tuple[list[dict[str, Any]], list[tuple[str, ...]]]:
    layers: list[dict[str, Any]] = []
    sources: list[tuple[str, ...]] = []

    def add(layer: dict[str, Any], src: str) -> None:
        layers.append(layer)
        sources.append((src,))

    add(_conv("conv1", 3, 224, 64, 7, stride=2, padding=3), "input")
    c, h = 64, _pool(_out(224, 7, 2, 3), 3, 2, 1, ceil=False)  # 112 -> 56 (torchvision: 3/2 pad 1, floor)
    prev = "conv1"
    for stage, blocks, m in RESNET50_STAGES:
        for b in range(blocks):
            p = f"res{stage}{'abcdef'[b]}_branch"
            st = 2 if (b == 0 and stage > 2) else 1             # torchvision: stride on the 3x3 conv
            add(_conv(p + "2a", c, h, m, 1), prev)
            add(_conv(p + "2b", m, h, m, 3, stride=st, padding=1), p + "2a")
            h2 = _out(h, 3, st, 1)
            add(_conv(p + "2c", m, h2, 4 * m, 1), p + "2b")
            if b == 0:                                          # projection shortcut (1x1, same stride)
                add(_conv(p + "1", c, h, 4 * m, 1, stride=st), prev)
            c, h, prev = 4 * m, h2, p + "2c"                    # block output = 2c + shortcut
    add(_fc("fc1000", c, 1000), prev)                           # after global average pooling: 2048
    return layers, sources


def _dag(name: str, description: str, build: Any) -> Network:
    layers, sources = build()
    return Network(name, description, (3, 224, 224), tuple(layers), tuple(sources))


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
        Network("vgg19", "VGG-19 (configuration E, 224x224x3): 16 conv 3x3 + 3 fc", (3, 224, 224),
                tuple(_vgg19())),
        Network("nin", "Network in Network, ImageNet (Caffe model zoo, 224x224x3): 12 conv, no fc", (3, 224, 224),
                tuple(_nin())),
        Network("cnn_m", "CNN-M (Chatfield et al. 2014, VGG_CNN_M, 224x224x3): 5 conv + 3 fc", (3, 224, 224),
                tuple(_cnn_m())),
        Network("cnn_s", "CNN-S (Chatfield et al. 2014, VGG_CNN_S, 224x224x3): 5 conv + 3 fc", (3, 224, 224),
                tuple(_cnn_s())),
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


#: Networks whose layers do not form a chain (see "Branching networks" in the module docstring).
DAG_NETWORKS: dict[str, Network] = {
    n.name: n for n in [
        _dag("googlenet", "GoogLeNet (Caffe bvlc_googlenet, 224x224x3): 57 conv (9 inception modules) + 1 fc",
             _googlenet),
        _dag("resnet50", "ResNet-50 (torchvision strides, 224x224x3): 53 conv (incl. 4 projections) + 1 fc",
             _resnet50),
    ]
}

#: Every shipped network: the chains of NETWORKS, then DAG_NETWORKS.
ALL_NETWORKS: dict[str, Network] = {**NETWORKS, **DAG_NETWORKS}


def network_names() -> list[str]:
    return list(ALL_NETWORKS)


def get_network(name: "str | Network") -> Network:
    """A shipped network by name, or ``name`` itself when it already is a Network (e.g. an imported
    SCALE-Sim topology, see accelsim.trace.topology)."""
    if isinstance(name, Network):
        return name
    try:
        return ALL_NETWORKS[name]
    except KeyError:
        raise ConfigError(f"unknown network {name!r}: known networks are {', '.join(ALL_NETWORKS)}") from None


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
