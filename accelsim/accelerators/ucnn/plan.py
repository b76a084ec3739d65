"""UCNN's data-independent mapping of a layer onto the array (package docstring: "Array", "Buffers").

PEs = channel tiles (tpp) x output-position blocks (k) x filter-group blocks (fs), filled in that
priority; strips of output rows as tall as the fmap GLB holds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accelsim.accelerators.base import ceil_div
from accelsim.accelerators.ucnn.config import UcnnConfig
from accelsim.geometry import geometry
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
    gs: int = 1       # conv groups side by side in a pass (group_mapping spread)

    @property
    def group_passes(self) -> int:
        return ceil_div(self.spec.groups, self.gs)

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
                "channel_passes": self.channel_passes, "glb_overflow": self.glb_overflow,
                "groups_per_pass": self.gs, "group_passes": self.group_passes}


def plan_layer(c: UcnnConfig, spec: LayerSpec) -> UcnnPlan:
    """The mapping of ``spec`` on the array of ``c``: strips as tall as the fmap GLB holds (halving above
    8 rows, then one row less at a time), then PEs to channel tiles, output blocks and filter blocks."""
    G, Ct = c.group_size, min(c.channel_tile, spec.Cg)
    T, FG = ceil_div(spec.Cg, Ct), ceil_div(spec.Mg, G)
    tpp = min(T, c.pes)
    words = c.glb_fmap_bytes * 8 // c.word_bits
    geo = geometry(spec)
    cols = geo.w.span_count()
    rows, overflow = spec.E, False
    while True:
        lo_hi = [(i * rows, min((i + 1) * rows, spec.E)) for i in range(ceil_div(spec.E, rows))]
        need = 0
        for lo, hi in lo_hi:
            a, b = geo.h.in_range(lo, hi)
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
    gs = 1
    if c.group_mapping == "spread" and spec.groups > 1 and not overflow:
        # PEs left idle take other groups (their own inputs, tables and psums), as many as the PEs and the
        # fmap GLB (each group's strip rows and psums) allow; the fewest giving the fewest group passes
        cap = min(spec.groups, c.pes // (tpp * k * fs), max(1, words // max(1, need)))
        gs = ceil_div(spec.groups, ceil_div(spec.groups, max(1, cap)))
    return UcnnPlan(spec, G, Ct, T, FG, tpp, k, fs, rows, overflow, gs)


__all__ = ["UcnnPlan", "plan_layer"]
