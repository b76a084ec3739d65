"""What follows a conv/linear layer up to the tensor it writes to memory: folded BatchNorm, residual add,
elementwise activations.  Found while the model runs, by watching torch function calls.

A :class:`ChainWatcher` (a ``TorchFunctionMode``) sees every torch function the forward pass calls.  Each
traced layer call opens a :class:`Record` whose *current tensor* starts as the layer's raw output.  A call
extends the record's chain when its argument *is* (by identity) that current tensor:

- ``batch_norm`` in inference form (running statistics, not training), directly on the raw output: folded
  into the layer's weights, as inference deployments do (``torch.nn.utils.fusion``);
- an elementwise activation: ReLU, ReLU6 (``hardtanh(0, 6)``), LeakyReLU, PReLU, Hardswish, Hardsigmoid,
  SiLU, GELU (and a general ``hardtanh``);
- an elementwise ``add`` of two same-shaped tensors (a residual add), once per chain.  When both operands
  are open chains (a ResNet block with a downsample branch), the add joins the layer that ran *last*: a
  fused engine can add only an operand that is already in memory, so the later layer does the add while
  writing its output, and the earlier one writes its own (post-BN) output.

A record closes as soon as another traced layer reads its current tensor (that tensor then was written to
memory).  The layer's recorded output is its current tensor at that point: after the folded BN, the add
and the activations, before any pooling.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

ACTIVATIONS = {"relu": "relu", "relu_": "relu", "relu6": "relu6", "leaky_relu": "leaky_relu",
               "leaky_relu_": "leaky_relu", "prelu": "prelu", "hardswish": "hardswish",
               "hardsigmoid": "hardsigmoid", "silu": "silu", "gelu": "gelu", "hardtanh": "hardtanh",
               "hardtanh_": "hardtanh"}
ADDS = ("add", "add_", "__add__", "__iadd__", "__radd__")


@dataclass(eq=False)
class Record:
    """One traced layer call and the chain of operations fused into it."""

    name: str
    module: torch.nn.Module
    order: int
    input: torch.Tensor
    current: torch.Tensor
    output: torch.Tensor
    chain: list[str] = field(default_factory=list)
    bn: dict[str, Any] | None = None
    open: bool = True


def _arg(args: tuple, kwargs: dict, i: int, name: str, default: Any = None) -> Any:
    if len(args) > i:
        return args[i]
    return kwargs.get(name, default)


def activation_label(name: str, args: tuple, kwargs: dict) -> str:
    label = ACTIVATIONS[name]
    if label == "hardtanh":
        lo, hi = float(_arg(args, kwargs, 1, "min_val", -1.0)), float(_arg(args, kwargs, 2, "max_val", 1.0))
        if (lo, hi) == (0.0, 6.0):
            return "relu6"
        return f"hardtanh({lo:g},{hi:g})"
    return label


class ChainWatcher(TorchFunctionMode):
    """Extends the open records' chains as the forward pass runs (see the module docstring)."""

    def __init__(self, bn_names: dict[int, str]):
        super().__init__()
        self.records: list[Record] = []
        self.bn_names = bn_names  # id(running_mean) -> BatchNorm module name
        self.folded_bn: set[str] = set()
        self.activation_params: set[int] = set()  # ids of PReLU weights used inside a chain

    def open_record(self, rec: Record) -> None:
        self.records.append(rec)

    def close_readers_of(self, tensors: tuple) -> None:
        """A traced layer reads ``tensors``: every record whose current tensor is among them is final."""
        for rec in self.records:
            if rec.open and any(rec.current is t for t in tensors):
                rec.open = False

    def _owner(self, t: Any) -> Record | None:
        if not isinstance(t, torch.Tensor):
            return None
        for rec in reversed(self.records):
            if rec.open and rec.current is t:
                return rec
        return None

    def _extend(self, rec: Record, step: str, res: torch.Tensor) -> None:
        rec.chain.append(step)
        rec.current = res
        rec.output = res.detach().to(torch.float32).clone()

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[override]
        kwargs = kwargs or {}
        res = func(*args, **kwargs)
        name = getattr(func, "__name__", "")
        if not isinstance(res, torch.Tensor) or not args:
            return res
        if name == "batch_norm":
            self._batch_norm(args, kwargs, res)
        elif name in ACTIVATIONS:
            rec = self._owner(args[0])
            if rec is not None and res.shape == rec.current.shape:
                self._extend(rec, activation_label(name, args, kwargs), res)
                if name == "prelu":
                    self.activation_params.add(id(_arg(args, kwargs, 1, "weight")))
        elif name in ADDS:
            self._add(args, kwargs, res)
        return res

    def _batch_norm(self, args: tuple, kwargs: dict, res: torch.Tensor) -> None:
        rec = self._owner(args[0])
        rm, rv = _arg(args, kwargs, 1, "running_mean"), _arg(args, kwargs, 2, "running_var")
        training = bool(_arg(args, kwargs, 5, "training", False))
        if rec is None or rec.chain or training or rm is None or rv is None:
            return
        m_out = rec.output.shape[1] if rec.output.dim() >= 2 else -1
        if rm.numel() != m_out:
            return
        bn_name = self.bn_names.get(id(rm), "batch_norm")
        rec.bn = {"name": bn_name, "running_mean": rm.detach(), "running_var": rv.detach(),
                  "weight": _detach(_arg(args, kwargs, 3, "weight")), "bias": _detach(_arg(args, kwargs, 4, "bias")),
                  "eps": float(_arg(args, kwargs, 7, "eps", 1e-5))}
        self.folded_bn.add(bn_name)
        self._extend(rec, f"batchnorm({bn_name})", res)

    def _add(self, args: tuple, kwargs: dict, res: torch.Tensor) -> None:
        if len(args) < 2 or not all(isinstance(a, torch.Tensor) for a in args[:2]):
            return
        a, b = args[0], args[1]
        if a.shape != b.shape or res.shape != a.shape or float(kwargs.get("alpha", 1)) != 1.0:
            return
        cands = [r for r in (self._owner(a), self._owner(b)) if r is not None and "add" not in r.chain]
        if not cands:
            return
        rec = max(cands, key=lambda r: r.order)  # the layer that ran last does the add
        self._extend(rec, "add", res)


def _detach(t: Any) -> Any:
    return t.detach() if isinstance(t, torch.Tensor) else None


def fold_bn(module: torch.nn.Module, weight: torch.Tensor, bn: dict[str, Any]) -> torch.Tensor:
    """The layer's weight with the BatchNorm folded in (``torch.nn.utils.fusion``): w * gamma / sqrt(var + eps)
    per output channel; the bias part (beta - mean * scale) is not part of a trace."""
    from torch.nn.utils.fusion import fuse_conv_bn_weights, fuse_linear_bn_weights
    rm, rv, eps = bn["running_mean"], bn["running_var"], bn["eps"]
    g = bn["weight"] if bn["weight"] is not None else torch.ones_like(rm)
    beta = bn["bias"] if bn["bias"] is not None else torch.zeros_like(rm)
    bias = getattr(module, "bias", None)
    bias = bias.detach() if isinstance(bias, torch.Tensor) else None
    if isinstance(module, torch.nn.Linear):
        w, _ = fuse_linear_bn_weights(weight, bias, rm, rv, eps, g, beta)
    else:
        w, _ = fuse_conv_bn_weights(weight, bias, rm, rv, eps, g, beta)
    return w.detach()
