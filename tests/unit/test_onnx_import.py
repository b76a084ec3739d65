"""ONNX import on a graph written by hand with onnx.helper (no PyTorch): weights from Constant nodes as other
frameworks emit them, Clip as ReLU6, auto_pad SAME_LOWER, MatMul/Gemm as FC layers with a folded
BatchNormalization, ConvTranspose and a MatMul of two computed tensors in `skipped`; and bad input."""
from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from accelsim.cli import main  # noqa: E402
from accelsim.errors import TraceError  # noqa: E402
from accelsim.trace import load_trace  # noqa: E402
from accelsim.trace.onnx_import import import_onnx  # noqa: E402

RNG = np.random.default_rng(0)
W1 = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
WT = RNG.standard_normal((4, 2, 2, 2)).astype(np.float32)
W2 = RNG.standard_normal((2, 2, 3, 3)).astype(np.float32)
B3 = RNG.standard_normal((50, 6)).astype(np.float32)
GAMMA, BETA = np.linspace(0.5, 1.5, 6).astype(np.float32), np.linspace(-0.2, 0.2, 6).astype(np.float32)
MEAN, VAR = np.linspace(-0.1, 0.1, 6).astype(np.float32), np.linspace(0.5, 2.0, 6).astype(np.float32)
B4 = RNG.standard_normal((3, 6)).astype(np.float32)


def _const(name, arr):
    return helper.make_node("Constant", [], [name], name=f"const_{name}", value=numpy_helper.from_array(arr, name))


def build(path, two_inputs=False):
    nodes = [
        _const("w1", W1), _const("lo", np.array(0, np.float32)), _const("hi", np.array(6, np.float32)),
        helper.make_node("Conv", ["x", "w1"], ["y1"], name="net/conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Clip", ["y1", "lo", "hi"], ["a1"], name="net/relu6"),
        helper.make_node("ConvTranspose", ["a1", "wt"], ["up"], name="net/up", strides=[2, 2]),
        helper.make_node("Conv", ["up", "w2"], ["y2"], name="net/conv2", strides=[2, 2], auto_pad="SAME_LOWER"),
        helper.make_node("Flatten", ["y2"], ["f"], name="flat"),
        helper.make_node("MatMul", ["f", "b3"], ["y3"], name="fc/MatMul"),
        helper.make_node("BatchNormalization", ["y3", "gamma", "beta", "mean", "var"], ["n3"], name="fc/bn",
                         epsilon=1e-3),
        helper.make_node("Relu", ["n3"], ["a3"], name="fc/relu"),
        helper.make_node("Transpose", ["a3"], ["a3t"], name="t"),
        helper.make_node("MatMul", ["a3", "a3t"], ["gram"], name="gram"),
        helper.make_node("Gemm", ["a3", "b4"], ["y4"], name="head", transB=1, alpha=0.5),
    ]
    inits = [numpy_helper.from_array(a, n) for n, a in
             (("wt", WT), ("w2", W2), ("b3", B3), ("gamma", GAMMA), ("beta", BETA), ("mean", MEAN), ("var", VAR),
              ("b4", B4))]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 5, 5])]
    if two_inputs:
        inputs.append(helper.make_tensor_value_info("x2", TensorProto.FLOAT, [2]))
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ("y4", "gram")]
    g = helper.make_graph(nodes, "handmade", inputs, outs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(path))
    return path


def test_handmade_graph(tmp_path):
    """By hand: conv1 2*4*5*5*3*9 = 5,400 MACs; conv2 on the 10x10 upsampled map, stride 2, SAME_LOWER:
    E = ceil(10/2) = 5, total padding (5-1)*2 + 3 - 10 = 1, all of it at the top/left; 2*2*25*2*9 = 1,800;
    MatMul 2*6*50 = 600; Gemm 2*3*6 = 36 -> 7,836 traced.  Skipped: ConvTranspose, each of the 2*4*25 = 200
    inputs times 2 filters x 2x2 taps = 1,600; the Gram MatMul 2x2 outputs x 6 = 24.  Coverage 7,836 / 9,460."""
    x = RNG.standard_normal((2, 3, 5, 5)).astype(np.float32)
    tr = import_onnx(build(tmp_path / "h.onnx"), x)
    assert [lt.name for lt in tr.layers] == ["net/conv1", "net/conv2", "fc/MatMul", "head"]
    c1, c2, fc, head = tr.layers
    assert np.array_equal(c1.weights, W1) and c1.spec.pads == (1, 1, 1, 1) and np.array_equal(c1.inputs, x)
    assert tr.source["chain"]["net/conv1"] == ["relu6"] and c1.outputs.max() <= 6 and c1.outputs.min() >= 0
    assert (c2.spec.strides, c2.spec.pads, c2.spec.E, c2.spec.H) == ((2, 2), (1, 0, 1, 0), 5, 10)
    assert [s.macs_dense for s in (c1.spec, c2.spec, fc.spec, head.spec)] == [5400, 1800, 600, 36]
    scale = GAMMA / np.sqrt(VAR + np.float32(1e-3))
    assert np.allclose(fc.weights, B3.T * scale[:, None], rtol=1e-6) and fc.spec.C == 50
    assert tr.source["chain"]["fc/MatMul"] == ["batchnorm(fc/bn)", "relu"]
    flat = c2.outputs.reshape(2, 50)
    assert np.allclose(fc.outputs, np.maximum((flat @ B3 - MEAN) * scale + BETA, 0), atol=1e-5)
    assert np.allclose(head.weights, 0.5 * B4) and np.array_equal(head.inputs, fc.outputs)
    assert [(e["name"], e["type"], e["macs"]) for e in tr.skipped] == [("net/up", "ConvTranspose", 1600),
                                                                      ("gram", "MatMul", 24)]
    assert tr.coverage()["fraction"] == pytest.approx(7836 / 9460)


