"""Cnvlutin window timing under MIsim's wake order (``timing_model: misim``, ``misim_wake_order: cpython |
address | shuffled``; the rules are documented in accelsim/accelerators/misim_timing.py and misim_wake.py).
Its slow reference is tests/reference/misim_events.py (``window_cycles`` with ``order`` or ``hashes``).
"""
import numpy as np

from accelsim.kernels._jit import jit


# ---- misim_wake_order: cpython, shuffled --------------------------------------------------------------
# Cnvlutin window timing under MIsim's wake order (``misim_wake_order: cpython | shuffled``; the rules are
# documented in accelsim/accelerators/misim_timing.py).
#
# The lockstep kernel (``window_time``, above) follows one tile's lanes and assumes the 16 tiles act alike.
# In MIsim they do only if the components due in one cycle are always woken in the same order (memory first,
# then the clusters, then the units).  MIsim wakes them in the iteration order of a Python set of objects,
# which follows their addresses: a unit woken before its cluster in the cycle it frees itself is given its next
# chunk at once (a cycle early), and a tile that runs ahead reads addresses the others read later, so the
# central memory no longer merges their reads and they queue at its two ports.
#
# This kernel walks every component of every tile, one cycle at a time.  The components due in a cycle are
# woken in the order of ``rank`` (shuffled: a permutation of the 1 + T + T*L components: memory, T tiles,
# T*L units), or (cpython) in the order CPython 2.7 iterates a set of them built in the order they were
# scheduled (``cpython_order``, from their hashes); a read's requesting units are then also called in
# CPython's order of a dict of their callbacks, else by tile.  Per cycle:
#
# * memory: takes queued reads onto free ports (first come first served; the reads in service kept in the
#   order they were taken), moves ``bpp`` values of every read in service; a finished read fills the NBins of every unit that asked for it (ready, and woken, next cycle);
# * tile: gives each idle unit with data left its next chunk: an all-zero chunk goes down the skip path (the
#   unit is woken next cycle), any other is read from the memory (merged with a queued read of the same lane
#   and chunk, else queued; the memory is woken next cycle);
# * unit: skip path: frees itself and calls its tile back (the tile is woken next cycle if the unit has data
#   left; a final chunk delivers its nb outputs now); NBin ready: computes lat * nb cycles, then frees itself
#   and calls back; a final chunk delivers its nb outputs lat + drain_per, 2 (lat + drain_per), ... cycles
#   after the NBin was ready.
# The window ends in the cycle of the last delivery; the director starts the next one a cycle later.
@jit
def cpython_order(keys, n, hashes, table, out):
    """Writes to ``out`` (and returns the count of) the first ``n`` of ``keys`` in the iteration order of a
    CPython 2.7 set (or dict: same table) into which they were inserted in that order, key k having the hash
    ``hashes[k]`` (uint64): open addressing over 8, 32, 128, ... slots, slot = hash & mask, probing
    i = 5 i + perturb + 1 with perturb = the hash shifted right 5 bits a probe; when 3 x fill >= 2 x slots the
    table grows to the least power of two above 4 x used, the entries re-inserted in slot order; iteration
    walks the slots.  ``table``: scratch int64, at least the largest table (> 4 n slots)."""
    size = 8
    for i in range(size):
        table[i] = -1
    for j in range(n):
        _put(table, size - 1, keys[j], hashes)
        if 3 * (j + 1) >= 2 * size:
            new = 8
            while new <= 4 * (j + 1):
                new *= 2
            m = 0
            for i in range(size):  # the old entries in slot order, kept at the front of out
                if table[i] >= 0:
                    out[m] = table[i]
                    m += 1
            for i in range(new):
                table[i] = -1
            size = new
            for i in range(m):
                _put(table, size - 1, out[i], hashes)
    m = 0
    for i in range(size):
        if table[i] >= 0:
            out[m] = table[i]
            m += 1
    return m


@jit
def _put(table, mask, k, hashes):
    h = hashes[k]
    i = h & np.uint64(mask)
    perturb = h
    while table[np.int64(i & np.uint64(mask))] >= 0:
        i = np.uint64(5) * i + perturb + np.uint64(1)
        perturb = perturb >> np.uint64(5)
    table[np.int64(i & np.uint64(mask))] = k


