"""DaDianNao (Chen et al., MICRO 2014), the baseline of Cnvlutin, as its authors' simulator models it.

Node: 16 tiles; each tile's NFU multiplies a brick of 16 input neurons (16 consecutive channels at one
(x, y)) by 16 filters per cycle (256 MACs/cycle/tile, 4096 per node), 16-bit fixed point, 606 MHz.
Synapses live in each tile's eDRAM (SB, 2 MB); neurons in the central eDRAM (NM, 4 MB), each brick being
broadcast to every tile.

Cycle rules (MIsim, github iniverno/MIsim: options.py, director.py, cluster.py, unit.py, with ZF=0):
* one output window at a time; its R*S*Cg inputs (channels zero-padded to a multiple of 16) are streamed
  brick by brick: R*S*ceil(Cg/16) bricks per window;
* filters go round-robin to the tiles in groups of 16, so a tile holds ceil(Mg/256) filter groups and a
  brick takes that many cycles;  a window costs R*S*ceil(Cg/16)*ceil(Mg/256) cycles;
* the 8-stage pipeline fills once per layer (MIsim's latencyPipeline = 8): windows follow back to back;
* FC layers are the 1x1-window case.
These are the rules of ``timing_model: ideal`` (default).  ``timing_model: misim`` adds MIsim's own cycle
accounting rule by rule (pipeline drain per window, chunk hand-offs, central-memory ports, the zero-chunk
skip path, ZF = 0's unpadded 256-value chunks): see accelsim/accelerators/misim_timing.py.

Where accelsim goes beyond MIsim (which keeps everything on chip, and has no grouped, dilated or
asymmetric layers):
* geometry (accelsim.geometry): a window's tap (r, s) is the brick at (e*stride_h + r*dilation_h,
  f*stride_w + s*dilation_w).  The dispatcher fetches bricks from NM by address, so dilation and per-axis
  stride/padding run natively, at the cost of the R*S real taps only;
* grouped convolutions (``group_mapping``).  ``spread`` (default): independent groups share the node.
  (1) When a group has fewer channels and filters than a brick (Cg < 16 and Mg < 16, e.g. depthwise),
  k = min(16 // Cg, 16 // Mg, groups) consecutive groups are packed into one brick and one tile's 16
  filter slots: their filters are block-diagonal (a filter's synapses are zero outside its own group's
  channels), so a packed brick costs the cycles of one brick and does k groups' work.  (2) When a
  (packed) group needs fb = ceil(filters / 16) < 16 filter slots of 16, floor(16 / fb) of them run side
  by side on disjoint tiles, in lockstep (a window ends when every lane of every one of them is done,
  as lanes of one group do); each tile set needs its own brick per cycle, so the NM must deliver up to
  16 different bricks per cycle instead of one broadcast brick -- an assumption (MIsim and the MICRO 2014
  paper broadcast one brick).  The weights must be on chip, and ``timing_model`` ideal (MIsim's rules
  know one group at a time), else groups run serially.  ``serial`` (the behaviour before): groups one
  after another, each a broadcast brick of one group; a group with fewer than 256 filters leaves
  multipliers idle (a depthwise layer: 1 of 4096 multipliers busy).
  Example, a depthwise 3x3 layer on 256 channels: serial, each group's window costs 9 cycles (2304 per
  output position, 1 useful MAC per cycle: utilization 1/4096); spread packs 16 groups per brick and
  places the 16 packed groups on the 16 tiles: 9 cycles per output position, 256 useful MACs per cycle
  (utilization 1/16: a packed brick meets 16 filters of which one per channel is non-zero);
* weights that do not fit in the SBs (16 x 2 MB, half of it kept free to prefetch the next chunk) are
  streamed from DRAM in chunks of filters, each chunk serving every window of the whole batch;
* a layer whose input and output neurons do not fit in the 4 MB NM streams its input rows from DRAM and
  writes its output rows back; otherwise neurons stay on chip (the previous layer wrote them there);
* DRAM (not part of the MICRO 2014 node, which uses HyperTransport links) is one DDR4-3200 channel,
  25.6 GB/s, an assumption stated in the config.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim import fixedpoint
from accelsim.accelerators import first_layer
from accelsim.accelerators.base import Accelerator, LayerCounts, ceil_div
from accelsim.accelerators.registry import register
from accelsim.config import doc, require
from accelsim.counts import ActionCounts
from accelsim.geometry import geometry
from accelsim.kernels.fixed import nonzero_u8
from accelsim.timeline import TileWork
from accelsim.trace.format import LayerSpec, LayerTrace


@dataclass(frozen=True)
class DaDianNaoConfig:
    tiles: int = doc("tiles per node (MICRO 2014: 16)", unit="tiles", default=16)
    filters_per_tile: int = doc("filters each tile's NFU serves per cycle, Tn (16)", unit="filters", default=16)
    brick_size: int = doc("neurons per brick = neurons per cycle per tile, Ti (16)", unit="neurons", default=16)
    clock_hz: float = doc("core clock in Hz (MICRO 2014: 606 MHz)", unit="Hz", default=606e6)
    pipeline_latency_cycles: int = doc("NFU pipeline depth, filled once per layer (MIsim: 8)", unit="cycles", default=8)
    word_bits: int = doc("datapath width in bits (16-bit fixed point)", unit="bits", default=16)
    sb_bytes_per_tile: int = doc("synapse buffer (eDRAM) per tile in bytes (2 MB)", unit="bytes", default=2 * 1024 * 1024)
    nm_bytes: int = doc("central neuron memory (eDRAM) in bytes (4 MB)", unit="bytes", default=4 * 1024 * 1024)
    dram_bw_bits_per_cycle: float = doc(
        "off-chip bandwidth in bits per core cycle; assumption: one DDR4-3200 channel, 25.6 GB/s at 606 MHz",
        unit="bits/cycle", default=25.6e9 * 8 / 606e6)
    dram_latency_cycles: int = doc("DRAM access latency in core cycles (assumption: ~100 ns)", unit="cycles", default=60)
    energy_table: str = doc("energy table name or YAML path", default="dadiannao-45nm")
    timing_model: str = doc("ideal (a window costs its slowest lane's steps; the pipeline fills once per layer) "
                            "or misim (MIsim's cycle accounting, rule by rule: accelerators/misim_timing.py)",
                            default="ideal")
    misim_rules: str = doc("timing_model misim: 'all', 'none' or a comma-separated subset of window_pipeline, "
                           "handoff, cm_ports, zero_chunk, flatten_order, zf0_stream", default="all")
    misim_chunk_cost: str = doc("timing_model misim: a chunk's steps are its non-zeros (nnz: MIsim 57ffffff) or "
                                "its original size (original: MIsim HEAD)", default="nnz")
    misim_wake_order: str = doc("timing_model misim, Cnvlutin: fixed (the components due in a cycle are woken "
                                "memory, tiles, units: the 16 tiles stay in lockstep), shuffled (in a seeded "
                                "random order), cpython (in the order CPython 2.7 iterates a set of MIsim's "
                                "objects, from their hashes in misim_wake_file) or address (cpython with the "
                                "file's addresses moved by random pages, misim_wake_seed): "
                                "accelerators/misim_timing.py, misim_wake.py",
                                default="fixed")
    misim_wake_file: str = doc("timing_model misim, misim_wake_order cpython or address: JSON file of the hashes "
                               "(and addresses) of MIsim's "
                               "components (benchmarks/misim_peers.py --record writes one per MIsim run)",
                               default="")
    misim_wake_seed: int = doc("timing_model misim, misim_wake_order shuffled or address: the seed of the wake "
                               "order",
                               unit="seed", default=0)
    cm_ports: int = doc("timing_model misim: central-memory ports (MIsim CM_nPorts: 2)", unit="ports", default=2)
    cm_port_bytes: int = doc("timing_model misim: values a port moves per cycle (MIsim CM_bytesCyclePort: 256 "
                             "with ZF=0, 32 with ZF=1)", unit="values/cycle", default=256)
    nbin_entries: int = doc("timing_model misim: NBin entries per unit, Ti*nEntries values per chunk (MIsim: "
                            "16)", unit="entries", default=16)
    first_layer: str = doc("a 3-channel first layer with stride > 1: pad (channels padded to a 16-channel "
                           "brick, as MIsim) or reshape (DNNsim: C*s^2 channels at stride 1, for the timing; "
                           "accelerators/first_layer.py)", default="pad")

    group_mapping: str = doc("grouped convolutions: spread (independent groups packed into bricks and filter "
                             "slots and placed side by side on tiles; assumes the NM feeds each tile set its "
                             "own brick; timing_model ideal only) or serial (groups one after another, one "
                             "broadcast brick)", default="spread")

    def __post_init__(self) -> None:
        n = type(self).__name__
        require(self.group_mapping in ("spread", "serial"), n,
                f"group_mapping must be spread or serial, got {self.group_mapping!r}")
        for f in ("tiles", "filters_per_tile", "brick_size", "word_bits", "sb_bytes_per_tile", "nm_bytes"):
            require(getattr(self, f) > 0, n, f"{f} must be > 0, got {getattr(self, f)}")
        require(self.pipeline_latency_cycles >= 0, n, "pipeline_latency_cycles must be >= 0")
        require(self.clock_hz > 0, n, f"clock_hz must be > 0, got {self.clock_hz}")
        require(self.dram_bw_bits_per_cycle > 0, n, "dram_bw_bits_per_cycle must be > 0")
        require(self.dram_latency_cycles >= 0, n, "dram_latency_cycles must be >= 0")
        require(self.first_layer in ("pad", "reshape"), n,
                f"first_layer must be pad or reshape, got {self.first_layer!r}")
        require(self.timing_model in ("ideal", "misim"), n,
                f"timing_model must be ideal or misim, got {self.timing_model!r}")
        from accelsim.accelerators.misim_timing import CHUNK_COSTS, check_wake_order, parse_rules
        check_wake_order(self.misim_wake_order, parse_rules(self.misim_rules, n), n, self.misim_wake_file,
                         self.tiles)
        require(self.misim_chunk_cost in CHUNK_COSTS, n,
                f"misim_chunk_cost must be nnz or original, got {self.misim_chunk_cost!r}")
        for f in ("cm_ports", "cm_port_bytes", "nbin_entries"):
            require(getattr(self, f) > 0, n, f"{f} must be > 0, got {getattr(self, f)}")

    def misim_timing(self):
        """The MIsim timing rules in force (``timing_model: misim``), else None."""
        if self.timing_model != "misim":
            return None
        from accelsim.accelerators.misim_timing import MisimTiming, parse_rules
        from accelsim.accelerators.misim_wake import wake_hashes
        n = type(self).__name__
        hashes = wake_hashes(self.misim_wake_order, self.misim_wake_file, self.misim_wake_seed, n, self.tiles)
        return MisimTiming(parse_rules(self.misim_rules, n), self.misim_chunk_cost,
                           self.pipeline_latency_cycles, self.cm_ports, self.cm_port_bytes, self.nbin_entries,
                           self.misim_wake_order, self.misim_wake_seed, self.tiles, hashes)


@dataclass(frozen=True)
class DaDianNaoPlan:
    spec: LayerSpec
    cpad: int                # channels of a (packed) group padded to a multiple of the brick size
    bricks_per_window: int   # R*S*ceil(k*Cg/16)
    filter_slots: int        # k*Mg rounded up to whole 16-filter groups
    chunks: tuple[tuple[int, int], ...]  # filter chunks (first filter, count) of a (packed) group resident at once
    weights_on_chip: bool
    neurons_on_chip: bool
    pack: int = 1            # k: consecutive groups packed into one brick and one tile's filter slots
    side_by_side: int = 1    # packed groups run at once on disjoint tile sets (one round)

    @property
    def packed_groups(self) -> int:
        return ceil_div(self.spec.groups, self.pack)

    @property
    def rounds(self) -> int:
        return ceil_div(self.packed_groups, self.side_by_side)

    @property
    def round_groups(self) -> np.ndarray:
        """(rounds,) real groups each round computes."""
        per = self.pack * self.side_by_side
        return np.minimum(per, self.spec.groups - per * np.arange(self.rounds)).astype(np.int64)


@dataclass(frozen=True)
class WindowWork:
    """Per round and output row (n, round, e), arrays of shape (N, rounds, E): brick steps summed over its
    windows (a round's packed groups run side by side: the steps of the slowest) and what the steps of all
    of them read; what :meth:`DaDianNao.window_steps` hands to :meth:`DaDianNao.count`."""

    max_steps: np.ndarray      # steps of the slowest lane (cycles per 16-filter group)
    lane_steps: np.ndarray     # neuron-slot steps summed over the lanes
    neurons_read: np.ndarray   # neurons read from the central eDRAM
    macs_executed: int


@register
class DaDianNao(Accelerator[DaDianNaoPlan]):
    name = "dadiannao"
    config_cls = DaDianNaoConfig
    description = "DaDianNao (MICRO 2014): 16 tiles x 16x16 NFU, dense; the Cnvlutin baseline"
    actions_emitted = (("mult", "random"), ("add", "random"), ("sb", "read"), ("nbin", "read"),
                       ("nbin", "write"), ("nbout", "read"), ("nbout", "write"), ("central_edram", "read"),
                       ("central_edram", "write"), ("dram", "read_bits"), ("dram", "write_bits"))

    def peak_macs_per_cycle(self) -> int:
        c = self.config
        return c.tiles * c.filters_per_tile * c.brick_size

    def fill_cycles(self, plan: DaDianNaoPlan) -> int:
        t = self.config.misim_timing()
        if t is not None and t.on("window_pipeline"):
            return 0  # drained once per window, counted in the windows' cycles
        return self.config.pipeline_latency_cycles

    # ---- plan ------------------------------------------------------------------------------------
    def plan(self, spec: LayerSpec) -> DaDianNaoPlan:
        c = self.config
        wbits_per_filter = spec.Cg * spec.R * spec.S * c.word_bits
        sb_bits = c.tiles * c.sb_bytes_per_tile * 8
        on_chip = spec.M * wbits_per_filter <= sb_bits
        k = side = 1
        if c.group_mapping == "spread" and c.timing_model == "ideal" and spec.groups > 1 and on_chip:
            if spec.Cg < c.brick_size and spec.Mg < c.filters_per_tile:
                k = min(c.brick_size // spec.Cg, c.filters_per_tile // spec.Mg, spec.groups)
            fb = ceil_div(k * spec.Mg, c.filters_per_tile)
            side = max(1, min(c.tiles // fb, ceil_div(spec.groups, k)))
        cg, mg = k * spec.Cg, k * spec.Mg
        cpad = ceil_div(cg, c.brick_size) * c.brick_size
        bpw = spec.R * spec.S * (cpad // c.brick_size)
        slots = ceil_div(mg, c.filters_per_tile) * c.filters_per_tile
        if on_chip:
            chunks: tuple[tuple[int, int], ...] = ((0, mg),)
        else:  # half the SB is the prefetch buffer of the next chunk (double buffering)
            # whole rounds of tiles x 16 filters, so that every tile holds the same number of groups
            fit = (sb_bits // 2) // wbits_per_filter
            unit = c.tiles * c.filters_per_tile if fit >= c.tiles * c.filters_per_tile else c.filters_per_tile
            per_chunk = max(c.filters_per_tile, fit // unit * unit)
            chunks = tuple((m0, min(per_chunk, spec.Mg - m0)) for m0 in range(0, spec.Mg, per_chunk))
        nm_bits = c.nm_bytes * 8
        in_bits = spec.N * spec.C * spec.H * spec.W * c.word_bits
        out_bits = spec.N * spec.M * spec.E * spec.F * c.word_bits
        return DaDianNaoPlan(spec, cpad, bpw, slots, chunks, on_chip, in_bits + out_bits <= nm_bits, k, side)

    # ---- count -----------------------------------------------------------------------------------
    def window_steps(self, plan: DaDianNaoPlan, layer: LayerTrace) -> WindowWork:
        """Per round and output row (n, round, e): brick steps summed over its windows, and what the steps
        of the round's packed groups read.

        DaDianNao's work does not depend on the data: every window streams all its bricks."""
        s = plan.spec
        shape = (s.N, plan.rounds, s.E)
        steps = np.full(shape, plan.bricks_per_window * s.F, dtype=np.int64)
        packed = ceil_div(plan.round_groups, plan.pack)[None, :, None]  # packed groups per round
        return WindowWork(max_steps=steps, lane_steps=steps * self.config.brick_size * packed,
                          neurons_read=steps * self.config.brick_size * packed,
                          macs_executed=s.macs_dense)

    def count(self, plan: DaDianNaoPlan, layer: LayerTrace) -> LayerCounts:
        c = self.config
        s = plan.spec
        w = self.window_steps(plan, layer)
        tn, ti, T = c.filters_per_tile, c.brick_size, c.tiles
        a = ActionCounts()
        total_steps = int(w.max_steps.sum())
        # steps of every tile set: a round's packed groups each step on their own tiles
        set_steps = int((w.max_steps.sum(axis=(0, 2)) * ceil_div(plan.round_groups, plan.pack)).sum())
        lane_steps = int(w.lane_steps.sum())  # neuron-slot steps: brick_size per brick in the baseline
        groups16 = plan.filter_slots // tn
        # every neuron slot processed meets 16 filters of each filter group: one product each
        products = self._products(plan, w)
        a.add("mult", "random", products)
        a.add("add", "random", products)
        a.add("sb", "read", self._sb_reads(lane_steps, set_steps) * tn * groups16)
        a.add("nbin", "read", self._nbin_reads(plan, w) * groups16)
        a.add("nbout", "read", set_steps * tn * groups16)
        a.add("nbout", "write", set_steps * tn * groups16)
        neurons = int(w.neurons_read.sum())
        a.add("central_edram", "read", neurons)
        a.add("nbin", "write", neurons * min(T, groups16))
        out_words, out_extra = self._output_words(layer)
        a.add("central_edram", "write", out_words)
        for k, v in out_extra.items():
            a.add(*k, v)
        # ---- tiles for the timeline: filter chunk x output row of a round
        fg_per_chunk = [ceil_div(ceil_div(n, tn), T) for _, n in plan.chunks]
        # the timing's layer: DNNsim's reshape of a 3-channel first layer, or the layer itself
        tplan, tlayer, tw = plan, layer, w
        if c.first_layer == "reshape" and first_layer.applies(s):
            tlayer = first_layer.reshape_first_layer(layer)
            tplan = self.plan(tlayer.spec)
            tw = self.window_steps(tplan, tlayer)
        rows = tw.max_steps.reshape(-1)
        timing = c.misim_timing()
        if timing is None:
            compute = np.concatenate([rows * fg for fg in fg_per_chunk])
        else:  # MIsim's accounting: window cycles per output row, for each chunk's filter groups per tile
            compute = np.concatenate([self._misim_rows(tplan, tlayer, timing, fg).reshape(-1)
                                      for fg in fg_per_chunk])
        nrow = len(rows)
        load = np.zeros(len(compute), dtype=np.int64)
        store = np.zeros(len(compute), dtype=np.int64)
        wbits = s.Cg * s.R * s.S * c.word_bits
        dram_r = dram_w = 0
        if not plan.weights_on_chip:  # (then groups are not packed: nf filters of each group)
            for i, (_, nf) in enumerate(plan.chunks):
                load[i * nrow] += nf * s.groups * wbits
        weight_bits = int(load.sum())
        if not plan.neurons_on_chip:
            in_row = self._per_round(plan, self._input_row_bits(plan))  # per output row, per chunk pass
            out_row = self._per_round(plan, self._output_row_bits(plan, layer))
            mg = plan.pack * s.Mg
            for i, (_, nf) in enumerate(plan.chunks):
                load[i * nrow:(i + 1) * nrow] += in_row
                store[i * nrow:(i + 1) * nrow] += (out_row * nf) // mg
        dram_r = int(load.sum())
        dram_w = int(store.sum())
        a.add("dram", "read_bits", dram_r)
        a.add("dram", "write_bits", dram_w)
        executed = int(w.macs_executed)
        extra = {"tile_name": "row", "weights_on_chip": plan.weights_on_chip,
                 "neurons_on_chip": plan.neurons_on_chip, "filter_chunks": len(plan.chunks),
                 "brick_steps": total_steps, "lane_steps": lane_steps,
                 "filter_groups16": groups16, "lane_utilization": lane_steps / max(1, set_steps * ti),
                 "group_mapping": c.group_mapping, "groups_per_brick": plan.pack,
                 "groups_side_by_side": plan.side_by_side, "group_rounds": plan.rounds,
                 "timing_model": c.timing_model, "first_layer_reshaped": tlayer is not layer,
                 "dram_bits_by_tensor": {"weights": weight_bits, "ifmaps": dram_r - weight_bits, "ofmaps": dram_w,
                                         "psum_spills": 0}}
        counts = LayerCounts(actions=a, macs_dense=s.macs_dense, macs_executed=executed,
                             macs_skipped=s.macs_dense - executed, dram_read_bits=dram_r, dram_write_bits=dram_w,
                             tiles=TileWork(load, compute, store), extra=extra)
        self._design_counts(counts, w, lane_steps, groups16)
        return counts

    # ---- hooks that Cnvlutin overrides -----------------------------------------------------------------
    def _misim_rows(self, plan: DaDianNaoPlan, layer: LayerTrace, timing, nb: int) -> np.ndarray:
        """(N, groups, E) cycles of each output row under MIsim's accounting (ZF = 0: every window alike)."""
        s = plan.spec
        window = timing.dadn_window(s.Cg, s.R, s.S, self.config.brick_size, nb)
        return np.full((s.N, s.groups, s.E), window * s.F, dtype=np.int64)

    def _design_counts(self, counts: LayerCounts, w: WindowWork, lane_steps: int, groups16: int) -> None:
        """Add a derived design's own actions and named numbers (DaDianNao: none)."""

    def _sb_reads(self, lane_steps: int, total_steps: int) -> int:
        """Neuron slots whose 16 synapses (one per filter of a group) are read from SB."""
        return lane_steps
    def _products(self, plan: DaDianNaoPlan, w: WindowWork) -> int:
        return int(w.lane_steps.sum()) * plan.filter_slots

    def _nbin_reads(self, plan: DaDianNaoPlan, w: WindowWork) -> int:
        return int(w.lane_steps.sum())

    def _output_words(self, layer: LayerTrace) -> tuple[int, dict[tuple[str, str], int]]:
        s = layer.spec
        return s.N * s.M * s.E * s.F, {}

    @staticmethod
    def _per_round(plan: DaDianNaoPlan, per_group: np.ndarray) -> np.ndarray:
        """(N * groups * E,) per-group amounts summed over the groups of each round: (N * rounds * E,)."""
        s = plan.spec
        a = per_group.reshape(s.N, s.groups, s.E)
        starts = np.arange(0, s.groups, plan.pack * plan.side_by_side)
        return np.add.reduceat(a, starts, axis=1).reshape(-1)

    def _input_row_bits(self, plan: DaDianNaoPlan) -> np.ndarray:
        """Input bits of one group brought on chip for each output row (N * groups * E,): the first row of
        an image needs the filter's span of input rows (dilation_h*(R-1)+1), later rows ``stride_h`` new
        ones at most (rows are kept while windows slide down)."""
        s = plan.spec
        h = geometry(s).h
        per_in_row = s.Cg * s.W * self.config.word_bits
        rows = np.full((s.N, s.groups, s.E), min(h.stride, h.span), dtype=np.int64)
        rows[:, :, 0] = h.span
        return (rows * per_in_row).reshape(-1)

    def _output_row_bits(self, plan: DaDianNaoPlan, layer: LayerTrace) -> np.ndarray:
        """Output bits of one group for each output row (N * groups * E,)."""
        s = plan.spec
        return np.full(s.N * s.groups * s.E, s.Mg * s.F * self.config.word_bits, dtype=np.int64)


def input_mask(layer: LayerTrace, word_bits: int, threshold: float = 0.0) -> np.ndarray:
    """(N, C, H, W) bool: inputs non-zero on the fixed-point datapath and at least ``threshold`` in
    magnitude (Cnvlutin's near-zero pruning; threshold in the trace's units, 0 = exact zeros only)."""
    x = layer.inputs_nchw()
    m = nonzero_u8(x, word_bits).view(bool)   # fixedpoint.nonzero_mask, fused (no |x| temporary)
    if threshold > 0:
        m &= np.abs(x) >= threshold
    return m
