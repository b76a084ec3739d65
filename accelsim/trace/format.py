"""Trace format (version 2; version 1 files still load): the in-memory types (see the README, "Traces").

(Over ~400 lines on purpose: LayerSpec's geometry, the per-field validation of every manifest entry and
the in-memory types are one schema; the file I/O is in io.py.)

Dimension glossary (Eyeriss's, used everywhere in accelsim):
N batch, C input channels, H x W input size (before padding), M filters (output channels),
R x S filter size, E x F output size (derived, never read from a file), groups for grouped convolution.

Geometry, per axis (height, width):
- ``stride_h``, ``stride_w``: the step between output positions;
- ``dilation_h``, ``dilation_w``: the spacing of filter taps (1 = dense filter);
- ``pad_top``, ``pad_bottom``, ``pad_left``, ``pad_right``: zero rows/columns added around the input.
So ``E = (H + pad_top + pad_bottom - dilation_h*(R-1) - 1) // stride_h + 1`` (F alike), as PyTorch computes.

A Conv1d is a conv of height 1 (H = R = 1, stride_h = dilation_h = 1, no top/bottom padding).
An FC layer is the 1x1 case: H = W = R = S = 1, stride 1, no dilation or padding; its arrays are 2-D.

``LayerSpec(..., stride=2, padding=1)`` still builds a symmetric layer, and ``stride``/``padding`` may also be
given per axis: ``stride=(2, 1)``, ``padding=(1, 0)`` (height, width) or ``(top, bottom, left, right)``,
``dilation=2`` or ``(2, 1)``; or the per-axis keywords directly.  The legacy accessors ``.stride`` and
``.padding`` answer only for a *symmetric* layer (one stride, one padding on all four sides, no dilation):
for any other layer they raise a TraceError naming the layer, so code that has not learnt the per-axis
geometry refuses such a layer instead of simulating the wrong one.

Layer names are display names: any non-empty string without control characters (``/``, spaces and digits
included).  Trace files key their arrays by layer index, never by name (``io.py``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from accelsim.errors import TraceError

FORMAT_NAME = "accelsim-trace"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2, 3)  # 3 = 2 plus packed sparse members (trace/packed.py)
LAYER_KINDS = ("conv", "fc")
SHAPE_FIELDS = ("N", "C", "H", "W", "M", "R", "S", "groups")
GEOMETRY_FIELDS = ("stride_h", "stride_w", "dilation_h", "dilation_w",
                   "pad_top", "pad_bottom", "pad_left", "pad_right")
INT_FIELDS = SHAPE_FIELDS + GEOMETRY_FIELDS
#: Manifest fields of a layer, per format version (v2 stores stride/dilation as [h, w] and padding as
#: [top, bottom, left, right]; a plain integer is accepted as the symmetric case).
LAYER_FIELDS_V1 = ("name", "kind", "N", "C", "H", "W", "M", "R", "S", "stride", "padding", "groups")
LAYER_FIELDS_V2 = ("name", "kind", "N", "C", "H", "W", "M", "R", "S", "groups", "stride", "dilation", "padding")
LAYER_FIELDS = LAYER_FIELDS_V2
SKIPPED_FIELDS = ("name", "type", "macs", "reason")
MAX_NAME_CHARS = 256


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _check_name(name: Any, what: str = "layer name") -> None:
    if not isinstance(name, str) or not name:
        raise TraceError(f"{what} must be a non-empty string, got {name!r}")
    if len(name) > MAX_NAME_CHARS:
        raise TraceError(f"{what} {name[:40]!r}...: longer than {MAX_NAME_CHARS} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise TraceError(f"{what} {name!r} must not contain control characters (newline, tab, NUL, ...)")


def _axes(v: Any, n: int, where: str, fld: str) -> tuple[Any, ...]:
    """``v`` as an n-tuple: an int is repeated; a list/tuple must have n (or, for padding, 2 or 4) items."""
    if _is_int(v):
        return (v,) * n
    if isinstance(v, (list, tuple)):
        if n == 4 and len(v) == 2:  # (height, width) -> (top, bottom, left, right)
            return (v[0], v[0], v[1], v[1])
        if len(v) == n:
            return tuple(v)
        want = "2 (height, width) or 4 (top, bottom, left, right)" if n == 4 else "2 (height, width)"
        raise TraceError(f"{where}: field {fld!r} must be an integer or a list of {want} integers, got {v!r}")
    raise TraceError(f"{where}: field {fld!r} must be an integer or a list of integers, got {v!r}")


@dataclass(frozen=True, init=False)
class LayerSpec:
    """Shape and geometry of one conv or FC layer.  Validates itself; errors name the layer and field.

    ``LayerSpec(name, kind, N, C, H, W, M, R, S, stride=1, padding=0, groups=1, *, dilation=1, stride_h=...,
    stride_w=..., dilation_h=..., dilation_w=..., pad_top=..., pad_bottom=..., pad_left=..., pad_right=...)``.
    """

    name: str
    kind: str
    N: int
    C: int
    H: int
    W: int
    M: int
    R: int
    S: int
    groups: int
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    pad_top: int
    pad_bottom: int
    pad_left: int
    pad_right: int

    def __init__(self, name: str, kind: str, N: int, C: int, H: int, W: int, M: int, R: int, S: int,
                 stride: Any = None, padding: Any = None, groups: int = 1, *, dilation: Any = None,
                 stride_h: Any = None, stride_w: Any = None, dilation_h: Any = None, dilation_w: Any = None,
                 pad_top: Any = None, pad_bottom: Any = None, pad_left: Any = None, pad_right: Any = None):
        _check_name(name)
        where = f"layer {name!r}"
        given = {"stride_h": stride_h, "stride_w": stride_w, "dilation_h": dilation_h,
                 "dilation_w": dilation_w, "pad_top": pad_top, "pad_bottom": pad_bottom,
                 "pad_left": pad_left, "pad_right": pad_right}
        legacy = {}
        if stride is not None:
            legacy.update(zip(("stride_h", "stride_w"), _axes(stride, 2, where, "stride")))
        if dilation is not None:
            legacy.update(zip(("dilation_h", "dilation_w"), _axes(dilation, 2, where, "dilation")))
        if padding is not None:
            legacy.update(zip(("pad_top", "pad_bottom", "pad_left", "pad_right"),
                              _axes(padding, 4, where, "padding")))
        defaults = {"stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1,
                    "pad_top": 0, "pad_bottom": 0, "pad_left": 0, "pad_right": 0}
        for f, v in given.items():
            if v is not None and f in legacy and legacy[f] != v:
                raise TraceError(f"{where}: field {f!r}={v!r} contradicts the combined form "
                                 f"(which gives {legacy[f]!r})")
            given[f] = v if v is not None else legacy.get(f, defaults[f])
        set_ = object.__setattr__
        set_(self, "name", name)
        set_(self, "kind", kind)
        for f, v in zip(("N", "C", "H", "W", "M", "R", "S", "groups"), (N, C, H, W, M, R, S, groups)):
            set_(self, f, v)
        for f, v in given.items():
            set_(self, f, v)
        self._validate()

    def _validate(self) -> None:
        where = f"layer {self.name!r}"
        if self.kind not in LAYER_KINDS:
            raise TraceError(f"{where}: field 'kind' must be one of {LAYER_KINDS}, got {self.kind!r}")
        for f in INT_FIELDS:
            v = getattr(self, f)
            if not _is_int(v):
                raise TraceError(f"{where}: field {f!r} must be an integer, got {v!r}")
            lo = 0 if f.startswith("pad_") else 1
            if int(v) < lo:
                raise TraceError(f"{where}: field {f!r} must be >= {lo}, got {v}")
            object.__setattr__(self, f, int(v))
        if self.kind == "fc":
            for f, want in (("H", 1), ("W", 1), ("R", 1), ("S", 1), ("groups", 1), ("stride_h", 1),
                            ("stride_w", 1), ("dilation_h", 1), ("dilation_w", 1), ("pad_top", 0),
                            ("pad_bottom", 0), ("pad_left", 0), ("pad_right", 0)):
                if getattr(self, f) != want:
                    raise TraceError(f"{where}: fc layer needs {f}={want}, got {getattr(self, f)}")
        if self.C % self.groups or self.M % self.groups:
            raise TraceError(f"{where}: field 'groups'={self.groups} must divide C={self.C} and M={self.M}")
        ph, pw = self.H + self.pad_top + self.pad_bottom, self.W + self.pad_left + self.pad_right
        if ph < self.R_eff or pw < self.S_eff:
            raise TraceError(
                f"{where}: filter {self.R}x{self.S} (dilated extent {self.R_eff}x{self.S_eff}) larger than "
                f"padded input {ph}x{pw} (fields R, S, dilation, H, W, padding)")

    # ---- per-axis geometry ---------------------------------------------------------------------
    @property
    def R_eff(self) -> int:
        """Rows the dilated filter spans: dilation_h*(R-1) + 1."""
        return self.dilation_h * (self.R - 1) + 1

    @property
    def S_eff(self) -> int:
        """Columns the dilated filter spans: dilation_w*(S-1) + 1."""
        return self.dilation_w * (self.S - 1) + 1

    @property
    def strides(self) -> tuple[int, int]:
        """(stride_h, stride_w)."""
        return (self.stride_h, self.stride_w)

    @property
    def dilations(self) -> tuple[int, int]:
        """(dilation_h, dilation_w)."""
        return (self.dilation_h, self.dilation_w)

    @property
    def pads(self) -> tuple[int, int, int, int]:
        """(pad_top, pad_bottom, pad_left, pad_right)."""
        return (self.pad_top, self.pad_bottom, self.pad_left, self.pad_right)

    @property
    def symmetric(self) -> bool:
        """One stride for both axes, the same padding on all four sides and no dilation (a v1 layer)."""
        return (self.stride_h == self.stride_w and self.dilation_h == self.dilation_w == 1
                and self.pad_top == self.pad_bottom == self.pad_left == self.pad_right)

    def _legacy(self, what: str) -> None:
        if not self.symmetric:
            raise TraceError(
                f"layer {self.name!r}: field {what!r} is not one number for this layer (stride "
                f"{self.stride_h}x{self.stride_w}, dilation {self.dilation_h}x{self.dilation_w}, padding "
                f"top/bottom/left/right {self.pad_top}/{self.pad_bottom}/{self.pad_left}/{self.pad_right}); "
                "this code handles only symmetric layers without dilation")

    @property
    def stride(self) -> int:
        """The one stride of a symmetric layer (TraceError for any other: use stride_h/stride_w)."""
        self._legacy("stride")
        return self.stride_h

    @property
    def padding(self) -> int:
        """The one padding of a symmetric layer (TraceError for any other: use pad_top...pad_right)."""
        self._legacy("padding")
        return self.pad_top

    # ---- derived sizes -------------------------------------------------------------------------
    @property
    def E(self) -> int:
        """Output rows."""
        return (self.H + self.pad_top + self.pad_bottom - self.R_eff) // self.stride_h + 1

    @property
    def F(self) -> int:
        """Output columns."""
        return (self.W + self.pad_left + self.pad_right - self.S_eff) // self.stride_w + 1

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
        """Multiply-accumulates of the dense layer, padding positions included (what a dense array runs):
        every output position times every (non-dilated) filter tap."""
        return self.N * self.M * self.E * self.F * self.Cg * self.R * self.S

    def to_dict(self) -> dict[str, Any]:
        """The layer as a v2 manifest entry."""
        return {"name": self.name, "kind": self.kind, "N": self.N, "C": self.C, "H": self.H, "W": self.W,
                "M": self.M, "R": self.R, "S": self.S, "groups": self.groups,
                "stride": [self.stride_h, self.stride_w], "dilation": [self.dilation_h, self.dilation_w],
                "padding": [self.pad_top, self.pad_bottom, self.pad_left, self.pad_right]}

    @classmethod
    def from_dict(cls, d: Any, where: str = "", version: int = FORMAT_VERSION) -> "LayerSpec":
        """A layer from a manifest entry.  Version 1 entries have integer ``stride`` and ``padding`` and no
        ``dilation``; version 2 entries may give each as an integer or per axis (see ``to_dict``)."""
        prefix = f"{where}: " if where else ""
        if not isinstance(d, dict):
            raise TraceError(f"{prefix}each manifest layer must be a JSON object, got {type(d).__name__}")
        name = d.get("name", "?")
        missing = [f for f in ("name", "kind", "N", "C", "M") if f not in d]
        if d.get("kind") == "conv":
            missing += [f for f in ("H", "W", "R", "S") if f not in d]
        if missing:
            raise TraceError(f"{prefix}layer {name!r}: missing field(s) {', '.join(missing)}")
        allowed = LAYER_FIELDS_V1 if version == 1 else LAYER_FIELDS_V2
        unknown = sorted(set(d) - set(allowed))
        if unknown:
            raise TraceError(f"{prefix}layer {name!r}: unknown field(s) {', '.join(unknown)} "
                             f"(format version {version})")
        kw = {f: d[f] for f in allowed if f in d}
        for f in ("stride", "padding", "dilation"):
            v = kw.get(f)
            if version == 1 and f in kw and not _is_int(v):
                raise TraceError(f"{prefix}layer {name!r}: field {f!r} must be an integer, got {v!r}")
            if isinstance(v, list):
                kw[f] = tuple(v)
            elif v is not None and not _is_int(v):
                raise TraceError(f"{prefix}layer {name!r}: field {f!r} must be an integer or a list of "
                                 f"integers, got {v!r}")
        if d.get("kind") == "fc":
            for f, v in (("H", 1), ("W", 1), ("R", 1), ("S", 1)):
                kw.setdefault(f, v)
        try:
            spec = cls(**kw)
            from accelsim.limits import check_layer
            check_layer(spec)  # absurd geometry and work beyond the limits, before any tensor is allocated
            return spec
        except TraceError as e:
            raise TraceError(f"{prefix}{e}") from None
        except TypeError as e:  # a field of the wrong JSON type reaching int arithmetic
            raise TraceError(f"{prefix}layer {name!r}: {e}") from None


def check_skipped(items: Any, where: str = "") -> list[dict[str, Any]]:
    """Validate the manifest's ``skipped`` list: operations of the model that hold weights or do MACs but
    are not in the trace, each ``{"name", "type", "macs" (int >= 0, or null when undefined), "reason"?}``."""
    prefix = f"{where}: " if where else ""
    if not isinstance(items, list):
        raise TraceError(f"{prefix}field 'skipped' must be a list, got {type(items).__name__}")
    out = []
    for i, it in enumerate(items):
        at = f"{prefix}field 'skipped' entry {i}"
        if not isinstance(it, dict):
            raise TraceError(f"{at} must be a JSON object, got {type(it).__name__}")
        unknown = sorted(set(it) - set(SKIPPED_FIELDS))
        if unknown:
            raise TraceError(f"{at}: unknown field(s) {', '.join(unknown)}")
        for f in ("name", "type"):
            if not isinstance(it.get(f), str) or not it.get(f):
                raise TraceError(f"{at}: field {f!r} must be a non-empty string, got {it.get(f)!r}")
        macs = it.get("macs")
        if macs is not None and (not _is_int(macs) or macs < 0):
            raise TraceError(f"{at} ({it['name']!r}): field 'macs' must be an integer >= 0 or null, got {macs!r}")
        if "reason" in it and not isinstance(it["reason"], str):
            raise TraceError(f"{at} ({it['name']!r}): field 'reason' must be a string")
        e = {"name": it["name"], "type": it["type"], "macs": None if macs is None else int(macs)}
        if "reason" in it:
            e["reason"] = it["reason"]
        out.append(e)
    return out


@dataclass
class LayerTrace:
    """One layer's shape and tensors: weights, inputs and optionally outputs (float32 arrays)."""

    spec: LayerSpec
    weights: np.ndarray
    inputs: np.ndarray
    outputs: np.ndarray | None = None
    #: True when this layer reads the network's input (the first layer of its trace, in the trace's order);
    #: set by :class:`Trace`.  A layer built on its own is not the network's first unless it says so.
    network_input: bool = False

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
    src = a
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below, as an error
        a = np.ascontiguousarray(a, dtype=np.float32)
    if not np.isfinite(a).all():
        big = (src[np.isfinite(src) & ~np.isfinite(a.reshape(src.shape))]
               if src.dtype.kind == "f" and src.dtype.itemsize > 4 else src[:0])
        if big.size:  # finite in the file's own dtype, infinite as float32: say so, not "infinite"
            raise TraceError(f"{where}: {big.size} {src.dtype} value(s) out of float32 range "
                             f"(largest |value| {float(np.abs(big).max()):.4g} > "
                             f"{float(np.finfo(np.float32).max):.4g}); traces hold float32 values")
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
    skipped: list[dict[str, Any]] = field(default_factory=list)
    #: format version of the file the trace was loaded from (v1 files have no ``skipped`` record)
    version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        self.skipped = check_skipped(self.skipped)
        names = [lt.name for lt in self.layers]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise TraceError(f"duplicate layer name(s) {dup}")
        if not self.layers:
            raise TraceError("a trace needs at least one layer")
        for i, lt in enumerate(self.layers):   # the trace's order says which layer reads the network input
            lt.network_input = i == 0

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
                "source": self.source, "layers": [lt.spec.to_dict() for lt in self.layers],
                "skipped": list(self.skipped)}

    def coverage(self) -> dict[str, Any]:
        """How much of the model the trace holds (see :func:`coverage`)."""
        return coverage([lt.spec.macs_dense for lt in self.layers], self.skipped, recorded=self.version >= 2)

    def select(self, names: list[str]) -> "Trace":
        """The named layers; each keeps whether it reads the network's input (its place in the full trace)."""
        first = {lt.name: lt.network_input for lt in self.layers}
        t = dataclasses.replace(self, layers=[self.layer(n) for n in names])
        for lt in t.layers:
            lt.network_input = first[lt.name]
        return t