@jit
def _due(due, cnt, ins, icnt, s1, e):
    """Schedule component e in ring slot s1 (once; ``ins`` keeps the order of scheduling)."""
    if not due[s1, e]:
        due[s1, e] = True
        cnt[s1] += 1
        ins[s1, icnt[s1]] = e
        icnt[s1] += 1


def wake_window(lat, skip, size, nch, nb, T, bpp, ports, drain_per, rank, chash=None, rhash=None):
    """``wake_walk`` with the CPython order off unless both hash arrays are given."""
    none = np.zeros(0, dtype=np.uint64)
    return wake_walk(lat, skip, size, nch, nb, T, bpp, ports, drain_per, np.asarray(rank, dtype=np.int64),
                     none if chash is None else np.asarray(chash, dtype=np.uint64),
                     none if rhash is None else np.asarray(rhash, dtype=np.uint64))


@jit
def wake_walk(lat, skip, size, nch, nb, T, bpp, ports, drain_per, rank, chash, rhash):
    """lat (steps), skip (all-zero chunk), size (values read) : (L, maxc) of each lane's chunks; nch : (L,)
    chunks per lane.  The components due in a cycle are woken in ``rank`` order or, given ``chash`` (uint64
    hashes of the 1 + T + T*L components) and ``rhash`` (uint64 hashes of the T*L units' NBin-fill callbacks,
    tile-major), in the order CPython 2.7 iterates a set of them inserted in the order they were scheduled,
    and a read's requesting units are called in CPython's order of a dict of their callbacks inserted in the
    order they asked.  Returns the window's cycles, counted from the cycle before its tiles are woken (-1 if
    the components stop before every output is delivered, which consistent inputs never do)."""
    L = nch.shape[0]
    E = 1 + T + T * L
    hmode = chash.shape[0] > 0
    maxlat = 1
    for u in range(L):
        for k in range(nch[u]):
            if lat[u, k] > maxlat:
                maxlat = lat[u, k]
    span = max(maxlat * nb, maxlat + drain_per) + 8  # no event is scheduled further ahead
    due = np.zeros((span, E), dtype=np.bool_)
    cnt = np.zeros(span, dtype=np.int64)
    ins = np.zeros((span, E), dtype=np.int64)
    icnt = np.zeros(span, dtype=np.int64)
    seq = np.zeros(E, dtype=np.int64)
    tsize = 8
    while tsize <= 4 * E:
        tsize *= 2
    table = np.zeros(tsize, dtype=np.int64)
    order = np.argsort(rank)
    idx = np.zeros((T, L), dtype=np.int64)
    busy = np.zeros((T, L), dtype=np.bool_)
    skipping = np.zeros((T, L), dtype=np.bool_)
    fin = np.zeros((T, L), dtype=np.bool_)
    ready = np.full((T, L), -1, dtype=np.int64)
    call_in = np.full((T, L), -1, dtype=np.int64)
    call_data = np.full((T, L), -1, dtype=np.int64)
    left_entries = np.zeros((T, L), dtype=np.int64)
    steps = np.zeros((T, L), dtype=np.int64)
    reading = np.zeros((T, L), dtype=np.bool_)
    for t in range(T):
        for u in range(L):
            reading[t, u] = nch[u] > 0
    cap = T * L * lat.shape[1] + 1
    q_lane = np.zeros(cap, dtype=np.int64)
    q_chunk = np.zeros(cap, dtype=np.int64)
    q_left = np.zeros(cap, dtype=np.int64)
    q_who = np.zeros((cap, T), dtype=np.int64)  # the requesting tiles, in the order they asked
    q_n = np.zeros(cap, dtype=np.int64)
    who = np.zeros(T, dtype=np.int64)
    wkey = np.zeros(T, dtype=np.int64)
    head = 0
    tail = 0
    serving = np.full(max(ports, 1), -1, dtype=np.int64)  # reads in service, in the order they were taken
    nserv = 0
    delivered = 0
    total = 0
    for u in range(L):
        if nch[u] > 0:
            total += T * nb
    if total == 0:
        return 0
    now = 0
    for t in range(T):
        _due(due, cnt, ins, icnt, 1 % span, 1 + t)
    idle = 0
    while delivered < total:
        now += 1
        s = now % span
        if cnt[s] == 0:
            idle += 1
            if idle > span:  # nothing left to wake: cannot happen with consistent inputs
                return -1
            continue
        idle = 0
        if hmode:
            ns = cpython_order(ins[s], icnt[s], chash, table, seq)
        else:
            ns = 0
            for i in range(E):
                if due[s, order[i]]:
                    seq[ns] = order[i]
                    ns += 1
        icnt[s] = 0
        s1 = (now + 1) % span
        for i in range(ns):
            e = seq[i]
            due[s, e] = False
            if e == 0:  # ---- memory
                while nserv < ports and head < tail:
                    serving[nserv] = head
                    nserv += 1
                    head += 1
                keep = 0
                for p in range(nserv):
                    r = serving[p]
                    q_left[r] -= bpp
                    if q_left[r] <= 0:
                        u = q_lane[r]
                        k = q_chunk[r]
                        nw = q_n[r]
                        if hmode:
                            for j in range(nw):
                                wkey[j] = q_who[r, j] * L + u
                            nw = cpython_order(wkey, nw, rhash, table, who)
                            for j in range(nw):
                                who[j] = who[j] // L
                        else:
                            for j in range(nw):
                                who[j] = q_who[r, j]
                        for j in range(nw):
                            t = who[j]
                            ready[t, u] = now + 1
                            busy[t, u] = True
                            steps[t, u] = lat[u, k]
                            fin[t, u] = k == nch[u] - 1
                            _due(due, cnt, ins, icnt, s1, 1 + T + t * L + u)
                    else:
                        serving[keep] = r
                        keep += 1
                nserv = keep
                if nserv > 0 or head < tail:
                    _due(due, cnt, ins, icnt, s1, 0)
            elif e <= T:  # ---- tile
                t = e - 1
                for u in range(L):
                    if busy[t, u] or not reading[t, u]:
                        continue
                    k = idx[t, u]
                    busy[t, u] = True
                    fin[t, u] = k == nch[u] - 1
                    if skip[u, k]:
                        skipping[t, u] = True
                        _due(due, cnt, ins, icnt, s1, 1 + T + t * L + u)
                    else:
                        merged = False
                        for r in range(head, tail):
                            if q_lane[r] == u and q_chunk[r] == k:
                                q_who[r, q_n[r]] = t
                                q_n[r] += 1
                                merged = True
                                break
                        if not merged:
                            q_lane[tail] = u
                            q_chunk[tail] = k
                            q_left[tail] = size[u, k]
                            q_who[tail, 0] = t
                            q_n[tail] = 1
                            tail += 1
                        _due(due, cnt, ins, icnt, s1, 0)
            else:  # ---- unit
                t = (e - 1 - T) // L
                u = (e - 1 - T) - t * L
                ue = e
                call = False
                if skipping[t, u]:
                    skipping[t, u] = False
                    idx[t, u] += 1
                    busy[t, u] = False
                    call = True
                    if fin[t, u]:
                        delivered += nb
                if ready[t, u] == now:
                    ci = now + steps[t, u] * nb
                    call_in[t, u] = ci
                    _due(due, cnt, ins, icnt, ci % span, ue)
                    if fin[t, u]:
                        cd = now + steps[t, u] + drain_per
                        call_data[t, u] = cd
                        left_entries[t, u] = nb
                        _due(due, cnt, ins, icnt, cd % span, ue)
                if call_in[t, u] == now:
                    call_in[t, u] = -1
                    idx[t, u] += 1
                    ready[t, u] = -1
                    busy[t, u] = False
                    call = True
                if call:  # the unit calls its tile back
                    if idx[t, u] >= nch[u]:
                        reading[t, u] = False
                    else:
                        _due(due, cnt, ins, icnt, s1, 1 + t)
                if call_data[t, u] == now:
                    left_entries[t, u] -= 1
                    if left_entries[t, u] > 0:
                        cd = now + steps[t, u] + drain_per
                        call_data[t, u] = cd
                        _due(due, cnt, ins, icnt, cd % span, ue)
                    else:
                        call_data[t, u] = -1
                    delivered += 1
            cnt[s] -= 1
    return now
