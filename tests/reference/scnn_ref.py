"""A slow SCNN PE-array step in plain Python (one image, one group), independent of kernels/scnn.py.

For each output-channel group of kc filters and each input channel: every PE lists its non-zero
activations (planar tile, row-major) and the group's non-zero weights of that channel (r, s, filter
order), both per stride phase; it walks I x F blocks of the two lists and forms every product, keeping
a dict of products per accumulator bank (conflicts: the block costs its fullest bank).  The step costs
the slowest PE.  Returns (cycles per group, formed, valid, conflict stall cycles)."""


def bank(k, e, f, F, I, banks):
    return (f + I * k + I * F * e) % banks


def scnn_image_ref(A, Wm, th, tw, gr, gc, sh, sw, dh, dw, pt, pl, E, Fo, I, F, banks, conflicts, kc):
    C, H, W = A.shape
    M, _, R, S = Wm.shape
    groups = [list(range(k0, min(M, k0 + kc))) for k0 in range(0, M, kc)]
    cycles = [0] * len(groups)
    formed = valid = stalls = 0
    phases = [(a, b) for a in range(sh) for b in range(sw)]
    for c in range(C):
        for gi, ks in enumerate(groups):
            worst_pe = 0
            for pr in range(gr):
                for pc in range(gc):
                    pe_cycles = 0
                    for (qa, qb) in phases:
                        acts = [(y, x) for y in range(pr * th, min(H, pr * th + th))
                                for x in range(pc * tw, min(W, pc * tw + tw))
                                if A[c, y, x] and (y + pt) % sh == qa and (x + pl) % sw == qb]
                        wts = [(k, r, s) for r in range(R) for s in range(S) for k in ks
                               if Wm[k, c, r, s] and (r * dh) % sh == qa and (s * dw) % sw == qb]
                        for i0 in range(0, len(acts), I):
                            for f0 in range(0, len(wts), F):
                                per_bank = {}
                                for (y, x) in acts[i0:i0 + I]:
                                    for (k, r, s) in wts[f0:f0 + F]:
                                        formed += 1
                                        ey, fx = y + pt - r * dh, x + pl - s * dw
                                        assert ey % sh == 0 and fx % sw == 0
                                        e, f = ey // sh, fx // sw
                                        if 0 <= ey and 0 <= fx and e < E and f < Fo:
                                            valid += 1
                                            b = bank(k, e, f, F, I, banks)
                                            per_bank[b] = per_bank.get(b, 0) + 1
                                cost = max(per_bank.values()) if (conflicts and per_bank) else 1
                                stalls += cost - 1
                                pe_cycles += cost
                    worst_pe = max(worst_pe, pe_cycles)
            cycles[gi] += worst_pe
    return cycles, formed, valid, stalls


def scnn_halo_ref(H, W, R, S, stride, dilation, pads, E, F, th, tw, gr, gc):
    """Per PE of a gr x gc grid holding input tile [i*th, (i+1)*th) x [j*tw, (j+1)*tw): the outputs (e, f)
    with a tap on its tile (reach) minus those it owns (the clipped centre tap lies in its tile, the last
    PE of a row / column owning what lies beyond the grid).  Brute force over (e, f, r, s).  Returns the
    list of halo sizes and the largest reach (outputs a PE accumulates)."""
    sh, sw = stride
    dh, dw = dilation
    top, left = pads[0], pads[2]
    halos, foot = [], 0
    for i in range(gr):
        for j in range(gc):
            reach = own = 0
            for e in range(E):
                for f in range(F):
                    hit = any(i * th <= e * sh + r * dh - top < min(H, (i + 1) * th) and
                              j * tw <= f * sw + s * dw - left < min(W, (j + 1) * tw)
                              for r in range(R) for s in range(S))
                    cy = min(max(e * sh - top + ((R - 1) // 2) * dh, 0), H - 1)
                    cx = min(max(f * sw - left + ((S - 1) // 2) * dw, 0), W - 1)
                    mine = min(cy // th, gr - 1) == i and min(cx // tw, gc - 1) == j
                    reach += hit
                    own += hit and mine
            halos.append(reach - own)
            foot = max(foot, reach)
    return halos, foot


def zero_run_entries_ref(seq, run_bits):
    """Entries of one zero-run encoded sequence: each non-zero preceded by g zeros is stored after
    g // 2^run_bits padding entries (each a stored zero covering 2^run_bits positions); trailing zeros
    are not stored."""
    entries, zeros = 0, 0
    for v in seq:
        if v:
            entries += zeros // 2 ** run_bits + 1
            zeros = 0
        else:
            zeros += 1
    return entries


def scnn_storage_ref(X, Wm, Y, th, tw, gr, gc, kc, run_bits):
    """SCNN's stored sequences built as Python lists and encoded one by one.  X (N, C, H, W) input mask,
    Wm (M, C, R, S) one group's weight mask, Y (N, M, L) output mask.  Returns (input entries per image,
    weight entries per Kc group, output entries per image)."""
    N, C, H, W = X.shape
    M, _, R, S = Wm.shape
    ins = []
    for n in range(N):
        tot = 0
        for c in range(C):
            for pr in range(gr):
                for pc in range(gc):
                    seq = [bool(X[n, c, y, x]) if y < H and x < W else False
                           for y in range(pr * th, (pr + 1) * th) for x in range(pc * tw, (pc + 1) * tw)]
                    tot += zero_run_entries_ref(seq, run_bits)
        ins.append(tot)
    ws = []
    for k0 in range(0, M, kc):
        ws.append(sum(zero_run_entries_ref([bool(Wm[k, c, r, s]) for r in range(R) for s in range(S)
                                            for k in range(k0, min(M, k0 + kc))], run_bits) for c in range(C)))
    outs = [sum(zero_run_entries_ref([bool(v) for v in Y[n, m]], run_bits) for m in range(Y.shape[1]))
            for n in range(Y.shape[0])]
    return ins, ws, outs
