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
end: the wrappers leave such PEs out (the product then takes max(b_last + 1, max_p f)).

The kernel keeps each PE's lag ``L_p = f_{p,t} - b_t`` rather than its time: a step subtracts
``d = b_t - b_{t-1}``, clamps at zero (that is ``s_{p,t} - b_t``) and adds the cost.  Lags are small:
f_{p,t} = max_{u<=t} (b_u + sum_{i=u..t} cost_i), and b_t >= s_{p,t-D} bounds every term by
b_t + (D + 1) * cmax (cmax: the largest cost; D = 0: b_t >= f_{p,t-1}, so the lag is one cost), so
0 <= L_p <= lagmax = (D + 1) * cmax.  d can be capped at lagmax + 1 (a larger step leaves every lag
at zero all the same), so the lags fit the narrowest of int8/16/32/64 holding -(lagmax + 1) .. lagmax,
and one vector steps 64 PEs at once (:mod:`accelsim.kernels.eie_simd`; with int8 lags one AVX-512
register); up to 64 PEs, a product's lags stay in registers from column to column.  The PE count is
padded to whole vectors with zero-cost lanes, whose lag stays zero.
"""
from __future__ import annotations

import numpy as np

from accelsim.kernels._jit import jit
from accelsim.kernels.eie_simd import (VECTOR_LANES, lag_step_finish, lag_step_start, product_one_vector_noqueue,
                                      product_one_vector_queue)


@jit
def eie_product(cost_t, rows, k, depth, cap, lanes, L, ring):
    """One product: broadcast the columns whose flat offsets into ``cost_t`` are ``rows[:k]`` (column j
    at j * P'), in order, on the PEs of ``cost_t`` ((J, P') lag dtype, column j's costs contiguous, P' a
    multiple of ``lanes``, padding lanes cost 0); ``L`` (P',) is scratch, ``ring`` (a power of two > D)
    int64 scratch; ``cap`` = lagmax + 1 (module docstring).  Returns (cycles, stall cycles)."""
    if k == 0:
        return 0, 0
    Pw = L.shape[0]
    if Pw == lanes:  # one vector: the lags stay in a register (eie_simd.product_one_vector)
        if depth == 0:
            return product_one_vector_noqueue(cost_t, rows, k, depth, cap, ring)
        return product_one_vector_queue(cost_t, rows, k, depth, cap, ring)
    chunks = Pw // lanes   # a range with a step would divide at every broadcast
    mask = ring.shape[0] - 1
    for p in range(Pw):
        L[p] = 0
    b = -1
    if depth == 0:
        mf = 0   # the latest finish of the previous column, relative to its broadcast
        for i in range(k):
            bn = max(b + 1, b + mf)
            d = min(bn - b, cap)
            b = bn
            mf = 0
            for ch in range(chunks):
                mf = max(mf, lag_step_finish(L, cost_t, ch * lanes, rows[i] + ch * lanes, d))
    else:
        for i in range(k):
            bn = b + 1
            if i >= depth:
                bn = max(bn, ring[(i - depth) & mask])
            d = min(bn - b, cap)
            b = bn
            ms = 0
            for ch in range(chunks):
                ms = max(ms, lag_step_start(L, cost_t, ch * lanes, rows[i] + ch * lanes, d))
            ring[i & mask] = b + ms
    top = 1
    for p in range(Pw):
        top = max(top, np.int64(L[p]))
    return b + top, b + 1 - k


def ring_size(depth: int) -> int:
    """The queue ring of :func:`eie_product`: the smallest power of two above ``depth``."""
    return 1 << int(depth).bit_length()


@jit
def eie_matvecs_kernel(cost_t, cols, starts, depth, cap, lanes, nring, out):
    """Products given as column lists: cols[starts[v]:starts[v + 1]] is product v's broadcast order;
    out (V, 2) int64 receives per product [cycles, broadcast stall cycles]."""
    Pw = cost_t.shape[1]
    L = np.zeros(Pw, dtype=cost_t.dtype)
    ring = np.zeros(nring, dtype=np.int64)
    rows = cols * Pw
    for v in range(starts.shape[0] - 1):
        a = starts[v]
        cyc, st = eie_product(cost_t, rows[a:], starts[v + 1] - a, depth, cap, lanes, L, ring)
        out[v, 0] = cyc
        out[v, 1] = st


@jit
def eie_conv_kernel(xp, c0, Cg, R, S, E, F, sh, sw, dh, dw, dense, cost_t, depth, cap, lanes, nring, cycles):
    """Every product of one group of a conv (or FC: the 1x1 case) layer lowered to columns (c, r, s), read
    straight from the input, never materialized.  xp : (N, C, Hp, Wp) uint8 non-zero mask of the padded
    input; the group's channels are c0 .. c0 + Cg - 1.  Output (n, e, f) reads tap (r, s) of channel c at
    row e*sh + r*dh, column f*sw + s*dw of xp; the product broadcasts its non-zero taps (``dense``: every
    tap, padding included) in column order j = (c*R + r)*S + s.  cost_t, cap, lanes: as
    :func:`eie_product` (at least one PE).  cycles : (N*E*F,) int64 receives each product's cycles,
    ordered (n, e, f).  Returns the broadcast stall cycles of all products."""
    N = cycles.shape[0] // max(E * F, 1)
    J = Cg * R * S
    Pw = cost_t.shape[1]
    rows = np.empty(max(J, 1), dtype=np.int64)
    L = np.zeros(Pw, dtype=cost_t.dtype)
    ring = np.zeros(nring, dtype=np.int64)
    for j in range(J):
        rows[j] = j * Pw
    stalls = 0
    v = 0
    Hp, Wp = xp.shape[2], xp.shape[3]
    xf = xp.reshape(-1)
    tap = np.empty(max(J, 1), dtype=np.int64)   # flat offset of tap j from its window's corner
    for c in range(Cg):
        for r in range(R):
            for s in range(S):
                tap[(c * R + r) * S + s] = (c * Hp + r * dh) * Wp + s * dw
    for n in range(N):
        for e in range(E):
            for q in range(F):
                k = J
                if not dense:
                    corner = ((n * xp.shape[1] + c0) * Hp + e * sh) * Wp + q * sw
                    k = 0
                    for j in range(J):  # branch-free append of the non-zero taps
                        rows[k] = j * Pw
                        k += np.int64(xf[corner + tap[j]])
                cyc, st = eie_product(cost_t, rows, k, depth, cap, lanes, L, ring)
                cycles[v] = cyc
                stalls += st
                v += 1
    return stalls


@jit
def eie_tap_counts(xp, c0, Cg, R, S, E, F, sh, sw, dh, dw, hist, taps):
    """Non-zero taps of one group, counted without visiting every (product, tap) pair (notation of
    :func:`eie_conv_kernel`): hist (Cg*R*S,) int64 += the products reading a non-zero at column (c, r, s)
    (row sums over f first, then over e); taps (N*E*F,) int64 <- each product's non-zero taps (channel
    sums first, then the window), unless taps is empty.  A row sum over f is the difference of two
    running sums along the row's stride-sw chains (Q[x] = xp[x] + Q[x - sw])."""
    N, Hp, Wp = xp.shape[0], xp.shape[2], xp.shape[3]
    A = np.zeros((Hp, S), dtype=np.int64)
    chs = np.zeros((Hp, Wp), dtype=np.int64)
    Q = np.zeros(Wp, dtype=np.int64)
    for n in range(N):
        for y in range(Hp):
            for x in range(Wp):
                chs[y, x] = 0
        for c in range(Cg):
            for y in range(Hp):
                for x in range(Wp):
                    Q[x] = np.int64(xp[n, c0 + c, y, x]) + (Q[x - sw] if x >= sw else 0)
                for s in range(S):  # sum over q < F of xp[.., q*sw + s*dw]
                    x0 = s * dw
                    A[y, s] = Q[x0 + (F - 1) * sw] - (Q[x0 - sw] if x0 >= sw else 0)
                if taps.shape[0]:
                    for x in range(Wp):
                        chs[y, x] += np.int64(xp[n, c0 + c, y, x])
            for r in range(R):
                for s in range(S):
                    a = 0
                    for e in range(E):
                        a += A[e * sh + r * dh, s]
                    hist[(c * R + r) * S + s] += a
        for e in range(E if taps.shape[0] else 0):
            for q in range(F):
                a = 0
                for r in range(R):
                    for s in range(S):
                        a += chs[e * sh + r * dh, q * sw + s * dw]
                taps[(n * E + e) * F + q] = a


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


