"""Functional (numerical) layer evaluation, for models that need a layer's outputs when a trace has none.

Outputs are ReLU(conv(inputs, weights)) with zero bias in float32, the convention of the trace format
(outputs are post-activation, pre-pooling), with the layer's full geometry (per-axis stride and
dilation, asymmetric padding, groups).  They are computed at most once per layer object: the result is
kept on the LayerTrace (read-only), so every design simulated on one loaded trace -- a ``compare``, the
``demo``, a sweep worker -- shares it, and a design that never asks for outputs never pays for them.
A trace exported from a real model carries its true outputs, which are used instead.

The convolution is torch's single-thread ``conv2d`` (2-3x faster than numpy here) when torch is already
imported in the process (the PyTorch front end, the benchmarks) or installed and the layer has at least
``TORCH_AUTO_MACS`` (2 G) dense MACs and ``TORCH_AUTO_BYTES`` (256 MiB) of float32 inputs and outputs;
otherwise numpy (im2col in blocks of output rows, BLAS matrix products), because importing torch costs
about a second and 250 MB of memory, more than most layers' convolutions (on VGG-16 conv batch 3, whose
layers reach 5.5 G MACs but only 77 MB, torch raised a single design's peak RSS from 240 to 490 MB).
``ACCELSIM_CONV=torch`` (or ``numpy``) forces one.  Both are the same float32 convolution up to rounding.
"""
from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np

from accelsim.geometry import geometry
from accelsim.trace.format import LayerTrace



def has_outputs(layer: LayerTrace) -> bool:
    """True when the layer's outputs are at hand without computing (stored or already computed)."""
    return layer.outputs is not None or "_computed_outputs" in layer.__dict__


def layer_outputs(layer: LayerTrace, relu: bool = True) -> np.ndarray:
    """The layer's outputs, shape ``spec.output_shape``: from the trace if present, else computed once."""
    if layer.outputs is not None:
        return layer.outputs
    cached = layer.__dict__.get("_computed_outputs")
    if cached is not None and cached[0] == relu:
        return cached[1]
    out = conv2d(layer, relu)
    out = out.reshape(layer.spec.output_shape)
    out.setflags(write=False)
    layer.__dict__["_computed_outputs"] = (relu, out)  # every design on this trace object shares it
    return out


#: a layer this large pays for importing torch (about 1 s): its numpy convolution takes several seconds ...
TORCH_AUTO_MACS = 2_000_000_000
#: ... and when its inputs and outputs (float32) hold this much, torch's ~250 MB are at most the layer's own size
TORCH_AUTO_BYTES = 256 << 20


def _use_torch(macs: int = 0, nbytes: int = TORCH_AUTO_BYTES) -> bool:
    how = os.environ.get("ACCELSIM_CONV", "auto")
    if how == "numpy":
        return False
    if how == "torch":
        return importlib.util.find_spec("torch") is not None
    return "torch" in sys.modules or (macs >= TORCH_AUTO_MACS and nbytes >= TORCH_AUTO_BYTES
                                      and importlib.util.find_spec("torch") is not None)


def conv2d(layer: LayerTrace, relu: bool = True) -> np.ndarray:
    """(N, M, E, F) float32: the layer's convolution (+ ReLU), by torch or numpy (see the module doc)."""
    s = layer.spec
    nbytes = 4 * (s.N * s.C * s.H * s.W + s.N * s.M * s.E * s.F)
    if _use_torch(s.macs_dense, nbytes):
        return _conv_torch(layer, relu)
    return _conv_numpy(layer, relu)


def _conv_torch(layer: LayerTrace, relu: bool) -> np.ndarray:
    import torch
    torch.set_num_threads(1)
    s = layer.spec
    x = torch.from_numpy(np.ascontiguousarray(layer.inputs_nchw(), dtype=np.float32))
    w = torch.from_numpy(np.ascontiguousarray(layer.weights_mcrs(), dtype=np.float32))
    with torch.no_grad():
        if s.pad_top or s.pad_bottom or s.pad_left or s.pad_right:
            x = torch.nn.functional.pad(x, (s.pad_left, s.pad_right, s.pad_top, s.pad_bottom))
        y = torch.nn.functional.conv2d(x, w, stride=(s.stride_h, s.stride_w),
                                       dilation=(s.dilation_h, s.dilation_w), groups=s.groups)
        if relu:
            torch.relu_(y)
    return y.numpy()


def _conv_numpy(layer: LayerTrace, relu: bool) -> np.ndarray:
    s = layer.spec
    geo = geometry(s)
    x = layer.inputs_nchw()
    w = layer.weights_mcrs()
    out = np.empty((s.N, s.M, s.E, s.F), dtype=np.float32)
    # im2col in blocks of output rows (about 4 MB each) so the copy stays in cache
    rows = max(1, (4 << 20) // max(1, 4 * s.Cg * s.R * s.S * s.F))
    for n in range(s.N):
        xp = np.ascontiguousarray(geo.pad(x[n]))
        for g in range(s.groups):
            wg = w[g * s.Mg:(g + 1) * s.Mg].reshape(s.Mg, -1)
            win = geo.output_window_views(xp[g * s.Cg:(g + 1) * s.Cg])  # (Cg, E, F, R, S)
            for e0 in range(0, s.E, rows):
                blk = win[:, e0:e0 + rows]  # (Cg, e, F, R, S)
                cols = np.ascontiguousarray(blk.transpose(0, 3, 4, 1, 2)).reshape(s.Cg * s.R * s.S, -1)
                out[n, g * s.Mg:(g + 1) * s.Mg, e0:e0 + rows] = (wg @ cols).reshape(s.Mg, blk.shape[1], s.F)
    if relu:
        np.maximum(out, 0, out=out)
    return out


def release_outputs(layer: LayerTrace) -> None:
    """Forget outputs computed for ``layer`` (stored outputs stay): a single-design run frees each
    layer's computed outputs once the layer is simulated, so memory stays one layer deep."""
    layer.__dict__.pop("_computed_outputs", None)
