"""Integral-image tap counts == direct strided sums (the obvious definition) on random masks."""
import numpy as np
from hypothesis import given, settings, strategies as st

from accelsim.kernels.lanes import window_input_counts


@settings(max_examples=60)
@given(st.integers(1, 2), st.integers(1, 2), st.integers(1, 5), st.integers(1, 5), st.integers(1, 4),
       st.integers(1, 9), st.integers(1, 9), st.integers(1, 5), st.integers(0, 2**16))
def test_tap_counts_match_strided_sums(n, g, R, S, stride, extra_h, extra_w, c, seed):
    rng = np.random.default_rng(seed)
    E = extra_h
    F = extra_w
    Hp, Wp = (E - 1) * stride + R + rng.integers(0, 3), (F - 1) * stride + S + rng.integers(0, 3)
    mask = (rng.random((n, g, Hp, Wp, c)) < 0.4).astype(np.uint8)
    ref = np.zeros((n, g, c, R, S), dtype=np.int64)
    for r in range(R):
        for s in range(S):
            for e in range(E):
                for f in range(F):
                    ref[:, :, :, r, s] += mask[:, :, e * stride + r, f * stride + s, :]
    np.testing.assert_array_equal(window_input_counts(mask, R, S, stride, E, F), ref)
