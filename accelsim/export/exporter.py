"""Export a PyTorch model's conv and fc layers, with the tensors of one forward pass, to a trace (format v2).

One call: ``trace = export_model(model, sample_inputs, path="traces/x.npz", network="lenet5", source={...})``.

Every ``nn.Conv2d``, ``nn.Conv1d`` and ``nn.Linear`` call of the forward pass (eval mode, no grad) becomes
one trace layer, named by its qualified module name (``layer1.0.conv1``, ``0`` in an ``nn.Sequential``), in
execution order; a module called again (shared weights) gives a layer ``NAME (call 2)``.  Per layer:

- **weights**: the weight the deployed layer computes with.  A layer pruned with ``torch.nn.utils.prune``
  exports ``weight_orig * weight_mask`` (masked weights are exact zeros).  A BatchNorm in inference form
  applied directly to the layer's output is **folded** into the weights (``torch.nn.utils.fusion``:
  ``w * gamma / sqrt(running_var + eps)`` per filter), as inference deployments do.  Biases (and the
  folded BN's shift) are not part of the trace format; ``source["has_bias"]`` says who has one.
- **inputs**: the tensor the layer reads (before zero padding, which the layer spec describes).  A conv
  with a non-zero ``padding_mode`` (reflect, replicate, circular) is recorded with its input already padded
  and padding 0, since those padded values are real data the hardware reads.
- **outputs**: what the layer writes to memory: after the folded BN, a residual add and the elementwise
  activations that follow (ReLU, ReLU6, LeakyReLU, PReLU, Hardswish, Hardsigmoid, SiLU, GELU), before any
  pooling.  How the chain is found, and which layer a residual add joins, is in ``accelsim.export.chains``.
  ``source["chain"]`` lists each layer's fused steps (e.g. ``["batchnorm(layer1.0.bn2)", "add", "relu"]``),
  ``source["folded_bn"]`` the BatchNorm folded into it (or null), ``source["activation"]`` its last
  activation (or ``"none"``).

Geometry: per-axis stride, dilation and padding, ``padding="same"`` (even kernels pad one more at the
bottom/right, as PyTorch does) and ``"valid"``.  A Conv1d becomes a conv of height 1 (inputs
``(N, C, 1, L)``).  A Linear on ``(..., C)`` inputs is an FC layer whose batch is the product of the leading
dimensions.  Unbatched inputs get a batch of 1.

Left out, and recorded in the trace's ``skipped`` list (name, type, MACs where defined) and in one
``warnings.warn``: every other module that holds parameters or buffers and runs (ConvTranspose, Conv3d,
Embedding, LayerNorm, a BatchNorm that is not directly after a conv/linear, ...).  The tensors around them
are the real ones, so their effect shows in the next layer's inputs.
"""
from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from accelsim.errors import ConfigError, TraceError
from accelsim.export.chains import ChainWatcher, Record, fold_bn
from accelsim.trace.format import LayerSpec, LayerTrace, Trace

TRACED = (nn.Conv2d, nn.Conv1d, nn.Linear)


def _pair(v: Any, n: int) -> tuple[int, ...]:
    return (int(v),) * n if isinstance(v, int) else tuple(int(x) for x in v)


