"""Eyeriss per-tensor DRAM bits with RLC-compressed fmaps and on folded layers (filters taller or wider than
12) == the pass-by-pass GLB residency reference (tests/reference/eyeriss_dram.py: RLC stream sizes counted
there from the run/level definition on the actual values, fold parts derived there from their definition)."""
import numpy as np
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from accelsim.accelerators import create
from accelsim.accelerators.eyeriss_fold import FoldedMapping
from accelsim.errors import ConfigError
from accelsim.trace import LayerSpec, LayerTrace
from tests.property.test_eyeriss_dram_ref import medium_layer
from tests.property.test_eyeriss_props import small_fc, small_layer
from tests.reference.eyeriss_dram import reference_dram_bits, reference_folded_dram_bits, rlc_stream_bits


def _trace(spec, density, seed, first):
    """Small integer values (zero stays code 0, non-zero stays non-zero at 16 bits); long zero runs
    at density 0 cross the 31-zero run limit.  Outputs are given (sparse, signed) so RLC sees both."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 8, spec.input_shape).astype(np.float32)
    x[rng.random(spec.input_shape) >= density] = 0
    w = rng.integers(-4, 5, spec.weight_shape).astype(np.float32)
    y = rng.integers(-7, 8, spec.output_shape).astype(np.float32)
    y[rng.random(spec.output_shape) >= rng.choice([0.0, 0.2, 0.8])] = 0
    return LayerTrace(spec, w, x, outputs=y, network_input=first)


def _check(spec, density, seed, search, rlc, first, raw_first):
    acc = create("eyeriss", rlc=rlc, mapping_search=search, raw_first_input=raw_first)
    try:
        plan = acc.plan(spec)
    except ConfigError:  # the fixed rule refuses layers whose channel rows and filter psums overflow the GLB
        assume(False)
    lt = _trace(spec, density, seed, first)
    counts = acc.count(plan, lt)
    x = lt.inputs_nchw()
    y = lt.outputs.reshape(spec.N, spec.M, spec.E, spec.F)
    kw = dict(word_bits=acc.config.word_bits, rlc=rlc, raw_input=(not rlc) or (raw_first and first))
    if isinstance(plan, FoldedMapping):
        ref = reference_folded_dram_bits(spec, plan, x, y, **kw)
    else:
        ref = reference_dram_bits(spec, plan, x, y, **kw)
    got = counts.extra["dram_bits_by_tensor"]
    assert got == ref, (plan.to_dict(), got, ref)
    assert counts.dram_read_bits + counts.dram_write_bits == sum(ref.values())


def test_rlc_stream_bits_by_hand():
    # the JSSC-style example: 0,0,12,0,0,0,0,53,0,0,22 -> (2,12) (4,53) (2,22): one 64-bit word
    assert rlc_stream_bits([0, 0, 12, 0, 0, 0, 0, 53, 0, 0, 22]) == 64
    assert rlc_stream_bits([]) == 0
    assert rlc_stream_bits([0] * 32) == 64            # (31, 0)
    assert rlc_stream_bits([0] * 33 + [5, 1, 2]) == 128  # (31,0) (1,5) (0,1) (0,2)
    assert rlc_stream_bits([1, 2, 3, 4]) == 128       # 4 pairs, 2 words


flags = st.tuples(st.booleans(), st.booleans(), st.booleans())   # search, network input, raw_first_input


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_layer(max_hw=12), flags)
def test_rlc_conv_dram_bits_equal_reference(case, f):
    _check(*case, f[0], True, f[1], f[2])


@settings(max_examples=20, deadline=None)
@given(small_fc(), flags)
def test_rlc_fc_dram_bits_equal_reference(case, f):
    _check(*case, f[0], True, f[1], f[2])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(medium_layer(), flags)
def test_rlc_medium_conv_dram_bits_equal_reference(case, f):
    _check(case[0], 0.5, case[2], f[0], True, f[1], f[2])


@st.composite
def folded_layer(draw):
    """Filters of 13-16 rows and/or columns (2 parts per folded axis), fmaps up to 36 rows, padding <= 1."""
    R = draw(st.integers(1, 16))
    S = draw(st.integers(13 if R <= 12 else 1, 16))
    if draw(st.booleans()):
        R, S = S, R
    stride = draw(st.integers(1, 2))
    pad = draw(st.integers(0, 1))
    H = draw(st.integers(max(1, R - 2 * pad), R + 20))   # up to E = 21: strip-mined parts
    W = draw(st.integers(max(1, S - 2 * pad), S + 4))
    groups = draw(st.sampled_from([1, 1, 2]))
    spec = LayerSpec("fold", "conv", draw(st.integers(1, 2)), groups * draw(st.integers(1, 3)), H, W,
                     groups * draw(st.integers(1, 4)), R, S, stride, pad, groups=groups)
    return spec, draw(st.sampled_from([0.0, 0.5, 1.0])), draw(st.integers(0, 2**16))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(folded_layer(), st.booleans(), flags)
def test_folded_dram_bits_equal_reference(case, rlc, f):
    _check(*case, f[0], rlc, f[1], f[2])
