"""SCNN (Parashar et al., ISCA 2017): the PT-IS-CP-sparse dataflow, and its dense baselines DCNN / DCNN-opt.

Array (Sec. IV): 8 x 8 PEs, each with a 4 x 4 multiplier array that takes a vector of F = 4 non-zero
weights and a vector of I = 4 non-zero activations per cycle and forms all F x I products (Cartesian
product).  Each product's output coordinate is computed and the product is scattered through a crossbar
into 2 F I = 32 accumulator banks; two products for one bank in the same cycle conflict and the later
waits (``bank_conflicts``).  Weights and activations are stored compressed: each non-zero with a 4-bit
count of the zeros before it, a padding zero when a run exceeds 15 (:mod:`accelsim.compression.zero_run`).

Dataflow (Sec. III, PT-IS-CP-sparse), as modelled here:
* *planar tiling*: each image's input plane (unpadded: padding is never stored) is cut into 8 x 8 tiles of
  ceil(H/8) x ceil(W/8) positions, one per PE, all channels;
* *input stationary*: per output-channel group of Kc filters (Kc as many as the accumulators hold for the
  PE's output footprint, halo included) and per input channel c, a PE holds its non-zero activations of
  channel c and streams the group's non-zero weights of channel c past them, F at a time;
* geometry (per-axis stride and dilation, four-sided padding, groups and depthwise, Conv1d as height 1)
  comes from the shared :mod:`accelsim.geometry` axes: the kernel's stride phases and output bounds, each
  PE's reach and owned outputs (:meth:`~accelsim.geometry.Axis.outputs_reading`, window centres);
* the work is split by stride phase first, so a strided layer forms only products that can land on an
  output (DNNsim does the same); products landing outside the output plane are formed and dropped;
* *barrier*: the weights of (group, channel) are broadcast to all PEs, so PEs wait for the slowest one
  before the next channel (inter-PE load imbalance: ``idle_pe_cycles``);
* *halos*: a PE's products that belong to a neighbour's output tile are partial sums the PE sends it
  when the group ends (output halos, the paper's choice over replicating input halos).  An output
  belongs to the PE holding the centre of its window.  The exchange is counted per word
  (``halo.transfer``) and adds max-PE halo words / ``halo_words_per_cycle`` cycles per group
  (assumption: not overlapped with compute);
* weights stream from DRAM once per image (compressed); an image's input and output stay on chip in the
  IARAM/OARAM (10 KB each per PE) when they fit, else they are read / written compressed from DRAM.

Differences from DNNsim's SCNN model (github isakedo/DNNsim, core/src/SCNN.cpp; read, not copied):
DNNsim pads the input before tiling (padding positions land in PEs), takes Kc = accumulator size /
tile size without halo and sizes accumulators at 6144 entries; accelsim tiles the unpadded input, sizes
Kc by the PE's output footprint with halo and takes the paper's 32 banks x 32 entries (1024); DNNsim
charges halo cycles as the largest single halo region, accelsim the PE's total halo words; the bank hash
is each tool's own assumption.  FC layers: DNNsim reshapes the input vector into a 16 x 16 plane;
accelsim runs an FC layer as a 1 x 1 convolution, which puts the whole vector in one PE (SCNN was
designed and evaluated for conv layers only; EIE is the FC design).

Dense baselines, provisioned alike (same 64 PEs x 16 multipliers, buffers and clock):
* ``dataflow: dense`` (DCNN): the same planar-tiled Cartesian product over *all* stored values, zeros
  included, uncompressed in the buffers and DRAM, no scatter conflicts (accelsim's choice of the paper's
  dense dataflow: PT-IS-CP-dense, Sec. III);
* ``dataflow: dense_opt`` (DCNN-opt): the same cycles, but a product with a zero operand is gated
  (``mult.gated``) and DRAM traffic is compressed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim import fixedpoint
from accelsim.accelerators.base import Accelerator, LayerCounts, ceil_div
from accelsim.accelerators.registry import register
from accelsim.config import doc, require
from accelsim.counts import ActionCounts
from accelsim.geometry import Axis, geometry
from accelsim.kernels.scnn import nonzero_source, scnn_batch
from accelsim.kernels.scnn_storage import input_entries, output_entries, weight_entries
from accelsim.timeline import TileWork
from accelsim.trace.format import LayerSpec, LayerTrace

DATAFLOWS = ("sparse", "dense", "dense_opt")


@dataclass(frozen=True)
class ScnnConfig:
    pe_rows: int = doc("PE grid rows (ISCA 2017: 8)", unit="PEs", default=8)
    pe_cols: int = doc("PE grid columns (8)", unit="PEs", default=8)
    mults_f: int = doc("weights per multiplier-array vector, F (4)", unit="weights", default=4)
    mults_i: int = doc("activations per multiplier-array vector, I (4)", unit="activations", default=4)
    banks: int = doc("accumulator banks per PE (2 F I = 32)", unit="banks", default=32)
    acc_entries: int = doc("accumulator entries per PE (32 banks x 32 entries)", unit="entries", default=1024)
    clock_hz: float = doc("clock in Hz (ISCA 2017: 1 GHz)", unit="Hz", default=1e9)
    word_bits: int = doc("value bits (16-bit fixed point)", unit="bits", default=16)
    run_bits: int = doc("zero-run bits per stored value (4)", unit="bits", default=4)
    iaram_bytes_per_pe: int = doc("input activation RAM per PE in bytes (10 KB)", unit="bytes", default=10 * 1024)
    oaram_bytes_per_pe: int = doc("output activation RAM per PE in bytes (10 KB)", unit="bytes", default=10 * 1024)
    bank_conflicts: bool = doc("model accumulator bank conflicts (sparse dataflow only)", default=True)
    halo_words_per_cycle: int = doc("partial sums a PE sends to neighbours per cycle (assumption: 1)",
                                    unit="words/cycle", default=1)
    dataflow: str = doc("sparse (SCNN), dense (DCNN) or dense_opt (DCNN-opt)", default="sparse")
    dram_bw_bits_per_cycle: float = doc("DRAM bits per cycle (assumption: 256 bits at 1 GHz, ~32 GB/s)",
                                        unit="bits/cycle", default=256.0)
    dram_latency_cycles: int = doc("DRAM latency in cycles (assumption: 100 ns)", unit="cycles", default=100)
    energy_table: str = doc("energy table name or YAML path", default="shared-45nm")

    def __post_init__(self) -> None:
        n = type(self).__name__
        for f in ("pe_rows", "pe_cols", "mults_f", "mults_i", "banks", "acc_entries", "word_bits", "run_bits",
                  "iaram_bytes_per_pe", "oaram_bytes_per_pe", "halo_words_per_cycle"):
            require(getattr(self, f) > 0, n, f"{f} must be > 0, got {getattr(self, f)}")
        require(self.dataflow in DATAFLOWS, n, f"dataflow must be one of {', '.join(DATAFLOWS)}, "
                                               f"got {self.dataflow!r}")
        require(self.clock_hz > 0, n, "clock_hz must be > 0")
        require(self.dram_bw_bits_per_cycle > 0, n, "dram_bw_bits_per_cycle must be > 0")
        require(self.dram_latency_cycles >= 0, n, "dram_latency_cycles must be >= 0")


@dataclass(frozen=True)
class ScnnPlan:
    spec: LayerSpec
    th: int                   # input tile rows per PE
    tw: int                   # input tile columns per PE
    kc: int                   # filters per output-channel group
    halo_sum: int             # halo outputs summed over PEs, per filter
    halo_max: int             # the largest PE's halo outputs, per filter

    def kc_sizes(self) -> np.ndarray:
        """Filters in each output-channel group: kc, ..., kc, and the remainder of Mg."""
        mg = self.spec.Mg
        return np.array([min(self.kc, mg - k0) for k0 in range(0, mg, self.kc)], dtype=np.int64)


def _reach_own(axis: Axis, tile: int, tiles: int) -> list[tuple[set[int], set[int]]]:
    """Per PE row (or column) of the grid, along one axis: the outputs its input positions reach (a tap on
    them), and the outputs it owns (the centre of their window lies in its tile)."""
    owner = np.minimum(axis.centres() // tile, tiles - 1)
    return [(set(axis.outputs_reading(t * tile, min(axis.size, (t + 1) * tile)).tolist()),
             set(np.flatnonzero(owner == t).tolist())) for t in range(tiles)]


@register
class Scnn(Accelerator[ScnnPlan]):
    name = "scnn"
    config_cls = ScnnConfig
    description = "SCNN (ISCA 2017): 8x8 PEs x 4x4 Cartesian-product multipliers on sparse weights and inputs"
    actions_emitted = (("mult", "random"), ("mac", "gated"), ("weight_fifo", "read"), ("iaram", "read"),
                       ("xbar", "transfer"), ("accumulator", "update"), ("halo", "transfer"),
                       ("oaram", "write"), ("mac", "skipped"), ("dram", "read_bits"), ("dram", "write_bits"))

    def peak_macs_per_cycle(self) -> int:
        c = self.config
        return c.pe_rows * c.pe_cols * c.mults_f * c.mults_i

    def plan(self, spec: LayerSpec) -> ScnnPlan:
        c, s = self.config, spec
        th, tw = ceil_div(s.H, c.pe_rows), ceil_div(s.W, c.pe_cols)
        geo = geometry(s)
        rows = _reach_own(geo.h, th, c.pe_rows)
        cols = _reach_own(geo.w, tw, c.pe_cols)
        foot = max(len(r) for r, _ in rows) * max(len(r) for r, _ in cols)
        kc = max(1, min(s.Mg, c.acc_entries // max(1, foot)))
        halos = [len(ra) * len(rb) - len(ra & oa) * len(rb & ob) for ra, oa in rows for rb, ob in cols]
        return ScnnPlan(s, th, tw, kc, int(sum(halos)), int(max(halos)))

    def count(self, plan: ScnnPlan, layer: LayerTrace) -> LayerCounts:
        c, s = self.config, plan.spec
        df = c.dataflow
        wnz = fixedpoint.nonzero_mask(layer.weights_mcrs(), c.word_bits)
        xnz, xthr = nonzero_source(layer.inputs_nchw(), c.word_bits)   # the values and a threshold: no mask
        wrun, xrun, rthr = wnz, xnz, xthr     # what the multipliers are fed
        if df != "sparse":   # DCNN and DCNN-opt feed every value
            wrun, xrun, rthr = np.ones_like(wnz), np.ones(xnz.shape, dtype=np.uint8), 0.0
        gh, gw = geometry(s).h, geometry(s).w
        geom = (plan.th, plan.tw, c.pe_rows, c.pe_cols, gh.stride, gw.stride, gh.dilation, gw.dilation,
                gh.pad_lo, gw.pad_lo, gh.out, gw.out)
        conflicts = c.bank_conflicts and df == "sparse"
        ngroups_k = ceil_div(s.Mg, plan.kc)
        kc_sizes = plan.kc_sizes()
        stats = np.zeros(8, dtype=np.int64)
        valid_nz = 0
        halo_cyc = kc_sizes * ceil_div(plan.halo_max, c.halo_words_per_cycle)
        cyc = np.zeros((s.N, s.groups, ngroups_k), dtype=np.int64)   # Kc groups in (image, group) order
        for g in range(s.groups):
            A = xrun[:, g * s.Cg:(g + 1) * s.Cg]
            Wg = wrun[g * s.Mg:(g + 1) * s.Mg]
            cg, st = scnn_batch(A, Wg, geom, c.mults_i, c.mults_f, c.banks, conflicts, plan.kc, rthr)
            cyc[:, g] = cg + halo_cyc
            stats += st
            if df == "dense_opt":  # which of the dense products had two non-zero operands
                _, st2 = scnn_batch(xnz[:, g * s.Cg:(g + 1) * s.Cg], wnz[g * s.Mg:(g + 1) * s.Mg], geom,
                                    c.mults_i, c.mults_f, c.banks, False, plan.kc, xthr)
                valid_nz += int(st2[1])
        compute_arr = cyc.reshape(-1) if cyc.size else np.zeros(1, dtype=np.int64)
        formed, valid = int(stats[0]), int(stats[1])
        halo_words = s.N * s.groups * s.Mg * plan.halo_sum
        # ---- storage and DRAM
        compressed = df != "dense"
        vbits = c.word_bits + (c.run_bits if compressed else 0)
        load = np.zeros(compute_arr.size, dtype=np.int64)
        store = np.zeros(compute_arr.size, dtype=np.int64)
        w_bits_kgroup = self._weight_bits(wnz, plan, compressed, vbits)  # (groups, ngroups_k)
        in_bits = self._input_bits(xnz, xthr, plan, compressed, vbits)   # per image
        out_bits = self._output_bits(layer, compressed, vbits)           # per image
        per_image = s.groups * ngroups_k
        pes = c.pe_rows * c.pe_cols
        in_dram = in_bits.max(initial=0) > pes * c.iaram_bytes_per_pe * 8
        out_dram = out_bits.max(initial=0) > pes * c.oaram_bytes_per_pe * 8
        for n in range(s.N):
            base = n * per_image
            load[base:base + per_image] += w_bits_kgroup.reshape(-1)
            if in_dram:
                load[base] += in_bits[n]
            if out_dram:
                store[base + per_image - 1] += out_bits[n]
        dram_r, dram_w = int(load.sum()), int(store.sum())
        # ---- actions
        a = ActionCounts()
        if df == "dense_opt":
            executed, gated = valid_nz, valid - valid_nz
            a.add("mult", "random", formed - gated)
            a.add("mac", "gated", gated)
        else:
            executed, gated = valid, 0
            a.add("mult", "random", formed)
            a.add("mac", "gated", 0)
        a.add("weight_fifo", "read", int(stats[2]))
        a.add("iaram", "read", int(stats[3]))
        a.add("xbar", "transfer", valid)
        a.add("accumulator", "update", valid)
        a.add("halo", "transfer", halo_words)
        a.add("oaram", "write", int(out_bits.sum()) // vbits)
        a.add("mac", "skipped", s.macs_dense - executed - gated)
        a.add("dram", "read_bits", dram_r)
        a.add("dram", "write_bits", dram_w)
        extra = {"tile_name": "kgroup", "kc": plan.kc, "tile_hw": [plan.th, plan.tw],
                 "products_formed": formed, "products_dropped": formed - valid,
                 "bank_conflict_cycles": int(stats[4]), "idle_pe_cycles": int(stats[6]),
                 "pe_busy_cycles": int(stats[5]), "halo_words": halo_words,
                 "halo_cycles": int(s.N * s.groups * kc_sizes.sum() * ceil_div(plan.halo_max, c.halo_words_per_cycle)),
                 "inputs_in_dram": bool(in_dram), "outputs_in_dram": bool(out_dram), "dataflow": df}
        return LayerCounts(actions=a, macs_dense=s.macs_dense, macs_executed=executed, macs_gated=gated,
                           macs_skipped=s.macs_dense - executed - gated, dram_read_bits=dram_r,
                           dram_write_bits=dram_w, tiles=TileWork(load, compute_arr, store), extra=extra)

    # ---- storage -----------------------------------------------------------------------------------
    def _weight_bits(self, wnz: np.ndarray, plan: ScnnPlan, compressed: bool, vbits: int) -> np.ndarray:
        """(groups, Kc groups) bits of each group's weights: one zero-run stream per (Kc group, channel),
        ordered (r, s, filter)."""
        s = plan.spec
        ngk = ceil_div(s.Mg, plan.kc)
        if not compressed:
            return np.tile(plan.kc_sizes() * s.Cg * s.R * s.S * vbits, (s.groups, 1))
        out = np.zeros((s.groups, ngk), dtype=np.int64)
        for g in range(s.groups):
            weight_entries(wnz[g * s.Mg:(g + 1) * s.Mg], plan.kc, self.config.run_bits, out[g])
        return out * vbits

    def _input_bits(self, xnz: np.ndarray, thr: float, plan: ScnnPlan, compressed: bool,
                    vbits: int) -> np.ndarray:
        """Per image: bits of the stored input, one zero-run stream per (PE tile, channel); ``xnz`` is
        non-zero where |x| > thr (kernels.scnn.nonzero_source)."""
        s = plan.spec
        if not compressed:
            return np.full(s.N, s.C * s.H * s.W * vbits, dtype=np.int64)
        c = self.config
        out = np.zeros(s.N, dtype=np.int64)
        input_entries(xnz, plan.th, plan.tw, c.pe_rows, c.pe_cols, c.run_bits, thr, out)
        return out * vbits

    def _output_bits(self, layer: LayerTrace, compressed: bool, vbits: int) -> np.ndarray:
        s = layer.spec
        if not compressed:
            return np.full(s.N, s.M * s.E * s.F * vbits, dtype=np.int64)
        from accelsim.functional import layer_outputs
        y, thr = nonzero_source(np.asarray(layer_outputs(layer)).reshape(s.N, s.M, -1), self.config.word_bits)
        out = np.zeros(s.N, dtype=np.int64)
        output_entries(np.ascontiguousarray(y), self.config.run_bits, thr, out)
        return out * vbits
