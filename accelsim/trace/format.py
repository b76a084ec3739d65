"""Trace format version 1: the in-memory types (see DESIGN.md section 3).

Dimension glossary (Eyeriss's, used everywhere in accelsim):
N batch, C input channels, H x W input size (before padding), M filters (output channels),
R x S filter size, E x F output size (derived, never read from a file), groups for grouped convolution.

An FC layer is the 1x1 case: H = W = R = S = 1, stride 1, padding 0; its arrays are 2-D.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from accelsim.errors import TraceError

FORMAT_NAME = "accelsim-trace"
FORMAT_VERSION = 1
LAYER_KINDS = ("conv", "fc")
INT_FIELDS = ("N", "C", "H", "W", "M", "R", "S", "stride", "padding", "groups")
LAYER_FIELDS = ("name", "kind") + INT_FIELDS


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


@dataclass(frozen=True)
class LayerSpec:
    """Shape of one conv or FC layer.  Validates itself; errors name the layer and field."""

    name: str
    kind: str
    N: int
    C: int
    H: int
    W: int
    M: int
    R: int
    S: int
    stride: int = 1
    padding: int = 0
    groups: int = 1

    def __post_init__(self) -> None:
        where = f"layer {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise TraceError(f"layer name must be a non-empty string, got {self.name!r}")
        if "/" in self.name or "\\" in self.name:
            raise TraceError(f"{where}: field 'name' must not contain '/' or '\\'")
        if self.kind not in LAYER_KINDS:
            raise TraceError(f"{where}: field 'kind' must be one of {LAYER_KINDS}, got {self.kind!r}")
        for f in INT_FIELDS:
            v = getattr(self, f)
            if not _is_int(v):
                raise TraceError(f"{where}: field {f!r} must be an integer, got {v!r}")
            object.__setattr__(self, f, int(v))
            lo = 0 if f == "padding" else 1
            if int(v) < lo:
                raise TraceError(f"{where}: field {f!r} must be >= {lo}, got {v}")
        if self.kind == "fc":
            for f, want in (("H", 1), ("W", 1), ("R", 1), ("S", 1), ("stride", 1), ("padding", 0), ("groups", 1)):
                if getattr(self, f) != want:
                    raise TraceError(f"{where}: fc layer needs {f}={want}, got {getattr(self, f)}")
        if self.C % self.groups or self.M % self.groups:
            raise TraceError(f"{where}: field 'groups'={self.groups} must divide C={self.C} and M={self.M}")
        if self.H + 2 * self.padding < self.R or self.W + 2 * self.padding < self.S:
            raise TraceError(
                f"{where}: filter {self.R}x{self.S} larger than padded input "
                f"{self.H + 2 * self.padding}x{self.W + 2 * self.padding} (fields R, S, H, W, padding)")

    # ---- derived sizes -------------------------------------------------------------------------
    @property
    def E(self) -> int:
        """Output rows."""
        return (self.H + 2 * self.padding - self.R) // self.stride + 1

    @property
    def F(self) -> int:
        """Output columns."""
        return (self.W + 2 * self.padding - self.S) // self.stride + 1

    @property
    def Cg(self) -> int:
        """Input channels per group (the depth of one filter)."""
        return self.C // self.groups

    @property
    def Mg(self) -> int:
        """Filters per group."""
        return self.M // self.groups

    @property
    def weight_shape(self) -> tuple[int, ...]:
        return (self.M, self.C) if self.kind == "fc" else (self.M, self.Cg, self.R, self.S)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.N, self.C) if self.kind == "fc" else (self.N, self.C, self.H, self.W)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.N, self.M) if self.kind == "fc" else (self.N, self.M, self.E, self.F)

    @property
    def macs_dense(self) -> int:
        """Multiply-accumulates of the dense layer, padding positions included (what a dense array runs)."""
        return self.N * self.M * self.E * self.F * self.Cg * self.R * self.S

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in LAYER_FIELDS}

    @classmethod
    def from_dict(cls, d: Any, where: str = "") -> "LayerSpec":
        prefix = f"{where}: " if where else ""
        if not isinstance(d, dict):
            raise TraceError(f"{prefix}each manifest layer must be a JSON object, got {type(d).__name__}")
        name = d.get("name", "?")
        missing = [f for f in ("name", "kind", "N", "C", "M") if f not in d]
        if d.get("kind") == "conv":
            missing += [f for f in ("H", "W", "R", "S") if f not in d]
        if missing:
            raise TraceError(f"{prefix}layer {name!r}: missing field(s) {', '.join(missing)}")
        unknown = sorted(set(d) - set(LAYER_FIELDS))
        if unknown:
            raise TraceError(f"{prefix}layer {name!r}: unknown field(s) {', '.join(unknown)}")
        kw = {f: d[f] for f in LAYER_FIELDS if f in d}
        if d.get("kind") == "fc":
            for f, v in (("H", 1), ("W", 1), ("R", 1), ("S", 1)):
                kw.setdefault(f, v)
        try:
            return cls(**kw)
        except TraceError as e:
            raise TraceError(f"{prefix}{e}") from None


@dataclass
class LayerTrace:
    """One layer's shape and tensors: weights, inputs and optionally outputs (float32 arrays)."""

    spec: LayerSpec
    weights: np.ndarray
    inputs: np.ndarray
    outputs: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.weights = _check_array(self.weights, self.spec.weight_shape, self.spec.name, "weights")
        self.inputs = _check_array(self.inputs, self.spec.input_shape, self.spec.name, "inputs")
        if self.outputs is not None:
            self.outputs = _check_array(self.outputs, self.spec.output_shape, self.spec.name, "outputs")

    @property
    def name(self) -> str:
        return self.spec.name

    def inputs_nchw(self) -> np.ndarray:
        """Inputs as (N, C, H, W) whatever the layer kind (FC inputs become (N, C, 1, 1))."""
        return self.inputs.reshape(self.spec.N, self.spec.C, self.spec.H, self.spec.W)

    def weights_mcrs(self) -> np.ndarray:
        """Weights as (M, C/groups, R, S) whatever the layer kind."""
        s = self.spec
        return self.weights.reshape(s.M, s.Cg, s.R, s.S)


