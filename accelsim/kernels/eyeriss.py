"""numba kernels of the Eyeriss model's data-dependent counts (see accelsim/accelerators/eyeriss.py).

* :func:`effectual_input_macs`: per (image, group), the MACs whose ifmap operand is non-zero.  An input
  at padded position (y, x) meets ``rowcnt[y] * colcnt[x]`` filter taps of each of the group's filters,
  where rowcnt[y] = #{(e, r): e*stride_h + r*dilation_h = y} and colcnt likewise; padding positions are zero, so
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
def effectual_input_macs_kernel(mask, rowcnt, colcnt, pad_top, pad_left, groups, out):
    """mask : (N, C, H, W) uint8, 1 where the input is non-zero (after 16-bit quantization).
    rowcnt : (pad_top + H + pad_bottom,) int64; colcnt likewise over the padded width; out : (N, groups)
    int64, overwritten with sum over the group's channels and positions of
    rowcnt[y + pad_top] * colcnt[x + pad_left] (per filter)."""
    N, C, H, W = mask.shape
    cg = C // groups
    for n in range(N):
        for g in range(groups):
            acc = 0
            for c in range(g * cg, (g + 1) * cg):
                for y in range(H):
                    ry = rowcnt[y + pad_top]
                    if ry == 0:
                        continue
                    row = 0
                    for x in range(W):
                        if mask[n, c, y, x]:
                            row += colcnt[x + pad_left]
                    acc += row * ry
            out[n, g] = acc


def effectual_input_macs(mask: np.ndarray, rowcnt: np.ndarray, colcnt: np.ndarray, pad_top: int,
                         pad_left: int, groups: int) -> np.ndarray:
    """(N, groups) int64 of per-filter effectual-input MAC weights (multiply by Mg for MACs).  ``rowcnt`` /
    ``colcnt``: per padded row / column, the (output, tap) pairs that read it
    (:meth:`accelsim.geometry.Axis.tap_counts`, which knows stride and dilation)."""
    assert mask.ndim == 4 and mask.dtype == np.uint8
    mask = np.ascontiguousarray(mask)
    N, C, H, W = mask.shape
    assert len(rowcnt) >= H + pad_top and len(colcnt) >= W + pad_left
    out = np.zeros((N, groups), dtype=np.int64)
    effectual_input_macs_kernel(mask, np.ascontiguousarray(rowcnt, dtype=np.int64),
                                np.ascontiguousarray(colcnt, dtype=np.int64), pad_top, pad_left, groups, out)
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
