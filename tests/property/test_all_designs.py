"""Every registered design on arbitrary valid layers: no crash, conservation, sane results.

Shapes include FC layers, groups (depthwise too), per-axis strides larger than the filter, dilation,
asymmetric padding, 1x1 images, all-zero and all-dense inputs and weights -- the corners users hit with
their own traces.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from accelsim.accelerators import available, create
from accelsim.errors import ConfigError
from accelsim.trace import LayerSpec, LayerTrace
from tests.property.geometry import conv_geometry, conv_spec


@st.composite
def any_layer(draw):
    kind = draw(st.sampled_from(["conv", "conv", "fc"]))
    n = draw(st.integers(1, 3))
    wd = draw(st.sampled_from([0.0, 0.3, 1.0]))
    xd = draw(st.sampled_from([0.0, 0.5, 1.0]))
    if kind == "fc":
        spec = LayerSpec("l", "fc", n, draw(st.integers(1, 70)), 1, 1, draw(st.integers(1, 70)), 1, 1)
    else:
        r = draw(st.integers(1, 5))
        s = draw(st.integers(1, 5))
        h, w, geo = draw(conv_geometry(r, s, max_stride=3, max_dilation=3, max_pad=2, max_hw=8))
        if draw(st.booleans()):  # grouped (depthwise and multiplier-k depthwise included)
            g = draw(st.sampled_from([2, 3, 8, 20]))
            cg, mg = draw(st.sampled_from([(1, 1), (1, 2), (2, 3), (5, 17)]))
        else:
            g, cg, mg = 1, draw(st.integers(1, 20)), draw(st.integers(1, 20))
        spec = conv_spec("l", n, g * cg, h, w, g * mg, r, s, g, geo)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    wt = rng.standard_normal(spec.weight_shape).astype(np.float32)
    wt[rng.random(wt.shape) >= wd] = 0
    x = np.abs(rng.standard_normal(spec.input_shape)).astype(np.float32)
    x[rng.random(x.shape) >= xd] = 0
    return LayerTrace(spec, wt, x)


DESIGNS = available()


@pytest.mark.parametrize("arch", DESIGNS)
@settings(max_examples=25)
@given(lt=any_layer())
def test_design_runs_any_valid_layer(arch, lt):
    try:
        r = create(arch).simulate_layer(lt)
    except ConfigError as e:  # a documented limit (e.g. Eyeriss filters taller than 12) is a clear error
        assert "12" in str(e) or "not supported" in str(e), e
        return
    r.check_conservation()
    assert r.cycles >= r.compute_cycles >= 0 and r.stall_cycles >= 0
    assert r.energy >= 0 and np.isfinite(r.energy)
    assert r.dram_read_bits >= 0 and r.dram_write_bits >= 0
    assert 0 <= r.utilization <= 1 + 1e-9
