"""EIE (Han, Liu, Mao, Pu, Pedram, Horowitz, Dally, ISCA 2016): sparse matrix x sparse vector for FC layers.

Storage (Sec. III-IV): the weight matrix (rows = output neurons, columns = inputs) is interleaved over
64 PEs by row (row i -> PE i mod 64).  Each PE keeps its rows in compressed sparse column form: per
column, entries of (v, z) with v a 4-bit index into a 16-entry shared-weight codebook and z a 4-bit
relative row index (zeros since the previous entry); a run of more than 15 zeros inserts a padding
zero entry (:mod:`accelsim.compression.zero_run`).  Column pointers (16 bit, two banks, so p_j and
p_j+1 are read in one cycle) mark each column's entries.

Execution: the leading-non-zero-detection tree finds the non-zero activations, and the central unit
broadcasts them one per cycle at most, column order.  Each PE works through its entries of that column,
one entry per cycle (codebook lookup, multiply, accumulate into its destination activation register).
Each PE has an activation queue (depth 8, the paper's choice from its Fig. 8) so a PE with many entries
in one column can catch up on later, lighter ones; the broadcast stops while any queue is full.  With
depth 0 every column costs its slowest PE.  The kernel (:mod:`accelsim.kernels.eie`) steps this exactly
per column (one pass over the broadcasts, every PE in the inner loop); ``queue_stall_cycles`` counts
cycles the broadcast was held, ``load_efficiency`` is busy PE-cycles over PE-cycles (the paper's
1 - bubbles / total).

Assumptions (each a config field):
* a column costs a PE ``max(entries, min_cycles_per_column)`` cycles: a column with no entries in a PE
  still takes its pointer-read slot (1 cycle);
* weights are taken as codebook-coded: EIE's cycles and counts depend only on which weights are zero,
  not on their values, so any trace runs; ``accelsim trace quantize --scheme kmeans --bits 4`` gives a
  trace whose values are the 16-entry codebook's (see :mod:`accelsim.quantize`);
* the entries live in the PEs' 128 KB sparse-matrix SRAMs; a layer whose fullest PE does not fit streams
  its compressed weights (entries and pointers) from DRAM once per image (an assumption: EIE's
  evaluation keeps every benchmark on chip).  Pointers are assumed to fit their SRAM (VGG-16 fc6 needs
  25089 x 16 bits = 49 KB per PE against the published 32 KB; the paper does not say how it splits);  activations live in the PEs' register files (no DRAM traffic);
* conv layers are lowered to one matrix-vector product per output position (n, e, f) and group, on the
  group's Mg x Cg*R*S filter matrix and the window's input patch, columns ordered (c, r, s); the kernel
  (:func:`accelsim.kernels.eie.eie_conv_kernel`) reads each window from the padded input, so the lowered
  matrix is never built; padding positions are zero activations, skipped like any zero.  EIE was built
  and evaluated for FC layers only, so conv results are accelsim's extension;
* ``dense: true`` is the dense reference on the same 64 PEs: every weight stored (no relative indices
  needed, one entry per row), every activation broadcast;  it gives the "speedup over dense" of a layer.

MAC classes: executed = products of a non-zero weight and a non-zero activation; skipped = the rest of
the dense MACs (zero weights are not stored, zero activations are not broadcast).  Padding entries are
work that is not a MAC: they are counted in ``padding_entries`` and in the spmat/arithmetic actions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim import fixedpoint
from accelsim.accelerators.base import Accelerator, LayerCounts
from accelsim.accelerators.registry import register
from accelsim.config import doc, require
from accelsim.counts import ActionCounts
from accelsim.kernels.eie import eie_conv_kernel, eie_pe_columns_kernel, eie_tap_counts, queue_costs, ring_size
from accelsim.timeline import TileWork
from accelsim.trace.format import LayerSpec, LayerTrace


@dataclass(frozen=True)
class EieConfig:
    pes: int = doc("processing elements; rows interleaved over them (ISCA 2016: 64)", unit="PEs", default=64)
    queue_depth: int = doc("activation queue entries per PE (ISCA 2016 Fig. 8: 8); 0 = no queue", unit="entries", default=8)
    clock_hz: float = doc("clock in Hz (ISCA 2016: 800 MHz, 45 nm)", unit="Hz", default=800e6)
    index_bits: int = doc("relative row index bits z (4); a longer zero run inserts a padding entry", unit="bits", default=4)
    codebook_bits: int = doc("weight index bits v into the shared codebook (4 -> 16 entries)", unit="bits", default=4)
    ptr_bits: int = doc("column pointer bits (16)", unit="bits", default=16)
    word_bits: int = doc("activation / arithmetic width in bits (16-bit fixed point)", unit="bits", default=16)
    min_cycles_per_column: int = doc("cycles a PE spends on a broadcast column with no entries of its own "
                                     "(assumption: the pointer read takes one pipeline slot)", unit="cycles", default=1)
    spmat_bytes_per_pe: int = doc("sparse-matrix SRAM per PE in bytes (ISCA 2016: 128 KB)", unit="bytes", default=128 * 1024)
    dense: bool = doc("dense reference: all weights stored and all activations broadcast", default=False)
    dram_bw_bits_per_cycle: float = doc("DRAM bits per cycle if weights must stream (assumption: 64 bits)",
                                        unit="bits/cycle", default=64.0)
    dram_latency_cycles: int = doc("DRAM latency in cycles (assumption: ~100 ns)", unit="cycles", default=80)
    energy_table: str = doc("energy table name or YAML path", default="eie-45nm")

    def __post_init__(self) -> None:
        n = type(self).__name__
        for f in ("pes", "index_bits", "codebook_bits", "ptr_bits", "word_bits", "min_cycles_per_column",
                  "spmat_bytes_per_pe"):
            require(getattr(self, f) > 0, n, f"{f} must be > 0, got {getattr(self, f)}")
        require(0 <= self.queue_depth <= 4096, n, f"queue_depth must be 0..4096, got {self.queue_depth}")
        require(self.index_bits <= 16, n, f"index_bits must be <= 16, got {self.index_bits}")
        require(self.clock_hz > 0, n, "clock_hz must be > 0")
        require(self.dram_bw_bits_per_cycle > 0, n, "dram_bw_bits_per_cycle must be > 0")
        require(self.dram_latency_cycles >= 0, n, "dram_latency_cycles must be >= 0")


def _padded(mask: np.ndarray, s: LayerSpec) -> np.ndarray:
    """(N, C, Hp, Wp) uint8 copy of a (N, C, H, W) bool mask with the layer's zero padding."""
    out = np.zeros((s.N, s.C, s.H + s.pad_top + s.pad_bottom, s.W + s.pad_left + s.pad_right), dtype=np.uint8)
    out[:, :, s.pad_top:s.pad_top + s.H, s.pad_left:s.pad_left + s.W] = mask
    return out


