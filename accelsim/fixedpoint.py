"""The one documented place where float32 trace values become the datapath's fixed-point numbers.

Eyeriss, DaDianNao and Cnvlutin compute on 16-bit fixed point.  Eyeriss picks per layer which 16 of the
32 product bits to keep (JSSC 2017 section V-C); accelsim models that as a per-tensor binary point: the
fewest integer bits that hold the tensor's largest magnitude, the rest fraction.  A value is zero on the
hardware exactly when it rounds to 0 at that binary point, which is what decides gating and skipping.
"""
from __future__ import annotations

import math

import numpy as np


def frac_bits_for(x: np.ndarray, bits: int = 16) -> int:
    """Fraction bits of a signed ``bits``-wide format whose range holds max |x| (0 for an all-zero tensor)."""
    x = np.asarray(x)
    m = max(float(x.max()), -float(x.min())) if x.size else 0.0   # max |x| without an |x| temporary
    if m == 0.0:
        return bits - 1
    int_bits = max(0, math.floor(math.log2(m)) + 1)  # bits left of the binary point, sign excluded
    return bits - 1 - int_bits


def quantize(x: np.ndarray, bits: int = 16, frac_bits: int | None = None) -> tuple[np.ndarray, int]:
    """Round ``x`` to signed ``bits``-bit fixed point; returns (int64 codes, fraction bits used)."""
    q, f = codes(x, bits, frac_bits)
    return q.astype(np.int64, copy=False), f


def codes(x: np.ndarray, bits: int = 16, frac_bits: int | None = None) -> tuple[np.ndarray, int]:
    """The codes of :func:`quantize` in the narrowest integer type (int16 up to 16 bits, else int32 or
    int64), computed with one float temporary of x's size.

    For float32 ``x`` and ``bits`` <= 24 the arithmetic stays in float32 and is exact: scaling by 2**f
    only changes the exponent (a result too small for a normal float32 rounds to 0 either way), and
    every integer up to 2**24 and the clip limits are float32 numbers."""
    x = np.asarray(x)
    f = frac_bits_for(x, bits) if frac_bits is None else int(frac_bits)
    lim = (1 << (bits - 1)) - 1
    ftype = np.float32 if (x.dtype == np.float32 and bits <= 24) else np.float64
    y = np.multiply(x, ftype(2.0 ** f), dtype=ftype)
    np.rint(y, out=y)
    np.clip(y, -lim - 1, lim, out=y)
    itype = np.int16 if bits <= 16 else np.int32 if bits <= 32 else np.int64
    return y.astype(itype), f


def nonzero_mask(x: np.ndarray, bits: int = 16) -> np.ndarray:
    """Which values are non-zero on a ``bits``-wide fixed-point datapath (bool array of x's shape)."""
    # round-half-to-even (np.rint) sends |x| * 2**f <= 0.5 to 0, so a value is non-zero exactly when
    # |x| > 2**-(f + 1); the threshold is a power of two, exact in float32 (f <= bits - 1)
    x = np.asarray(x)
    f = frac_bits_for(x, bits)
    return np.abs(x) > np.float32(2.0 ** -(f + 1))


def dequantize(q: np.ndarray, frac_bits: int) -> np.ndarray:
    return (np.asarray(q, dtype=np.float64) / (2.0 ** frac_bits)).astype(np.float32)
