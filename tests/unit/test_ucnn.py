"""UCNN model: hand-worked kernel and layer cases, provisioning, config, commands, baseline comparison."""
from __future__ import annotations

import json

import numpy as np
import pytest

from accelsim import fixedpoint
from accelsim.accelerators import create
from accelsim.accelerators.eyeriss import EyerissConfig
from accelsim.accelerators.ucnn import UcnnConfig
from accelsim.cli import main
from accelsim.errors import ConfigError
from accelsim.functional import layer_outputs
from accelsim.kernels.ucnn import ucnn_units
from accelsim.compression.rlc import rlc_size_bits
from accelsim.trace import LayerSpec, LayerTrace, Trace, save_trace

F0 = [1, 2, 1, 0]     # filter 0, flattened R x S = 2 x 2
F1 = [1, 1, 0, 3]     # filter 1


def test_kernel_hand_case_g1_and_g2():
    """G = 1: f0 groups {1: 2 inputs, 2: 1} -> P 3, 1 leaf add, 2 multiplies, 3 cycles; f1 likewise.
    G = 2: tuples (1,1), (2,1), (1,0), (0,3): P 4, no leaf adds; level 1 nodes 1, 2 (0 is not needed),
    level 2 all four; aggregation (1,1)+(1,0) -> 1 add; multiplies f0: 2, f1: (1,1), (2,1), (0,3) = 3;
    cycles max(4 + 1, 5) = 5."""
    w = np.array([F0, F1]).reshape(1, 2, 1, 4)
    u, f = ucnn_units(w, 1, 1)
    assert u[0, :, 0, :8].tolist() == [[4, 3, 1, 0, 2, 2, 3, 1]] * 2
    assert f[0, :, 0, 0].tolist() == [[2, 3], [2, 3]]
    u, f = ucnn_units(w, 2, 1)
    assert u[0, 0, 0, :8].tolist() == [4, 4, 0, 1, 5, 6, 5, 2]
    assert f[0, 0, 0].tolist() == [[2, 3], [3, 3]]


def test_g4_can_need_more_adds_than_g2():
    """The documented exception: sorting by filter 0 first splits positions filters 2 and 3 share."""
    w = np.array([[1, 0], [0, 0], [1, 1], [1, 1]]).reshape(1, 4, 1, 2)
    tot = {}
    for G in (1, 2, 4):
        u, _ = ucnn_units(w, G, 1)
        tot[G] = int(u[..., 2].sum() + u[..., 3].sum() + u[..., 4].sum())
    assert tot == {1: 5, 2: 4, 4: 5}


def golden():
    spec = LayerSpec("g", "conv", 1, 1, 3, 3, 2, 2, 2)
    x = np.array([[1, 0, 2], [0, 0, 3], [4, 5, 0]], dtype=np.float32).reshape(1, 1, 3, 3)
    w = np.array([F0, F1], dtype=np.float32).reshape(2, 1, 2, 2)
    return LayerTrace(spec, w, x, network_input=True)   # the network's first layer


