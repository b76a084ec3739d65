"""``timing_model: misim``: each MIsim rule alone changes cycles by its hand-computed amount; with no rule
the event kernel reproduces the ideal model; the full model matches cycle counts MIsim itself printed.

The "MIsim printed" numbers below come from running MIsim's LayerDirector (github iniverno/MIsim at
57ffffff, Python 2.7, ``dummyUnits = True``) outside this repository on the same tensors
(benchmarks/misim_peers.py regenerates them); each is also worked out by hand in its docstring.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from accelsim.accelerators.registry import create
from accelsim.errors import ConfigError
from accelsim.trace.format import LayerSpec, LayerTrace


def layer(x, M=16, K=3, stride=1, pad=0):
    """x (C, H, W) one image; dense weights (so only the inputs matter)."""
    C, H, W = x.shape
    spec = LayerSpec("l", "conv", 1, C, H, W, M, K, K, stride, pad)
    return LayerTrace(spec, np.ones((M, C, K, K), np.float32), x[None].astype(np.float32))


def cycles(arch, lt, **cfg):
    return create(arch, None, **cfg).simulate_layer(lt).cycles


def misim(arch, lt, rules="all", **cfg):
    return cycles(arch, lt, timing_model="misim", misim_rules=rules, **cfg)


# ---- MIsim's own numbers, worked by hand -------------------------------------------------------------
def test_dadiannao_misim_dense_window():
    """C=16, 3x3 filter on a 4x4 input: 4 windows, M=16 (nb=1).  ZF=0: a window is 144 values = one chunk
    of 144 // 16 = 9 steps; 3 hand-off cycles + 9 + 8 (pipeline drain) = 20 per window: 80.  MIsim: 80."""
    assert misim("dadiannao", layer(np.ones((16, 4, 4)))) == 80
    assert cycles("dadiannao", layer(np.ones((16, 4, 4)))) == 4 * 9 + 8  # ideal: 9 bricks a window + one fill


def test_cnvlutin_misim_port_queue():
    """C=16, 3x3 on 3x3, dense: one window; each of 16 lanes owns 1 channel = one 9-value chunk.  All 16
    reads are queued at cycle 0; 2 ports serve lane u at 1 + u // 2, its NBin is ready a cycle later, then 9
    steps and the 8-cycle drain: lane 15 is done at 1 + 7 + 1 + 9 + 8 = 26, the window ends one cycle later
    (the director started it at cycle 1): 27.  MIsim: 27."""
    assert misim("cnvlutin", layer(np.ones((16, 3, 3)))) == 27


def test_cnvlutin_misim_all_zero_window():
    """All-zero input: every lane's single chunk takes the skip path and hands over its outputs at once:
    1 + 1 = 2 cycles.  MIsim: 2.  (DaDianNao does not look at values: 3 + 9 + 8 = 20; MIsim: 20.)"""
    x = np.zeros((16, 3, 3))
    assert misim("cnvlutin", layer(x)) == 2
    assert misim("dadiannao", layer(x)) == 20


def test_misim_flatten_order_and_long_chunks():
    """C=48 (fu=3 per lane, 27 values: chunks of 16 + 11), 3x3 on 3x3.  Lane 0 has non-zeros at taps
    (r=0, s=1) and (r=0, s=2) in its 3 channels.  MIsim flattens column outermost: tap (r, s) starts at
    3*(3s + r), i.e. values 9-11 and 18-20: one chunk of 3 non-zeros each.  Lane 0: read served at 1, NBin at
    2, 3 steps, next read queued at 6, served 7, NBin 8, 3 steps to 11, drain to 19; window 1 + 19 = 20.
    The other lanes skip two empty chunks (3 cycles).  MIsim: 20.  DaDianNao: 432 values = chunks of 256
    and 176 (16 + 11 steps): 2*3 + 27 + 8 = 41; MIsim: 41."""
    x = np.zeros((48, 3, 3))
    x[0:3, 0, 1] = x[0:3, 0, 2] = 1  # [c, row, column]
    assert misim("cnvlutin", layer(x)) == 20
    assert misim("dadiannao", layer(x)) == 41


