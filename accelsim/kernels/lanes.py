"""Per-window neuron-lane work of DaDianNao-style tiles (Cnvlutin's zero skipping).

Layout (as the Cnvlutin authors' simulator MIsim does it: cluster.py/unit.py): the Cg channels of a
group are zero-padded to Cpad = ceil(Cg / lanes) * lanes; lane u owns channels [u*fu, (u+1)*fu) with
fu = Cpad / lanes.  For one output window, a lane's sub-window (R x S x fu values) is flattened channel
fastest, then filter column s, then filter row r, and cut into chunks of ``brick`` values.  A chunk costs
max(nnz, zero_brick_cycles) steps (one non-zero neuron per step; an all-zero chunk still costs
``zero_brick_cycles``, 1 in MIsim).  A window costs the slowest lane (the next window starts only when
every lane is done).  One step is later multiplied by the number of filter groups a tile holds.

Two kernels compute the same thing:
* ``window_lane_work_bricks`` when fu is a multiple of ``brick`` (deep layers): every chunk is exactly
  one brick of 16 channels at one (y, x), so per-brick non-zero counts (computed once per layer) replace
  16 element visits by one;
* ``window_lane_work_general`` otherwise (fu < 16: shallow layers), visiting every element, with the
  mask laid out (N, G, Hp, Wp, Cpad) so the channel loop is contiguous.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from accelsim.kernels._jit import jit

if TYPE_CHECKING:  # kernels never import the models' modules at run time
    from accelsim.geometry import Geometry


@jit
def _chunk_steps(nnz, zero_brick_cycles):
    """MIsim's cost of one lane chunk: one step per non-zero, ``zero_brick_cycles`` if all zero."""
    return nnz if nnz > 0 else zero_brick_cycles


@jit
def window_lane_work_bricks(bnnz, R, S, sh, sw, dh, dw, E, F, lanes, zero_brick_cycles, gpr,
                            out_max_steps, out_lane_steps, out_zero_chunks):
    """bnnz : (N, G, Hp, Wp, B) int32 non-zeros of brick b at padded (y, x); lane u owns bricks
    [u*B/lanes, (u+1)*B/lanes).  Output (e, f)'s tap (r, s) reads (e*sh + r*dh, f*sw + s*dw).  Groups
    [k*gpr, (k+1)*gpr) run side by side in lockstep (round k): a window costs the slowest lane of any of
    them.  Outputs (N, ceil(G/gpr), E) int64 summed over each output row's windows (zero_chunks, lane
    steps: over every group of the round)."""
    N, G, B = bnnz.shape[0], bnnz.shape[1], bnnz.shape[4]
    bu = B // lanes
    rounds = (G + gpr - 1) // gpr
    for n in range(N):
        for k in range(rounds):
            for e in range(E):
                y0 = e * sh
                for f in range(F):
                    x0 = f * sw
                    wmax = 0
                    for g in range(k * gpr, min(G, k * gpr + gpr)):
                        for u in range(lanes):
                            steps = 0
                            for r in range(R):
                                for s in range(S):
                                    for b in range(u * bu, u * bu + bu):
                                        c = bnnz[n, g, y0 + r * dh, x0 + s * dw, b]
                                        steps += _chunk_steps(c, zero_brick_cycles)
                                        out_zero_chunks[n, k, e] += c == 0
                            out_lane_steps[n, k, e] += steps
                            if steps > wmax:
                                wmax = steps
                    out_max_steps[n, k, e] += wmax