def test_golden_layer_g1():
    """E = F = 2, 4 output positions; units f0, f1 (T = 1).  Dense 32 MACs = executed 2 x 2 multiplies
    x 4 + reused (6 - 4) x 4 + skipped (8 - 6) x 4.  PEs: 1 tile x k = 4 output blocks x fs = 2 filter
    blocks.  Pass cycles = max(PE 3 cycles x 1 output, tables ceil(2 words / 4) = 1, ifmap GIN 3 x 3 = 9,
    psums ceil(8 / 4) = 2) = 9.  Tables: pointers 2 bits + 1 flag, wiT 2 bits (3 unique weights):
    2 x (3 x 3 + 2 x 2) = 26 bits + 3 x 16 value bits.  The network's first layer: raw input 144 bits."""
    lr = create("ucnn").simulate_layer(golden())
    c = lr.counts
    assert (lr.macs_dense, lr.macs_executed, lr.macs_reused, lr.macs_skipped, lr.macs_gated) == (32, 16, 8, 8, 0)
    assert c[("mult", "random")] == 16 and c[("add", "random")] == (2 + 4) * 4
    assert c[("indirection", "read")] == (6 + 4) * 4 and c[("ifmap_spad", "read")] == 24
    assert c[("weight_spad", "read")] == 16
    assert c[("ifmap_spad", "write")] == 2 * 8 * 3          # fs x (2 input rows x 4 blocks) x 3 cols
    assert c[("weight_spad", "write")] == 2 * 4 + 3 * 8     # tables to k PEs + value table to 8 PEs
    assert lr.compute_cycles == 9
    x = lr.extra
    assert x["mapping"]["output_blocks"] == 4 and x["mapping"]["filter_blocks"] == 2 and x["pes_used"] == 8
    assert (x["iit_bits"], x["wit_bits"], x["weight_value_bits"]) == (18, 8, 48) and x["model_bits"] == 74
    assert x["model_bits_dense"] == 8 * 16 and x["tables_resident"]
    assert x["dram_ifmap_read_bits"] == 144
    assert lr.dram_read_bits == 144 + 74
    y, _ = fixedpoint.quantize(layer_outputs(golden()), 16)   # one RLC stream per (image, filter, strip)
    assert lr.dram_write_bits == sum(rlc_size_bits(y.reshape(2, 4)[m]) for m in range(2))


def test_golden_layer_g2_trades_adds_for_multiplies():
    lr1 = create("ucnn").simulate_layer(golden())
    lr2 = create("ucnn", group_size=2).simulate_layer(golden())
    assert lr2.macs_executed == 5 * 4 and lr2.macs_reused == (6 - 5) * 4 and lr2.macs_skipped == 8
    assert lr2.counts[("ifmap_spad", "read")] == 4 * 4 < lr1.counts[("ifmap_spad", "read")]
    assert lr2.counts[("add", "random")] == (0 + 1 + 5) * 4 == lr1.counts[("add", "random")]


def test_provisioned_like_eyeriss():
    u, e = UcnnConfig(), EyerissConfig()
    assert u.pes == e.pe_rows * e.pe_cols == 168
    for f in ("clock_hz", "glb_fmap_bytes", "glb_filter_bytes", "dram_bus_bits", "dram_clock_hz",
              "dram_latency_cycles", "word_bits", "ifmap_gin_words_per_cycle", "filter_gin_words_per_cycle",
              "psum_gin_words_per_cycle", "rlc", "raw_first_input", "energy_table"):
        assert getattr(u, f) == getattr(e, f), f
    assert u.table_spad_words == e.filter_spad_words
    assert create("ucnn", config="ucnn").config == UcnnConfig()       # the preset is the defaults


@pytest.mark.parametrize("bad", [{"group_size": 3}, {"group_size": 0}, {"channel_tile": 0}, {"pe_rows": 0}])
def test_bad_config(bad):
    with pytest.raises(ConfigError):
        create("ucnn", **bad)


def _conv_trace(rng, levels, N=1):
    spec = LayerSpec("c2", "conv", N, 32, 9, 9, 24, 3, 3, 1, 1)
    w = rng.choice(np.array(levels, dtype=np.float32), size=spec.weight_shape)
    w[rng.random(w.shape) < 0.5] = 0
    x = np.maximum(rng.normal(size=spec.input_shape), 0).astype(np.float32)
    fc = LayerSpec("fc", "fc", N, 300, 1, 1, 20, 1, 1)
    wf = rng.choice(np.array(levels, dtype=np.float32), size=fc.weight_shape)
    return Trace("t", [LayerTrace(spec, w, x), LayerTrace(fc, wf, np.abs(rng.normal(size=fc.input_shape))
                                                          .astype(np.float32))])


