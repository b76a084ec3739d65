"""functional.layer_outputs (blocked im2col + BLAS) == a seven-loop convolution on random small layers."""
import numpy as np
from hypothesis import given, settings, strategies as st

from accelsim.functional import layer_outputs
from accelsim.trace import LayerSpec, LayerTrace
from tests.reference.conv import conv2d_relu


@settings(max_examples=30)
@given(st.integers(1, 2), st.integers(1, 3), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2),
       st.integers(1, 2), st.sampled_from([1, 2]), st.integers(0, 2**16))
def test_outputs_match_naive_convolution(n, cg, mg, k, pad, stride, groups, seed):
    rng = np.random.default_rng(seed)
    h = w = max(k, 3) + seed % 4
    spec = LayerSpec("l", "conv", n, cg * groups, h, w, mg * groups, k, k, stride, pad, groups)
    lt = LayerTrace(spec, rng.standard_normal(spec.weight_shape).astype(np.float32),
                    rng.standard_normal(spec.input_shape).astype(np.float32))
    ref = conv2d_relu(lt.inputs, lt.weights, stride, pad, groups)
    np.testing.assert_allclose(layer_outputs(lt), ref, rtol=1e-4, atol=1e-4)


def test_fc_outputs():
    rng = np.random.default_rng(0)
    spec = LayerSpec("fc", "fc", 3, 7, 1, 1, 5, 1, 1)
    lt = LayerTrace(spec, rng.standard_normal((5, 7)).astype(np.float32), rng.standard_normal((3, 7)).astype(np.float32))
    np.testing.assert_allclose(layer_outputs(lt), np.maximum(lt.inputs @ lt.weights.T, 0), rtol=1e-5, atol=1e-5)
