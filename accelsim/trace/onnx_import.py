"""ONNX models as traces: ``accelsim trace import MODEL.onnx --input INPUT.npy --out T.npz``.

Needs the optional extra ``onnx`` (``pip install 'accelsim[onnx]'``: onnx and onnxruntime).

The graph is run once by onnxruntime on the given input, with every intermediate tensor added as a graph
output, so each layer's inputs and outputs are the real tensors of one inference.  Layers, in graph order:

- **Conv** (1-D or 2-D) with constant weights: strides, dilations, ``pads`` (``[top, left, bottom, right]``)
  or ``auto_pad`` (SAME_UPPER / SAME_LOWER / VALID), groups.  A 1-D Conv is a conv of height 1.
- **Gemm** with a constant B (``transA``/``transB`` and ``alpha`` applied) and **MatMul** with a constant
  2-D right operand: FC layers; inputs of more than 2 dimensions are flattened to a batch of rows.

Constant weights are initializers, the outputs of ``Constant`` nodes, or tensors computed from constants
only (an ``Identity``, or a pruned PyTorch layer's ``weight_orig * weight_mask`` exported without constant
folding), as exporters of various frameworks produce them.  A BatchNormalization with constant parameters directly after
a layer is folded into its weights; the recorded output is what the layer writes to memory: after the
folded BN, a residual Add and the activations that follow (rules in :mod:`accelsim.trace.onnx_graph`).
Biases are not part of a trace.  Every other node that holds weights or does MACs (ConvTranspose, 3-D
Conv, a MatMul of two computed tensors, LSTM/GRU/RNN, a BatchNormalization that cannot be folded,
normalization layers, Gather on a constant table) is listed in the trace's ``skipped`` record with its
MACs where defined.  Layers are named by their node names (e.g. ``/layer1/layer1.0/conv1/Conv``).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from accelsim.errors import ConfigError, TraceError
from accelsim.trace.format import MAX_NAME_CHARS, LayerSpec, LayerTrace, Trace

WEIGHTED_SKIPPED = {"ConvTranspose", "LSTM", "GRU", "RNN", "Einsum", "ConvInteger", "MatMulInteger",
                    "QLinearConv", "QLinearMatMul", "InstanceNormalization", "LayerNormalization",
                    "GroupNormalization", "BatchNormalization", "Gather", "Conv", "Gemm", "MatMul"}


def _need_onnx() -> tuple[Any, Any]:
    try:
        import onnx
        import onnxruntime
    except ImportError:
        raise ConfigError("ONNX import needs the optional extra 'onnx': pip install 'accelsim[onnx]' "
                          "(onnx and onnxruntime)") from None
    return onnx, onnxruntime


def load_input(path: str | os.PathLike[str]) -> np.ndarray:
    """The model input from a ``.npy`` file (never unpickled); errors name the file."""
    p = Path(path)
    if not p.exists():
        raise TraceError(f"{p}: no such file")
    try:
        a = np.load(p, allow_pickle=False)
    except Exception as e:  # ValueError (pickled), OSError, EOFError, BadZipFile...
        msg = (str(e).splitlines() or [type(e).__name__])[0][:160]
        raise TraceError(f"{p}: not a readable .npy array ({msg})") from None
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "fiub" or a.dtype == np.bool_:
        raise TraceError(f"{p}: the input must be a numeric .npy array")
    return a


def import_onnx(model: str | os.PathLike[str], inputs: np.ndarray, input_name: str | None = None,
                network: str | None = None, source: dict[str, Any] | None = None) -> Trace:
    """Run the ONNX ``model`` once on ``inputs`` and return its Conv/Gemm/MatMul layers as a Trace."""
    onnx, ort = _need_onnx()
    from accelsim.trace.onnx_graph import Chain, Graph, assign_adds, attrs, walk
    path = str(model)
    if not os.path.isfile(path):
        raise TraceError(f"{path}: no such file")
    try:
        mp = onnx.load(path)
    except Exception as e:
        raise TraceError(f"{path}: not a readable ONNX model ({_short(e)})") from None
    g = Graph.build(mp.graph)
    feeds = [i for i in mp.graph.input if i.name not in g.consts]
    names = [i.name for i in feeds]
    if input_name is None:
        if len(feeds) != 1:
            raise TraceError(f"{path}: the model has {len(feeds)} inputs ({', '.join(names)}): name the one to "
                             "feed with --input-name (accelsim feeds exactly one)")
        input_name = names[0]
    elif input_name not in names:
        raise TraceError(f"{path}: field 'input-name': no graph input {input_name!r} (the model has "
                         f"{', '.join(names) or 'none'})")
    if len(feeds) > 1:
        raise TraceError(f"{path}: the model has {len(feeds)} inputs ({', '.join(names)}); accelsim feeds one")
    if not isinstance(inputs, np.ndarray) or inputs.dtype.kind not in "fiu":
        raise TraceError(f"{path}: field 'input' must be a numeric numpy array")
    values = _run(onnx, ort, mp, path, input_name, inputs)
    g.add_computed_constants(values)
    shapes = {k: tuple(v.shape) for k, v in values.items()}

    weighted, skipped = [], []
    for i, n in enumerate(g.nodes):
        kind = _traceable(g, n, shapes)
        if kind:
            weighted.append((i, n, kind))
    chains = []
    for i, n, kind in weighted:
        c = Chain(i, n.output[0])
        # a BN folds along axis 1, which is the filters only for conv outputs and 2-D (rows, M) products
        walk(g, c, allow_bn=kind == "conv" or len(shapes.get(n.output[0], ())) == 2, shapes=shapes)
        chains.append(c)
    assign_adds(g, chains, shapes)
    folded = {id(c.bn) for c in chains if c.bn is not None}
    traced = {i for i, _, _ in weighted}
    for i, n in enumerate(g.nodes):
        if i in traced or n.op_type not in WEIGHTED_SKIPPED or id(n) in folded:
            continue
        entry = _skipped(g, n, shapes)
        if entry is not None:
            skipped.append(entry)

    layers, src_chain, src_bn, src_bias, used = [], {}, {}, {}, set()
    for (i, n, kind), c in zip(weighted, chains):
        name = _unique(n.name or f"{n.op_type}_{i}", used)
        try:
            lt = _layer(g, n, kind, c, name, values, attrs(n))
        except TraceError as e:
            raise TraceError(f"{path}: {e}") from None
        layers.append(lt)
        src_chain[name] = list(c.steps)
        src_bn[name] = (c.bn.name or "BatchNormalization") if c.bn is not None else None
        src_bias[name] = c.bn is not None or "bias" in c.steps or (len(n.input) > 2 and bool(n.input[2]))
    if not layers:
        raise TraceError(f"{path}: no Conv, Gemm or MatMul with constant weights in the graph")
    src: dict[str, Any] = dict(source or {})
    src.setdefault("importer", "accelsim.trace.onnx_import")
    src.setdefault("model", os.path.basename(path))
    src.setdefault("producer", f"{mp.producer_name} {mp.producer_version}".strip())
    src.setdefault("opset", max((o.version for o in mp.opset_import if o.domain in ("", "ai.onnx")), default=None))
    src.setdefault("input", input_name)
    src.setdefault("batch", int(inputs.shape[0]) if inputs.ndim else 1)
    src.setdefault("weight_sparsity", {lt.name: float(np.mean(lt.weights == 0)) for lt in layers})
    src.setdefault("input_density", {lt.name: float(np.mean(lt.inputs != 0)) for lt in layers})
    src.setdefault("activation", {k: _last_activation(v) for k, v in src_chain.items()})
    src.setdefault("chain", src_chain)
    src.setdefault("folded_bn", src_bn)
    src.setdefault("has_bias", src_bias)
    net = network or (mp.graph.name if mp.graph.name and mp.graph.name not in ("main_graph", "torch_jit")
                      else Path(path).stem)
    return Trace(network=net, layers=layers, source=src, skipped=skipped)


def _short(e: BaseException) -> str:
    return (str(e).splitlines() or [type(e).__name__])[0][:200]


def _last_activation(chain: list[str]) -> str:
    acts = [s for s in chain if s != "add" and not s.startswith("batchnorm(")]
    return acts[-1] if acts else "none"


def _unique(name: str, used: set[str]) -> str:
    name = "".join(ch if ord(ch) >= 32 and ord(ch) != 127 else "?" for ch in name)[:MAX_NAME_CHARS - 8]
    out, k = name, 2
    while out in used:
        out, k = f"{name}#{k}", k + 1
    used.add(out)
    return out


def _run(onnx: Any, ort: Any, mp: Any, path: str, input_name: str, x: np.ndarray) -> dict[str, np.ndarray]:
    """Every numeric tensor of one inference, by name (the graph gains each intermediate as an output)."""
    m = onnx.ModelProto()
    m.CopyFrom(mp)
    have = {o.name for o in m.graph.output}
    consts = {t.name for t in m.graph.initializer}
    for n in m.graph.node:
        if n.op_type == "Constant":
            continue
        for t in n.output:
            if t and t not in have and t not in consts:
                m.graph.output.append(onnx.ValueInfoProto(name=t))
                have.add(t)
    want = next(i for i in mp.graph.input if i.name == input_name)
    elem = want.type.tensor_type.elem_type
    dtype = onnx.helper.tensor_dtype_to_np_dtype(elem) if elem else np.float32
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    try:
        sess = ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        names = [o.name for o in sess.get_outputs()]
        res = sess.run(names, {input_name: x.astype(dtype, copy=False)})
    except Exception as e:
        raise TraceError(f"{path}: onnxruntime could not run the model on an input of shape {x.shape} and dtype "
                         f"{x.dtype} ({_short(e)})") from None
    out = {input_name: x.astype(dtype, copy=False)}
    for k, v in zip(names, res):
        if isinstance(v, np.ndarray) and v.dtype.kind in "fiu":
            out[k] = v
    return out


def _traceable(g: Any, n: Any, shapes: dict[str, tuple[int, ...]]) -> str | None:
    """'conv' / 'gemm' / 'matmul' when the node becomes a trace layer, else None."""
    if n.op_type == "Conv" and len(n.input) >= 2 and g.const(n.input[1]) is not None:
        w = g.const(n.input[1])
        return "conv" if w.ndim in (3, 4) and shapes.get(n.input[0]) is not None else None
    if n.op_type == "Gemm" and len(n.input) >= 2 and g.const(n.input[1]) is not None:
        return "gemm" if g.const(n.input[1]).ndim == 2 and shapes.get(n.input[0]) is not None else None
    if n.op_type == "MatMul" and len(n.input) == 2 and g.const(n.input[1]) is not None \
            and g.const(n.input[0]) is None:
        return "matmul" if g.const(n.input[1]).ndim == 2 and len(shapes.get(n.input[0], ())) >= 1 else None
    return None


def _skipped(g: Any, n: Any, shapes: dict[str, tuple[int, ...]]) -> dict[str, Any] | None:
    """The ``skipped`` entry of a node that holds weights or does MACs but is not a layer, else None."""
    out = shapes.get(n.output[0]) if n.output else None
    x = shapes.get(n.input[0]) if n.input else None
    macs, why = None, "not a Conv/Gemm/MatMul layer with constant weights"
    t = n.op_type
    if t == "Gather":
        if g.const(n.input[0]) is None or g.const(n.input[0]).ndim < 2:
            return None  # an index lookup in computed data, not a weight table
        why = "a lookup in a constant table (embedding): no MACs"
    elif t == "BatchNormalization":
        why = "BatchNormalization not directly after a layer (or with computed parameters): not folded"
    elif t in ("Conv", "ConvTranspose") and len(n.input) > 1:
        w = shapes.get(n.input[1]) or (g.const(n.input[1]).shape if g.const(n.input[1]) is not None else None)
        grp = int(next((a.i for a in n.attribute if a.name == "group"), 1))
        if w is not None and out is not None and x is not None:
            k = int(np.prod(w[2:]))
            macs = int(np.prod(out)) * int(w[1]) * k if t == "Conv" else int(np.prod(x)) * int(w[1]) * k
        why = ("weights are computed, not constant" if t == "Conv" and g.const(n.input[1]) is None
               else "3-D convolution" if t == "Conv" else "transposed convolution")
        del grp
    elif t in ("MatMul", "Gemm"):
        a = shapes.get(n.input[0])
        if a is not None and out is not None:
            trans_a = t == "Gemm" and any(at.name == "transA" and at.i for at in n.attribute)
            k = a[-2] if trans_a else a[-1]
            macs = int(np.prod(out)) * int(k)
        why = "both operands are computed (no constant weights)"
    return {"name": n.name or t, "type": t, "macs": macs, "reason": why}


def _layer(g: Any, n: Any, kind: str, c: Any, name: str, values: dict[str, np.ndarray],
           a: dict[str, Any]) -> LayerTrace:
    x = values.get(n.input[0])
    y = values.get(c.end)
    if x is None or y is None:
        raise TraceError(f"layer {name!r}: its input or output tensor was not produced by the inference")
    w = np.asarray(g.const(n.input[1]), dtype=np.float32)
    if kind == "conv":
        nd = w.ndim - 2
        if x.ndim != nd + 2:
            raise TraceError(f"layer {name!r}: field 'inputs' must be {nd + 2}-D, got shape {x.shape}")
        k = list(w.shape[2:])
        st = list(a.get("strides", [1] * nd))
        dil = list(a.get("dilations", [1] * nd))
        pads = list(a.get("pads", [0] * (2 * nd)))
        auto = a.get("auto_pad", "NOTSET")
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            pads = [0] * (2 * nd)
            for d in range(nd):
                size = x.shape[2 + d]
                total = max((-(-size // st[d]) - 1) * st[d] + (k[d] - 1) * dil[d] + 1 - size, 0)
                lo = total // 2 if auto == "SAME_UPPER" else total - total // 2
                pads[d], pads[nd + d] = lo, total - lo
        elif auto == "VALID":
            pads = [0] * (2 * nd)
        if nd == 1:
            x, y, w = x[:, :, None, :], y[:, :, None, :] if y.ndim == 3 else y, w[:, :, None, :]
            k, st, dil, pads = [1] + k, [1] + st, [1] + dil, [0, pads[0], 0, pads[1]]
        w = w * _scale(g, c, w.shape[0], name).reshape(-1, 1, 1, 1)
        N, C, H, W = x.shape
        spec = LayerSpec(name, "conv", N, C, H, W, w.shape[0], k[0], k[1], stride=tuple(st),
                         padding=(pads[0], pads[2], pads[1], pads[3]), dilation=tuple(dil),
                         groups=int(a.get("group", 1)))
    else:
        if kind == "gemm":
            if a.get("transA", 0):
                x = x.T
            wt = w if a.get("transB", 0) else w.T
            wt = wt * np.float32(a.get("alpha", 1.0))
        else:
            wt = w.T
        C = wt.shape[1]
        x = x.reshape(-1, C)
        wt = wt * _scale(g, c, wt.shape[0], name).reshape(-1, 1)
        w = wt
        spec = LayerSpec(name, "fc", x.shape[0], C, 1, 1, w.shape[0], 1, 1)
    try:
        y = y.reshape(spec.output_shape)
    except ValueError:
        raise TraceError(f"layer {name!r}: array 'outputs' has shape {values[c.end].shape}, the layer gives "
                         f"{spec.output_shape}") from None
    return LayerTrace(spec, np.ascontiguousarray(w, dtype=np.float32), x, y)


def _scale(g: Any, c: Any, m: int, name: str) -> np.ndarray:
    """The per-filter factor folded into the weights: the BatchNormalization's gamma / sqrt(var + eps) (if
    any) times the constant scales after it."""
    s = _bn_scale(g, c.bn, m, name) if c.bn is not None else np.ones(m, np.float32)
    for f in c.scales:
        s = s * f
    return s


def _bn_scale(g: Any, bn: Any, m: int, name: str) -> np.ndarray:
    """gamma / sqrt(var + eps) of a BatchNormalization, one value per filter."""
    from accelsim.trace.onnx_graph import attrs
    gamma, var = (np.asarray(g.const(bn.input[i]), dtype=np.float32) for i in (1, 4))
    eps = np.float32(attrs(bn).get("epsilon", 1e-5))
    if gamma.shape != (m,) or var.shape != (m,):
        raise TraceError(f"layer {name!r}: BatchNormalization {bn.name!r} has {gamma.size} channels, "
                         f"the layer has {m} filters")
    return gamma / np.sqrt(var + eps)
