"""The simpy tile pipeline, asserted on (event, cycle) logs worked out by hand."""
import numpy as np

from accelsim.timeline import Dram, TileWork, Timeline, run_tiles


def run(work, bw=16.0, latency=0, slots=2, fill=0):
    tl = Timeline(log=True)
    dram = Dram(tl, bw, latency)
    stats = tl.run(run_tiles(tl, dram, work, slots=slots, fill_cycles=fill, name="t"))
    return stats, tl.log


def test_double_buffering_overlaps_next_load_with_compute():
    """Two tiles, 64 bits each to load at 16 bits/cycle (4 cycles), 10 compute cycles, tile 0 stores 32 bits.
    Load 0: 0-4; compute 0: 4-14 (stall 4); load 1: 4-8 (second slot free); store 0: 14-16;
    compute 1: 14-24 (its data arrived at 8: no stall).  Total 24, stall 4."""
    stats, log = run(TileWork([64, 64], [10, 10], [32, 0]))
    assert stats == {"compute_cycles": 20, "stall_cycles": 4, "cycles": 24, "dram_busy_cycles": 10}
    assert ("dram:load t0", 4) in log and ("start t0", 4) in log
    assert ("dram:load t1", 8) in log and ("end t0", 14) in log and ("start t1", 14) in log
    assert ("dram:store t0", 16) in log and ("end t1", 24) in log and log[-1] == ("done t", 24)


def test_single_buffer_serializes_load_and_compute():
    """slots=1: load 1 waits for compute 0 to free the buffer at 14.  The channel is FIFO: the store of
    tile 0, issued as the tile ends, is queued before the loader's request: store 0 at 14-16, load 1 at
    16-20, compute 1 at 20-30.  Total 30, stall 4 + 6."""
    stats, log = run(TileWork([64, 64], [10, 10], [32, 0]), slots=1)
    assert stats["cycles"] == 30 and stats["stall_cycles"] == 10
    assert ("dram:store t0", 16) in log and ("dram:load t1", 20) in log and ("start t1", 20) in log


def test_bandwidth_bound_layer_takes_transfer_time():
    """Ten tiles of 1600 bits at 16 bits/cycle = 100 cycles each, 1 compute cycle: the channel is the
    bottleneck: the last load ends at 1000, its compute at 1001."""
    stats, _ = run(TileWork(np.full(10, 1600), np.ones(10), np.zeros(10)))
    assert stats["cycles"] == 1001 and stats["compute_cycles"] == 10 and stats["stall_cycles"] == 991


def test_latency_and_fill():
    """Latency delays arrival without holding the channel: load 0 arrives at 4 + 5 = 9, load 1 at
    8 + 5 = 13; compute 9-19, 19-29; fill adds 8: done at 37."""
    stats, log = run(TileWork([64, 64], [10, 10], [0, 0]), latency=5, fill=8)
    assert stats["cycles"] == 37 and stats["stall_cycles"] == 9 and stats["compute_cycles"] == 28


def test_no_dram_traffic_means_pure_compute():
    stats, _ = run(TileWork([0, 0, 0], [5, 6, 7], [0, 0, 0]))
    assert stats["cycles"] == 18 and stats["stall_cycles"] == 0


def test_dadiannao_layer_streaming_weights_log():
    """A tiny FC layer through the whole DaDianNao model: 1 tile, SB of 64 bytes (half for prefetch = 256
    bits = one 16x16-bit filter), so weights stream in chunks of 16 filters (one 16-filter group); C = 16,
    M = 64 -> 4 chunks of 16 x 256 bits = 4096 bits; DRAM 64 bits/cycle, no latency -> 64 cycles each.
    Each chunk computes 1 brick x 1 filter group = 1 cycle.  The channel is the bottleneck: loads end at
    64, 128, 192, 256 (two buffers are never both full); tiles run 64-65, 128-129, 192-193, 256-257; the
    8-cycle pipeline fill ends the layer at 265.  Stalls: 64 before the first tile, then 63 before each
    of the others."""
    import numpy as np

    from accelsim.accelerators import create
    from accelsim.trace import LayerSpec, LayerTrace
    spec = LayerSpec("fc", "fc", 1, 16, 1, 1, 64, 1, 1)
    lt = LayerTrace(spec, np.ones((64, 16), np.float32), np.ones((1, 16), np.float32))
    acc = create("dadiannao", tiles=1, sb_bytes_per_tile=64, dram_bw_bits_per_cycle=64.0, dram_latency_cycles=0)
    r = acc.simulate_layer(lt, log=True)
    log = r.extra["log"]
    loads = [t for e, t in log if e.startswith("dram:load")]
    starts = [t for e, t in log if e.startswith("start")]
    ends = [t for e, t in log if e.startswith("end")]
    assert loads == [64, 128, 192, 256] and starts == [64, 128, 192, 256] and ends == [65, 129, 193, 257]
    assert r.cycles == 265 and r.compute_cycles == 4 + 8 and r.dram_read_bits == 64 * 16 * 16
    assert r.stall_cycles == 64 + 63 * 3
