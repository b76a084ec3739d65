"""DNNsim and MIsim trace folders -> accelsim traces."""
import numpy as np
import pytest

from accelsim.cli import main
from accelsim.errors import TraceError
from accelsim.trace import load_trace
from accelsim.trace.importers import import_dnnsim, import_misim


def dnnsim_folder(tmp_path, rng, seven_cols=True):
    d = tmp_path / "alexnet_tiny"
    d.mkdir()
    rows = ["conv1,data,8,3,3,1,1", "conv2,conv1,16,3,3,2,0", "fc6,conv2,10,1,1,1,0"]
    if not seven_cols:
        rows = [",".join([r.split(",")[0]] + r.split(",")[2:]) for r in rows]
    (d / "trace_params.csv").write_text("\n".join(rows) + "\n")
    np.save(d / "wgt-conv1.npy", rng.standard_normal((8, 4, 3, 3)).astype(np.float32))
    np.save(d / "act-conv1-0.npy", rng.random((2, 4, 6, 6)).astype(np.float32))
    np.save(d / "wgt-conv2.npy", rng.standard_normal((16, 4, 3, 3)).astype(np.float32))  # groups = 8 / 4 = 2
    np.save(d / "act-conv2-0.npy", rng.random((2, 8, 6, 6)).astype(np.float32))
    np.save(d / "wgt-fc6.npy", rng.standard_normal((10, 16 * 2 * 2)).astype(np.float32))
    np.save(d / "act-fc6-0.npy", rng.random((2, 16, 2, 2)).astype(np.float32))  # flattened on import
    np.save(d / "act-fc6-0-out.npy", rng.random((2, 10)).astype(np.float32))
    return d


@pytest.mark.parametrize("seven", [True, False])
def test_dnnsim_layout(tmp_path, rng, seven):
    d = dnnsim_folder(tmp_path, rng, seven)
    tr = import_dnnsim(d)
    c1, c2, fc = tr.layers
    assert (c1.spec.C, c1.spec.M, c1.spec.R, c1.spec.padding, c1.spec.groups) == (4, 8, 3, 1, 1)
    assert (c2.spec.stride, c2.spec.groups, c2.spec.E) == (2, 2, 2)
    assert fc.spec.kind == "fc" and fc.inputs.shape == (2, 64) and fc.outputs.shape == (2, 10)
    np.testing.assert_array_equal(c1.weights, np.load(d / "wgt-conv1.npy"))
    assert tr.network == "alexnet_tiny" and tr.source["imported_from"] == "DNNsim"


def test_misim_layout_fills_weights_and_says_so(tmp_path, rng):
    d = tmp_path / "net"
    d.mkdir()
    (d / "net_trace_params.csv").write_text("conv1,8,3,3,1,1\nconv2,16,1,1,1,0\n")
    np.save(d / "conv1-0.npy", rng.random((4, 5, 5)).astype(np.float32))
    np.save(d / "conv2-0.npy", rng.random((8, 5, 5)).astype(np.float32))
    tr = import_misim(d)
    assert [lt.spec.M for lt in tr.layers] == [8, 16] and tr.layers[0].inputs.shape == (1, 4, 5, 5)
    assert "random" in tr.source["weights_synthetic"]
    assert import_misim(d, seed=0).layers[0].weights.tobytes() == tr.layers[0].weights.tobytes()


def test_import_cli_and_errors(tmp_path, rng, capsys):
    d = dnnsim_folder(tmp_path, rng)
    out = tmp_path / "t.npz"
    assert main(["trace", "import", str(d), "--format", "dnnsim", "--out", str(out)]) == 0
    assert len(load_trace(out).layers) == 3
    assert main(["simulate", str(out), "--arch", "cnvlutin", "--quiet"]) == 0
    (d / "act-conv2-0.npy").unlink()
    assert main(["trace", "import", str(d), "--format", "dnnsim", "--out", str(out)]) == 3
    assert "act-conv2-0.npy: no such file" in capsys.readouterr().err
    np.save(d / "act-conv2-0.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(TraceError, match="Python objects"):
        import_dnnsim(d)
    (d / "trace_params.csv").write_text("conv1,8,3\n")
    with pytest.raises(TraceError, match="expected name"):
        import_dnnsim(d)
