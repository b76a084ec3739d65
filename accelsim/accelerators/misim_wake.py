"""MIsim's wake order as accelsim replays and models it (``timing_model: misim``, Cnvlutin,
``misim_wake_order: cpython | address``; the orders are described in accelerators/misim_timing.py).

MIsim's director wakes the components due in a cycle in the iteration order of a Python 2.7 set of them;
CPython 2.7 hashes such an object by its address rotated right by 4 bits, and a read's requesters (bound
methods ``unit.fill_NBin``) by the unit's hash XOR the function's.  So a run's order is fixed by the
objects' addresses.  A ``misim_wake_file`` (JSON; benchmarks/misim_peers.py ``--record`` writes one per MIsim
run) holds ``components`` (the hashes of the central memory, the clusters and the units, cluster-major),
``requesters`` (the hashes of the units' ``fill_NBin`` bound methods) and, for ``address``, ``addresses``
(the components' addresses).

``cpython`` replays the file's hashes.  ``address`` models the run-to-run spread from one recorded run
(``address_hashes``): what changes between MIsim runs is where the operating system maps memory
(address-space layout randomization moves it by whole 4 KiB pages), while pymalloc places objects in 4 KiB
pools at offsets fixed by the program's own allocations, so the offset of each object within its page is
the same in every run (benchmarks/misim_peers.py records: true for all but five of the 273 objects, the
memory, cluster 0 and its units 0-2, allocated first into freed blocks).  The objects, with the
``fill_NBin`` function (its address recovered from the hashes), are sorted by address and cut where two
neighbours are more than one pymalloc arena (256 KiB) apart; each such region is moved by an independent
uniform random number of pages in [0, 2^20) drawn from ``misim_wake_seed`` (regions mapped separately move
independently; objects within a region keep their distances, as the recorded runs show), and the hashes
are recomputed.  The table slot of a set of up to 85 objects (at most 128 slots) depends only on address
bits 4-10, inside the page: the model changes only larger sets (bit 12) and collision probes (higher bits).
"""
from __future__ import annotations

import json
import os
from functools import lru_cache

import numpy as np

from accelsim.errors import ConfigError

WAKE_ORDERS = ("fixed", "shuffled", "cpython", "address")
# the component walk of the orders other than fixed has these rules built in
WAKE_NEEDS = ("window_pipeline", "handoff", "cm_ports", "zero_chunk")
FILE_ORDERS = ("cpython", "address")
_U64 = (1 << 64) - 1
ARENA = 256 * 1024
PAGE = 4096


def check_wake_order(order: str, rules: frozenset[str], where: str, wake_file: str = "", tiles: int = 16) -> None:
    if order not in WAKE_ORDERS:
        raise ConfigError(f"{where}: misim_wake_order must be one of {', '.join(WAKE_ORDERS)}, got {order!r}")
    missing = [r for r in WAKE_NEEDS if r not in rules]
    if order != "fixed" and missing:
        raise ConfigError(f"{where}: misim_wake_order {order} walks MIsim's components, which have "
                          f"{', '.join(WAKE_NEEDS)} built in; misim_rules lacks {', '.join(missing)}")
    if order in FILE_ORDERS:
        if not wake_file:
            raise ConfigError(f"{where}: misim_wake_order {order} needs misim_wake_file (a JSON file of MIsim's "
                              f"objects' hashes, as benchmarks/misim_peers.py --record writes)")
        load_wake_file(wake_file, where, tiles, addresses=order == "address")
    elif wake_file:
        raise ConfigError(f"{where}: misim_wake_file is read only with misim_wake_order cpython or address, "
                          f"not {order}")


def wake_hashes(order: str, wake_file: str, seed: int, where: str, tiles: int) -> tuple:
    """(component hashes, requester hashes) for ``cpython`` (the file's) and ``address`` (modelled from the
    file's addresses with ``seed``); () for the other orders."""
    if order == "cpython":
        return load_wake_file(wake_file, where, tiles)[:2]
    if order == "address":
        comps, reqs, addrs = load_wake_file(wake_file, where, tiles, addresses=True)
        return address_hashes(addrs, reqs[0] ^ comps[1 + tiles], seed, tiles)
    return ()


