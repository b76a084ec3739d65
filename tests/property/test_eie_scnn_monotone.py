"""More zeros (weights or inputs) never cost EIE or SCNN more; outputs held fixed (see test_monotone.py).

EIE: a zero weight removes a stored entry (padding never grows: compression/zero_run.py), a zero input
removes a broadcast column; the queue recurrence is monotone in both.  SCNN: fewer non-zeros mean fewer
products and reads.  Its *cycles* are monotone only without accumulator bank conflicts: removing one
value regroups the later F x I blocks, and a regrouped block can conflict more (a real effect of the
design, measured in the README), so the cycle property is checked with ``bank_conflicts=false`` and
energy, which does not depend on the grouping, with conflicts on.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from accelsim.functional import layer_outputs
from accelsim.runner import ArchSpec, build
from accelsim.trace import LayerSpec, LayerTrace
from tests.property.geometry import conv_geometry, conv_spec


@st.composite
def sparser_pair(draw):
    kind = draw(st.sampled_from(["conv", "conv", "fc"]))
    n = draw(st.integers(1, 2))
    if kind == "fc":
        spec = LayerSpec("l", "fc", n, draw(st.integers(1, 80)), 1, 1, draw(st.integers(1, 90)), 1, 1)
    else:  # any geometry: per-axis stride and dilation, four-sided padding, groups / depthwise
        r, q = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        h, w_, geo = draw(conv_geometry(r, q, max_stride=3, max_dilation=2, max_pad=2, max_hw=8))
        g, cg, mg = draw(st.sampled_from([(1, 3, 5), (1, 8, 12), (2, 2, 3), (4, 1, 1), (3, 1, 2)]))
        spec = conv_spec("l", n, g * cg, h, w_, g * mg, r, q, g, geo)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    w = rng.standard_normal(spec.weight_shape).astype(np.float32)
    w[rng.random(w.shape) < draw(st.sampled_from([0.0, 0.5, 0.9]))] = 0
    x = (np.abs(rng.standard_normal(spec.input_shape)) + 0.1).astype(np.float32)
    x[rng.random(x.shape) < draw(st.sampled_from([0.0, 0.3, 0.7]))] = 0
    y = np.array(layer_outputs(LayerTrace(spec, w, x)))
    w2, x2 = w.copy(), x.copy()
    which = draw(st.sampled_from(["w", "x", "both"]))
    if which in ("w", "both"):
        w2[rng.random(w.shape) < draw(st.sampled_from([0.1, 0.5, 1.0]))] = 0
    if which in ("x", "both"):
        x2[rng.random(x.shape) < draw(st.sampled_from([0.1, 0.5, 1.0]))] = 0
    return LayerTrace(spec, w, x, y), LayerTrace(spec, w2, x2, y)


@pytest.mark.parametrize("arch,check_cycles", [
    ("eie", True), ("eie:queue_depth=0", True), ("eie:queue_depth=2", True),
    ("scnn:bank_conflicts=false", True), ("scnn", False), ("scnn:dataflow=dense_opt", True)])
@settings(max_examples=30, deadline=None)
@given(pair=sparser_pair())
def test_more_zeros_never_cost_more(arch, check_cycles, pair):
    acc = build(ArchSpec.parse(arch))
    a, b = (acc.simulate_layer(lt) for lt in pair)
    if check_cycles:
        assert b.cycles <= a.cycles
    assert b.energy <= a.energy * (1 + 1e-12)
    assert b.macs_executed <= a.macs_executed
    assert b.dram_read_bits <= a.dram_read_bits


def test_dense_modes_ignore_the_data():
    """DCNN and dense EIE spend the same cycles and energy whatever the zeros (they see none)."""
    rng = np.random.default_rng(0)
    spec = LayerSpec("l", "conv", 1, 4, 8, 8, 6, 3, 3, 1, 1)
    w = rng.standard_normal(spec.weight_shape).astype(np.float32)
    x = np.abs(rng.standard_normal(spec.input_shape)).astype(np.float32)
    y = np.array(layer_outputs(LayerTrace(spec, w, x)))
    w2, x2 = w.copy(), x.copy()
    w2[rng.random(w.shape) < 0.8] = 0
    x2[rng.random(x.shape) < 0.8] = 0
    for arch in ("scnn:dataflow=dense", "eie:dense=true"):
        acc = build(ArchSpec.parse(arch))
        a, b = acc.simulate_layer(LayerTrace(spec, w, x, y)), acc.simulate_layer(LayerTrace(spec, w2, x2, y))
        assert a.cycles == b.cycles and a.energy == pytest.approx(b.energy) and a.macs_executed == b.macs_executed
