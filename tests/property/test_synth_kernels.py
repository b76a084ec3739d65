"""The float16 synthetic generator's kernels (accelsim/kernels/synth.py) equal the pure-Python reference
(tests/reference/synth_ref.py) on random small tensors, in chunks of any size."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.kernels.packed import half_lut, unpack_half_kernel
from accelsim.kernels.synth import draw_values, expand_half, select_bits
from accelsim.trace.synth_stream import HalfTensor, half_table, stream_state
from tests.reference import synth_ref as ref


def test_reference_xoshiro_first_outputs_by_hand():
    # state (1, 2, 3, 4): first output rotl(2 * 5, 7) * 9 = 1280 * 9; the update then leaves s1 = 2 ^ (3 ^ 1) = 0
    g = ref.Xoshiro256ss([1, 2, 3, 4])
    assert g.next() == 11520 and g.next() == 0


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 150), st.floats(0, 1), st.integers(0, 2**32), st.integers(1, 40))
def test_select_bits_equals_reference_in_any_chunks(n, d, seed, chunk8):
    k = min(n, int(d * n + 0.5))
    state0 = stream_state(seed, 0, 0, 1)
    want = ref.select(state0, n, k)
    state = state0.copy()
    counts = np.array([n, k], dtype=np.int64)
    got = []
    for start in range(0, n, 8 * chunk8):
        m = min(8 * chunk8, n - start)
        out = np.empty((m + 7) // 8, dtype=np.uint8)
        select_bits(state, counts, out, m)
        got += out.tolist()
    assert got == want and counts.tolist() == [0, 0]
    assert sum(bin(b).count("1") for b in got) == k


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 300), st.integers(0, 2**32), st.sampled_from([1.0, 0.05, 0.0123]), st.booleans(),
       st.integers(1, 50))
def test_draw_values_equal_reference_in_any_pieces(k, seed, std, signed, piece):
    entries, bits = half_table(std)
    state0 = stream_state(seed, 3, 1, 2)
    want = ref.draw(state0, entries, bits, signed, k)
    state = state0.copy()
    got = []
    for start in range(0, k, piece):
        out = np.empty(min(piece, k - start), dtype=np.uint16)
        draw_values(state, entries, bits, signed, out)
        got += out.tolist()
    assert got == want


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 100), st.floats(0, 1), st.integers(0, 2**32))
def test_expand_and_unpack_place_values_at_the_mask_bits(n, d, seed):
    k = min(n, int(d * n + 0.5))
    t = HalfTensor(n, k, 1.0, True, seed, 0, 0)
    mask = np.concatenate([m for _, m in t.mask_chunks(16)]) if n else np.zeros(0, np.uint8)
    vals = t.values().take(k)
    bits = np.unpackbits(mask)[:n].astype(bool) if n else np.zeros(0, bool)
    dense = np.empty(n, dtype=np.uint16)
    assert expand_half(mask, vals, dense) == k
    want = np.zeros(n, dtype=np.uint16)
    want[bits] = vals
    assert np.array_equal(dense, want)
    out = np.empty(n, dtype=np.float32)
    assert unpack_half_kernel(mask, vals, half_lut(), out) == k
    assert np.array_equal(out, want.view(np.float16).astype(np.float32))
