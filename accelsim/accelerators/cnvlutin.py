"""Cnvlutin (Albericio et al., ISCA 2016): DaDianNao with zero-skipping neuron lanes.

Each tile's 16x16 NFU is split into 16 subunits; subunit (neuron lane) u owns a contiguous 1/16 slice of
the input channels and processes one non-zero neuron x 16 filters per cycle.  Neurons are stored in the
zero-free neuron array format (ZFNAf): each brick keeps its non-zero values with 4-bit offsets, written
by the encoder at the output of the previous layer.  Lanes are decoupled within a window; the next window
starts when every lane is done, so a window costs its slowest lane.

Cycle rules, following the authors' simulator MIsim (iniverno/MIsim, ZF=1: Ti=1, 16 units per cluster):
* lane u's sub-window is flattened channel-fastest and cut into 16-value chunks; a chunk costs
  max(1, nnz) steps (``zero_brick_cycles`` = 1: an all-zero chunk still takes a cycle in MIsim's unit);
* a step costs one cycle per 16-filter group the tile holds (ceil(Mg/256), as in DaDianNao);
* the pipeline (8 stages) fills once per layer.
See accelsim/kernels/lanes.py for the exact traversal.  These are the rules of ``timing_model: ideal``
(default); ``timing_model: misim`` adds MIsim's cycle accounting rule by rule (accelerators/misim_timing.py).

Where accelsim differs from MIsim, and why:
* MIsim's dispatcher reads NM through 2 ports x 32 B/cycle; accelsim assumes the dispatcher keeps every
  lane fed: 16 lanes x (16-bit neuron + 4-bit offset) = 40 B per cycle, within the two ports' 64 B (the
  neurons are broadcast, so every tile is fed by the same reads); it counts the dispatcher's work
  (``dispatcher.select``) for energy instead of timing it;
* near-zero pruning (CNV+pruning): an input whose magnitude is below the layer's threshold counts as zero
  (``threshold`` for all layers, ``thresholds`` per layer name, in the trace's own units; or
  ``threshold_rel``, a fraction of each layer's max |input|, which needs no knowledge of the units);
* geometry (dilation, per-axis stride and padding), grouped convolutions (``group_mapping``: packed
  groups share a brick, so a lane may hold channels of different groups; packed groups side by side on
  tiles run in lockstep: a window waits for the slowest lane of all of them), off-chip weights and
  neurons: as for DaDianNao (see dadiannao.py).  Off-chip
  neurons travel in ZFNAf with fixed brick slots (``zfnaf_layout``), so they cost 25% more bits than
  DaDianNao's, one of the format overheads that make Cnvlutin on dense inputs slightly slower.

Format overheads relative to DaDianNao on all-dense inputs: none in cycles when Cg is a multiple of
16 * 16 (every lane chunk is full); when a lane's last chunk of a window is short (fu*R*S not a multiple
of 16) a lane needs ceil(R*S*fu/16) chunks but takes only its R*S*fu non-zeros -- never more than the
baseline's R*S*ceil(Cg/16) steps.  Energy adds offset reads/writes and dispatcher work.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from accelsim.accelerators.base import LayerCounts, ceil_div
from accelsim.accelerators.dadiannao import DaDianNao, DaDianNaoConfig, DaDianNaoPlan, WindowWork, input_mask
from accelsim.accelerators.registry import register
from accelsim.config import Flag, doc, require
from accelsim.functional import layer_outputs
from accelsim.geometry import geometry
from accelsim.kernels.fixed import nonzero_u8
from accelsim.kernels.lanes import lane_work
from accelsim.errors import ConfigError
from accelsim.trace.format import LayerTrace, Trace


@dataclass(frozen=True)
class CnvlutinConfig(DaDianNaoConfig):
    CLI_FLAGS: ClassVar[tuple[Flag, ...]] = (
        Flag("--threshold", "threshold", "Cnvlutin near-zero pruning: inputs with |x| < T count as zero (trace units)",
             type=float, metavar="T"),)
    lanes_per_tile: int = doc("neuron lanes (subunits) per tile, each 1 neuron x 16 filters/cycle", unit="lanes", default=16)
    offset_bits: int = doc("ZFNAf offset width in bits (4 for 16-neuron bricks)", unit="bits", default=4)
    zero_brick_cycles: int = doc("cycles an all-zero lane chunk costs (MIsim: 1)", unit="cycles", default=1)
    threshold: float = doc("near-zero pruning: inputs with |x| below this count as zero (0 = off)", unit="trace units", default=0.0)
    thresholds: dict[str, float] = doc("per-layer near-zero thresholds {layer name: value}; override "
                                       "`threshold`", unit="trace units", default_factory=dict)
    threshold_rel: float = doc("near-zero pruning relative to each layer: inputs with |x| below this "
                               "fraction of the layer's max |input| (in the trace) count as zero; the larger "
                               "of this and the absolute threshold applies (0 = off)", unit="x max |input|", default=0.0)
    zfnaf_layout: str = doc("off-chip ZFNAf layout: fixed (every brick keeps 16 slots) or compact",
                            default="fixed")
    cm_port_bytes: int = doc("timing_model misim: values a central-memory port moves per cycle (MIsim "
                             "CM_bytesCyclePort with ZF=1: 32)", unit="values/cycle", default=32)
    gate_idle_lanes: bool = doc("a lane with no neuron to process in a cycle (finished its window early) "
                                "reads no synapses; false: every lane reads its 16 synapses every cycle, as an "
                                "ungated design would (energy then follows cycles, not work)", default=True)

    def __post_init__(self) -> None:
        super().__post_init__()
        n = type(self).__name__
        require(self.lanes_per_tile > 0, n, "lanes_per_tile must be > 0")
        require(self.brick_size % self.lanes_per_tile == 0 or self.lanes_per_tile == self.brick_size, n,
                "lanes_per_tile must equal brick_size (16)")
        require(self.offset_bits > 0, n, "offset_bits must be > 0")
        require(self.zero_brick_cycles >= 0, n, "zero_brick_cycles must be >= 0")
        require(self.threshold >= 0, n, f"threshold must be >= 0, got {self.threshold}")
        require(0 <= self.threshold_rel < 1, n, f"threshold_rel must be in [0, 1), got {self.threshold_rel}")
        for k, v in self.thresholds.items():
            require(v >= 0, n, f"thresholds[{k}] must be >= 0, got {v}")
        require(self.zfnaf_layout in ("fixed", "compact"), n, "zfnaf_layout must be 'fixed' or 'compact'")

    def threshold_for(self, layer: str, max_abs_input: float = 0.0) -> float:
        """The absolute near-zero threshold of ``layer``: its per-layer value (or the global one), or
        ``threshold_rel`` x the layer's max |input|, whichever is larger."""
        return max(float(self.thresholds.get(layer, self.threshold)), self.threshold_rel * float(max_abs_input))


