"""numba kernel of SCNN's PT-IS-CP-sparse work for a batch of images and one group (model: accelerators/scnn.py).

Per output-channel group (Kc filters) and input channel c, every PE forms the Cartesian product of its
non-zero activations of channel c (its planar tile, I at a time) and the group's non-zero weights of
channel c (F at a time).  Activations and weights are split by stride phase first (an activation at
padded row y + pad_top meets only weight rows r with (y + pad_top - r*dil) divisible by the stride), so
only products that can land on an output are formed.  Activations are listed row-major within the
PE's tile, the weights of (group, channel) in (r, s, filter) order, filter fastest, so one weight vector
holds F filters of one tap (distinct outputs).  A block of <= F x I products costs
max(1, most products sent to one accumulator bank) cycles when bank conflicts are modelled, else 1.
A product whose output falls outside the layer's output plane is formed and dropped (it occupies its
multiplier).  PEs meet at a barrier after each (group, channel): that step costs the slowest PE.

stats (int64, 8): [products formed, valid products (= executed MACs), weight-FIFO reads, activation reads,
bank-conflict stall cycles, PE busy cycles, idle PE-cycles at barriers, unused].

How the kernel gets the bank rule fast (exactly; tests/reference/scnn_ref.py is the per-product rule):

* the bank of a product is a sum of an activation term and a weight term.  Within a stride phase an
  activation sits at padded (sh Y + qh, sw X + qw) and a weight tap at (sh R + qh, sw S + qw) (dilation
  folded in), so the product's output is (Y - R, X - S) and its bank (:func:`bank_of`)
  (X - S + I k + I F (Y - R)) mod banks = (a + w) mod banks with a = (X + I F Y) mod banks per activation
  and w = (I k - S - I F R) mod banks per weight;
* a block of I activations with distinct residues a is a bit mask of banks; weight t of the block adds
  that mask rotated by w_t (restricted to the activations whose product with t lands in the output plane:
  per activation chunk one mask per weight row R and one per weight column S, ANDed), and a 3-bit
  bit-sliced counter per bank adds the F rotated masks; the block's cost is the largest count.  The loop
  over the activation chunks of all PEs and images for one weight is plain integer vector code;
* a chunk in which two activations share a residue keeps the second one in a second mask layer and
  takes a 4-bit counter (``scnn_banks._vector_pass2``, its own compact list of chunks); a chunk with
  three on one residue, and every chunk when banks > 64 or F > 7 (counts above 7), takes the
  per-product histogram path (``scnn_banks._lane_cost``); a chunk of one weight costs one cycle;
* masks are uint32 when banks <= 32 (twice the lanes per vector instruction), else uint64;
* formed products, FIFO and activation reads are closed forms of the chunk sizes; a PE's stall cycles are
  its block costs minus its block count; valid products (for every bank setting) are, per activation,
  the non-zero weights of its channel on the taps that put it on an output (2-D prefix sums over taps).

Weights are listed once per (channel, group) for all images of the batch.  Memory is O(images x plane)
for one channel's lists, not O(layer).
"""
from __future__ import annotations

import numpy as np

from accelsim import fixedpoint
from accelsim.kernels._jit import jit
from accelsim.kernels.scnn_banks import _lane_cost, _vector_pass, _vector_pass2

ST_FORMED, ST_VALID, ST_WREADS, ST_AREADS, ST_CONFLICT, ST_BUSY, ST_IDLE, ST_ACC = range(8)
#: the bit-sliced per-bank counter has 3 bits: a block's count per bank is at most F (distinct residues)
VEC_MAX_F = 7
VEC_MAX_BANKS = 64
#: lanes per vector pass (8 arrays of 8 bytes per lane: 32 KB)
LANE_BLOCK = 512


@jit
def bank_of(k, e, f, F, I, banks):
    """Accumulator bank of output (k, e, f) = (f + I k + I F e) mod banks: an assumption (the paper does not
    publish its hash).  A block of I activations consecutive in a row times F consecutive filters lands in
    I x F distinct banks, the next output row in the next I x F.  Sparse data breaks these patterns, and
    a block of F x I products then often sends two to one bank.  (A second hash tried, k mod F + F (f mod
    I) + F I e, conflicted more on AlexNet: 12.7 M against 9.1 M stall cycles in conv2, batch 4.)"""
    return (f + I * k + I * F * e) % banks


