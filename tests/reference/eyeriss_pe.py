"""Slow, obvious execution of Eyeriss's row-stationary PE sets on tiny layers, counting every access.

Written independently of accelsim/accelerators/eyeriss.py (which counts in closed form per pass): here
each processing pass is enumerated, each active PE gets explicit spads (a dict for the filter spad, a
sliding-window list for the ifmap spad, a list for the psum spad) and runs its 1-D row convolution value
by value; the column's psums are then added up the column one PE at a time.  The outputs are computed in
integer arithmetic and returned, so a test can check the mapping covers every MAC exactly once.

Only the mapping's block parameters (p, q, t, r, u, width, split, nb, gs) are taken from accelsim; the gs
groups of a group pass run in one pass (the pass takes as long as its busiest PE).  Passes run
in the fixed rule's order (group, image block, strip pass, filter pass, channel pass; images inside the
pass) whatever ``m.order`` is: every count checked here is per pass and the same in any order (psums come
back from the GLB in every channel pass but the first), so the reference covers searched orders too.
DRAM traffic, which does depend on the order, is checked against closed forms in test_eyeriss_search.py.
"""
from __future__ import annotations

from collections import Counter

import numpy as np


def _blocks(total, size):
    return [(lo, min(size, total - lo)) for lo in range(0, total, size)]


