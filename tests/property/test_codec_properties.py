"""Property tests of the codecs: fast versions equal the references, round trips, documented bounds.

RLC bounds (derived in ``accelsim.compression.rlc``): for n >= 1 values, nnz of them non-zero, z = n - nnz,
every pair covers 1..32 values and every non-zero ends exactly one pair, so the pair count P obeys
max(nnz, ceil(n / 32)) <= P <= nnz + ceil(z / 32) <= n, and the size 64 * ceil(P / 3) lies between the
best case (all zeros) 64 * ceil(n / 96) and the worst case (every pair of run 0, e.g. all non-zero)
64 * ceil(n / 3).
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.compression import (
    csr_decode, csr_encode, csr_size_bits, entropy_bits, rlc_decode, rlc_encode, rlc_pairs,
    rlc_segment_size_bits, rlc_size_bits, zfnaf_brick_nnz, zfnaf_decode, zfnaf_encode, zfnaf_size_bits)
from tests.reference import codecs as ref

DENSITIES = st.one_of(st.sampled_from([0.0, 0.02, 0.5, 0.95, 1.0]), st.floats(0.0, 1.0))


def sparse_codes(rng: np.random.Generator, shape: tuple[int, ...], density: float) -> np.ndarray:
    """int64 16-bit codes of ``shape``: each value non-zero with probability ``density``, extremes included."""
    levels = rng.integers(-32768, 32768, size=shape, dtype=np.int64)
    levels[levels == 0] = 1
    extremes = rng.random(shape) < 0.05
    levels[extremes] = rng.choice(np.array([-32768, 32767, -1, 1]), size=int(extremes.sum()))
    return np.where(rng.random(shape) < density, levels, 0)


@st.composite
def sparse_tensor(draw, shape, density=DENSITIES):
    return sparse_codes(np.random.default_rng(draw(st.integers(0, 2**32 - 1))), shape, draw(density))


@st.composite
def random_stream(draw, max_len=300):
    return draw(sparse_tensor((draw(st.integers(0, max_len)),)))


@st.composite
def run_stream(draw):
    """Streams built from zero runs around the 31/32 boundaries, with or without trailing zeros."""
    run = st.one_of(st.sampled_from([0, 1, 30, 31, 32, 33, 63, 64, 65, 95, 96, 97]), st.integers(0, 130))
    level = st.one_of(st.sampled_from([-32768, 32767, -1, 1]), st.integers(-32768, 32767).filter(bool))
    out: list[int] = []
    for r, v in draw(st.lists(st.tuples(run, level), max_size=8)):
        out += [0] * r + [v]
    out += [0] * draw(run)
    return np.array(out, dtype=np.int64)


STREAMS = st.one_of(random_stream(), run_stream())


@st.composite
def nd_shape(draw, min_dims=1, max_dims=4, max_side=7):
    return tuple(draw(st.lists(st.integers(1, max_side), min_size=min_dims, max_size=max_dims)))


# ---------------------------------------------------------------- RLC
@settings(max_examples=300)
@given(STREAMS)
def test_rlc_matches_reference_and_round_trips(x):
    vals = x.tolist()
    pairs = [tuple(p) for p in rlc_pairs(x).tolist()]
    assert pairs == ref.rlc_pairs(vals)
    assert rlc_size_bits(x) == ref.rlc_size_bits(vals)
    words = rlc_encode(x)
    assert words.tolist() == ref.rlc_encode(vals)
    assert len(words) * 64 == rlc_size_bits(x)
    assert np.array_equal(rlc_decode(words, len(x)), x)
    assert ref.rlc_decode(ref.rlc_encode(vals), len(vals)) == vals
    assert all(0 <= r <= 31 for r, _ in pairs)


@settings(max_examples=300)
@given(STREAMS)
def test_rlc_size_within_documented_bounds(x):
    n = len(x)
    nnz = int(np.count_nonzero(x))
    p = len(rlc_pairs(x))
    bits = rlc_size_bits(x)
    if n == 0:
        assert p == 0 and bits == 0
        return
    assert max(nnz, math.ceil(n / 32)) <= p <= nnz + math.ceil((n - nnz) / 32) <= n
    assert 64 * math.ceil(n / 96) <= bits <= 64 * math.ceil(n / 3)
    if nnz == n:  # worst case is attained by an all non-zero stream
        assert bits == 64 * math.ceil(n / 3)
    if nnz == 0:  # best case by an all-zero stream
        assert bits == 64 * math.ceil(n / 96)


@settings(max_examples=200)
@given(STREAMS, st.integers(1, 70))
def test_rlc_segments_equal_per_segment_reference(x, seg_len):
    sizes = rlc_segment_size_bits(x, seg_len)
    expected = ref.rlc_segment_size_bits(x.tolist(), seg_len)
    assert sizes.dtype == np.int64
    assert sizes.tolist() == expected
    assert int(sizes.sum()) == sum(expected)
    assert len(sizes) == math.ceil(len(x) / seg_len)
    # one segment as long as the stream is the whole-stream size
    assert rlc_segment_size_bits(x, max(1, len(x))).sum() == rlc_size_bits(x)


@settings(max_examples=60)
@given(st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(1, 9), st.integers(1, 9)).flatmap(sparse_tensor))
def test_rlc_segments_of_planes(x):
    """seg_len = H * W cuts an (N, C, H, W) fmap into one stream per (n, c) plane."""
    n, c, h, w = x.shape
    sizes = rlc_segment_size_bits(x, h * w)
    assert sizes.tolist() == [rlc_size_bits(x[i, j]) for i in range(n) for j in range(c)]


@settings(max_examples=150)
@given(STREAMS)
def test_rlc_size_depends_only_on_zero_pattern(x):
    """Any dtype, and the bool non-zero mask, give the same sizes as the codes."""
    mask = x != 0
    assert rlc_size_bits(mask) == rlc_size_bits(x) == rlc_size_bits(x.astype(np.int32))
    assert np.array_equal(rlc_segment_size_bits(mask, 7), rlc_segment_size_bits(x.astype(np.int16), 7))


@settings(max_examples=150)
@given(STREAMS, st.data())
def test_rlc_zeroing_a_value_never_grows_the_stream(x, data):
    """Merging two zero runs a, b around a removed value costs floor((a+b+1)/32) <= floor(a/32)+floor(b/32)+1
    extra pairs instead of floor(a/32)+floor(b/32)+1 extra pairs plus the value's own pair."""
    nz = np.flatnonzero(x)
    if nz.size == 0:
        return
    y = x.copy()
    y[data.draw(st.sampled_from(nz.tolist()))] = 0
    assert len(rlc_pairs(y)) <= len(rlc_pairs(x))
    assert rlc_size_bits(y) <= rlc_size_bits(x)