@jit
def scnn_kernel(A, Wm, th, tw, gr, gc, sh, sw, dh, dw, pt, pl, E, Fo, I, Fw, banks, conflicts, kc,
                out_cycles, stats, proto, thr):
    """A : (N, C, H, W) activations, non-zero where |a| > thr (a uint8 mask with thr 0, or the float values
    with the fixed-point threshold); Wm : (M, C, R, S) uint8 non-zero weights;
    tiles of th x tw input positions on a gr x gc PE grid; out_cycles : (N, ceil(M/kc)) int64 (added to)."""
    N, C, H, W = A.shape
    M, _, R, S = Wm.shape
    P = gr * gc
    nph = sh * sw
    NP = N * P
    nR = ((R - 1) * dh) // sh + 1     # weight rows / columns after the phase split
    nS = ((S - 1) * dw) // sw + 1
    IF = I * Fw
    vec = conflicts and banks <= VEC_MAX_BANKS and Fw <= VEC_MAX_F
    ngroups = (M + kc - 1) // kc
    # one channel's activations, all images, listed per (phase, image, PE) in the tile's row-major order
    acap = N * H * W + 1
    aY = np.empty(acap, dtype=np.int64)
    aX = np.empty(acap, dtype=np.int64)
    ares = np.empty(acap, dtype=np.int64)
    a_ptr = np.zeros(nph * NP + 1, dtype=np.int64)
    # chunks of <= I activations ("lanes"): at most sum over (phase, PE) of ceil(positions / I), per image
    lcap = 1
    for q in range(nph):
        qh = q // sw
        qw = q % sw
        for p in range(P):
            y0 = (p // gc) * th
            x0 = (p % gc) * tw
            ny = 0
            for y in range(y0, min(H, y0 + th)):
                if (y + pt) % sh == qh:
                    ny += 1
            nx = 0
            for x in range(x0, min(W, x0 + tw)):
                if (x + pl) % sw == qw:
                    nx += 1
            lcap += N * ((ny * nx + I - 1) // I)
    if not conflicts:
        lcap = 1
    l_ptr = np.zeros(nph * NP + 1, dtype=np.int64)
    lane_a0 = np.zeros(lcap, dtype=np.int64)
    lane_a1 = np.zeros(lcap, dtype=np.int64)
    lane_pe = np.zeros(lcap, dtype=np.int64)      # the lane's (image, PE) list
    s_ptr = np.zeros(nph + 1, dtype=np.int64)     # chunks on the per-product path, per phase
    s_lane = np.zeros(lcap, dtype=np.int64)
    mcap = lcap if vec else 1
    RM = np.zeros((nR, mcap), dtype=proto.dtype)
    CM = np.zeros((nS, mcap), dtype=proto.dtype)
    S0 = np.zeros(mcap, dtype=proto.dtype)
    S1 = np.zeros(mcap, dtype=proto.dtype)
    S2 = np.zeros(mcap, dtype=proto.dtype)
    cost = np.zeros(lcap, dtype=np.int64)
    # chunks in which two activations share a residue (no three): two mask layers, their own compact list
    d_ptr = np.zeros(nph + 1, dtype=np.int64)
    d_lane = np.zeros(mcap, dtype=np.int64)
    DRM = np.zeros((2, nR, mcap), dtype=proto.dtype)
    DCM = np.zeros((2, nS, mcap), dtype=proto.dtype)
    S3 = np.zeros(mcap, dtype=proto.dtype)
    dcost = np.zeros(mcap, dtype=np.int64)
    layer = np.zeros(I, dtype=np.int64)
    # one (channel, group)'s weights, per phase, (r, s, filter) order
    wcap = min(M, kc) * R * S + 1
    wres = np.empty(wcap, dtype=np.int64)
    wR = np.empty(wcap, dtype=np.int64)
    wS = np.empty(wcap, dtype=np.int64)
    w_ptr = np.zeros(nph + 1, dtype=np.int64)
    # non-zero weights of a channel per (phase, R, S) over all filters, as 2-D prefix sums (valid products)
    tap = np.zeros((nph, nR + 1, nS + 1), dtype=np.int64)
    hist = np.zeros(max(banks, 1), dtype=np.int64)
    touched = np.zeros(max(IF, 1), dtype=np.int64)
    pe_cyc = np.zeros(NP, dtype=np.int64)
    q_na = np.zeros(nph, dtype=np.int64)    # per phase: activations listed, and chunks of I, over (image, PE)
    q_nab = np.zeros(nph, dtype=np.int64)
    one = np.uint64(1)
    bmask = banks - 1
    pow2 = (banks & bmask) == 0   # then "% banks" is "& (banks - 1)"
    for c in range(C):
        tap[:] = 0   # filled while the groups' weights are listed
        idx = 0
        lidx = 0
        didx = 0
        sidx = 0
        valid = 0
        for q in range(nph):
            qh = q // sw
            qw = q % sw
            d_ptr[q] = didx
            s_ptr[q] = sidx
            for n in range(N):
                for p in range(P):
                    kk = (q * N + n) * P + p
                    a_ptr[kk] = idx
                    l_ptr[kk] = lidx
                    y0 = (p // gc) * th
                    x0 = (p % gc) * tw
                    ys = y0 + ((qh - (y0 + pt) % sh) % sh + sh) % sh   # first row of the tile in phase qh
                    xs = x0 + ((qw - (x0 + pl) % sw) % sw + sw) % sw
                    for y in range(ys, min(H, y0 + th), sh):
                        Y = (y + pt) // sh
                        for x in range(xs, min(W, x0 + tw), sw):
                            X = (x + pl) // sw   # written always, kept when non-zero: no branch
                            aY[idx] = Y
                            aX[idx] = X
                            v = X + IF * Y
                            ares[idx] = (v & bmask) if pow2 else v % banks
                            a = A[n, c, y, x]
                            idx += np.int64((a > thr) | (a < -thr))
                    if conflicts:
                        for i0 in range(a_ptr[kk], idx, I):
                            i1 = min(idx, i0 + I)
                            lane_a0[lidx] = i0
                            lane_a1[lidx] = i1
                            lane_pe[lidx] = kk - q * NP
                            slow = not vec
                            if vec:
                                am = np.uint64(0)
                                am2 = np.uint64(0)
                                inner = True   # every product of the chunk lands on an output
                                for i in range(i0, i1):
                                    bit = one << np.uint64(ares[i])
                                    layer[i - i0] = 0
                                    if am & bit:
                                        if am2 & bit:
                                            slow = True   # a third activation on one residue
                                        am2 |= bit
                                        layer[i - i0] = 1
                                    am |= bit
                                    inner &= (aY[i] >= nR - 1) & (aY[i] < E) & (aX[i] >= nS - 1) & (aX[i] < Fo)
                                dup = am2 != np.uint64(0) and not slow
                                if inner and not dup and not slow:   # the common case: one mask for all taps
                                    for rr in range(nR):
                                        RM[rr, lidx] = am
                                    for ss in range(nS):
                                        CM[ss, lidx] = am
                                    lidx += 1
                                    continue
                                for rr in range(nR):
                                    m0 = np.uint64(0)
                                    m1 = np.uint64(0)
                                    for i in range(i0, i1):
                                        if 0 <= aY[i] - rr < E:
                                            if layer[i - i0] == 0:
                                                m0 |= one << np.uint64(ares[i])
                                            else:
                                                m1 |= one << np.uint64(ares[i])
                                    if dup:
                                        DRM[0, rr, didx] = m0
                                        DRM[1, rr, didx] = m1
                                    RM[rr, lidx] = m0 if not (slow or dup) else np.uint64(0)
                                for ss in range(nS):
                                    m0 = np.uint64(0)
                                    m1 = np.uint64(0)
                                    for i in range(i0, i1):
                                        if 0 <= aX[i] - ss < Fo:
                                            if layer[i - i0] == 0:
                                                m0 |= one << np.uint64(ares[i])
                                            else:
                                                m1 |= one << np.uint64(ares[i])
                                    if dup:
                                        DCM[0, ss, didx] = m0
                                        DCM[1, ss, didx] = m1
                                    CM[ss, lidx] = m0 if not (slow or dup) else np.uint64(0)
                                if dup:
                                    d_lane[didx] = lidx
                                    didx += 1
                            if slow:
                                s_lane[sidx] = lidx
                                sidx += 1
                            lidx += 1
        a_ptr[nph * NP] = idx
        for q in range(nph):
            q_na[q] = a_ptr[(q + 1) * NP] - a_ptr[q * NP]
            t = 0
            for kk in range(q * NP, (q + 1) * NP):
                t += (a_ptr[kk + 1] - a_ptr[kk] + I - 1) // I
            q_nab[q] = t
        l_ptr[nph * NP] = lidx
        d_ptr[nph] = didx
        s_ptr[nph] = sidx
        for g in range(ngroups):
            k0 = g * kc
            k1 = min(M, k0 + kc)
            widx = 0
            for q in range(nph):
                w_ptr[q] = widx
                qh = q // sw
                qw = q % sw
                for r in range(R):
                    if (r * dh) % sh != qh:
                        continue
                    Rq = (r * dh) // sh
                    for s in range(S):
                        if (s * dw) % sw != qw:
                            continue
                        Sq = (s * dw) // sw
                        wt = ((-Sq - IF * Rq) % banks + banks) % banks
                        wbefore = widx
                        for k in range(k0, k1):   # written always, kept when non-zero: no branch
                            wR[widx] = Rq
                            wS[widx] = Sq
                            v = wt + I * k
                            wres[widx] = (v & bmask) if pow2 else v % banks
                            widx += np.int64(Wm[k, c, r, s] != 0)
                        tap[q, Rq + 1, Sq + 1] += widx - wbefore
            w_ptr[nph] = widx
            pe_cyc[:] = 0
            blocks = 0
            formed = 0
            wreads = 0
            areads = 0
            for q in range(nph):
                w0 = w_ptr[q]
                w1 = w_ptr[q + 1]
                nw = w1 - w0
                if nw == 0:
                    continue
                nwb = (nw + Fw - 1) // Fw
                formed += q_na[q] * nw      # sums over the phase's (image, PE) lists: closed forms
                wreads += q_nab[q] * nw
                areads += q_na[q]
                blocks += q_nab[q] * nwb
                if not conflicts:   # every block costs one cycle
                    for kk in range(q * NP, (q + 1) * NP):
                        pe_cyc[kk - q * NP] += ((a_ptr[kk + 1] - a_ptr[kk] + I - 1) // I) * nwb
                    continue
                l0 = l_ptr[q * NP]
                l1 = l_ptr[(q + 1) * NP]
                if l1 == l0:
                    continue
                single = vec and nw == 1   # one weight: a chunk with distinct residues sends at most one
                if single:                 # product to a bank, one cycle (1x1 layers with Kc = 1)
                    for kk in range(q * NP, (q + 1) * NP):
                        pe_cyc[kk - q * NP] += l_ptr[kk + 1] - l_ptr[kk]
                else:
                    cost[l0:l1] = 0
                    if vec:   # lanes in slices that keep the pass's arrays in the L1 cache
                        for lb in range(l0, l1, LANE_BLOCK):
                            _vector_pass(RM, CM, lb, min(l1, lb + LANE_BLOCK), wres, wR, wS, w0, w1, Fw, banks,
                                         S0, S1, S2, cost)
                d0 = d_ptr[q]
                d1 = d_ptr[q + 1]
                if d1 > d0:
                    dcost[d0:d1] = 0
                    for db in range(d0, d1, LANE_BLOCK):
                        _vector_pass2(DRM, DCM, db, min(d1, db + LANE_BLOCK), wres, wR, wS, w0, w1, Fw, banks,
                                      S0, S1, S2, S3, dcost)
                    for d in range(d0, d1):
                        if single:
                            pe_cyc[lane_pe[d_lane[d]]] += dcost[d] - 1
                        else:
                            cost[d_lane[d]] = dcost[d]
                for si in range(s_ptr[q], s_ptr[q + 1]):
                    l = s_lane[si]
                    cl = _lane_cost(lane_a0[l], lane_a1[l], aY, aX, ares, w0, w1, wres, wR, wS, Fw, E, Fo, banks,
                                    hist, touched)
                    if single:
                        pe_cyc[lane_pe[l]] += cl - 1
                    else:
                        cost[l] = cl
                if single:
                    continue
                for kk in range(q * NP, (q + 1) * NP):
                    seg = cost[l_ptr[kk]:l_ptr[kk + 1]]   # a view from 0: a vectorized sum
                    t = 0
                    for l in range(seg.shape[0]):
                        t += seg[l]
                    pe_cyc[kk - q * NP] += t
            busy = 0
            for n in range(N):
                mx = 0
                tot = 0
                for p in range(P):
                    v = pe_cyc[n * P + p]
                    tot += v
                    if v > mx:
                        mx = v
                out_cycles[n, g] += mx
                busy += tot
                stats[ST_IDLE] += P * mx - tot
            stats[ST_BUSY] += busy
            stats[ST_FORMED] += formed
            stats[ST_WREADS] += wreads
            stats[ST_AREADS] += areads
            stats[ST_CONFLICT] += busy - blocks
        # valid products: per activation, the channel's non-zero weights (all groups) on the taps that put
        # it on an output, by 2-D prefix sums over (R, S) per phase
        for q in range(nph):
            for i in range(1, nR + 1):
                for j in range(1, nS + 1):
                    tap[q, i, j] += tap[q, i - 1, j] + tap[q, i, j - 1] - tap[q, i - 1, j - 1]
            tq = tap[q]
            for i in range(np.uint64(a_ptr[q * NP]), np.uint64(a_ptr[(q + 1) * NP])):
                Y = aY[i]
                X = aX[i]
                rlo = max(0, Y - E + 1)
                rhi = max(min(nR - 1, Y), rlo - 1)   # an empty range sums to 0: no branch
                slo = max(0, X - Fo + 1)
                shi = max(min(nS - 1, X), slo - 1)
                valid += tq[rhi + 1, shi + 1] - tq[rlo, shi + 1] - tq[rhi + 1, slo] + tq[rlo, slo]
        stats[ST_VALID] += valid


def _mask(a: np.ndarray) -> np.ndarray:
    """A C-contiguous uint8 non-zero mask (a bool or uint8 array is viewed, not copied, when contiguous)."""
    a = np.ascontiguousarray(a)
    if a.dtype == np.bool_:
        return a.view(np.uint8)
    return a if a.dtype == np.uint8 else (a != 0).view(np.uint8)


def nonzero_source(x: np.ndarray, bits: int) -> tuple[np.ndarray, float]:
    """(array, thr) that the kernels read as non-zero where |v| > thr, exactly
    ``fixedpoint.nonzero_mask(x, bits)``: float32 / float64 values as they are with that function's
    threshold 2^-(f+1) (no |x| temporary and no mask of x's size), any other dtype as its mask (thr 0)."""
    x = np.asarray(x)
    if x.dtype in (np.float32, np.float64):
        f = fixedpoint.frac_bits_for(x, bits)
        return x, float(np.float32(2.0 ** -(f + 1)))   # a power of two: exact in both float widths
    return _mask(fixedpoint.nonzero_mask(x, bits)), 0.0


def scnn_batch(A: np.ndarray, Wm: np.ndarray, geom: tuple, I: int, F: int, banks: int, conflicts: bool,
               kc: int, thr: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Wrapper: A (N, C, H, W) activations, a non-zero mask, or float values with ``thr`` from
    :func:`nonzero_source`; Wm (M, C, R, S) non-zero mask; geom = (th, tw, gr, gc, sh, sw, dh, dw, pt, pl,
    E, Fo).  Returns (cycles per image and Kc group (N, groups), stats summed over the images) as int64
    arrays (see the module docstring)."""
    if thr is None:
        A, thr = _mask(A), 0.0
    else:
        A = np.ascontiguousarray(A)
    Wm = _mask(Wm)
    assert A.ndim == 4 and Wm.ndim == 4 and A.shape[1] == Wm.shape[1] and kc >= 1 and I >= 1 and F >= 1
    assert banks >= 1
    out = np.zeros((A.shape[0], -(-Wm.shape[0] // kc)), dtype=np.int64)
    stats = np.zeros(8, dtype=np.int64)
    proto = np.zeros(1, dtype=np.uint32 if banks <= 32 else np.uint64)   # bank masks: 32 bits suffice
    scnn_kernel(A, Wm, *[int(v) for v in geom], int(I), int(F), int(banks), bool(conflicts), int(kc), out, stats,
                proto, float(thr))
    return out, stats


def scnn_image(A: np.ndarray, Wm: np.ndarray, geom: tuple, I: int, F: int, banks: int, conflicts: bool,
               kc: int) -> tuple[np.ndarray, np.ndarray]:
    """One image, A (C, H, W): (cycles per Kc group, stats)."""
    out, stats = scnn_batch(np.asarray(A)[None], Wm, geom, I, F, banks, conflicts, kc)
    return out[0], stats


__all__ = ["scnn_batch", "scnn_image", "scnn_kernel", "bank_of", "nonzero_source"]
