"""numba kernels of EIE (model: accelerators/eie.py): the column broadcast with per-PE activation queues,
the conv lowering it runs on, and the interleaved CSC entry counts of a weight matrix.

One matrix-vector product broadcasts its non-zero activations (columns) one per cycle at most, in
column order (the leading-non-zero-detection tree finds them).  PE ``p`` spends ``cost[p, j]`` cycles on
column ``j`` (its stored entries of that column, at least one cycle).  With queue depth ``D >= 1``:

    b_t     = max(b_{t-1} + 1, max_p s_{p, t-D})      (broadcast waits until no PE queue is full)
    s_{p,t} = max(b_t, f_{p, t-1})                     (a PE starts a column when it is free)
    f_{p,t} = s_{p,t} + cost[p, j_t]

where an entry leaves the queue when its PE starts it, so the queue of PE p is full at cycle b exactly
when item t-D has not started.  ``D = 0`` means no queue: every column waits for the slowest PE of the
previous one (b_t = max_p f_{p,t-1}).  The product takes ``max_p f_{p,last}`` cycles, and the broadcast
was held ``sum_t (b_t - b_{t-1} - 1) = b_last + 1 - K`` cycles (K columns, b_{-1} = -1).

Only ``max_p s_{p,t}`` of step t is ever read back (D steps later), so the queue keeps one number per
slot.  A PE whose every column costs one cycle never holds the broadcast (by induction it starts each
column at b_t and ends at b_t + 1 <= b_{t+1}), and ends the product at b_last + 1 <= every other PE's
end: the wrappers may leave such PEs out of ``cost`` (the product then takes max(b_last + 1, max_p f)).
All times of a product are at most sum_t max_p cost[p, j_t], so int32 costs are exact when J times the
largest cost is below 2**31 (the wrapper's choice).
"""
from __future__ import annotations

import numpy as np

from accelsim.kernels._jit import jit


@jit
def eie_product(cost_t, cols, k, depth, f, ring, hist):
    """One product: broadcast ``cols[:k]`` in order on the PEs of ``cost_t`` ((J, P), column j's cost on
    every PE contiguous); ``f`` (P,) and ``ring`` (max(D, 1),) are scratch of cost_t's dtype; adds one to
    ``hist[j]`` per broadcast of column j.  Returns (cycles, broadcast stall cycles)."""
    if k == 0:
        return 0, 0
    P = cost_t.shape[1]
    for p in range(P):
        f[p] = 0
    b = -1
    maxf = 0
    slot = 0
    for i in range(k):
        j = cols[i]
        hist[j] += 1
        b += 1
        if depth == 0:
            if maxf > b:
                b = maxf
        elif i >= depth:
            m = ring[slot]
            if m > b:
                b = m
        ms = b
        mf = 0
        for p in range(P):  # branch-free max/add over PEs: vectorizes
            fp = f[p]
            sp = b if b > fp else fp
            fp = sp + cost_t[j, p]
            f[p] = fp
            ms = ms if ms > sp else sp
            mf = mf if mf > fp else fp
        if depth > 0:
            ring[slot] = ms
            slot += 1
            if slot == depth:
                slot = 0
        maxf = mf
    total = maxf if maxf > b + 1 else b + 1
    return total, b + 1 - k


@jit
def eie_matvecs_kernel(cost_t, cols, starts, depth, out):
    """Products given as column lists: cols[starts[v]:starts[v + 1]] is product v's broadcast order;
    out (V, 2) int64 receives per product [cycles, broadcast stall cycles]."""
    P = cost_t.shape[1]
    f = np.zeros(P, dtype=cost_t.dtype)
    ring = np.zeros(max(depth, 1), dtype=cost_t.dtype)
    hist = np.zeros(cost_t.shape[0], dtype=np.int64)
    for v in range(starts.shape[0] - 1):
        a = starts[v]
        cyc, st = eie_product(cost_t, cols[a:], starts[v + 1] - a, depth, f, ring, hist)
        out[v, 0] = cyc
        out[v, 1] = st


