"""Reference: the plain tile-by-tile simpy pipeline that ``accelsim.timeline`` must equal exactly.

Slow and obvious on purpose: one simpy process per role, every tile and every transfer an event.

* A **loader** takes a free buffer slot (``slots`` of them), asks the DRAM channel for the tile's
  ``load_bits`` and, once they have crossed the channel and the latency has passed, hands the tile to
  the array.  It handles one tile at a time, in order.
* The **array** takes tiles in order, computes each for ``compute_cycles``, frees its slot, and starts a
  **writer** for its ``store_bits`` (the store overlaps later tiles).
* The **DRAM channel** is one server: a transfer of b bits holds it ceil(b / bw) cycles, then the data
  arrives ``latency`` cycles later (the latency does not hold the channel).  Requests are served oldest
  first.  Requests of the same cycle are arbitrated at the end of that cycle, when every request of the
  cycle has been made: stores before loads, then by tile index.  A transfer of 0 bits asks for nothing.
* ``fill_cycles`` are added once after the last tile; the layer ends when they have passed and every
  store has arrived.  Stall cycles are the cycles the array waits for a tile's data.
"""
from __future__ import annotations

import math

import simpy
from simpy.events import Event

END_OF_CYCLE = 2  # simpy processes URGENT (0) then NORMAL (1) events of a cycle first


class _EndOfCycle(Event):
    """An event processed after every other event of the current cycle."""

    def __init__(self, env: simpy.Environment) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, priority=END_OF_CYCLE)


class Channel:
    def __init__(self, env: simpy.Environment, bw: float, latency: int) -> None:
        self.env, self.bw, self.latency = env, float(bw), int(latency)
        self.pending: list[tuple[int, int, int, int, Event]] = []  # (cycle, kind, tile, cycles, done)
        self.wake: Event | None = None
        self.busy_cycles = 0
        env.process(self._serve())

    def transfer(self, bits: int, kind: int, tile: int):
        """A process step: ``kind`` 0 = store, 1 = load."""
        if bits <= 0:
            return
        done = self.env.event()
        self.pending.append((int(self.env.now), kind, tile, math.ceil(bits / self.bw), done))
        if self.wake is not None and not self.wake.triggered:
            self.wake.succeed()
        yield done
        if self.latency:
            yield self.env.timeout(self.latency)

    def _serve(self):
        while True:
            if not self.pending:
                self.wake = self.env.event()
                yield self.wake
            yield _EndOfCycle(self.env)
            self.pending.sort(key=lambda r: r[:3])
            _, _, _, cycles, done = self.pending.pop(0)
            self.busy_cycles += cycles
            yield self.env.timeout(cycles)
            done.succeed()


def reference_pipeline(load_bits, compute_cycles, store_bits, bw: float, latency: int = 0, slots: int = 2,
                       fill_cycles: int = 0) -> dict:
    """Run the tiles; returns cycles, compute_cycles, stall_cycles and dram_busy_cycles."""
    env = simpy.Environment()
    ch = Channel(env, bw, latency)
    n = len(compute_cycles)
    ready = simpy.Store(env)
    free = simpy.Container(env, capacity=slots, init=slots)
    out = {"stall_cycles": 0, "compute_cycles": 0}

    def loader():
        for i in range(n):
            yield free.get(1)
            yield from ch.transfer(int(load_bits[i]), 1, i)
            yield ready.put(i)

    def writer(i):
        yield from ch.transfer(int(store_bits[i]), 0, i)

    def array():
        writes = []
        for i in range(n):
            t0 = env.now
            yield ready.get()
            out["stall_cycles"] += env.now - t0
            yield env.timeout(int(compute_cycles[i]))
            out["compute_cycles"] += int(compute_cycles[i])
            yield free.put(1)
            writes.append(env.process(writer(i)))
        yield env.timeout(int(fill_cycles))
        out["compute_cycles"] += int(fill_cycles)
        yield simpy.AllOf(env, writes)
        out["cycles"] = int(env.now)

    env.process(loader())
    env.run(env.process(array()))
    out["dram_busy_cycles"] = ch.busy_cycles
    return out
