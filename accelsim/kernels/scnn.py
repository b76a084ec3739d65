"""numba kernel of SCNN's PT-IS-CP-sparse work for one image and one group (model: accelerators/scnn.py).

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
bank-conflict stall cycles, PE busy cycles, idle PE-cycles at barriers, unused].  Without bank conflicts
a block always costs one cycle, so the kernel uses the closed form ceil(na/I) ceil(nw/F) and the wrapper
counts valid products as the effectual MACs of the masks (``effectual_products``).
"""
from __future__ import annotations

import numpy as np

from accelsim.kernels._jit import jit

ST_FORMED, ST_VALID, ST_WREADS, ST_AREADS, ST_CONFLICT, ST_BUSY, ST_IDLE, ST_ACC = range(8)


@jit
def bank_of(k, e, f, F, I, banks):
    """Accumulator bank of output (k, e, f) = (f + I k + I F e) mod banks: an assumption (the paper does not
    publish its hash).  A block of I activations consecutive in a row times F consecutive filters lands in
    I x F distinct banks, the next output row in the next I x F.  Sparse data breaks these patterns, and
    a block of F x I products then often sends two to one bank.  (A second hash tried, k mod F + F (f mod
    I) + F I e, conflicted more on AlexNet: 12.7 M against 9.1 M stall cycles in conv2, batch 4.)"""
    return (f + I * k + I * F * e) % banks


