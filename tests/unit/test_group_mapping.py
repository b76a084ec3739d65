"""Grouped and depthwise layers: ``group_mapping: spread`` (default) against ``serial``, with the cycle
counts worked by hand in each docstring, and MACs conserved either way."""
import numpy as np
import pytest

from accelsim.accelerators import create
from accelsim.trace import LayerSpec, LayerTrace
from accelsim.trace.synth import synth_trace


def _layer(spec, density=1.0, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.random(spec.input_shape) + 0.5).astype(np.float32)
    x[rng.random(spec.input_shape) >= density] = 0
    return LayerTrace(spec, rng.standard_normal(spec.weight_shape).astype(np.float32), x)


DEPTHWISE = LayerSpec("dw", "conv", 1, 256, 14, 14, 256, 3, 3, 1, 1, 256)


@pytest.mark.parametrize("arch", ["dadiannao", "cnvlutin"])
def test_depthwise_utilization_on_dadiannao_tiles(arch):
    """Depthwise 3x3, 256 channels, 14x14 output (196 windows), dense inputs.

    serial: each group (1 channel, 1 filter) is one brick per tap: 9 cycles per window and group, 256 groups
    one after another: 196 * 9 * 256 + 8 (pipeline) = 451592 cycles; 1 useful MAC per cycle.
    spread: k = min(16 // 1, 16 // 1) = 16 groups per brick (block-diagonal filters in one tile's 16 slots),
    each packed group needs fb = 1 tile, so 16 packed groups = all 256 groups run side by side:
    196 * 9 + 8 = 1772 cycles, 256 useful MACs per cycle (utilization 1/16 of 4096, less the fill).
    Cnvlutin with every input non-zero: each lane holds one channel and its window is one chunk costing its
    non-zeros, i.e. its real (not padding) taps: summed over the windows (3 rows for 12 output rows, 2 for the
    2 border rows, alike for columns) (12*3 + 2*2)^2 = 1600 instead of 196 * 9 = 1764."""
    lt = _layer(DEPTHWISE)
    serial = create(arch, group_mapping="serial").simulate_layer(lt)
    spread = create(arch).simulate_layer(lt)
    per_group = 196 * 9 if arch == "dadiannao" else 40 * 40
    assert serial.compute_cycles == per_group * 256 + 8
    assert spread.compute_cycles == per_group + 8
    dense = 256 * 196 * 9
    assert spread.macs_dense == serial.macs_dense == dense
    executed = dense if arch == "dadiannao" else 256 * 1600
    assert spread.utilization == pytest.approx(executed / ((per_group + 8) * 4096))
    assert serial.utilization == pytest.approx(executed / ((per_group * 256 + 8) * 4096))
    assert spread.extra["groups_per_brick"] == 16 and spread.extra["groups_side_by_side"] == 16
    for r in (serial, spread):
        r.check_conservation()


def test_alexnet_grouped_layers_dense_on_dadiannao():
    """AlexNet conv2/4/5 (2 groups), dense: conv2 and conv5 have 128 filters per group = 8 tiles of 16, so
    both groups run at once on disjoint tiles: half the serial cycles (plus the same 8-cycle fill); conv4
    has 192 filters per group = 12 tiles, so one group at a time, as serial.  Energy counts the same work."""
    tr = synth_trace("alexnet", batch=1, seed=0, act_density=1.0, layers="conv")
    for name, ratio in (("conv2", 2), ("conv4", 1), ("conv5", 2)):
        lt = tr.layer(name)
        for arch in ("dadiannao", "cnvlutin"):
            serial = create(arch, group_mapping="serial").simulate_layer(lt)
            spread = create(arch).simulate_layer(lt)
            assert spread.compute_cycles - 8 == (serial.compute_cycles - 8) // ratio, (arch, name)
            assert spread.energy == pytest.approx(serial.energy, rel=1e-9)
            assert spread.macs_executed == serial.macs_executed
            spread.check_conservation()


