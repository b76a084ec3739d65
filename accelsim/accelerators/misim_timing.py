"""``timing_model: misim``: DaDianNao and Cnvlutin cycles as the Cnvlutin authors' simulator MIsim counts them.

MIsim (github iniverno/MIsim, Jorge Albericio 2015) is an event-driven Python 2 simulator: a director
(``director.py``) runs one output window at a time over 16 clusters (tiles, ``cluster.py``) of units
(``unit.py``, with ``dummyUnits = True``: latencies only) fed by a central memory (``simpleMemory.py``).
``options.py`` sets ZF = 1 (Cnvlutin: 16 units of Ti = 1 neuron per cluster) or ZF = 0 (DaDianNao: one unit
of Ti = 16 neurons per cluster).  accelsim's default ``timing_model: ideal`` keeps only the work rule
(a window costs its slowest lane's steps, the pipeline fills once per layer).  ``misim`` adds MIsim's
accounting, rule by rule; ``misim_rules`` switches any subset on (default ``all``), so each rule can be
measured alone.  The rules, and where MIsim does it:

* ``window_pipeline`` -- the pipeline drains once per window, not once per layer.  The director
  (``director.py: LayerDirector.computeConvolutionalLayer``) starts a window only when every filter of the
  previous one has its output, and a unit (``unit.py: Unit.fill_NBin`` / ``wakeup``) delivers the output of
  its final chunk ``latencyData = steps + latencyPipeline`` cycles after the NBin is ready, once per NBout
  entry (nb = ceil(M/256) filter groups): + 8*nb per window, and no fill per layer.  A lane whose final
  chunk is all zero delivers at once (see ``zero_chunk``).
* ``handoff`` -- each chunk passes cluster -> central memory -> NBin -> unit -> cluster: the cluster
  queues the read (``cluster.py: Cluster.wakeup``), the memory serves it from the next cycle
  (``simpleMemory.py: SimpleMemory.read`` / ``cycle``), the NBin is ready one cycle after the data
  (``Unit.fill_NBin``: ``NBin_ready = now + 1``), and the freed unit's callback wakes the cluster one cycle
  later (``Cluster.cbInputRead``); the director starts each window one cycle after the last
  (``schedule(cluster)`` at now + 1): 3 cycles per chunk beyond its nb * steps.
* ``cm_ports`` -- the central memory has ``CM_nPorts`` = 2 ports, each moving ``CM_bytesCyclePort`` bytes
  (elements, as MIsim counts them) per cycle (32 with ZF = 1, 256 with ZF = 0): a read occupies a port for
  ceil(size / bytes) cycles and waits in a FIFO for a free one (``SimpleMemory.cycle``).  The 16 tiles read
  the same addresses and MIsim merges those reads (``SimpleMemory.read``), so one tile's 16 lanes compete:
  at a window's start lane u's first read waits u // 2 cycles.
* ``zero_chunk`` -- an all-zero chunk is not read: the cluster sends the unit down its skip path
  (``Cluster.wakeup`` -> ``Unit.skipElements``; ``Unit.wakeup``), which frees the unit the next cycle and the
  cluster the cycle after: 2 cycles, whatever nb (ideal: ``zero_brick_cycles`` * nb); a final all-zero
  chunk hands its (null) outputs over at once: 1 cycle and no pipeline drain.
* ``flatten_order`` (Cnvlutin) -- MIsim flattens a unit's sub-window with ``np.swapaxes(window, 0, 2)``
  (``Cluster.initializeWindow``): channel fastest, then filter row, then filter column outermost; accelsim's
  ideal order is channel, column, row.  Chunks cut from the two orders differ when fu*R is not a multiple
  of 16.
* ``zf0_stream`` (DaDianNao) -- with ZF = 0 a cluster has one unit and ``nUnitsCluster = 1``, so channels
  are not padded to 16 (``testSystem.py``); the whole window (Cg*R*S values) is flattened and cut into
  chunks of Ti * nEntries = 256 values, each costing ``size // 16`` steps, rounded down
  (``Unit.fill_NBin``: ``latencyInput = (size / Ti) * NBout_nEntries`` in Python 2 integer division; a
  chunk shorter than 16 values costs 0 steps, where MIsim's own assertion stops).  Without the rule, a
  DaDianNao window is R*S*ceil(Cg/16) bricks in chunks of 16 bricks, one step per brick.

``misim_chunk_cost`` picks a chunk's step count: ``nnz`` (default), its non-zero values, as at MIsim's
last commit before the ``cycle()`` -> ``wakeup()`` rename (57ffffff, where the cluster reads
``data.size`` compressed values); ``original``, its uncompressed size, as at HEAD (c37ab10c, where the read
asks for ``NBin_dataOriginalSize``; HEAD does not run as committed: ``SimpleMemory`` still has ``cycle()``).
With ``original`` only all-zero chunks are skipped.

What MIsim does not do, and what accelsim does instead in this mode:
* groups: testSystem.py hard-codes ``group = 1`` and its trace CSV has no groups; MIsim runs AlexNet
  conv2/4/5 as ungrouped layers (C channels, twice the MACs).  accelsim runs each group as its own layer
  (serially), so to compare with MIsim's numbers simulate the ungrouped layer;
* FC layers: MIsim has no FC path; accelsim times them as 1x1 convolutions on a 1x1 input, as MIsim would;
* M not a multiple of 16: MIsim assigns floor(M/16) filters per cluster and never produces the others,
  so its director times out; accelsim uses nb = ceil(Mg/256) filter groups per tile, as the ideal model;
* several images, off-chip weights or neurons (DRAM), dilation, rectangular layers: MIsim runs one square
  image on chip; accelsim keeps its own rules for these (windows of each image add up; tap (r, s) reads
  (e*stride_h + r*dilation_h, f*stride_w + s*dilation_w));
* MIsim's run-to-run jitter: see ``misim_wake_order`` below.

``misim_wake_order`` -- the order in which the components due in one cycle are woken.  MIsim's director
(``director.py: LayerDirector.schedule`` / ``cycle``) keeps them in a Python ``set`` per cycle and wakes them in
its iteration order, which follows the objects' addresses, so it changes between runs (address-space
randomization; with it off, ``setarch -R``, MIsim repeats a run exactly).  The order matters in two places:
a unit woken before its cluster in the cycle it frees itself (``Unit.cycle`` -> ``Cluster.cbInputRead``) is
given its next chunk that cycle instead of the next, and a cluster that has run ahead reads an address after
the memory took the other clusters' read of it off its queue (``SimpleMemory.read`` merges only reads still
queued), so its read queues again at the two ports.  The 16 tiles then drift apart.

* ``fixed`` (default): memory, then clusters, then units.  The tiles stay in lockstep and one tile's lanes
  with a closed-form port queue give the window (kernels/misim.py ``window_time``).  MIsim run with this
  order (benchmarks/misim_peers.py ``--order canonical``) gives exactly accelsim's counts;
* ``cpython``: MIsim's own order, replayed.  ``misim_wake_file`` (JSON; benchmarks/misim_peers.py
  ``--record`` writes one per MIsim run) holds the CPython hash of each component (``components``: the
  memory, the clusters, the units cluster-major; CPython 2.7 hashes such an object by its address rotated
  right 4 bits) and of each unit's ``fill_NBin`` bound method (``requesters``: a read's requesters are a
  ``sets.Set``, i.e. a dict, of those).  Each cycle's components are woken in the order CPython 2.7
  iterates a set into which they were inserted in the order MIsim schedules them, and a read's units are
  called in the order it iterates the dict of their callbacks (kernels/misim.py ``cpython_order``: open
  addressing, slot = hash & mask, probes i = 5 i + perturb + 1, the table growing from 8 slots to the least
  power of two above 4 x used when two thirds full).  The order is not one permutation: it depends on how
  many components are due in the cycle (the table size) and, where slots collide, on the order they were
  scheduled.  Replaying a run's hashes gives that run's cycle count exactly (README validation table);
* ``address``: a model of the spread of MIsim's order over runs (accelerators/misim_wake.py): a recorded
  run's objects (``misim_wake_file`` with their ``addresses``) keep their offsets within their 4 KiB pages,
  which pymalloc's allocation fixes, and regions of them more than an arena (256 KiB) apart move by
  independent random whole pages (``misim_wake_seed``), as address-space randomization moves them; the
  hashes are recomputed and the order replayed as for ``cpython``;
* ``shuffled``: a fixed random order of the 1 + tiles + tiles*lanes components, drawn from
  ``misim_wake_seed``, the same every cycle: a stand-in for MIsim's order that is not its rule (a uniformly
  random order, where MIsim's follows addresses that are partly the same in every run).
The walks (``cpython``, ``address``, ``shuffled``: kernels/misim.py ``wake_walk``) follow every component of every tile
and have the rules ``window_pipeline``, ``handoff``, ``cm_ports`` and ``zero_chunk`` built in, so they need
them on.  Cnvlutin only: a DaDianNao tile has one unit, which hears from its tile only after its read, and
MIsim's ZF = 0 runs repeated exactly in every run we made.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.errors import ConfigError
from accelsim.kernels import misim as kern

RULES = ("window_pipeline", "handoff", "cm_ports", "zero_chunk", "flatten_order", "zf0_stream")
CHUNK_COSTS = ("nnz", "original")
from accelsim.accelerators.misim_wake import WAKE_NEEDS, WAKE_ORDERS, check_wake_order, load_wake_file  # noqa: F401


def parse_rules(text: str, where: str) -> frozenset[str]:
    """``all``, ``none`` or a comma-separated subset of RULES."""
    t = text.strip()
    if t == "all":
        return frozenset(RULES)
    if t in ("", "none"):
        return frozenset()
    names = [x.strip() for x in t.split(",") if x.strip()]
    bad = [x for x in names if x not in RULES]
    if bad:
        raise ConfigError(f"{where}: misim_rules: unknown rule(s) {', '.join(bad)}; known: all, none, "
                          f"{', '.join(RULES)}")
    return frozenset(names)


@dataclass(frozen=True)
class MisimTiming:
    rules: frozenset[str]
    chunk_cost: str          # nnz | original
    pipeline_depth: int      # latencyPipeline (8)
    ports: int               # CM_nPorts (2)
    port_bytes: int          # CM_bytesCyclePort (ZF=1: 32, ZF=0: 256)
    nbin_entries: int        # nEntries (16)
    wake_order: str = "fixed"  # fixed | shuffled | cpython | address
    wake_seed: int = 0
    tiles: int = 16          # nClusters
    wake_hashes: tuple = ()  # cpython, address: (component hashes, requester hashes)

    def wake_hash_arrays(self, lanes: int) -> tuple[np.ndarray, np.ndarray]:
        """uint64 (component, requester) hashes for ``cpython`` and ``address``; empty arrays otherwise."""
        if self.wake_order not in ("cpython", "address"):
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint64)
        comps, reqs = self.wake_hashes
        if len(reqs) != self.tiles * lanes:
            raise ConfigError(f"misim_wake_file: {len(reqs)} unit hashes, but {self.tiles} tiles of {lanes} "
                              f"lanes make {self.tiles * lanes} units")
        return (np.array(comps, dtype=np.int64).view(np.uint64), np.array(reqs, dtype=np.int64).view(np.uint64))

    def wake_rank(self, lanes: int) -> np.ndarray:
        """The order in which the 1 + tiles + tiles * lanes components (memory, tiles, units) due in a cycle
        are woken (rank of each); empty for ``fixed`` (the lockstep kernel)."""
        if self.wake_order != "shuffled":
            return np.zeros(0, dtype=np.int64)
        n = 1 + self.tiles + self.tiles * lanes
        return np.random.default_rng(self.wake_seed).permutation(n).astype(np.int64)

    def on(self, rule: str) -> bool:
        return rule in self.rules

    @property
    def h(self) -> int:
        return 1 if self.on("handoff") else 0

    def drain(self, nb: int) -> int:
        return nb * self.pipeline_depth if self.on("window_pipeline") else 0

    # ---- DaDianNao (ZF = 0) --------------------------------------------------------------------------
    def dadn_chunks(self, Cg: int, R: int, S: int, brick: int) -> tuple[np.ndarray, np.ndarray]:
        """(sizes, steps) of one window's chunks: values read and steps of each."""
        per_chunk = brick * self.nbin_entries  # Ti * nEntries
        if self.on("zf0_stream"):
            total = Cg * R * S
            sizes = np.full(total // per_chunk, per_chunk, dtype=np.int64)
            if total % per_chunk:
                sizes = np.append(sizes, total % per_chunk)
            return sizes, sizes // brick
        bricks = R * S * -(-Cg // brick)
        steps = np.full(bricks // self.nbin_entries, self.nbin_entries, dtype=np.int64)
        if bricks % self.nbin_entries:
            steps = np.append(steps, bricks % self.nbin_entries)
        return steps * brick, steps

    def dadn_window(self, Cg: int, R: int, S: int, brick: int, nb: int) -> int:
        sizes, steps = self.dadn_chunks(Cg, R, S, brick)
        return kern.dadn_window(sizes, steps, nb, self.h, self.ports, self.on("cm_ports"), self.drain(nb),
                                self.port_bytes)

    # ---- Cnvlutin (ZF = 1) ---------------------------------------------------------------------------
    def cnv_rows(self, mask: np.ndarray, Cg: int, geo: tuple[int, ...], E: int, F: int, lanes: int,
                 zero_brick_cycles: int, nb: int) -> np.ndarray:
        """(N, G, E) cycles of each output row's windows.  mask (N, G, Hp, Wp, Cpad) uint8, padding applied;
        geo = (R, S, stride_h, stride_w, dilation_h, dilation_w)."""
        N, G = mask.shape[:2]
        out = np.zeros((N, G, E), dtype=np.int64)
        R, S, sh, sw, dh, dw = geo
        # a unit (Ti = 1) takes nEntries values per chunk
        chash, rhash = self.wake_hash_arrays(lanes)
        kern.cnv_rows(mask, Cg, R, S, sh, sw, dh, dw, E, F, lanes, self.nbin_entries, self.on("flatten_order"),
                      self.on("zero_chunk"), self.chunk_cost == "original", zero_brick_cycles, self.port_bytes, nb,
                      self.h, self.ports, self.on("cm_ports"), self.drain(nb), self.tiles, self.wake_rank(lanes),
                      chash, rhash, self.pipeline_depth, out)
        return out
