"""Export a PyTorch model's conv and fc layers, with the tensors of one forward pass, to a trace (format v1).

One call: ``trace = export_model(model, sample_inputs, path="traces/x.npz", network="lenet5", source={...})``.

What is captured, per ``nn.Conv2d`` / ``nn.Linear`` that runs in the forward pass (in execution order):

- **weights**: the effective weight the layer computes with.  A layer pruned with ``torch.nn.utils.prune``
  exports ``weight_orig * weight_mask`` (the ``weight`` attribute), so masked weights are exact zeros.
  Biases are not part of the trace format; ``source["has_bias"]`` lists which layers have one.
- **inputs**: the tensor the layer receives (a forward hook's input), i.e. after the previous layer's
  activation and pooling and after any flatten, before padding (the conv pads internally).
- **outputs**: the layer's output after the ReLU that follows it, pre-pooling.  The ReLU is detected
  dynamically: while the forward pass runs, a ``TorchFunctionMode`` watches every ReLU call
  (``nn.ReLU`` modules, ``F.relu``, ``torch.relu``, ``Tensor.relu`` and their in-place forms); when a
  ReLU's argument *is* (by identity) the output tensor of a conv/fc layer, its result becomes that layer's
  output.  So Sequential nets and models with functional ReLUs in ``forward`` are handled alike.  A layer
  whose output is not fed straight into a ReLU (the last fc layer, a conv followed by pooling first, or
  other activations such as ReLU6/GELU) exports its raw output; ``source["activation"]`` records
  ``"relu"`` or ``"none"`` for every layer, so a consumer knows which it got.
- Shapes follow the trace format: conv inputs ``(N, C, H, W)``, fc inputs ``(N, C)`` (a Linear must see a
  flattened 2-D input).

Refused with :class:`accelsim.errors.ConfigError` (the message names the layer and the field): dilation
other than 1, padding that differs between height and width or a non-``zeros`` padding mode, strides that
differ between height and width, a layer called more than once in one forward pass, a Linear applied to a
non 2-D input.  Layers that hold parameters or buffers but are neither Conv2d nor Linear (BatchNorm,
ConvTranspose2d, Conv1d, Embedding, ...) and run in the forward pass are listed in one ``warnings.warn``:
they are not in the trace, and the traced tensors around them are the real ones (a BatchNorm after a conv
shows up in the next layer's inputs).
"""
from __future__ import annotations

import os
import warnings
from collections import OrderedDict
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from accelsim.errors import ConfigError
from accelsim.trace.format import LayerSpec, LayerTrace, Trace

_RELU_FUNCS = {F.relu, F.relu_, torch.relu, torch.relu_, torch.Tensor.relu, torch.Tensor.relu_}


class _ReluWatcher(TorchFunctionMode):
    """Records the result of a ReLU applied directly to a captured layer output (matched by identity)."""

    def __init__(self, records: "OrderedDict[str, dict[str, Any]]"):
        super().__init__()
        self.records = records

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[override]
        res = func(*args, **(kwargs or {}))
        if func in _RELU_FUNCS and args and isinstance(args[0], torch.Tensor):
            for rec in self.records.values():
                if rec["raw"] is args[0] and rec["activation"] == "none":
                    rec["output"] = res.detach().to(torch.float32).clone()
                    rec["activation"] = "relu"
                    break
        return res


def _pair(v: Any) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _conv_geometry(name: str, m: nn.Conv2d) -> tuple[int, int]:
    """(stride, padding) of a Conv2d, or a ConfigError naming what the trace format cannot express."""
    if _pair(m.dilation) != (1, 1):
        raise ConfigError(f"layer {name!r}: field 'dilation'={m.dilation} is not supported (only 1)")
    if m.padding_mode != "zeros":
        raise ConfigError(f"layer {name!r}: field 'padding_mode'={m.padding_mode!r} is not supported "
                          "(only 'zeros')")
    sh, sw = _pair(m.stride)
    if sh != sw:
        raise ConfigError(f"layer {name!r}: field 'stride'={m.stride} differs between height and width")
    R, S = m.kernel_size
    if isinstance(m.padding, str):
        if m.padding == "valid":
            ph = pw = 0
        elif R % 2 and S % 2:  # 'same' with odd kernels (stride 1) is symmetric
            ph, pw = (R - 1) // 2, (S - 1) // 2
        else:
            raise ConfigError(f"layer {name!r}: field 'padding'='same' with an even kernel {R}x{S} is "
                              "asymmetric, which the trace format cannot express")
    else:
        ph, pw = _pair(m.padding)
    if ph != pw:
        raise ConfigError(f"layer {name!r}: field 'padding'={m.padding} differs between height and width "
                          "(only one symmetric padding is supported)")
    return sh, ph


def _holds_state(m: nn.Module) -> bool:
    return any(True for _ in m.parameters(recurse=False)) or any(True for _ in m.buffers(recurse=False))


