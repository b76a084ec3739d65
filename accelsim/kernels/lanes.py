"""Per-window neuron-lane work of DaDianNao-style tiles (Cnvlutin's zero skipping).

Layout (as the Cnvlutin authors' simulator MIsim does it: cluster.py/unit.py): the Cg channels of a
group are zero-padded to Cpad = ceil(Cg / lanes) * lanes; lane u owns channels [u*fu, (u+1)*fu) with
fu = Cpad / lanes.  For one output window, a lane's sub-window (R x S x fu values) is flattened channel
fastest, then filter column s, then filter row r, and cut into chunks of ``brick`` values.  A chunk costs
max(nnz, zero_brick_cycles) steps (one non-zero neuron per step; an all-zero chunk still costs
``zero_brick_cycles``, 1 in MIsim).  A window costs the slowest lane (the next window starts only when
every lane is done).  One step is later multiplied by the number of filter groups a tile holds.

How it is computed: which input values make up chunk j of lane u depends only on the layer's shape, so
:func:`chunk_plan` lists, once per layer, each chunk's *items*: a filter tap (r*dh, s*dw) and a
*segment*, a run of consecutive channels of that tap inside the chunk (a whole brick of 16 channels in
deep layers; a lane's fu channels, or the part of them a chunk boundary leaves, in shallow ones).  The
input mask is laid out in *rows* (N, G, Hp, channel, Wp), and :func:`segment_rows` sums each segment's
channel rows once per layer, so for one padded input row and one segment the Wp columns are contiguous:
one item adds a strided run of a row to the counts of all F windows of an output row at once
(:func:`lane_rows_kernel`, one kernel for every layer).  Channel padding (c >= Cg) is left out of the
segments (its mask is zero); a chunk left with no item is all-zero in every window, counted in closed
form per lane.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from accelsim.kernels._jit import jit

if TYPE_CHECKING:  # kernels never import the models' modules at run time
    from accelsim.geometry import Geometry


@lru_cache(maxsize=64)
def chunk_plan(R: int, S: int, dh: int, dw: int, fu: int, lanes: int, brick: int, Cg: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The chunks of every lane of one window, as items.  Returns (segs (Z, 2) int64 channel ranges
    [lo, hi), items (K, 3) int64 rows (r*dh, segment, s*dw), ptr (J + 1,) int64: chunk i's items are
    items[ptr[i]:ptr[i+1]], lane (J,) int64 of each listed chunk, empty (lanes,) int64 chunks of each lane
    with no item).  Cached per shape: callers must not modify the arrays."""
    seg_id: dict[tuple[int, int], int] = {}
    items: list[tuple[int, int, int]] = []
    ptr, lane = [0], []
    empty = np.zeros(lanes, dtype=np.int64)
    for u in range(lanes):
        c0 = u * fu
        flat = [(r, s, c) for r in range(R) for s in range(S) for c in range(c0, c0 + fu)]
        for i in range(0, len(flat), brick):
            runs: dict[tuple[int, int], list[int]] = {}   # (r, s) -> real channels of the chunk
            for r, s, c in flat[i:i + brick]:
                if c < Cg:
                    runs.setdefault((r, s), []).append(c)
            if not runs:
                empty[u] += 1
                continue
            for (r, s), cs in runs.items():   # a chunk's channels of one tap are consecutive
                key = (cs[0], cs[-1] + 1)
                items.append((r * dh, seg_id.setdefault(key, len(seg_id)), s * dw))
            ptr.append(len(items))
            lane.append(u)
    segs = np.array(list(seg_id), dtype=np.int64).reshape(-1, 2)
    return (segs, np.array(items, dtype=np.int64).reshape(-1, 3), np.array(ptr, dtype=np.int64),
            np.array(lane, dtype=np.int64), empty)


