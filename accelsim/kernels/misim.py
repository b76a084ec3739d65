"""Window timing of DaDianNao/Cnvlutin as the Cnvlutin authors' simulator MIsim times it (``timing_model:
misim``; the rules and their MIsim sources are documented in accelsim/accelerators/misim_timing.py).

A window is streamed by ``lanes`` units (Cnvlutin: 16 neuron lanes; DaDianNao: 1 unit for the whole
window).  A lane's work is a list of chunks; chunk k has a latency ``lat`` (steps, each costing ``nb``
cycles: one per 16-filter group the tile holds), a ``skip`` flag (an all-zero chunk taken by MIsim's skip
path) and the port cycles ``q`` its central-memory read occupies.  One chunk of one lane:

* issued at t: a skipped chunk frees the lane for its next issue at t + 2 (final chunk: done at t + 1);
* otherwise its read enters the central memory from t + h (h = 1 with the hand-off rule, else 0), first
  come first served over ``ports`` ports (with the port rule; without it, at once), and completes q - 1
  cycles after entering (at c);
* the unit's NBin is ready at c + h; the lane is free at c + h + nb*lat and issues its next chunk at
  c + 2h + nb*lat; a final chunk is done at c + h + nb*lat + drain (drain = nb * pipeline depth with the
  per-window pipeline rule, else 0).
The window costs h + the latest lane's done time (the director starts a window one cycle after the last
one ended).  Lanes are visited in time order, ties by lane index, which is the order MIsim's cluster
queues its units' reads; MIsim's memory serves a read from the cycle after it was queued.
"""
import numpy as np

from accelsim.kernels._jit import jit
from accelsim.kernels.misim_wake import cpython_order, wake_walk, wake_window  # noqa: F401 (the walk: MIsim's wake order)


@jit
def window_time(lat, skip, q, nch, nb, h, ports, use_ports, drain):
    """lat, skip, q : (lanes, max_chunks) int64; nch : (lanes,) chunks per lane (0: idle lane).  Returns the
    window's cycles."""
    lanes = nch.shape[0]
    nxt = np.zeros(lanes, dtype=np.int64)
    idx = np.zeros(lanes, dtype=np.int64)
    done = np.full(lanes, -1, dtype=np.int64)
    free = np.zeros(max(ports, 1), dtype=np.int64)
    last_start = 0
    left = 0
    end = 0
    for u in range(lanes):
        if nch[u] > 0:
            left += 1
    while left > 0:
        u = -1
        for v in range(lanes):  # the earliest issue; ties to the lowest lane
            if nch[v] > 0 and done[v] < 0 and (u < 0 or nxt[v] < nxt[u]):
                u = v
        t = nxt[u]
        k = idx[u]
        final = k == nch[u] - 1
        if skip[u, k]:
            if final:
                done[u] = t + 1
            else:
                nxt[u] = t + 2
        else:
            start = t + h
            if use_ports:
                j = 0
                for p in range(1, ports):
                    if free[p] < free[j]:
                        j = p
                if free[j] > start:
                    start = free[j]
                if last_start > start:
                    start = last_start
                last_start = start
                free[j] = start + q[u, k]
            c = start + q[u, k] - 1 if use_ports else start
            ready = c + h + nb * lat[u, k]
            if final:
                done[u] = ready + drain
            else:
                nxt[u] = ready + h
        if done[u] >= 0 and final:
            left -= 1
            if done[u] > end:
                end = done[u]
        idx[u] = k + 1
    return h + end


