"""UCNN (Hegde et al., ISCA 2018, "UCNN: Exploiting Computational Reuse in Deep Neural Networks via
Weight Repetition", arXiv 1804.06508) on an array provisioned like Eyeriss v1.

From the paper (abstract and public summaries; REFERENCES.md section 4):
* **dot-product factorization**: inputs that share a weight value are summed first, then multiplied once
  per unique non-zero weight ([A, B, A] . [1, 2, 3] = A (1 + 3) + B 2); zero weights are skipped;
* **indirection tables** replace the dense weight stream: an input indirection table (iiT) lists, per
  tile, the inputs to fetch grouped by weight; a weight indirection table (wiT) gives the weight each
  group is multiplied by.  They are what the PEs read and what DRAM stores (the compressed model);
* **activation group reuse**: G filters are processed together with a hierarchically sorted table, so
  sums of input sub-groups shared by the filters are computed once; G in {1, 2, 4};
* the baseline is an Eyeriss-style accelerator with zero-gating and compressed DRAM I/O, provisioned
  alike ("eyeriss" here; "eyeriss:rlc=false:gating=false" is the dense variant).

accelsim's rules (assumptions where the paper's details were not available; every number is a config
field):

* A **unit** (the tile) is one filter group of G filters (fewer in the last group) x one channel tile of
  Ct = ``channel_tile`` channels (fewer in the last) x the R x S taps, for every output position of the
  layer.  One PE runs one unit at a time; its work per output position depends only on the weights and
  is computed by :func:`accelsim.kernels.ucnn.ucnn_units` (per-output counts P, leaf/aggregation adds,
  multiplies; definitions there).  A position whose G weights are all zero is not in the iiT (skipped).
* **Cycle rule** per unit and output position: ``max(P + agg_adds, mults)`` -- the input adder takes
  one iiT entry (fetch an input, add it into its sub-group sum) or one aggregation add per cycle, the
  multiplier one product per cycle (accumulated into the filter's psum by its own adder), pipelined.
  UCNN skips zero weights, not zero inputs: the iiT is built offline from the weights (assumption).
* **Array**: ``pe_rows x pe_cols`` = 168 PEs (Eyeriss's), 200 MHz, 108 kB GLB, the same DRAM link.
  A PE keeps an input tile stationary (Ct channels x the input rows of its block of output positions)
  and streams the indirection tables of its filter groups through (assumption: the tables are small,
  the inputs are re-read per output).  The PEs of a *pass* are tpp = min(T, 168) channel tiles (T =
  ceil(Cg/Ct)) x k blocks of output positions x fs blocks of filter groups, filled in that order
  (k = min(168 // tpp, outputs of the strip), fs = min(168 // (tpp k), filter groups)).  The psums of
  a pass's channel tiles are reduced in the array over the NoC (T - 1 adds per output value, as
  Eyeriss adds psums up a column); if T > 168 later channel passes accumulate through the GLB.
  Pass cycles = the slowest of: its slowest PE (sum over its filter groups of unit cycles, x its output
  positions), the table stream (filter GIN, 4 words/cycle, double-buffered), the ifmap GIN (1
  word/cycle) and the psum GON (4 words/cycle).  Passes run through the simpy timeline as tiles.
* **Buffers**: a conv group's input rows for a strip of output rows stay in the 100 kB GLB (strips as
  tall as fit; with more than one channel pass the strip's psums of all filters must fit too -- with one,
  each output value is complete when its pass reduces it and leaves through the GLB to DRAM); the indirection tables of the whole layer are
  read from DRAM once if they fit the 8 kB filter GLB, else once per (image, strip) pass.  A unit's
  tables must fit the PE's 224 x 16 b table spad (``table_overflow_units`` counts those that do not;
  not enforced).
* **Table formats** (assumption): an iiT entry is an input pointer of ceil(log2(Ct R S)) bits plus one
  group-end flag per hierarchy level (G bits); a wiT entry (one per multiply) indexes the layer's table
  of U unique non-zero 16-bit weights (ceil(log2 U) bits).  DRAM holds iiT + wiT + the U-entry table in
  place of M Cg R S dense 16-bit weights (``model_bits`` vs ``model_bits_dense``).
* **Fmaps in DRAM**: RLC as in Eyeriss (rlc=True; streams per image, channel and strip rows), the first
  layer's input raw; outputs computed functionally when the trace has none.

MAC vocabulary (exact; tested): per filter j of a unit and output position, dense = L (its R S Ct
weights); **executed** = multiplies (mults_j); **skipped** = zero weights (L - nnz_j); **reused** =
non-zero weights whose multiply is shared (nnz_j - mults_j).  executed + reused + skipped = dense.

Actions (per output position and unit, then summed): ``indirection.read`` P + mults (iiT entries and wiT
entries); ``ifmap_spad.read`` P; ``weight_spad.read`` mults (the unique weight); ``mult.random`` mults;
``add.random`` leaf + aggregation adds + one accumulate per product + array psum reduction;
``psum_spad.read``/``write`` one per accumulate and per reduction add; spad fills, NoC, GLB and DRAM as
above.  Energy comes from the table (``eyeriss-45nm`` by default, the baseline's).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from accelsim.accelerators.base import Accelerator, LayerCounts, ceil_div
from accelsim.accelerators.registry import register
from accelsim.config import doc, require
from accelsim.counts import ActionCounts
from accelsim.functional import layer_outputs
from accelsim.kernels.eyeriss import rlc_stream_bits
from accelsim.kernels.ucnn import (U_AGG_ADDS, U_CYCLES, U_FILTERS, U_L, U_LEAF_ADDS, U_MULTS, U_NODES, U_P,
                                   nonzero_u8, quantized_weight_keys, ucnn_units)
from accelsim.timeline import TileWork
from accelsim.trace.format import LayerSpec, LayerTrace


@dataclass(frozen=True)
class UcnnConfig:
    pe_rows: int = doc("PE array rows (as Eyeriss: 12)", default=12)
    pe_cols: int = doc("PE array columns (as Eyeriss: 14)", default=14)
    table_spad_words: int = doc("per-PE indirection-table storage in 16-bit words (Eyeriss's 224-word filter "
                                "spad, reused)", default=224)
    glb_fmap_bytes: int = doc("global buffer for ifmaps and psums in bytes (as Eyeriss: 100 kB)", default=25 * 4096)
    glb_filter_bytes: int = doc("global buffer for indirection tables in bytes (as Eyeriss's filter GLB: 8 kB)",
                                default=8192)
    word_bits: int = doc("datapath width in bits (16-bit fixed point)", default=16)
    clock_hz: float = doc("core clock in Hz (as Eyeriss: 200 MHz)", default=200e6)
    dram_bus_bits: int = doc("DRAM data bus width in bits (as Eyeriss: 64)", default=64)
    dram_clock_hz: float = doc("DRAM link clock in Hz (as Eyeriss: 60 MHz)", default=60e6)
    dram_latency_cycles: int = doc("DRAM latency in core cycles (as Eyeriss: 20, assumption)", default=20)
    ifmap_gin_words_per_cycle: int = doc("ifmap GIN width in 16-bit words/cycle (as Eyeriss: 1)", default=1)
    filter_gin_words_per_cycle: int = doc("table GIN width in 16-bit words/cycle (as Eyeriss's filter GIN: 4)",
                                          default=4)
    psum_gin_words_per_cycle: int = doc("psum GON width in words/cycle (as Eyeriss: 4)", default=4)
    rlc: bool = doc("RLC-compress fmaps moved to/from DRAM (as the Eyeriss-style baseline)", default=True)
    raw_input_max_channels: int = doc("a conv layer with at most this many input channels is the first layer, "
                                      "its input read uncompressed (as Eyeriss)", default=3)
    group_size: int = doc("G: filters processed together with activation group reuse (1, 2 or 4)", default=1)
    channel_tile: int = doc("Ct: input channels per unit (tile = G filters x Ct channels x R x S taps); "
                            "assumption, the paper's value is not known", default=16)
    energy_table: str = doc("energy table name or YAML path (the baseline's)", default="eyeriss-45nm")

    def __post_init__(self) -> None:
        n = type(self).__name__
        for f in ("pe_rows", "pe_cols", "table_spad_words", "glb_fmap_bytes", "glb_filter_bytes", "word_bits",
                  "dram_bus_bits", "ifmap_gin_words_per_cycle", "filter_gin_words_per_cycle",
                  "psum_gin_words_per_cycle", "channel_tile"):
            require(getattr(self, f) > 0, n, f"{f} must be > 0, got {getattr(self, f)}")
        require(self.group_size in (1, 2, 4), n, f"group_size must be 1, 2 or 4, got {self.group_size}")
        require(self.clock_hz > 0 and self.dram_clock_hz > 0, n, "clock_hz and dram_clock_hz must be > 0")
        require(self.dram_latency_cycles >= 0, n, "dram_latency_cycles must be >= 0")
        require(self.raw_input_max_channels >= 0, n, "raw_input_max_channels must be >= 0")

    @property
    def dram_bw_bits_per_cycle(self) -> float:
        return self.dram_bus_bits * self.dram_clock_hz / self.clock_hz

    @property
    def pes(self) -> int:
        return self.pe_rows * self.pe_cols


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

    def rows(self, sp: int) -> tuple[int, int]:
        return sp * self.strip_rows, min((sp + 1) * self.strip_rows, self.spec.E)

    def input_rows(self, lo: int, hi: int) -> tuple[int, int]:
        s = self.spec
        return max(0, lo * s.stride - s.padding), min(s.H, (hi - 1) * s.stride + s.R - s.padding)

    def dram_rows(self, sp: int) -> tuple[int, int]:
        """Input rows strip sp reads from DRAM (extended so every row is read once at least, as Eyeriss)."""
        lo, hi = self.input_rows(*self.rows(sp))
        lo = 0 if sp == 0 else lo
        nxt = self.input_rows(*self.rows(sp + 1))[0] if sp + 1 < self.strips else self.spec.H
        return lo, max(hi, nxt)

    def blocks(self, sp: int) -> list[tuple[int, int]]:
        """Output positions [a, b) (row-major within strip sp) of each of the k output blocks."""
        lo, hi = self.rows(sp)
        n = (hi - lo) * self.spec.F
        per = ceil_div(n, self.k)
        return [(a, min(a + per, n)) for a in range(0, n, per)]

    def block_input_rows(self, sp: int) -> int:
        """Input rows summed over the strip's output blocks (what the PEs' input buffers take in)."""
        lo, _ = self.rows(sp)
        F = self.spec.F
        tot = 0
        for a, b in self.blocks(sp):
            r0, r1 = self.input_rows(lo + a // F, lo + (b - 1) // F + 1)
            tot += r1 - r0
        return tot

    def to_dict(self) -> dict[str, Any]:
        return {"G": self.G, "Ct": self.Ct, "channel_tiles": self.T, "filter_groups": self.FG,
                "tiles_per_pass": self.tpp, "output_blocks": self.k, "filter_blocks": self.fs,
                "filter_groups_per_pe": self.fgb, "strips": self.strips, "strip_rows": self.strip_rows,
                "channel_passes": self.channel_passes, "glb_overflow": self.glb_overflow}


def _input_cols(s: LayerSpec) -> int:
    x1 = (s.F - 1) * s.stride + s.S - s.padding
    return min(s.W, x1) - max(0, -s.padding)


@register
class Ucnn(Accelerator):
    name = "ucnn"
    config_cls = UcnnConfig
    description = "UCNN (ISCA 2018): factorized dot products over unique weights, indirection tables, " \
                  "activation group reuse; Eyeriss-provisioned array"
    actions_emitted = (("mult", "random"), ("add", "random"), ("indirection", "read"), ("weight_spad", "read"),
                       ("weight_spad", "write"), ("ifmap_spad", "read"), ("ifmap_spad", "write"),
                       ("psum_spad", "read"), ("psum_spad", "write"), ("noc", "transfer"), ("glb", "read"),
                       ("glb", "write"), ("dram", "read_bits"), ("dram", "write_bits"))

    def peak_macs_per_cycle(self) -> int:
        return self.config.pes

    def plan(self, spec: LayerSpec) -> UcnnPlan:
        """PEs = channel tiles (tpp) x output blocks (k) x filter blocks (fs), in that priority."""
        c = self.config
        G, Ct = c.group_size, min(c.channel_tile, spec.Cg)
        T, FG = ceil_div(spec.Cg, Ct), ceil_div(spec.Mg, G)
        tpp = min(T, c.pes)
        words = c.glb_fmap_bytes * 8 // c.word_bits
        cols = _input_cols(spec)
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

    def is_first_layer(self, spec: LayerSpec) -> bool:
        return spec.kind == "conv" and spec.C <= self.config.raw_input_max_channels

    # ---- count -------------------------------------------------------------------------------------
    def count(self, plan: UcnnPlan, layer: LayerTrace) -> LayerCounts:
        c, s, wb = self.config, plan.spec, self.config.word_bits
        keyed, u_nz = quantized_weight_keys(layer.weights_mcrs(), wb)   # fixedpoint codes as keys, U
        codes = keyed[0].reshape(s.groups, s.Mg, s.Cg, s.R * s.S)
        units, per_f = ucnn_units(codes, plan.G, plan.Ct, (codes,) + keyed[1:])   # (Gc, FG, T, .), (.., G, 2)
        nef = s.N * s.E * s.F
        S = {n: int(units[..., i].sum()) for n, i in (("P", U_P), ("leaf", U_LEAF_ADDS), ("agg", U_AGG_ADDS),
                                                      ("mults", U_MULTS), ("nodes", U_NODES))}
        nnz = int(per_f[..., 1].sum())
        dense = s.macs_dense
        executed = S["mults"] * nef
        positions = int((units[..., U_L] * units[..., U_FILTERS]).sum())
        skipped = (positions - nnz) * nef
        reused = (nnz - S["mults"]) * nef
        assert executed + skipped + reused == dense, (executed, skipped, reused, dense)

        # ---- indirection tables (bits) per unit and for the model
        ptr_bits = max(1, math.ceil(math.log2(max(2, plan.Ct * s.R * s.S))))
        widx_bits = max(1, math.ceil(math.log2(max(2, u_nz))))
        tbits = units[..., U_P] * (ptr_bits + units[..., U_FILTERS]) + units[..., U_MULTS] * widx_bits
        twords = -(-tbits // wb)
        value_bits = u_nz * wb
        model_bits = int(tbits.sum()) + value_bits
        tables_resident = model_bits <= c.glb_filter_bytes * 8
        overflow_units = int((twords > c.table_spad_words).sum())

        # ---- passes (Gc, N, SP, CP); inside a pass each PE runs its filter block over its outputs
        Gc, FG, T = units.shape[:3]
        CP, SP = plan.channel_passes, plan.strips

        def blk(x: np.ndarray) -> np.ndarray:   # (Gc, FG, T) -> (Gc, fs, fgb, CP, tpp)
            x = np.pad(x, [(0, 0), (0, plan.fs * plan.fgb - FG), (0, CP * plan.tpp - T)])
            return x.reshape(Gc, plan.fs, plan.fgb, CP, plan.tpp)
        pe_work = blk(units[..., U_CYCLES]).sum(axis=2).max(axis=(1, 3))    # (Gc, CP) cycles per output
        pass_twords = blk(twords).sum(axis=(1, 2, 4))                       # (Gc, CP)
        pass_tbits = blk(tbits).sum(axis=(1, 2, 4))
        ch_in_cp = np.minimum(plan.tpp * plan.Ct, s.Cg - np.arange(CP) * plan.tpp * plan.Ct)  # (CP,)
        cols = _input_cols(s)
        shape = (Gc, s.N, SP, CP)
        compute = np.zeros(shape, dtype=np.int64)
        ifm_words = np.zeros(shape, dtype=np.int64)
        spad_fill = np.zeros(shape, dtype=np.int64)
        psum_words = np.zeros(shape, dtype=np.int64)
        for sp in range(SP):
            lo, hi = plan.rows(sp)
            per_pe = max(b - a for a, b in plan.blocks(sp))
            a, b = plan.input_rows(lo, hi)
            compute[:, :, sp] = (pe_work * per_pe)[:, None]
            ifm_words[:, :, sp] = ch_in_cp * (b - a) * cols
            spad_fill[:, :, sp] = plan.fs * ch_in_cp * plan.block_input_rows(sp) * cols
            psum_words[:, :, sp] = s.Mg * (hi - lo) * s.F
        tw = np.broadcast_to(pass_twords[:, None, None], shape)
        cycles = np.maximum(np.maximum(compute, -(-tw // c.filter_gin_words_per_cycle)),
                            np.maximum(-(-ifm_words // c.ifmap_gin_words_per_cycle),
                                       -(-psum_words // c.psum_gin_words_per_cycle)))

        # ---- DRAM per pass
        # RLC sizes depend only on which values are zero at 16 bits (nonzero_mask == quantize(x) != 0)
        raw_in = (not c.rlc) or self.is_first_layer(s)
        x_nz = nonzero_u8(layer.inputs_nchw(), wb)
        in_bits, in_unc = self._fmap_bits(x_nz, [plan.dram_rows(i) for i in range(SP)], s.groups, raw_in)
        y_nz = nonzero_u8(layer_outputs(layer).reshape(s.N, s.M, s.E, s.F), wb)
        out_bits, out_unc = self._fmap_bits(y_nz, [plan.rows(i) for i in range(SP)], s.groups, not c.rlc)
        load = np.zeros(shape, dtype=np.int64)
        store = np.zeros(shape, dtype=np.int64)
        load[..., 0] += in_bits.sum(axis=3).transpose(1, 0, 2)
        if tables_resident:
            load.flat[0] += model_bits
            dram_tables = model_bits
        else:
            load += np.broadcast_to(pass_tbits[:, None, None], shape)
            load.flat[0] += value_bits
            dram_tables = int(pass_tbits.sum()) * s.N * SP + value_bits
        store[..., CP - 1] = out_bits.sum(axis=3).transpose(1, 0, 2)
        dram_r, dram_w = int(load.sum()), int(store.sum())

        # ---- actions
        outs = s.N * s.M * s.E * s.F
        reduce_adds = outs * (min(T, plan.tpp) - 1)    # psums of a pass's channel tiles, added in the array
        later = outs * (CP - 1)                        # psums re-read from the GLB in later channel passes
        pes_used = plan.tpp * plan.k * plan.fs
        table_fills = int(tw.sum()) * plan.k + u_nz * pes_used   # tables to k PEs; value table to all used
        fills = int(spad_fill.sum())
        a = ActionCounts()
        a.add("mult", "random", executed)
        a.add("add", "random", (S["leaf"] + S["agg"] + S["mults"]) * nef + reduce_adds + later)
        a.add("indirection", "read", (S["P"] + S["mults"]) * nef)
        a.add("ifmap_spad", "read", S["P"] * nef)
        a.add("ifmap_spad", "write", fills)
        a.add("weight_spad", "read", executed)
        a.add("weight_spad", "write", table_fills)
        a.add("psum_spad", "read", executed + reduce_adds + later)
        a.add("psum_spad", "write", executed + reduce_adds + later)
        a.add("noc", "transfer", table_fills + fills + reduce_adds + later + outs * CP)
        a.add("glb", "read", int(tw.sum()) + u_nz + int(ifm_words.sum()) + later + outs)
        a.add("glb", "write", (dram_tables + int(in_unc.sum())) // wb + outs * CP)
        a.add("dram", "read_bits", dram_r)
        a.add("dram", "write_bits", dram_w)

        total_cycles = int(cycles.sum())
        extra: dict[str, Any] = {
            "tile_name": "pass", "mapping": plan.to_dict(), "pes_used": pes_used, "group_size": plan.G,
            "channel_tile": plan.Ct,
            "unique_nonzero_weights": u_nz, "multiplies": executed, "adds": int(a[("add", "random")]),
            "iit_reads": S["P"] * nef, "wit_reads": S["mults"] * nef,
            "iit_bits": int((units[..., U_P] * (ptr_bits + units[..., U_FILTERS])).sum()),
            "wit_bits": int((units[..., U_MULTS] * widx_bits).sum()), "weight_value_bits": value_bits,
            "model_bits": model_bits, "model_bits_dense": s.M * s.Cg * s.R * s.S * wb,
            "dram_table_read_bits": dram_tables, "tables_resident": tables_resident,
            "table_overflow_units": overflow_units,
            "mults_per_unit_mean": float(units[..., U_MULTS].mean()),
            "iit_entries_per_unit_mean": float(units[..., U_P].mean()),
            "latency_processing_s": total_cycles / c.clock_hz,
            "dram_ifmap_read_bits": int(in_bits.sum()), "dram_ofmap_write_bits": dram_w,
            "dram_ifmap_read_bits_uncompressed": int(in_unc.sum()),
            "dram_ofmap_write_bits_uncompressed": int(out_unc.sum()),
            "hierarchy_nodes": S["nodes"] * nef, "input_compressed": not raw_in,
        }
        tiles = TileWork(load.reshape(-1), cycles.reshape(-1), store.reshape(-1))
        return LayerCounts(actions=a, macs_dense=dense, macs_executed=executed, macs_skipped=skipped,
                           macs_reused=reused, dram_read_bits=dram_r, dram_write_bits=dram_w, tiles=tiles,
                           extra=extra)

    def _fmap_bits(self, codes: np.ndarray, rows: list[tuple[int, int]], groups: int,
                   raw: bool) -> tuple[np.ndarray, np.ndarray]:
        """(compressed, uncompressed) bits of fmap streams per (image, channel, row range), summed over
        each group's channels: (N, groups, len(rows), 1).  ``codes`` may be the codes or their non-zero
        mask (RLC sizes depend only on where the zeros are)."""
        wb = self.config.word_bits
        N, C, H, W = codes.shape
        cg = C // groups
        r = np.array(rows, dtype=np.int64)
        plane = (np.arange(N)[:, None] * C + np.arange(C)[None, :]) * (H * W)
        starts = (plane[:, :, None] + r[None, None, :, 0] * W).reshape(-1)
        stops = (plane[:, :, None] + r[None, None, :, 1] * W).reshape(-1)
        unc = ((stops - starts) * wb).reshape(N, C, len(rows))
        comp = unc if raw else rlc_stream_bits(codes, starts, stops).reshape(unc.shape)
        idx = np.arange(0, cg, cg)

        def fold(x: np.ndarray) -> np.ndarray:
            x = x.reshape(N, groups, cg, len(rows))
            return np.add.reduceat(x, idx, axis=2).transpose(0, 1, 3, 2)
        return fold(comp), fold(unc)


__all__ = ["Ucnn", "UcnnConfig", "UcnnPlan"]