def rotate(addr: int) -> int:
    """CPython 2.7's hash of an object without __hash__ (_Py_HashPointer): the address rotated right 4 bits,
    as a signed 64-bit integer (-1 becomes -2)."""
    h = ((addr >> 4) | (addr << 60)) & _U64
    h = h - (1 << 64) if h >= 1 << 63 else h
    return -2 if h == -1 else h


def unrotate(h: int) -> int:
    u = h & _U64
    return ((u << 4) | (u >> 60)) & _U64


def signed(u: int) -> int:
    u &= _U64
    return u - (1 << 64) if u >= 1 << 63 else u


def address_hashes(addresses: tuple[int, ...], func_hash: int, seed: int, tiles: int) -> tuple[tuple, tuple]:
    """The ``address`` model: ``addresses`` (memory, clusters, units) and the fill_NBin function (from its
    hash) moved region by region by random whole pages; returns (component hashes, requester hashes)."""
    objs = list(addresses) + [unrotate(func_hash)]
    order = sorted(range(len(objs)), key=objs.__getitem__)
    rng = np.random.default_rng(seed)
    moved = list(objs)
    shift = int(rng.integers(0, 1 << 20)) * PAGE
    for j, i in enumerate(order):
        if j and objs[i] - objs[order[j - 1]] > ARENA:
            shift = int(rng.integers(0, 1 << 20)) * PAGE
        moved[i] = objs[i] + shift
    comps = tuple(rotate(a) for a in moved[:-1])
    f = rotate(moved[-1])
    return comps, tuple(signed(h ^ f) for h in comps[1 + tiles:])


@lru_cache(maxsize=8)
def _read(path: str, _mtime: int, _size: int, where: str, tiles: int, addresses: bool):
    def bad(msg):
        return ConfigError(f"{where}: misim_wake_file {path}: {msg}")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise bad(f"cannot read it ({e.strerror})") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise bad(f"not JSON ({str(e).splitlines()[0][:80]})") from None
    if not isinstance(doc, dict):
        raise bad("must be a JSON object with the lists components and requesters")
    out = []
    for key in ("components", "requesters") + (("addresses",) if addresses else ()):
        v = doc.get(key)
        if not isinstance(v, list) or not v:
            raise bad(f"{key} must be a non-empty list of integers")
        lo, hi = (1, 1 << 63) if key == "addresses" else (-(1 << 63), 1 << 63)
        for i, h in enumerate(v):
            if isinstance(h, bool) or not isinstance(h, int) or not lo <= h < hi:
                kind = "a positive 64-bit address" if key == "addresses" else "a signed 64-bit integer"
                raise bad(f"{key}[{i}] must be {kind}, got {h!r}")
        out.append(tuple(v))
    comps, reqs = out[:2]
    if len(reqs) % tiles:
        raise bad(f"requesters has {len(reqs)} hashes, not a multiple of the {tiles} tiles")
    if len(comps) != 1 + tiles + len(reqs):
        raise bad(f"components has {len(comps)} hashes; the memory, {tiles} tiles and {len(reqs)} units "
                  f"make {1 + tiles + len(reqs)}")
    if len(set(comps)) != len(comps):
        raise bad("components holds a hash twice (distinct objects have distinct addresses)")
    if addresses:
        addrs = out[2]
        if len(addrs) != len(comps):
            raise bad(f"addresses has {len(addrs)} entries, components {len(comps)}")
        if any(rotate(a) != h for a, h in zip(addrs, comps)):
            raise bad("addresses do not give the components' hashes (CPython 2.7: address rotated right 4 bits)")
        func = {(r ^ c) & _U64 for r, c in zip(reqs, comps[1 + tiles:])}
        if len(func) != 1:
            raise bad("requesters are not the units' hashes XOR one function's hash (bound methods of fill_NBin)")
        return comps, reqs, addrs
    return comps, reqs


def load_wake_file(path: str, where: str, tiles: int, addresses: bool = False) -> tuple:
    """(component hashes, requester hashes[, addresses]) from a ``misim_wake_file``, validated."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise ConfigError(f"{where}: misim_wake_file {path}: cannot read it ({e.strerror})") from None
    return _read(path, st.st_mtime_ns, st.st_size, where, tiles, addresses)
