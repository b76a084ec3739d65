"""numba kernel of UCNN's per-tile work (see accelsim/accelerators/ucnn.py for the model it serves).

A *unit* is one filter group (G filters, fewer for the last group) x one channel tile (Ct channels,
fewer for the last tile) x the R*S taps: L = channels * R * S weight positions per filter.  Its work
per output position depends only on the weights, so it is computed once per unit and scaled by the
number of output positions by the model.

The hierarchy (UCNN's activation group reuse; G = 1 is plain dot-product factorization):
a position p carries the weight tuple (w_1(p), ..., w_G(p)) of the group's filters.  Level j groups the
positions by their prefix (w_1..w_j); a level-j *node* is one distinct prefix.  Positions whose whole
tuple is zero are skipped (never in the input indirection table).  A node is *needed* when its prefix
has a non-zero entry (some filter i <= j multiplies the sum of an ancestor-or-self); all level-G nodes
of the kept positions are needed.  Then, per output position:

* iiT entries P = kept positions; each fetches one input and adds it into its level-G (leaf) sum:
  ``leaf_adds = P - nodes_G`` (the first input of a leaf starts the sum);
* aggregation: a needed level-j node (j < G) sums its children: ``agg_adds = sum_j (C_{j+1} - N_j)``,
  N_j = needed level-j nodes, C_{j+1} = level-(j+1) nodes whose level-j prefix is non-zero;
* filter j multiplies each level-j node whose w_j != 0 once: ``mults_j``; ``mults = sum_j mults_j``;
* ``nnz_j`` = non-zero weights of filter j in the tile (so skipped_j = L - nnz_j, reused_j =
  nnz_j - mults_j >= 0, since every multiplied node holds at least one of filter j's non-zeros);
* cycles = max(P + agg_adds, mults): the input adder takes one iiT entry or one aggregation per cycle;
  the multiplier (with its accumulate adder) one product per cycle, pipelined beside it; 0 if P = 0.
"""
from __future__ import annotations

import numpy as np

from accelsim import fixedpoint
from accelsim.kernels._jit import jit
from accelsim.kernels.fixed import _frac_bits, nonzero_u8  # noqa: F401  (nonzero_u8: re-exported)

# columns of the per-unit output array
U_L, U_P, U_LEAF_ADDS, U_AGG_ADDS, U_MULTS, U_NODES, U_CYCLES, U_FILTERS, U_NCOLS = range(9)


