"""Slow, obvious reference of UCNN's factorized dot products (for tests only).

For every unit (filter group x channel tile) and every output position it *performs* the computation
with Python dicts, on integer codes: inputs are summed per weight tuple (leaves), the leaf sums are
aggregated up the hierarchy of prefixes, and each needed prefix sum is multiplied by its filter's
weight.  It counts every add and multiply it actually does and returns the outputs, so a test can
check the kernel's counts (scaled by the output positions) and that factorization computes the
convolution exactly.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np


def _geometry(stride, padding, dilation):
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    if isinstance(padding, int):
        padding = (padding,) * 4
    elif len(padding) == 2:
        padding = (padding[0], padding[0], padding[1], padding[1])
    return sh, sw, dh, dw, padding


def factorized_conv(w: np.ndarray, x: np.ndarray, stride, padding, groups: int, G: int,
                    Ct: int, dilation=1) -> tuple[np.ndarray, dict]:
    """w : (M, Cg, R, S) int codes; x : (N, C, H, W) int codes; stride/dilation an int or (h, w), padding an
    int, (h, w) or (top, bottom, left, right).  Returns (outputs (N, M, E, F) int64, counts {P, leaf_adds,
    agg_adds, mults, mults_f (list by level), nnz, positions})."""
    M, Cg, R, S = w.shape
    N, C, H, W = x.shape
    Mg = M // groups
    sh, sw, dh, dw, (pt, pb, pl, pr) = _geometry(stride, padding, dilation)
    xp = np.zeros((N, C, H + pt + pb, W + pl + pr), dtype=np.int64)
    xp[:, :, pt:pt + H, pl:pl + W] = x
    E = (H + pt + pb - dh * (R - 1) - 1) // sh + 1
    F = (W + pl + pr - dw * (S - 1) - 1) // sw + 1
    out = np.zeros((N, M, E, F), dtype=np.int64)
    cnt = {"P": 0, "leaf_adds": 0, "agg_adds": 0, "mults": 0, "mults_f": [0] * G, "nnz": 0, "positions": 0}
    for g in range(groups):
        for f0 in range(0, Mg, G):
            fl = [g * Mg + m for m in range(f0, min(f0 + G, Mg))]
            for c0 in range(0, Cg, Ct):
                pos = [(c, r, s) for c in range(c0, min(c0 + Ct, Cg)) for r in range(R) for s in range(S)]
                for n in range(N):
                    for e in range(E):
                        for f in range(F):
                            _one_output(w, xp, out, cnt, fl, pos, g * Cg, n, e * sh, f * sw, (e, f), dh, dw)
    return out, cnt


def _one_output(w, xp, out, cnt, fl, pos, cbase, n, y0, x0, ef, dh=1, dw=1) -> None:
    G = len(fl)
    leaves: dict[tuple, int] = {}
    for (c, r, s) in pos:
        cnt["positions"] += G
        tup = tuple(int(w[m, c, r, s]) for m in fl)
        cnt["nnz"] += sum(1 for v in tup if v != 0)
        if not any(tup):
            continue                                  # zero weights in every filter: skipped
        cnt["P"] += 1
        v = int(xp[n, cbase + c, y0 + r * dh, x0 + s * dw])
        if tup in leaves:
            leaves[tup] += v
            cnt["leaf_adds"] += 1
        else:
            leaves[tup] = v
    sums = {G: leaves}
    for j in range(G - 1, 0, -1):                     # aggregate children into needed level-j prefixes
        d: dict[tuple, int] = {}
        for tup, v in sums[j + 1].items():
            pre = tup[:j]
            if not any(pre):
                continue
            if pre in d:
                d[pre] += v
                cnt["agg_adds"] += 1
            else:
                d[pre] = v
        sums[j] = d
    acc: dict[int, int] = defaultdict(int)
    for j in range(1, G + 1):
        for pre, v in sums[j].items():
            if pre[-1] != 0:
                acc[fl[j - 1]] += pre[-1] * v
                cnt["mults"] += 1
                cnt["mults_f"][j - 1] += 1
    e, f = ef
    for m, v in acc.items():
        out[n, m, e, f] += v


def dense_conv(w: np.ndarray, x: np.ndarray, stride, padding, groups: int, dilation=1) -> np.ndarray:
    """Plain integer convolution (N, M, E, F) for checking the factorized outputs (any geometry)."""
    M, Cg, R, S = w.shape
    N, C, H, W = x.shape
    Mg = M // groups
    sh, sw, dh, dw, (pt, pb, pl, pr) = _geometry(stride, padding, dilation)
    xp = np.pad(x.astype(np.int64), ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    E = (H + pt + pb - dh * (R - 1) - 1) // sh + 1
    F = (W + pl + pr - dw * (S - 1) - 1) // sw + 1
    out = np.zeros((N, M, E, F), dtype=np.int64)
    for m in range(M):
        g = m // Mg
        for e in range(E):
            for f in range(F):
                win = xp[:, g * Cg:(g + 1) * Cg, e * sh:e * sh + dh * (R - 1) + 1:dh, f * sw:f * sw + dw * (S - 1) + 1:dw]
                out[:, m, e, f] = (win * w[m].astype(np.int64)).sum(axis=(1, 2, 3))
    return out


def quantized_keys_ref(x: np.ndarray, bits: int) -> tuple[list[int], int]:
    """Value by value, in exact rational arithmetic: the binary point holding max |x| (the fewest
    integer bits, as accelsim.fixedpoint documents), the code round-half-to-even(x * 2**f) clipped to the
    signed ``bits``-bit range, key = code + 2**(bits-1); and U, the number of distinct non-zero codes."""
    from fractions import Fraction
    vals = [Fraction(float(v)) for v in np.asarray(x).reshape(-1)]
    m = max((abs(v) for v in vals), default=Fraction(0))
    int_bits = 0
    while m >= 2 ** int_bits:             # fewest integer bits (sign excluded) with m < 2**int_bits
        int_bits += 1
    f = bits - 1 - int_bits if m else bits - 1
    lim = 2 ** (bits - 1) - 1
    codes = [max(-lim - 1, min(lim, round(v * Fraction(2) ** f))) for v in vals]   # round(): half to even
    return [c + lim + 1 for c in codes], len({c for c in codes if c != 0})
