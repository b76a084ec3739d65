"""DNNsim's first-layer reshape (``first_layer: reshape`` for DaDianNao and Cnvlutin).

A first layer has C = 3 channels: padded to a 16-channel brick, 13 of every 16 multipliers idle.  DNNsim
(github isakedo/DNNsim: ``core/src/Simulator.cpp``, ``base/src/Array.cpp: reshape_first_layer_act`` and
``reshape_first_layer_wgt``) rearranges a layer with C = 3 and stride s > 1, after zero padding, into
C*s^2 channels at stride 1 (space to depth): input (C, Hp, Wp) becomes (C*s^2, ceil(Hp/s), ceil(Wp/s)),
input (i, j) of channel k going to (i // s, j // s) of channel (j % s)*s*C + (i % s)*C + k; filters
(C, R, S) become (C*s^2, ceil(R/s), ceil(S/s)) by the same rule, the new taps zero.  Every output is the
same sum of products.  AlexNet conv1 (3x227x227, 11x11, stride 4): 48 channels, 3x3 filters, 55x55
outputs; a window is 9 taps x 3 bricks = 27 brick steps instead of 121 x 1, so DaDianNao's multipliers
do 363 useful products of 432 slots (84%) instead of 363 of 1936 (19%).

Where accelsim differs from DNNsim: DNNsim sizes the output as ceil(Hp/s) - ceil(R/s) + 1 (for some
shapes one more row or column than the layer has; not for AlexNet) and uses the height for the width
(``new_Ny = ceil(Nx / stride)``); accelsim keeps the layer's own E x F outputs and both axes.  Only the
timing uses the reshaped layer; MAC counts, energy and traffic stay those of the layer as given.
"""
from __future__ import annotations

import numpy as np

from accelsim.trace.format import LayerSpec, LayerTrace


def applies(spec: LayerSpec) -> bool:
    """DNNsim's condition: a 3-channel convolution with stride > 1 (here: equal strides, no dilation, one group)."""
    return (spec.kind == "conv" and spec.C == 3 and spec.groups == 1 and spec.stride_h == spec.stride_w > 1
            and spec.dilation_h == spec.dilation_w == 1)


def reshape_first_layer(layer: LayerTrace) -> LayerTrace:
    """The layer rearranged into C*s^2 channels at stride 1, without padding (it is applied first)."""
    s0 = layer.spec
    s = s0.stride_h
    C, E, F = s0.C, s0.E, s0.F
    x = layer.inputs_nchw()
    N = x.shape[0]
    Hp, Wp = s0.H + s0.pad_top + s0.pad_bottom, s0.W + s0.pad_left + s0.pad_right
    Hn, Wn = -(-Hp // s), -(-Wp // s)
    xp = np.zeros((N, C, Hn * s, Wn * s), dtype=np.float32)
    xp[:, :, s0.pad_top:s0.pad_top + s0.H, s0.pad_left:s0.pad_left + s0.W] = x
    # (N, C, Hn, s_i, Wn, s_j) -> channel (j % s)*s*C + (i % s)*C + k
    xr = xp.reshape(N, C, Hn, s, Wn, s).transpose(0, 5, 3, 1, 2, 4).reshape(N, C * s * s, Hn, Wn)
    Rn, Sn = -(-s0.R // s), -(-s0.S // s)
    w = layer.weights_mcrs()
    wp = np.zeros((s0.M, C, Rn * s, Sn * s), dtype=np.float32)
    wp[:, :, :s0.R, :s0.S] = w
    wr = wp.reshape(s0.M, C, Rn, s, Sn, s).transpose(0, 5, 3, 1, 2, 4).reshape(s0.M, C * s * s, Rn, Sn)
    # keep the layer's own outputs: rows E - 1 + Rn of the reshaped input suffice
    xr = np.ascontiguousarray(xr[:, :, :E - 1 + Rn, :F - 1 + Sn])
    spec = LayerSpec(s0.name, "conv", N, C * s * s, xr.shape[2], xr.shape[3], s0.M, Rn, Sn, 1, 0)
    return LayerTrace(spec, np.ascontiguousarray(wr), xr, layer.outputs)
