"""first_layer: reshape (DNNsim's space-to-depth of a 3-channel, stride > 1 first layer)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from accelsim.accelerators.first_layer import applies, reshape_first_layer
from accelsim.accelerators.registry import create
from accelsim.errors import ConfigError
from accelsim.trace.format import LayerSpec, LayerTrace
from tests.reference.conv import conv2d_relu


def dnnsim_act_rule(x, s):
    """DNNsim's index rule, element by element: (k, i, j) -> ((j%s)*s*C + C*(i%s) + k, i//s, j//s)."""
    C, H, W = x.shape
    out = np.zeros((C * s * s, -(-H // s), -(-W // s)))
    for k in range(C):
        for i in range(H):
            for j in range(W):
                out[(j % s) * s * C + C * (i % s) + k, i // s, j // s] = x[k, i, j]
    return out


@settings(max_examples=25, deadline=None)
@given(H=st.integers(4, 12), W=st.integers(4, 12), R=st.integers(1, 5), S=st.integers(1, 5),
       s=st.integers(2, 4), pad=st.integers(0, 2), seed=st.integers(0, 2**16))
def test_reshape_keeps_every_output(H, W, R, S, s, pad, seed):
    R, S = min(R, H + 2 * pad), min(S, W + 2 * pad)
    rng = np.random.default_rng(seed)
    spec = LayerSpec("c1", "conv", 1, 3, H, W, 4, R, S, stride=s, padding=pad)
    lt = LayerTrace(spec, rng.standard_normal((4, 3, R, S)).astype(np.float32),
                    rng.standard_normal((1, 3, H, W)).astype(np.float32))
    assert applies(spec)
    rl = reshape_first_layer(lt)
    assert (rl.spec.C, rl.spec.stride_h, rl.spec.E, rl.spec.F) == (3 * s * s, 1, spec.E, spec.F)
    want = conv2d_relu(lt.inputs, lt.weights, s, pad, 1, relu=False)
    got = conv2d_relu(rl.inputs, rl.weights, 1, 0, 1, relu=False)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    # the channel layout is DNNsim's (on the padded input)
    xp = np.pad(lt.inputs[0], ((0, 0), (pad, pad), (pad, pad)))
    ref = dnnsim_act_rule(xp, s)
    np.testing.assert_array_equal(rl.inputs[0], ref[:, :rl.spec.H, :rl.spec.W])


def test_alexnet_conv1_reshape_cycles():
    """AlexNet conv1, 3x227x227, 96 filters 11x11 stride 4 (55x55 outputs), dense.  pad: a window is 121 taps
    x 1 brick (3 channels padded to 16) = 121 steps; reshape: 48 channels (3 bricks) x 3x3 taps = 27 steps.
    Ideal DaDianNao: 3025 windows x steps + 8 fill.  Utilization 363/(121*16) = 18.8% -> 363/(27*16) = 84.0%."""
    rng = np.random.default_rng(0)
    spec = LayerSpec("conv1", "conv", 1, 3, 227, 227, 96, 11, 11, stride=4)
    lt = LayerTrace(spec, rng.standard_normal((96, 3, 11, 11)).astype(np.float32),
                    rng.random((1, 3, 227, 227)).astype(np.float32) + 0.1)
    pad = create("dadiannao", None).simulate_layer(lt)
    rs = create("dadiannao", None, first_layer="reshape").simulate_layer(lt)
    assert pad.cycles == 3025 * 121 + 8 and rs.cycles == 3025 * 27 + 8
    assert rs.macs_dense == pad.macs_dense and rs.extra["first_layer_reshaped"]
    assert pad.utilization == pytest.approx(363 / (121 * 16) * 96 / 256, rel=1e-3)
    assert rs.utilization == pytest.approx(363 / (27 * 16) * 96 / 256, rel=1e-3)
    # Cnvlutin on dense inputs: the 16 lanes each own 3 of the 48 channels: 27 values = chunks of 16 + 11
    cnv = create("cnvlutin", None, first_layer="reshape").simulate_layer(lt)
    assert cnv.cycles == 3025 * 27 + 8


def test_reshape_only_where_dnnsim_does_and_bad_value():
    assert not applies(LayerSpec("c", "conv", 1, 3, 8, 8, 4, 3, 3, stride=1))
    assert not applies(LayerSpec("c", "conv", 1, 4, 8, 8, 4, 3, 3, stride=2))
    with pytest.raises(ConfigError, match="first_layer"):
        create("dadiannao", None, first_layer="fold")