def test_cli_and_bad_input(tmp_path, capsys):
    m = build(tmp_path / "h.onnx")
    x = tmp_path / "x.npy"
    np.save(x, RNG.standard_normal((2, 3, 5, 5)).astype(np.float32))
    out = tmp_path / "h.npz"
    assert main(["trace", "import", str(m), "--input", str(x), "--out", str(out)]) == 0
    so = capsys.readouterr().out
    assert "skipped net/up [ConvTranspose]: 1,600 MACs" in so and "covers 82.8% of the model's MACs" in so
    assert load_trace(out).layers[0].name == "net/conv1"

    def bad(argv, match, code=3):
        assert main(argv) == code
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "Traceback" not in err[0] and match in err[0], err

    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((2, 3, 4, 4), np.float32))
    bad(["trace", "import", str(m), "--input", str(wrong), "--out", str(out)], "onnxruntime could not run")
    np.save(wrong, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    bad(["trace", "import", str(m), "--input", str(wrong), "--out", str(out)], "not a readable .npy")
    bad(["trace", "import", str(m), "--input", str(x), "--input-name", "y", "--out", str(out)], "no graph input 'y'")
    two = build(tmp_path / "two.onnx", two_inputs=True)
    bad(["trace", "import", str(two), "--input", str(x), "--out", str(out)], "--input-name")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00not a model" * 10)
    bad(["trace", "import", str(junk), "--input", str(x), "--out", str(out)], "junk.onnx")
    bad(["trace", "import", str(m), "--out", str(out)], "needs --input", code=2)
    bad(["trace", "import", str(tmp_path), "--input", str(x), "--out", str(out)], "--format is required", code=2)
    with pytest.raises(TraceError, match="no such file"):
        import_onnx(tmp_path / "none.onnx", np.zeros(3, np.float32))


def _light(name):
    import os
    p = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light", f"light_{name}.onnx")
    if not os.path.exists(p):
        pytest.skip(f"the onnx package has no {p}")
    return p


def test_model_zoo_resnet50_and_densenet121_from_the_onnx_package():
    """Model-zoo graphs shipped inside the onnx package (Caffe2 exports: BN as BatchNormalization or as
    BN + per-channel Mul/Add, residual adds as Sum, weights from ConstantOfShape nodes).  Counts from the
    architectures, not from accelsim:
    - ResNet-50: stem + 16 bottlenecks x 3 convs + 4 projection shortcuts + fc = 54 layers; each block's add
      (16) goes to its last conv, or to the projection conv where there is one (it runs later), so 4 block
      convs keep a BN-only output; conv-BN-ReLU: stem + 2 per block = 33.
    - DenseNet-121: 120 convs + fc; the BN-ReLU after the stem and after each of the 58 dense layers' 1x1
      conv fold (59); the pre-activation BNs before each dense layer (58), the 3 transitions and the final BN
      cannot fold into a preceding layer: 62 skipped."""
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    tr = import_onnx(_light("resnet50"), x)
    chains = [tuple("bn" if s.startswith("batchnorm(") else s for s in c) for c in tr.source["chain"].values()]
    assert len(tr.layers) == 54 and tr.layers[-1].spec.kind == "fc" and tr.skipped == []
    assert chains.count(("bn", "add", "relu")) == 16 and chains.count(("bn", "relu")) == 33
    assert chains.count(("bn",)) == 4
    tr = import_onnx(_light("densenet121"), x)
    chains = [tuple("bn" if s.startswith("batchnorm(") else s for s in c) for c in tr.source["chain"].values()]
    assert len(tr.layers) == 121 and chains.count(("bn", "scale", "bias", "relu")) == 59
    assert len(tr.skipped) == 62 and {e["type"] for e in tr.skipped} == {"BatchNormalization"}
