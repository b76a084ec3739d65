"""The tiny data set and training loop every pruning method and study uses.

Data: scikit-learn's bundled handwritten digits (``sklearn.datasets.load_digits``: 1797 grayscale 8x8
images, values 0..16, 10 classes) -- the only real data set available offline.  It is resized to the
input the network expects:

- ``(1, 28, 28)``: the 8x8 image scaled to [0, 1] and upsampled bilinearly (``align_corners=False``) to
  28x28, the MNIST-sized input of LeNet-5 and the seed nets 1-2;
- ``(3, 32, 32)``: the same digit upsampled to 32x32 and *rendered in colour*: pixel value v in [0, 1]
  becomes ``v * fg + (1 - v) * bg`` per channel, with a foreground and a background colour drawn per image
  from a seeded generator (with a contrast floor so the digit stays visible).  This is the stand-in for
  CIFAR-10 (seed nets 3-4), which cannot be downloaded here: **it is not CIFAR-10**, and every trace and
  figure made from it says so.

The train/test split is fixed by a seed (stratified, 75 % / 25 %: 1347 / 450 images).  Training is
mini-batch Adam (or SGD with momentum) on the cross-entropy loss, seeded, on the CPU.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from accelsim.errors import ConfigError

DATASET_NAMES = {
    (1, 28, 28): "sklearn load_digits 8x8 upsampled bilinearly to 1x28x28",
    (3, 32, 32): "sklearn load_digits 8x8 upsampled to 32x32 and rendered in random colours to 3x32x32 "
                 "(NOT CIFAR-10)",
}


@dataclass
class Data:
    """A fixed train/test split as float32 tensors ``(N, C, H, W)`` and int64 labels."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    description: str
    seed: int

    def batches(self, batch_size: int, n: int | None = None, split: str = "train"):
        """The first ``n`` examples of a split in fixed order, in batches (for saliency estimates)."""
        x, y = (self.x_train, self.y_train) if split == "train" else (self.x_test, self.y_test)
        n = x.shape[0] if n is None else min(n, x.shape[0])
        return [(x[i:i + batch_size], y[i:i + batch_size]) for i in range(0, n, batch_size)]


def load_data(shape: tuple[int, int, int] = (1, 28, 28), seed: int = 0, test_fraction: float = 0.25) -> Data:
    """The digits resized to ``shape`` (``(1, 28, 28)`` or ``(3, 32, 32)``), split with ``seed``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    shape = tuple(int(v) for v in shape)
    if shape not in DATASET_NAMES:
        raise ConfigError(f"input shape {shape} not supported; choose one of {list(DATASET_NAMES)}")
    digits = load_digits()
    img = torch.from_numpy(digits.images.astype(np.float32) / 16.0)[:, None]  # (1797, 1, 8, 8) in [0, 1]
    c, h, w = shape
    img = F.interpolate(img, size=(h, w), mode="bilinear", align_corners=False).clamp_(0.0, 1.0)
    if c == 3:
        g = torch.Generator().manual_seed(1234 + seed)
        fg = torch.rand(img.shape[0], 3, 1, 1, generator=g)
        bg = torch.rand(img.shape[0], 3, 1, 1, generator=g) * 0.5
        # contrast floor: the foreground is at least 0.4 brighter than the background on average
        fg = torch.maximum(fg, bg.mean(1, keepdim=True) + 0.4).clamp_(max=1.0)
        img = img * fg + (1.0 - img) * bg
    y = digits.target.astype(np.int64)
    idx = np.arange(len(y))
    tr, te = train_test_split(idx, test_size=test_fraction, random_state=seed, stratify=y)
    tr, te = np.sort(tr), np.sort(te)
    yt = torch.from_numpy(y)
    return Data(img[tr].contiguous(), yt[tr], img[te].contiguous(), yt[te], DATASET_NAMES[shape], seed)


def train(model: nn.Module, data: Data, epochs: int = 10, lr: float = 2e-3, optimizer: str = "adam",
          momentum: float = 0.9, weight_decay: float = 0.0, batch_size: int = 32, seed: int = 0,
          after_step: Callable[[nn.Module], None] | None = None) -> nn.Module:
    """Train ``model`` in place on cross-entropy with Adam (default) or SGD with momentum; shuffles with ``seed``.

    Pruning masks are respected automatically (``torch.nn.utils.prune`` reparametrization).  ``after_step``
    runs after each optimizer step (unused by the built-in methods; for user constraints).
    """
    if epochs <= 0:
        return model
    g = torch.Generator().manual_seed(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    if optimizer == "adam":
        opt: torch.optim.Optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    elif optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    else:
        raise ConfigError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    n = data.x_train.shape[0]
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=g)
        for i in range(0, n, batch_size):
            b = perm[i:i + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(data.x_train[b]), data.y_train[b])
            loss.backward()
            opt.step()
            if after_step is not None:
                after_step(model)
    model.eval()
    return model


@torch.no_grad()
def evaluate(model: nn.Module, data: Data, split: str = "test", batch_size: int = 256) -> float:
    """Top-1 accuracy (fraction) of ``model`` on a split."""
    x, y = (data.x_test, data.y_test) if split == "test" else (data.x_train, data.y_train)
    was = model.training
    model.eval()
    correct = 0
    for i in range(0, x.shape[0], batch_size):
        correct += int((model(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum())
    model.train(was)
    return correct / x.shape[0]


def make_train_fn(data: Data, epochs: int, lr: float = 2e-3, seed: int = 0, **kw) -> Callable[[nn.Module], nn.Module]:
    """A ``train_fn(model)`` closure for the iterative methods (each call trains ``epochs`` epochs).

    The shuffling seed advances at every call so successive retraining rounds see different orders.
    """
    calls = [0]

    def fn(model: nn.Module) -> nn.Module:
        calls[0] += 1
        return train(model, data, epochs=epochs, lr=lr, seed=seed + 1000 * calls[0], **kw)

    return fn
