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

from accelsim.kernels._jit import jit

# columns of the per-unit output array
U_L, U_P, U_LEAF_ADDS, U_AGG_ADDS, U_MULTS, U_NODES, U_CYCLES, U_FILTERS, U_NCOLS = range(9)


@jit
def ucnn_units_kernel(ranks, zero_rank, n_ranks, G, Ct, out, out_f):
    """ranks : (Gc, Mg, Cg, RS) int64, each weight's rank among the layer's distinct 16-bit codes;
    zero_rank : the rank of code 0 (or -1 when no weight is zero); n_ranks : distinct codes;
    out : (Gc, FG, T, U_NCOLS) int64; out_f : (Gc, FG, T, G, 2) int64 (mults_j, nnz_j) -- overwritten."""
    Gc, Mg, Cg, RS = ranks.shape
    FG = (Mg + G - 1) // G
    T = (Cg + Ct - 1) // Ct
    Lmax = Ct * RS
    pos = np.empty(Lmax, dtype=np.int64)      # kept positions (channel * RS + tap, within the tile)
    ids = np.empty(Lmax, dtype=np.int64)      # node id of each kept position at the current level
    nzp = np.empty(Lmax, dtype=np.uint8)      # prefix so far has a non-zero entry
    key = np.empty(Lmax, dtype=np.int64)
    newids = np.empty(Lmax, dtype=np.int64)
    for g in range(Gc):
        for fg in range(FG):
            f0 = fg * G
            nf = min(G, Mg - f0)
            for t in range(T):
                c0 = t * Ct
                nc = min(Ct, Cg - c0)
                L = nc * RS
                # nnz per filter and the kept positions
                P = 0
                for j in range(nf):
                    cnt = 0
                    for q in range(L):
                        if ranks[g, f0 + j, c0 + q // RS, q % RS] != zero_rank:
                            cnt += 1
                    out_f[g, fg, t, j, 1] = cnt
                    out_f[g, fg, t, j, 0] = 0
                for j in range(nf, G):
                    out_f[g, fg, t, j, 0] = 0
                    out_f[g, fg, t, j, 1] = 0
                for q in range(L):
                    keep = False
                    for j in range(nf):
                        if ranks[g, f0 + j, c0 + q // RS, q % RS] != zero_rank:
                            keep = True
                            break
                    if keep:
                        pos[P] = q
                        ids[P] = 0
                        nzp[P] = 0
                        P += 1
                mults = 0
                nodes = 0
                agg = 0
                prev_needed = 0  # N_{j-1}
                n_last = 0
                for j in range(nf):
                    for i in range(P):
                        q = pos[i]
                        key[i] = ids[i] * n_ranks + ranks[g, f0 + j, c0 + q // RS, q % RS]
                    order = np.argsort(key[:P])
                    nid = -1
                    last = -1
                    needed_j = 0
                    parent_nz_j = 0
                    mults_j = 0
                    for k in range(P):
                        i = order[k]
                        if k == 0 or key[i] != last:
                            nid += 1
                            last = key[i]
                            q = pos[i]
                            wnz = ranks[g, f0 + j, c0 + q // RS, q % RS] != zero_rank
                            if nzp[i]:
                                parent_nz_j += 1
                            if nzp[i] or wnz:
                                needed_j += 1
                            if wnz:
                                mults_j += 1
                        newids[i] = nid
                    for i in range(P):
                        q = pos[i]
                        ids[i] = newids[i]
                        if ranks[g, f0 + j, c0 + q // RS, q % RS] != zero_rank:
                            nzp[i] = 1
                    if j > 0:
                        agg += parent_nz_j - prev_needed
                    prev_needed = needed_j
                    nodes += needed_j
                    mults += mults_j
                    out_f[g, fg, t, j, 0] = mults_j
                    n_last = nid + 1 if P > 0 else 0
                leaf = P - n_last
                o = out[g, fg, t]
                o[U_L] = L
                o[U_P] = P
                o[U_LEAF_ADDS] = leaf
                o[U_AGG_ADDS] = agg
                o[U_MULTS] = mults
                o[U_NODES] = nodes
                o[U_CYCLES] = max(P + agg, mults) if P > 0 else 0
                o[U_FILTERS] = nf


def weight_ranks(codes: np.ndarray) -> tuple[np.ndarray, int, int]:
    """(ranks of the codes' shape, rank of zero or -1, number of distinct codes)."""
    u, inv = np.unique(codes, return_inverse=True)
    z = np.searchsorted(u, 0)
    zero_rank = int(z) if z < len(u) and u[z] == 0 else -1
    return inv.reshape(codes.shape).astype(np.int64), zero_rank, int(len(u))


def ucnn_units(codes: np.ndarray, G: int, Ct: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit work of a layer's integer weight codes ``(groups, Mg, Cg, R*S)``.

    Returns ``out`` (groups, FG, T, U_NCOLS) and ``out_f`` (groups, FG, T, G, 2) as described in the
    module docstring (FG = ceil(Mg / G) filter groups, T = ceil(Cg / Ct) channel tiles)."""
    assert codes.ndim == 4 and G >= 1 and Ct >= 1
    ranks, zr, n = weight_ranks(np.ascontiguousarray(codes))
    Gc, Mg, Cg, RS = codes.shape
    FG = -(-Mg // G)
    T = -(-Cg // Ct)
    out = np.zeros((Gc, FG, T, U_NCOLS), dtype=np.int64)
    out_f = np.zeros((Gc, FG, T, G, 2), dtype=np.int64)
    ucnn_units_kernel(ranks, zr, max(n, 1), G, Ct, out, out_f)
    return out, out_f


__all__ = ["ucnn_units", "weight_ranks", "U_L", "U_P", "U_LEAF_ADDS", "U_AGG_ADDS", "U_MULTS", "U_NODES",
           "U_CYCLES", "U_FILTERS", "U_NCOLS"]