def export_model(model: nn.Module, sample_inputs: torch.Tensor, path: str | os.PathLike[str] | None = None,
                 network: str = "model", source: dict[str, Any] | None = None,
                 outputs: bool = True) -> Trace:
    """Run ``model`` on ``sample_inputs`` (eval mode, no grad) and return its conv/fc layers as a Trace.

    Parameters
    ----------
    model : any module; every ``nn.Conv2d`` and ``nn.Linear`` that runs becomes one trace layer, named by
        its qualified module name, in execution order.
    sample_inputs : the batch to record, ``(N, C, H, W)`` (N becomes every layer's N).
    path : if given, the trace is also written there (``save_trace``, compressed ``.npz``).
    network : the trace's network name.
    source : the user's record of how the model was made (model, dataset, method, target sparsity,
        accuracy, seed...).  The exporter adds ``exporter``, ``batch``, ``weight_sparsity`` (per layer, the
        fraction of exact zeros), ``activation`` and ``has_bias`` unless ``source`` already sets them.
    outputs : also record each layer's outputs (see the module docstring).
    """
    if not isinstance(sample_inputs, torch.Tensor):
        raise ConfigError(f"sample_inputs must be a torch.Tensor, got {type(sample_inputs).__name__}")
    records: OrderedDict[str, dict[str, Any]] = OrderedDict()
    unsupported: list[str] = []
    handles = []

    def capture(name: str):
        def hook(mod: nn.Module, inp: tuple, out: torch.Tensor) -> None:
            if name in records:
                raise ConfigError(f"layer {name!r} runs more than once in one forward pass (shared "
                                  "weights); the trace format needs one entry per executed layer")
            x = inp[0] if inp else None
            if not isinstance(x, torch.Tensor) or not isinstance(out, torch.Tensor):
                raise ConfigError(f"layer {name!r}: input and output must be tensors")
            records[name] = {"module": mod, "input": x.detach().to(torch.float32).clone(),
                             "raw": out, "output": out.detach().to(torch.float32).clone(),
                             "activation": "none"}
        return hook

    def note(name: str):
        def hook(mod: nn.Module, inp: tuple, out: Any) -> None:
            label = f"{name or '<root>'} ({type(mod).__name__})"
            if label not in unsupported:
                unsupported.append(label)
        return hook

    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            handles.append(m.register_forward_hook(capture(name or type(m).__name__.lower())))
        elif _holds_state(m) and not isinstance(m, (nn.Sequential, nn.ModuleList, nn.ModuleDict)):
            handles.append(m.register_forward_hook(note(name)))
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad(), _ReluWatcher(records):
            model(sample_inputs)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    if not records:
        raise ConfigError(f"{type(model).__name__}: no Conv2d or Linear layer ran in the forward pass")
    if unsupported:
        warnings.warn(f"export_model({network!r}): layer(s) holding parameters that the trace format does not "
                      f"model were NOT exported: {', '.join(unsupported)}; their effect is visible only in "
                      "the inputs of the layers after them", UserWarning, stacklevel=2)
    never = [n for n, m in model.named_modules()
             if isinstance(m, (nn.Conv2d, nn.Linear)) and (n or type(m).__name__.lower()) not in records]
    if never:
        warnings.warn(f"export_model({network!r}): layer(s) {never} did not run on the sample inputs and are "
                      "not in the trace", UserWarning, stacklevel=2)

    layers = []
    for name, rec in records.items():
        m, x = rec["module"], rec["input"]
        w = m.weight.detach().to(torch.float32)  # effective weight (weight_orig * mask when pruned)
        if isinstance(m, nn.Conv2d):
            stride, pad = _conv_geometry(name, m)
            if x.dim() != 4:
                raise ConfigError(f"layer {name!r}: field 'inputs' must be 4-D (N, C, H, W), got shape "
                                  f"{tuple(x.shape)}")
            N, C, H, W = x.shape
            spec = LayerSpec(name, "conv", N, C, H, W, m.out_channels, m.kernel_size[0], m.kernel_size[1],
                             stride, pad, m.groups)
        else:
            if x.dim() != 2:
                raise ConfigError(f"layer {name!r}: a Linear layer must see a flattened 2-D input (N, C), got "
                                  f"shape {tuple(x.shape)}")
            spec = LayerSpec(name, "fc", x.shape[0], x.shape[1], 1, 1, m.out_features, 1, 1)
        out = rec["output"].numpy() if outputs else None
        layers.append(LayerTrace(spec, w.numpy().copy(), x.numpy(), out))

    src: dict[str, Any] = dict(source or {})
    src.setdefault("exporter", "accelsim.export.export_model")
    src.setdefault("model", type(model).__name__)
    src.setdefault("batch", int(sample_inputs.shape[0]))
    src.setdefault("weight_sparsity", {lt.name: float(np.mean(lt.weights == 0)) for lt in layers})
    src.setdefault("input_density", {lt.name: float(np.mean(lt.inputs != 0)) for lt in layers})
    if outputs:
        src.setdefault("activation", {n: r["activation"] for n, r in records.items()})
    src.setdefault("has_bias", {n: r["module"].bias is not None for n, r in records.items()})
    trace = Trace(network=network, layers=layers, source=src)
    if path is not None:
        from accelsim.trace.io import save_trace
        trace.path = str(save_trace(trace, path))
    return trace