def coverage(layer_macs: list[int], skipped: list[dict[str, Any]], recorded: bool = True) -> dict[str, Any]:
    """``{"macs_traced", "macs_skipped", "fraction", "skipped_ops", "skipped_without_macs", "recorded"}``: the
    share of the model's dense MACs that the traced layers hold, counting the MACs of skipped operations
    where they are defined (``skipped_without_macs`` counts those where they are not).  ``recorded`` is
    False for a format v1 file, which kept no record of skipped operations (``fraction`` is then None)."""
    traced = int(sum(layer_macs))
    sk = int(sum(e["macs"] for e in skipped if e.get("macs") is not None))
    frac = (traced / (traced + sk) if traced + sk else 1.0) if recorded else None
    return {"macs_traced": traced, "macs_skipped": sk, "fraction": frac, "skipped_ops": len(skipped),
            "skipped_without_macs": sum(1 for e in skipped if e.get("macs") is None), "recorded": recorded}


def coverage_line(cov: dict[str, Any]) -> str:
    """``the trace covers X% of the model's MACs ...`` (one line, for ``trace inspect`` and ``simulate``)."""
    if not cov.get("recorded", True):
        return ("the trace's coverage of the model's MACs is unknown (a format v1 file: it does not record "
                "skipped operations)")
    line = f"the trace covers {100 * cov['fraction']:.1f}% of the model's MACs"
    if cov["skipped_ops"]:
        line += (f" ({cov['macs_traced']:,d} traced; {cov['skipped_ops']} skipped operation(s) with "
                 f"{cov['macs_skipped']:,d} MACs")
        if cov["skipped_without_macs"]:
            line += f", {cov['skipped_without_macs']} of them without a defined MAC count"
        line += ")"
    else:
        line += " (no skipped operation recorded)"
    return line