@jit
def segment_rows_kernel(rows, segs, out):
    """out[n, g, y, z, x] = sum of rows[n, g, y, c, x] over c in [segs[z, 0], segs[z, 1])."""
    N, G, Hp, _, Wp = rows.shape
    for n in range(N):
        for g in range(G):
            for y in range(Hp):
                for z in range(segs.shape[0]):
                    for x in range(Wp):
                        out[n, g, y, z, x] = 0
                    for c in range(segs[z, 0], segs[z, 1]):
                        for x in range(Wp):
                            out[n, g, y, z, x] += rows[n, g, y, c, x]


def segment_rows(rows: np.ndarray, segs: np.ndarray) -> np.ndarray:
    """(N, G, Hp, Z, Wp) uint8 per-segment non-zero counts (segments of at most 255 channels); ``rows``
    itself when the segments are its channels one by one."""
    Z = segs.shape[0]
    if Z == rows.shape[3] and np.array_equal(segs, np.stack([np.arange(Z), np.arange(1, Z + 1)], axis=1)):
        return rows
    assert Z == 0 or int((segs[:, 1] - segs[:, 0]).max()) <= 255
    out = np.empty(rows.shape[:3] + (Z, rows.shape[4]), dtype=np.uint8)
    segment_rows_kernel(rows, segs, out)
    return out


@jit
def lane_rows_kernel(V, items, ptr, lane, empty, sh, sw, E, F, zero_brick_cycles, gpr,
                     out_max_steps, out_lane_steps, out_zero_chunks):
    """V : (N, G, Hp, Z, Wp) uint8 non-zeros per segment (:func:`segment_rows`); items, ptr, lane, empty :
    :func:`chunk_plan`.  Output (e, f)'s item (dy, x, dx) reads V[n, g, e*sh + dy, x, f*sw + dx].
    Groups [k*gpr, (k+1)*gpr) run side by side in lockstep (round k): a window costs the slowest lane of
    any of them.  Outputs (N, ceil(G/gpr), E) int64, summed over each output row's windows (zero_chunks,
    lane steps: over every group of the round)."""
    N, G = V.shape[0], V.shape[1]
    lanes = empty.shape[0]
    J = lane.shape[0]
    rounds = (G + gpr - 1) // gpr
    n_empty = 0
    for u in range(lanes):
        n_empty += empty[u]
    cnt = np.zeros(F, dtype=np.int32)
    steps = np.zeros((lanes, F), dtype=np.int64)
    wmax = np.zeros(F, dtype=np.int64)
    for n in range(N):
        for k in range(rounds):
            for e in range(E):
                y0 = e * sh
                wmax[:] = 0
                lane_total = 0
                zeros = 0
                for g in range(k * gpr, min(G, k * gpr + gpr)):
                    for u in range(lanes):
                        steps[u, :] = empty[u] * zero_brick_cycles
                    for j in range(J):
                        cnt[:] = 0
                        for i in range(ptr[j], ptr[j + 1]):
                            y = y0 + items[i, 0]
                            x = items[i, 1]
                            dx = items[i, 2]
                            for f in range(F):
                                cnt[f] += V[n, g, y, x, f * sw + dx]
                        u = lane[j]
                        for f in range(F):
                            c = cnt[f]
                            if c > 0:
                                steps[u, f] += c
                            else:
                                steps[u, f] += zero_brick_cycles
                                zeros += 1
                    zeros += n_empty * F
                    for u in range(lanes):
                        for f in range(F):
                            v = steps[u, f]
                            lane_total += v
                            if v > wmax[f]:
                                wmax[f] = v
                tot = 0
                for f in range(F):
                    tot += wmax[f]
                out_max_steps[n, k, e] += tot
                out_lane_steps[n, k, e] += lane_total
                out_zero_chunks[n, k, e] += zeros


