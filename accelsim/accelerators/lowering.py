"""Lowering a convolution to matrix-vector products (how EIE runs conv layers; EIE itself is for FC).

Output position (n, e, f) of group g is the product of the group's weight matrix, Mg rows by Cg*R*S
columns ordered (c, r, s), with the patch of inputs its window covers.  Padding positions are zeros of
the patch.  The geometry is the layer's own (per-axis stride and dilation, padding top/bottom/left/right,
groups; a Conv1d is the height-1 case), read through the shared :mod:`accelsim.geometry` windows.
"""
from __future__ import annotations

import numpy as np

from accelsim.geometry import geometry
from accelsim.trace.format import LayerSpec


def patch_mask(mask: np.ndarray, spec: LayerSpec, g: int) -> np.ndarray:
    """(N*E*F, Cg*R*S) bool: which entries of each patch of group ``g`` are non-zero.

    mask : (N, C, H, W) bool, the non-zero inputs.  Rows are ordered (n, e, f), columns (c, r, s)."""
    s = spec
    if s.kind == "fc":
        return np.ascontiguousarray(mask.reshape(s.N, s.C)[:, g * s.Cg:(g + 1) * s.Cg])
    xp = geometry(s).pad(mask[:, g * s.Cg:(g + 1) * s.Cg])
    win = geometry(s).output_window_views(xp)                  # (N, Cg, E, F, R, S), no copy
    return np.ascontiguousarray(win.transpose(0, 2, 3, 1, 4, 5)).reshape(s.N * s.E * s.F, s.Cg * s.R * s.S)


def weight_matrix(wmask: np.ndarray, spec: LayerSpec, g: int) -> np.ndarray:
    """(Mg, Cg*R*S) bool: group g's filters as matrix rows (columns ordered like :func:`patch_mask`)."""
    s = spec
    return np.ascontiguousarray(wmask.reshape(s.M, -1)[g * s.Mg:(g + 1) * s.Mg])


__all__ = ["patch_mask", "weight_matrix"]
