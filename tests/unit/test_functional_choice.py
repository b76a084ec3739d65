"""Which convolution computes missing outputs (accelsim/functional.py): torch when forced, already
imported, or installed and the layer is large enough (MACs and bytes) to pay for importing it; numpy otherwise."""
from __future__ import annotations

import importlib.util


from accelsim import functional


def test_choice(monkeypatch):
    has_torch = importlib.util.find_spec("torch") is not None
    monkeypatch.setenv("ACCELSIM_CONV", "numpy")
    assert not functional._use_torch(10 ** 12)
    monkeypatch.setenv("ACCELSIM_CONV", "torch")
    assert functional._use_torch(0) == has_torch
    monkeypatch.delenv("ACCELSIM_CONV")
    monkeypatch.delitem(__import__("sys").modules, "torch", raising=False)
    assert not functional._use_torch(functional.TORCH_AUTO_MACS - 1)
    assert functional._use_torch(functional.TORCH_AUTO_MACS) == has_torch
    # many MACs on small tensors (VGG-16 conv1_2 at batch 3: 5.5 G MACs, 77 MB): numpy, torch's memory is not paid
    assert not functional._use_torch(10 ** 12, functional.TORCH_AUTO_BYTES - 1)
    assert functional._use_torch(functional.TORCH_AUTO_MACS, functional.TORCH_AUTO_BYTES) == has_torch


def test_large_layer_without_torch_uses_numpy(monkeypatch):
    monkeypatch.delenv("ACCELSIM_CONV", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    monkeypatch.delitem(__import__("sys").modules, "torch", raising=False)
    assert not functional._use_torch(10 ** 12)