@jit
def window_input_counts_kernel(V, R, S, sh, sw, dh, dw, E, F, out):
    """out[n, g, c, r, s] = sum over output windows (e, f) of V[n, g, e*sh + r*dh, c, f*sw + s*dw]
    (V (N, G, Hp, C, Wp) rows).  Separable: per row and channel, prefix sums with step sw give every
    tap column's sum over f; prefix sums of those with step sh over rows give the sum over e."""
    N, G, Hp, C, Wp = V.shape
    if E <= 0 or F <= 0:
        out[:] = 0
        return
    Hn = (E - 1) * sh + (R - 1) * dh + 1   # rows and columns any window reads
    Wn = (F - 1) * sw + (S - 1) * dw + 1
    px = np.empty(Wn, dtype=np.int64)
    q = np.zeros((Hn, S, C), dtype=np.int64)
    for n in range(N):
        for g in range(G):
            for y in range(Hn):
                for c in range(C):
                    for x in range(Wn):
                        v = np.int64(V[n, g, y, c, x])
                        px[x] = v + px[x - sw] if x >= sw else v
                    for s in range(S):
                        x0 = s * dw
                        t = px[x0 + (F - 1) * sw] - (px[x0 - sw] if x0 >= sw else 0)
                        q[y, s, c] = t + q[y - sh, s, c] if y >= sh else t
            for r in range(R):
                y0 = r * dh
                y1 = y0 + (E - 1) * sh
                for s in range(S):
                    for c in range(C):
                        out[n, g, c, r, s] = q[y1, s, c] - (q[y0 - sh, s, c] if y0 >= sh else 0)


def window_input_counts(rows: np.ndarray, geom: Geometry) -> np.ndarray:
    """(N, G, C, R, S) int64: for each filter tap, how many of an image's windows see a non-zero input
    there (rows (N, G, Hp, C, Wp) uint8, padding applied)."""
    h, w = geom.h, geom.w
    N, G, _, C, _ = rows.shape
    out = np.zeros((N, G, C, h.kernel, w.kernel), dtype=np.int64)
    window_input_counts_kernel(np.ascontiguousarray(rows), h.kernel, w.kernel, h.stride, w.stride, h.dilation,
                               w.dilation, h.out, w.out, out)
    return out


def lane_work(rows: np.ndarray, wcount: np.ndarray, geom: Geometry, lanes: int, brick: int,
              zero_brick_cycles: int, Cg: int | None = None, gpr: int = 1) -> dict[str, np.ndarray]:
    """Lane work of a layer.  rows (N, G, Hp, Cpad, Wp) uint8 input mask laid out in rows (padding
    applied: ``geom.pad``); wcount (G, Cpad, R, S) int64 non-zero weights over the group's filters per
    tap; ``geom`` the layer's :func:`accelsim.geometry.geometry` (strides, dilations, E x F); ``Cg`` the
    real channels (the rest of Cpad is padding, default none); ``gpr`` groups run side by side per round.
    Returns (N, rounds, E) int64 arrays ``max_steps``, ``lane_steps``, ``zero_chunks`` and (N, G) arrays
    ``nnz`` (non-zero inputs read, window by window) and ``effectual`` (MACs with both operands non-zero)."""
    h, w = geom.h, geom.w
    R, S, E, F = h.kernel, w.kernel, h.out, w.out
    assert rows.ndim == 5 and rows.dtype == np.uint8 and rows.flags.c_contiguous
    N, G, Hp, Cpad, Wp = rows.shape
    assert Cpad % lanes == 0 and wcount.shape == (G, Cpad, R, S) and gpr >= 1
    assert (E - 1) * h.stride + h.span <= Hp and (F - 1) * w.stride + w.span <= Wp
    rounds = -(-G // gpr)
    outs = {k: np.zeros((N, rounds, E), dtype=np.int64) for k in ("max_steps", "lane_steps", "zero_chunks")}
    fu = Cpad // lanes
    segs, items, ptr, lane, empty = chunk_plan(R, S, h.dilation, w.dilation, fu, lanes, brick,
                                               Cpad if Cg is None else Cg)
    lane_rows_kernel(segment_rows(rows, segs), items, ptr, lane, empty, h.stride, w.stride, E, F, zero_brick_cycles, gpr,
                     outs["max_steps"], outs["lane_steps"], outs["zero_chunks"])
    taps = window_input_counts(rows, geom)
    outs["nnz"] = taps.sum(axis=(2, 3, 4))
    outs["effectual"] = (taps * wcount[None]).sum(axis=(2, 3, 4))
    return outs