def test_fewer_unique_weights_fewer_multiplies_and_smaller_model(rng):
    few = _conv_trace(rng, [-0.5, 0.5])
    many = _conv_trace(np.random.default_rng(1), list(np.linspace(-1, 1, 255)))
    acc = create("ucnn")
    a, b = acc.simulate_layer(few.layers[0]), acc.simulate_layer(many.layers[0])
    assert a.macs_executed < b.macs_executed and a.extra["model_bits"] < b.extra["model_bits"]
    assert a.extra["model_bits"] < a.extra["model_bits_dense"]
    fc = acc.simulate_layer(few.layers[1])   # FC: T = ceil(300 / 16) = 19 tiles, one output position
    assert fc.macs_executed + fc.macs_reused + fc.macs_skipped == fc.macs_dense == 300 * 20


def test_timeline_is_pass_granular(rng):
    tr = _conv_trace(rng, [-1, 1, 2], N=3)
    lr = create("ucnn").simulate_layer(tr.layers[0], log=True)
    assert len(lr.extra["log"]) <= 4 * 1024
    assert lr.cycles >= lr.compute_cycles and lr.stall_cycles >= 0


def test_normalized_energy_table_works(rng):
    lr = create("ucnn", energy="eyeriss-normalized").simulate_layer(golden())
    assert lr.energy_unit == "MAC" and lr.energy_by_component["mult"] == pytest.approx(16.0)


def test_simulate_and_compare_commands(tmp_path, capsys, rng):
    path = save_trace(_conv_trace(rng, [-1, 1]), tmp_path / "t.npz")
    assert main(["simulate", str(path), "--arch", "ucnn", "--group-size", "2", "--json",
                 str(tmp_path / "u.json"), "--quiet"]) == 0
    d = json.loads((tmp_path / "u.json").read_text())
    assert d["config"]["group_size"] == 2
    assert main(["simulate", str(path), "--arch", "ucnn", "--group-size", "3", "--quiet"]) == 3
    capsys.readouterr()
    code = main(["compare", str(path), "--arch", "eyeriss,eyeriss:rlc=false:gating=false,ucnn,ucnn:group_size=2",
                 "--baseline", "eyeriss", "--out", str(tmp_path / "cmp")])
    out = capsys.readouterr().out
    assert code == 0 and "ucnn:group_size=2" in out
    rows = json.loads((tmp_path / "cmp" / "compare.json").read_text())["rows"]
    assert {r["arch"] for r in rows} >= {"eyeriss", "eyeriss:rlc=false:gating=false", "ucnn", "ucnn:group_size=2"}
    assert all(r["baseline"] == "eyeriss" for r in rows)


@pytest.mark.parametrize("bits", [4, 8, 16, 24])
def test_fused_quantize_and_mask_equal_fixedpoint(bits):
    """The one-pass keys (code + 2**(bits-1)), U, and the uint8 non-zero mask equal fixedpoint's
    quantize / nonzero_mask exactly, including values exactly half a step from a code (round half to
    even) and all-zero tensors; 24 bits takes the general fallback."""
    from accelsim.kernels.ucnn import nonzero_u8, quantized_weight_keys
    rng = np.random.default_rng(bits)
    for trial in range(60):
        x = (rng.normal(size=int(rng.integers(1, 500))) * 10.0 ** rng.uniform(-6, 4)).astype(np.float32)
        if trial % 3 == 0:
            f = fixedpoint.frac_bits_for(x, bits)
            x = ((rng.integers(-50, 50, size=x.size) + 0.5) * 2.0 ** -f).astype(np.float32)
        if trial % 4 == 0:
            x[rng.random(x.size) < 0.6] = 0
        if trial == 5:
            x[:] = 0
        codes, _ = fixedpoint.quantize(x, bits)
        (keys, zk, n), u = quantized_weight_keys(x, bits)
        if bits <= 20:
            assert np.array_equal(keys.astype(np.int64) - zk, codes)
        assert np.array_equal(np.unique(keys, return_inverse=True)[1], np.unique(codes, return_inverse=True)[1])
        assert np.array_equal(keys == zk, codes == 0) and u == len(np.unique(codes[codes != 0]))
        assert ((keys >= 0) & (keys < n)).all()
        assert np.array_equal(nonzero_u8(x, bits).astype(bool), fixedpoint.nonzero_mask(x, bits))


