"""``accelsim trace synth|inspect`` run in-process through accelsim.cli.main."""
from __future__ import annotations

import json

import numpy as np
import pytest

from accelsim.cli import main
from accelsim.trace import LayerSpec, LayerTrace, Trace, load_trace, save_trace


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_synth_writes_a_loadable_synthetic_trace(tmp_path, capsys):
    out = tmp_path / "s.npz"
    code, so, se = run(capsys, "trace", "synth", "--network", "seed2", "--batch", "2", "--seed", "5",
                       "--weight-density", "0.5", "--act-density", "cnvlutin44", "--layers", "all",
                       "--outputs", "--out", str(out))
    assert code == 0, se
    assert str(out) in so and "synthetic seed2" in so
    tr = load_trace(out)
    assert [lt.name for lt in tr.layers] == ["conv1", "conv2", "conv3", "fc1", "fc2", "fc3", "fc4"]
    assert tr.synthetic and tr.source["seed"] == 5 and tr.source["batch"] == 2
    assert tr.source["weight_density"]["profile"] == 0.5
    assert tr.source["act_density"]["profile"] == "cnvlutin44"
    assert all(lt.outputs is not None and lt.spec.N == 2 for lt in tr.layers)


def test_synth_appends_npz_and_defaults_to_conv_layers(tmp_path, capsys):
    code, so, _ = run(capsys, "trace", "synth", "--network", "alexnet", "--out", str(tmp_path / "a"))
    assert code == 0
    tr = load_trace(tmp_path / "a.npz")
    assert [lt.name for lt in tr.layers] == ["conv1", "conv2", "conv3", "conv4", "conv5"]
    assert all(lt.outputs is None for lt in tr.layers)


def test_inspect_json_fields(tmp_path, capsys):
    p = tmp_path / "l.npz"
    assert main(["trace", "synth", "--network", "lenet5", "--batch", "3", "--weight-density", "han2015",
                 "--act-density", "han2015", "--layers", "all", "--out", str(p)]) == 0
    capsys.readouterr()
    code, so, se = run(capsys, "trace", "inspect", str(p), "--json")
    assert code == 0, se
    info = json.loads(so)
    assert set(info) >= {"trace", "network", "source", "layers", "total"}
    assert info["network"] == "lenet5" and info["synthetic"] is True
    assert info["source"]["generator"] == "accelsim trace synth"
    conv2 = info["layers"][1]
    assert conv2["name"] == "conv2" and conv2["kind"] == "conv"
    assert (conv2["N"], conv2["C"], conv2["H"], conv2["M"], conv2["E"], conv2["R"]) == (3, 20, 12, 50, 8, 5)
    assert conv2["macs_dense"] == 3 * 1_600_000
    # exact densities: 0.12 * 25,000 weights = 3000; 0.82 * 3*20*12*12 = 7084.8 -> 7085 inputs
    assert conv2["weights_nonzero"] == 3000 and conv2["weight_density"] == pytest.approx(0.12)
    assert conv2["inputs_nonzero"] == 7085
    assert conv2["outputs_present"] is False and conv2["output_density"] is None
    assert 1 <= conv2["unique_nonzero_per_filter_mean"] <= conv2["unique_nonzero_per_filter_max"] <= 500
    t = info["total"]
    assert t["layers"] == 4 and t["macs_dense"] == sum(d["macs_dense"] for d in info["layers"])
    assert t["weights_nonzero"] == sum(d["weights_nonzero"] for d in info["layers"])


def test_inspect_counts_unique_values_after_quantization(tmp_path, capsys):
    """Filter 0 holds {0.5, 0.5, -0.25, 0}: 2 distinct non-zero values; filter 1 holds {1, 1, 1, 1}: 1.
    The layer has 3 distinct non-zero values (0.5, -0.25, 1.0).  A value of 1e-9 quantizes to zero at the
    binary point chosen for max |x| = 1 (2^-14 resolution), so the inputs' density is 3/4."""
    spec = LayerSpec("c", "conv", N=1, C=1, H=2, W=2, M=2, R=2, S=2)
    w = np.array([[0.5, 0.5, -0.25, 0.0], [1, 1, 1, 1]], dtype=np.float32).reshape(2, 1, 2, 2)
    x = np.array([1.0, 1e-9, 0.5, 0.25], dtype=np.float32).reshape(1, 1, 2, 2)
    p = save_trace(Trace("hand", [LayerTrace(spec, w, x)], source={"model": "hand-made", "method": "test"}),
                   tmp_path / "h.npz")
    code, so, _ = run(capsys, "trace", "inspect", str(p), "--json")
    d = json.loads(so)["layers"][0]
    assert d["unique_nonzero_weights"] == 3
    assert d["unique_nonzero_per_filter_mean"] == 1.5 and d["unique_nonzero_per_filter_max"] == 2
    assert d["weight_density"] == 7 / 8 and d["input_density"] == 3 / 4
    code, so, _ = run(capsys, "trace", "inspect", str(p))
    assert code == 0
    assert "real tensors" in so and "hand-made" in so and "16-bit fixed point" in so