@dataclass(frozen=True)
class EiePlan:
    spec: LayerSpec
    rows: int          # Mg: matrix rows per group
    cols: int          # Cg*R*S: matrix columns
    products: int      # matrix-vector products per group: N*E*F (conv) or N (fc)
    pes_used: int      # PEs holding at least one row: min(pes, Mg)


@register
class Eie(Accelerator[EiePlan]):
    name = "eie"
    config_cls = EieConfig
    description = "EIE (ISCA 2016): 64 PEs, CSC sparse weights x sparse activations, activation queues"
    actions_emitted = (("ptr", "read"), ("spmat", "read"), ("codebook", "read"), ("mult", "random"),
                       ("add", "random"), ("act_rw", "access"), ("act_queue", "push"), ("lnzd", "broadcast"),
                       ("mac", "skipped"), ("dram", "read_bits"), ("dram", "write_bits"))

    def peak_macs_per_cycle(self) -> int:
        return self.config.pes

    def plan(self, spec: LayerSpec) -> EiePlan:
        products = spec.N if spec.kind == "fc" else spec.N * spec.E * spec.F
        return EiePlan(spec, spec.Mg, spec.Cg * spec.R * spec.S, products, min(self.config.pes, spec.Mg))

    def pe_entries(self, wmat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(P_used, K) entries and padding entries of each PE's column (rows interleaved over PEs)."""
        c = self.config
        rows, k = wmat.shape
        p_used = min(c.pes, rows)
        if c.dense:
            n = (rows - np.arange(p_used) + c.pes - 1) // c.pes  # rows of PE p: p, p + P, ... < rows
            return np.repeat(n[:, None], k, axis=1).astype(np.int64), np.zeros((p_used, k), dtype=np.int64)
        entries, pad = np.zeros((p_used, k), dtype=np.int64), np.zeros((p_used, k), dtype=np.int64)
        w = np.ascontiguousarray(wmat, dtype=bool).view(np.uint8)
        eie_pe_columns_kernel(w, c.pes, c.index_bits, entries, pad)
        return entries, pad

    def count(self, plan: EiePlan, layer: LayerTrace) -> LayerCounts:
        c, s = self.config, plan.spec
        if c.dense:  # every weight stored; every patch position broadcast (padding included): no input read
            wmask = np.ones((s.M, plan.cols), dtype=bool)
            xp = np.zeros((1, 1, 1, 1), dtype=np.uint8)
        else:
            wmask = fixedpoint.nonzero_mask(layer.weights_mcrs(), c.word_bits).reshape(s.M, plan.cols)
            xmask = fixedpoint.nonzero_mask(layer.inputs_nchw(), c.word_bits)
            xp = _padded(xmask, s)
        a = ActionCounts()
        cycles_all, executed, entries_total, pad_total, active_total, stalls, busy = [], 0, 0, 0, 0, 0, 0
        storage_bits = 0
        spmat_bits_pe = 0   # the fullest PE's sparse-matrix SRAM, over groups (one group resident at a time)
        for g in range(s.groups):
            wmat = wmask[g * s.Mg:(g + 1) * s.Mg]
            entries, pad = self.pe_entries(wmat)
            cost = np.maximum(entries, c.min_cycles_per_column)
            cost_t, cap, lanes = queue_costs(cost, c.queue_depth)
            geo = (g * s.Cg, s.Cg, s.R, s.S, s.E, s.F, s.stride_h, s.stride_w, s.dilation_h, s.dilation_w)
            hist = np.zeros(plan.cols, dtype=np.int64)  # broadcasts of each column, over all products
            cycles = np.empty(plan.products, dtype=np.int64)
            if c.dense:
                hist[:] = plan.products
                cycles[:] = plan.cols
            else:  # per-product tap counts are the cycles only when no PE can hold the broadcast
                eie_tap_counts(xp, *geo, hist, cycles if cost_t.shape[1] == 0 else cycles[:0])
            if cost_t.shape[1]:  # else every column takes one cycle: the product takes its broadcasts
                stalls += int(eie_conv_kernel(xp, *geo, bool(c.dense), cost_t, c.queue_depth, cap, lanes,
                                              ring_size(c.queue_depth), cycles))
            cycles_all.append(cycles)
            busy += int(hist @ cost.sum(axis=0))
            entries_total += int(hist @ entries.sum(axis=0))
            pad_total += int(hist @ pad.sum(axis=0))
            executed += int(hist @ np.count_nonzero(wmat, axis=0))
            active_total += int(hist.sum())
            bits_entry = (c.word_bits if c.dense else c.index_bits + c.codebook_bits)
            spmat_bits_pe = max(spmat_bits_pe, int(entries.sum(axis=1).max(initial=0)) * bits_entry)
            storage_bits += int(entries.sum()) * bits_entry + plan.pes_used * (plan.cols + 1) * c.ptr_bits
        # products run image by image, group by group: order the tiles (n, g, position)
        per_group = [x.reshape(s.N, -1) for x in cycles_all]
        compute = np.concatenate([np.stack(per_group, axis=1).reshape(-1)]) if per_group else np.zeros(1)
        on_chip = spmat_bits_pe <= c.spmat_bytes_per_pe * 8
        load = np.zeros(compute.size, dtype=np.int64)
        if not on_chip:
            per_image = compute.size // s.N
            load[::per_image] = storage_bits
        dram_r = int(load.sum())
        a.add("ptr", "read", plan.pes_used * active_total)
        a.add("act_queue", "push", plan.pes_used * active_total)
        a.add("lnzd", "broadcast", active_total)
        a.add("spmat", "read", entries_total)
        a.add("codebook", "read", 0 if c.dense else entries_total)
        a.add("mult", "random", entries_total)
        a.add("add", "random", entries_total)
        a.add("act_rw", "access", entries_total)
        a.add("mac", "skipped", s.macs_dense - executed)
        a.add("dram", "read_bits", dram_r)
        a.add("dram", "write_bits", 0)
        total_cycles = int(compute.sum())
        extra = {"tile_name": "matvec", "queue_stall_cycles": stalls, "padding_entries": pad_total,
                 "entries_processed": entries_total, "broadcast_columns": active_total,
                 "load_efficiency": busy / (plan.pes_used * total_cycles) if total_cycles else 1.0,
                 "weight_storage_bits": storage_bits, "weights_on_chip": on_chip, "pes_used": plan.pes_used}
        return LayerCounts(actions=a, macs_dense=s.macs_dense, macs_executed=executed,
                           macs_skipped=s.macs_dense - executed, dram_read_bits=dram_r, dram_write_bits=0,
                           tiles=TileWork(load, compute, np.zeros_like(load)), extra=extra)
