"""Eyeriss model: a hand-computed golden case, configs, timing, RLC/gating switches, energy, the command."""
import json

import numpy as np
import pytest

from accelsim.accelerators import create
from accelsim.accelerators.eyeriss import EyerissConfig
from accelsim.cli import main
from accelsim.compression.rlc import rlc_size_bits
from accelsim.errors import ConfigError
from accelsim.functional import layer_outputs
from accelsim.trace import LayerSpec, LayerTrace, Trace
from accelsim.trace.io import save_trace
from tests.property.test_eyeriss_props import TINY, _compare


def golden():
    spec = LayerSpec("g", "conv", 1, 1, 3, 3, 1, 2, 2)
    x = np.array([[1, 0, 2], [0, 0, 3], [4, 5, 0]], dtype=np.float32).reshape(1, 1, 3, 3)
    w = np.array([[1, -1], [2, 1]], dtype=np.float32).reshape(1, 1, 2, 2)
    return LayerTrace(spec, w, x, network_input=True)   # the network's first layer


def test_golden_2x2_filter_on_3x3_input():
    """E = F = 2; PE set 2 x 2 (one PE per filter row i and ofmap row e), p = q = 1, one pass.

    MACs: 2 x 2 outputs x 4 taps = 16.  Taps reading each input: rows [1, 2, 1] x cols [1, 2, 1];
    non-zero inputs 1@(0,0):1, 2@(0,2):1, 3@(1,2):2, 4@(2,0):1, 5@(2,1):2 -> 7 executed, 9 gated.
    Filter spad writes: 4 PEs x 2 taps = 8.  Ifmap spad writes: 4 PEs x (S + (F-1) x 1) = 12.
    Column adds: 4 outputs x (R - 1) = 4; psum spad r/w = 16 + 4 = 20.  NoC: 8 + 12 + 4 + 4 outputs = 28.
    Cycles: filter load ceil(4 / 4) = 1, then max(row conv 2 x 2 = 4, ifmap GIN 3 x 3 = 9, psums 1) = 9.
    DRAM: the network's first layer: input uncompressed 9 x 16 = 144 bits, filters 4 x 16 = 64."""
    lt = golden()
    acc = create("eyeriss")
    lr = acc.simulate_layer(lt)
    c = lr.counts
    assert (lr.macs_dense, lr.macs_executed, lr.macs_gated) == (16, 7, 9)
    assert c[("weight_spad", "read")] == 7 and c[("weight_spad", "gated_read")] == 9
    assert c[("weight_spad", "write")] == 8 and c[("ifmap_spad", "write")] == 12
    assert c[("ifmap_spad", "read")] == 16 and c[("zero_buffer", "read")] == 16
    assert c[("add", "random")] == 4 and c[("psum_spad", "read")] == 20 and c[("psum_spad", "write")] == 20
    assert c[("noc", "transfer")] == 28
    assert lr.compute_cycles == 10
    x = lr.extra
    assert x["dram_ifmap_read_bits"] == 144 and x["dram_filter_read_bits"] == 64
    out = layer_outputs(lt)
    assert x["dram_ofmap_write_bits"] == rlc_size_bits(out.reshape(-1)) == lr.dram_write_bits
    assert lr.latency_processing_s == pytest.approx(10 / 200e6)
    assert lr.latency_total_s == pytest.approx(lr.cycles / 200e6) and lr.latency_total_s >= lr.latency_processing_s
    assert lr.fps == pytest.approx(1 / lr.latency_total_s)
    for k in ("latency_processing_s", "latency_total_s", "fps"):   # LayerResult fields, not copied into extra
        assert k not in x
    assert x["mapping"]["pe_set"] == "2x2" and x["mapping"]["passes"] == 1


def test_normalized_energy_prices_gated_macs_at_zero():
    lr = create("eyeriss", energy="eyeriss-normalized").simulate_layer(golden())
    assert lr.energy_unit == "MAC"
    assert lr.energy_by_component["mac"] == pytest.approx(7.0)  # gated MACs cost 0, executed 1
    assert set(lr.energy_by_category) >= {"ALU", "RF", "NoC", "GLB", "DRAM"}


def test_config_validation_and_dram_link_rate():
    assert EyerissConfig().dram_bw_bits_per_cycle == pytest.approx(19.2)
    with pytest.raises(ConfigError, match="pe_rows"):
        EyerissConfig(pe_rows=0)
    with pytest.raises(ConfigError, match="unknown config key"):
        create("eyeriss", config={"pe_row": 3})


@pytest.mark.parametrize("spec", [
    LayerSpec("s1", "conv", 2, 2, 12, 4, 3, 2, 2),    # E = 11 on 5 columns: strip-mined, 2 strips per pass
    LayerSpec("s2", "conv", 1, 3, 10, 5, 2, 2, 2, 1, 1),
    LayerSpec("s3", "conv", 2, 4, 6, 6, 4, 3, 3, 2, 1, 2),
])
def test_strip_mined_and_blocked_layers_match_the_reference(spec):
    acc, _, counts = _compare(spec, 0.5, 1, array=TINY)
    assert counts.extra["mapping"]["passes"] > 1


def test_strip_mining_with_several_strips_per_pass_matches_the_reference():
    spec = LayerSpec("s", "conv", 1, 1, 12, 3, 1, 2, 2)
    acc = create("eyeriss", **TINY)
    m = acc.plan(spec)
    assert not m.split and m.u > 1 and m.strip_passes > 1
    _compare(spec, 0.6, 3, array=TINY)


