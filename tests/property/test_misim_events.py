"""``timing_model: misim`` (all rules) against the cycle-by-cycle reference of MIsim's components
(tests/reference/misim_events.py: every tile, unit and memory port, reads merged in the memory queue,
the components of a cycle woken in a fixed order).  The kernel is a closed form for one tile's lanes
that assumes the 16 tiles stay in lockstep; the reference does not assume it."""
import numpy as np
from hypothesis import assume, given, settings, strategies as st

from accelsim.accelerators.registry import create
from accelsim.trace.format import LayerSpec, LayerTrace
from tests.reference.misim_events import layer_cycles


def accelsim(arch, x, M, K, stride, pad, cost):
    C, H, W = x.shape
    spec = LayerSpec("l", "conv", 1, C, H, W, M, K, K, stride, pad)
    lt = LayerTrace(spec, np.ones((M, C, K, K), np.float32), x[None].astype(np.float32))
    return create(arch, None, timing_model="misim", misim_chunk_cost=cost).simulate_layer(lt).cycles


@settings(max_examples=25, deadline=None)
@given(C=st.integers(1, 40), H=st.integers(2, 6), K=st.integers(1, 3), stride=st.integers(1, 2),
       pad=st.integers(0, 1), M=st.sampled_from([16, 64, 512]), density=st.sampled_from([0.0, 0.2, 0.6, 1.0]),
       cost=st.sampled_from(["nnz", "original"]), seed=st.integers(0, 2**16))
def test_cnvlutin_misim_equals_the_component_reference(C, H, K, stride, pad, M, density, cost, seed):
    K = min(K, H + 2 * pad)
    x = (np.random.default_rng(seed).random((C, H, H)) < density).astype(float)
    ref = layer_cycles(x, M, K, stride, pad, zf=1, original_size=cost == "original")
    assert accelsim("cnvlutin", x, M, K, stride, pad, cost) == ref


@settings(max_examples=25, deadline=None)
@given(C=st.integers(2, 70), H=st.integers(2, 6), K=st.integers(1, 3), stride=st.integers(1, 2),
       pad=st.integers(0, 1), M=st.sampled_from([16, 64, 512]), seed=st.integers(0, 2**16))
def test_dadiannao_misim_equals_the_component_reference(C, H, K, stride, pad, M, seed):
    K = min(K, H + 2 * pad)
    assume(C * K * K % 256 == 0 or C * K * K % 256 >= 16)  # MIsim asserts on a chunk of < 16 values
    x = np.random.default_rng(seed).random((C, H, H))
    assert accelsim("dadiannao", x, M, K, stride, pad, "nnz") == layer_cycles(x, M, K, stride, pad, zf=0)
