"""EIE and SCNN layers with any geometry (per-axis stride and dilation, four-sided padding, groups and
depthwise, Conv1d as height 1) against from-scratch references that read the geometry from the
convolution's definition (tests/reference/eie_ref.py, scnn_ref.py), not from accelsim/geometry.py."""
import numpy as np
from hypothesis import given, settings, strategies as st

from accelsim.accelerators import create
from accelsim.trace import LayerSpec, LayerTrace
from tests.property.geometry import conv_geometry, conv_spec
from tests.reference.eie_ref import eie_layer_ref
from tests.reference.scnn_ref import scnn_halo_ref, scnn_image_ref


@st.composite
def small_layer(draw):
    """A small conv layer: a random 2-D geometry, or a Conv1d (height 1, kernel height 1, no vertical
    padding); groups 1, 2 or depthwise; weights and inputs with exact zeros at random densities."""
    if draw(st.booleans()):
        R, S = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        H, W, geo = draw(conv_geometry(R, S, max_stride=3, max_dilation=3, max_pad=2, max_hw=5))
    else:  # Conv1d exported as height 1
        R, S = 1, draw(st.integers(1, 4))
        sw, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        pl, pr = draw(st.integers(0, 2)), draw(st.integers(0, 2))
        H = 1
        W = draw(st.integers(max(1, dw * (S - 1) + 1 - pl - pr), 9))
        geo = {"stride": (1, sw), "dilation": (1, dw), "padding": (0, 0, pl, pr)}
    kind = draw(st.sampled_from(["plain", "grouped", "depthwise"]))
    if kind == "depthwise":
        g = draw(st.integers(2, 4))
        cg, mg = 1, draw(st.integers(1, 2))
    elif kind == "grouped":
        g, cg, mg = 2, draw(st.integers(1, 2)), draw(st.integers(1, 3))
    else:
        g, cg, mg = 1, draw(st.integers(1, 3)), draw(st.integers(1, 5))
    spec = conv_spec("l", draw(st.integers(1, 2)), g * cg, H, W, g * mg, R, S, g, geo)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    w = (rng.integers(1, 5, spec.weight_shape) * rng.choice([-1, 1], spec.weight_shape)).astype(np.float32)
    w[rng.random(w.shape) >= draw(st.sampled_from([0.1, 0.5, 1.0]))] = 0
    x = rng.integers(1, 5, spec.input_shape).astype(np.float32)
    x[rng.random(x.shape) >= draw(st.sampled_from([0.2, 0.6, 1.0]))] = 0
    return LayerTrace(spec, w, x)


def _geo(s: LayerSpec):
    return (s.stride_h, s.stride_w), (s.dilation_h, s.dilation_w), (s.pad_top, s.pad_bottom, s.pad_left, s.pad_right)


def _effectual(s: LayerSpec, wm, xm) -> int:
    """Pairs (non-zero weight, non-zero input) a direct grouped convolution multiplies."""
    (sh, sw), (dh, dw), (pt, _, pl, _) = _geo(s)
    n_eff = 0
    for n in range(s.N):
        for m in range(s.M):
            g = m // s.Mg
            for e in range(s.E):
                for f in range(s.F):
                    for c in range(s.Cg):
                        for r in range(s.R):
                            for q in range(s.S):
                                y, x = e * sh + r * dh - pt, f * sw + q * dw - pl
                                if 0 <= y < s.H and 0 <= x < s.W and wm[m, c, r, q] and xm[n, g * s.Cg + c, y, x]:
                                    n_eff += 1
    return n_eff


@settings(max_examples=60, deadline=None)
@given(lt=small_layer(), pes=st.integers(1, 5), depth=st.integers(0, 3))
def test_eie_layer_equals_reference(lt, pes, depth):
    s = lt.spec
    wm, xm = lt.weights_mcrs() != 0, lt.inputs_nchw() != 0
    r = create("eie", pes=pes, queue_depth=depth).simulate_layer(lt)
    stride, dil, pads = _geo(s)
    cyc, executed, bcast = eie_layer_ref(wm.tolist(), xm.tolist(), s.groups, s.E, s.F, stride, dil, pads, pes, depth)
    assert r.compute_cycles == cyc
    assert r.macs_executed == executed == _effectual(s, wm, xm)
    assert r.extra["broadcast_columns"] == bcast
    r.check_conservation()


@settings(max_examples=60, deadline=None)
@given(lt=small_layer(), grid=st.tuples(st.integers(1, 3), st.integers(1, 3)), acc=st.sampled_from([1, 6, 64]),
       conflicts=st.booleans())
def test_scnn_layer_equals_reference(lt, grid, acc, conflicts):
    s = lt.spec
    gr, gc = grid
    wm, xm = lt.weights_mcrs() != 0, lt.inputs_nchw() != 0
    r = create("scnn", pe_rows=gr, pe_cols=gc, acc_entries=acc, mults_f=2, mults_i=2, banks=4,
               bank_conflicts=conflicts).simulate_layer(lt)
    stride, dil, pads = _geo(s)
    th, tw = -(-s.H // gr), -(-s.W // gc)
    halos, foot = scnn_halo_ref(s.H, s.W, s.R, s.S, stride, dil, pads, s.E, s.F, th, tw, gr, gc)
    kc = max(1, min(s.Mg, acc // max(1, foot)))
    cycles = formed = valid = stalls = 0
    for n in range(s.N):
        for g in range(s.groups):
            A = xm[n, g * s.Cg:(g + 1) * s.Cg].astype(np.uint8)
            Wg = wm[g * s.Mg:(g + 1) * s.Mg].astype(np.uint8)
            cyc, fo, va, st_ = scnn_image_ref(A, Wg, th, tw, gr, gc, *stride, *dil, pads[0], pads[2], s.E, s.F,
                                              2, 2, 4, conflicts, kc)
            cycles += sum(cyc) + s.Mg * max(halos)      # every filter's halo words leave the fullest PE
            formed, valid, stalls = formed + fo, valid + va, stalls + st_
    assert r.extra["kc"] == kc
    assert r.compute_cycles == cycles
    assert r.extra["products_formed"] == formed and r.extra["bank_conflict_cycles"] == stalls
    assert r.macs_executed == valid == _effectual(s, wm, xm)
    assert r.extra["halo_words"] == s.N * s.groups * s.Mg * sum(halos)
    r.check_conservation()
