"""Small versions of the models users bring (torchvision cannot be installed here, so they are written out):
ResNet-18-style, MobileNetV2-style, an MLP, a net with dilation / 3x1 kernels / Conv1d, and an nn.Sequential
with numeric names.  BatchNorm statistics are set to seeded random values (no training), so folding and
post-activation sparsity are exercised as after training."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def randomize_bn(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give every BatchNorm non-trivial inference statistics and affine parameters (as a trained net has)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.3)
                m.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.5)
                m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                m.bias.copy_(torch.randn(c, generator=g) * 0.2)
    return model


class BasicBlock(nn.Module):
    """ResNet's basic block: conv-BN-ReLU, conv-BN, (+ shortcut, with a 1x1 stride-2 conv-BN when the shape
    changes), ReLU."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class TinyResNet(nn.Module):
    """ResNet-18's structure at toy size: stem conv-BN-ReLU-maxpool, two stages of basic blocks (the second
    downsamples with stride 2), adaptive average pool, Linear."""

    def __init__(self, classes: int = 5):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(2)
        self.layer1 = nn.Sequential(BasicBlock(8, 8), BasicBlock(8, 8))
        self.layer2 = nn.Sequential(BasicBlock(8, 16, stride=2), BasicBlock(16, 16))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class InvertedResidual(nn.Module):
    """MobileNetV2's block: 1x1 expand-BN-ReLU6, 3x3 depthwise-BN-ReLU6, 1x1 project-BN (linear), + input."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int):
        super().__init__()
        hid = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.conv = nn.Sequential(
            nn.Conv2d(cin, hid, 1, bias=False), nn.BatchNorm2d(hid), nn.ReLU6(inplace=True),
            nn.Conv2d(hid, hid, 3, stride, 1, groups=hid, bias=False), nn.BatchNorm2d(hid), nn.ReLU6(inplace=True),
            nn.Conv2d(hid, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class TinyMobileNetV2(nn.Module):
    def __init__(self, classes: int = 5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU6(inplace=True)),
            InvertedResidual(8, 8, 1, 2), InvertedResidual(8, 12, 2, 2), InvertedResidual(12, 12, 1, 2),
            nn.Sequential(nn.Conv2d(12, 24, 1, bias=False), nn.BatchNorm2d(24), nn.ReLU6(inplace=True)))
        self.classifier = nn.Linear(24, classes)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


def mlp(classes: int = 5) -> nn.Module:
    """Linear-BN1d-ReLU, Linear-GELU, Linear."""
    return nn.Sequential(nn.Flatten(), nn.Linear(48, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 24),
                         nn.GELU(), nn.Linear(24, classes))


class GeometryNet(nn.Module):
    """Shapes the v1 format refused: a dilated 3x3 conv, a 3x1 conv with padding (1, 0) and stride (2, 1),
    a 'same' conv with an even kernel, and Conv1d layers (with BN1d, dilation and Hardswish) over the rows."""

    def __init__(self, classes: int = 5):
        super().__init__()
        self.dil = nn.Conv2d(3, 8, 3, padding=2, dilation=2, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.tall = nn.Conv2d(8, 8, (3, 1), stride=(2, 1), padding=(1, 0))
        self.same = nn.Conv2d(8, 8, 4, padding="same")
        self.seq1 = nn.Conv1d(8, 12, 3, padding=1, bias=False)
        self.bn1d = nn.BatchNorm1d(12)
        self.seq2 = nn.Conv1d(12, 12, 3, dilation=2, padding=2)
        self.fc = nn.Linear(12, classes)

    def forward(self, x):
        x = F.relu(self.bn(self.dil(x)))
        x = F.leaky_relu(self.tall(x), 0.1)
        x = F.silu(self.same(x))
        x = x.mean(dim=2)  # (N, C, W): a sequence along the width
        x = F.hardswish(self.bn1d(self.seq1(x)))
        x = F.relu(self.seq2(x))
        return self.fc(x.mean(dim=2))


def numeric_sequential(classes: int = 5) -> nn.Module:
    """What nn.Sequential users get: layers named '0', '3', '7'."""
    return nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 8, 3, padding=1), nn.PReLU(), nn.Flatten(), nn.Linear(8 * 8 * 8, classes))


MODELS = {
    "resnet": (lambda: randomize_bn(TinyResNet()), (2, 3, 16, 16)),
    "mobilenetv2": (lambda: randomize_bn(TinyMobileNetV2()), (2, 3, 16, 16)),
    "mlp": (lambda: randomize_bn(mlp()), (4, 3, 4, 4)),
    "geometry": (lambda: randomize_bn(GeometryNet()), (2, 3, 12, 12)),
    "sequential": (lambda: randomize_bn(numeric_sequential()), (2, 3, 16, 16)),
}


def make(name: str, seed: int = 0) -> tuple[nn.Module, torch.Tensor]:
    """The model (eval mode) and a seeded input batch."""
    torch.manual_seed(seed)
    build, shape = MODELS[name]
    m = build().eval()
    return m, torch.randn(*shape, generator=torch.Generator().manual_seed(seed + 1))
