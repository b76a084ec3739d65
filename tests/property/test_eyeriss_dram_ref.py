"""Eyeriss per-tensor DRAM bits (uncompressed, rlc: false) == the pass-by-pass GLB residency reference
(tests/reference/eyeriss_dram.py), for the searched mapping and the fixed rule, on small random layers."""
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from accelsim.accelerators import create
from accelsim.errors import ConfigError
from tests.property.test_eyeriss_props import make_trace, small_fc, small_layer
from tests.reference.eyeriss_dram import reference_dram_words


def _check(spec, density, seed, search):
    acc = create("eyeriss", rlc=False, mapping_search=search)
    try:
        plan = acc.plan(spec)
    except ConfigError:  # the fixed rule refuses a layer when one channel's rows and one filter's psums overflow the GLB
        assume(False)
    counts = acc.count(plan, make_trace(spec, density, seed))
    wb = acc.config.word_bits
    ref = {k: v * wb for k, v in reference_dram_words(spec, plan).items()}
    assert counts.extra["dram_bits_by_tensor"] == ref, plan.to_dict()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_layer(max_hw=12), st.booleans())
def test_conv_dram_bits_equal_reference(case, search):
    _check(*case, search)


@settings(max_examples=10, deadline=None)
@given(small_fc(), st.booleans())
def test_fc_dram_bits_equal_reference(case, search):
    _check(*case, search)


@st.composite
def medium_layer(draw):
    """Layers big enough to strip-mine (E > 14), overflow the 8 kB filter GLB and use several passes."""
    from accelsim.trace import LayerSpec
    R = draw(st.integers(1, 7))
    H = draw(st.integers(R + 14, 40))
    stride = draw(st.integers(1, 2))
    return (LayerSpec("m", "conv", draw(st.integers(1, 2)), draw(st.integers(8, 48)), H, H,
                      draw(st.integers(8, 64)), R, R, stride, draw(st.integers(0, 1))),
            1.0, draw(st.integers(0, 2**16)))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(medium_layer(), st.booleans())
def test_medium_conv_dram_bits_equal_reference(case, search):
    _check(*case, search)
