"""Eyeriss v1 (Chen et al., ISSCC 2016; JSSC 52(1) 2017; ISCA 2016 for the row-stationary dataflow).

(Over ~400 lines on purpose: config, pass table and the count/DRAM rules of one dataflow whose every
term the mapping search and the PE-level reference mirror; the mappers are in eyeriss_mapping.py and
eyeriss_search.py.)

12 x 14 PEs, 16-bit fixed point, 200 MHz core; per PE a 224-entry filter spad, 12-entry ifmap spad (with a
12-bit zero buffer), 24-entry psum spad; a 108 kB global buffer (100 kB ifmaps/psums, 8 kB filters); a
64-bit DRAM link on its own clock (60 MHz in the paper's measurements).  The mapping (which PEs compute
what, in which passes) is in :mod:`accelsim.accelerators.eyeriss_mapping`.

What is counted, per processing pass (every number is exact for the mapping; ``dense`` = all MACs):

* a PE's 1-D row convolution: for each image, ofmap column f, filter k (p_b of them), channel c (q_b) and
  tap s: one MAC, one ifmap-spad read, one psum-spad read and write, and -- unless the ifmap value is zero
  and gating is on -- one filter-spad read.  A zero ifmap value (after 16-bit quantization; padding is
  zero) gates the filter-spad read and the MAC (``weight_spad.gated_read``, ``mac.gated``) and saves no
  cycle (JSSC V-C).  With gating on, every MAC also reads the zero buffer;
* spad fills: at the start of a pass every active PE gets its p_b*q_b*S filter values; for every image it
  gets the q_b*(S + (F-1)*new) ifmap values its sliding window takes in, new = min(S, stride_w/dilation_w)
  when the dilation divides the stride, else S (:meth:`accelsim.geometry.Axis.window_fill`; padding zeros
  included, generated at the GLB; columns a stride or the dilation skips are not sent);
* psum accumulation up a column: the R*nc PEs of a column (nc = active channel sets of the pass, stacked
  so their psums add up) take R*nc - 1 psum transfers over the local network, each an ``add`` with a
  psum-spad read and write; after the first channel pass the previous psum comes in from the GLB (a GLB
  read, a NoC transfer and one more add);  the top PE sends each psum to the GLB (GON transfer, GLB write);
* NoC transfers (``noc.transfer``) are 16-bit words received: spad fills, psum moves, psums out;
* GLB reads: a pass's filters once (multicast), its ifmap rows once per image (multicast to every set that
  needs them), psums as above and every finished ofmap value once more on its way to DRAM;  GLB writes:
  whatever DRAM delivers (decompressed words) and the psums;
* DRAM (per the mapping's loop order and GLB tiles, eyeriss_mapping.py): filters uncompressed, once when
  the whole layer's fit the 8 kB filter buffer, otherwise once per iteration of the image-block and strip
  loops outside the filter tile; ifmaps once per iteration of a filter loop outside the ifmap tile (the
  fixed rule: once per strip pass when ifmap-resident, per filter pass when streamed); ofmaps once, when
  their last channel pass ends.  A tile's DRAM load is charged to its first pass (:func:`place_tiles`).

RLC streams (the unit the Foundation codec sizes, accelsim.compression.rlc): for a conv layer, one stream
per (image, channel, input rows of a strip pass: ``RsMapping.pass_dram_rows``; the whole plane when the
ifmap tile spans every strip pass) for ifmaps and per (image, filter, ofmap rows of a strip pass)
for ofmaps -- rows re-read by the next strip (the halo) are read and compressed again; for FC layers (1x1
fmaps) one stream per (image, channels of one channel pass) and (image, filters of one filter pass).  The
first layer's input is read uncompressed (JSSC IV-B): the first layer of the trace, in its order
(``LayerTrace.network_input``, set by :class:`~accelsim.trace.format.Trace`; ``raw_first_input: false`` turns it off).
With ``rlc: false`` every fmap moves uncompressed.

Timing: a pass costs the filter load (filter GIN, 4 words/cycle) plus, per image, the slowest of the PE's
row convolution (F*S*p*q cycles, 1 MAC/cycle, pipelined), the ifmap GIN (1 word/cycle) and the psum
GIN/GON (4 words/cycle).  ``latency_processing_s`` is the sum of pass cycles (no DRAM, as JSSC's
"processing latency"); ``latency_total_s`` runs the passes as tiles through the simpy timeline with the
DRAM link at 64 bits x 60 MHz / 200 MHz = 19.2 bits per core cycle, double-buffered.  Timeline tiles are
GLB refills: a pass that reads nothing from DRAM joins the tile before it.  Every tile is timed exactly
(``timeline/pipeline.py``: runs of identical tiles in closed form, no merging).  Passes run in the
mapping's loop order.  No per-pass ramp-up beyond the filter load is modelled: JSSC VI-B attributes VGG
CONV1-2's slowness partly to "ramp-up" of its many passes but gives no figure, and none is invented here.

Filters taller than the PE array or wider than the ifmap spad (12) are folded into parts, each mapped and
counted as above, psums round-tripping DRAM between parts (eyeriss_fold.py).

The mapping is searched by default (``mapping_search``; ``mapping_objective``, eyeriss_search.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from accelsim.accelerators.base import Accelerator, LayerCounts
from accelsim.accelerators.eyeriss_mapping import ArrayShape, RsMapping, map_layer
from accelsim.accelerators.eyeriss_fold import (FoldedMapping, FoldPart, fold_specs, merge_counts,
                                                needs_folding, part_trace)
from accelsim.accelerators.eyeriss_search import LOOPS, OBJECTIVES, SearchCost, search_layer
from accelsim.accelerators.registry import register
from accelsim.config import Flag, doc, require
from accelsim.counts import ActionCounts
from accelsim.results import check_conservation
from accelsim.functional import layer_outputs
from accelsim.geometry import flat_stream_bits, geometry, row_stream_bits
from accelsim.kernels.eyeriss import effectual_input_macs
from accelsim.kernels.fixed import nonzero_u8
from accelsim.timeline import TileWork
from accelsim.trace.format import LayerSpec, LayerTrace


@dataclass(frozen=True)
class EyerissConfig:
    CLI_FLAGS: ClassVar[tuple[Flag, ...]] = (
        Flag("--no-rlc", "rlc", "Eyeriss: move fmaps to/from DRAM uncompressed", value=False),
        Flag("--no-gating", "gating", "Eyeriss: no zero-gating of MACs", value=False))
    pe_rows: int = doc("PE array rows (JSSC III-A: 12)", unit="PEs", default=12)
    pe_cols: int = doc("PE array columns (JSSC III-A: 14)", unit="PEs", default=14)
    filter_spad_words: int = doc("filter spad entries per PE, 16-bit (JSSC V-C: 224)", unit="words", default=224)
    ifmap_spad_words: int = doc("ifmap spad entries per PE, 16-bit (JSSC V-C: 12)", unit="words", default=12)
    psum_spad_words: int = doc("psum spad entries per PE, 16-bit (JSSC V-C: 24)", unit="words", default=24)
    glb_fmap_bytes: int = doc("global buffer for ifmaps and psums in bytes (JSSC V-A: 25 x 4 kB = 100 kB)",
                              unit="bytes", default=25 * 4096)
    glb_filter_bytes: int = doc("global buffer for filters in bytes (JSSC V-A: 2 x 512 x 64 b = 8 kB)",
                                unit="bytes", default=8192)
    word_bits: int = doc("datapath width in bits (16-bit fixed point)", unit="bits", default=16)
    clock_hz: float = doc("core clock in Hz (JSSC Table V/VI: 200 MHz)", unit="Hz", default=200e6)
    dram_bus_bits: int = doc("DRAM data bus width in bits (JSSC III-A: 64)", unit="bits", default=64)
    dram_clock_hz: float = doc("DRAM link clock in Hz (JSSC Table V/VI: 60 MHz)", unit="Hz", default=60e6)
    dram_latency_cycles: int = doc("DRAM access latency in core cycles (assumption: 100 ns at 200 MHz)",
                                   unit="cycles", default=20)
    ifmap_gin_words_per_cycle: int = doc("ifmap GIN width in 16-bit words per cycle (JSSC V-B: 16 b)", unit="words/cycle", default=1)
    filter_gin_words_per_cycle: int = doc("filter GIN width in words per cycle (JSSC V-B: 64 b)", unit="words/cycle", default=4)
    psum_gin_words_per_cycle: int = doc("psum GIN/GON width in words per cycle (JSSC V-B: 64 b)", unit="words/cycle", default=4)
    rlc: bool = doc("RLC-compress fmaps moved to/from DRAM (JSSC IV-B); false: uncompressed", default=True)
    gating: bool = doc("zero-gate the filter-spad read and MAC of zero ifmap values (JSSC V-C)", default=True)
    raw_first_input: bool = doc(
        "the first layer of the trace (it reads the network's input image) reads its input from DRAM "
        "uncompressed (JSSC IV-B); false: RLC-compress every layer's input", default=True)
    energy_table: str = doc("energy table name or YAML path", default="eyeriss-45nm")
    mapping_search: bool = doc(
        "choose each layer's mapping by searching the legal ones for the least mapping_objective under dense "
        "counts (ISCA 2016 V-VI: the RS mapping minimizing energy); false: the fixed rule (eyeriss_mapping.py)",
        default=True)
    mapping_objective: str = doc("what the mapping search minimizes: energy (the paper's choice; cycles break "
                                 "ties), cycles (energy breaks ties) or edp", default="energy")
    group_mapping: str = doc("grouped convolutions: spread (PE sets left idle by one group take other groups "
                             "in the same pass, side by side) or serial (one group per pass)", default="spread")
    mapping_idle_pes: bool = doc(
        "the mapping search prices time, as nn_dataflow's cost model does (static cost = idl_unit x time): "
        "every processing cycle costs the table's leakage.cycle plus, for each of the array's PEs, a "
        "clock-gated PE (the table's mac.gated + weight_spad.gated_read: Sparseloop's gated prices), so a "
        "mapping that leaves PEs idle pays for them; false: no time term (the search before)", default=True)

    def __post_init__(self) -> None:
        n = type(self).__name__
        require(self.mapping_objective in OBJECTIVES, n,
                f"mapping_objective must be one of {', '.join(OBJECTIVES)}, got {self.mapping_objective!r}")
        for f in ("pe_rows", "pe_cols", "filter_spad_words", "ifmap_spad_words", "psum_spad_words",
                  "glb_fmap_bytes", "glb_filter_bytes", "word_bits", "dram_bus_bits",
                  "ifmap_gin_words_per_cycle", "filter_gin_words_per_cycle", "psum_gin_words_per_cycle"):
            require(getattr(self, f) > 0, n, f"{f} must be > 0, got {getattr(self, f)}")
        require(self.clock_hz > 0, n, f"clock_hz must be > 0, got {self.clock_hz}")
        require(self.dram_clock_hz > 0, n, f"dram_clock_hz must be > 0, got {self.dram_clock_hz}")
        require(self.dram_latency_cycles >= 0, n, "dram_latency_cycles must be >= 0")
        require(self.group_mapping in ("spread", "serial"), n,
                f"group_mapping must be spread or serial, got {self.group_mapping!r}")

    @property
    def dram_bw_bits_per_cycle(self) -> float:
        """Bits the DRAM link moves per core cycle: 64 x 60 MHz / 200 MHz = 19.2."""
        return self.dram_bus_bits * self.dram_clock_hz / self.clock_hz

    @property
    def array(self) -> ArrayShape:
        wb = self.word_bits // 8 if self.word_bits % 8 == 0 else self.word_bits / 8
        return ArrayShape(self.pe_rows, self.pe_cols, self.filter_spad_words, self.ifmap_spad_words,
                          self.psum_spad_words, int(self.glb_fmap_bytes // wb), int(self.glb_filter_bytes // wb),
                          self.group_mapping == "spread")


@dataclass(frozen=True)
class PassTable:
    """Per-dimension block structure of a mapping; every per-pass quantity broadcasts over
    (GP, IB, SP, FP, CP) from these 1-D arrays (GP: group passes of ``gs`` groups side by side)."""

    ng: np.ndarray       # (GP,) groups in each group pass
    nbi: np.ndarray      # (IB,) images in each image block
    rows_out: np.ndarray  # (SP,) ofmap rows computed in the strip pass
    rows_in: np.ndarray   # (SP,) real input rows read in the strip pass
    pmax: np.ndarray      # (FP,) largest filter block of the pass
    psum: np.ndarray      # (FP,) filters in the pass
    nf: np.ndarray        # (FP,) active filter blocks (sets along t)
    qmax: np.ndarray      # (CP,)
    qsum: np.ndarray      # (CP,) channels in the pass
    nc: np.ndarray        # (CP,) active channel blocks (sets along r)


def pass_table(m: RsMapping) -> PassTable:
    s = m.spec
    fb = np.minimum(m.p, s.Mg - m.p * np.arange(m.filter_blocks))
    cb = np.minimum(m.q, s.Cg - m.q * np.arange(m.channel_blocks))
    fpad = np.zeros(m.filter_passes * m.t, dtype=np.int64)
    fpad[:len(fb)] = fb
    cpad = np.zeros(m.channel_passes * m.r, dtype=np.int64)
    cpad[:len(cb)] = cb
    fpad = fpad.reshape(m.filter_passes, m.t)
    cpad = cpad.reshape(m.channel_passes, m.r)
    rows_out = np.array([b - a for a, b in (m.pass_rows(i) for i in range(m.strip_passes))], dtype=np.int64)
    rows_in = np.array([b - a for a, b in (m.pass_input_rows(i) for i in range(m.strip_passes))],
                       dtype=np.int64)
    nbi = np.minimum(m.nb, s.N - m.nb * np.arange(m.image_blocks)).astype(np.int64)
    ng = np.minimum(m.gs, s.groups - m.gs * np.arange(m.group_passes)).astype(np.int64)
    return PassTable(ng, nbi, rows_out, rows_in, fpad.max(1), fpad.sum(1), (fpad > 0).sum(1),
                     cpad.max(1), cpad.sum(1), (cpad > 0).sum(1))


def _grid(tab: PassTable) -> dict[str, np.ndarray]:
    """Broadcastable (GP, IB, SP, FP, CP) views of the pass table."""
    def ax(a: np.ndarray, i: int) -> np.ndarray:
        shape = [1] * 5
        shape[i] = len(a)
        return a.astype(np.int64).reshape(shape)
    cp_idx = np.arange(len(tab.qsum))
    return {"ng": ax(tab.ng, 0), "nbi": ax(tab.nbi, 1), "rows_out": ax(tab.rows_out, 2), "rows_in": ax(tab.rows_in, 2),
            "pmax": ax(tab.pmax, 3), "psum": ax(tab.psum, 3), "nf": ax(tab.nf, 3),
            "qmax": ax(tab.qmax, 4), "qsum": ax(tab.qsum, 4), "nc": ax(tab.nc, 4),
            "later": ax((cp_idx > 0).astype(np.int64), 4), "shape": np.array(
                [len(tab.ng), len(tab.nbi), len(tab.rows_out), len(tab.psum), len(tab.qsum)])}


def dense_pass_counts(m: RsMapping, word_gins: tuple[int, int, int] = (1, 4, 4)) -> dict[str, np.ndarray]:
    """Data-independent per-pass numbers, each a (GP, IB, SP, FP, CP) int64 array.  The ``ng`` groups of
    a group pass run side by side on their own sets: the row convolution takes no longer, everything the
    sets receive or send (filters, ifmaps, psums) is ng times one group's."""
    s = m.spec
    g = _grid(pass_table(m))
    shape = tuple(int(x) for x in g["shape"])
    full = lambda a: np.broadcast_to(a, shape).astype(np.int64)  # noqa: E731
    R, S, F = s.R, s.S, s.F
    geo = geometry(s)
    wfill = geo.w.window_fill()  # ifmap values a PE's sliding window takes in, per channel (and row)
    ng = g["ng"]
    outs = ng * g["nbi"] * F * g["rows_out"] * g["psum"]
    igin, fgin, pgin = word_gins
    filt = ng * g["psum"] * g["qsum"] * R * S
    compute = F * S * g["pmax"] * g["qmax"]                    # the PE's row convolution, per image
    ifmap_words = ng * g["qsum"] * g["rows_in"] * geo.w.span_count()  # distinct ifmap words on the GIN, per image
    psum_words = ng * g["psum"] * g["rows_out"] * F              # psums out (and in) per image
    per_img = np.maximum(np.maximum(compute, -(-ifmap_words // igin)), -(-psum_words // pgin))
    return {
        "cycles": full(-(-filt // fgin) + g["nbi"] * per_img),
        "compute_cycles": full(g["nbi"] * compute),
        "macs": full(ng * g["nbi"] * R * F * S * g["psum"] * g["qsum"] * g["rows_out"]),
        "filter_spad_write": full(ng * R * g["rows_out"] * g["psum"] * g["qsum"] * S),
        "ifmap_spad_write": full(ng * g["nbi"] * R * g["rows_out"] * g["qsum"] * wfill * g["nf"]),
        "accumulations": full(outs * (R * g["nc"] - 1 + g["later"])),
        "outputs": full(outs),
        "psum_in": full(outs * g["later"]),
        "glb_filter_read": full(filt),
        "glb_ifmap_read": full(g["nbi"] * ifmap_words),
        "active_pes": full(ng * R * g["rows_out"] * g["nf"] * g["nc"]),
    }


def glb_tiles(load: np.ndarray, cycles: np.ndarray, store: np.ndarray) -> TileWork:
    """Timeline tiles from passes: a pass that reads nothing from DRAM joins the tile before it, so a tile
    is a GLB refill and the passes it feeds (its ofmap writes start when the whole tile ends)."""
    starts = np.flatnonzero(load > 0)
    if len(starts) == 0 or starts[0] != 0:
        starts = np.concatenate([[0], starts])
    return TileWork(np.add.reduceat(load, starts), np.add.reduceat(cycles, starts),
                    np.add.reduceat(store, starts))


def place_tiles(block: np.ndarray, shape: tuple[int, ...], order: str, inner: str, relevant: str) -> np.ndarray:
    """DRAM words or bits per pass (G, IB, SP, FP, CP) of a tensor whose per-block amounts are ``block``
    (size 1 on the axes the tensor does not depend on, or on an axis already summed).  The GLB tile spans
    the loops ``inner`` (the innermost ones of ``order``): the tile's data is loaded at its first pass (every
    inner loop at index 0), once per iteration of the outer loops -- so outer loops the tensor does not
    depend on re-read it."""
    axes = [1 + LOOPS.index(x) for x in inner]
    rel = tuple(ax for x, ax in zip(inner, axes) if x in relevant and block.shape[ax] > 1)
    b = block.sum(axis=rel, keepdims=True) if rel else block
    out = np.zeros(shape, dtype=np.int64)
    idx = [slice(None)] * len(shape)
    for ax in axes:
        idx[ax] = slice(0, 1)
    out[tuple(idx)] = np.broadcast_to(b, out[tuple(idx)].shape)
    return out


def _reduce_blocks(a: np.ndarray, axis: int, size: int, block: int) -> np.ndarray:
    """Sum consecutive blocks of ``block`` entries along ``axis`` (the last block may be short)."""
    return np.add.reduceat(a, np.arange(0, size, block), axis=axis)


@register
class Eyeriss(Accelerator[RsMapping]):
    name = "eyeriss"
    config_cls = EyerissConfig
    description = "Eyeriss v1 (ISSCC/JSSC 2016-17): 12x14 row-stationary PEs, zero-gating, RLC DRAM I/O"
    actions_emitted = (("mac", "random"), ("mac", "gated"), ("weight_spad", "read"), ("weight_spad", "write"),
                       ("weight_spad", "gated_read"), ("ifmap_spad", "read"), ("ifmap_spad", "write"),
                       ("psum_spad", "read"), ("psum_spad", "write"), ("zero_buffer", "read"),
                       ("noc", "transfer"), ("glb", "read"), ("glb", "write"), ("dram", "read_bits"),
                       ("dram", "write_bits"), ("add", "random"))

    def peak_macs_per_cycle(self) -> int:
        return self.config.pe_rows * self.config.pe_cols

    def plan(self, spec: LayerSpec) -> RsMapping:  # (or a FoldedMapping of RsMappings: eyeriss_fold.py)
        a = self.config.array
        if needs_folding(spec, a.rows, a.ifmap_spad):
            return FoldedMapping(spec, tuple(FoldPart(sub, rp, cp, self._map(sub))  # type: ignore[return-value]
                                             for sub, rp, cp in fold_specs(spec, a.rows, a.ifmap_spad)))
        return self._map(spec)

    def _map(self, spec: LayerSpec) -> RsMapping:
        if not self.config.mapping_search:
            return map_layer(spec, self.config.array)
        return search_layer(spec, self.config.array, self.search_cost())

    def search_cost(self) -> SearchCost:
        """The mapping search's prices: this model's energy table, gating, word size and GIN widths."""
        c = self.config
        e = self.energy.entries
        return SearchCost(
            e[("mac", "random")], e[("weight_spad", "read")], e[("weight_spad", "write")],
            e[("ifmap_spad", "read")], e[("ifmap_spad", "write")], e[("zero_buffer", "read")],
            e[("psum_spad", "read")], e[("psum_spad", "write")], e[("add", "random")], e[("noc", "transfer")],
            e[("glb", "read")], e[("glb", "write")], e[("dram", "read_bits")], e[("dram", "write_bits")],
            gating=c.gating, word_bits=c.word_bits,
            gins=(c.ifmap_gin_words_per_cycle, c.filter_gin_words_per_cycle, c.psum_gin_words_per_cycle),
            objective=c.mapping_objective, static_per_cycle=self.search_static_per_cycle())

    def search_static_per_cycle(self) -> float:
        """The search's cost of one processing cycle (``mapping_idle_pes``): leakage.cycle + PEs x a clock-gated
        PE (mac.gated + weight_spad.gated_read), in the energy table's units; 0 when switched off."""
        if not self.config.mapping_idle_pes:
            return 0.0
        e = self.energy.entries
        pe = e.get(("mac", "gated"), 0.0) + e.get(("weight_spad", "gated_read"), 0.0)
        return e.get(("leakage", "cycle"), 0.0) + self.peak_macs_per_cycle() * pe

    # ---- count -------------------------------------------------------------------------------------
    def count(self, plan: RsMapping, layer: LayerTrace) -> LayerCounts:
        if isinstance(plan, FoldedMapping):  # filters taller or wider than 12: parts in turn (eyeriss_fold.py)
            y = layer_outputs(layer)
            return merge_counts(plan, [self.count(p.mapping, part_trace(layer, p, y)) for p in plan.parts],
                                self.config.word_bits)
        c = self.config
        m = plan
        s = m.spec
        wb = c.word_bits
        d = dense_pass_counts(m, (c.ifmap_gin_words_per_cycle, c.filter_gin_words_per_cycle,
                                  c.psum_gin_words_per_cycle))
        dense = s.macs_dense
        check_conservation(f"eyeriss/{s.name} (pass table)", dense, int(d["macs"].sum()))
        x_nz = nonzero_u8(layer.inputs_nchw(), wb)   # codes != 0; gating and RLC sizes need only the zeros
        if c.gating:
            geo = geometry(s)
            eff = effectual_input_macs(x_nz, geo.h.tap_counts(), geo.w.tap_counts(),
                                       geo.h.pad_lo, geo.w.pad_lo, s.groups)
            executed = int(eff.sum()) * s.Mg
        else:
            executed = dense
        gated = dense - executed

        # ---- DRAM: filters, ifmaps, ofmaps per pass (GP, IB, SP, FP, CP)
        shape = d["cycles"].shape
        G, IB, SP, FP, CP = shape
        weights_words = s.M * s.Cg * s.R * s.S
        if m.filters_resident:
            filt_words = np.zeros(shape, dtype=np.int64)
            filt_words.flat[0] = weights_words
        else:
            filt_words = place_tiles(d["glb_filter_read"][:, :1, :1], shape, m.order, m.tile_loops("filter"), "FC")
        raw_in = (not c.rlc) or (c.raw_first_input and layer.network_input)
        gp = lambda a: _reduce_blocks(a, 0, s.groups, m.gs)  # noqa: E731  groups -> group passes
        in_c, in_u = map(gp, self._ifmap_bits(m, x_nz, raw_in))        # (GP, IB, SP or 1, CP)
        y_nz = nonzero_u8(layer_outputs(layer).reshape(s.N, s.M, s.E, s.F), wb)
        out_c, out_u = map(gp, self._ofmap_bits(m, y_nz, not c.rlc))   # (GP, IB, SP, FP)
        inner = m.tile_loops("ifmap")
        ifm_c = place_tiles(in_c[:, :, :, None, :], shape, m.order, inner, "ISC")
        ifm_u = place_tiles(in_u[:, :, :, None, :], shape, m.order, inner, "ISC")
        ofm_c = np.zeros(shape, dtype=np.int64)
        ofm_u = np.zeros(shape, dtype=np.int64)
        ofm_c[..., CP - 1] = out_c
        ofm_u[..., CP - 1] = out_u
        load = filt_words * wb + ifm_c
        dram_r = int(load.sum())
        dram_w = int(ofm_c.sum())

        # ---- actions
        a = ActionCounts()
        acc = int(d["accumulations"].sum())
        outs = int(d["outputs"].sum())
        a.add("mac", "random", executed)
        a.add("mac", "gated", gated)
        a.add("weight_spad", "read", executed)
        a.add("weight_spad", "gated_read", gated)
        a.add("weight_spad", "write", int(d["filter_spad_write"].sum()))
        a.add("ifmap_spad", "read", dense)
        a.add("ifmap_spad", "write", int(d["ifmap_spad_write"].sum()))
        a.add("zero_buffer", "read", dense if c.gating else 0)
        a.add("psum_spad", "read", dense + acc)
        a.add("psum_spad", "write", dense + acc)
        a.add("add", "random", acc)
        a.add("noc", "transfer", int(d["filter_spad_write"].sum()) + int(d["ifmap_spad_write"].sum()) + acc + outs)
        ofmap_words = s.N * s.M * s.E * s.F
        a.add("glb", "read", int(d["glb_filter_read"].sum()) + int(d["glb_ifmap_read"].sum())
              + int(d["psum_in"].sum()) + ofmap_words)
        a.add("glb", "write", int(filt_words.sum()) + int(ifm_u.sum()) // wb + outs)
        a.add("dram", "read_bits", dram_r)
        a.add("dram", "write_bits", dram_w)

        cycles = int(d["cycles"].sum())
        fmap_c = int(ifm_c.sum()) + int(ofm_c.sum())
        fmap_u = int(ifm_u.sum()) + int(ofm_u.sum())
        extra: dict[str, Any] = {
            "tile_name": "pass", "mapping": m.to_dict(),
            "pe_utilization": dense / (cycles * self.peak_macs_per_cycle()) if cycles else 0.0,
            "active_pes_avg": float((d["active_pes"] * d["cycles"]).sum() / cycles) if cycles else 0.0,
            "row_conv_cycles": int(d["compute_cycles"].sum()),
            "noc_bound_cycles": cycles - int(d["compute_cycles"].sum()),
            "dram_filter_read_bits": int(filt_words.sum()) * wb,
            "dram_ifmap_read_bits": int(ifm_c.sum()),
            "dram_ofmap_write_bits": dram_w,
            "dram_ifmap_read_bits_uncompressed": int(ifm_u.sum()),
            "dram_ofmap_write_bits_uncompressed": int(ofm_u.sum()),
            "input_compressed": not raw_in,
            "rlc_reduction": fmap_u / fmap_c if fmap_c else 1.0,
            "dram_access_reduction": (int(filt_words.sum()) * wb + fmap_u) / (dram_r + dram_w)
            if dram_r + dram_w else 1.0,
            "gating": c.gating, "rlc": c.rlc,
            # psums of every channel pass stay in the GLB (the mapper keeps an ofmap tile resident until its
            # last channel pass), so none spill to DRAM
            "dram_bits_by_tensor": {"weights": int(filt_words.sum()) * wb, "ifmaps": int(ifm_c.sum()),
                                    "ofmaps": dram_w, "psum_spills": 0},
            # how often each tensor crosses the DRAM link (uncompressed words over the tensor's words)
            "weights_dram_reads": int(filt_words.sum()) / max(1, weights_words),
            "ifmaps_dram_reads": int(ifm_u.sum()) / max(1, s.N * s.C * s.H * s.W * wb),
        }
        perm = (0, *(1 + LOOPS.index(x) for x in m.order))  # passes run in the mapping's loop order
        tiles = glb_tiles(load.transpose(perm).reshape(-1), d["cycles"].transpose(perm).reshape(-1),
                          ofm_c.transpose(perm).reshape(-1))
        return LayerCounts(actions=a, macs_dense=dense, macs_executed=executed, macs_gated=gated,
                           dram_read_bits=dram_r, dram_write_bits=dram_w, tiles=tiles, extra=extra)

    # ---- DRAM streams ---------------------------------------------------------------------------------
    def _ifmap_bits(self, m: RsMapping, codes: np.ndarray, raw: bool) -> tuple[np.ndarray, np.ndarray]:
        """Compressed and uncompressed ifmap bits per (G, IB, SP, CP) (streams: module docstring)."""
        s = m.spec
        wb = self.config.word_bits
        N, C, H, W = codes.shape
        blk = m.q * m.r
        if H * W == 1:  # FC / 1x1 fmaps: one stream per (image, channels of a channel pass)
            cp_lo = np.arange(0, s.Cg, blk)
            cp_hi = np.minimum(cp_lo + blk, s.Cg)
            base = (np.arange(N)[:, None, None] * C + np.arange(s.groups)[None, :, None] * s.Cg)
            starts = (base + cp_lo[None, None, :]).reshape(-1)
            stops = (base + cp_hi[None, None, :]).reshape(-1)
            unc, comp = (a.reshape(N, s.groups, 1, len(cp_lo)) for a in flat_stream_bits(codes, starts, stops, raw, wb))
        else:  # one stream per (image, channel, input rows of a strip pass), or per whole plane when the
            # GLB tile holds the rows of every strip pass
            if m.ifmap_whole_rows:
                rows = np.array([[0, H]], dtype=np.int64)
            else:
                rows = m.dram_row_ranges()
            unc_ncs, comp_ncs = row_stream_bits(codes, rows, raw, wb)
            # (N, G, Cg, SP) -> channel passes -> (N, G, SP, CP)
            def chans(a: np.ndarray) -> np.ndarray:
                a = a.reshape(N, s.groups, s.Cg, -1)
                return _reduce_blocks(a, 2, s.Cg, blk).transpose(0, 1, 3, 2)
            unc, comp = chans(unc_ncs), chans(comp_ncs)
        # images -> image blocks, then (G, IB, SP, CP)
        fix = lambda a: _reduce_blocks(a, 0, N, m.nb).transpose(1, 0, 2, 3)  # noqa: E731
        return np.ascontiguousarray(fix(comp)), np.ascontiguousarray(fix(unc))

    def _ofmap_bits(self, m: RsMapping, codes: np.ndarray, raw: bool) -> tuple[np.ndarray, np.ndarray]:
        """Compressed and uncompressed ofmap bits per (G, IB, SP, FP)."""
        s = m.spec
        wb = self.config.word_bits
        N, M, E, F = codes.shape
        blk = m.p * m.t
        if E * F == 1:  # one stream per (image, filters of a filter pass)
            lo = np.arange(0, s.Mg, blk)
            hi = np.minimum(lo + blk, s.Mg)
            base = np.arange(N)[:, None, None] * M + np.arange(s.groups)[None, :, None] * s.Mg
            starts = (base + lo[None, None, :]).reshape(-1)
            stops = (base + hi[None, None, :]).reshape(-1)
            unc, comp = (a.reshape(N, s.groups, 1, len(lo)) for a in flat_stream_bits(codes, starts, stops, raw, wb))
        else:  # one stream per (image, filter, ofmap rows of a strip pass)
            rows = np.array([m.pass_rows(sp) for sp in range(m.strip_passes)], dtype=np.int64)
            unc_nms, comp_nms = row_stream_bits(codes, rows, raw, wb)
            def filts(a: np.ndarray) -> np.ndarray:
                a = a.reshape(N, s.groups, s.Mg, -1)
                return _reduce_blocks(a, 2, s.Mg, blk).transpose(0, 1, 3, 2)
            unc, comp = filts(unc_nms), filts(comp_nms)
        fix = lambda a: _reduce_blocks(a, 0, N, m.nb).transpose(1, 0, 2, 3)  # noqa: E731
        return np.ascontiguousarray(fix(comp)), np.ascontiguousarray(fix(unc))



__all__ = ["Eyeriss", "EyerissConfig", "PassTable", "dense_pass_counts", "pass_table", "place_tiles"]

