"""DaDianNao and Cnvlutin golden cases worked by hand, invariants and the command line."""
import json

import numpy as np
import pytest

from accelsim.accelerators import create
from accelsim.cli import main
from accelsim.trace import LayerSpec, LayerTrace, Trace, save_trace


def layer(spec, x=None, w=None, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.random(spec.input_shape) + 0.5).astype(np.float32) if x is None else x
    w = rng.standard_normal(spec.weight_shape).astype(np.float32) if w is None else w
    return LayerTrace(spec, w, x)


def test_dadiannao_golden_conv():
    """C=32, 5x5 input, 3x3 filters, M=300, no padding: E=F=3 windows per side (9 windows).
    Bricks per window = 3*3*ceil(32/16) = 18; filter groups per tile = ceil(ceil(300/16)/16) = ceil(19/16) = 2.
    Cycles = 9 * 18 * 2 + 8 (pipeline) = 332.  Dense MACs = 300*9*32*9 = 777,600."""
    r = create("dadiannao").simulate_layer(layer(LayerSpec("c", "conv", 1, 32, 5, 5, 300, 3, 3)))
    assert r.cycles == 332 and r.macs_dense == 777_600 and r.macs_executed == 777_600
    assert r.dram_read_bits == 0  # 300*32*9*16 bits fit in 32 MB of SB


def test_cnvlutin_golden_one_nonzero_per_lane_chunk():
    """C=16, 1x1 filter, 1x1 input, M=16: one window, 16 lanes of 1 channel each, each lane has one
    chunk of one value.  Inputs: channels 0..5 non-zero, 6..15 zero.  Every lane costs max(1, nnz)=1
    step (an all-zero chunk still costs 1 cycle in MIsim): window = 1 cycle + 8 = 9, as DaDianNao.
    Executed MACs = 6 non-zeros x 16 filters = 96, skipped = 256 - 96 = 160."""
    x = np.zeros((1, 16, 1, 1), np.float32)
    x[0, :6] = 1.0
    r = create("cnvlutin").simulate_layer(layer(LayerSpec("c", "conv", 1, 16, 1, 1, 16, 1, 1), x=x))
    assert r.cycles == 9 and r.macs_executed == 96 and r.macs_skipped == 160


def test_cnvlutin_golden_slowest_lane():
    """C=256 (16 channels per lane), 3x3 filter on a 3x3 input: one window; a lane's sub-window is
    9 positions x 16 channels = 144 values = 9 chunks of 16 (one chunk per filter position).
    Lane 0 (channels 0-15) fully dense: 144 steps.  Lane 1 (channels 16-31): 5 non-zeros in its first
    chunk, others all-zero: 5 + 8*1 = 13 steps.  All other lanes zero: 9 steps.  Window = slowest = 144.
    M=512 -> ceil(32/16) = 2 filter groups per tile: 288 cycles + 8 = 296.  DaDianNao: 9*16*2 + 8 = 296.
    Executed = (144 + 5) * 512."""
    x = np.zeros((1, 256, 3, 3), np.float32)
    x[0, :16] = 1.0
    x[0, 16:21, 0, 0] = 1.0
    lt = layer(LayerSpec("c", "conv", 1, 256, 3, 3, 512, 3, 3), x=x)
    cnv, dadn = create("cnvlutin").simulate_layer(lt), create("dadiannao").simulate_layer(lt)
    assert cnv.cycles == 296 == dadn.cycles
    assert cnv.macs_executed == 149 * 512
    assert cnv.extra["zero_chunks"] == 8 + 14 * 9


def test_fc_layer_is_1x1_window_and_streams_weights_when_too_big():
    """FC 9216 -> 4096 (AlexNet fc6), batch 1: ceil(9216/16) = 576 bricks, ceil(4096/256) = 16 groups
    per tile -> 9216 compute cycles + 8.  Weights 9216*4096*16 bits = 75.5 MB > 32 MB of SB: they stream
    from DRAM (every weight read once), so the layer is bandwidth bound: > 604 Mbit / 338 bits/cycle."""
    s = LayerSpec("fc6", "fc", 1, 9216, 1, 1, 4096, 1, 1)
    lt = LayerTrace(s, np.ones(s.weight_shape, np.float32), np.ones(s.input_shape, np.float32))
    r = create("dadiannao").simulate_layer(lt)
    assert r.compute_cycles == 9216 + 8
    assert r.dram_read_bits == 9216 * 4096 * 16
    assert r.cycles >= 9216 * 4096 * 16 / (25.6e9 * 8 / 606e6)
    assert r.stall_cycles > 0 and not r.extra["weights_on_chip"]


