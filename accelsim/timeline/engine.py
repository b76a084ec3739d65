"""A thin wrapper around ``simpy.Environment`` with an optional (event, cycle) log for tests.

Time is counted in core clock cycles.  Events are tiles, passes and DRAM bursts, never single MACs
(simpy runs about 0.5 M events/s here); the cycles inside a tile come from the numba kernels.
"""
from __future__ import annotations

import simpy


class Timeline:
    def __init__(self, log: bool = False) -> None:
        self.env = simpy.Environment()
        self.log: list[tuple[str, int]] | None = [] if log else None

    @property
    def now(self) -> int:
        return int(self.env.now)

    def record(self, event: str) -> None:
        if self.log is not None:
            self.log.append((event, int(self.env.now)))

    def run(self, process_generator) -> object:
        """Run one top-level process to completion and return its value."""
        proc = self.env.process(process_generator)
        self.env.run()
        return proc.value