@jit
def cnv_rows(mask, Cg, R, S, sh, sw, dh, dw, E, F, lanes, brick, xy_outer, zero_skip, lat_original,
             zero_cycles, bpp, nb, h, ports, use_ports, drain, tiles, rank, chash, rhash, drain_per, out):
    """Cnvlutin (MIsim ZF = 1) window cycles summed per output row into ``out`` (N, G, E).

    mask (N, G, Hp, Wp, Cpad) uint8 (padding applied), Cpad = lanes * fu.  Lane u owns channels
    [u*fu, (u+1)*fu); its sub-window is flattened channel fastest, then filter row r, then column s
    (``xy_outer``: MIsim's order, column outermost) or then column s, then row r (accelsim's ideal order),
    and cut into chunks of ``brick`` values.  A chunk's latency is its non-zero count (MIsim 57ffffff) or its
    original size (``lat_original``: MIsim HEAD); an all-zero chunk takes the skip path (``zero_skip``) or
    costs ``zero_cycles`` steps.  Its read occupies ceil(size / bpp) port cycles, size being the elements
    read (the non-zeros, or the original size).  A non-empty ``rank`` (MIsim's wake order, a permutation
    of the 1 + tiles + tiles * lanes components) or ``chash`` (with ``rhash``: the CPython hashes of the
    components and of the units' NBin-fill callbacks) times each window with every tile's components
    (``wake_walk``, below) instead of one tile's lanes in lockstep."""
    N, G, Cpad = mask.shape[0], mask.shape[1], mask.shape[4]
    fu = Cpad // lanes
    per_lane = R * S * fu
    maxc = (per_lane + brick - 1) // brick
    lat = np.zeros((lanes, maxc), dtype=np.int64)
    skip = np.zeros((lanes, maxc), dtype=np.bool_)
    q = np.ones((lanes, maxc), dtype=np.int64)
    sz = np.ones((lanes, maxc), dtype=np.int64)
    nch = np.zeros(lanes, dtype=np.int64)
    for n in range(N):
        for g in range(G):
            for e in range(E):
                for f in range(F):
                    y0 = e * sh
                    x0 = f * sw
                    for u in range(lanes):
                        c0 = u * fu
                        k = 0
                        cnt = 0
                        pos = 0
                        for a in range(R * S):
                            if xy_outer:
                                s = a // R
                                r = a - s * R
                            else:
                                r = a // S
                                s = a - r * S
                            for c in range(c0, c0 + fu):
                                if c < Cg:
                                    cnt += mask[n, g, y0 + r * dh, x0 + s * dw, c]
                                pos += 1
                                if pos == brick or (a == R * S - 1 and c == c0 + fu - 1):
                                    size = cnt if not lat_original else pos
                                    if cnt == 0 and zero_skip:
                                        skip[u, k] = True
                                        lat[u, k] = 0
                                    else:
                                        skip[u, k] = False
                                        if cnt == 0:
                                            lat[u, k] = zero_cycles
                                        else:
                                            lat[u, k] = size
                                    rq = cnt if not lat_original else pos
                                    q[u, k] = max(1, (rq + bpp - 1) // bpp)
                                    sz[u, k] = rq
                                    k += 1
                                    cnt = 0
                                    pos = 0
                        nch[u] = k
                    if rank.shape[0] > 0 or chash.shape[0] > 0:
                        w = wake_walk(lat, skip, sz, nch, nb, tiles, bpp, ports, drain_per, rank, chash, rhash)
                        if w < 0:
                            raise RuntimeError("misim wake order: a window's components stopped early")
                        out[n, g, e] += w
                    else:
                        out[n, g, e] += window_time(lat, skip, q, nch, nb, h, ports, use_ports, drain)


def dadn_window(chunk_sizes: np.ndarray, lat: np.ndarray, nb: int, h: int, ports: int, use_ports: bool,
                drain: int, bpp: int) -> int:
    """DaDianNao (MIsim ZF = 0): one unit streams the window as chunks of the given sizes and latencies."""
    k = len(chunk_sizes)
    q = np.maximum(1, -(-np.asarray(chunk_sizes, dtype=np.int64) // bpp)).reshape(1, k)
    return int(window_time(np.asarray(lat, dtype=np.int64).reshape(1, k), np.zeros((1, k), dtype=np.bool_), q,
                           np.array([k], dtype=np.int64), nb, h, ports, use_ports, drain))
