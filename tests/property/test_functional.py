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