# ---------------------------------------------------------------- CSR
@settings(max_examples=200)
@given(nd_shape().flatmap(sparse_tensor))
def test_csr_matches_reference_and_round_trips(x):
    v, c, p = csr_encode(x)
    m = x.reshape(1, -1) if x.ndim == 1 else x.reshape(x.shape[0], -1)
    assert (v.tolist(), c.tolist(), p.tolist()) == ref.csr_encode(m.tolist())
    assert np.array_equal(csr_decode(v, c, p, x.shape), x)
    assert csr_size_bits(x) == ref.csr_size_bits(m.tolist())
    assert csr_size_bits(x, index_bits=5, ptr_bits=9) == ref.csr_size_bits(m.tolist(), 16, 5, 9)
    nnz = int(np.count_nonzero(x))
    rows, cols = m.shape
    ib = (csr_size_bits(x) - csr_size_bits(x, index_bits=1)) // nnz + 1 if nnz else None
    if ib is not None:  # the default index width is the smallest b >= 1 with 2**b >= cols
        assert 2 ** ib >= cols and (ib == 1 or 2 ** (ib - 1) < cols)
    assert csr_size_bits(x) >= nnz * (16 + 1) + (rows + 1)


# ---------------------------------------------------------------- ZFNAf
ZF_SHAPES = st.one_of(
    st.tuples(st.integers(1, 3), st.integers(1, 40), st.integers(1, 4), st.integers(1, 4)),
    st.tuples(st.integers(1, 40), st.integers(1, 4), st.integers(1, 4)),
    st.tuples(st.integers(1, 4), st.integers(1, 50)),
)


def _as4(x: np.ndarray) -> np.ndarray:
    return x.reshape((1, *x.shape)) if x.ndim == 3 else x.reshape(*x.shape, 1, 1) if x.ndim == 2 else x


@settings(max_examples=200)
@given(ZF_SHAPES.flatmap(sparse_tensor))
def test_zfnaf_matches_reference_and_round_trips(x):
    x4 = _as4(x)
    bricks = ref.zfnaf_bricks(x4.tolist())
    v, off, cnt = zfnaf_encode(x)
    assert cnt.shape == (x4.shape[0], math.ceil(x4.shape[1] / 16), x4.shape[2], x4.shape[3])
    assert cnt.ravel().tolist() == [len(b) for b in bricks]
    assert list(zip(off.tolist(), v.tolist())) == [p for b in bricks for p in b]
    assert np.array_equal(zfnaf_brick_nnz(x), cnt)
    assert np.array_equal(zfnaf_decode(v, off, cnt, x.shape), x)
    assert int(cnt.sum()) == np.count_nonzero(x)
    for layout in ("fixed", "compact"):
        assert zfnaf_size_bits(x, layout) == ref.zfnaf_size_bits(x4.tolist(), layout)


@settings(max_examples=150)
@given(ZF_SHAPES.flatmap(sparse_tensor))
def test_zfnaf_compact_never_exceeds_fixed_plus_counts(x):
    nb = zfnaf_brick_nnz(x).size
    fixed, compact = zfnaf_size_bits(x, "fixed"), zfnaf_size_bits(x, "compact")
    assert fixed == nb * 16 * 20
    assert compact <= fixed + 5 * nb
    assert compact == fixed + 5 * nb or np.any(zfnaf_brick_nnz(x) < 16)


# ---------------------------------------------------------------- entropy
@settings(max_examples=150)
@given(STREAMS)
def test_entropy_matches_reference_and_bounds(x):
    e = entropy_bits(x)
    assert math.isclose(e, ref.entropy_bits(x.tolist()), rel_tol=1e-9, abs_tol=1e-9)
    n = len(x)
    distinct = len(set(x.tolist()))
    if distinct <= 1:
        assert e == 0.0
    else:
        assert 0.0 < e <= n * math.log2(distinct) + 1e-9
    assert e <= 16 * n + 1e-9