def conv_geometry(m: nn.Conv1d | nn.Conv2d) -> dict[str, Any]:
    """Stride, dilation and (top, bottom, left, right) zero padding of a Conv1d/Conv2d as a 2-D layer
    (a Conv1d is a conv of height 1)."""
    nd = 1 if isinstance(m, nn.Conv1d) else 2
    k, st, dil = _pair(m.kernel_size, nd), _pair(m.stride, nd), _pair(m.dilation, nd)
    if m.padding_mode != "zeros":
        pads = [(0, 0)] * nd  # the input is recorded already padded (see the module docstring)
    elif isinstance(m.padding, str):
        if m.padding == "valid":
            pads = [(0, 0)] * nd
        else:  # 'same': total d*(k-1), the odd one at the end (bottom/right), as PyTorch pads
            pads = [((d * (kk - 1)) // 2, d * (kk - 1) - (d * (kk - 1)) // 2) for d, kk in zip(dil, k)]
    else:
        pads = [(p, p) for p in _pair(m.padding, nd)]
    if nd == 1:
        k, st, dil, pads = (1,) + k, (1,) + st, (1,) + dil, [(0, 0)] + pads
    return {"R": k[0], "S": k[1], "stride": st, "dilation": dil,
            "padding": (pads[0][0], pads[0][1], pads[1][0], pads[1][1])}


def _holds_state(m: nn.Module) -> bool:
    return any(True for _ in m.parameters(recurse=False)) or any(True for _ in m.buffers(recurse=False))


def _skipped_macs(m: nn.Module, x: Any, out: Any) -> int | None:
    """Dense MACs of a module the trace does not hold, where defined (convolution-like and linear ones)."""
    if not (isinstance(x, torch.Tensor) and isinstance(out, torch.Tensor)):
        return None
    if isinstance(m, nn.modules.conv._ConvTransposeNd):
        return int(x.numel() * (m.out_channels // m.groups) * int(np.prod(m.kernel_size)))
    if isinstance(m, nn.modules.conv._ConvNd):
        return int(out.numel() * (m.in_channels // m.groups) * int(np.prod(m.kernel_size)))
    if isinstance(m, nn.Bilinear):
        return int(out.numel() * m.in1_features * m.in2_features)
    return None


def export_model(model: nn.Module, sample_inputs: torch.Tensor, path: str | os.PathLike[str] | None = None,
                 network: str = "model", source: dict[str, Any] | None = None,
                 outputs: bool = True) -> Trace:
    """Run ``model`` on ``sample_inputs`` (eval mode, no grad) and return its conv/fc layers as a Trace.

    Parameters
    ----------
    model : any module; see the module docstring for what becomes a layer, what is folded and what is
        skipped.
    sample_inputs : the batch to record (its first dimension becomes every conv layer's N).
    path : if given, the trace is also written there (``save_trace``, compressed ``.npz``).
    network : the trace's network name.
    source : the user's record of how the model was made (model, dataset, method, target sparsity,
        accuracy, seed...).  The exporter adds ``exporter``, ``batch``, ``weight_sparsity`` (per layer, the
        fraction of exact zeros, after BN folding), ``input_density``, ``activation``, ``chain``,
        ``folded_bn`` and ``has_bias`` unless ``source`` already sets them.
    outputs : also record each layer's outputs (see the module docstring).
    """
    if not isinstance(sample_inputs, torch.Tensor):
        raise ConfigError(f"sample_inputs must be a torch.Tensor, got {type(sample_inputs).__name__}")
    if not isinstance(model, nn.Module):
        raise ConfigError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    bn_names = {id(m.running_mean): n for n, m in model.named_modules()
                if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is not None}
    watcher = ChainWatcher(bn_names)
    calls: dict[str, int] = {}
    others: list[tuple[str, nn.Module, int | None]] = []
    handles = []

    def pre(mod: nn.Module, inp: tuple) -> None:
        watcher.close_readers_of(tuple(t for t in inp if isinstance(t, torch.Tensor)))

    def capture(name: str):
        def hook(mod: nn.Module, inp: tuple, out: Any) -> None:
            x = inp[0] if inp else None
            if not isinstance(x, torch.Tensor) or not isinstance(out, torch.Tensor):
                raise ConfigError(f"layer {name!r}: input and output must be tensors")
            calls[name] = calls.get(name, 0) + 1
            label = name if calls[name] == 1 else f"{name} (call {calls[name]})"
            if isinstance(mod, (nn.Conv1d, nn.Conv2d)) and mod.padding_mode != "zeros":
                x = F.pad(x, mod._reversed_padding_repeated_twice, mode=mod.padding_mode)
            watcher.open_record(Record(label, mod, len(watcher.records), x.detach().to(torch.float32).clone(),
                                       out, out.detach().to(torch.float32).clone()))
        return hook

    def note(name: str):
        def hook(mod: nn.Module, inp: tuple, out: Any) -> None:
            label = name or "<root>"
            calls[label] = calls.get(label, 0) + 1
            label = label if calls[label] == 1 else f"{label} (call {calls[label]})"
            others.append((label, mod, _skipped_macs(mod, inp[0] if inp else None, out)))
        return hook

    for name, m in model.named_modules():
        if isinstance(m, TRACED):
            handles.append(m.register_forward_pre_hook(pre))
            handles.append(m.register_forward_hook(capture(name or type(m).__name__.lower())))
        elif _holds_state(m) and not isinstance(m, (nn.Sequential, nn.ModuleList, nn.ModuleDict)):
            handles.append(m.register_forward_hook(note(name)))
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad(), watcher:
            model(sample_inputs)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    records = watcher.records
    if not records:
        raise ConfigError(f"{type(model).__name__}: no Conv2d, Conv1d or Linear layer ran in the forward pass")

    skipped = []
    for name, mod, macs in others:
        if isinstance(mod, nn.modules.batchnorm._BatchNorm) and name.split(" (call ")[0] in watcher.folded_bn:
            continue
        if isinstance(mod, nn.PReLU) and id(mod.weight) in watcher.activation_params:
            continue
        reason = ("BatchNorm not directly after a conv/linear: not folded" if isinstance(
            mod, nn.modules.batchnorm._BatchNorm) else "not a Conv1d/Conv2d/Linear layer")
        skipped.append({"name": name, "type": type(mod).__name__, "macs": macs, "reason": reason})
    if skipped:
        labels = ", ".join(f"{e['name']} ({e['type']})" for e in skipped[:12]) + (" ..." if len(skipped) > 12 else "")
        warnings.warn(f"export_model({network!r}): operation(s) holding parameters that the trace does not "
                      f"model were NOT exported: {labels}; they are listed in the trace's 'skipped' record, and "
                      "their effect is visible only in the inputs of the layers after them", UserWarning,
                      stacklevel=2)
    ran = {r.module for r in records}
    never = [n for n, m in model.named_modules() if isinstance(m, TRACED) and m not in ran]
    if never:
        warnings.warn(f"export_model({network!r}): layer(s) {never} did not run on the sample inputs and are "
                      "not in the trace", UserWarning, stacklevel=2)

    layers = [_layer(rec, outputs) for rec in records]
    src: dict[str, Any] = dict(source or {})
    src.setdefault("exporter", "accelsim.export.export_model")
    src.setdefault("model", type(model).__name__)
    src.setdefault("batch", int(sample_inputs.shape[0]) if sample_inputs.dim() else 1)
    src.setdefault("weight_sparsity", {lt.name: float(np.mean(lt.weights == 0)) for lt in layers})
    src.setdefault("input_density", {lt.name: float(np.mean(lt.inputs != 0)) for lt in layers})
    if outputs:
        src.setdefault("activation", {r.name: _last_activation(r.chain) for r in records})
    src.setdefault("chain", {r.name: list(r.chain) for r in records})
    src.setdefault("folded_bn", {r.name: r.bn["name"] if r.bn else None for r in records})
    src.setdefault("has_bias", {r.name: getattr(r.module, "bias", None) is not None or r.bn is not None
                                for r in records})
    try:
        trace = Trace(network=network, layers=layers, source=src, skipped=skipped)
    except TraceError as e:
        raise ConfigError(f"export_model({network!r}): {e}") from None
    if path is not None:
        from accelsim.trace.io import save_trace
        trace.path = str(save_trace(trace, path))
    return trace


def _last_activation(chain: list[str]) -> str:
    acts = [s for s in chain if s != "add" and not s.startswith("batchnorm(")]
    return acts[-1] if acts else "none"


def _layer(rec: Record, outputs: bool) -> LayerTrace:
    m, x, name = rec.module, rec.input, rec.name
    w = m.weight.detach().to(torch.float32)  # effective weight (weight_orig * mask when pruned)
    if rec.bn is not None:
        w = fold_bn(m, w, rec.bn).to(torch.float32)
    y = rec.output
    try:
        if isinstance(m, (nn.Conv1d, nn.Conv2d)):
            nd = 1 if isinstance(m, nn.Conv1d) else 2
            if x.dim() == nd + 1:  # unbatched input
                x, y = x.unsqueeze(0), y.unsqueeze(0)
            if x.dim() != nd + 2:
                raise ConfigError(f"layer {name!r}: field 'inputs' must be {nd + 2}-D, got shape {tuple(x.shape)}")
            if nd == 1:
                x, y, w = x.unsqueeze(2), y.unsqueeze(2), w.unsqueeze(2)
            N, C, H, W = x.shape
            g = conv_geometry(m)
            spec = LayerSpec(name, "conv", N, C, H, W, m.out_channels, g["R"], g["S"], stride=g["stride"],
                             padding=g["padding"], groups=m.groups, dilation=g["dilation"])
        else:
            C = m.in_features
            x, y = x.reshape(-1, C), y.reshape(-1, m.out_features)
            spec = LayerSpec(name, "fc", x.shape[0], C, 1, 1, m.out_features, 1, 1)
        return LayerTrace(spec, w.numpy().copy(), x.numpy(), y.numpy() if outputs else None)
    except TraceError as e:
        raise ConfigError(str(e)) from None