@jit
def eie_conv_kernel(xp, c0, Cg, R, S, E, F, sh, sw, dh, dw, dense, cost_t, depth, cycles, hist):
    """Every product of one group of a conv (or FC: the 1x1 case) layer lowered to columns (c, r, s), read
    straight from the input, never materialized.  xp : (N, C, Hp, Wp) uint8 non-zero mask of the padded
    input; the group's channels are c0 .. c0 + Cg - 1.  Output (n, e, f) reads tap (r, s) of channel c at
    row e*sh + r*dh, column f*sw + s*dw of xp; the product broadcasts its non-zero taps (``dense``: every
    tap, padding included) in column order j = (c*R + r)*S + s.  cycles : (N*E*F,) int64 receives each
    product's cycles, ordered (n, e, f); hist : (Cg*R*S,) int64 accumulates broadcasts per column.
    Returns the broadcast stall cycles of all products."""
    N = cycles.shape[0] // max(E * F, 1)
    J = Cg * R * S
    P = cost_t.shape[1]
    cols = np.empty(max(J, 1), dtype=np.int64)
    f = np.zeros(P, dtype=cost_t.dtype)
    ring = np.zeros(max(depth, 1), dtype=cost_t.dtype)
    for j in range(J):
        cols[j] = j
    stalls = 0
    v = 0
    for n in range(N):
        for e in range(E):
            for q in range(F):
                k = J
                if not dense:
                    k = 0
                    x0 = q * sw
                    for c in range(Cg):
                        for r in range(R):
                            row = xp[n, c0 + c, e * sh + r * dh]
                            base = (c * R + r) * S
                            for s in range(S):  # branch-free append of the non-zero taps
                                cols[k] = base + s
                                k += row[x0 + s * dw]
                cyc, st = eie_product(cost_t, cols, k, depth, f, ring, hist)
                cycles[v] = cyc
                stalls += st
                v += 1
    return stalls


@jit
def eie_pe_columns_kernel(w, P, run_bits, entries, pad):
    """Interleaved CSC of a (rows, J) uint8 non-zero mask over P PEs (row i -> PE i % P, local row i // P),
    each PE column zero-run encoded with ``run_bits`` relative indices: a non-zero after g zeros of its
    PE column (since the previous non-zero or the start) costs g >> run_bits padding entries before it.
    entries, pad : (min(P, rows), J) int64, zeroed, receive stored entries (padding included) and padding."""
    rows, J = w.shape
    last = np.full(entries.shape, -1, dtype=np.int64)
    for i in range(rows):
        p = i % P
        loc = i // P
        for j in range(J):  # branch-free: vectorizes over columns
            nz = np.int64(w[i, j])
            lp = last[p, j]
            pad[p, j] += nz * ((loc - lp - 1) >> run_bits)
            entries[p, j] += nz
            last[p, j] = lp + nz * (loc - lp)
    for p in range(entries.shape[0]):
        for j in range(J):
            entries[p, j] += pad[p, j]


def cost_dtype(cost: np.ndarray, J: int) -> type:
    """int32 when every time of a product fits (J x the largest cost < 2**31, module docstring), else int64."""
    top = int(cost.max(initial=1))
    return np.int32 if max(J, 1) * top < 2**31 - 1 else np.int64


def eie_matvecs(cost: np.ndarray, cols: np.ndarray, starts: np.ndarray, depth: int) -> np.ndarray:
    """Wrapper: cost (P, J); returns (V, 3) int64 [cycles, stall cycles, busy PE-cycles] of the products
    cols[starts[v]:starts[v + 1]]."""
    cost = np.asarray(cost, dtype=np.int64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    assert cost.ndim == 2 and starts.ndim == 1 and starts.size >= 1 and depth >= 0
    assert cols.size == 0 or (cols.min() >= 0 and cols.max() < cost.shape[1])
    assert cost.size == 0 or cost.min() >= 1
    out = np.zeros((starts.size - 1, 3), dtype=np.int64)
    busy = cost.sum(axis=0)[cols]
    keep = (cost != 1).any(axis=1)
    cost_t = np.ascontiguousarray(cost[keep].T, dtype=cost_dtype(cost, cost.shape[1]))
    eie_matvecs_kernel(cost_t, cols, starts, int(depth), out[:, :2])
    cum = np.concatenate([[0], np.cumsum(busy)])
    out[:, 2] = cum[starts[1:]] - cum[starts[:-1]]
    return out


__all__ = ["cost_dtype", "eie_conv_kernel", "eie_matvecs", "eie_matvecs_kernel", "eie_pe_columns_kernel",
           "eie_product"]