def _check_array(a: Any, shape: tuple[int, ...], layer: str, fld: str) -> np.ndarray:
    where = f"layer {layer!r}: array {fld!r}"
    if not isinstance(a, np.ndarray):
        raise TraceError(f"{where} must be a numpy array, got {type(a).__name__}")
    if a.dtype.kind not in "fiu" or a.dtype == np.bool_:
        raise TraceError(f"{where} must hold numbers, got dtype {a.dtype}")
    if tuple(a.shape) != tuple(shape):
        raise TraceError(f"{where} has shape {tuple(a.shape)}, the manifest says {tuple(shape)}")
    a = np.ascontiguousarray(a, dtype=np.float32)
    if not np.isfinite(a).all():
        bad = int(np.size(a) - np.isfinite(a).sum())
        raise TraceError(f"{where} holds {bad} NaN or infinite value(s)")
    return a


@dataclass
class Trace:
    """A network's layers in order, with a free-form ``source`` record of how the trace was made."""

    network: str
    layers: list[LayerTrace]
    source: dict[str, Any] = field(default_factory=dict)
    path: str | None = None

    def __post_init__(self) -> None:
        names = [lt.name for lt in self.layers]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise TraceError(f"duplicate layer name(s) {dup}")
        if not self.layers:
            raise TraceError("a trace needs at least one layer")

    @property
    def synthetic(self) -> bool:
        return bool(self.source.get("synthetic", False))

    def layer(self, name: str) -> LayerTrace:
        for lt in self.layers:
            if lt.name == name:
                return lt
        raise TraceError(f"no layer named {name!r} in trace {self.network!r}")

    def manifest(self) -> dict[str, Any]:
        return {"format": FORMAT_NAME, "version": FORMAT_VERSION, "network": self.network,
                "source": self.source, "layers": [lt.spec.to_dict() for lt in self.layers]}

    def select(self, names: list[str]) -> "Trace":
        return dataclasses.replace(self, layers=[self.layer(n) for n in names])
