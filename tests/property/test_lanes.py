"""Kernel == cycle-stepped reference for DaDianNao and Cnvlutin on random small layers."""
import math

import numpy as np
from hypothesis import given, settings, strategies as st

from accelsim.accelerators import create
from accelsim.trace import LayerSpec, LayerTrace
from tests.reference.dadn_tile import simulate_tile


@st.composite
def small_layer(draw):
    groups = draw(st.sampled_from([1, 1, 2]))
    cg = draw(st.integers(1, 40))
    mg = draw(st.integers(1, 40))
    R = draw(st.integers(1, 3))
    S = draw(st.integers(1, 3))
    pad = draw(st.integers(0, 1))
    stride = draw(st.integers(1, 2))
    H = draw(st.integers(max(1, R - 2 * pad), 6))
    W = draw(st.integers(max(1, S - 2 * pad), 6))
    N = draw(st.integers(1, 2))
    density = draw(st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]))
    seed = draw(st.integers(0, 2**16))
    return LayerSpec("l", "conv", N, cg * groups, H, W, mg * groups, R, S, stride, pad, groups), density, seed


def make_trace(spec, density, seed):
    rng = np.random.default_rng(seed)
    x = (rng.random(spec.input_shape) + 0.5).astype(np.float32)
    x[rng.random(spec.input_shape) >= density] = 0
    w = rng.standard_normal(spec.weight_shape).astype(np.float32)
    return LayerTrace(spec, w, x)


def reference_cycles(lt, cnv, filters_per_tile=16, tiles=16):
    s = lt.spec
    p = s.padding
    x = lt.inputs_nchw() != 0
    fg = math.ceil(math.ceil(s.Mg / filters_per_tile) / tiles)
    total, nnz = 0, 0
    for n in range(s.N):
        for g in range(s.groups):
            xg = np.pad(x[n, g * s.Cg:(g + 1) * s.Cg], ((0, 0), (p, p), (p, p)))
            c, k = simulate_tile(xg.tolist(), s.R, s.S, s.stride, s.E, s.F, fg, cnv=cnv, pipeline=0)
            total += c
            nnz += k
    return total + 8, nnz


@settings(max_examples=40)
@given(small_layer())
def test_cnvlutin_kernel_matches_cycle_stepped_reference(case):
    spec, density, seed = case
    lt = make_trace(spec, density, seed)
    r = create("cnvlutin").simulate_layer(lt)
    ref_cycles, ref_nnz = reference_cycles(lt, cnv=True)
    assert r.compute_cycles == ref_cycles
    assert r.macs_executed == ref_nnz * spec.Mg
    r.check_conservation()


@settings(max_examples=25)
@given(small_layer())
def test_dadiannao_matches_cycle_stepped_reference(case):
    spec, density, seed = case
    lt = make_trace(spec, density, seed)
    r = create("dadiannao").simulate_layer(lt)
    assert r.compute_cycles == reference_cycles(lt, cnv=False)[0]
    assert r.macs_executed == spec.macs_dense and r.macs_skipped == 0


@settings(max_examples=30)
@given(small_layer())
def test_cnvlutin_never_slower_than_dadiannao_and_monotone_in_zeros(case):
    """Invariants: CNV cycles <= DaDN cycles (all on chip); zeroing more inputs never adds cycles."""
    spec, density, seed = case
    lt = make_trace(spec, density, seed)
    cnv, dadn = create("cnvlutin"), create("dadiannao")
    c1 = cnv.simulate_layer(lt).cycles
    assert c1 <= dadn.simulate_layer(lt).cycles
    x2 = lt.inputs.copy()
    rng = np.random.default_rng(seed + 1)
    x2[rng.random(x2.shape) < 0.3] = 0
    c2 = cnv.simulate_layer(LayerTrace(spec, lt.weights, x2)).cycles
    assert c2 <= c1
