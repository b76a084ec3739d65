"""Fused fixed-point helpers: :mod:`accelsim.fixedpoint`'s rules computed in one numba pass over a float
array, without the float temporaries of the numpy forms (for the models' per-layer masks)."""
from __future__ import annotations

import numpy as np

from accelsim import fixedpoint
from accelsim.kernels._jit import jit


def _frac_bits(x: np.ndarray, bits: int) -> int:
    """fixedpoint.frac_bits_for(x, bits) (the formula stays there) of a float array."""
    m = max(float(x.max()), -float(x.min())) if x.size else 0.0
    return fixedpoint.frac_bits_for(np.array([m], dtype=np.float64), bits)


@jit
def _nonzero_kernel(x, thr, out):
    for i in range(x.shape[0]):
        out[i] = 1 if abs(x[i]) > thr else 0


def nonzero_u8(x: np.ndarray, bits: int) -> np.ndarray:
    """fixedpoint.nonzero_mask(x, bits) as uint8 (1 where the value is non-zero at ``bits`` bits), in two
    passes without temporaries; the threshold is nonzero_mask's, 2**-(f + 1) as float32."""
    if x.dtype.kind != "f" or x.size == 0:
        return fixedpoint.nonzero_mask(x, bits).view(np.uint8)
    flat = np.ascontiguousarray(x).reshape(-1)
    f = _frac_bits(flat, bits)
    out = np.empty(flat.shape[0], dtype=np.uint8)
    _nonzero_kernel(flat, float(np.float32(2.0 ** -(f + 1))), out)   # compared exactly in float64
    return out.reshape(x.shape)


__all__ = ["nonzero_u8"]