def run_layer(spec, x_codes, w_codes, m, gating=True, spad=(224, 12, 24)):
    """x_codes (N, C, H, W) int, w_codes (M, Cg, R, S) int, m an RsMapping.

    Returns (outputs (N, M, E, F) int64 before ReLU, Counter of counts)."""
    fsp_cap, isp_cap, psp_cap = spad
    N, C, H, W = x_codes.shape
    R, S = spec.R, spec.S
    sh, sw, dh, dw = spec.stride_h, spec.stride_w, spec.dilation_h, spec.dilation_w
    pt, pl = spec.pad_top, spec.pad_left
    E, F, G, Cg, Mg = spec.E, spec.F, spec.groups, spec.Cg, spec.Mg
    cnt = Counter()
    out = np.zeros((N, spec.M, E, F), dtype=np.int64)
    fblocks = _blocks(Mg, m.p)
    cblocks = _blocks(Cg, m.q)
    strips = [(k * m.width, min((k + 1) * m.width, E)) for k in range(-(-E // m.width))]
    if m.split:
        strip_passes = [[(0, E)]]
    else:
        strip_passes = [strips[i:i + m.u] for i in range(0, len(strips), m.u)]
    fpasses = [fblocks[i:i + m.t] for i in range(0, len(fblocks), m.t)]
    cpasses = [cblocks[i:i + m.r] for i in range(0, len(cblocks), m.r)]
    img_blocks = [list(range(i, min(i + m.nb, N))) for i in range(0, N, m.nb)]

    def x_at(n, c, y, xx):
        if 0 <= y < H and 0 <= xx < W:
            return int(x_codes[n, c, y, xx])
        return 0  # padding

    gblocks = [list(range(i, min(i + m.gs, G))) for i in range(0, G, m.gs)]  # groups side by side
    for gblock in gblocks:
        for imgs in img_blocks:
            for sp in strip_passes:
                for fpass in fpasses:
                    for ci, cpass in enumerate(cpasses):
                        pass_busy = 0
                        # chain[(group, filter, strip-row e, n, f)] = list of PE partial sums up the column
                        chain = {}
                        for g in gblock:
                            for (f0, pb) in fpass:
                                for (c0, qb) in cpass:
                                    assert qb * S <= isp_cap and pb * qb * S <= fsp_cap and pb <= psp_cap
                                    for (e0, e1) in sp:
                                        for e in range(e0, e1):
                                            for i in range(R):
                                                # ---- one PE: filter row i of pb filters x qb channels
                                                fspad = {}
                                                for k in range(pb):
                                                    for c in range(qb):
                                                        for s in range(S):
                                                            fspad[(k, c, s)] = int(w_codes[g * Mg + f0 + k, c0 + c, i, s])
                                                            cnt["filter_spad_write"] += 1
                                                assert len(fspad) <= fsp_cap
                                                y = e * sh + i * dh - pt
                                                for n in imgs:
                                                    busy = 0
                                                    window = [[None] * S for _ in range(qb)]  # ifmap spad
                                                    cols = [None] * qb  # padded columns each channel's window holds
                                                    for f in range(F):
                                                        # slide the window: take in the values not held yet
                                                        for c in range(qb):
                                                            need = [f * sw + s * dw for s in range(S)]
                                                            held = {} if cols[c] is None else dict(zip(cols[c], window[c]))
                                                            new = []
                                                            for xx in need:
                                                                if xx in held:
                                                                    new.append(held[xx])
                                                                else:
                                                                    new.append(x_at(n, g * Cg + c0 + c, y, xx - pl))
                                                                    cnt["ifmap_spad_write"] += 1
                                                            window[c] = new
                                                            cols[c] = need
                                                        assert sum(len(wd) for wd in window) <= isp_cap
                                                        psums = [0] * pb  # psum spad
                                                        for k in range(pb):
                                                            for c in range(qb):
                                                                for s in range(S):
                                                                    v = window[c][s]
                                                                    cnt["ifmap_spad_read"] += 1
                                                                    busy += 1
                                                                    if gating:
                                                                        cnt["zero_buffer_read"] += 1
                                                                    if gating and v == 0:
                                                                        cnt["weight_spad_gated_read"] += 1
                                                                        cnt["mac_gated"] += 1
                                                                    else:
                                                                        psums[k] += v * fspad[(k, c, s)]
                                                                        cnt["weight_spad_read"] += 1
                                                                        cnt["mac_random"] += 1
                                                                    cnt["psum_spad_read"] += 1
                                                                    cnt["psum_spad_write"] += 1
                                                        for k in range(pb):
                                                            chain.setdefault((g, f0 + k, e, n, f), []).append(psums[k])
                                                    pass_busy = max(pass_busy, busy)
                        # ---- psums up the columns (R x active channel sets), plus the GLB psum
                        for (g, mk, e, n, f), parts in chain.items():
                            total = parts[0]
                            for v in parts[1:]:
                                total += v  # a neighbour's psum arrives over the local network
                                cnt["add"] += 1
                                cnt["noc_psum"] += 1
                                cnt["psum_spad_read"] += 1
                                cnt["psum_spad_write"] += 1
                            if ci > 0:  # the previous channel passes' psum comes back from the GLB
                                cnt["add"] += 1
                                cnt["noc_psum"] += 1
                                cnt["psum_spad_read"] += 1
                                cnt["psum_spad_write"] += 1
                                cnt["glb_psum_read"] += 1
                            out[n, g * Mg + mk, e, f] += total
                            cnt["outputs"] += 1  # the top PE sends the psum to the GLB
                        cnt["row_conv_cycles"] += pass_busy * len(imgs)
    cnt["noc_transfer"] = (cnt["filter_spad_write"] + cnt["ifmap_spad_write"] + cnt["noc_psum"]
                           + cnt["outputs"])
    return out, cnt


def conv_codes(x_codes, w_codes, spec):
    """Plain integer convolution (no ReLU): (N, M, E, F) int64, any stride, dilation and padding."""
    N, C, H, W = x_codes.shape
    xp = np.pad(x_codes.astype(np.int64), ((0, 0), (0, 0), (spec.pad_top, spec.pad_bottom),
                                           (spec.pad_left, spec.pad_right)))
    sh, sw, dh, dw = spec.stride_h, spec.stride_w, spec.dilation_h, spec.dilation_w
    out = np.zeros((N, spec.M, spec.E, spec.F), dtype=np.int64)
    for mm in range(spec.M):
        g = mm // spec.Mg
        for e in range(spec.E):
            for f in range(spec.F):
                win = xp[:, g * spec.Cg:(g + 1) * spec.Cg, e * sh:e * sh + dh * (spec.R - 1) + 1:dh,
                         f * sw:f * sw + dw * (spec.S - 1) + 1:dw]
                out[:, mm, e, f] = (win * w_codes[mm][None].astype(np.int64)).sum(axis=(1, 2, 3))
    return out
