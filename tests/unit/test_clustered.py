"""Clustered synthetic activations: exact density, non-negative, none lost to 16-bit rounding; what
clustering changes (Cnvlutin's lane balance) and what it does not (RLC size)."""
import numpy as np
import pytest

from accelsim import fixedpoint
from accelsim.compression import rlc_size_bits
from accelsim.trace.synth import clustered_activations, exact_count, sparse_tensor, synth_trace


@pytest.mark.parametrize("density", [0.0, 0.05, 0.4, 0.9, 1.0])
def test_exact_density_and_no_value_rounds_to_zero(density):
    rng = np.random.default_rng(0)
    x = clustered_activations(rng, (2, 8, 20, 20), density)
    assert (x >= 0).all()
    assert int(fixedpoint.nonzero_mask(x).sum()) == exact_count(density, x.size) == int((x != 0).sum())


def test_rlc_size_follows_non_zeros_not_clustering():
    """RLC spends one (run, level) pair per non-zero; clustering only changes the few extra pairs of runs
    longer than 31 zeros.  At 40% density, clustered and iid planes differ by under 10% in RLC size --
    so iid placement is not why synthetic traces show smaller RLC gains than the paper."""
    rng = np.random.default_rng(1)
    shape = (1, 16, 27, 27)
    c = fixedpoint.quantize(clustered_activations(rng, shape, 0.4))[0]
    i = fixedpoint.quantize(sparse_tensor(rng, shape, 0.4, signed=False))[0]
    a, b = rlc_size_bits(c.reshape(-1)), rlc_size_bits(i.reshape(-1))
    assert abs(a - b) < 0.1 * b


def test_clustered_zeros_unbalance_cnvlutin_lanes():
    """Per-channel offsets make some channels almost always active: a lane owning one sets every window's
    time, so Cnvlutin gains less than with iid zeros at the same density (DaDianNao is unchanged)."""
    from accelsim.accelerators import create
    from accelsim.trace import LayerSpec, LayerTrace
    spec = LayerSpec("c", "conv", 1, 256, 13, 13, 256, 3, 3, 1, 1)
    rng = np.random.default_rng(2)
    w = rng.standard_normal(spec.weight_shape).astype(np.float32)
    iid = sparse_tensor(rng, spec.input_shape, 0.3, signed=False)
    clu = clustered_activations(rng, spec.input_shape, 0.3)
    cnv = create("cnvlutin")
    assert cnv.simulate_layer(LayerTrace(spec, w, clu)).cycles > cnv.simulate_layer(LayerTrace(spec, w, iid)).cycles


def test_synth_trace_uses_pattern_after_first_layer_and_records_it():
    t = synth_trace("lenet5", batch=2, act_density=0.3, act_pattern="clustered", layers="all")
    assert t.source["act_pattern"] == "clustered"
    assert (t.layers[0].inputs != 0).mean() == 1.0           # the image stays dense
    assert abs((t.layers[1].inputs != 0).mean() - 0.3) < 1e-3
    with pytest.raises(Exception, match="act_pattern"):
        synth_trace("lenet5", act_pattern="stripes")
