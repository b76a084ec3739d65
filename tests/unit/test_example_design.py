"""The example design in examples/ registers and runs through the same paths as the shipped ones."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[2]))
import examples.dense_array  # noqa: E402,F401  (registers "dense_array")

from accelsim import runner  # noqa: E402
from accelsim.trace import LayerSpec, LayerTrace, Trace  # noqa: E402


def test_example_design_simulates_and_compares():
    """3x3 conv, C=4 -> M=8 on 6x6 (no padding): 8*4*4*4*9 = 4,608 MACs; 64 PEs -> 72 compute cycles.
    DRAM: weights 288 + inputs 144 values read, 128 outputs written, x 16 bits."""
    s = LayerSpec("c", "conv", 1, 4, 6, 6, 8, 3, 3)
    rng = np.random.default_rng(0)
    t = Trace("t", [LayerTrace(s, rng.standard_normal(s.weight_shape).astype(np.float32),
                               rng.random(s.input_shape).astype(np.float32))], {})
    r = runner.simulate(t, "dense_array:pes=64:tiles=1:dram_latency_cycles=0").layers[0]
    assert r.macs_dense == 4608 and r.compute_cycles == 72
    assert r.dram_read_bits == (288 + 144) * 16 and r.dram_write_bits == 128 * 16
    assert r.cycles == (432 * 16) // 128 + 72 + (128 * 16) // 128  # load, compute, store in sequence
    assert r.energy > 0


def test_unknown_override_is_rejected():
    from accelsim.errors import ConfigError
    with pytest.raises(ConfigError, match="unknown config key"):
        runner.simulate(Trace("t", [LayerTrace(LayerSpec("f", "fc", 1, 4, 1, 1, 2, 1, 1),
                                               np.ones((2, 4), np.float32), np.ones((1, 4), np.float32))], {}),
                        "dense_array:threshold=1")
