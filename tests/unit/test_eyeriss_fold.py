"""Eyeriss on filters taller or wider than 12: folded into parts (accelsim/accelerators/eyeriss_fold.py).

The parts are checked against a plain convolution (every MAC in exactly one part), the executed MACs
against a direct count of non-zero-input MACs, and the cost of folding against its rule."""
import numpy as np
from hypothesis import given, settings, strategies as st

from accelsim import fixedpoint
from accelsim.accelerators import create
from accelsim.trace import LayerTrace
from tests.property.geometry import conv_geometry, conv_spec
from tests.reference.eyeriss_pe import conv_codes


def _nonzero_input_macs(spec, xq):
    """MACs whose input is a real non-zero value: loop over outputs and taps (padding reads count as zero)."""
    n_ok = 0
    for e in range(spec.E):
        for f in range(spec.F):
            for r in range(spec.R):
                for s in range(spec.S):
                    y = e * spec.stride_h + r * spec.dilation_h - spec.pad_top
                    x = f * spec.stride_w + s * spec.dilation_w - spec.pad_left
                    if 0 <= y < spec.H and 0 <= x < spec.W:
                        n_ok += int((xq[:, :, y, x] != 0).sum())
    return n_ok * spec.Mg


@st.composite
def big_filter(draw):
    tall = draw(st.booleans())
    R = draw(st.integers(13, 26)) if tall else draw(st.integers(1, 3))
    S = draw(st.integers(1, 3)) if tall else draw(st.integers(13, 26))
    H, W, geo = draw(conv_geometry(R, S, max_stride=2, max_dilation=2, max_pad=3, max_hw=4))
    g = draw(st.sampled_from([1, 2]))
    spec = conv_spec("big", draw(st.integers(1, 2)), g * draw(st.integers(1, 3)), H, W, g * draw(st.integers(1, 3)),
                     R, S, g, geo)
    return spec, draw(st.sampled_from([0.3, 1.0])), draw(st.integers(0, 2**16))


@settings(max_examples=20, deadline=None)
@given(big_filter(), st.booleans())
def test_folded_parts_cover_every_mac_once_and_conserve(case, search):
    spec, density, seed = case
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 8, spec.input_shape).astype(np.float32)
    x[rng.random(spec.input_shape) >= density] = 0
    w = rng.integers(-4, 5, spec.weight_shape).astype(np.float32)
    lt = LayerTrace(spec, w, x)
    acc = create("eyeriss", mapping_search=search)
    plan = acc.plan(spec)
    assert plan.to_dict()["folds"] >= 2
    xq, _ = fixedpoint.quantize(lt.inputs_nchw(), 16)
    wq, _ = fixedpoint.quantize(lt.weights_mcrs(), 16)
    total = np.zeros((spec.N, spec.M, spec.E, spec.F), dtype=np.int64)
    for p in plan.parts:  # each part: its input window (zero if it reads only padding), its filter taps
        px = xq[:, :, p.rows.a:p.rows.a + p.rows.size, p.cols.a:p.cols.a + p.cols.size]
        if p.rows.a == p.rows.b or p.cols.a == p.cols.b:
            px = np.zeros_like(px)
        assert px.shape[2:] == (p.spec.H, p.spec.W)
        total += conv_codes(px, wq[:, :, p.rows.k0:p.rows.k1, p.cols.k0:p.cols.k1], p.spec)
    assert np.array_equal(total, conv_codes(xq, wq, spec))
    r = acc.simulate_layer(lt)
    r.check_conservation()
    assert r.macs_dense == spec.macs_dense
    assert r.macs_executed == _nonzero_input_macs(spec, xq)
    folds = plan.to_dict()["folds"] - 1
    assert r.extra["fold_psum_dram_bits"] == 2 * folds * spec.N * spec.M * spec.E * spec.F * 16
    assert r.dram_bits_by_tensor["psum_spills"] == r.extra["fold_psum_dram_bits"]
    assert sum(r.dram_bits_by_tensor.values()) == r.dram_read_bits + r.dram_write_bits


def test_conv1d_kernel_wider_than_the_spad():
    """A Conv1d with a 25-tap kernel (height 1): ceil(25 / 12) = 3 parts of 9, 9 and 7 taps."""
    spec = conv_spec("c1d", 1, 4, 1, 64, 8, 1, 25, 1, {"stride": 1, "dilation": (1, 2), "padding": (0, 0, 24, 24)})
    rng = np.random.default_rng(0)
    lt = LayerTrace(spec, rng.standard_normal(spec.weight_shape).astype(np.float32),
                    np.abs(rng.standard_normal(spec.input_shape)).astype(np.float32))
    r = create("eyeriss").simulate_layer(lt)
    assert r.extra["mapping"]["fold_cols"] == [[0, 9], [9, 18], [18, 25]]
    r.check_conservation()
