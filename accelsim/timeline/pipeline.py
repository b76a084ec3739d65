"""The tile pipeline in closed form: exact cycles with a handful of simpy events per layer.

The pipeline (``run_tiles``) is double buffering over one FIFO DRAM channel; its rules are stated in
``components.py``.  Written as a recurrence over tiles i = 0, 1, ... (all times are integer cycles):

    q_i  = max(a_{i-1}, e_{i-slots})               the loader asks for tile i's data (a slot is free)
    the channel first serves every waiting store requested at or before q_i (stores win ties), then
    the load: start = max(F, q_i), F = start + L_i, a_i = F + latency   (a_i = q_i when L_i = 0)
    s_i  = max(e_{i-1}, a_i),  e_i = s_i + c_i,  stall += s_i - e_{i-1}
    tile i's store (S_i cycles) is requested at e_i and waits in FIFO order

with L = ceil(load_bits / bw), S = ceil(store_bits / bw), c = compute cycles and F the cycle the channel
is next free.  The layer ends at max(e_last + fill, last store's channel end + latency).

**Runs in closed form.**  Within a run of identical tiles the system is time-invariant: the state after
a tile, taken relative to e_i (a, F, the slot release times, the queued stores), determines everything
that follows.  Values that can no longer matter are clamped (F below every future request time, a slot
released before a_i), so in a steady state the relative state repeats exactly, with some period p (1 for
a plain double-buffered stream, 2 when two slots alternate, ...).  When it repeats, every further period
adds the same cycles and stalls, so the rest of the run is advanced arithmetically, and only the few
tiles before the steady state and the remainder after it are stepped.  Tiles whose work changes every
time (data-dependent passes) are stepped one by one by the same recurrence -- still exact, and with no
simpy event per tile: simpy sees one event per segment (a run or a stretch of irregular tiles).

``tests/reference/pipeline.py`` is the plain tile-by-tile simpy pipeline; hypothesis tests check that
this module's cycles, stall cycles and DRAM busy cycles equal it on random tile sequences.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

MIN_RUN = 4  # runs shorter than this are stepped (looking for a period would cost more than it saves)


@dataclass
class PipelineResult:
    cycles: int                 # absolute cycle at which the layer ends
    compute_cycles: int
    stall_cycles: int
    dram_busy_cycles: int
    #: (end cycle of the segment's last tile, first tile, last tile, closed form?) per segment, in order
    segments: list[tuple[int, int, int, bool]] = field(default_factory=list)
    #: per-tile (event, cycle) records, only with ``log=True`` (then no run is taken in closed form)
    log: list[tuple[str, int]] | None = None
    tiles_stepped: int = 0


def transfer_cycles(bits: np.ndarray, bw: float) -> np.ndarray:
    """ceil(bits / bw) per transfer, 0 for no bits (the same float division as ``math.ceil(b / bw)``)."""
    bits = np.asarray(bits, dtype=np.int64)
    return np.where(bits > 0, np.ceil(bits / float(bw)), 0).astype(np.int64)


def run_pipeline(load_bits, compute_cycles, store_bits, bw: float, latency: int = 0, slots: int = 2,
                 fill_cycles: int = 0, start: int = 0, log: bool = False, name: str = "tile") -> PipelineResult:
    """The exact pipeline of the module docstring, starting at cycle ``start``."""
    assert slots >= 1 and bw > 0 and latency >= 0 and fill_cycles >= 0
    cc = np.asarray(compute_cycles, dtype=np.int64).ravel()
    L = transfer_cycles(np.asarray(load_bits).ravel(), bw)
    S = transfer_cycles(np.asarray(store_bits).ravel(), bw)
    n = len(cc)
    lat = int(latency)
    # run-length encoding of (L, c, S): a run starts where any of them changes
    if n:
        change = np.flatnonzero((np.diff(L) != 0) | (np.diff(cc) != 0) | (np.diff(S) != 0)) + 1
        starts = np.concatenate([[0], change]).tolist()
        ends = np.concatenate([change, [n]]).tolist()
    else:
        starts, ends = [], []
    if not L.any() and not S.any():  # no DRAM traffic: the tiles run back to back, nothing to step
        end = start + int(cc.sum())
        recs = None
        if log:
            ends = start + np.cumsum(cc)
            recs = [r for i in range(n) for r in ((f"start {name}{i}", int(ends[i] - cc[i])), (f"end {name}{i}", int(ends[i])))]
            recs.append((f"done {name}", end + int(fill_cycles)))
        return PipelineResult(cycles=end + int(fill_cycles), compute_cycles=int(cc.sum()) + int(fill_cycles),
                              stall_cycles=0, dram_busy_cycles=0, segments=[(end, 0, n - 1, True)] if n else [],
                              log=recs)
    Ll, cl, Sl = L.tolist(), cc.tolist(), S.tolist()

    e = a = F = start          # last compute end, last arrival, channel free
    lse = None                 # channel end of the last store served
    sf = deque([start] * slots)  # release cycles of the slots the next loads take (e_{i-slots}, ...)
    pend: deque[tuple[int, int]] = deque()  # queued stores (request cycle, cycles)
    stall = 0
    recs: list[tuple[str, int]] | None = [] if log else None
    segments: list[tuple[int, int, int, bool]] = []
    stepped = 0
    irregular_from = None
    seg_end = start
    rq_tile: deque[int] = deque()  # tile index of each queued store, kept only for the per-tile log

    for r0, r1 in zip(starts, ends):
        Li, ci, Si = Ll[r0], cl[r0], Sl[r0]
        m = r1 - r0
        closed = not log and m >= MIN_RUN
        seen: dict | None = {} if closed else None
        k = 0
        while k < m:
            i = r0 + k
            # ---- one tile
            q = a if a > sf[0] else sf[0]
            if Li:
                while pend and pend[0][0] <= q:
                    rq, d = pend.popleft()
                    F = (F if F > rq else rq) + d
                    lse = F
                    if recs is not None:
                        recs.append((f"dram:store {name}{rq_tile.popleft()}", F + lat))
                F = (F if F > q else q) + Li
                a = F + lat
                if recs is not None:
                    recs.append((f"dram:load {name}{i}", a))
            else:
                a = q
            s = e if e > a else a
            stall += s - e
            if recs is not None:
                recs.append((f"start {name}{i}", s))
                recs.append((f"end {name}{i}", s + ci))
            e = s + ci
            sf.popleft()
            sf.append(e)
            if Si:
                pend.append((e, Si))
                if recs is not None:
                    rq_tile.append(i)
            stepped += 1
            k += 1
            if seen is None or k >= m:
                continue
            # ---- look for a period in the relative state; advance whole periods in closed form
            B = a if not pend or a < pend[0][0] else pend[0][0]
            if F < B:
                F = B  # the channel is free before any future request: its exact free cycle cannot matter
            for j in range(slots):
                if sf[j] < a:
                    sf[j] = a  # released before the last arrival: the next loads wait for a anyway
            key = (a - e, F - e, tuple(x - e for x in sf), tuple((x - e, d) for x, d in pend),
                   (lse - e) if (Si and lse is not None) else None)
            hit = seen.get(key)
            if hit is None:
                seen[key] = (k, e, stall)
                continue
            k0, e0, stall0 = hit
            p = k - k0
            jumps = (m - k) // p
            if jumps:
                D = (e - e0) * jumps
                e += D
                a += D
                F += D
                for j in range(slots):
                    sf[j] += D
                pend = deque((x + D, d) for x, d in pend)
                if Si and lse is not None:
                    lse += D
                stall += (stall - stall0) * jumps
                k += p * jumps
            seen = None  # at most one jump per run
        # ---- segment bookkeeping (one simpy event per segment)
        if closed or m > 1:
            if irregular_from is not None:
                segments.append((seg_end, irregular_from, r0 - 1, False))
                irregular_from = None
            segments.append((e, r0, r1 - 1, closed))
        else:
            if irregular_from is None:
                irregular_from = r0
            seg_end = e
    if irregular_from is not None:
        segments.append((seg_end, irregular_from, n - 1, False))
    while pend:
        rq, d = pend.popleft()
        F = (F if F > rq else rq) + d
        lse = F
        if recs is not None:
            recs.append((f"dram:store {name}{rq_tile.popleft()}", F + lat))
    end = e + int(fill_cycles)
    if lse is not None and lse + lat > end:
        end = lse + lat
    if recs is not None:
        recs.append((f"done {name}", end))
        recs.sort(key=lambda r: r[1])
    return PipelineResult(cycles=int(end), compute_cycles=int(cc.sum()) + int(fill_cycles), stall_cycles=int(stall),
                          dram_busy_cycles=int(L.sum() + S.sum()), segments=segments, log=recs, tiles_stepped=stepped)