def test_threshold_prunes_near_zero_inputs():
    x = np.full((1, 16, 4, 4), 0.01, np.float32)
    x[0, 0] = 1.0
    lt = layer(LayerSpec("c", "conv", 1, 16, 4, 4, 16, 1, 1), x=x)
    plain = create("cnvlutin").simulate_layer(lt)
    pruned = create("cnvlutin", threshold=0.1).simulate_layer(lt)
    per_layer = create("cnvlutin", thresholds={"c": 0.1}).simulate_layer(lt)
    assert plain.macs_executed == 16 * 16 * 16
    assert pruned.macs_executed == 16 * 16 == per_layer.macs_executed
    assert pruned.cycles <= plain.cycles


def test_all_dense_cnvlutin_equals_dadiannao_cycles():
    """Dense inputs, Cg a multiple of 16: every chunk full, so the two designs take the same cycles;
    Cnvlutin spends extra energy on offsets and the dispatcher (format overheads)."""
    lt = layer(LayerSpec("c", "conv", 1, 64, 8, 8, 64, 3, 3, padding=0))
    cnv, dadn = create("cnvlutin").simulate_layer(lt), create("dadiannao").simulate_layer(lt)
    assert cnv.cycles == dadn.cycles
    assert cnv.counts[("offset", "read")] > 0 and ("offset", "read") not in dadn.counts


def test_cli_simulate_json_fields(tmp_path, capsys):
    lt = layer(LayerSpec("c1", "conv", 1, 16, 6, 6, 32, 3, 3, padding=1))
    p = save_trace(Trace("t", [lt], {}), tmp_path / "t.npz")
    out = tmp_path / "r.json"
    assert main(["simulate", str(p), "--arch", "cnvlutin", "--threshold", "0.7", "--json", str(out)]) == 0
    d = json.loads(out.read_text())
    for k in ("cycles", "macs_dense", "macs_executed", "macs_skipped", "energy_pj", "dram_read_bits"):
        assert k in d["layers"][0] and k in d["total"]
    assert d["total"]["macs_executed"] + d["total"]["macs_skipped"] == d["total"]["macs_dense"]
    assert d["config"]["threshold"] == 0.7


def test_cli_compare_writes_csv_and_json(tmp_path, capsys):
    lt = layer(LayerSpec("c1", "conv", 2, 16, 6, 6, 32, 3, 3, padding=1))
    x = lt.inputs.copy()
    x[:, ::2] = 0
    p = save_trace(Trace("t", [LayerTrace(lt.spec, lt.weights, x)], {}), tmp_path / "t.npz")
    assert main(["compare", str(p), "--arch", "dadiannao,cnvlutin", "--baseline", "dadiannao",
                 "--out", str(tmp_path / "cmp"), "--quiet"]) == 0
    d = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    tot = {r["arch"]: r for r in d["rows"] if r["layer"] == "total"}
    assert tot["dadiannao"]["speedup"] == 1.0 and tot["cnvlutin"]["speedup"] > 1.0
    assert (tmp_path / "cmp" / "compare.csv").read_text().startswith("network,trace,synthetic,layer,arch")
    assert main(["compare", str(p), "--arch", "dadiannao,cnvlutin", "--baseline", "eyeriss2"]) == 3


def test_relative_threshold_is_a_fraction_of_the_layer_max():
    """Inputs 1.0 (16 channels' first) and 0.05 elsewhere; max |x| = 1.0.  threshold_rel=0.1 -> T = 0.1:
    the 0.05 values are pruned; threshold_rel=0.01 -> T = 0.01: nothing is."""
    x = np.full((1, 16, 4, 4), 0.05, np.float32)
    x[0, 0] = 1.0
    lt = layer(LayerSpec("c", "conv", 1, 16, 4, 4, 16, 1, 1), x=x)
    assert create("cnvlutin", threshold_rel=0.1).simulate_layer(lt).macs_executed == 16 * 16
    assert create("cnvlutin", threshold_rel=0.01).simulate_layer(lt).macs_executed == 16 * 16 * 16
    r = create("cnvlutin", threshold_rel=0.1, threshold=0.01).simulate_layer(lt)
    assert r.extra["threshold"] == pytest.approx(0.1)


