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
  read from DRAM once if they fit the 8 kB filter GLB, else once per (image, strip) pass.
* **Loop order** (``loop_order``, default strips): when the tables do not fit, the *strip order* above
  re-reads them per (image, strip).  The *table order* keeps a chunk of tables on chip and re-streams
  the inputs instead: per conv group, for each chunk of consecutive filter groups whose tables fit the
  filter GLB plus the part of the fmap GLB the strip's input rows (and psums) leave free, every image
  and strip is run for that chunk's filters only (tables read once per layer, inputs and their GLB/NoC
  traffic once per chunk; each chunk's pass pays its own ifmap-GIN time, so compute-light chunks become
  GIN-bound).  Its strips may be shorter (halving from the strip order's height down to the lowest that
  keeps the k output blocks), which frees GLB for tables but re-reads more halo rows (the same
  dram_rows rule).  count() computes both orders' passes, DRAM bits and a cycle estimate (sum over
  passes of max(pass cycles, its DRAM time)) and auto takes the order with **less DRAM traffic** (ties:
  strips), even where it costs cycles; ``extra["loop_orders"]`` reports both.  The default is the strip
  order: on AlexNet and VGG-16 the table order, where it saves DRAM at all, costs more energy (shorter
  strips mean more input-spad fills and GIN-bound passes), so least-DRAM is not what a compiler
  minimizing energy would pick.  A height is only
  evaluated exactly when a lower bound (tables once + chunks x 64/3 bits per non-zero input) could beat
  the best known.  A unit's
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
    loop_order: str = doc("strips (default: strips outer, tables re-read per image and strip unless they "
                          "fit), tables (table chunks outer, inputs re-streamed; falls back to strips if "
                          "infeasible) or auto (the order with less DRAM traffic, ties: strips -- it can cost "
                          "energy and cycles)", default="strips")

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
        require(self.loop_order in ("auto", "strips", "tables"), n,
                f"loop_order must be auto, strips or tables, got {self.loop_order!r}")

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

        # ---- the two loop orders (module docstring): strips outer (tables re-read per image and strip
        # unless resident) or table chunks outer (inputs re-read per chunk); the one with less DRAM wins
        raw_in = (not c.rlc) or self.is_first_layer(s)
        x_nz = nonzero_u8(layer.inputs_nchw(), wb)     # RLC sizes depend only on where the zeros are
        y_nz = nonzero_u8(layer_outputs(layer).reshape(s.N, s.M, s.E, s.F), wb)
        cyc_u = units[..., U_CYCLES]
        FG = units.shape[1]
        ctx = (cyc_u, twords, tbits, x_nz, y_nz, raw_in, model_bits, value_bits)
        orders = {"strips": self._order(plan, plan.strip_rows, [(0, FG)], False, tables_resident, *ctx)}
        order_lb: dict[str, Any] = {}
        if c.loop_order != "strips" and not tables_resident and s.N * plan.strips > 1 and not plan.glb_overflow:
            best = orders["strips"]["dram_bits"] if c.loop_order == "auto" else None
            alt, order_lb = self._tables_order(plan, tables_resident, ctx, best)
            if alt is not None:
                orders["tables"] = alt
        if c.loop_order == "tables" and "tables" in orders:
            chosen = "tables"
        else:   # auto: less DRAM traffic; a tie keeps the strip order
            chosen = min(orders, key=lambda o: (orders[o]["dram_bits"], o != "strips"))
        o = orders[chosen]
        cycles, load, store = o["cycles"], o["load"], o["store"]
        tw, ifm_words, in_unc, out_unc = o["tw"], o["ifm_words"], o["in_unc"], o["out_unc"]
        dram_tables, in_bits, NCH = o["dram_tables"], o["in_bits"], o["chunks"]
        dram_r, dram_w = int(load.sum()), int(store.sum())

        # ---- actions
        CP = plan.channel_passes
        outs = s.N * s.M * s.E * s.F
        reduce_adds = outs * (min(plan.T, plan.tpp) - 1)    # psums of a pass's channel tiles, added in the array
        later = outs * (CP - 1)                        # psums re-read from the GLB in later channel passes
        pes_used = plan.tpp * plan.k * plan.fs
        tw_sum = int(tw.sum())
        table_fills = tw_sum * plan.k + u_nz * pes_used   # tables to k PEs; value table to all used
        fills = int(o["spad_fill"].sum())
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
        a.add("glb", "read", tw_sum + u_nz + int(ifm_words.sum()) + later + outs)
        a.add("glb", "write", (dram_tables + int(in_unc.sum()) * NCH) // wb + outs * CP)
        a.add("dram", "read_bits", dram_r)
        a.add("dram", "write_bits", dram_w)

        total_cycles = int(cycles.sum())
        mapping = plan.to_dict()
        if chosen == "tables":
            mapping.update(strips=ceil_div(s.E, o["strip_rows"]), strip_rows=o["strip_rows"])
        mapping.update(loop_order=chosen, table_chunks=NCH)
        extra: dict[str, Any] = {
            "tile_name": "pass", "mapping": mapping, "pes_used": pes_used, "group_size": plan.G,
            "channel_tile": plan.Ct, "loop_order": chosen,
            "loop_orders": {k: {"dram_bits": v["dram_bits"], "cycles_estimate": v["cycles_estimate"],
                                "strip_rows": v["strip_rows"], "table_chunks": v["chunks"]}
                            for k, v in orders.items()},
            "tables_order_dram_bits_lower_bound": order_lb.get("lower_bound"),
            "tables_order_infeasible": order_lb.get("infeasible"),
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
            "dram_ifmap_read_bits": int(in_bits.sum()) * NCH, "dram_ofmap_write_bits": dram_w,
            "dram_ifmap_read_bits_uncompressed": int(in_unc.sum()) * NCH,
            "dram_ofmap_write_bits_uncompressed": int(out_unc.sum()),
            "hierarchy_nodes": S["nodes"] * nef, "input_compressed": not raw_in,
        }
        tiles = TileWork(load.reshape(-1), cycles.reshape(-1), store.reshape(-1))
        return LayerCounts(actions=a, macs_dense=dense, macs_executed=executed, macs_skipped=skipped,
                           macs_reused=reused, dram_read_bits=dram_r, dram_write_bits=dram_w, tiles=tiles,
                           extra=extra)

    # ---- loop orders ----------------------------------------------------------------------------
    def _strips(self, plan: UcnnPlan, h: int) -> dict[str, np.ndarray]:
        """Per-strip geometry for strips of ``h`` output rows (vectorized over strips): output rows
        [lo, hi), input rows held [in_lo, in_hi), input rows read from DRAM [d_lo, d_hi) (UcnnPlan.dram_rows'
        rule), the largest output block per PE and the input rows summed over the k blocks."""
        s, k = plan.spec, plan.k
        SP = ceil_div(s.E, h)
        lo = np.arange(SP, dtype=np.int64) * h
        hi = np.minimum(lo + h, s.E)
        in_lo = np.maximum(0, lo * s.stride - s.padding)
        in_hi = np.minimum(s.H, (hi - 1) * s.stride + s.R - s.padding)
        d_lo = in_lo.copy()
        d_lo[0] = 0
        d_hi = np.maximum(in_hi, np.append(in_lo[1:], s.H))
        n = (hi - lo) * s.F
        per = -(-n // k)                                      # positions per block (UcnnPlan.blocks)
        a = np.arange(k, dtype=np.int64)[None, :] * per[:, None]
        valid = a < n[:, None]
        bb = np.minimum(a + per[:, None], n[:, None])
        r0 = lo[:, None] + a // s.F
        r1 = lo[:, None] + (bb - 1) // s.F + 1
        rows = np.maximum(0, np.minimum(s.H, (r1 - 1) * s.stride + s.R - s.padding)
                          - np.maximum(0, r0 * s.stride - s.padding))  # 0: a block that sees only padding
        return {"lo": lo, "hi": hi, "in_rows": np.maximum(0, in_hi - in_lo), "dram": np.stack([d_lo, d_hi], axis=1),
                "per_pe": per, "block_rows": np.where(valid, rows, 0).sum(axis=1)}

    def _order(self, plan: UcnnPlan, h: int, chunks: list[tuple[int, int]], table_order: bool,
               tables_resident: bool, cyc_u: np.ndarray, twords: np.ndarray, tbits: np.ndarray, x_nz: np.ndarray, y_nz: np.ndarray,
               raw_in: bool, model_bits: int, value_bits: int, in_bits_unc: tuple | None = None
               ) -> dict[str, Any]:
        """Passes (Gc, chunks, N, strips, CP) of one loop order: strips of ``h`` output rows, filter groups
        in ``chunks`` [fg0, fg1).  The strip order (one chunk [0, FG)) re-reads the tables per (image,
        strip) unless they are resident; the table order reads each chunk's tables once and re-reads the
        inputs per chunk.  Returns the per-pass arrays and the order's DRAM bits and cycle estimate."""
        c, s = self.config, plan.spec
        Gc, FG, T = cyc_u.shape
        CP, tpp, NCH, N = plan.channel_passes, plan.tpp, len(chunks), s.N
        st = self._strips(plan, h)
        SP = len(st["lo"])

        f0s = np.array([f0 for f0, _ in chunks], dtype=np.int64)
        f1s = np.array([f1 for _, f1 in chunks], dtype=np.int64)

        def per_chunk(x: np.ndarray) -> np.ndarray:  # (Gc, FG, T) -> sums over each chunk (Gc, NCH, CP, tpp)
            cs = np.concatenate([np.zeros((Gc, 1, T), np.int64), np.cumsum(x, axis=1)], axis=1)
            d = cs[:, f1s] - cs[:, f0s]
            return np.pad(d, [(0, 0), (0, 0), (0, CP * tpp - T)]).reshape(Gc, NCH, CP, tpp)
        ch_tw = per_chunk(twords).sum(axis=3)          # table words / bits of a chunk's pass (Gc, NCH, CP)
        ch_tb = per_chunk(tbits).sum(axis=3)
        fs_c = np.minimum(plan.fs, f1s - f0s)
        filt = np.minimum(f1s * plan.G, s.Mg) - f0s * plan.G
        if plan.fs == 1:   # one filter block: the PE's work is the chunk's sum, the slowest tile counts
            pe_work = per_chunk(cyc_u).max(axis=3)   # cycles per output of the slowest PE (Gc, NCH, CP)
        else:
            pe_work = np.zeros((Gc, NCH, CP), dtype=np.int64)
            for i, (f0, f1) in enumerate(chunks):
                fgb = ceil_div(f1 - f0, int(fs_c[i]))
                x = np.pad(cyc_u[:, f0:f1], [(0, 0), (0, fs_c[i] * fgb - (f1 - f0)), (0, CP * tpp - T)])
                pe_work[:, i] = x.reshape(Gc, fs_c[i], fgb, CP, tpp).sum(axis=2).max(axis=(1, 3))
        ch_in_cp = np.minimum(tpp * plan.Ct, s.Cg - np.arange(CP) * tpp * plan.Ct)        # (CP,)
        cols = _input_cols(s)
        q = (Gc, NCH, SP, CP)                          # per pass, the same for every image
        compute = pe_work[:, :, None, :] * st["per_pe"][None, None, :, None]
        ifm_words = np.broadcast_to((st["in_rows"][:, None] * ch_in_cp[None, :] * cols)[None, None], q)
        spad_fill = np.broadcast_to(fs_c[:, None, None] * (ch_in_cp[None, :] * st["block_rows"][:, None]
                                                            * cols)[None], q[1:])
        psum_words = np.broadcast_to((filt[:, None] * ((st["hi"] - st["lo"]) * s.F)[None, :])[None, :, :, None], q)
        tw = np.broadcast_to(ch_tw[:, :, None, :], q)
        cyc = np.maximum(np.maximum(compute, -(-tw // c.filter_gin_words_per_cycle)),
                         np.maximum(-(-ifm_words // c.ifmap_gin_words_per_cycle),
                                    -(-psum_words // c.psum_gin_words_per_cycle)))
        cycles = np.broadcast_to(cyc[:, :, None], (Gc, NCH, N, SP, CP))

        # DRAM per pass: inputs at each strip's first channel pass (per chunk), outputs at its last
        if in_bits_unc is None:
            in_bits_unc = self._fmap_bits(x_nz, st["dram"], s.groups, raw_in)
        in_bits, in_unc = in_bits_unc                                        # (N, groups, SP)
        starts = np.array([g * s.Mg + f0 * plan.G for g in range(s.groups) for f0, _ in chunks])
        out_ch, out_unc_ch = self._fmap_bits(y_nz, np.stack([st["lo"], st["hi"]], axis=1), s.groups,
                                             not c.rlc, per_channel=True)    # (N, M, SP)
        out_bits = np.add.reduceat(out_ch, starts, axis=1).reshape(N, Gc, NCH, SP)
        load = np.zeros((Gc, NCH, N, SP, CP), dtype=np.int64)
        store = np.zeros((Gc, NCH, N, SP, CP), dtype=np.int64)
        load[..., 0] += in_bits.transpose(1, 0, 2)[:, None]
        if tables_resident:
            load.flat[0] += model_bits
            dram_tables = model_bits
        elif not table_order:
            load += ch_tb[:, :, None, None, :]
            load.flat[0] += value_bits
            dram_tables = int(ch_tb.sum()) * N * SP + value_bits
        else:              # each chunk's tables (all its channel passes) before its first pass
            load[:, :, 0, 0, 0] += ch_tb.sum(axis=2)
            load.flat[0] += value_bits
            dram_tables = model_bits
        store[..., CP - 1] = out_bits.transpose(1, 2, 0, 3)
        bw = c.dram_bw_bits_per_cycle
        est = int(np.maximum(cycles, np.ceil((load + store) / bw)).sum())
        return {"cycles": cycles, "load": load, "store": store, "tw": np.broadcast_to(tw[:, :, None], cycles.shape),
                "ifm_words": np.broadcast_to(ifm_words[:, :, None], cycles.shape),
                "spad_fill": np.broadcast_to(spad_fill[None, :, None], cycles.shape),
                "in_bits": in_bits, "in_unc": in_unc, "out_unc": out_unc_ch, "dram_tables": dram_tables,
                "dram_bits": int(load.sum()) + int(store.sum()), "cycles_estimate": est, "strip_rows": h,
                "chunks": NCH}

    def _tables_order(self, plan: UcnnPlan, tables_resident: bool, ctx: tuple, best: int | None
                      ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """The table order with the least DRAM traffic over its strip heights (None if infeasible), and
        {lower_bound, infeasible}.  Heights: the strip order's down to the shortest that keeps its k output
        blocks, halving.  The GLB then holds that strip's input rows (and psums when there is more than one
        channel pass); the tables take the filter GLB plus the fmap GLB's rest, packed greedily into chunks
        of consecutive filter groups (a conv group's largest chunk counts).  A height is evaluated exactly
        only if its lower bound -- tables once + chunks x 64/3 bits per non-zero input (each non-zero input
        is one RLC pair; raw first layers: their raw bits) -- is below ``best`` (the strip order's DRAM bits
        in auto mode) and the best height found so far."""
        c, s, wb = self.config, plan.spec, self.config.word_bits
        cyc_u, twords, tbits, x_nz, y_nz, raw_in, model_bits, value_bits = ctx
        words = c.glb_fmap_bytes * 8 // wb
        cols = _input_cols(s)
        rest = c.pes // plan.tpp
        h_min = plan.strip_rows if plan.k < rest else max(1, ceil_div(plan.k, s.F))
        heights, h = [], plan.strip_rows
        while h > h_min:
            heights.append(h)
            h = max(h_min, h // 2)
        heights.append(h_min)
        fg_bits = tbits.sum(axis=2).max(axis=0)                       # (FG,) tables of a filter group
        cum = np.concatenate([[0], np.cumsum(fg_bits)])
        if raw_in:
            in_once = s.N * s.C * s.H * s.W * wb
        else:
            in_once = 64 * int(x_nz.sum()) // 3
        cands = []
        for h in heights:
            st = self._strips(plan, h)
            psums = s.Mg * int((st["hi"] - st["lo"]).max()) * s.F if plan.T > plan.tpp else 0
            need = s.Cg * int(st["in_rows"].max()) * cols + psums
            cap = c.glb_filter_bytes * 8 + max(0, words - need) * wb
            if fg_bits.max(initial=0) > cap:
                continue
            chunks, f0 = [], 0
            while f0 < len(fg_bits):                                 # greedy: as many groups as fit
                f1 = int(np.searchsorted(cum, cum[f0] + cap, side="right")) - 1
                chunks.append((f0, f1))
                f0 = f1
            lb = model_bits + len(chunks) * in_once
            cands.append((lb, h, chunks))
        info: dict[str, Any] = {"infeasible": not cands, "lower_bound": min((x[0] for x in cands), default=None)}
        alt = None
        for lb, h, chunks in sorted(cands, key=lambda x: (x[0], -x[1])):
            bounds = [v for v in (best, alt["dram_bits"] if alt else None) if v is not None]
            if bounds and lb >= min(bounds):
                continue                       # cannot beat what is already known
            o = self._order(plan, h, chunks, True, tables_resident, *ctx)
            if alt is None or o["dram_bits"] < alt["dram_bits"]:
                alt = o
        return alt, info

    def _fmap_bits(self, codes: np.ndarray, rows, groups: int, raw: bool,
                   per_channel: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(compressed, uncompressed) bits of fmap streams per (image, channel, row range), summed over
        each group's channels: (N, groups, len(rows)), or per channel (N, C, len(rows)).  ``codes`` may be
        the codes or their non-zero mask (RLC sizes depend only on where the zeros are)."""
        wb = self.config.word_bits
        N, C, H, W = codes.shape
        cg = C // groups
        r = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
        plane = (np.arange(N)[:, None] * C + np.arange(C)[None, :]) * (H * W)
        starts = (plane[:, :, None] + r[None, None, :, 0] * W).reshape(-1)
        stops = (plane[:, :, None] + r[None, None, :, 1] * W).reshape(-1)
        unc = ((stops - starts) * wb).reshape(N, C, len(r))
        comp = unc if raw else rlc_stream_bits(codes, starts, stops).reshape(unc.shape)
        if per_channel:
            return comp, unc
        return comp.reshape(N, groups, cg, len(r)).sum(axis=2), unc.reshape(N, groups, cg, len(r)).sum(axis=2)


__all__ = ["Ucnn", "UcnnConfig", "UcnnPlan"]
