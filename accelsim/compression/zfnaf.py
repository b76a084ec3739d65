"""Cnvlutin's zero-free neuron array format, ZFNAf (Albericio et al., ISCA 2016; MIsim ``cluster.py: compress``).

Inputs: integer 16-bit codes or float arrays, quantized here; see :mod:`accelsim.compression`.

Bricks
    A brick is 16 neurons consecutive along the channel dimension at one (n, y, x) position: brick b
    holds channels 16*b .. 16*b + 15.  C is zero-padded up to a multiple of 16, so there are
    ``B = ceil(C / 16)`` bricks per position.  Accepted shapes: (N, C, H, W) activations, (C, H, W) (one
    image: N = 1) and (N, C) fully-connected inputs (H = W = 1).  Brick arrays are always 4-D:
    (N, B, H, W).
Encoding
    Each brick keeps only its non-zero values, each with a 4-bit *offset* (its channel within the brick,
    0..15).  :func:`zfnaf_encode` returns ``values`` (nnz,) int64 and ``offsets`` (nnz,) uint8 with the
    bricks one after the other in C order of (n, b, y, x) and, within a brick, offsets ascending; and
    ``counts`` (N, B, H, W) int64, the number of non-zeros of each brick.
Sizes (:func:`zfnaf_size_bits`)
    ``layout="fixed"``: every brick keeps its 16 slots of (16-bit value + 4-bit offset) whatever its
    non-zeros, so bricks stay directly addressable.  This is the paper's layout: it saves no capacity and
    costs 25 % more than dense (320 bits per brick instead of 256); what it saves is work, not storage.
    ``bits = bricks * 16 * (16 + 4)``.
    ``layout="compact"``: each brick stores only its non-zeros plus a 5-bit count (0..16), the
    variable-length model implied by MIsim's (values, offsets) lists: ``bits = nnz * (16 + 4) + bricks * 5``.
    So ``compact <= fixed + 5 * bricks`` always, with equality only when every brick is full.

Golden case: a 20-channel fc input (N = 1, C = 20) with 3 at channel 1, -2 at channel 15 and 7 at channel
18 has 2 bricks: brick 0 holds values [3, -2] at offsets [1, 15], brick 1 (channels 16..31, 20..31 padding)
holds [7] at offset 2; counts [[2, 1]]; fixed size 2 * 16 * 20 = 640 bits, compact 3 * 20 + 2 * 5 = 70 bits
(dense: 20 * 16 = 320 bits).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from accelsim.compression.codes import as_codes, check_shape
from accelsim.errors import ConfigError, FormatError
from accelsim.kernels.rlc import zfnaf_brick_nnz4

BRICK = 16
VALUE_BITS = 16
OFFSET_BITS = 4
COUNT_BITS = 5
LAYOUTS = ("fixed", "compact")


class ZfnafArrays(NamedTuple):
    """A ZFNAf-encoded array (see the module docstring); unpacks as (values, offsets, counts)."""

    values: np.ndarray
    offsets: np.ndarray
    counts: np.ndarray


def _shape4(shape: tuple[int, ...], where: str) -> tuple[int, int, int, int]:
    if len(shape) == 4:
        return shape  # type: ignore[return-value]
    if len(shape) == 3:
        return (1, *shape)  # type: ignore[return-value]
    if len(shape) == 2:
        return (shape[0], shape[1], 1, 1)
    raise FormatError(f"{where}: expected an (N, C, H, W), (C, H, W) or (N, C) array, got shape {shape}")


def _codes4(x: object, where: str) -> np.ndarray:
    codes = as_codes(x, where)
    return codes.reshape(_shape4(codes.shape, where))


def brick_shape(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """(N, ceil(C / 16), H, W): the shape of the brick arrays of an array of ``shape``."""
    n, c, h, w = _shape4(tuple(int(s) for s in shape), "zfnaf")
    return n, -(-c // BRICK), h, w


def zfnaf_brick_nnz(x: object) -> np.ndarray:
    """Non-zero count of every brick: (N, ceil(C / 16), H, W) int64 (one numba pass over ``x``)."""
    x4 = np.ascontiguousarray(_codes4(x, "zfnaf_brick_nnz"))
    out = np.empty(brick_shape(x4.shape), dtype=np.int64)
    zfnaf_brick_nnz4(x4, out)
    return out


def zfnaf_encode(x: object) -> ZfnafArrays:
    """Encode ``x`` into ZFNAf bricks; returns (values, offsets, counts) as described in the module docstring."""
    x4 = _codes4(x, "zfnaf_encode")
    n, c, h, w = x4.shape
    b = -(-c // BRICK)
    padded = np.zeros((n, b * BRICK, h, w), dtype=np.int64)
    padded[:, :c] = x4
    slots = padded.reshape(n, b, BRICK, h, w).transpose(0, 1, 3, 4, 2).reshape(-1, BRICK)
    mask = slots != 0
    brick, offset = np.nonzero(mask)
    counts = mask.sum(axis=1, dtype=np.int64).reshape(n, b, h, w)
    return ZfnafArrays(slots[brick, offset], offset.astype(np.uint8), counts)


def zfnaf_decode(values: object, offsets: object, counts: object, shape: tuple[int, ...]) -> np.ndarray:
    """Rebuild the dense int64 array of ``shape`` (the encoded array's own shape) from its ZFNAf arrays.

    Raises FormatError if the arrays are inconsistent with each other or with ``shape``.
    """
    where = "zfnaf_decode"
    shape = check_shape(shape, where)
    n, c, h, w = _shape4(shape, where)
    bshape = brick_shape(shape)
    v, off, cnt = (np.asarray(a) for a in (values, offsets, counts))
    for name, a, nd in (("values", v, 1), ("offsets", off, 1), ("counts", cnt, 4)):
        if a.ndim != nd or (a.size and a.dtype.kind not in "iu"):
            raise FormatError(f"{where}: {name} must be a {nd}-D integer array, got dtype {a.dtype}, "
                              f"shape {a.shape}")
    if cnt.shape != bshape:
        raise FormatError(f"{where}: counts has shape {cnt.shape}, expected {bshape} for an array of shape {shape}")
    v, off, cnt = v.astype(np.int64), off.astype(np.int64), cnt.astype(np.int64).ravel()
    nnz = v.shape[0]
    if off.shape[0] != nnz:
        raise FormatError(f"{where}: {nnz} values but {off.shape[0]} offsets")
    if cnt.size and (cnt.min() < 0 or cnt.max() > BRICK):
        raise FormatError(f"{where}: brick counts must lie in [0, {BRICK}]")
    if int(cnt.sum()) != nnz:
        raise FormatError(f"{where}: the brick counts add up to {int(cnt.sum())} but {nnz} values were given")
    if nnz and (off.min() < 0 or off.max() >= BRICK):
        raise FormatError(f"{where}: offsets must lie in [0, {BRICK})")
    brick = np.repeat(np.arange(cnt.shape[0], dtype=np.int64), cnt)
    if nnz > 1 and np.any((brick[1:] == brick[:-1]) & (off[1:] <= off[:-1])):
        raise FormatError(f"{where}: offsets must be strictly increasing within each brick")
    nb = bshape[1]
    channel = (brick // (h * w)) % nb * BRICK + off if nnz else off
    if nnz and channel.max() >= c:
        raise FormatError(f"{where}: a value sits in the zero padding past channel C = {c}")
    slots = np.zeros((cnt.shape[0], BRICK), dtype=np.int64)
    slots[brick, off] = v
    dense = slots.reshape(n, nb, h, w, BRICK).transpose(0, 1, 4, 2, 3).reshape(n, nb * BRICK, h, w)[:, :c]
    return np.ascontiguousarray(dense).reshape(shape)


def zfnaf_size_bits(x: object, layout: str = "fixed") -> int:
    """ZFNAf size in bits of ``x``: ``"fixed"`` (the paper's 16-slot bricks) or ``"compact"`` (see the module doc)."""
    where = "zfnaf_size_bits"
    if layout not in LAYOUTS:
        raise ConfigError(f"{where}: layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    nnz = zfnaf_brick_nnz(x)
    bricks = int(nnz.size)
    if layout == "fixed":
        return bricks * BRICK * (VALUE_BITS + OFFSET_BITS)
    return int(nnz.sum()) * (VALUE_BITS + OFFSET_BITS) + bricks * COUNT_BITS