def test_inspect_table(tmp_path, capsys):
    p = tmp_path / "a.npz"
    main(["trace", "synth", "--network", "seed1", "--outputs", "--out", str(p)])
    capsys.readouterr()
    code, so, _ = run(capsys, "trace", "inspect", str(p))
    assert code == 0
    assert "synthetic (accelsim trace synth" in so
    lines = so.splitlines()
    conv1 = next(line for line in lines if line.startswith("conv1"))
    assert "1,1,28,28" in conv1 and "6,24,24" in conv1 and "5x5" in conv1 and "yes" in conv1
    assert any(line.startswith("total") for line in lines)


@pytest.mark.parametrize("argv", [
    ["trace", "synth", "--network", "resnet", "--out", "x.npz"],               # unknown network
    ["trace", "synth", "--network", "seed1", "--batch", "-1", "--out", "x"],   # negative batch
    ["trace", "synth", "--network", "seed1", "--batch", "two", "--out", "x"],
    ["trace", "synth", "--network", "seed1", "--seed", "-3", "--out", "x"],
    ["trace", "synth", "--network", "seed1", "--weight-density", "sparse", "--out", "x"],  # unknown profile
    ["trace", "synth", "--network", "seed1", "--act-density", "1.5", "--out", "x"],
    ["trace", "synth", "--network", "seed1", "--layers", "fc", "--out", "x"],
    ["trace", "synth", "--network", "seed1"],                                   # missing --out
    ["trace", "inspect"],                                                       # missing TRACE
])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as ei:
        main(argv)
    assert ei.value.code == 2
    assert "error" in capsys.readouterr().err


def test_trace_without_subcommand_is_a_usage_error(capsys):
    code, _, err = run(capsys, "trace")
    assert code == 2 and "SUBCOMMAND" in err


def test_profile_without_data_for_network_exits_3(tmp_path, capsys):
    code, so, err = run(capsys, "trace", "synth", "--network", "seed3", "--weight-density", "han2015",
                        "--out", str(tmp_path / "x.npz"))
    assert code == 3 and so == ""
    assert len(err.strip().splitlines()) == 1 and "seed3" in err
    assert not (tmp_path / "x.npz").exists()


def test_inspect_missing_and_corrupt_files_exit_3(tmp_path, capsys):
    code, _, err = run(capsys, "trace", "inspect", str(tmp_path / "absent.npz"))
    assert code == 3 and "no such file" in err and len(err.strip().splitlines()) == 1
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"this is not a zip file")
    code, _, err = run(capsys, "trace", "inspect", str(bad), "--json")
    assert code == 3 and "bad.npz" in err and len(err.strip().splitlines()) == 1
    good = tmp_path / "good.npz"
    main(["trace", "synth", "--network", "seed1", "--out", str(good)])
    capsys.readouterr()
    trunc = tmp_path / "trunc.npz"
    trunc.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    code, _, err = run(capsys, "trace", "inspect", str(trunc))
    assert code == 3 and len(err.strip().splitlines()) == 1


def test_help_explains_every_option(capsys):
    for sub, options in (("synth", ["--network", "--batch", "--seed", "--weight-density", "--act-density",
                                    "--layers", "--outputs", "--out"]),
                         ("inspect", ["--json", "TRACE"])):
        with pytest.raises(SystemExit) as ei:
            main(["trace", sub, "--help"])
        assert ei.value.code == 0
        text = capsys.readouterr().out
        for opt in options:
            assert opt in text
    assert "16-bit fixed point" in text


def _geometry_trace(tmp_path):
    """A dilated conv, a (2,1)-strided 3x1 conv with padding (1,0), a Conv1d-as-height-1 layer, and names
    an ONNX graph or an nn.Sequential would give; one skipped op of 1,000 MACs and one without MACs."""
    rng = np.random.default_rng(0)
    specs = [LayerSpec("/features/0/Conv", "conv", 1, 2, 9, 9, 4, 3, 3, padding=2, dilation=2),
             LayerSpec("0", "conv", 1, 4, 9, 9, 4, 3, 1, stride=(2, 1), padding=(1, 0)),
             LayerSpec("c1d", "conv", 1, 4, 1, 9, 2, 1, 3, padding=(0, 1))]
    layers = [LayerTrace(s, rng.standard_normal(s.weight_shape).astype(np.float32),
                         rng.standard_normal(s.input_shape).astype(np.float32)) for s in specs]
    skipped = [{"name": "head", "type": "ConvTranspose2d", "macs": 1000, "reason": "not a conv/fc layer"},
               {"name": "emb", "type": "Embedding", "macs": None}]
    return save_trace(Trace("geo", layers, source={"model": "hand"}, skipped=skipped), tmp_path / "g.npz"), specs


