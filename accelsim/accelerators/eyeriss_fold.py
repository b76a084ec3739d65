"""Eyeriss v1 on filters taller than the PE array (R > 12 rows) or wider than the ifmap spad (S > 12):
the layer is folded into parts that each fit, run one after another (accelsim's model of the standard
mapping; the papers run no such layer).

* The filter rows are cut into nr = ceil(R / 12) consecutive chunks of at most ceil(R / nr) rows, the
  columns into ns = ceil(S / 12) chunks alike.  Part (i, j) is the convolution with filter rows
  [r0, r1) and columns [s0, s1) only: its input is the window of the (padded) input those taps read --
  rows from r0 * dilation_h, as many as its E output rows need -- so it is an ordinary layer with the
  same E x F outputs, mapped and counted like any other (its own padding where the window reaches the
  layer's padding; a part that reads only padding gets one zero row or column).  The parts' outputs add
  up to the layer's (every MAC is in exactly one part: tested against a convolution).
* Cost of folding, all counted: each part reads its ifmap window from DRAM (the rows the parts share are
  read once per part) and its slice of the filters; between parts the partial sums go to DRAM and come
  back uncompressed (16-bit words, N*M*E*F per fold boundary each way), with one add, one GLB read and
  one GLB write per output value and boundary.  The last part writes the ofmap as usual.  A part of the
  network's first layer reads the network's input, raw like the layer's (``raw_first_input``).
* Dense MACs are the sum of the parts' (N*M*E*F*Cg*R*S); gating counts the zero inputs of each part.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from accelsim.accelerators.base import LayerCounts, ceil_div
from accelsim.counts import ActionCounts
from accelsim.geometry import Axis, geometry
from accelsim.timeline import TileWork
from accelsim.trace.format import LayerSpec, LayerTrace


@dataclass(frozen=True)
class AxisPart:
    """Filter taps [k0, k1) of one axis, and the input window they read."""

    k0: int
    k1: int
    a: int          # real input positions [a, b) the part reads (a == b: only padding)
    b: int
    size: int       # the part's input size (b - a, or 1 zero position)
    pad_lo: int
    pad_hi: int


def axis_parts(ax: Axis, limit: int) -> list[AxisPart]:
    """The chunks of an axis whose kernel exceeds ``limit`` taps (one chunk when it does not)."""
    n = ceil_div(ax.kernel, limit)
    size = ceil_div(ax.kernel, n)
    out = []
    for k0 in range(0, ax.kernel, size):
        k1 = min(ax.kernel, k0 + size)
        off = k0 * ax.dilation                                   # padded position of the part's first tap
        span = (ax.out - 1) * ax.stride + (k1 - k0 - 1) * ax.dilation + 1
        lo = max(0, ax.pad_lo - off)
        a = min(ax.size, max(0, off - ax.pad_lo))
        b = min(ax.size, off + span - ax.pad_lo)
        if b > a:
            out.append(AxisPart(k0, k1, a, b, b - a, lo, span - lo - (b - a)))
        else:                                                    # only padding: one zero position
            lo = min(lo, span - 1)
            out.append(AxisPart(k0, k1, a, a, 1, lo, span - lo - 1))
    return out


@dataclass(frozen=True)
class FoldPart:
    spec: LayerSpec
    rows: AxisPart
    cols: AxisPart
    mapping: Any    # the part's RsMapping


@dataclass(frozen=True)
class FoldedMapping:
    """A layer folded into parts (module docstring)."""

    spec: LayerSpec
    parts: tuple[FoldPart, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"folds": len(self.parts), "fold_rows": [[p.rows.k0, p.rows.k1] for p in self.parts],
                "fold_cols": [[p.cols.k0, p.cols.k1] for p in self.parts],
                "parts": [p.mapping.to_dict() for p in self.parts],
                "passes": sum(p.mapping.passes for p in self.parts)}


def needs_folding(spec: LayerSpec, rows: int, ifmap_spad: int) -> bool:
    return spec.kind == "conv" and (spec.R > rows or spec.S > ifmap_spad)


def fold_specs(spec: LayerSpec, rows: int, ifmap_spad: int) -> list[tuple[LayerSpec, AxisPart, AxisPart]]:
    """The parts' layer specs (each E x F like the layer) with their row and column chunks."""
    g = geometry(spec)
    out = []
    for i, rp in enumerate(axis_parts(g.h, rows)):
        for j, cp in enumerate(axis_parts(g.w, ifmap_spad)):
            sub = LayerSpec(f"{spec.name} [fold r{rp.k0}:{rp.k1} s{cp.k0}:{cp.k1}]", "conv", spec.N, spec.C,
                            rp.size, cp.size, spec.M, rp.k1 - rp.k0, cp.k1 - cp.k0, groups=spec.groups,
                            stride=(g.h.stride, g.w.stride), dilation=(g.h.dilation, g.w.dilation),
                            padding=(rp.pad_lo, rp.pad_hi, cp.pad_lo, cp.pad_hi))
            assert (sub.E, sub.F) == (spec.E, spec.F), (sub, spec)
            out.append((sub, rp, cp))
    return out


