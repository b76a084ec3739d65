"""Eyeriss model == slow PE-level reference on random small layers, plus conservation laws."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from accelsim import fixedpoint
from accelsim.accelerators import create
from accelsim.errors import ConfigError
from accelsim.trace import LayerSpec, LayerTrace
from tests.property.geometry import conv_geometry, conv_spec
from tests.reference.eyeriss_pe import conv_codes, run_layer


@st.composite
def small_layer(draw, max_hw=7):
    """Any geometry: per-axis stride (up to 3), dilation (up to 2), asymmetric padding (up to 1)."""
    groups = draw(st.sampled_from([1, 1, 2]))
    cg = draw(st.integers(1, 6))
    mg = draw(st.integers(1, 6))
    R = draw(st.integers(1, 3))
    S = draw(st.integers(1, 3))
    H, W, geo = draw(conv_geometry(R, S, max_stride=3, max_dilation=2, max_pad=1, max_hw=max_hw - 1))
    N = draw(st.integers(1, 2))
    density = draw(st.sampled_from([0.0, 0.3, 0.7, 1.0]))
    seed = draw(st.integers(0, 2**16))
    return conv_spec("l", N, cg * groups, H, W, mg * groups, R, S, groups, geo), density, seed


@st.composite
def small_fc(draw):
    return (LayerSpec("f", "fc", draw(st.integers(1, 3)), draw(st.integers(1, 40)), 1, 1,
                      draw(st.integers(1, 30)), 1, 1), draw(st.sampled_from([0.0, 0.5, 1.0])),
            draw(st.integers(0, 2**16)))


def make_trace(spec, density, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 8, spec.input_shape).astype(np.float32)
    x[rng.random(spec.input_shape) >= density] = 0
    w = rng.integers(-4, 5, spec.weight_shape).astype(np.float32)
    return LayerTrace(spec, w, x)


def _compare(spec, density, seed, gating=True, array=None):
    over = {"gating": gating}
    if array:
        over.update(array)
    acc = create("eyeriss", **over)
    lt = make_trace(spec, density, seed)
    plan = acc.plan(spec)
    counts = acc.count(plan, lt)
    xq, _ = fixedpoint.quantize(lt.inputs_nchw(), 16)
    wq, _ = fixedpoint.quantize(lt.weights_mcrs(), 16)
    out, ref = run_layer(spec, xq, wq, plan, gating=gating,
                         spad=(acc.config.filter_spad_words, acc.config.ifmap_spad_words,
                               acc.config.psum_spad_words))
    assert np.array_equal(out, conv_codes(xq, wq, spec)), "the mapping does not cover every MAC once"
    a = counts.actions
    pairs = [(("mac", "random"), "mac_random"), (("mac", "gated"), "mac_gated"),
             (("weight_spad", "read"), "weight_spad_read"), (("weight_spad", "write"), "filter_spad_write"),
             (("weight_spad", "gated_read"), "weight_spad_gated_read"),
             (("ifmap_spad", "read"), "ifmap_spad_read"), (("ifmap_spad", "write"), "ifmap_spad_write"),
             (("psum_spad", "read"), "psum_spad_read"), (("psum_spad", "write"), "psum_spad_write"),
             (("zero_buffer", "read"), "zero_buffer_read"), (("add", "random"), "add"),
             (("noc", "transfer"), "noc_transfer")]
    for key, rk in pairs:
        assert a.get(key, 0) == ref[rk], (key, a.get(key, 0), ref[rk], plan.to_dict())
    assert counts.extra["row_conv_cycles"] == ref["row_conv_cycles"]
    assert counts.macs_executed + counts.macs_gated == spec.macs_dense
    return acc, lt, counts


@settings(max_examples=60, deadline=None)
@given(small_layer(), st.booleans())
def test_model_counts_equal_reference(case, gating):
    _compare(*case, gating=gating)


@st.composite
def tall_layer(draw):
    """Tall thin layers (E up to 12 on a 5-column array): strip-mining with several strips per pass."""
    R = draw(st.integers(1, 2))
    S = draw(st.integers(1, 2))
    H = draw(st.integers(6, 12))
    spec = LayerSpec("l", "conv", draw(st.integers(1, 2)), draw(st.integers(1, 3)), H, draw(st.integers(S, 5)),
                     draw(st.integers(1, 3)), R, S, 1, 0, 1)
    return spec, draw(st.sampled_from([0.0, 0.5, 1.0])), draw(st.integers(0, 2**16))


TINY = {"pe_rows": 4, "pe_cols": 5, "filter_spad_words": 12, "ifmap_spad_words": 4, "psum_spad_words": 3,
        "glb_fmap_bytes": 600, "glb_filter_bytes": 200}


@settings(max_examples=30, deadline=None)
@given(st.one_of(small_layer(max_hw=9), tall_layer(), tall_layer()), st.sampled_from([600, 600, 160]))
def test_model_equals_reference_on_a_tiny_array(case, glb_bytes):
    """A 4x5 array with small spads and buffers forces strip-mining (several strips per pass), splitting,
    streamed ifmaps, image blocks, and p/q/r/t blocking.  A layer whose psums do not fit even the smallest
    pass is a ConfigError naming the global buffer (never a mapping that silently overflows it)."""
    array = {**TINY, "glb_fmap_bytes": glb_bytes}
    try:
        create("eyeriss", **array).plan(case[0])
    except ConfigError as e:
        assert "global buffer" in str(e) and repr(case[0].name) in str(e)
        return
    _compare(*case, array=array)


def test_global_buffer_overflow_is_an_error_for_both_mappers():
    spec = LayerSpec("big", "conv", 1, 1, 30, 30, 64, 3, 3, 1, 1, 1)   # 64 filters x 30 cols of psums
    for search in (True, False):
        with pytest.raises(ConfigError, match="global buffer"):
            create("eyeriss", mapping_search=search, **{**TINY, "glb_fmap_bytes": 100}).plan(spec)


@settings(max_examples=30, deadline=None)
@given(small_fc())
def test_fc_equals_reference(case):
    _compare(*case)


@settings(max_examples=15, deadline=None)
@given(small_layer(max_hw=9))
def test_dram_reads_cover_compressed_tensors_and_rlc_never_loses(case):
    spec, density, seed = case
    acc, lt, counts = _compare(spec, density, seed)
    x = counts.extra
    # every input read at least once: compressed, each non-zero is one RLC pair (3 pairs per 64-bit word,
    # however the rows are cut into streams); the network's first layer: every value, 16 bits
    xq, _ = fixedpoint.quantize(lt.inputs_nchw(), 16)
    if x["input_compressed"]:
        need = 64 * np.count_nonzero(xq) / 3
    else:
        need = xq.size * 16
    assert x["dram_ifmap_read_bits"] >= need
    assert x["dram_filter_read_bits"] >= spec.M * spec.Cg * spec.R * spec.S * 16
    assert counts.dram_read_bits == x["dram_filter_read_bits"] + x["dram_ifmap_read_bits"]
    plain = create("eyeriss", rlc=False).count(acc.plan(spec), lt)
    assert plain.extra["dram_ifmap_read_bits"] == x["dram_ifmap_read_bits_uncompressed"]
    assert plain.dram_write_bits == x["dram_ofmap_write_bits_uncompressed"]
    assert plain.dram_read_bits == x["dram_filter_read_bits"] + x["dram_ifmap_read_bits_uncompressed"]


@settings(max_examples=15, deadline=None)
@given(small_layer(max_hw=9))
def test_gating_never_changes_cycles_and_saves_energy(case):
    spec, density, seed = case
    lt = make_trace(spec, density, seed)
    on = create("eyeriss").simulate_layer(lt)
    off = create("eyeriss", gating=False).simulate_layer(lt)
    assert on.cycles == off.cycles and on.compute_cycles == off.compute_cycles
    assert off.macs_gated == 0 and off.macs_executed == spec.macs_dense
    # gating's only cost is reading the zero buffer; with no zeros that is all it changes
    zb = on.counts.get(("zero_buffer", "read")) * create("eyeriss").energy.entries[("zero_buffer", "read")]
    assert on.energy <= off.energy + zb + 1e-6
    if on.macs_gated:
        assert on.energy_by_category["ALU"] < off.energy_by_category["ALU"]


def test_groups_side_by_side_equal_reference():
    """4 groups of 4 channels x 4 filters on 7x7 (tests/unit/test_group_mapping.py): group_mapping spread
    puts the 4 groups in one pass (gs = 4); the PE-level reference runs that pass and must count the same."""
    spec = LayerSpec("g4", "conv", 1, 16, 7, 7, 16, 3, 3, 1, 1, 4)
    for search in (False, True):
        acc, _, _ = _compare(spec, 0.7, 0, array={"mapping_search": search})
        assert acc.plan(spec).gs == 4
