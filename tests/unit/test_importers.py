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


def misim_alexnet_like(tmp_path, rng, groups_col: bool):
    """A miniature AlexNet in MIsim's own layout: ``alexnet_trace_params.csv`` (name,Nn,Kx,Ky,stride,pad as
    MIsim's testSystem.py parses it, with MIsim's 4-D ``NAME-0.npy`` files: (images, C, X, Y)); conv2 and
    conv4 are grouped in two as in AlexNet."""
    d = tmp_path / "alexnet"
    d.mkdir()
    rows = [("conv1", 16, 3, 3, 2, 0, 1), ("conv2", 32, 3, 3, 1, 1, 2), ("conv3", 16, 1, 1, 1, 0, 1),
            ("conv4", 8, 3, 3, 1, 1, 2)]
    chans = {"conv1": 3, "conv2": 16, "conv3": 32, "conv4": 16}
    text = "".join(",".join(str(v) for v in (r if groups_col else r[:6])) + "\n" for r in rows)
    (d / "alexnet_trace_params.csv").write_text(text)
    for name, c in chans.items():
        x = np.maximum(rng.standard_normal((1, c, 7, 7)), 0).astype(np.float32)
        np.save(d / f"{name}-0.npy", x)
    return d


def test_misim_import_keeps_groups_from_column(tmp_path, rng):
    d = misim_alexnet_like(tmp_path, rng, groups_col=True)
    tr = import_misim(d)
    g = {lt.name: lt.spec.groups for lt in tr.layers}
    assert g == {"conv1": 1, "conv2": 2, "conv3": 1, "conv4": 2}
    c2 = tr.layers[1]
    # weights hold C/groups = 16/2 channels; dense MACs = M*E*F*(C/g)*R*S = 32*7*7*8*9, half the ungrouped count
    assert c2.weights.shape == (32, 8, 3, 3) and c2.spec.macs_dense == 32 * 7 * 7 * 8 * 9
    assert tr.source["groups"] == {"conv2": 2, "conv4": 2}


def test_misim_import_groups_option_and_errors(tmp_path, rng, capsys):
    d = misim_alexnet_like(tmp_path, rng, groups_col=False)
    flat = import_misim(d)
    assert all(lt.spec.groups == 1 for lt in flat.layers)  # MIsim's own reading: one group everywhere
    tr = import_misim(d, groups={"conv2": 2, "conv4": 2})
    assert [lt.spec.groups for lt in tr.layers] == [1, 2, 1, 2]
    assert tr.layers[1].spec.macs_dense * 2 == flat.layers[1].spec.macs_dense
    with pytest.raises(TraceError, match="conv9"):
        import_misim(d, groups={"conv9": 2})
    with pytest.raises(TraceError, match="conv1.*groups = 2"):
        import_misim(d, groups={"conv1": 2})  # 3 channels cannot be split in two
    out = tmp_path / "t.npz"
    assert main(["trace", "import", str(d), "--format", "misim", "--groups", "conv2=2,conv4=2",
                 "--out", str(out)]) == 0
    assert [lt.spec.groups for lt in load_trace(out).layers] == [1, 2, 1, 2]
    with pytest.raises(SystemExit) as e:
        main(["trace", "import", str(d), "--format", "misim", "--groups", "conv2", "--out", str(out)])
    assert e.value.code == 2
    assert main(["trace", "import", str(d), "--format", "dnnsim", "--groups", "conv2=2", "--out", str(out)]) == 2
