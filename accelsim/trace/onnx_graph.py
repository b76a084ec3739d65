"""Reading an ONNX graph for the importer: constants, consumers, and each weighted node's fused chain.

The chain rules are those of the PyTorch exporter (``accelsim.export.chains``), applied to the graph:
after a Conv/Gemm/MatMul, a BatchNormalization with constant parameters that is its output's only consumer
is folded; then elementwise activations (single nodes, or the patterns exporters emit for SiLU
``x * Sigmoid(x)``, Hardswish ``x * HardSigmoid(x)`` and exact GELU ``0.5 * x * (1 + Erf(x / sqrt 2))``);
then at most one residual ``Add`` of two same-shaped tensors, followed by more activations.  A tensor that
has any other consumer (or is a graph output) ends the chain there, since it must be written to memory.
When both operands of an Add end chains, the add joins the weighted node that comes later in the graph.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

SINGLE_ACTIVATIONS = {"Relu": "relu", "LeakyRelu": "leaky_relu", "PRelu": "prelu", "HardSwish": "hardswish",
                      "HardSigmoid": "hardsigmoid", "Gelu": "gelu", "Clip": "clip"}


@dataclass
class Graph:
    """An ONNX graph indexed for the importer."""

    nodes: list[Any]
    consts: dict[str, np.ndarray]
    consumers: dict[str, list[int]]
    outputs: set[str]
    producer: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, graph: Any) -> "Graph":
        from onnx import numpy_helper
        consts = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        nodes = list(graph.node)
        consumers: dict[str, list[int]] = {}
        producer: dict[str, int] = {}
        for i, n in enumerate(nodes):
            if n.op_type == "Constant" and n.output:
                v = _constant_value(n)
                if v is not None:
                    consts[n.output[0]] = v
            if n.op_type == "Identity" and n.input and n.input[0] in consts:
                consts[n.output[0]] = consts[n.input[0]]
            for t in n.input:
                if t:
                    consumers.setdefault(t, []).append(i)
            for t in n.output:
                producer[t] = i
        return cls(nodes, consts, consumers, {o.name for o in graph.output}, producer)

    def add_computed_constants(self, values: dict[str, np.ndarray]) -> None:
        """Tensors computed from constants only (e.g. ``weight_orig * weight_mask`` of a pruned PyTorch layer
        exported without constant folding) count as constants; their values come from the inference."""
        static = set(self.consts)
        for n in self.nodes:
            if n.op_type.startswith("Random") or n.op_type in ("Multinomial", "Bernoulli"):
                continue
            ins = [t for t in n.input if t]
            if ins and all(t in static for t in ins):
                for t in n.output:
                    static.add(t)
                    if t not in self.consts and t in values:
                        self.consts[t] = values[t]

    def only_consumer(self, t: str) -> Any | None:
        """The one node reading ``t``, or None when ``t`` has several readers or is a graph output."""
        c = self.consumers.get(t, [])
        if len(c) != 1 or t in self.outputs:
            return None
        return self.nodes[c[0]]

    def readers(self, t: str) -> list[Any]:
        return [self.nodes[i] for i in self.consumers.get(t, [])]

    def const(self, t: str) -> np.ndarray | None:
        return self.consts.get(t) if t else None


def attrs(node: Any) -> dict[str, Any]:
    from onnx import helper
    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


def _constant_value(node: Any) -> np.ndarray | None:
    from onnx import numpy_helper
    for a in node.attribute:
        if a.name == "value":
            return numpy_helper.to_array(a.t)
        if a.name in ("value_float", "value_int"):
            return np.array(a.f if a.name == "value_float" else a.i)
        if a.name in ("value_floats", "value_ints"):
            return np.array(list(a.floats) if a.name == "value_floats" else list(a.ints))
    return None


def _scalar(g: Graph, t: str) -> float | None:
    v = g.const(t)
    if v is None or v.size != 1:
        return None
    return float(v.reshape(-1)[0])


def _other(node: Any, t: str) -> str | None:
    ins = [x for x in node.input]
    if len(ins) != 2 or t not in ins:
        return None
    return ins[1] if ins[0] == t else ins[0]


def match_activation(g: Graph, t: str) -> tuple[str, str] | None:
    """(label, output tensor) of an elementwise activation applied to ``t`` as its only use, else None."""
    if t in g.outputs:
        return None
    readers = g.readers(t)
    if len(readers) == 1 and readers[0].op_type in SINGLE_ACTIVATIONS and readers[0].input[0] == t:
        n = readers[0]
        label = SINGLE_ACTIVATIONS[n.op_type]
        if n.op_type == "Clip":
            a = attrs(n)
            lo = _scalar(g, n.input[1]) if len(n.input) > 1 and n.input[1] else a.get("min")
            hi = _scalar(g, n.input[2]) if len(n.input) > 2 and n.input[2] else a.get("max")
            if (len(n.input) > 1 and n.input[1] and lo is None) or (len(n.input) > 2 and n.input[2] and hi is None):
                return None  # bounds that are not constants
            if lo == 0.0 and hi is None:
                label = "relu"
            elif lo == 0.0 and hi == 6.0:
                label = "relu6"
            else:
                label = f"hardtanh({lo if lo is not None else float('-inf'):g},{hi if hi is not None else float('inf'):g})"
        return label, n.output[0]
    if len(readers) == 2:
        return _match_gated(g, t, readers) or _match_gelu(g, t, readers)
    return None


def _match_gated(g: Graph, t: str, readers: list[Any]) -> tuple[str, str] | None:
    """x * Sigmoid(x) (SiLU) or x * HardSigmoid(x) (Hardswish, with HardSigmoid's 1/6 and 0.5)."""
    gate = next((n for n in readers if n.op_type in ("Sigmoid", "HardSigmoid") and n.input[0] == t), None)
    mul = next((n for n in readers if n.op_type == "Mul"), None)
    if gate is None or mul is None or g.only_consumer(gate.output[0]) is not mul:
        return None
    if _other(mul, t) != gate.output[0]:
        return None
    if gate.op_type == "Sigmoid":
        return "silu", mul.output[0]
    a = attrs(gate)
    if abs(a.get("alpha", 0.2) - 1 / 6) < 1e-6 and abs(a.get("beta", 0.5) - 0.5) < 1e-6:
        return "hardswish", mul.output[0]
    return None


def _match_gelu(g: Graph, t: str, readers: list[Any]) -> tuple[str, str] | None:
    """Exact GELU as exporters emit it: Div(x, sqrt 2) -> Erf -> Add 1 -> Mul(x, .) -> Mul 0.5."""
    div = next((n for n in readers if n.op_type == "Div" and n.input[0] == t), None)
    mul = next((n for n in readers if n.op_type == "Mul"), None)
    if div is None or mul is None or _scalar(g, div.input[1]) is None:
        return None
    if abs(_scalar(g, div.input[1]) - np.sqrt(2.0)) > 1e-3:
        return None
    erf = g.only_consumer(div.output[0])
    add = g.only_consumer(erf.output[0]) if erf is not None and erf.op_type == "Erf" else None
    if add is None or add.op_type != "Add" or _scalar(g, _other(add, erf.output[0]) or "") != 1.0:
        return None
    if g.only_consumer(add.output[0]) is not mul or _other(mul, t) != add.output[0]:
        return None
    half = g.only_consumer(mul.output[0])
    if half is None or half.op_type != "Mul" or _scalar(g, _other(half, mul.output[0]) or "") != 0.5:
        return None
    return "gelu", half.output[0]


@dataclass
class Chain:
    """A weighted node's fused chain: its steps, the folded BatchNorm node (if any), the per-filter constant
    scales folded after it, and its end tensor."""

    node_index: int
    end: str
    steps: list[str] = field(default_factory=list)
    bn: Any = None
    scales: list[np.ndarray] = field(default_factory=list)


def _per_filter(c: np.ndarray | None, rank: int, m: int) -> np.ndarray | None:
    """``c`` as one value per filter when it broadcasts along axis 1 of a rank-``rank`` tensor with ``m``
    filters (a scalar, or shape (m,1,..) / (1,m,1,..)), else None."""
    if c is None or c.dtype.kind != "f":
        return None
    if c.size == 1:
        return np.full(m, float(c.reshape(-1)[0]), dtype=np.float32)
    shape = (1,) * (rank - c.ndim) + tuple(c.shape)
    if len(shape) != rank or rank < 2 or shape[1] != m or any(d != 1 for i, d in enumerate(shape) if i != 1):
        return None
    return c.reshape(m).astype(np.float32)


def walk(g: Graph, chain: Chain, allow_bn: bool, shapes: dict[str, tuple[int, ...]] | None = None) -> None:
    """Extend ``chain`` with a folded BatchNorm (if allowed and present), per-filter constant scales and
    biases (``Mul``/``Add`` by a constant, as Caffe2-style graphs write BN's affine part), and the
    activations after them."""
    if allow_bn:
        n = g.only_consumer(chain.end)
        if (n is not None and n.op_type == "BatchNormalization" and n.input[0] == chain.end
                and all(g.const(x) is not None for x in n.input[1:5]) and not attrs(n).get("training_mode", 0)
                and len(n.output) >= 1):
            chain.bn = n
            chain.steps.append(f"batchnorm({n.name or 'BatchNormalization'})")
            chain.end = n.output[0]
        shape = (shapes or {}).get(chain.end)
        while shape is not None and len(shape) >= 2:
            n = g.only_consumer(chain.end)
            if n is None or n.op_type not in ("Mul", "Add") or len(n.input) != 2:
                break
            c = _per_filter(g.const(_other(n, chain.end) or ""), len(shape), shape[1])
            if c is None or (shapes or {}).get(n.output[0]) != shape:
                break
            if n.op_type == "Mul":
                chain.scales.append(c)
                chain.steps.append("scale")
            else:
                chain.steps.append("bias")
            chain.end = n.output[0]
    while True:
        act = match_activation(g, chain.end)
        if act is None:
            return
        chain.steps.append(act[0])
        chain.end = act[1]


def assign_adds(g: Graph, chains: list[Chain], shapes: dict[str, tuple[int, ...]]) -> None:
    """Give each residual Add (or two-input Sum) to the later of the chains ending in its operands; continue
    its activations."""
    by_end: dict[str, list[Chain]] = {}
    for c in chains:
        by_end.setdefault(c.end, []).append(c)
    for n in g.nodes:
        if n.op_type not in ("Add", "Sum") or len(n.input) != 2:
            continue
        a, b = n.input
        if g.const(a) is not None or g.const(b) is not None:
            continue
        if not (shapes.get(a) == shapes.get(b) == shapes.get(n.output[0]) is not None):
            continue
        cands = [c for t in (a, b) for c in by_end.get(t, [])
                 if g.only_consumer(t) is n and "add" not in c.steps]
        if not cands:
            continue
        c = max(cands, key=lambda c: c.node_index)
        c.steps.append("add")
        c.end = n.output[0]
        walk(g, c, allow_bn=False)
