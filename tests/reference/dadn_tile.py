"""Slow, cycle-stepped reference of DaDianNao / Cnvlutin tiles on a tiny layer.

Written independently of accelsim/kernels/lanes.py: it builds each lane's list of chunks explicitly
(Python lists of values), then advances a per-lane state machine one clock cycle at a time:
each cycle, every unfinished lane processes one entry (Cnvlutin: one non-zero neuron, or the single
empty slot of an all-zero chunk; DaDianNao: a whole 16-neuron brick) for the current filter group.
A window ends when every lane is done; the next window starts on the next cycle.  Several (packed)
groups may run side by side on different tiles: their lanes step together, and a window ends when every
lane of every one of them is done.

Geometry is spelled out per tap: output (e, f)'s tap (r, s) reads padded input
(e * stride_h + r * dilation_h, f * stride_w + s * dilation_w).
"""
from __future__ import annotations

import math


def lane_chunks(x_nonzero, c_lo, c_hi, y0, x0, R, S, brick, dh=1, dw=1):
    """x_nonzero[c][y][x] booleans of the padded input; channels c_lo..c_hi-1 (beyond C are zeros)."""
    flat = []
    for r in range(R):
        for s in range(S):
            for c in range(c_lo, c_hi):
                flat.append(bool(x_nonzero[c][y0 + r * dh][x0 + s * dw]) if c < len(x_nonzero) else False)
    return [flat[i:i + brick] for i in range(0, len(flat), brick)]


def simulate_round(groups_x, R, S, stride, E, F, filter_groups, cnv=True, lanes=16, brick=16,
                   zero_brick_cycles=1, dilation=(1, 1)):
    """groups_x: a list of (Cg, Hp, Wp) nested lists, one per group running side by side, for ONE image,
    padding already applied; ``stride`` and ``dilation`` are (height, width) pairs.
    Returns (cycles, nonzero_neurons_processed summed over the groups)."""
    sh, sw = stride
    dh, dw = dilation
    cycle = 0
    nnz_done = 0
    for e in range(E):
        for f in range(F):
            y0, x0 = e * sh, f * sw
            work = []  # per lane of every group: entries, one per cycle for one filter group
            for x_nonzero in groups_x:
                Cg = len(x_nonzero)
                cpad = math.ceil(Cg / brick) * brick
                if cnv:
                    fu = cpad // lanes
                    for u in range(lanes):
                        entries = []
                        for ch in lane_chunks(x_nonzero, u * fu, (u + 1) * fu, y0, x0, R, S, brick, dh, dw):
                            nz = sum(ch)
                            entries += ["nz"] * nz if nz else ["empty"] * zero_brick_cycles
                        work.append(entries * filter_groups)
                else:
                    bricks = lane_chunks(x_nonzero, 0, cpad, y0, x0, R, S, brick, dh, dw)
                    work.append(["brick"] * len(bricks) * filter_groups)
            pos = [0] * len(work)
            while any(p < len(w) for p, w in zip(pos, work)):
                for i, w in enumerate(work):  # one clock cycle: each lane takes one entry
                    if pos[i] < len(w):
                        if w[pos[i]] == "nz":
                            nnz_done += 1
                        pos[i] += 1
                cycle += 1
    return cycle, nnz_done // max(1, filter_groups)


def simulate_tile(x_nonzero, R, S, stride, E, F, filter_groups, cnv=True, lanes=16, brick=16,
                  zero_brick_cycles=1, pipeline=8):
    """One group alone, symmetric stride, no dilation (the original interface).
    Returns (cycles, nonzero_neurons_processed)."""
    c, k = simulate_round([x_nonzero], R, S, (stride, stride), E, F, filter_groups, cnv, lanes, brick,
                          zero_brick_cycles)
    return c + pipeline, k
