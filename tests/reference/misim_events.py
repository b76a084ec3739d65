"""Slow reference for ``timing_model: misim``: a cycle-by-cycle simulation of the components of the Cnvlutin
authors' simulator MIsim (github iniverno/MIsim, 57ffffff, ``dummyUnits``), written from its documented
behaviour (accelsim/accelerators/misim_timing.py) and from reading its director, cluster, unit and memory;
no MIsim code is copied, and it does not call accelsim's kernel (accelsim/kernels/misim.py).

Unlike the kernel, which follows one tile's lanes with a closed-form port queue and assumes the 16 tiles
stay in lockstep, this walks every component of every tile, one woken component at a time:

* the director starts a window by waking the 16 clusters one cycle after the previous window ended and
  ends it in the cycle in which the last unit of the last cluster delivered its last NBout entry;
* a cluster, when woken, gives each idle unit that still has data its next chunk of ``per_chunk`` values of
  its flattened sub-window: an all-zero chunk (ZF = 1) goes down the skip path (the unit is woken next
  cycle), any other is read from the central memory;
* the central memory queues reads first come first served; a read of an address already waiting in the
  queue (not yet taken by a port) is merged with it; each cycle up to ``ports`` queued reads are taken and
  every read in service moves ``port_bytes`` elements, finishing when its size is covered; a finished read
  fills the NBins of all its requesters (ready the next cycle);
* a unit whose NBin is ready computes for (size // Ti) * nb cycles (then frees itself and calls the cluster
  back, which wakes the cluster the next cycle if the unit has data left) and, for the final chunk,
  delivers nb NBout entries, one every size // Ti + 8 cycles; on the skip path it frees itself and calls
  back at once, and delivers all its entries at once if the chunk was final.

The components due in one cycle are woken in a fixed order: the memory, the clusters by index, then the
units by cluster and index (``order``), or in any other order given as a key function.  MIsim itself wakes
them in the iteration order of a Python set, which follows the objects' addresses (benchmarks/misim_peers.py
``--order canonical`` runs MIsim with the fixed order).  ``hashes`` replays that order: given the CPython 2.7
hash of each component (memory, clusters, units) and of each unit's ``fill_NBin`` bound method (the
requesters of a memory read, kept in a ``sets.Set``, i.e. a dict), every cycle's set and every read's
requesters are iterated as CPython 2.7 iterates a set or dict built by inserting them in the order MIsim
inserts them (``cpython_order``, below).
"""
from __future__ import annotations

from collections import deque

import numpy as np

_U64 = (1 << 64) - 1


def cpython_order(keys: list, hashes: list[int]) -> list:
    """The iteration order of a CPython 2.7 set (or dict: same table) into which ``keys`` (distinct) with
    ``hashes`` were inserted in that order: open addressing over 8, 32, 128, ... slots, slot = hash & mask,
    probing i = 5 i + perturb + 1 (perturb = the hash, shifted right 5 bits each probe), the table growing
    to the least power of two above 4 x used when 3 x fill >= 2 x slots (entries re-inserted in slot order);
    iteration walks the slots in order.  Written from CPython 2.7's setobject.c / dictobject.c rules."""
    mask = 7
    table: list = [None] * 8

    def put(tab, m, k, h):
        i = h & m
        perturb = h
        while tab[i & m] is not None:
            i = (5 * i + perturb + 1) & _U64
            perturb >>= 5
        tab[i & m] = (k, h)

    for n, (k, h) in enumerate(zip(keys, hashes), start=1):
        put(table, mask, k, h & _U64)
        if 3 * n >= 2 * (mask + 1):
            size = 8
            while size <= 4 * n:
                size <<= 1
            old, table, mask = table, [None] * size, size - 1
            for e in old:
                if e is not None:
                    put(table, mask, e[0], e[1])
    return [e[0] for e in table if e is not None]


def lane_streams(window: np.ndarray, zf: int) -> list[np.ndarray]:
    """The flattened sub-window of each unit: ZF = 1, 16 units of C/16 channels (C already padded);
    ZF = 0, one unit with the whole window.  MIsim flattens (channels, rows, columns) with the column
    outermost, then the row, the channel fastest."""
    units = 16 if zf else 1
    fu = window.shape[0] // units
    return [window[u * fu:(u + 1) * fu].transpose(2, 1, 0).reshape(-1) for u in range(units)]


