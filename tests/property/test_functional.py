"""functional.layer_outputs (blocked im2col + BLAS) == a seven-loop convolution on random small layers of
any geometry (per-axis stride, dilation, asymmetric padding)."""
import numpy as np
from hypothesis import given, settings, strategies as st

from accelsim.functional import layer_outputs
from accelsim.trace import LayerSpec, LayerTrace
from tests.property.geometry import conv_geometry, conv_spec
from tests.reference.conv import conv2d_relu


@st.composite
def case(draw):
    R, S = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H, W, geo = draw(conv_geometry(R, S))
    g = draw(st.sampled_from([1, 2]))
    spec = conv_spec("l", draw(st.integers(1, 2)), g * draw(st.integers(1, 3)), H, W, g * draw(st.integers(1, 4)),
                     R, S, g, geo)
    return spec, geo, draw(st.integers(0, 2**16))


@settings(max_examples=40)
@given(case())
def test_outputs_match_naive_convolution(c):
    spec, geo, seed = c
    rng = np.random.default_rng(seed)
    lt = LayerTrace(spec, rng.standard_normal(spec.weight_shape).astype(np.float32),
                    rng.standard_normal(spec.input_shape).astype(np.float32))
    ref = conv2d_relu(lt.inputs, lt.weights, geo["stride"], geo["padding"], spec.groups, dilation=geo["dilation"])
    assert ref.shape == spec.output_shape
    np.testing.assert_allclose(layer_outputs(lt), ref, rtol=1e-4, atol=1e-4)


def test_fc_outputs():
    rng = np.random.default_rng(0)
    spec = LayerSpec("fc", "fc", 3, 7, 1, 1, 5, 1, 1)
    lt = LayerTrace(spec, rng.standard_normal((5, 7)).astype(np.float32), rng.standard_normal((3, 7)).astype(np.float32))
    np.testing.assert_allclose(layer_outputs(lt), np.maximum(lt.inputs @ lt.weights.T, 0), rtol=1e-5, atol=1e-5)


def _naive(x, w, spec):
    """Seven loops with per-axis stride and dilation and asymmetric padding (independent of the code)."""
    s = spec
    xp = np.zeros((s.N, s.C, s.H + s.pad_top + s.pad_bottom, s.W + s.pad_left + s.pad_right), np.float64)
    xp[:, :, s.pad_top:s.pad_top + s.H, s.pad_left:s.pad_left + s.W] = x
    out = np.zeros((s.N, s.M, s.E, s.F))
    for n in range(s.N):
        for m in range(s.M):
            g = m // s.Mg
            for e in range(s.E):
                for f in range(s.F):
                    acc = 0.0
                    for c in range(s.Cg):
                        for r in range(s.R):
                            for t in range(s.S):
                                acc += w[m, c, r, t] * xp[n, g * s.Cg + c, e * s.stride_h + r * s.dilation_h,
                                                          f * s.stride_w + t * s.dilation_w]
                    out[n, m, e, f] = max(acc, 0.0)
    return out


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 2), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)),
       st.integers(1, 3), st.integers(1, 2), st.integers(1, 2), st.integers(1, 2), st.sampled_from([1, 2]),
       st.integers(0, 2**16), st.booleans())
def test_both_engines_match_naive_with_full_geometry(n, cg, mg, r, s_, pads, sh, sw, dh, dw, groups, seed, use_torch):
    """numpy and torch paths (per-axis stride/dilation, asymmetric padding) == seven loops."""
    from accelsim import functional
    if use_torch:
        pytest = __import__("pytest")
        pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    h, w = dh * (r - 1) + 1 + seed % 4, dw * (s_ - 1) + 1 + seed % 3
    spec = LayerSpec("l", "conv", n, cg * groups, h, w, mg * groups, r, s_, groups=groups, stride_h=sh,
                     stride_w=sw, dilation_h=dh, dilation_w=dw, pad_top=pads[0], pad_bottom=pads[1],
                     pad_left=pads[2], pad_right=pads[3])
    lt = LayerTrace(spec, rng.standard_normal(spec.weight_shape).astype(np.float32),
                    rng.standard_normal(spec.input_shape).astype(np.float32))
    got = functional._conv_torch(lt, True) if use_torch else functional._conv_numpy(lt, True)
    ref = _naive(lt.inputs_nchw(), lt.weights_mcrs(), spec)
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)


def test_outputs_computed_once_and_released():
    from accelsim.functional import has_outputs, release_outputs
    rng = np.random.default_rng(1)
    spec = LayerSpec("l", "conv", 1, 2, 5, 5, 3, 3, 3)
    lt = LayerTrace(spec, rng.standard_normal(spec.weight_shape).astype(np.float32),
                    rng.standard_normal(spec.input_shape).astype(np.float32))
    assert not has_outputs(lt)
    a = layer_outputs(lt)
    assert has_outputs(lt) and layer_outputs(lt) is a and not a.flags.writeable
    release_outputs(lt)
    assert not has_outputs(lt)


@settings(max_examples=60)
@given(st.lists(st.floats(-70000, 70000, width=32), min_size=1, max_size=40), st.sampled_from([8, 12, 16, 20]))
def test_codes_equal_float64_rounding(vals, bits):
    """fixedpoint.codes (float32 in place) == the obvious float64 rint/clip, value for value."""
    from accelsim import fixedpoint
    x = np.array(vals, dtype=np.float32)
    q, f = fixedpoint.codes(x, bits)
    lim = (1 << (bits - 1)) - 1
    ref = np.clip(np.rint(x.astype(np.float64) * 2.0 ** f), -lim - 1, lim).astype(np.int64)
    assert f == fixedpoint.frac_bits_for(x, bits)
    np.testing.assert_array_equal(q.astype(np.int64), ref)
