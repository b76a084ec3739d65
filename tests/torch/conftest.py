"""Fixtures for the PyTorch front-end tests: tiny seeded nets and tiny data (each test runs in seconds)."""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import pytest  # noqa: E402

try:  # each test module skips itself without torch (pytest.importorskip); the fixtures need it
    import torch
except ImportError:
    torch = None
else:
    torch.set_num_threads(1)

from collections import OrderedDict  # noqa: E402


def _tiny_net():
    """1x14x14 -> conv1 4c3 -> relu -> pool -> conv2 6c3 -> relu -> pool -> flatten (24) -> fc1 16 -> fc2 5."""
    from torch import nn

    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 4, 3)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(4, 6, 3)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(24, 16)), ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(16, 5)),
    ]))


@pytest.fixture
def tiny_net():
    torch.manual_seed(0)
    return _tiny_net()


@pytest.fixture
def tiny_factory():
    def make(seed: int = 0):
        torch.manual_seed(seed)
        return _tiny_net()
    return make


@pytest.fixture
def tiny_data():
    """A learnable 5-class problem on 1x14x14 inputs (class = which region is bright), 200/60 examples."""
    from accelsim.prune.train import Data

    g = torch.Generator().manual_seed(0)

    def make(n):
        y = torch.randint(0, 5, (n,), generator=g)
        x = torch.rand(n, 1, 14, 14, generator=g) * 0.3
        for i in range(n):
            c = int(y[i])
            r, col = (c // 3) * 7, (c % 3) * 4
            x[i, 0, r:r + 7, col:col + 4] += 0.7
        return x, y

    xtr, ytr = make(200)
    xte, yte = make(60)
    return Data(xtr, ytr, xte, yte, "tiny synthetic", 0)