def test_compare_rejects_options_no_design_has_and_ambiguous_config(tmp_path, capsys):
    lt = layer(LayerSpec("c1", "conv", 1, 16, 6, 6, 32, 3, 3, padding=1))
    p = save_trace(Trace("t", [lt], {}), tmp_path / "t.npz")
    assert main(["compare", str(p), "--arch", "dadiannao", "--baseline", "dadiannao", "--threshold", "0.1"]) == 3
    assert "apply to none" in capsys.readouterr().err
    assert main(["compare", str(p), "--arch", "dadiannao,cnvlutin", "--baseline", "dadiannao",
                 "--config", "cnvlutin"]) == 3
    assert main(["compare", str(p), "--arch", "dadiannao,cnvlutin", "--baseline", "dadiannao", "--threshold", "0.1",
                 "--quiet"]) == 0


def test_latency_fields_and_fps():
    """Batch 2 of the golden layer: 2 x 9 windows x 18 bricks x 2 groups + 8 cycles; latency = cycles / 606 MHz,
    fps = N / latency; processing latency counts compute cycles only."""
    lt = layer(LayerSpec("c", "conv", 2, 32, 5, 5, 300, 3, 3))
    r = create("dadiannao").simulate_layer(lt)
    assert r.cycles == 2 * 9 * 18 * 2 + 8
    assert r.latency_total_s == pytest.approx(r.cycles / 606e6)
    assert r.latency_processing_s == pytest.approx(r.compute_cycles / 606e6)
    assert r.fps == pytest.approx(2 / r.latency_total_s)


def test_ungated_lanes_read_synapses_every_cycle():
    """One window, C=256 (16 channels per lane), 1x1 filter, M=16 (one filter group): lane 0 has 16
    non-zeros (16 steps), the other 15 lanes hold one all-zero chunk (1 step each).  Gated: SB reads =
    lane steps x 16 filters = (16 + 15) x 16 = 496.  Ungated: window steps x 16 lanes x 16 = 16 x 16 x 16
    = 4096, which is also what DaDianNao reads (16 bricks x 16 neurons x 16 filters)."""
    x = np.zeros((1, 256, 1, 1), np.float32)
    x[0, :16] = 1.0
    lt = layer(LayerSpec("c", "conv", 1, 256, 1, 1, 16, 1, 1), x=x)
    assert create("cnvlutin").simulate_layer(lt).counts[("sb", "read")] == 496
    assert create("cnvlutin", gate_idle_lanes=False).simulate_layer(lt).counts[("sb", "read")] == 4096
    assert create("dadiannao").simulate_layer(lt).counts[("sb", "read")] == 4096


def test_cli_breakdown_percentages_sum_to_100(tmp_path, capsys):
    lt = layer(LayerSpec("c1", "conv", 1, 16, 6, 6, 32, 3, 3, padding=1))
    p = save_trace(Trace("t", [lt], {}), tmp_path / "t.npz")
    assert main(["simulate", str(p), "--arch", "cnvlutin", "--breakdown"]) == 0
    out = capsys.readouterr().out.splitlines()
    row = next(line for line in out[out.index(next(x for x in out if x.startswith("energy by component"))):]
               if line.startswith("c1"))
    pcts = [float(tok.rstrip("%")) for tok in row.split() if tok.endswith("%")]
    assert abs(sum(pcts) - 100) < 0.5


def test_leakage_per_cycle_from_a_user_table(tmp_path):
    """A user table pricing leakage.cycle at 10 pJ adds exactly 10 pJ x cycles to a layer's energy, in the
    Static category; the shipped table prices it at 0."""
    import yaml

    from accelsim.energy import EnergyTable
    base = EnergyTable.load("dadiannao-45nm")
    d = base.to_dict()
    d["components"]["leakage"]["actions"]["cycle"] = 10.0
    p = tmp_path / "leaky.yaml"
    p.write_text(yaml.safe_dump(d))
    lt = layer(LayerSpec("c", "conv", 1, 32, 5, 5, 300, 3, 3))
    r0 = create("dadiannao").simulate_layer(lt)
    r1 = create("dadiannao", energy=str(p)).simulate_layer(lt)
    assert r0.counts[("leakage", "cycle")] == r0.cycles == 332
    assert r1.energy == pytest.approx(r0.energy + 10.0 * 332)
    assert r1.energy_by_category["Static"] == pytest.approx(3320.0)