# ---- each rule alone -----------------------------------------------------------------------------------
def test_no_rules_is_the_ideal_model_on_hand_layers():
    x = (np.arange(20 * 5 * 5).reshape(20, 5, 5) % 3 == 0).astype(float)
    for arch in ("dadiannao", "cnvlutin"):
        assert misim(arch, layer(x, M=32, stride=2, pad=1), rules="none") == cycles(arch, layer(x, M=32, stride=2, pad=1))


def test_rule_window_pipeline_alone():
    """Dense C=16 3x3 layer on 4x4, M=512 (nb=2): 4 windows.  Each window drains 8*nb = 16 cycles and the
    per-layer fill (8) goes: +4*16 - 8 = +56, for both designs."""
    lt = layer(np.ones((16, 4, 4)), M=512)
    for arch in ("dadiannao", "cnvlutin"):
        assert misim(arch, lt, rules="window_pipeline") - cycles(arch, lt) == 4 * 16 - 8


def test_rule_handoff_alone():
    """Dense C=16, 3x3 on 4x4 (4 windows).  Cnvlutin: each lane has one chunk: +3 cycles per window (start,
    CM read, NBin) = +12.  DaDianNao without zf0_stream: 9 bricks = one chunk: +3 per window = +12.
    C=16, 5x5 on 5x5: 25 bricks = chunks of 16 + 9: +6 for the one window."""
    lt = layer(np.ones((16, 4, 4)))
    for arch in ("dadiannao", "cnvlutin"):
        assert misim(arch, lt, rules="handoff") - cycles(arch, lt) == 12
    lt5 = layer(np.ones((16, 5, 5)), K=5)
    assert misim("dadiannao", lt5, rules="handoff") - cycles("dadiannao", lt5) == 6


def test_rule_cm_ports_alone():
    """Dense C=16, 3x3 on 3x3: 16 lanes queue their read at once; 2 ports: lane u waits u // 2 cycles; the
    last lane finishes 7 cycles after the others would: +7.  DaDianNao has one unit: +0."""
    lt = layer(np.ones((16, 3, 3)))
    assert misim("cnvlutin", lt, rules="cm_ports") - cycles("cnvlutin", lt) == 7
    assert misim("dadiannao", lt, rules="cm_ports") == cycles("dadiannao", lt)
    # 15 of 16 lanes all zero: on the skip path (zero_chunk) they read nothing, so lane 3 reads alone: +0.
    # Without the skip path every lane reads: lane 3 waits 1 cycle, lane 15 (1 step) 7: max(1+9, 7+1) = +1.
    x = np.zeros((16, 3, 3))
    x[3] = 1
    lt = layer(x)
    assert misim("cnvlutin", lt, rules="cm_ports,zero_chunk") == misim("cnvlutin", lt, rules="zero_chunk")
    assert misim("cnvlutin", lt, rules="cm_ports") - cycles("cnvlutin", lt) == 1


def test_rule_zero_chunk_alone():
    """All-zero C=16 input, 5x5 filter on 6x6 (4 windows), M=512 (nb=2).  Each lane has one 25-value
    sub-window = chunks of 16 + 9, both empty.  Ideal: 2 chunks x zero_brick_cycles (1) x nb = 4 per window.
    Skip path: 2 (first chunk) + 1 (final chunk) = 3 per window: -4."""
    lt = layer(np.zeros((16, 6, 6)), M=512, K=5)
    assert misim("cnvlutin", lt, rules="zero_chunk") - cycles("cnvlutin", lt) == 4 * (3 - 4)


def test_rule_flatten_order_alone():
    """The C=48 layer of test_misim_flatten_order_and_long_chunks.  accelsim's ideal order (row outermost)
    puts taps (0, 1) and (0, 2) at values 3-5 and 6-8: one chunk of 6 non-zeros, then an empty chunk (1):
    7 steps.  MIsim's order splits them 3 + 3: 6 steps: -1."""
    x = np.zeros((48, 3, 3))
    x[0:3, 0, 1] = x[0:3, 0, 2] = 1
    assert misim("cnvlutin", layer(x), rules="flatten_order") - cycles("cnvlutin", layer(x)) == -1