@jit
def _udiv(a, b):
    """a // b for a >= 0, b > 0 (unsigned division: no floor fix-up for negative operands)."""
    return np.int64(np.uint64(a) // np.uint64(b))


@jit
def scnn_image_kernel(A, Wm, th, tw, gr, gc, sh, sw, dh, dw, pt, pl, E, Fo, I, Fw, banks, conflicts, kc,
                      out_cycles, stats):
    """A : (C, H, W) uint8 non-zero activations; Wm : (M, C, R, S) uint8 non-zero weights;
    tiles of th x tw input positions on a gr x gc PE grid; out_cycles : (ceil(M/kc),) int64 (added to)."""
    C, H, W = A.shape
    M, _, R, S = Wm.shape
    P = gr * gc
    nph = sh * sw
    ay = np.empty(H * W + 1, dtype=np.int64)
    ax = np.empty(H * W + 1, dtype=np.int64)
    a_ptr = np.zeros(P * nph + 1, dtype=np.int64)
    wk = np.empty(M * R * S + 1, dtype=np.int64)
    wr = np.empty(M * R * S + 1, dtype=np.int64)
    ws = np.empty(M * R * S + 1, dtype=np.int64)
    w_ptr = np.zeros(nph + 1, dtype=np.int64)
    hist = np.zeros(banks, dtype=np.int64)
    touched = np.zeros(max(banks, I * Fw), dtype=np.int64)   # one entry per product of a block
    pe_cyc = np.zeros(P, dtype=np.int64)
    ngroups = (M + kc - 1) // kc
    bmask = banks - 1
    pow2 = banks > 0 and (banks & bmask) == 0   # then bank_of's "% banks" is "& (banks - 1)"
    for c in range(C):
        idx = 0
        for p in range(P):
            y0 = (p // gc) * th
            x0 = (p % gc) * tw
            y1 = min(H, y0 + th)
            x1 = min(W, x0 + tw)
            for q in range(nph):
                a_ptr[p * nph + q] = idx
                qh = q // sw
                qw = q % sw
                for y in range(y0, y1):
                    if (y + pt) % sh != qh:
                        continue
                    for x in range(x0, x1):
                        if (x + pl) % sw != qw:
                            continue
                        if A[c, y, x] != 0:
                            ay[idx] = y + pt
                            ax[idx] = x + pl
                            idx += 1
        a_ptr[P * nph] = idx
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
                    for s in range(S):
                        if (s * dw) % sw != qw:
                            continue
                        for k in range(k0, k1):
                            if Wm[k, c, r, s] != 0:
                                wk[widx] = k
                                wr[widx] = r * dh   # output row = (padded act row - this) / sh
                                ws[widx] = s * dw
                                widx += 1
            w_ptr[nph] = widx
            mx = 0
            tot = 0
            valid = 0     # stats[1] and stats[4], kept in registers in the product loop
            stalls = 0
            for p in range(P):
                cyc = 0
                for q in range(nph):
                    a0 = a_ptr[p * nph + q]
                    na = a_ptr[p * nph + q + 1] - a0
                    w0 = w_ptr[q]
                    nw = w_ptr[q + 1] - w0
                    if na == 0 or nw == 0:
                        continue
                    stats[0] += na * nw
                    stats[2] += ((na + I - 1) // I) * nw
                    stats[3] += na
                    if not conflicts:  # every block costs one cycle: closed form
                        cyc += ((na + I - 1) // I) * ((nw + Fw - 1) // Fw)
                        continue
                    for ib in range(0, na, I):
                        ie = min(na, ib + I)
                        for fb in range(0, nw, Fw):
                            fe = min(nw, fb + Fw)
                            worst = 0
                            nt = 0
                            for ii in range(a0 + ib, a0 + ie):
                                yy = ay[ii]
                                xx = ax[ii]
                                for ff in range(w0 + fb, w0 + fe):
                                    ey = yy - wr[ff]
                                    fx = xx - ws[ff]
                                    if ey < 0 or fx < 0:
                                        continue
                                    if sh > 1:   # non-negative: C division, no floor fix-up
                                        ey = _udiv(ey, sh)
                                    if sw > 1:
                                        fx = _udiv(fx, sw)
                                    if ey >= E or fx >= Fo:
                                        continue
                                    valid += 1
                                    v = fx + I * wk[ff] + I * Fw * ey
                                    bk = v & bmask if pow2 else v % banks   # bank_of, without a division
                                    h = hist[bk] + 1
                                    hist[bk] = h
                                    touched[nt] = bk   # a bank may be listed twice: cleared twice
                                    nt += 1
                                    worst = max(worst, h)
                            for tb in range(nt):
                                hist[touched[tb]] = 0
                            cost = worst if worst > 1 else 1
                            stalls += cost - 1
                            cyc += cost
                pe_cyc[p] = cyc
                tot += cyc
                if cyc > mx:
                    mx = cyc
            out_cycles[g] += mx
            stats[1] += valid
            stats[4] += stalls
            stats[5] += tot
            stats[6] += P * mx - tot


def effectual_products(A: np.ndarray, Wm: np.ndarray, geom: tuple) -> int:
    """Pairs (non-zero weight, non-zero input) that meet at an output: sum over taps (c, r, s) of the
    weight's non-zero filters times the non-zero inputs that tap reads at valid outputs."""
    th, tw, gr, gc, sh, sw, dh, dw, pt, pl, E, Fo = (int(v) for v in geom)
    C, H, W = A.shape
    M, _, R, S = Wm.shape
    wsum = Wm.astype(np.int64).sum(axis=0)  # (C, R, S)
    ap = np.zeros((C, pt + H + (E - 1) * sh + (R - 1) * dh + 1, pl + W + (Fo - 1) * sw + (S - 1) * dw + 1),
                  dtype=np.int64)
    ap[:, pt:pt + H, pl:pl + W] = A
    total = 0
    for r in range(R):
        for s in range(S):
            win = ap[:, r * dh:r * dh + (E - 1) * sh + 1:sh, s * dw:s * dw + (Fo - 1) * sw + 1:sw]
            total += int((win.sum(axis=(1, 2)) * wsum[:, r, s]).sum())
    return total


def scnn_image(A: np.ndarray, Wm: np.ndarray, geom: tuple, I: int, F: int, banks: int, conflicts: bool,
               kc: int) -> tuple[np.ndarray, np.ndarray]:
    """Wrapper: geom = (th, tw, gr, gc, sh, sw, dh, dw, pt, pl, E, Fo).  Returns (cycles per Kc group,
    stats) as int64 arrays (see the module docstring)."""
    A = np.ascontiguousarray(A, dtype=np.uint8)
    Wm = np.ascontiguousarray(Wm, dtype=np.uint8)
    assert A.ndim == 3 and Wm.ndim == 4 and A.shape[0] == Wm.shape[1] and kc >= 1 and I >= 1 and F >= 1
    out = np.zeros(-(-Wm.shape[0] // kc), dtype=np.int64)
    stats = np.zeros(8, dtype=np.int64)
    scnn_image_kernel(A, Wm, *[int(v) for v in geom], int(I), int(F), int(banks), bool(conflicts), int(kc),
                      out, stats)
    if not conflicts:
        stats[1] = effectual_products(A, Wm, geom)
    return out, stats


__all__ = ["scnn_image", "scnn_image_kernel", "bank_of", "effectual_products"]
