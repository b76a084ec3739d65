"""The simpy timeline: DRAM, double-buffered tiles and the compute array, at tile/burst granularity."""
from accelsim.timeline.engine import Timeline
from accelsim.timeline.components import Dram, TileWork, run_tiles

__all__ = ["Timeline", "Dram", "TileWork", "run_tiles"]
