"""Kernel == cycle-stepped reference for DaDianNao and Cnvlutin on random small layers, any geometry
(per-axis stride, dilation, asymmetric padding) and both group mappings."""
import math

import numpy as np
from hypothesis import given, settings, strategies as st

from accelsim.accelerators import create
from accelsim.trace import LayerTrace
from tests.property.geometry import conv_geometry, conv_spec
from tests.reference.dadn_tile import simulate_round


@st.composite
def small_layer(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3, 8]))
    cg = draw(st.sampled_from([1, 2, 3, 7, 17, 40]))
    mg = draw(st.sampled_from([1, 2, 5, 16, 40]))
    R = draw(st.integers(1, 3))
    S = draw(st.integers(1, 3))
    H, W, geo = draw(conv_geometry(R, S, max_stride=2, max_dilation=2, max_pad=1, max_hw=4))
    N = draw(st.integers(1, 2))
    density = draw(st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]))
    seed = draw(st.integers(0, 2**16))
    mapping = draw(st.sampled_from(["spread", "serial"]))
    return conv_spec("l", N, cg * groups, H, W, mg * groups, R, S, groups, geo), density, seed, mapping


def make_trace(spec, density, seed):
    rng = np.random.default_rng(seed)
    x = (rng.random(spec.input_shape) + 0.5).astype(np.float32)
    x[rng.random(spec.input_shape) >= density] = 0
    w = rng.standard_normal(spec.weight_shape).astype(np.float32)
    return LayerTrace(spec, w, x)


def group_layout(s, mapping, brick=16, filters=16, tiles=16):
    """(groups packed per brick, packed groups side by side): the documented rule (dadiannao.py)."""
    if mapping == "serial" or s.groups == 1:
        return 1, 1
    k = min(brick // s.Cg, filters // s.Mg, s.groups) if s.Cg < brick and s.Mg < filters else 1
    fb = math.ceil(k * s.Mg / filters)
    return k, max(1, min(tiles // fb, math.ceil(s.groups / k)))


def reference_cycles(lt, cnv, mapping, filters_per_tile=16, tiles=16):
    s = lt.spec
    k, side = group_layout(s, mapping)
    x = lt.inputs_nchw() != 0
    fg = math.ceil(math.ceil(k * s.Mg / filters_per_tile) / tiles)
    packed = math.ceil(s.groups / k)
    total, nnz = 0, 0
    pads = ((0, 0), (s.pad_top, s.pad_bottom), (s.pad_left, s.pad_right))
    for n in range(s.N):
        groups_x = []
        for j in range(packed):  # channels of groups j*k .. j*k+k-1 (missing groups: zero channels)
            ch = np.zeros((k * s.Cg, s.H, s.W), dtype=bool)
            real = x[n, j * k * s.Cg:(j + 1) * k * s.Cg]
            ch[:len(real)] = real
            groups_x.append(np.pad(ch, pads).tolist())
        for r0 in range(0, packed, side):
            c, kk = simulate_round(groups_x[r0:r0 + side], s.R, s.S, (s.stride_h, s.stride_w), s.E, s.F, fg,
                                   cnv=cnv, dilation=(s.dilation_h, s.dilation_w))
            total += c
            nnz += kk
    return total + 8, nnz


@settings(max_examples=50)
@given(small_layer())
def test_cnvlutin_kernel_matches_cycle_stepped_reference(case):
    spec, density, seed, mapping = case
    lt = make_trace(spec, density, seed)
    r = create("cnvlutin", group_mapping=mapping).simulate_layer(lt)
    ref_cycles, ref_nnz = reference_cycles(lt, True, mapping)
    assert r.compute_cycles == ref_cycles
    assert r.macs_executed == ref_nnz * spec.Mg
    r.check_conservation()


@settings(max_examples=30)
@given(small_layer())
def test_dadiannao_matches_cycle_stepped_reference(case):
    spec, density, seed, mapping = case
    lt = make_trace(spec, density, seed)
    r = create("dadiannao", group_mapping=mapping).simulate_layer(lt)
    assert r.compute_cycles == reference_cycles(lt, False, mapping)[0]
    assert r.macs_executed == spec.macs_dense and r.macs_skipped == 0
    r.check_conservation()


@settings(max_examples=30)
@given(small_layer())
def test_cnvlutin_never_slower_than_dadiannao_and_monotone_in_zeros(case):
    """Invariants: CNV cycles <= DaDN cycles (all on chip); zeroing more inputs never adds cycles."""
    spec, density, seed, mapping = case
    lt = make_trace(spec, density, seed)
    cnv, dadn = create("cnvlutin", group_mapping=mapping), create("dadiannao", group_mapping=mapping)
    c1 = cnv.simulate_layer(lt).cycles
    assert c1 <= dadn.simulate_layer(lt).cycles
    x2 = lt.inputs.copy()
    rng = np.random.default_rng(seed + 1)
    x2[rng.random(x2.shape) < 0.3] = 0
    c2 = cnv.simulate_layer(LayerTrace(spec, lt.weights, x2)).cycles
    assert c2 <= c1
