"""Kernels of the packed trace members (accelsim/trace/packed.py): a flat float32 array to (bit mask of
its non-zeros, their values) and back.  Bit order is ``np.packbits``'s: bit 7 of byte j is position 8 j.

numpy's boolean indexing does the same in about 30 ns per value on a random mask (the branch on every
value mispredicts); these loops are several times faster and need no boolean temporary.
"""
from __future__ import annotations

import numpy as np

from accelsim.kernels._jit import jit


@jit
def pack_kernel(flat, mask, values):
    """flat : (n,) float32; mask : (ceil(n/8),) uint8, overwritten; values : (n,) float32, its first k
    entries overwritten with the non-zeros in order.  Returns k."""
    n = flat.shape[0]
    k = 0
    for j in range(mask.shape[0]):
        byte = 0
        base = 8 * j
        for b in range(8):
            i = base + b
            if i < n and flat[i] != 0:
                byte |= 1 << (7 - b)
                values[k] = flat[i]
                k += 1
        mask[j] = byte
    return k


@jit
def unpack_kernel(mask, values, out):
    """mask : (ceil(n/8),) uint8; values : (k,) float32; out : (n,) float32, zeros where the mask's bit is
    clear and the next value where it is set.  Returns the number of set bits among the first n (values
    beyond k are never read: a count other than k means an inconsistent pair).  Branch-free: the next
    value is read at every position and kept where the bit is set (a branch on a random mask mispredicts
    half the time)."""
    n = out.shape[0]
    k = values.shape[0]
    seen = 0
    zero = np.float32(0.0)
    for i in range(n):
        bit = (mask[i >> 3] >> (7 - (i & 7))) & 1
        v = values[min(seen, k - 1)] if k > 0 else zero
        out[i] = v if bit else zero
        seen += bit
    return seen


@jit
def unpack_half_kernel(mask, values, lut, out):
    """As :func:`unpack_kernel` for float16 values given as their bit patterns (uint16), converted to
    float32 by ``lut`` (float32[65536]) on the way (numpy's float16 conversion costs several ns per value)."""
    n = out.shape[0]
    k = values.shape[0]
    seen = 0
    zero = np.float32(0.0)
    for i in range(n):
        bit = (mask[i >> 3] >> (7 - (i & 7))) & 1
        v = lut[values[min(seen, k - 1)]] if k > 0 else zero
        out[i] = v if bit else zero
        seen += bit
    return seen


@jit
def count_zero_halves(bits):
    """Number of float16 zeros (+0 or -0) among ``bits`` (uint16 bit patterns): numpy's count_nonzero on
    float16 converts every value (about 7 ns each)."""
    z = 0
    for i in range(bits.shape[0]):
        z += (bits[i] & 0x7FFF) == 0
    return z


_LUT: list = []


def half_lut() -> np.ndarray:
    """float32 value of every float16 bit pattern (65,536 entries)."""
    if not _LUT:
        _LUT.append(np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32))
    return _LUT[0]


def pack(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mask uint8 (ceil(n/8),), values float32 (k,)) of a flat float32 array."""
    flat = np.ascontiguousarray(flat, dtype=np.float32).reshape(-1)
    mask = np.empty((flat.size + 7) // 8, dtype=np.uint8)
    values = np.empty(int(np.count_nonzero(flat)), dtype=np.float32)  # exactly k: no n-sized buffer
    k = pack_kernel(flat, mask, values)
    assert k == values.size
    return mask, values


def unpack(mask: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, int]:
    """(flat float32 array of n values, number of set bits among the mask's first n); values float32 or
    float16."""
    out = np.empty(n, dtype=np.float32)
    if values.dtype == np.float16:
        seen = unpack_half_kernel(np.ascontiguousarray(mask, dtype=np.uint8),
                                  np.ascontiguousarray(values).view(np.uint16), half_lut(), out)
        return out, int(seen)
    seen = unpack_kernel(np.ascontiguousarray(mask, dtype=np.uint8),
                         np.ascontiguousarray(values, dtype=np.float32), out)
    return out, int(seen)
