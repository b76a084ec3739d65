"""UCNN's data-independent mapping of a layer onto the array (package docstring: "Array", "Buffers").

PEs = channel tiles (tpp) x output-position blocks (k) x filter-group blocks (fs), filled in that
priority; strips of output rows as tall as the fmap GLB holds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accelsim.accelerators.base import ceil_div
from accelsim.accelerators.ucnn.config import UcnnConfig
from accelsim.trace.format import LayerSpec


@dataclass(frozen=True)
class UcnnPlan:
    spec: LayerSpec
    G: int
    Ct: int
    T: int            # channel tiles per conv group
    FG: int           # filter groups per conv group
    tpp: int          # channel tiles per pass (PEs along the channel dimension)
    k: int            # output-position blocks of a strip (PEs along the output dimension)
    fs: int           # filter-group blocks (PEs along the filter dimension)
    strip_rows: int   # output rows per strip
    glb_overflow: bool

    @property
    def channel_passes(self) -> int:
        return ceil_div(self.T, self.tpp)

    @property
    def fgb(self) -> int:
        """Filter groups per filter block (per PE)."""
        return ceil_div(self.FG, self.fs)

    @property
    def strips(self) -> int:
        return ceil_div(self.spec.E, self.strip_rows)

    def to_dict(self) -> dict[str, Any]:
        return {"G": self.G, "Ct": self.Ct, "channel_tiles": self.T, "filter_groups": self.FG,
                "tiles_per_pass": self.tpp, "output_blocks": self.k, "filter_blocks": self.fs,
                "filter_groups_per_pe": self.fgb, "strips": self.strips, "strip_rows": self.strip_rows,
                "channel_passes": self.channel_passes, "glb_overflow": self.glb_overflow}


def input_cols(s: LayerSpec) -> int:
    """Input columns the layer's output columns read (padding columns excluded)."""
    x1 = (s.F - 1) * s.stride + s.S - s.padding
    return min(s.W, x1) - max(0, -s.padding)


def plan_layer(c: UcnnConfig, spec: LayerSpec) -> UcnnPlan:
    """The mapping of ``spec`` on the array of ``c``: strips as tall as the fmap GLB holds (halving above
    8 rows, then one row less at a time), then PEs to channel tiles, output blocks and filter blocks."""
    G, Ct = c.group_size, min(c.channel_tile, spec.Cg)
    T, FG = ceil_div(spec.Cg, Ct), ceil_div(spec.Mg, G)
    tpp = min(T, c.pes)
    words = c.glb_fmap_bytes * 8 // c.word_bits
    cols = input_cols(spec)
    rows, overflow = spec.E, False
    while True:
        lo_hi = [(i * rows, min((i + 1) * rows, spec.E)) for i in range(ceil_div(spec.E, rows))]
        need = 0
        for lo, hi in lo_hi:
            a = max(0, lo * spec.stride - spec.padding)
            b = min(spec.H, (hi - 1) * spec.stride + spec.R - spec.padding)
            psums = spec.Mg * (hi - lo) * spec.F if T > tpp else 0   # else outputs leave when done
            need = max(need, spec.Cg * (b - a) * cols + psums)
        if need <= words:
            break
        if rows == 1:
            overflow = True
            break
        rows = max(1, rows // 2) if rows > 8 else rows - 1
    rest = c.pes // tpp
    k = max(1, min(rest, rows * spec.F))
    fs = max(1, min(rest // k, FG))
    return UcnnPlan(spec, G, Ct, T, FG, tpp, k, fs, rows, overflow)


__all__ = ["UcnnPlan", "input_cols", "plan_layer"]