@jit
def ucnn_units_kernel(keys, zero_key, n_keys, Lt, G, out, out_f):
    """keys : (Gc, Mg, Cg * R * S) int64, C-contiguous: each weight's key in [0, n_keys), equal keys <=>
    equal codes; zero_key : the key of code 0 (or -1 when no weight is zero); Lt = Ct * R * S, the weight
    positions of a full channel tile; out : (Gc, FG, T, U_NCOLS) int64; out_f : (Gc, FG, T, G, 2) int64
    (mults_j, nnz_j) -- both overwritten.

    Linear time per unit: level j's nodes are found by visiting the kept positions grouped by their
    level-(j-1) node (a counting sort by node id) and, inside one parent, telling keys apart with a stamp
    array over the keys (a generation counter, so it is never cleared).  Only the number of nodes of each
    kind is counted, which does not depend on how nodes are numbered."""
    Gc, Mg, CL = keys.shape
    FG = out.shape[1]
    T = out.shape[2]
    pos = np.empty(Lt, dtype=np.int64)      # kept positions (offset within the tile)
    ids = np.empty(Lt, dtype=np.int64)      # node of each kept position at the current level
    nzp = np.empty(Lt, dtype=np.uint8)      # the position's prefix so far has a non-zero entry
    order = np.empty(Lt, dtype=np.int64)    # kept positions grouped by node
    cnt = np.empty(Lt + 1, dtype=np.int64)
    stamp = np.full(n_keys, -1, dtype=np.int64)
    slot = np.empty(n_keys, dtype=np.int64)
    gen = 0
    for g in range(Gc):
        for fg in range(FG):
            f0 = fg * G
            nf = min(G, Mg - f0)
            for t in range(T):
                b0 = t * Lt
                L = min(Lt, CL - b0)
                for j in range(G):
                    out_f[g, fg, t, j, 0] = 0
                    out_f[g, fg, t, j, 1] = 0
                if nf == 1:              # G = 1: one level, one parent: P = nnz, mults = distinct non-zero
                    row = keys[g, f0]
                    gen += 1
                    P = 0
                    mults = 0
                    for q in range(b0, b0 + L):   # branch-free: zeros are ~half the weights, at random
                        r = row[q]
                        nz = r != zero_key
                        new = stamp[r] != gen
                        stamp[r] = gen
                        P += nz
                        mults += nz & new
                    out_f[g, fg, t, 0, 0] = mults
                    out_f[g, fg, t, 0, 1] = P
                    o = out[g, fg, t]
                    o[U_L] = L
                    o[U_P] = P
                    o[U_LEAF_ADDS] = P - mults
                    o[U_AGG_ADDS] = 0
                    o[U_MULTS] = mults
                    o[U_NODES] = mults
                    o[U_CYCLES] = max(P, mults)
                    o[U_FILTERS] = 1
                    continue
                # kept positions (non-zero in some filter) and nnz per filter
                P = 0
                for q in range(L):
                    keep = False
                    for j in range(nf):
                        if keys[g, f0 + j, b0 + q] != zero_key:
                            out_f[g, fg, t, j, 1] += 1
                            keep = True
                    if keep:
                        pos[P] = q
                        ids[P] = 0
                        nzp[P] = 0
                        order[P] = P
                        P += 1
                mults = 0
                nodes = 0
                agg = 0
                prev_needed = 0   # N_{j-1}
                n_nodes = 0       # nodes of the current level
                for j in range(nf):
                    row = keys[g, f0 + j]
                    nid = 0
                    needed_j = 0
                    parent_nz_j = 0
                    mults_j = 0
                    k = 0
                    while k < P:                 # one parent node at a time
                        gen += 1
                        par = ids[order[k]]
                        while k < P and ids[order[k]] == par:
                            i = order[k]
                            r = row[b0 + pos[i]]
                            if stamp[r] != gen:  # a new child (prefix + this weight)
                                stamp[r] = gen
                                slot[r] = nid
                                nid += 1
                                wnz = r != zero_key
                                if nzp[i]:
                                    parent_nz_j += 1
                                if nzp[i] or wnz:
                                    needed_j += 1
                                if wnz:
                                    mults_j += 1
                            cnt[i] = slot[r]     # new id (cnt doubles as scratch here)
                            k += 1
                    for i in range(P):
                        ids[i] = cnt[i]
                        if row[b0 + pos[i]] != zero_key:
                            nzp[i] = 1
                    if j + 1 < nf and P > 0:    # group positions by their new node for the next level
                        for v in range(nid + 1):
                            cnt[v] = 0
                        for i in range(P):
                            cnt[ids[i] + 1] += 1
                        for v in range(nid):
                            cnt[v + 1] += cnt[v]
                        for i in range(P):
                            order[cnt[ids[i]]] = i
                            cnt[ids[i]] += 1
                    if j > 0:
                        agg += parent_nz_j - prev_needed
                    prev_needed = needed_j
                    nodes += needed_j
                    mults += mults_j
                    out_f[g, fg, t, j, 0] = mults_j
                    n_nodes = nid
                o = out[g, fg, t]
                o[U_L] = L
                o[U_P] = P
                o[U_LEAF_ADDS] = P - n_nodes
                o[U_AGG_ADDS] = agg
                o[U_MULTS] = mults
                o[U_NODES] = nodes
                o[U_CYCLES] = max(P + agg, mults) if P > 0 else 0
                o[U_FILTERS] = nf


# a code span up to this many values is keyed by offset (no sort); wider spans are ranked with np.unique
_MAX_KEY_SPAN = 1 << 20


def weight_keys(codes: np.ndarray) -> tuple[np.ndarray, int, int]:
    """(int64 keys of the codes' shape, key of code 0 or -1, number of keys): equal keys <=> equal codes.
    Keys are ``code - min`` when the codes span at most 2**20 values (16-bit codes: one subtraction),
    else ranks among the distinct codes."""
    codes = np.asarray(codes)
    if codes.size == 0:
        return np.zeros(codes.shape, dtype=np.int64), -1, 1
    lo, hi = int(codes.min()), int(codes.max())
    if hi - lo < _MAX_KEY_SPAN:
        keys = np.subtract(codes, lo, dtype=np.int64)
        return keys, (-lo if lo <= 0 <= hi else -1), hi - lo + 1
    return weight_ranks(codes)


def weight_ranks(codes: np.ndarray) -> tuple[np.ndarray, int, int]:
    """(ranks of the codes' shape, rank of zero or -1, number of distinct codes)."""
    u, inv = np.unique(codes, return_inverse=True)
    z = np.searchsorted(u, 0)
    zero_rank = int(z) if z < len(u) and u[z] == 0 else -1
    return inv.reshape(codes.shape).astype(np.int64), zero_rank, int(len(u))


