"""Slow, cycle-stepped reference of one DaDianNao / Cnvlutin tile on a tiny layer.

Written independently of accelsim/kernels/lanes.py: it builds each lane's list of chunks explicitly
(Python lists of values), then advances a per-lane state machine one clock cycle at a time:
each cycle, every unfinished lane processes one entry (Cnvlutin: one non-zero neuron, or the single
empty slot of an all-zero chunk; DaDianNao: a whole 16-neuron brick) for the current filter group.
A window ends when every lane is done; the next window starts on the next cycle.
"""
from __future__ import annotations

import math



def lane_chunks(x_nonzero, c_lo, c_hi, y0, x0, R, S, brick):
    """x_nonzero[c][y][x] booleans of the padded input; channels c_lo..c_hi-1 (beyond C are zeros)."""
    flat = []
    for r in range(R):
        for s in range(S):
            for c in range(c_lo, c_hi):
                flat.append(bool(x_nonzero[c][y0 + r][x0 + s]) if c < len(x_nonzero) else False)
    return [flat[i:i + brick] for i in range(0, len(flat), brick)]


def simulate_tile(x_nonzero, R, S, stride, E, F, filter_groups, cnv=True, lanes=16, brick=16,
                  zero_brick_cycles=1, pipeline=8):
    """x_nonzero: (Cg, Hp, Wp) nested lists/array for ONE image and ONE group, padding already applied.
    Returns (cycles, nonzero_neurons_processed)."""
    Cg = len(x_nonzero)
    cpad = math.ceil(Cg / brick) * brick
    cycle = 0
    nnz_done = 0
    for e in range(E):
        for f in range(F):
            y0, x0 = e * stride, f * stride
            if cnv:
                fu = cpad // lanes
                work = []  # per lane: list of entries, one per cycle for one filter group
                for u in range(lanes):
                    entries = []
                    for ch in lane_chunks(x_nonzero, u * fu, (u + 1) * fu, y0, x0, R, S, brick):
                        nz = sum(ch)
                        entries += ["nz"] * nz if nz else ["empty"] * zero_brick_cycles
                    work.append(entries * filter_groups)
            else:
                bricks = lane_chunks(x_nonzero, 0, cpad, y0, x0, R, S, brick)
                work = [["brick"] * len(bricks) * filter_groups]
            pos = [0] * len(work)
            while any(p < len(w) for p, w in zip(pos, work)):
                for i, w in enumerate(work):  # one clock cycle: each lane takes one entry
                    if pos[i] < len(w):
                        if w[pos[i]] == "nz":
                            nnz_done += 1
                        pos[i] += 1
                cycle += 1
    return cycle + pipeline, nnz_done // max(1, filter_groups)