def test_kernel_key_dtype_and_offset_do_not_matter(rng):
    """int32 offset keys (the model's path) and int64 codes (ranked) give the same units."""
    from accelsim.kernels.ucnn import quantized_weight_keys
    w = rng.choice(np.array([-0.5, -0.25, 0.0, 0.25, 0.5, 1.0], dtype=np.float32), size=(2, 6, 20, 9))
    codes, _ = fixedpoint.quantize(w, 16)
    (keys, zk, n), _ = quantized_weight_keys(w, 16)
    for G in (1, 2, 4):
        a = ucnn_units(codes, G, 16)
        b = ucnn_units(keys, G, 16, (keys, zk, n))
        assert all(np.array_equal(x, y) for x, y in zip(a, b))


def _batched_conv(seed, N=3):
    """A layer whose tables do not fit the filter GLB and are re-read per image and strip."""
    rng = np.random.default_rng(seed)
    spec = LayerSpec("c", "conv", N, 64, 12, 12, 96, 3, 3, 1, 1)
    w = rng.choice(np.array([-1, -0.5, 0.5, 1], dtype=np.float32), size=spec.weight_shape)
    w[rng.random(w.shape) < 0.4] = 0
    x = np.maximum(rng.normal(size=spec.input_shape), 0).astype(np.float32)
    x[rng.random(x.shape) < 0.5] = 0
    return LayerTrace(spec, w, x)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("G", [1, 2])
@pytest.mark.parametrize("glb", [{}, {"glb_fmap_bytes": 16384, "glb_filter_bytes": 1024},
                                 {"glb_fmap_bytes": 8192, "glb_filter_bytes": 2048}])
def test_loop_order_choice_has_least_dram_and_conserves_macs(seed, G, glb):
    """auto takes the order with less DRAM traffic: its traffic is <= the forced strip order's and the
    forced table order's; both orders conserve MACs and count the same compute work; the choice and
    all counts are deterministic.  The buffers give one table chunk (tables order wins), 5 chunks
    (tables order wins) and 16 chunks (strips win)."""
    lt = _batched_conv(seed)
    res = {o: create("ucnn", group_size=G, loop_order=o, **glb).simulate_layer(lt)
           for o in ("auto", "strips", "tables")}
    dram = {o: r.dram_read_bits + r.dram_write_bits for o, r in res.items()}
    assert res["strips"].extra["loop_order"] == "strips" and res["tables"].extra["loop_order"] == "tables"
    assert dram["auto"] <= dram["strips"] and dram["auto"] <= dram["tables"]
    assert dram["auto"] == res["auto"].extra["loop_orders"][res["auto"].extra["loop_order"]]["dram_bits"]
    for r in res.values():
        assert r.macs_executed + r.macs_reused + r.macs_skipped + r.macs_gated == r.macs_dense
        assert r.macs_executed == res["strips"].macs_executed
        for act in ("mult", "indirection", "ifmap_spad"):
            key = (act, "random") if act == "mult" else (act, "read")
            assert r.counts[key] == res["strips"].counts[key]
    t = res["tables"].extra
    assert t["dram_table_read_bits"] == t["model_bits"] < res["strips"].extra["dram_table_read_bits"]
    again = create("ucnn", group_size=G, loop_order="auto", **glb).simulate_layer(_batched_conv(seed))
    assert again.extra["loop_order"] == res["auto"].extra["loop_order"]
    assert (again.cycles, again.energy, again.dram_read_bits) == (res["auto"].cycles, res["auto"].energy,
                                                                   res["auto"].dram_read_bits)


def test_strip_order_when_tables_resident_or_read_once():
    lr = create("ucnn").simulate_layer(golden())      # tables resident: nothing to gain
    assert lr.extra["loop_order"] == "strips" and "tables" not in lr.extra["loop_orders"]
    lr = create("ucnn", loop_order="tables").simulate_layer(golden())
    assert lr.extra["loop_order"] == "strips"          # forced but not applicable: falls back
    with pytest.raises(ConfigError):
        create("ucnn", loop_order="rows")
