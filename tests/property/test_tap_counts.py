"""Tap counts (kernels/lanes.py's separable prefix sums, and geometry's per-axis counts) == direct loops over
outputs and taps (the obvious definition, tests/reference/lanes_ref.py) on random masks and geometries."""
import numpy as np
from hypothesis import given, settings, strategies as st

from accelsim.geometry import Axis, Geometry
from accelsim.kernels.lanes import window_input_counts
from tests.reference.lanes_ref import window_input_counts_ref


@settings(max_examples=60)
@given(st.integers(1, 2), st.integers(1, 2), st.integers(1, 5), st.integers(1, 5), st.integers(1, 4),
       st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2), st.integers(0, 2),
       st.integers(1, 9), st.integers(1, 9), st.integers(1, 5), st.integers(0, 2**16))
def test_tap_counts_match_direct_loops(n, g, R, S, sh, sw, dh, dw, pt, pl, E, F, c, seed):
    rng = np.random.default_rng(seed)
    Hp = (E - 1) * sh + (R - 1) * dh + 1 + int(rng.integers(0, 3))
    Wp = (F - 1) * sw + (S - 1) * dw + 1 + int(rng.integers(0, 3))
    pt, pl = min(pt, Hp - 1), min(pl, Wp - 1)
    geo = Geometry(Axis(Hp - pt, R, sh, dh, pt, 0), Axis(Wp - pl, S, sw, dw, pl, 0))
    assert (geo.h.out, geo.w.out) == (E, F) or Hp - ((R - 1) * dh + 1) >= (E - 1) * sh
    E, F = geo.h.out, geo.w.out
    mask = (rng.random((n, g, Hp, Wp, c)) < 0.4).astype(np.uint8)
    ref = window_input_counts_ref(mask, R, S, sh, sw, dh, dw, E, F)
    rows = np.zeros(Hp, dtype=np.int64)
    cols = np.zeros(Wp, dtype=np.int64)
    for r in range(R):
        for e in range(E):
            rows[e * sh + r * dh] += 1
    for s in range(S):
        for f in range(F):
            cols[f * sw + s * dw] += 1
    np.testing.assert_array_equal(window_input_counts(np.ascontiguousarray(mask.transpose(0, 1, 2, 4, 3)), geo), ref)
    np.testing.assert_array_equal(geo.h.tap_counts(), rows)
    np.testing.assert_array_equal(geo.w.tap_counts(), cols)
