"""The bank-conflict cost of SCNN's multiplier blocks, for the kernel of kernels/scnn.py (read its
docstring first): vector passes over activation chunks ("lanes") for one phase's weight chunks, and the
per-product path.

A lane's activations have distinct residues a (mod banks) in the first mask layer; weight t of a chunk
adds the lane's mask (restricted to the activations whose product with t lands on an output) rotated
by its residue w_t, into a bit-sliced counter per bank; a block costs max(1, largest count).
"""
from __future__ import annotations

import numpy as np

from accelsim.kernels._jit import jit


@jit
def _vector_pass(RM, CM, l0, l1, wres, wR, wS, w0, w1, Fw, banks, S0, S1, S2, cost):
    """Add to cost[l0:l1] the cycles of every block (activation chunk l, weight chunk) of one phase, the
    weights w0..w1 in chunks of Fw; lane l's valid-activation masks per weight row / column are
    RM[R, l], CM[S, l] (bit = the activation's residue).  The lane loops run over views from 0 (a loop
    from l0 keeps numba's negative-index check and is not vectorized: 10x slower)."""
    bk = np.uint64(banks)
    full = np.uint64(0xFFFFFFFFFFFFFFFF) if banks == 64 else (np.uint64(1) << bk) - np.uint64(1)
    zero = np.uint64(0)
    s0v = S0[l0:l1]
    s1v = S1[l0:l1]
    s2v = S2[l0:l1]
    cv = cost[l0:l1]
    n = l1 - l0
    for j0 in range(w0, w1, Fw):
        j1 = min(w1, j0 + Fw)
        if j1 - j0 == 1:   # one weight: at most one product per bank (distinct residues), one cycle
            for l in range(n):
                cv[l] += 1
            continue
        for t in range(j0, j1):
            sl = np.uint64(wres[t])
            sr = bk - sl if sl != zero else zero   # rotation by 0: (m << 0) | (m >> 0) = m
            rv = RM[wR[t], l0:l1]
            cmv = CM[wS[t], l0:l1]
            if t == j0:
                for l in range(n):
                    m = rv[l] & cmv[l]
                    s0v[l] = ((m << sl) | (m >> sr)) & full
                    s1v[l] = zero
                    s2v[l] = zero
            else:
                for l in range(n):
                    m = rv[l] & cmv[l]
                    m = ((m << sl) | (m >> sr)) & full
                    s0 = s0v[l]
                    c0 = s0 & m
                    s0v[l] = s0 ^ m
                    s1 = s1v[l]
                    s1v[l] = s1 ^ c0
                    s2v[l] = s2v[l] | (s1 & c0)
        for l in range(n):   # the largest 3-bit count over banks: most significant slice first, no branches
            s2 = s2v[l]
            s1 = s1v[l]
            s0 = s0v[l]
            h2 = np.uint64(s2 != zero)
            m2 = zero - h2                       # all ones when some bank counts >= 4
            cand = (s2 & m2) | (full & ~m2)
            x = cand & s1
            h1 = np.uint64(x != zero)
            m1 = zero - h1
            cand = (x & m1) | (cand & ~m1)
            h0 = np.uint64((cand & s0) != zero)
            mx = np.int64((h2 << np.uint64(2)) | (h1 << np.uint64(1)) | h0)
            cv[l] += mx if mx > 1 else 1


@jit
def _vector_pass2(RM, CM, l0, l1, wres, wR, wS, w0, w1, Fw, banks, S0, S1, S2, S3, cost):
    """As :func:`_vector_pass` for chunks in which two activations share a residue: the first of each
    residue in layer 0 (RM[0], CM[0]), the second in layer 1; a 4-bit counter (counts up to 2 F <= 14)."""
    bk = np.uint64(banks)
    full = np.uint64(0xFFFFFFFFFFFFFFFF) if banks == 64 else (np.uint64(1) << bk) - np.uint64(1)
    zero = np.uint64(0)
    s0v = S0[l0:l1]
    s1v = S1[l0:l1]
    s2v = S2[l0:l1]
    s3v = S3[l0:l1]
    cv = cost[l0:l1]
    n = l1 - l0
    for j0 in range(w0, w1, Fw):
        j1 = min(w1, j0 + Fw)
        for l in range(n):
            s0v[l] = zero
            s1v[l] = zero
            s2v[l] = zero
            s3v[l] = zero
        for t in range(j0, j1):
            sl = np.uint64(wres[t])
            sr = bk - sl if sl != zero else zero
            for layer in range(2):
                rv = RM[layer, wR[t], l0:l1]
                cmv = CM[layer, wS[t], l0:l1]
                for l in range(n):
                    m = rv[l] & cmv[l]
                    m = ((m << sl) | (m >> sr)) & full
                    s0 = s0v[l]
                    c0 = s0 & m
                    s0v[l] = s0 ^ m
                    s1 = s1v[l]
                    c1 = s1 & c0
                    s1v[l] = s1 ^ c0
                    s2 = s2v[l]
                    s2v[l] = s2 ^ c1
                    s3v[l] = s3v[l] | (s2 & c1)
        for l in range(n):   # the largest 4-bit count, most significant slice first, no branches
            x = s3v[l]
            h3 = np.uint64(x != zero)
            mh = zero - h3
            cand = (x & mh) | (full & ~mh)
            x = cand & s2v[l]
            h2 = np.uint64(x != zero)
            mh = zero - h2
            cand = (x & mh) | (cand & ~mh)
            x = cand & s1v[l]
            h1 = np.uint64(x != zero)
            mh = zero - h1
            cand = (x & mh) | (cand & ~mh)
            h0 = np.uint64((cand & s0v[l]) != zero)
            mx = np.int64((h3 << np.uint64(3)) | (h2 << np.uint64(2)) | (h1 << np.uint64(1)) | h0)
            cv[l] += mx if mx > 1 else 1


@jit
def _lane_cost(a0, a1, aY, aX, ares, w0, w1, wres, wR, wS, Fw, E, Fo, banks, hist, touched):
    """Cycles of activation chunk a0..a1 against the weights w0..w1 (chunks of Fw), product by product."""
    total = 0
    for j0 in range(w0, w1, Fw):
        j1 = min(w1, j0 + Fw)
        worst = 0
        nt = 0
        for i in range(a0, a1):
            Y = aY[i]
            X = aX[i]
            a = ares[i]
            for t in range(j0, j1):
                ey = Y - wR[t]
                fx = X - wS[t]
                if ey < 0 or fx < 0 or ey >= E or fx >= Fo:
                    continue
                b = a + wres[t]
                if b >= banks:
                    b -= banks
                h = hist[b] + 1
                hist[b] = h
                touched[nt] = b   # a bank may be listed twice: cleared twice
                nt += 1
                if h > worst:
                    worst = h
        for tb in range(nt):
            hist[touched[tb]] = 0
        total += worst if worst > 1 else 1
    return total


__all__ = ["_vector_pass", "_vector_pass2", "_lane_cost"]
