"""SCALE-Sim topology CSVs -> synthetic traces that every design can run."""
import pytest

from accelsim.cli import main
from accelsim.errors import ConfigError
from accelsim.trace import load_trace
from accelsim.trace.topology import read_topology

CONV = """Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
Conv1     ,227         ,227        ,11           ,11          ,3       ,96        ,4      ,
Conv2     ,31         ,31        ,5            ,5           ,96      ,256       ,1      ,
,,,,,,,,
FC6,1,1,1,1,2048,1000,1,,,,,
"""
GEMM = "Layer Name, M, N, K,\nTest 1, 8, 128, 256,\n"


def test_conv_form(tmp_path):
    p = tmp_path / "alexnet_part.csv"
    p.write_text(CONV)
    net, batches = read_topology(p)
    names = [d["name"] for d in net.layers]
    assert names == ["Conv1", "Conv2", "FC6"] and batches == [1, 1, 1]
    c1 = net.layers[0]
    assert (c1["C"], c1["H"], c1["M"], c1["R"], c1["stride"], c1["padding"]) == (3, 227, 96, 11, 4, 0)
    assert net.layers[2]["kind"] == "fc"


def test_gemm_form_becomes_fc_with_batch_m(tmp_path, capsys):
    """M x K times K x N: an FC layer with K inputs, N outputs and N(batch) = M = 8."""
    p = tmp_path / "g.csv"
    p.write_text(GEMM)
    out = tmp_path / "g.npz"
    assert main(["trace", "synth", "--topology", str(p), "--act-density", "0.5", "--out", str(out)]) == 0
    lt = load_trace(out).layers[0]
    assert lt.name == "Test_1" and lt.spec.kind == "fc" and lt.inputs.shape == (8, 256) and lt.weights.shape == (128, 256)


def test_topology_trace_runs_on_every_design(tmp_path, capsys):
    p = tmp_path / "t.csv"
    p.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
                 "c1,8,8,3,3,16,32,1,\nc2,6,6,3,3,32,16,1,\n")
    out = tmp_path / "t.npz"
    assert main(["trace", "synth", "--topology", str(p), "--batch", "2", "--act-density", "0.4", "--out", str(out)]) == 0
    from accelsim.accelerators import available
    for arch in available():
        assert main(["simulate", str(out), "--arch", arch, "--quiet"]) == 0, arch


@pytest.mark.parametrize("text, match", [
    ("a,b,c\nx,1,2\n", "neither"),
    ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nc,4,4,5,5,3,8,1,\n",
     "larger than padded input"),
    ("Layer Name, M, N, K,\nt, 8, x, 4,\n", "not a number"),
    ("Layer Name, M, N, K,\nt, 8, 0, 4,\n", "> 0"),
    ("Layer Name, M, N, K,\n", "at least one layer"),
])
def test_bad_topologies(tmp_path, text, match):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(ConfigError, match=match):
        read_topology(p)


def test_bad_topology_cli_exit_3(tmp_path, capsys):
    assert main(["trace", "synth", "--topology", str(tmp_path / "none.csv"), "--out", str(tmp_path / "x")]) == 3
    assert main(["trace", "synth", "--topology", str(tmp_path / "none.csv"), "--weight-density", "han2015",
                 "--out", str(tmp_path / "x")]) == 3