@jit
def window_lane_work_general(mask, Cg, R, S, sh, sw, dh, dw, E, F, lanes, brick, zero_brick_cycles, gpr,
                             out_max_steps, out_lane_steps, out_zero_chunks):
    """mask : (N, G, Hp, Wp, Cpad) uint8, 1 where an input (after padding) is non-zero; Cg real channels.
    A lane whose channels are all channel padding (c >= Cg) holds only all-zero chunks: its cost is
    computed without visiting them.  Taps, rounds and outputs as in :func:`window_lane_work_bricks`."""
    N, G, Cpad = mask.shape[0], mask.shape[1], mask.shape[4]
    fu = Cpad // lanes
    pad_chunks = (R * S * fu + brick - 1) // brick
    pad_steps = pad_chunks * zero_brick_cycles
    rounds = (G + gpr - 1) // gpr
    for n in range(N):
        for k in range(rounds):
            for e in range(E):
                y0 = e * sh
                for f in range(F):
                    x0 = f * sw
                    wmax = 0
                    for g in range(k * gpr, min(G, k * gpr + gpr)):
                        for u in range(lanes):
                            c0 = u * fu
                            if c0 >= Cg:
                                out_zero_chunks[n, k, e] += pad_chunks
                                out_lane_steps[n, k, e] += pad_steps
                                if pad_steps > wmax:
                                    wmax = pad_steps
                                continue
                            steps = 0
                            cnt = 0
                            pos = 0
                            for r in range(R):
                                for s in range(S):
                                    for c in range(c0, c0 + fu):
                                        cnt += mask[n, g, y0 + r * dh, x0 + s * dw, c]
                                        pos += 1
                                        if pos == brick:
                                            steps += _chunk_steps(cnt, zero_brick_cycles)
                                            out_zero_chunks[n, k, e] += cnt == 0
                                            cnt = 0
                                            pos = 0
                            if pos > 0:
                                steps += _chunk_steps(cnt, zero_brick_cycles)
                                out_zero_chunks[n, k, e] += cnt == 0
                            out_lane_steps[n, k, e] += steps
                            if steps > wmax:
                                wmax = steps
                    out_max_steps[n, k, e] += wmax


def window_input_counts(mask: np.ndarray, geom: Geometry) -> np.ndarray:
    """(N, G, Cpad, R, S) int64: for each filter tap, how many of an image's windows see a non-zero
    input there (numpy strided sums; mask (N, G, Hp, Wp, Cpad), padding applied)."""
    h, w = geom.h, geom.w
    N, G, _, _, Cpad = mask.shape
    out = np.empty((N, G, Cpad, h.kernel, w.kernel), dtype=np.int64)
    for r in range(h.kernel):
        y = r * h.dilation
        for s in range(w.kernel):
            x = s * w.dilation
            v = mask[:, :, y:y + h.stride * (h.out - 1) + 1:h.stride, x:x + w.stride * (w.out - 1) + 1:w.stride, :]
            out[:, :, :, r, s] = v.sum(axis=(2, 3), dtype=np.int64)
    return out


def lane_work(mask: np.ndarray, wcount: np.ndarray, geom: Geometry, lanes: int, brick: int,
              zero_brick_cycles: int, Cg: int | None = None, gpr: int = 1) -> dict[str, np.ndarray]:
    """Lane work of a layer.  mask (N, G, Hp, Wp, Cpad) uint8 (padding applied: ``geom.pad``); wcount
    (G, Cpad, R, S) int64 non-zero weights over the group's filters per tap; ``geom`` the layer's
    :func:`accelsim.geometry.geometry` (strides, dilations, E x F); ``Cg`` the real channels (the rest of
    Cpad is padding, default none); ``gpr`` groups run side by side per round.  Returns (N, rounds, E) int64
    arrays ``max_steps``, ``lane_steps``, ``zero_chunks`` and (N, G) arrays ``nnz`` (non-zero inputs read,
    window by window) and ``effectual`` (MACs with both operands non-zero)."""
    h, w = geom.h, geom.w
    R, S, E, F = h.kernel, w.kernel, h.out, w.out
    assert mask.ndim == 5 and mask.dtype == np.uint8 and mask.flags.c_contiguous
    N, G, Hp, Wp, Cpad = mask.shape
    assert Cpad % lanes == 0 and wcount.shape == (G, Cpad, R, S) and gpr >= 1
    assert (E - 1) * h.stride + h.span <= Hp and (F - 1) * w.stride + w.span <= Wp
    rounds = -(-G // gpr)
    outs = {k: np.zeros((N, rounds, E), dtype=np.int64) for k in ("max_steps", "lane_steps", "zero_chunks")}
    fu = Cpad // lanes
    args = (R, S, h.stride, w.stride, h.dilation, w.dilation, E, F, lanes)
    if fu % brick == 0:
        bnnz = mask.reshape(N, G, Hp, Wp, Cpad // brick, brick).sum(axis=5, dtype=np.int32)
        window_lane_work_bricks(np.ascontiguousarray(bnnz), *args, zero_brick_cycles, gpr,
                                outs["max_steps"], outs["lane_steps"], outs["zero_chunks"])
    else:
        window_lane_work_general(mask, Cpad if Cg is None else Cg, *args, brick, zero_brick_cycles, gpr,
                                 outs["max_steps"], outs["lane_steps"], outs["zero_chunks"])
    taps = window_input_counts(mask, geom)
    outs["nnz"] = taps.sum(axis=(2, 3, 4))
    outs["effectual"] = (taps * wcount[None]).sum(axis=(2, 3, 4))
    return outs
