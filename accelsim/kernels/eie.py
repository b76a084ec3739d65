"""numba kernel of EIE's column broadcast with per-PE activation queues (model: accelerators/eie.py).

One matrix-vector product broadcasts its non-zero activations (columns) one per cycle at most, in
column order (the leading-non-zero-detection tree finds them).  PE ``p`` spends ``cost[p, j]`` cycles on
column ``j`` (its stored entries of that column, at least one cycle).  With queue depth ``D >= 1``:

    b_t     = max(b_{t-1} + 1, max_p s_{p, t-D})      (broadcast waits until no PE queue is full)
    s_{p,t} = max(b_t, f_{p, t-1})                     (a PE starts a column when it is free)
    f_{p,t} = s_{p,t} + cost[p, j_t]

where an entry leaves the queue when its PE starts it, so the queue of PE p is full at cycle b exactly
when item t-D has not started.  ``D = 0`` means no queue: every column waits for the slowest PE of the
previous one (b_t = max_p f_{p,t-1}).  The product takes ``max_p f_{p,last}`` cycles.
"""
from __future__ import annotations

import numpy as np

from accelsim.kernels._jit import jit


@jit
def eie_matvecs_kernel(cost_t, cols, starts, depth, out):
    """cost_t : (J, P) int64, the transpose of the wrapper's ``cost`` (column j's cost on every PE
    contiguous, so the loop over PEs reads one cache line run); cols : (K,) int64 column ids of every
    product's non-zero activations, in order; starts : (V + 1,) int64 offsets of product v's columns;
    out : (V, 3) int64 receives per product [cycles, broadcast stall cycles, busy PE-cycles]."""
    P = cost_t.shape[1]
    V = starts.shape[0] - 1
    D = depth
    ring = np.zeros((max(D, 1), P), dtype=np.int64)
    f = np.zeros(P, dtype=np.int64)
    for v in range(V):
        for p in range(P):
            f[p] = 0
        b_prev = -1
        stalls = 0
        busy = 0
        for t in range(starts[v], starts[v + 1]):
            i = t - starts[v]
            j = cols[t]
            b = b_prev + 1
            if D == 0:
                for p in range(P):
                    if f[p] > b:
                        b = f[p]
            elif i >= D:
                slot = i % D
                for p in range(P):
                    if ring[slot, p] > b:
                        b = ring[slot, p]
            stalls += b - (b_prev + 1)
            for p in range(P):
                s = b if b > f[p] else f[p]
                if D > 0:
                    ring[i % D, p] = s
                c = cost_t[j, p]
                f[p] = s + c
                busy += c
            b_prev = b
        total = 0
        for p in range(P):
            if f[p] > total:
                total = f[p]
        out[v, 0] = total
        out[v, 1] = stalls
        out[v, 2] = busy


def eie_matvecs(cost: np.ndarray, cols: np.ndarray, starts: np.ndarray, depth: int) -> np.ndarray:
    """Wrapper: validates and allocates; returns (V, 3) int64 [cycles, stall cycles, busy PE-cycles]."""
    cost = np.ascontiguousarray(cost, dtype=np.int64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    assert cost.ndim == 2 and starts.ndim == 1 and starts.size >= 1 and depth >= 0
    assert cols.size == 0 or (cols.min() >= 0 and cols.max() < cost.shape[1])
    out = np.zeros((starts.size - 1, 3), dtype=np.int64)
    eie_matvecs_kernel(np.ascontiguousarray(cost.T), cols, starts, int(depth), out)
    return out


__all__ = ["eie_matvecs", "eie_matvecs_kernel"]
