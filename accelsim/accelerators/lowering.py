"""Lowering a convolution to matrix-vector products (how EIE runs conv layers; EIE itself is for FC).

Output position (n, e, f) of group g is the product of the group's weight matrix, Mg rows by Cg*R*S
columns ordered (c, r, s), with the patch of inputs its window covers.  Padding positions are zeros of
the patch.  The geometry is the layer's own: per-axis stride and dilation, padding top/bottom/left/right.
"""
from __future__ import annotations

import numpy as np

from accelsim.trace.format import LayerSpec


def patch_mask(mask: np.ndarray, spec: LayerSpec, g: int) -> np.ndarray:
    """(N*E*F, Cg*R*S) bool: which entries of each patch of group ``g`` are non-zero.

    mask : (N, C, H, W) bool, the non-zero inputs.  Rows are ordered (n, e, f), columns (c, r, s)."""
    s = spec
    if s.kind == "fc":
        return np.ascontiguousarray(mask.reshape(s.N, s.C)[:, g * s.Cg:(g + 1) * s.Cg])
    sh, sw = s.stride_h, s.stride_w
    dh, dw = s.dilation_h, s.dilation_w
    xm = mask[:, g * s.Cg:(g + 1) * s.Cg]
    xp = np.pad(xm, ((0, 0), (0, 0), (s.pad_top, s.pad_bottom), (s.pad_left, s.pad_right)))
    out = np.empty((s.N, s.E, s.F, s.Cg, s.R, s.S), dtype=bool)
    for r in range(s.R):
        for q in range(s.S):
            y0, x0 = r * dh, q * dw
            win = xp[:, :, y0:y0 + sh * (s.E - 1) + 1:sh, x0:x0 + sw * (s.F - 1) + 1:sw]  # (N, Cg, E, F)
            out[:, :, :, :, r, q] = win.transpose(0, 2, 3, 1)
    return out.reshape(s.N * s.E * s.F, s.Cg * s.R * s.S)


def weight_matrix(wmask: np.ndarray, spec: LayerSpec, g: int) -> np.ndarray:
    """(Mg, Cg*R*S) bool: group g's filters as matrix rows (columns ordered like :func:`patch_mask`)."""
    s = spec
    return np.ascontiguousarray(wmask.reshape(s.M, -1)[g * s.Mg:(g + 1) * s.Mg])


__all__ = ["patch_mask", "weight_matrix"]
