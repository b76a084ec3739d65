"""Functional (numerical) layer evaluation, for models that need a layer's outputs when a trace has none.

Outputs are computed as ReLU(conv(inputs, weights)) with zero bias in float32 (numpy, single thread),
the convention of the trace format (outputs are post-activation, pre-pooling).  Computed outputs are
kept on the LayerTrace object (read-only), so comparing several designs computes them once.  A trace exported from a
real model carries its true outputs, which are used instead.
"""
from __future__ import annotations

import numpy as np

from accelsim.geometry import geometry
from accelsim.trace.format import LayerTrace


def layer_outputs(layer: LayerTrace, relu: bool = True) -> np.ndarray:
    """The layer's outputs, shape ``spec.output_shape``: from the trace if present, else computed."""
    if layer.outputs is not None:
        return layer.outputs
    cached = layer.__dict__.get("_computed_outputs")
    if cached is not None and cached[0] == relu:
        return cached[1]
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
    out = out.reshape(s.output_shape)
    out.setflags(write=False)
    layer.__dict__["_computed_outputs"] = (relu, out)  # several designs in one run share it
    return out