def test_eyeriss_groups_side_by_side_by_hand():
    """4 groups of 4 channels x 4 filters, 3x3, 7x7 input, padding 1 (E = F = 7), fixed rule.

    Width 7: one strip, slots = (12 // 3) * (14 // 7) = 8 sets; q = min(4, 12 // 3) = 4, p = 4, so one set
    does a whole group (t = r = 1) and 7 sets idle.  Per pass and image: row convolution F*S*p*q = 7*3*4*4 =
    336 cycles; ifmap GIN q*7 rows*7 cols = 196 words at 1 word/cycle; psum GON 4*7*7/4 = 49; filter load
    4*4*9/4 = 36 cycles.  serial: 4 passes of 36 + max(336, 196, 49) = 1488 cycles.
    spread: the 4 groups side by side in one pass: filter load 4*144/4 = 144, ifmap GIN 4*196 = 784 words
    (now the bound), psums 196: 144 + max(336, 784, 196) = 928 cycles.  (The search, when it prices idle
    PEs, runs the serial layer faster than the fixed rule.)"""
    spec = LayerSpec("g4", "conv", 1, 16, 7, 7, 16, 3, 3, 1, 1, 4)
    lt = _layer(spec)
    for search in (False, True):
        # the search without its price of time (idle PEs) picks the fixed rule's mapping here
        serial = create("eyeriss", group_mapping="serial", mapping_search=search,
                        mapping_idle_pes=False).simulate_layer(lt)
        spread = create("eyeriss", mapping_search=search, mapping_idle_pes=False).simulate_layer(lt)
        assert serial.compute_cycles == 1488 and spread.compute_cycles == 928
        assert spread.extra["mapping"]["groups_per_pass"] == 4
        assert spread.macs_executed + spread.macs_gated == spec.macs_dense
        spread.check_conservation()


def test_eyeriss_depthwise_is_ifmap_gin_bound():
    """Depthwise 3x3 on 14x14 (padding 1): one group is a 3x14 set doing F*S*p*q = 14*3 = 42 cycles of MACs
    per pass but receiving 14*14 = 196 ifmap words over the 1-word/cycle GIN.  Side by side, 4 sets need 4x
    the words: the GIN bound stays 196 cycles per group, so spreading saves only filter loads."""
    lt = _layer(DEPTHWISE)
    serial = create("eyeriss", group_mapping="serial").simulate_layer(lt)
    spread = create("eyeriss").simulate_layer(lt)
    assert spread.compute_cycles <= serial.compute_cycles
    assert spread.compute_cycles >= 256 * 196  # the ifmap GIN: every group's 196 words, one per cycle
    spread.check_conservation()


def test_ucnn_groups_side_by_side_gain_nothing_when_the_ifmap_gin_bounds():
    """UCNN, depthwise 3x3 on 8 channels, 5x5 input, padding 1 (25 output positions), dense distinct weights.

    One group: T = 1 channel tile, k = 25 output blocks (one position per PE), fs = 1 filter block: 25 PEs.
    A PE's unit costs max(P, mults) = 9 cycles per position; the pass also sends 5 rows x 5 columns = 25
    ifmap words over the 1-word/cycle GIN, 25 psums over the 4-word GON (7 cycles) and a few table words:
    25 cycles.  serial: 8 passes = 200 cycles.  spread: 168 // 25 = 6 groups fit, balanced to 4 per pass
    (2 passes); each pass sends 4 x 25 = 100 ifmap words: 2 x 100 = 200 cycles -- no gain, since every
    group needs its own inputs over the same GIN."""
    spec = LayerSpec("dw8", "conv", 1, 8, 5, 5, 8, 3, 3, 1, 1, 8)
    lt = _layer(spec)
    serial = create("ucnn", group_mapping="serial").simulate_layer(lt)
    spread = create("ucnn").simulate_layer(lt)
    assert spread.extra["mapping"]["groups_per_pass"] == 4 and spread.extra["pes_used"] == 100
    assert serial.compute_cycles == 200 and spread.compute_cycles == 200
    assert spread.macs_executed == serial.macs_executed
    spread.check_conservation()