def test_inspect_shows_geometry_skipped_and_coverage(tmp_path, capsys):
    """MACs by hand: dilated 1*4*9*9*2*9 = 5,832 (E = (9+4-5)+1 = 9); 3x1 stride (2,1): E = (9+2-3)//2+1 = 5,
    F = 9, 4*5*9*4*3 = 2,160; Conv1d 2*1*9*4*3 = 216.  Traced 8,208 of 9,208 -> 89.1%."""
    p, specs = _geometry_trace(tmp_path)
    code, so, se = run(capsys, "trace", "inspect", str(p), "--json")
    assert code == 0, se
    info = json.loads(so)
    d0, d1, d2 = info["layers"]
    assert d0["name"] == "/features/0/Conv" and d0["dilation"] == [2, 2] and d0["padding"] == [2, 2, 2, 2]
    assert (d0["E"], d0["macs_dense"]) == (9, 5832)
    assert d1["stride"] == [2, 1] and d1["padding"] == [1, 1, 0, 0] and (d1["E"], d1["F"]) == (5, 9)
    assert d1["macs_dense"] == 2160 and d2["macs_dense"] == 216
    assert info["coverage"]["macs_traced"] == 8208 and info["coverage"]["fraction"] == pytest.approx(8208 / 9208)
    assert [e["name"] for e in info["skipped"]] == ["head", "emb"]
    code, so, se = run(capsys, "trace", "inspect", str(p))
    assert code == 0, se
    assert "the trace covers 89.1% of the model's MACs" in so
    assert "head [ConvTranspose2d]: 1,000 MACs (not a conv/fc layer)" in so and "emb [Embedding]: MACs undefined" in so
    row = next(line for line in so.splitlines() if line.startswith("0 "))
    assert " 2,1 " in row and " 1,1,0,0 " in row


def test_simulate_prints_coverage(tmp_path, capsys):
    p = tmp_path / "l.npz"
    assert main(["trace", "synth", "--network", "lenet5", "--out", str(p)]) == 0
    capsys.readouterr()
    code, so, se = run(capsys, "simulate", str(p), "--arch", "dadiannao")
    assert code == 0, se
    assert "the trace covers 82.3% of the model's MACs" in so  # fc1, fc2 not synthesized (--layers conv)


def test_synth_records_unselected_layers_as_skipped(tmp_path, capsys):
    """LeNet-5 by hand: conv1 20*24*24*1*25 = 288,000, conv2 50*8*8*20*25 = 1,600,000, fc1 800*500 =
    400,000, fc2 500*10 = 5,000 MACs; a conv-only trace covers 1,888,000 / 2,293,000 = 82.3%."""
    p = tmp_path / "c.npz"
    assert main(["trace", "synth", "--network", "lenet5", "--layers", "conv", "--out", str(p)]) == 0
    tr = load_trace(p)
    assert [(e["name"], e["macs"]) for e in tr.skipped] == [("fc1", 400_000), ("fc2", 5_000)]
    capsys.readouterr()
    code, so, _ = run(capsys, "trace", "inspect", str(p))
    assert "the trace covers 82.3% of the model's MACs (1,888,000 traced; 2 skipped operation(s) with 405,000" in so


def test_compare_notes_partial_traces(tmp_path, capsys):
    p = tmp_path / "c.npz"
    assert main(["trace", "synth", "--network", "lenet5", "--layers", "conv", "--out", str(p)]) == 0
    capsys.readouterr()
    code, so, se = run(capsys, "compare", str(p), "--arch", "dadiannao,cnvlutin", "--baseline", "dadiannao")
    assert code == 0, se
    assert f"note: {p}: the trace covers 82.3% of the model's MACs" in so and "traced layers only" in so


def test_inspect_measures_at_the_designs_datapath_width(tmp_path):
    """The width is the designs' word_bits (all 16 here), not a constant of the CLI.  At 4 bits the codes
    span -8..7, so 8.0 needs an LSB of 2 (frac_bits -1): 1.0, 0.02 and 0.01 round to zero."""
    from accelsim.accelerators.registry import datapath_bits
    from accelsim.trace import LayerSpec, LayerTrace, Trace
    from accelsim.trace.stats import inspect_trace
    assert datapath_bits() == 16 == datapath_bits("eyeriss")
    spec = LayerSpec("l", "fc", 1, 4, 1, 1, 1, 1, 1)
    w = np.array([8.0, 0.01, 0.02, 1.0], np.float32).reshape(spec.weight_shape)
    t = Trace("t", [LayerTrace(spec, w, np.ones(spec.input_shape, np.float32))])
    assert inspect_trace(t)["layers"][0]["weights_nonzero"] == 4
    assert inspect_trace(t, 4)["layers"][0]["weights_nonzero"] == 1