def test_rule_zf0_stream_alone():
    """DaDianNao, C=20, 3x3 on 3x3: ideal 9 taps x 2 bricks = 18 steps.  ZF=0 streams the unpadded 180
    values as one chunk of 180 // 16 = 11 steps: -7."""
    lt = layer(np.ones((20, 3, 3)))
    assert misim("dadiannao", lt, rules="zf0_stream") - cycles("dadiannao", lt) == 11 - 18


def test_chunk_cost_original_alone():
    """Cnvlutin, C=16 3x3 on 3x3, one non-zero per lane: a 9-value chunk costs its 1 non-zero (nnz) or its
    9 values (original, MIsim HEAD): +8."""
    x = np.zeros((16, 3, 3))
    x[:, 1, 1] = 1
    lt = layer(x)
    assert misim("cnvlutin", lt, rules="none", misim_chunk_cost="original") - cycles("cnvlutin", lt) == 8


def test_bad_misim_config():
    with pytest.raises(ConfigError, match="misim_rules"):
        create("cnvlutin", None, timing_model="misim", misim_rules="handoff,warp")
    with pytest.raises(ConfigError, match="timing_model"):
        create("dadiannao", None, timing_model="exact")


# ---- property: the event kernel with no rules is the ideal lane model ----------------------------------
@settings(max_examples=30, deadline=None)
@given(C=st.integers(1, 40), H=st.integers(1, 7), K=st.integers(1, 3), stride=st.integers(1, 2),
       pad=st.integers(0, 1), M=st.sampled_from([8, 16, 300]), density=st.sampled_from([0.0, 0.3, 1.0]),
       seed=st.integers(0, 2**16))
def test_misim_without_rules_equals_ideal(C, H, K, stride, pad, M, density, seed):
    K = min(K, H + 2 * pad)
    x = (np.random.default_rng(seed).random((C, H, H)) < density).astype(float)
    lt = layer(x, M=M, K=K, stride=stride, pad=pad)
    for arch in ("dadiannao", "cnvlutin"):
        assert misim(arch, lt, rules="none") == cycles(arch, lt)


# ---- misim_wake_order: the order of the components woken in one cycle --------------------------------
def test_wake_order_a_unit_woken_before_its_tile_gets_its_next_chunk_a_cycle_early():
    """C=32 (2 channels per lane), 3x3 on 3x3: one window, lanes of 18 values = chunks of 16 + 2.  Lane 0
    dense (16, 2 non-zeros), lane 1 with one zero in its first chunk (15, 2), lanes 2-15 empty (skip path).
    Memory, tiles, units (the fixed order): the tiles issue at 1, the reads of lanes 0 and 1 are served at
    2, NBins ready at 3; lane 1 frees itself at 3 + 15 = 18 and its tile wakes at 19, before lane 0 frees
    itself (19), so lane 0's last chunk waits for the tile at 20: read at 21, NBin 22, 2 steps and the drain:
    22 + 2 + 8 = 32.  Units before tiles: at 19 lane 0 frees itself first and the tile gives it its chunk at
    once, with lane 1's: both read at 20, NBin 21, done 21 + 2 + 8 = 31."""
    from accelsim.kernels.misim import wake_window
    lat = np.zeros((16, 2), dtype=np.int64)
    lat[0], lat[1] = (16, 2), (15, 2)
    T, L = 16, 16
    n = 1 + T + T * L
    fixed = np.arange(n)
    units_first = np.concatenate([[0], np.arange(1 + T * L, n), np.arange(1, 1 + T * L)])
    args = (lat, lat == 0, lat.copy(), np.full(16, 2, dtype=np.int64), 1, T, 32, 2, 8)
    assert wake_window(*args, fixed) == 32
    assert wake_window(*args, units_first) == 31
    x = np.zeros((32, 3, 3))
    x[0:4] = 1
    x[2, 0, 0] = 0
    assert misim("cnvlutin", layer(x)) == 32  # the lockstep kernel: the fixed order


def test_bad_wake_order_config():
    with pytest.raises(ConfigError, match="misim_wake_order"):
        create("cnvlutin", None, timing_model="misim", misim_wake_order="sorted")
    with pytest.raises(ConfigError, match="lacks handoff"):
        create("cnvlutin", None, timing_model="misim", misim_wake_order="shuffled",
               misim_rules="window_pipeline,cm_ports,zero_chunk")