def part_trace(layer: LayerTrace, p: FoldPart, outputs: np.ndarray) -> LayerTrace:
    """The part's tensors: its input window (zeros where it reads only padding), its filter taps."""
    x = layer.inputs_nchw()
    xs = x[:, :, p.rows.a:p.rows.a + p.rows.size, p.cols.a:p.cols.a + p.cols.size]
    if p.rows.b == p.rows.a or p.cols.b == p.cols.a:
        xs = np.zeros_like(xs)
    w = layer.weights_mcrs()[:, :, p.rows.k0:p.rows.k1, p.cols.k0:p.cols.k1]
    # a part of the network's first layer reads the network's input too (read raw: raw_first_input)
    return LayerTrace(p.spec, np.ascontiguousarray(w), np.ascontiguousarray(xs), outputs=outputs,
                      network_input=layer.network_input)


def merge_counts(fm: FoldedMapping, parts: list[LayerCounts], word_bits: int) -> LayerCounts:
    """The layer's counts from its parts' (module docstring: psums round-trip DRAM between parts)."""
    s = fm.spec
    psum_bits = s.N * s.M * s.E * s.F * word_bits
    outs = s.N * s.M * s.E * s.F
    a = ActionCounts()
    loads, computes, stores = [], [], []
    dram_r = dram_w = 0
    for i, c in enumerate(parts):
        for k in c.actions:
            if k[0] != "dram":
                a.add(*k, c.actions[k])
        t = c.tiles
        load, store = t.load_bits.copy(), t.store_bits.copy()
        if i > 0:                      # the previous parts' psums come back
            load[0] += psum_bits
        if i < len(parts) - 1:         # this part's psums leave raw instead of its ofmap
            store = np.zeros_like(store)
            store[-1] = psum_bits
        loads.append(load)
        computes.append(t.compute_cycles)
        stores.append(store)
        dram_r += int(load.sum())
        dram_w += int(store.sum())
    folds = len(parts) - 1
    a.add("dram", "read_bits", dram_r)
    a.add("dram", "write_bits", dram_w)
    a.add("add", "random", outs * folds)
    a.add("glb", "read", outs * folds)
    a.add("glb", "write", outs * folds)
    extra: dict[str, Any] = {"tile_name": "pass", "mapping": fm.to_dict(), "folded": True,
                             "fold_psum_dram_bits": 2 * psum_bits * folds}
    by_tensor: dict[str, int] = {}
    for i, c in enumerate(parts):  # non-final parts write psums, not ofmaps
        for k, v in c.extra.get("dram_bits_by_tensor", {}).items():
            if not (k == "ofmaps" and i < len(parts) - 1):
                by_tensor[k] = by_tensor.get(k, 0) + int(v)
    if by_tensor:
        by_tensor["psum_spills"] = by_tensor.get("psum_spills", 0) + 2 * psum_bits * folds
        extra["dram_bits_by_tensor"] = by_tensor
    for k in parts[-1].extra:
        vals = [c.extra.get(k) for c in parts]
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in vals):
            extra[k] = int(sum(vals))
    return LayerCounts(actions=a, macs_dense=sum(c.macs_dense for c in parts),
                       macs_executed=sum(c.macs_executed for c in parts),
                       macs_gated=sum(c.macs_gated for c in parts), dram_read_bits=dram_r, dram_write_bits=dram_w,
                       tiles=TileWork(np.concatenate(loads), np.concatenate(computes), np.concatenate(stores)),
                       extra=extra)


__all__ = ["AxisPart", "FoldPart", "FoldedMapping", "axis_parts", "fold_specs", "merge_counts", "needs_folding",
           "part_trace"]