def _alexnet_like(density=0.4, seed=0):
    spec = LayerSpec("c", "conv", 2, 16, 13, 13, 24, 3, 3, 1, 1)
    rng = np.random.default_rng(seed)
    x = rng.random(spec.input_shape).astype(np.float32)
    x[rng.random(spec.input_shape) >= density] = 0
    w = rng.standard_normal(spec.weight_shape).astype(np.float32)
    return LayerTrace(spec, w, x)


def test_rlc_off_reads_and_writes_at_least_as_much_and_changes_no_compute():
    lt = _alexnet_like()
    on = create("eyeriss").simulate_layer(lt)
    off = create("eyeriss", rlc=False).simulate_layer(lt)
    assert off.dram_read_bits >= on.dram_read_bits and off.dram_write_bits >= on.dram_write_bits
    assert on.extra["rlc_reduction"] > 1 and off.extra["rlc_reduction"] == 1
    assert on.compute_cycles == off.compute_cycles and on.macs_gated == off.macs_gated


def test_timeline_events_are_glb_tiles_not_macs():
    acc = create("eyeriss")
    lt = _alexnet_like()
    counts = acc.count(acc.plan(lt.spec), lt)
    lr = acc.simulate_layer(lt, log=True)
    starts = [e for e, _ in lr.extra["log"] if e.startswith("start pass")]
    assert len(starts) == len(counts.tiles) <= lr.extra["mapping"]["passes"]
    assert (counts.tiles.load_bits[1:] > 0).all()  # a tile is a GLB refill plus the passes it feeds
    assert int(counts.tiles.compute_cycles.sum()) == lr.compute_cycles <= lr.cycles


def test_fc_layer_runs_and_conserves_macs():
    spec = LayerSpec("fc", "fc", 4, 300, 1, 1, 50, 1, 1)
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((4, 300)), 0).astype(np.float32)
    lr = create("eyeriss").simulate_layer(LayerTrace(spec, rng.standard_normal((50, 300)).astype(np.float32), x))
    assert lr.macs_executed + lr.macs_gated == lr.macs_dense == 4 * 300 * 50
    assert lr.extra["mapping"]["pe_set"] == "1x1"


def test_simulate_command_with_switches(tmp_path):
    lt = _alexnet_like()
    path = tmp_path / "t.npz"
    save_trace(Trace("tiny", [lt]), path)
    outs = {}
    for flags in ([], ["--no-rlc"], ["--no-gating"]):
        js = tmp_path / f"r{len(outs)}.json"
        assert main(["simulate", str(path), "--arch", "eyeriss", "--json", str(js), "--quiet", *flags]) == 0
        outs[tuple(flags)] = json.loads(js.read_text())["layers"][0]
    base = outs[()]
    for k in ("dram_read_bits", "dram_write_bits", "macs_gated"):
        assert k in base
    for k in ("latency_processing_s", "latency_total_s", "fps"):
        assert k in base and k not in base["extra"]
    for k in ("mapping", "rlc_reduction"):
        assert k in base["extra"]
    assert outs[("--no-rlc",)]["dram_read_bits"] >= base["dram_read_bits"]
    assert outs[("--no-gating",)]["macs_gated"] == 0 and outs[("--no-gating",)]["cycles"] == base["cycles"]


def test_dram_bits_by_tensor_add_up_and_print(tmp_path, capsys):
    """Per-tensor DRAM traffic: weights + ifmaps + ofmaps + psum spills = the layer's DRAM bits, for
    Eyeriss and DaDianNao; the ofmaps are what is written; `simulate --breakdown` prints the table."""
    from accelsim.accelerators.registry import create
    from accelsim.cli import main
    from accelsim.trace import save_trace
    from accelsim.trace.synth import synth_trace
    tr = synth_trace("lenet5", batch=2, seed=0)
    for arch in ("eyeriss", "dadiannao"):
        res = create(arch).simulate(tr)
        for lr in res.layers + [res.total]:
            b = lr.dram_bits_by_tensor
            assert set(b) == {"weights", "ifmaps", "ofmaps", "psum_spills"}
            assert sum(b.values()) == lr.dram_read_bits + lr.dram_write_bits
            assert b["ofmaps"] == lr.dram_write_bits
    path = save_trace(tr, tmp_path / "t.npz")
    assert main(["simulate", str(path), "--arch", "eyeriss", "--breakdown"]) == 0
    assert "DRAM traffic by tensor" in capsys.readouterr().out


def test_first_layer_status_comes_from_the_trace_order_not_the_channel_count():
    """The image layer is the trace's first, whatever its C; a later layer with C <= 3 is compressed."""
    from accelsim.trace import Trace
    spec1 = LayerSpec("a", "conv", 1, 8, 3, 3, 1, 2, 2)     # first, 8 channels: raw
    spec2 = LayerSpec("b", "conv", 1, 1, 3, 3, 1, 2, 2)     # second, 1 channel: compressed
    rng = np.random.default_rng(0)
    t = Trace("two", [LayerTrace(spec1, rng.standard_normal(spec1.weight_shape).astype(np.float32),
                                 np.zeros(spec1.input_shape, np.float32)), golden()])
    assert [lt.network_input for lt in t.layers] == [True, False] and spec2.C == 1
    r = create("eyeriss").simulate(t)
    assert [lr.extra["input_compressed"] for lr in r.layers] == [False, True]
    assert r.layers[0].extra["dram_ifmap_read_bits"] == 8 * 9 * 16           # raw: every value, even zeros
    r = create("eyeriss", raw_first_input=False).simulate(t)
    assert [lr.extra["input_compressed"] for lr in r.layers] == [True, True]

