"""Timeline components: a DRAM channel with bandwidth and latency, and a double-buffered tile pipeline.

``run_tiles`` is the one pipeline every model uses: tile *i* needs ``load_bits[i]`` read from DRAM into a
free on-chip buffer slot, then occupies the compute array for ``compute_cycles[i]``, then its
``store_bits[i]`` are written back to DRAM while later tiles proceed.  With ``slots=2`` the load of tile
i+1 overlaps the compute of tile i (double buffering).  Stall cycles are the cycles the array waits for a
tile's data.  Reads and writes share one channel (one bidirectional bus, as Eyeriss's 64-bit link).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generator

import numpy as np
import simpy

from accelsim.timeline.engine import Timeline


@dataclass
class TileWork:
    """Per-tile work of one layer: three int64 arrays of equal length."""

    load_bits: np.ndarray
    compute_cycles: np.ndarray
    store_bits: np.ndarray

    def __post_init__(self) -> None:
        self.load_bits = np.asarray(self.load_bits, dtype=np.int64).ravel()
        self.compute_cycles = np.asarray(self.compute_cycles, dtype=np.int64).ravel()
        self.store_bits = np.asarray(self.store_bits, dtype=np.int64).ravel()
        n = len(self.compute_cycles)
        assert len(self.load_bits) == n and len(self.store_bits) == n, "TileWork arrays differ in length"
        assert (self.load_bits >= 0).all() and (self.compute_cycles >= 0).all() and (self.store_bits >= 0).all()

    def __len__(self) -> int:
        return len(self.compute_cycles)

    def coarsen(self, max_tiles: int) -> "TileWork":
        """Merge consecutive tiles so there are at most ``max_tiles`` (keeps totals; bounds event count)."""
        n = len(self)
        if n <= max_tiles:
            return self
        k = math.ceil(n / max_tiles)
        idx = np.arange(0, n, k)
        return TileWork(np.add.reduceat(self.load_bits, idx), np.add.reduceat(self.compute_cycles, idx),
                        np.add.reduceat(self.store_bits, idx))

    @classmethod
    def single(cls, load_bits: int, compute_cycles: int, store_bits: int) -> "TileWork":
        return cls(np.array([load_bits]), np.array([compute_cycles]), np.array([store_bits]))


class Dram:
    """One DRAM channel: a transfer holds the channel for ceil(bits / bandwidth) cycles, then the data
    arrives ``latency_cycles`` later (the latency is pipelined: it does not hold the channel)."""

    def __init__(self, tl: Timeline, bw_bits_per_cycle: float, latency_cycles: int = 0, name: str = "dram"):
        assert bw_bits_per_cycle > 0 and latency_cycles >= 0
        self.tl = tl
        self.bw = float(bw_bits_per_cycle)
        self.latency = int(latency_cycles)
        self.name = name
        self.channel = simpy.Resource(tl.env, capacity=1)
        self.busy_cycles = 0

    def cycles_for(self, bits: int) -> int:
        return math.ceil(bits / self.bw) if bits > 0 else 0

    def transfer(self, bits: int, label: str) -> Generator:
        if bits <= 0:
            return
        with self.channel.request() as req:
            yield req
            c = self.cycles_for(int(bits))
            self.busy_cycles += c
            yield self.tl.env.timeout(c)
        if self.latency:
            yield self.tl.env.timeout(self.latency)
        self.tl.record(f"{self.name}:{label}")


def run_tiles(tl: Timeline, dram: Dram, work: TileWork, slots: int = 2, fill_cycles: int = 0,
              name: str = "tile") -> Generator:
    """simpy process: run ``work`` through the pipeline; returns a dict of compute, stall and end cycles.

    ``fill_cycles`` (pipeline fill/drain of the datapath) is added once after the last tile.
    """
    env = tl.env
    assert slots >= 1
    ready = simpy.Store(env)
    free = simpy.Container(env, capacity=slots, init=slots)
    n = len(work)
    lb, cc, sb = work.load_bits, work.compute_cycles, work.store_bits

    def loader() -> Generator:
        for i in range(n):
            yield free.get(1)
            yield from dram.transfer(int(lb[i]), f"load {name}{i}")
            yield ready.put(i)

    def writer(i: int) -> Generator:
        yield from dram.transfer(int(sb[i]), f"store {name}{i}")

    env.process(loader())
    stall = 0
    compute = 0
    writes = []
    for i in range(n):
        t0 = env.now
        yield ready.get()
        stall += env.now - t0
        tl.record(f"start {name}{i}")
        if cc[i]:
            yield env.timeout(int(cc[i]))
        compute += int(cc[i])
        tl.record(f"end {name}{i}")
        yield free.put(1)
        if sb[i] > 0:
            writes.append(env.process(writer(i)))
    if fill_cycles:
        yield env.timeout(int(fill_cycles))
        compute += int(fill_cycles)
    if writes:
        yield simpy.AllOf(env, writes)
    tl.record(f"done {name}")
    return {"compute_cycles": compute, "stall_cycles": int(stall), "cycles": int(env.now),
            "dram_busy_cycles": dram.busy_cycles}
