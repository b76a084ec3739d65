"""The closed-form pipeline equals the plain tile-by-tile simpy pipeline (tests/reference/pipeline.py)
exactly: cycles, stall cycles, compute cycles and DRAM busy cycles, on random tile sequences."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.timeline.pipeline import run_pipeline
from tests.reference.pipeline import reference_pipeline

KEYS = ("cycles", "compute_cycles", "stall_cycles", "dram_busy_cycles")


def both(lb, cc, sb, bw, lat, slots, fill):
    ref = reference_pipeline(lb, cc, sb, bw, lat, slots, fill)
    got = run_pipeline(lb, cc, sb, bw, lat, slots, fill)
    return ref, {k: getattr(got, k) for k in KEYS}, got


tile = st.tuples(st.integers(0, 300), st.integers(0, 40), st.integers(0, 300))


@st.composite
def tile_runs(draw):
    """Tile sequences made of runs (identical tiles repeated) and single irregular tiles."""
    out = []
    for _ in range(draw(st.integers(0, 6))):
        t = draw(tile)
        out += [t] * draw(st.integers(1, 40))
    return out


@settings(max_examples=300, deadline=None)
@given(tiles=tile_runs(), bw=st.sampled_from([1.0, 3.0, 8.0, 16.0, 64.0, 12.5]), lat=st.integers(0, 30),
       slots=st.integers(1, 4), fill=st.integers(0, 10))
def test_closed_form_equals_tile_by_tile(tiles, bw, lat, slots, fill):
    lb, cc, sb = (np.array([t[k] for t in tiles], dtype=np.int64) for k in range(3))
    ref, got, _ = both(lb, cc, sb, bw, lat, slots, fill)
    assert got == ref


@settings(max_examples=100, deadline=None)
@given(tiles=st.lists(tile, max_size=30), bw=st.sampled_from([1.0, 4.0, 16.0]), lat=st.integers(0, 10),
       slots=st.integers(1, 3))
def test_irregular_tiles_equal_tile_by_tile(tiles, bw, lat, slots):
    lb, cc, sb = (np.array([t[k] for t in tiles], dtype=np.int64) for k in range(3))
    ref, got, _ = both(lb, cc, sb, bw, lat, slots, 0)
    assert got == ref


def test_long_steady_run_takes_few_steps():
    """10^6 identical tiles: the state repeats after a few tiles and the rest is advanced in closed form.
    Channel-bound: 100 load + 25 store cycles per tile against 50 of compute, so each tile adds 125
    cycles; the reference on 10^3 and 2 * 10^3 tiles ends at 125 * n + 25 (checked here), and 10^6
    tiles must continue that line."""
    n = 10**6
    for k in (1000, 2000):
        ref = reference_pipeline(np.full(k, 1600), np.full(k, 50), np.full(k, 400), 16.0)
        assert ref["cycles"] == 125 * k + 25
    got = run_pipeline(np.full(n, 1600), np.full(n, 50), np.full(n, 400), 16.0)
    assert got.tiles_stepped < 50
    assert got.cycles == 125 * n + 25
    assert got.dram_busy_cycles == 125 * n and len(got.segments) == 1


@settings(max_examples=50, deadline=None)
@given(cc=st.lists(st.integers(0, 50), max_size=40), slots=st.integers(1, 3), fill=st.integers(0, 5))
def test_no_dram_traffic_equals_tile_by_tile(cc, slots, fill):
    z = np.zeros(len(cc), dtype=np.int64)
    ref, got, _ = both(z, np.array(cc, dtype=np.int64), z, 16.0, 3, slots, fill)
    assert got == ref
