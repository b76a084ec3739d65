"""The packed-member kernels (accelsim/kernels/packed.py) equal the pure-Python reference, and numpy's
packbits / boolean indexing, on random small arrays; unpack(pack(x)) == x."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.kernels.packed import pack, unpack
from tests.reference import packed_ref as ref


@st.composite
def arrays(draw):
    n = draw(st.integers(0, 130))
    density = draw(st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n).astype(np.float32) * (rng.random(n) < density)
    return x


@settings(max_examples=200, deadline=None)
@given(arrays())
def test_pack_equals_reference_and_numpy(x):
    mask, values = pack(x)
    rmask, rvalues = ref.pack([float(v) for v in x])
    assert mask.tolist() == rmask
    assert values.tolist() == rvalues
    assert np.array_equal(mask, np.packbits(x != 0))
    assert np.array_equal(values, x[x != 0])


@settings(max_examples=200, deadline=None)
@given(arrays())
def test_unpack_equals_reference_and_round_trips(x):
    mask, values = pack(x)
    out, seen = unpack(mask, values, x.size)
    assert seen == values.size
    assert out.tolist() == ref.unpack(mask.tolist(), values.tolist(), x.size)
    assert np.array_equal(out, x)


@settings(max_examples=100, deadline=None)
@given(arrays(), st.integers(-3, 3))
def test_unpack_reports_a_count_mismatch_without_reading_past_the_values(x, extra):
    mask, values = pack(x)
    short = values[:max(0, values.size + min(extra, 0))]
    out, seen = unpack(mask, short, x.size)
    assert seen == values.size                      # the mask's count, whatever the values hold
    assert np.all(out[x == 0] == 0)


@settings(max_examples=100, deadline=None)
@given(arrays())
def test_unpack_of_float16_values_equals_reference(x):
    h = x.astype(np.float16)
    mask, values = pack(h.astype(np.float32))
    out, seen = unpack(mask, values.astype(np.float16), x.size)
    assert seen == values.size
    assert out.tolist() == ref.unpack(mask.tolist(), [float(v) for v in values.astype(np.float16)], x.size)


@settings(max_examples=100, deadline=None)
@given(arrays())
def test_count_zero_halves_counts_both_zeros(x):
    from accelsim.kernels.packed import count_zero_halves
    h = x.astype(np.float16)
    h[::3] = -h[::3]       # -0.0 is a zero too
    assert count_zero_halves(h.view(np.uint16)) == sum(1 for v in h.tolist() if v == 0)
