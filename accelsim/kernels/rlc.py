"""numba kernels behind :mod:`accelsim.compression.rlc` (Eyeriss RLC) and :mod:`accelsim.compression.zfnaf`.

The rules they implement are documented in :mod:`accelsim.compression.rlc`; the slow references they are
tested against are in ``tests/reference/codecs.py``.  Kernels take only arrays and scalars, read no
globals and never raise: the wrappers validate and allocate, and decode problems come back as status codes.

The ZFNAf brick counter lives here as well, next to the other zero-counting kernel of the codecs.
"""
from __future__ import annotations

from accelsim.kernels._jit import jit


@jit
def rlc_pairs_in(values, start, stop):
    """Number of (run, level) pairs of the stream ``values[start:stop]``.

    values : (n,) any integer or bool dtype, contiguous.  Returns an int.

    Branch-free form of the encoder's state machine: ``run`` counts the zeros not yet emitted; a non-zero
    value emits a pair and resets it; the 32nd zero in a row emits (31, 0) and resets it (``run >> 5`` is 1
    exactly when run == 32, ``run & 31`` then resets it to 0); zeros left at the end emit one pair.
    """
    run = 0
    pairs = 0
    for i in range(start, stop):
        nz = 1 if values[i] != 0 else 0
        run = (run + 1) * (1 - nz)
        ov = run >> 5
        pairs += nz + ov
        run &= 31
    if run > 0:
        pairs += 1
    return pairs


@jit
def rlc_segment_bits(values, seg_len, out):
    """Exact RLC size in bits of each consecutive ``seg_len``-element segment of ``values``.

    values : (n,) integer or bool, contiguous.  seg_len : int >= 1.  out : (ceil(n / seg_len),) int64,
    overwritten with 64 * ceil(pairs / 3) per segment (the last segment may be shorter).
    """
    n = values.shape[0]
    for s in range(out.shape[0]):
        start = s * seg_len
        stop = min(start + seg_len, n)
        pairs = rlc_pairs_in(values, start, stop)
        out[s] = 64 * ((pairs + 2) // 3)


@jit
def rlc_fill_pairs(values, runs, levels):
    """Write the (run, level) pairs of the stream ``values`` into ``runs`` and ``levels``; return their count.

    values : (n,) integer or bool.  runs, levels : (>= rlc_pairs_in(values, 0, n),) int64.  Returns the
    number of pairs of the stream even if the buffers are shorter (it then writes only the first ones).
    """
    k = 0
    run = 0
    cap = runs.shape[0]  # a count larger than cap means the caller's buffer was too small: never write past it
    for i in range(values.shape[0]):
        v = values[i]
        if v != 0:
            if k < cap:
                runs[k] = run
                levels[k] = v
            k += 1
            run = 0
        elif run == 31:  # the 32nd zero in a row: (31, 0) stands for 31 zeros and a zero level
            if k < cap:
                runs[k] = 31
                levels[k] = 0
            k += 1
            run = 0
        else:
            run += 1
    if run > 0:  # k > 0 trailing zeros: (k - 1, 0), the zero level closes the stream
        if k < cap:
            runs[k] = run - 1
            levels[k] = 0
        k += 1
    return k


@jit
def rlc_expand_pairs(runs, levels, n, out):
    """Expand (run, level) pairs into ``n`` values; return how many pairs were used, or a negative status.

    runs, levels : (P,) int64, the pair slots in stream order (padding slots included).  out : (n,) int64.
    Stops as soon as ``n`` values are written.  Returns -1 if the slots run out before ``n`` values, -2 if a
    pair would write past ``n`` (the encoded stream is longer than ``n``).
    """
    pos = 0
    k = 0
    p = runs.shape[0]
    while pos < n:
        if k >= p:
            return -1
        r = runs[k]
        if pos + r + 1 > n:
            return -2
        for j in range(pos, pos + r):
            out[j] = 0
        out[pos + r] = levels[k]
        pos += r + 1
        k += 1
    return k


@jit
def zfnaf_brick_nnz4(x, out):
    """Non-zero count of every 16-channel brick.

    x : (N, C, H, W) integer or bool, contiguous.  out : (N, ceil(C / 16), H, W) int64, overwritten.
    Brick b at (n, y, x) holds channels 16*b .. 16*b + 15 (channels past C count as zeros).
    """
    nn, cc, hh, ww = x.shape
    out[...] = 0
    for n in range(nn):
        for c in range(cc):
            b = c >> 4
            for y in range(hh):
                for w in range(ww):
                    if x[n, c, y, w] != 0:
                        out[n, b, y, w] += 1

