"""Slow, obviously correct lane work of a Cnvlutin layer (reference of accelsim/kernels/lanes.py).

Straight from the definition, window by window, with Python lists: lane u of group g reads channels
[u*fu, (u+1)*fu) of the padded input at output (e, f)'s taps (e*sh + r*dh, f*sw + s*dw), in the order
r, then s, then channel; the list is cut into chunks of ``brick`` values; a chunk costs its non-zero
count, or ``zero_brick_cycles`` when it has none.  A window costs the slowest lane of every group of its
round.  Channels c >= Cg are padding (zero).  The mask is channels-last, (N, G, Hp, Wp, Cpad).
"""
from __future__ import annotations

import numpy as np


def lane_work_ref(mask, wcount, R, S, sh, sw, dh, dw, E, F, lanes, brick, zero_brick_cycles, Cg=None, gpr=1):
    N, G, Hp, Wp, Cpad = mask.shape
    Cg = Cpad if Cg is None else Cg
    fu = Cpad // lanes
    rounds = -(-G // gpr)
    out = {k: np.zeros((N, rounds, E), dtype=np.int64) for k in ("max_steps", "lane_steps", "zero_chunks")}
    nnz = np.zeros((N, G), dtype=np.int64)
    eff = np.zeros((N, G), dtype=np.int64)
    for n in range(N):
        for k in range(rounds):
            for e in range(E):
                for f in range(F):
                    slowest = 0
                    for g in range(k * gpr, min(G, (k + 1) * gpr)):
                        for u in range(lanes):
                            seq = []
                            for r in range(R):
                                for s in range(S):
                                    for c in range(u * fu, (u + 1) * fu):
                                        v = int(mask[n, g, e * sh + r * dh, f * sw + s * dw, c]) if c < Cg else 0
                                        seq.append(v)
                                        nnz[n, g] += v
                                        eff[n, g] += v * int(wcount[g, c, r, s])
                            steps = 0
                            for i in range(0, len(seq), brick):
                                z = sum(seq[i:i + brick])
                                if z == 0:
                                    out["zero_chunks"][n, k, e] += 1
                                    steps += zero_brick_cycles
                                else:
                                    steps += z
                            out["lane_steps"][n, k, e] += steps
                            slowest = max(slowest, steps)
                    out["max_steps"][n, k, e] += slowest
    out["nnz"] = nnz
    out["effectual"] = eff
    return out


def window_input_counts_ref(mask, R, S, sh, sw, dh, dw, E, F):
    """(N, G, C, R, S): for each tap, the non-zero inputs it reads over all windows (channels-last mask)."""
    N, G, _, _, C = mask.shape
    ref = np.zeros((N, G, C, R, S), dtype=np.int64)
    for r in range(R):
        for s in range(S):
            for e in range(E):
                for f in range(F):
                    ref[:, :, :, r, s] += mask[:, :, e * sh + r * dh, f * sw + s * dw, :]
    return ref