def queue_costs(cost: np.ndarray, depth: int, dtype=None) -> tuple[np.ndarray, int, int]:
    """(cost_t, cap, lanes) for the kernels from a (P, J) cost matrix (every cost >= 1): the PEs whose
    columns do not all cost one cycle, transposed to (J, P') in the narrowest lag type (``dtype`` forces
    one, for tests), P' padded to whole vectors with zero costs (module docstring)."""
    keep = cost[(cost != 1).any(axis=1)]
    lagmax = (max(depth, 0) + 1) * int(keep.max(initial=0))
    if dtype is None:
        dtype = next(t for t in (np.int8, np.int16, np.int32, np.int64) if lagmax < np.iinfo(t).max)
    assert lagmax < np.iinfo(dtype).max
    lanes = VECTOR_LANES
    pw = -(-keep.shape[0] // lanes) * lanes
    cost_t = np.zeros((cost.shape[1], pw), dtype=dtype)
    cost_t[:, :keep.shape[0]] = keep.T
    return cost_t, lagmax + 1, lanes


def eie_matvecs(cost: np.ndarray, cols: np.ndarray, starts: np.ndarray, depth: int, dtype=None) -> np.ndarray:
    """Wrapper: cost (P, J); returns (V, 3) int64 [cycles, stall cycles, busy PE-cycles] of the products
    cols[starts[v]:starts[v + 1]] (``dtype``: see :func:`queue_costs`)."""
    cost = np.asarray(cost, dtype=np.int64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    assert cost.ndim == 2 and starts.ndim == 1 and starts.size >= 1 and depth >= 0
    assert cols.size == 0 or (cols.min() >= 0 and cols.max() < cost.shape[1])
    assert cost.size == 0 or cost.min() >= 1
    out = np.zeros((starts.size - 1, 3), dtype=np.int64)
    cost_t, cap, lanes = queue_costs(cost, depth, dtype)
    res = np.zeros((starts.size - 1, 2), dtype=np.int64)
    eie_matvecs_kernel(cost_t, cols, starts, int(depth), cap, lanes, ring_size(depth), res)
    out[:, :2] = res
    cum = np.concatenate([[0], np.cumsum(cost.sum(axis=0)[cols])])
    out[:, 2] = cum[starts[1:]] - cum[starts[:-1]]
    return out


__all__ = ["eie_conv_kernel", "eie_matvecs", "eie_matvecs_kernel", "eie_pe_columns_kernel", "eie_product",
           "eie_tap_counts", "queue_costs", "ring_size"]
