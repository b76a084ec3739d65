"""numba kernels of the Eyeriss model's data-dependent counts (see accelsim/accelerators/eyeriss.py).

* :func:`effectual_input_macs`: per (image, group), the MACs whose ifmap operand is non-zero.  An input
  at padded position (y, x) meets ``rowcnt[y] * colcnt[x]`` filter taps of each of the group's filters,
  where rowcnt[y] = #{(e, r): e*stride + r = y} and colcnt likewise; padding positions are zero, so
  they never count.  One pass over the inputs, no loop over MACs.
* :func:`rlc_stream_bits`: exact RLC size of many streams of one flat array, each given by
  [start, stop); it calls the Foundation RLC pair counter (accelsim.kernels.rlc.rlc_pairs_in), so the
  RLC rules live in one place only.
"""
from __future__ import annotations

import numpy as np

from accelsim.kernels._jit import jit
from accelsim.kernels.rlc import rlc_pairs_in


@jit
def effectual_input_macs_kernel(mask, rowcnt, colcnt, padding, groups, out):
    """mask : (N, C, H, W) uint8, 1 where the input is non-zero (after 16-bit quantization).
    rowcnt : (H + 2P,) int64; colcnt : (W + 2P,) int64; out : (N, groups) int64, overwritten with
    sum over the group's channels and positions of rowcnt[y + P] * colcnt[x + P] (per filter)."""
    N, C, H, W = mask.shape
    cg = C // groups
    for n in range(N):
        for g in range(groups):
            acc = 0
            for c in range(g * cg, (g + 1) * cg):
                for y in range(H):
                    ry = rowcnt[y + padding]
                    if ry == 0:
                        continue
                    row = 0
                    for x in range(W):
                        if mask[n, c, y, x]:
                            row += colcnt[x + padding]
                    acc += row * ry
            out[n, g] = acc


def tap_counts(size_padded: int, k: int, stride: int, out_size: int) -> np.ndarray:
    """(size_padded,) int64: how many (output index o, tap i) pairs read position y = o*stride + i."""
    cnt = np.zeros(size_padded, dtype=np.int64)
    for i in range(k):
        cnt[i:i + (out_size - 1) * stride + 1:stride] += 1
    return cnt


def effectual_input_macs(mask: np.ndarray, R: int, S: int, stride: int, padding: int, E: int, F: int,
                         groups: int) -> np.ndarray:
    """(N, groups) int64 of per-filter effectual-input MAC weights (multiply by Mg for MACs)."""
    assert mask.ndim == 4 and mask.dtype == np.uint8
    mask = np.ascontiguousarray(mask)
    N, C, H, W = mask.shape
    rowcnt = tap_counts(H + 2 * padding, R, stride, E)
    colcnt = tap_counts(W + 2 * padding, S, stride, F)
    out = np.zeros((N, groups), dtype=np.int64)
    effectual_input_macs_kernel(mask, rowcnt, colcnt, padding, groups, out)
    return out


@jit
def rlc_stream_bits_kernel(values, starts, stops, out):
    """values : (n,) int64 codes; starts, stops : (K,) int64; out : (K,) int64 overwritten with the RLC
    size in bits of values[starts[k]:stops[k]] (64 * ceil(pairs / 3), 0 for an empty stream)."""
    for k in range(starts.shape[0]):
        pairs = rlc_pairs_in(values, starts[k], stops[k])
        out[k] = 64 * ((pairs + 2) // 3)


def rlc_stream_bits(values: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Exact RLC bits of the streams values.ravel()[starts[k]:stops[k]]; returns (K,) int64."""
    v = np.ascontiguousarray(values).reshape(-1)
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    stops = np.ascontiguousarray(stops, dtype=np.int64)
    assert starts.shape == stops.shape and (stops >= starts).all() and (stops <= v.shape[0]).all()
    out = np.zeros(starts.shape[0], dtype=np.int64)
    rlc_stream_bits_kernel(v, starts, stops, out)
    return out
