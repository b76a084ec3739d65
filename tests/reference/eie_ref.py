"""A cycle-stepped EIE (one matrix-vector product): explicit queues, one broadcast per cycle at most.

Independent of accelsim/kernels/eie.py's recurrence: it steps cycle by cycle with Python deques.
Within cycle c: (1) PEs whose column finishes at c become free; (2) free PEs take their queue head;
(3) the central unit broadcasts the next non-zero column if every queue has fewer than ``depth``
waiting entries (depth 0: only when every PE is free with an empty queue); (4) free PEs with an empty
queue take the new column at once.  The product ends when the last PE finishes.
Also: EIE's interleaved CSC encoding of a weight matrix, entry by entry (value code, relative row)."""
from collections import deque


def encode_pe_columns(mask_rows, pes, run_bits=4):
    """mask_rows: list of M lists of C bools.  Returns entries[p][j]: list of (is_padding, run) of PE p's
    column j, rows interleaved (row i -> PE i % pes, local row i // pes)."""
    M = len(mask_rows)
    C = len(mask_rows[0]) if M else 0
    maxrun = (1 << run_bits) - 1
    out = [[[] for _ in range(C)] for _ in range(pes)]
    for p in range(pes):
        rows = list(range(p, M, pes))
        for j in range(C):
            run = 0
            for i in rows:
                if not mask_rows[i][j]:
                    run += 1
                    continue
                while run > maxrun:              # more than 15 zeros before it: a padding zero first,
                    out[p][j].append((True, maxrun))   # standing for itself and the 15 zeros before it
                    run -= maxrun + 1
                out[p][j].append((False, run))
                run = 0
    return out


def simulate_matvec(cost, active_cols, depth):
    """cost[p][j] cycles; active_cols in broadcast order.  Returns (cycles, stall cycles)."""
    P = len(cost)
    queues = [deque() for _ in range(P)]
    remaining = [0] * P           # cycles left on the current column (0 = free)
    pending = deque(active_cols)
    cycle = 0
    stalls = 0
    finish = 0
    if not pending:
        return 0, 0
    while True:
        # (1)+(2): free PEs take their queue head
        for p in range(P):
            if remaining[p] == 0 and queues[p]:
                remaining[p] = cost[p][queues[p].popleft()]
        # (3) broadcast
        if pending:
            if depth == 0:
                ok = all(remaining[p] == 0 and not queues[p] for p in range(P))
            else:
                ok = all(len(queues[p]) < depth for p in range(P))
            if ok:
                j = pending.popleft()
                for p in range(P):
                    if remaining[p] == 0 and not queues[p]:
                        remaining[p] = cost[p][j]      # (4) start at once
                    else:
                        queues[p].append(j)
            else:
                stalls += 1
        if not pending and all(r == 0 for r in remaining) and not any(queues):
            return finish, stalls
        # advance one cycle
        cycle += 1
        for p in range(P):
            if remaining[p] > 0:
                remaining[p] -= 1
                if remaining[p] == 0:
                    finish = max(finish, cycle)


def lowered_columns(xmask, n, e, f, g, Cg, R, S, stride, dilation, pads):
    """Column ids (c, r, s order) of the non-zero inputs output (n, e, f) of group g reads, from the
    convolution's definition: tap (r, s) reads row e*sh + r*dh - top, column f*sw + s*dw - left (zero
    outside the input)."""
    sh, sw = stride
    dh, dw = dilation
    top, left = pads[0], pads[2]
    H, W = len(xmask[0][0]), len(xmask[0][0][0])
    cols = []
    for c in range(Cg):
        for r in range(R):
            for s in range(S):
                y, x = e * sh + r * dh - top, f * sw + s * dw - left
                if 0 <= y < H and 0 <= x < W and xmask[n][g * Cg + c][y][x]:
                    cols.append((c * R + r) * S + s)
    return cols


def eie_layer_ref(wmask, xmask, groups, E, F, stride, dilation, pads, pes, depth, run_bits=4):
    """A conv layer on EIE from scratch: per image, group and output position, the product's active
    columns (:func:`lowered_columns`) stepped by :func:`simulate_matvec` on the costs of the group's
    interleaved CSC (:func:`encode_pe_columns`, at least one cycle per column).  wmask (M, Cg, R, S),
    xmask (N, C, H, W): nested lists of bools.  Returns (cycles, executed MACs, broadcast columns)."""
    M, Cg, R, S = len(wmask), len(wmask[0]), len(wmask[0][0]), len(wmask[0][0][0])
    N = len(xmask)
    Mg = M // groups
    cycles = executed = broadcasts = 0
    for g in range(groups):
        rows = [[wmask[g * Mg + m][c][r][s] for c in range(Cg) for r in range(R) for s in range(S)]
                for m in range(Mg)]
        enc = encode_pe_columns(rows, pes, run_bits)
        used = min(pes, Mg)
        cost = [[max(1, len(enc[p][j])) for j in range(Cg * R * S)] for p in range(used)]
        for n in range(N):
            for e in range(E):
                for f in range(F):
                    cols = lowered_columns(xmask, n, e, f, g, Cg, R, S, stride, dilation, pads)
                    cycles += simulate_matvec(cost, cols, depth)[0]
                    broadcasts += len(cols)
                    executed += sum(rows[m][j] for m in range(Mg) for j in cols)
    return cycles, executed, broadcasts
