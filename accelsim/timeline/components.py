"""Timeline components: a DRAM channel with bandwidth and latency, and a double-buffered tile pipeline.

``run_tiles`` is the one pipeline every model uses: tile *i* needs ``load_bits[i]`` read from DRAM into a
free on-chip buffer slot, then occupies the compute array for ``compute_cycles[i]``, then its
``store_bits[i]`` are written back to DRAM while later tiles proceed.  With ``slots=2`` the load of tile
i+1 overlaps the compute of tile i (double buffering).  Stall cycles are the cycles the array waits for a
tile's data.  Reads and writes share one channel (one bidirectional bus, as Eyeriss's 64-bit link): a
transfer holds it ceil(bits / bandwidth) cycles and its data arrives ``latency_cycles`` later (the latency
is pipelined: it does not hold the channel).  The channel serves requests oldest first; among requests of
the same cycle, stores go before loads (a finished tile's outputs leave before the next input arrives).

The cycles come from the exact closed-form recurrence of ``timeline/pipeline.py``: runs of identical tiles
are advanced arithmetically, and simpy sees one event per segment of the layer instead of several per
tile.  ``tests/reference/pipeline.py`` is the tile-by-tile simpy pipeline it is tested against.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generator

import numpy as np

from accelsim.timeline.engine import Timeline
from accelsim.timeline.pipeline import run_pipeline


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

    @classmethod
    def single(cls, load_bits: int, compute_cycles: int, store_bits: int) -> "TileWork":
        return cls(np.array([load_bits]), np.array([compute_cycles]), np.array([store_bits]))


class Dram:
    """One DRAM channel's parameters and its busy-cycle counter (the channel itself is modelled by
    ``run_tiles``): a transfer holds the channel ceil(bits / bandwidth) cycles, then the data arrives
    ``latency_cycles`` later."""

    def __init__(self, tl: Timeline, bw_bits_per_cycle: float, latency_cycles: int = 0, name: str = "dram"):
        assert bw_bits_per_cycle > 0 and latency_cycles >= 0
        self.tl = tl
        self.bw = float(bw_bits_per_cycle)
        self.latency = int(latency_cycles)
        self.name = name
        self.busy_cycles = 0

    def cycles_for(self, bits: int) -> int:
        return math.ceil(bits / self.bw) if bits > 0 else 0


def run_tiles(tl: Timeline, dram: Dram, work: TileWork, slots: int = 2, fill_cycles: int = 0,
              name: str = "tile") -> Generator:
    """simpy process: run ``work`` through the pipeline; returns a dict of compute, stall and end cycles.

    ``fill_cycles`` (pipeline fill/drain of the datapath) is added once after the last tile.  With a
    logging timeline every tile's events are recorded (``dram:load``, ``start``, ``end``, ``dram:store``
    with their cycles); otherwise one simpy event marks the end of each segment (a run of identical
    tiles, or a stretch of tiles that differ).
    """
    env = tl.env
    log = tl.log is not None
    r = run_pipeline(work.load_bits, work.compute_cycles, work.store_bits, dram.bw, dram.latency, slots,
                     int(fill_cycles), start=int(env.now), log=log, name=name)
    dram.busy_cycles += r.dram_busy_cycles
    if log:
        for ev, t in r.log:
            if t > env.now:
                yield env.timeout(t - env.now)
            tl.record(f"{dram.name}:{ev[5:]}" if ev.startswith("dram:") else ev)
    else:
        for t, i0, i1, closed in r.segments:
            if t > env.now:
                yield env.timeout(t - env.now)
        if r.cycles > env.now:
            yield env.timeout(r.cycles - env.now)
    return {"compute_cycles": r.compute_cycles, "stall_cycles": r.stall_cycles, "cycles": int(env.now),
            "dram_busy_cycles": dram.busy_cycles}