@dataclass(frozen=True)
class CnvlutinWork(WindowWork):
    """DaDianNao's per-row work plus what Cnvlutin's zero skipping found."""

    nnz: np.ndarray = None  # type: ignore[assignment]  # (N, groups, E) non-zero neurons processed
    zero_chunks: int = 0        # all-zero lane chunks (each still costs zero_brick_cycles)
    macs_effectual: int = 0     # products of a non-zero neuron and a non-zero weight
    threshold: float = 0.0      # the near-zero threshold applied to this layer (trace units)
    nnz_read: int = 0           # non-zero neurons read (and dispatched) over the layer
    input_density: float = 0.0  # fraction of inputs kept (non-zero and above the threshold)


@register
class Cnvlutin(DaDianNao):
    name = "cnvlutin"
    config_cls = CnvlutinConfig
    description = "Cnvlutin (ISCA 2016): DaDianNao with decoupled zero-skipping neuron lanes (ZFNAf)"
    actions_emitted = DaDianNao.actions_emitted + (("offset", "read"), ("offset", "write"),
                                                   ("dispatcher", "select"), ("mac", "skipped"))

    def check_trace(self, trace: Trace) -> None:
        unknown = sorted(set(self.config.thresholds) - {lt.name for lt in trace.layers})
        if unknown:
            raise ConfigError(f"cnvlutin: thresholds name layer(s) {unknown} that trace {trace.network!r} "
                              f"lacks (it has {[lt.name for lt in trace.layers]})")

    def _lane_mask(self, plan: DaDianNaoPlan, layer: LayerTrace, rows: bool = False
                   ) -> tuple[np.ndarray, np.ndarray, float]:
        """(mask with padding, the input mask (N, C, H, W), threshold).  The mask is (N, packed groups,
        Hp, Wp, Cpad) uint8, or with ``rows`` (N, packed groups, Hp, Cpad, Wp) (kernels/lanes.py)."""
        c = self.config
        s = plan.spec
        thr = c.threshold_for(s.name, float(np.max(np.abs(layer.inputs))) if c.threshold_rel else 0.0)
        m = input_mask(layer, c.word_bits, thr)
        geo = geometry(s)
        # packed groups (plan.pack consecutive groups share a brick): their channels are consecutive
        k, G2 = plan.pack, plan.packed_groups
        cg = k * s.Cg
        mp = m
        if G2 * cg > s.C:
            mp = np.concatenate([m, np.zeros((s.N, G2 * cg - s.C, s.H, s.W), dtype=m.dtype)], axis=1)
        mp = mp.reshape(s.N, G2, cg, s.H, s.W)
        hs, ws = geo.h.real_slice(), geo.w.real_slice()
        if rows:
            mask = np.zeros((s.N, G2, geo.h.padded, plan.cpad, geo.w.padded), dtype=np.uint8)
            mask[:, :, hs, :cg, ws] = mp.transpose(0, 1, 3, 2, 4)
        else:
            mask = np.zeros((s.N, G2, geo.h.padded, geo.w.padded, plan.cpad), dtype=np.uint8)
            mask[:, :, hs, ws, :cg] = mp.transpose(0, 1, 3, 4, 2)
        return mask, m, thr

    def _misim_rows(self, plan: DaDianNaoPlan, layer: LayerTrace, timing, nb: int) -> np.ndarray:
        c = self.config
        s = plan.spec
        mask, _, _ = self._lane_mask(plan, layer)
        geo = (s.R, s.S, s.stride_h, s.stride_w, s.dilation_h, s.dilation_w)
        return timing.cnv_rows(mask, s.Cg, geo, s.E, s.F, c.lanes_per_tile, c.zero_brick_cycles, nb)

    def window_steps(self, plan: DaDianNaoPlan, layer: LayerTrace) -> CnvlutinWork:
        c = self.config
        s = plan.spec
        mask, m, thr = self._lane_mask(plan, layer, rows=True)
        wnz = nonzero_u8(layer.weights_mcrs(), c.word_bits).reshape(s.groups, s.Mg, s.Cg, s.R, s.S).sum(
            axis=1, dtype=np.int64)  # (groups, Cg, R, S) non-zero 16-bit weights over the group's filters
        k, G2 = plan.pack, plan.packed_groups
        cg = k * s.Cg
        wcount = np.zeros((G2 * k, s.Cg, s.R, s.S), dtype=np.int64)
        wcount[:s.groups] = wnz
        wcount = np.concatenate([wcount.reshape(G2, cg, s.R, s.S),
                                 np.zeros((G2, plan.cpad - cg, s.R, s.S), dtype=np.int64)], axis=1)
        out = lane_work(mask, wcount, geometry(s), c.lanes_per_tile, c.brick_size, c.zero_brick_cycles, Cg=cg,
                        gpr=plan.side_by_side)
        nnz_total = int(out["nnz"].sum())
        return CnvlutinWork(max_steps=out["max_steps"], lane_steps=out["lane_steps"], neurons_read=out["nnz"],
                            macs_executed=nnz_total * s.Mg, nnz=out["nnz"],
                            zero_chunks=int(out["zero_chunks"].sum()), macs_effectual=int(out["effectual"].sum()),
                            threshold=thr, nnz_read=nnz_total, input_density=float(m.mean()) if m.size else 0.0)

    def _design_counts(self, counts: LayerCounts, w: WindowWork, lane_steps: int, groups16: int) -> None:
        assert isinstance(w, CnvlutinWork)
        a = counts.actions
        # offsets travel with every non-zero neuron: read from NM once per window, and from NBin with
        # every lane step of every filter group; the dispatcher selects each non-zero neuron once per window
        a.add("offset", "read", w.nnz_read + lane_steps * groups16)
        a.add("dispatcher", "select", w.nnz_read)
        a.add("mac", "skipped", counts.macs_skipped)
        counts.extra.update(zero_chunks=w.zero_chunks, macs_effectual=w.macs_effectual, threshold=w.threshold,
                            nnz_read=w.nnz_read, input_density=w.input_density)

    # ---- hooks ----------------------------------------------------------------------------------------
    def _sb_reads(self, lane_steps: int, total_steps: int) -> int:
        return lane_steps if self.config.gate_idle_lanes else total_steps * self.config.lanes_per_tile

    def _products(self, plan: DaDianNaoPlan, w: WindowWork) -> int:
        # only non-zero neurons are multiplied, each by the tile's filter slots
        assert isinstance(w, CnvlutinWork)
        return int(w.nnz.sum()) * plan.filter_slots

    def _nbin_reads(self, plan: DaDianNaoPlan, w: WindowWork) -> int:
        return int(w.lane_steps.sum())

    def _output_words(self, layer: LayerTrace) -> tuple[int, dict[tuple[str, str], int]]:
        out = layer_outputs(layer)
        nz = int(np.count_nonzero(nonzero_u8(out, self.config.word_bits)))
        # the ZFNAf encoder writes non-zero values and their offsets
        return nz, {("offset", "write"): nz}

    def _output_row_bits(self, plan: DaDianNaoPlan, layer: LayerTrace) -> np.ndarray:
        c = self.config
        s = plan.spec
        if c.zfnaf_layout == "fixed":
            bits = s.Mg * s.F * (c.word_bits + c.offset_bits)
            return np.full(s.N * s.groups * s.E, bits, dtype=np.int64)
        out = layer_outputs(layer).reshape(s.N, s.groups, s.Mg, s.E, s.F)
        nz = nonzero_u8(out, c.word_bits).sum(axis=(2, 4), dtype=np.int64).reshape(-1)
        bricks = ceil_div(s.Mg, c.brick_size) * s.F
        return nz * (c.word_bits + c.offset_bits) + bricks * 5

    def _input_row_bits(self, plan: DaDianNaoPlan) -> np.ndarray:
        c = self.config
        return super()._input_row_bits(plan) * (c.word_bits + c.offset_bits) // c.word_bits