@jit
def _quantized_keys_kernel(x, scale, lim, keys, seen):
    """keys[i] = clip(rint(x[i] * scale), -lim - 1, lim) + lim + 1 (fixedpoint.quantize's code, offset to
    [0, 2 lim + 2)); returns the number of distinct non-zero codes (seen : (2 lim + 2,) uint8 zeros).
    Two branch-free passes (the first vectorizes; then a scatter into ``seen``)."""
    zero_key = lim + 1
    lo = np.float64(-lim - 1)
    hi = np.float64(lim)
    for i in range(x.shape[0]):
        c = np.rint(np.float64(x[i]) * scale)
        keys[i] = np.int32(min(max(c, lo), hi)) + zero_key
    for i in range(x.shape[0]):
        seen[keys[i]] = 1
    n = 0
    for k in range(seen.shape[0]):
        n += seen[k]
    return n - seen[zero_key]


# 16-bit codes (and up to this width) are keyed in one pass from the float weights
_MAX_FUSED_BITS = 20


def quantized_weight_keys(w: np.ndarray, bits: int) -> tuple[tuple[np.ndarray, int, int], int]:
    """((keys, zero key, number of keys), U) of float weights on a ``bits``-wide datapath: equal keys <=>
    equal codes of ``fixedpoint.quantize(w, bits)``, U = distinct non-zero codes.  Up to 20 bits, key =
    code + 2**(bits-1), computed in one pass with the same binary point, rounding (half to even) and
    clipping, and no float64 copy; wider words fall back to fixedpoint.quantize + :func:`weight_keys`."""
    if bits > _MAX_FUSED_BITS or w.size == 0 or w.dtype.kind != "f":
        codes, _ = fixedpoint.quantize(w, bits)
        keyed = weight_keys(codes)
        return keyed, distinct_nonzero(*keyed)
    flat = np.ascontiguousarray(w).reshape(-1)
    f = _frac_bits(flat, bits)
    lim = (1 << (bits - 1)) - 1
    keys = np.empty(flat.shape[0], dtype=np.int32)
    seen = np.zeros(2 * lim + 2, dtype=np.uint8)
    u = _quantized_keys_kernel(flat, 2.0 ** f, lim, keys, seen)
    return (keys.reshape(w.shape), lim + 1, 2 * lim + 2), int(u)


@jit
def _distinct_nonzero_kernel(keys, zero_key, n_keys):
    seen = np.zeros(n_keys, dtype=np.uint8)
    n = 0
    for i in range(keys.shape[0]):
        k = keys[i]
        if k != zero_key and not seen[k]:
            seen[k] = 1
            n += 1
    return n


def distinct_nonzero(keys: np.ndarray, zero_key: int, n_keys: int) -> int:
    """Number of distinct non-zero codes (U) given :func:`weight_keys`' output."""
    return int(_distinct_nonzero_kernel(np.ascontiguousarray(keys).reshape(-1), zero_key, max(n_keys, 1)))


def ucnn_units(codes: np.ndarray, G: int, Ct: int, keyed: tuple[np.ndarray, int, int] | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit work of a layer's integer weight codes ``(groups, Mg, Cg, R*S)``.

    Returns ``out`` (groups, FG, T, U_NCOLS) and ``out_f`` (groups, FG, T, G, 2) as described in the
    module docstring (FG = ceil(Mg / G) filter groups, T = ceil(Cg / Ct) channel tiles).  ``keyed`` may
    pass :func:`weight_keys` of the codes when the caller already has it."""
    assert codes.ndim == 4 and G >= 1 and Ct >= 1
    Gc, Mg, Cg, RS = codes.shape
    keys, zk, n = weight_keys(codes) if keyed is None else keyed
    if keys.dtype not in (np.int32, np.int64):
        keys = keys.astype(np.int64)
    keys = np.ascontiguousarray(keys).reshape(Gc, Mg, Cg * RS)
    FG = -(-Mg // G)
    T = -(-Cg // Ct)
    out = np.zeros((Gc, FG, T, U_NCOLS), dtype=np.int64)
    out_f = np.zeros((Gc, FG, T, G, 2), dtype=np.int64)
    ucnn_units_kernel(keys, zk, max(n, 1), min(Ct, max(Cg, 1)) * RS, G, out, out_f)
    return out, out_f


__all__ = ["ucnn_units", "weight_keys", "quantized_weight_keys", "nonzero_u8", "weight_ranks", "distinct_nonzero", "U_L", "U_P", "U_LEAF_ADDS", "U_AGG_ADDS", "U_MULTS", "U_NODES",
           "U_CYCLES", "U_FILTERS", "U_NCOLS"]