def window_cycles(streams: list[np.ndarray], zf: int, nb: int, start: int, clusters: int = 16,
                  original_size: bool = False, order=None, log: list | None = None, hashes=None) -> int:
    """The cycle in which the window ends, when the director started it at ``start`` (its clusters are
    woken at start + 1).  ``original_size``: a chunk reads (and costs) its uncompressed size (MIsim HEAD).
    ``log``: a list to which (cycle, what, cluster, unit, chunk start) events are appended.  ``hashes``:
    (component hashes: memory, clusters, units by cluster; units' fill_NBin hashes by cluster and unit), to
    wake a cycle's components and call a read's requesters in CPython 2.7's set / dict order."""
    ti, per_chunk, port_bytes, ports, depth = (1, 16, 32, 2, 8) if zf else (16, 256, 256, 2, 8)
    units = len(streams)
    rank = order or (lambda e: (0, 0, 0) if e[0] == "M" else ((1, e[1], 0) if e[0] == "C" else (2, e[1], e[2])))
    wake: dict[int, list] = {}   # the components due in a cycle, in the order they were scheduled

    def schedule(entity, when):
        due = wake.setdefault(when, [])
        if entity not in due:
            due.append(entity)

    def index(e):
        return 0 if e[0] == "M" else (1 + e[1] if e[0] == "C" else 1 + clusters + e[1] * units + e[2])

    def woken(due):
        if hashes is None:
            return sorted(due, key=rank)
        return cpython_order(due, [hashes[0][index(e)] for e in due])

    def requesters(who):
        if hashes is None:
            return who
        return cpython_order(who, [hashes[1][k * units + u] for k, u in who])

    # unit state, per (cluster, unit)
    keys = [(k, u) for k in range(clusters) for u in range(units)]
    ptr = dict.fromkeys(keys, 0)
    busy = dict.fromkeys(keys, False)
    skip = dict.fromkeys(keys, False)
    final = dict.fromkeys(keys, False)
    orig = dict.fromkeys(keys, 0)
    size = dict.fromkeys(keys, 0)
    ready = dict.fromkeys(keys, None)
    call_in = dict.fromkeys(keys, None)
    call_data = dict.fromkeys(keys, None)
    entries_left = dict.fromkeys(keys, 0)
    reading = {k: set(range(units)) for k in range(clusters)}
    queue: deque = deque()   # [address, size, left, requesters, final]
    serving: list = []
    delivered = 0
    total = clusters * units * nb

    def read(now, addr, n, who, fin):
        for req in queue:
            if req[0] == addr:
                if who not in req[3]:
                    req[3].append(who)
                break
        else:
            queue.append([addr, n, n, [who], fin])
        schedule(("M",), now + 1)

    def call_back(now, k, u):
        if ptr[k, u] >= len(streams[u]):
            reading[k].discard(u)
        else:
            schedule(("C", k), now + 1)

    def deliver(n):
        nonlocal delivered
        delivered += n

    def memory(now):
        nonlocal serving
        while len(serving) < ports and queue:
            serving.append(queue.popleft())
            if log is not None:
                log.append((now, "port", -1, serving[-1][0][0], serving[-1][0][1]))
        keep = []
        for req in serving:
            req[2] -= port_bytes
            if req[2] <= 0:
                for k, u in requesters(req[3]):  # fill the NBin
                    size[k, u] = req[1]
                    ready[k, u] = now + 1
                    busy[k, u] = True
                    final[k, u] = req[4]
                    schedule(("U", k, u), now + 1)
            else:
                keep.append(req)
        serving = keep
        if serving or queue:
            schedule(("M",), now + 1)

    def cluster(now, k):
        for u in range(units):
            if busy[k, u] or u not in reading[k]:
                continue
            lo = ptr[k, u]
            if log is not None:
                log.append((now, "issue", k, u, lo))
            chunk = streams[u][lo:lo + per_chunk]
            nnz = int(np.count_nonzero(chunk))
            orig[k, u] = len(chunk)
            busy[k, u] = True
            final[k, u] = lo + len(chunk) >= len(streams[u])
            n = len(chunk) if (not zf or original_size) else nnz
            if nnz > 0 or not zf:
                read(now, (u, lo), n, (k, u), final[k, u])
            else:
                skip[k, u] = True
                schedule(("U", k, u), now + 1)

    def unit(now, k, u):
        if skip[k, u]:
            skip[k, u] = False
            ptr[k, u] += orig[k, u]
            busy[k, u] = False
            call_back(now, k, u)
            if final[k, u]:
                deliver(nb)
        if ready[k, u] == now:
            steps = max(1, size[k, u]) // ti
            if steps == 0:
                raise AssertionError("a chunk of fewer than Ti values (MIsim's latencyInput > 0 assertion)")
            call_in[k, u] = now + steps * nb
            schedule(("U", k, u), now + steps * nb)
            if final[k, u]:
                call_data[k, u] = now + steps + depth
                entries_left[k, u] = nb
                schedule(("U", k, u), now + steps + depth)
        if call_in[k, u] == now:
            call_in[k, u] = None
            ptr[k, u] += orig[k, u]
            ready[k, u] = None
            busy[k, u] = False
            call_back(now, k, u)
        if call_data[k, u] == now:
            entries_left[k, u] -= 1
            if entries_left[k, u]:
                call_data[k, u] = now + size[k, u] // ti + depth
                schedule(("U", k, u), call_data[k, u])
            else:
                call_data[k, u] = None
            deliver(1)

    for k in range(clusters):
        schedule(("C", k), start + 1)
    now = start
    while delivered < total:
        if not wake:
            raise AssertionError("nothing left to wake before the window ended")
        now = min(wake)
        for e in woken(wake.pop(now)):
            if e[0] == "M":
                memory(now)
            elif e[0] == "C":
                cluster(now, e[1])
            else:
                unit(now, e[1], e[2])
    return now


def layer_cycles(x: np.ndarray, M: int, K: int, stride: int, pad: int, zf: int, original_size: bool = False,
                 order=None, hashes=None) -> int:
    """MIsim's cycles for one image x (C, H, W), M filters (a multiple of 16) of K x K, as the director runs
    the windows one after another."""
    C = x.shape[0]
    if zf and C % 16:
        x = np.concatenate([x, np.zeros((16 - C % 16,) + x.shape[1:])])  # testSystem.py pads channels
    if pad:
        x = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    H = x.shape[1]
    nb = -(-(M // 16) // 16)
    now = 0
    for oy in range(0, H - K + 1, stride):
        for ox in range(0, H - K + 1, stride):
            streams = lane_streams(x[:, oy:oy + K, ox:ox + K], zf)
            now = window_cycles(streams, zf, nb, now, original_size=original_size, order=order, hashes=hashes)
    return now
