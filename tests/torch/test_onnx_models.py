"""ONNX import of the user models (tests/torch/user_models.py): ``torch.onnx.export`` then ``import_onnx``
must give the same layers and tensors as ``export_model`` (float tolerance), with BatchNorm nodes present
(``do_constant_folding=False``, folded by the importer) and folded by the exporter; the default
(torch.export-based) exporter is checked on one model when onnxscript is installed."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.torch

from accelsim.cli import main  # noqa: E402
from accelsim.export import export_model  # noqa: E402
from accelsim.prune import magnitude_prune  # noqa: E402
from accelsim.trace import load_trace  # noqa: E402
from accelsim.trace.onnx_import import import_onnx  # noqa: E402

from tests.torch.user_models import MODELS, make  # noqa: E402


def _same(tr, ti, bn_nodes=True):
    assert len(tr.layers) == len(ti.layers)
    for a, b in zip(tr.layers, ti.layers):
        assert {**a.spec.to_dict(), "name": ""} == {**b.spec.to_dict(), "name": ""}, (a.name, b.name)
        for k in ("weights", "inputs", "outputs"):
            x, y = getattr(a, k), getattr(b, k)
            assert np.allclose(x, y, rtol=1e-4, atol=1e-5), (a.name, b.name, k, float(np.abs(x - y).max()))
        assert tr.source["activation"][a.name] == ti.source["activation"][b.name], (a.name, b.name)
        if bn_nodes:  # else torch folded the BN before the importer saw it
            assert (tr.source["folded_bn"][a.name] is None) == (ti.source["folded_bn"][b.name] is None)
        assert tr.source["chain"][a.name].count("add") == ti.source["chain"][b.name].count("add")


def _export_both(name, tmp_path, fold):
    m, x = make(name)
    magnitude_prune(m, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tr = export_model(m, x, network=name)
        p = tmp_path / f"{name}.onnx"
        torch.onnx.export(m, (x,), str(p), dynamo=False, do_constant_folding=fold)
    return tr, p, x


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("fold", [False, True], ids=["bn-nodes", "bn-folded-by-torch"])
def test_onnx_import_equals_export_model(name, fold, tmp_path):
    tr, p, x = _export_both(name, tmp_path, fold)
    ti = import_onnx(p, x.numpy())
    _same(tr, ti, bn_nodes=not fold)
    assert ti.skipped == [] and ti.coverage()["fraction"] == 1.0
    if not fold and name == "resnet":  # BN nodes were in the graph: the importer folded them
        assert ti.source["folded_bn"]["/conv1/Conv"] == "/bn1/BatchNormalization"
        assert ti.source["chain"]["/layer1/layer1.0/conv2/Conv"] == [
            "batchnorm(/layer1/layer1.0/bn2/BatchNormalization)", "add", "relu"]


def test_cli_import_then_simulate(tmp_path, capsys):
    tr, p, x = _export_both("resnet", tmp_path, False)
    np.save(tmp_path / "x.npy", x.numpy())
    out = tmp_path / "r.npz"
    assert main(["trace", "import", str(p), "--input", str(tmp_path / "x.npy"), "--out", str(out)]) == 0
    so = capsys.readouterr().out
    assert "wrote" in so and "the trace covers 100.0% of the model's MACs" in so
    back = load_trace(out)
    assert back.layers[0].name == "/conv1/Conv"  # names with '/' survive
    _same(tr, back)
    assert main(["simulate", str(out), "--arch", "eyeriss"]) == 0
    assert "/conv1/Conv" in capsys.readouterr().out


def test_default_torch_exporter(tmp_path):
    """torch.onnx.export's default (torch.export-based, needs onnxscript) output imports the same."""
    pytest.importorskip("onnxscript")
    m, x = make("sequential")
    tr = export_model(m, x, network="sequential")
    p = tmp_path / "s.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import logging
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        torch.onnx.export(m, (x,), str(p))
    _same(tr, import_onnx(p, x.numpy()), bn_nodes=False)


@pytest.mark.parametrize("name", ["mobilenetv2", "geometry"])
def test_onnx_imported_graphs_run_every_design(name, tmp_path):
    """Depthwise convs with stride 2 (MobileNetV2), dilation, stride (2, 1), an even 'same' kernel and
    Conv1d (GeometryNet), imported from ONNX: every design and the dense baselines run every layer, and
    every dense MAC is accounted for (executed + gated + skipped + reused)."""
    from accelsim.runner import ArchSpec, build
    from accelsim.accelerators import available
    _, p, x = _export_both(name, tmp_path, False)
    ti = import_onnx(p, x.numpy())
    assert any(lt.spec.groups > 1 for lt in ti.layers) or any(lt.spec.H == 1 for lt in ti.layers)
    for arch in available() + ["scnn:dataflow=dense", "scnn:dataflow=dense_opt", "eie:dense=true"]:
        acc = build(ArchSpec.parse(arch))
        for lt in ti.layers:
            r = acc.simulate_layer(lt)
            r.check_conservation()
            assert r.cycles > 0 and r.energy > 0, (arch, lt.name)
