"""Row-stationary (RS) mapping of a conv or FC layer onto Eyeriss v1's PE array (data-independent).

Sources: Chen, Emer, Sze, ISCA 2016 (the RS dataflow) and Chen et al., JSSC 52(1) 2017, section IV-A
(PE sets, strip-mining, splitting, p/q/r/t).  The rules below are accsim's own; the Stanford nn_dataflow
mapper (``MapStrategyEyeriss``: fold the logical set along its width, replicate it along the height) was
read for the folding step.  Where a choice is not in the papers it is stated as an assumption.

Vocabulary (JSSC IV-A)
----------------------
* A PE runs a 1-D row convolution: one filter row (S taps) over one ifmap row, giving one psum row (F).
* The *logical PE set* of a layer is R rows (filter rows) x E columns (ofmap rows); the psums of a column
  flow up the column and add into one ofmap row.
* A *strip* is a slice of ``width`` consecutive ofmap rows (columns of the logical set); a logical set of E
  columns has ``strips = ceil(E / width)`` strips (the last may be narrower).
* The array (12 x 14) has ``slots = (12 // R) * (14 // width)`` places for an R x width strip.
  - **split**: if a whole logical set fits (strips <= slots) its strips are placed as segments of one
    physical set (AlexNet CONV2: 5x27 -> 5x14 + 5x13), and ``slots // strips`` whole sets fit;
  - **strip-mining**: otherwise each physical set holds one strip and the strips are processed in turn
    (AlexNet CONV1: 11x55 -> 11x7, two sets).
* The physical sets of one pass differ in filter block (``t`` of them, ifmap multicast to them), channel
  block (``r``, their psums add up the columns) and, when strip-mining, strip (``u``).
* Within a PE, ``p`` filters and ``q`` channels share the spads: p*q*S filter entries <= 224, q*S ifmap
  entries <= 12, p psum entries <= 24.
* A *processing pass* is one assignment of blocks to the sets: (group, image block, strip pass, filter
  pass, channel pass).  The group loop is outermost; the other four run in the mapping's ``order``
  (letters I, S, F, C; the fixed rule's is ISFC).  All images of the image block run within the pass, one
  after the other, while the filters stay in the spads.  On-chip counts do not depend on the order; DRAM
  traffic and the global buffer's contents do.
* *GLB tiles.*  For ifmaps and filters, ``ifmap_hold`` / ``filter_hold`` split ``order``: the buffer holds
  the tensor's data for the loops inside (``tile_loops``) and refills it at every iteration of the loops
  outside.  A tensor is read from DRAM once per iteration of the outer loops it does not depend on (ifmaps
  do not depend on F, filters on I and S).  A tile is loaded at its first pass (all inner loops at 0).  When
  the ifmap tile spans every strip pass, each input row is read once (whole-plane RLC streams), otherwise
  once per strip pass with its halo.  Psums never leave the chip: the psums of every loop inside C stay in
  the buffer until their last channel pass, and ofmaps are written then.

Two ways to choose the mapping: the *fixed rule* below (``mapping_search: false``), and the *search*
(default; section "Search" at the end).

Fixed rule (in the order it is applied)
---------------------------------------
1. Filters taller than the array (R > 12) or wider than the ifmap spad (S > 12) are not supported natively
   (JSSC IV-A); :class:`~accelsim.errors.ConfigError` names the layer.  accelsim does not fold them.
2. Base width (nn_dataflow's fold): ``w0 = ceil(E / ceil(E / 14))``.  Candidate widths are
   ``w_j = ceil(E / (j * ceil(E / 14)))`` for j = 1, 2, ... (further strip-mining by an integer factor;
   a narrower width that still splits, i.e. covers all E rows in one pass, is skipped: it would not
   shrink the buffer tile).
3. ``q = min(Cg, 12 // S)``, ``pmax = min(24, 224 // (q * S), Mg)``; sets go to filters first
   (``t = min(sets, ceil(Mg / pmax))``), then channels (``r = min(sets // t, ceil(Cg / q))``), then strips
   (``u``, strip-mining only).  p and q are then balanced over the passes
   (``p = ceil(Mg / (t * ceil(Mg / (t * pmax))))``, the same for q), so that 96 filters in passes of two
   sets give p = 16, not 20, 20, 20, 20, 16.
4. Global buffer (100 kB for ifmaps and psums).  *ifmap-resident* tiling keeps the input rows of a strip
   pass for all Cg channels and ``nb`` images, plus the psums of one filter pass, so each input row is read
   from DRAM once per strip pass.  The mapper takes the first candidate width (widest first) for which this
   fits with nb >= 1 images, and the largest such nb.  If no width fits, it *streams* ifmaps: the buffer
   holds one channel pass's rows (double-buffered) plus the psums, and the rows are read again for every
   filter pass; p (then t) shrinks until the psums fit, and the candidate width with the least estimated
   DRAM traffic (dense words, one image per tile) is taken, the widest on a tie.  If even p = t = 1 does not fit,
   the mapping is kept and marked ``glb_overflow`` (a warning is issued).
5. The filter buffer (8 kB) must hold one pass's filters; p shrinks until it does.  When the whole layer's
   filters fit in it they are read from DRAM once, otherwise once per (image block, strip pass).

An FC layer is the 1x1 case (H = W = R = S = E = F = 1): the logical set is one PE, so 168 single-PE sets
fill the array, t over filters and r over channels, q = 12 channels and p = 18 filters per PE (p*q <= 224).

Search
------
ISCA 2016 (sections V-VI) chooses the RS mapping of each layer, within the hardware's limits, to minimize
the energy given by the access counts at each storage level; the chip's compiler picks a configuration per
layer.  :func:`search_layer` does this over the space below, reading only the LayerSpec (data-independent),
cached per (LayerSpec, array, prices).

* Space: every strip width w = 1..min(E, 14) (split when the whole set fits, else strip-mined); strips
  per pass u; sets t (filters) x r (channels) x u <= sets; p filters and q channels per PE within the
  spads (q*S <= 12, p*q*S <= 224, p <= 24); images per pass nb; the 24 orders of the I, S, F, C loops; and
  for each order the ifmap and filter tiles with the least DRAM traffic that fit (ifmap tile + the psums
  the order keeps: 100 kB, the ifmap tile doubled when it is refilled every pass; filter tile: 8 kB; one
  pass's filters must always fit).  Only sizes that are not dominated are tried: for a number of blocks
  (passes) the smallest p, q, t, r, u, nb giving it -- a larger value with the same count changes no count
  but can only unbalance the blocks and grow the tiles.
* Cost ("energy", the default and the paper's choice): the layer's energy from its *dense* counts (every
  value non-zero, no RLC) under the model's energy table -- MACs, spad reads/writes, zero buffer (with
  gating), column adds, NoC words, GLB reads/writes and DRAM bits; these are closed forms of the mapping
  that equal the model's own counts on a dense layer (tests/unit/test_eyeriss_search.py).  Ties (1e-9
  relative) go to fewer processing cycles (the model's pass cycles, without DRAM stalls), then to wider
  strips.  ``mapping_objective: cycles`` minimizes the cycles (energy breaks ties), ``edp`` their product.
  The energy has no leakage or clock term, so an idle PE costs nothing: the energy objective may leave PEs
  idle to save a few percent of data movement (AlexNet CONV1 runs one 11x11 set instead of two 11x7).
* Method: all candidates' on-chip energy and cycles at once (numpy); then branch and bound over loop
  orders in order of a lower bound (every tensor read from DRAM once).  If no candidate fits the buffer,
  the fixed rule's mapping (flagged ``glb_overflow``) is used.
"""
from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from accelsim.accelerators.base import ceil_div
from accelsim.errors import ConfigError
from accelsim.trace.format import LayerSpec


@dataclass(frozen=True)
class ArrayShape:
    """The resources the mapper needs (a subset of EyerissConfig, hashable for caching)."""

    rows: int = 12
    cols: int = 14
    filter_spad: int = 224
    ifmap_spad: int = 12
    psum_spad: int = 24
    glb_fmap_words: int = 51200
    glb_filter_words: int = 4096


@dataclass(frozen=True)
class RsMapping:
    spec: LayerSpec
    width: int            # strip width: ofmap rows per segment (PE columns)
    strips: int           # ceil(E / width)
    split: bool           # True: a whole logical set (all its strips) fits in the array
    sets: int             # physical sets per array
    t: int                # sets processing different filter blocks in a pass
    r: int                # sets processing different channel blocks in a pass
    u: int                # sets processing different strips in a pass (strip-mining only)
    p: int                # filters per PE
    q: int                # channels per PE
    nb: int               # images per global-buffer tile
    ifmap_resident: bool  # input rows of a strip pass stay in the GLB across filter passes
    filters_resident: bool  # all the layer's filters fit in the filter GLB (read from DRAM once)
    glb_overflow: bool = False
    order: str = "ISFC"   # pass loops, outermost first (the group loop is always outside them): LOOPS
    ifmap_hold: int = -1  # the GLB refills its ifmap tile at every iteration of order[:ifmap_hold];
    #                       -1: the old rule's (2 if ifmap_resident else 4)
    filter_hold: int = 4  # the same for the filter tile (when not filters_resident)

    # ---- loop order and GLB tiles ------------------------------------------------------------------
    @property
    def ifmap_level(self) -> int:
        if self.ifmap_hold >= 0:
            return self.ifmap_hold
        return 2 if self.ifmap_resident else 4

    def tile_loops(self, tensor: str) -> str:
        """Loops inside the GLB tile of ``tensor`` ('ifmap' or 'filter'): its data for these loops is
        loaded once per iteration of the loops outside them (DRAM reads = size x the trip counts of the
        outer loops the tensor does not depend on)."""
        return self.order[self.ifmap_level if tensor == "ifmap" else self.filter_hold:]

    @property
    def ifmap_whole_rows(self) -> bool:
        """The ifmap tile spans all strip passes: each input row is read from DRAM once (no halo)."""
        return self.strip_passes > 1 and "S" in self.tile_loops("ifmap")

    # ---- derived block structure -------------------------------------------------------------------
    @property
    def filter_blocks(self) -> int:
        return ceil_div(self.spec.Mg, self.p)

    @property
    def channel_blocks(self) -> int:
        return ceil_div(self.spec.Cg, self.q)

    @property
    def filter_passes(self) -> int:
        return ceil_div(self.filter_blocks, self.t)

    @property
    def channel_passes(self) -> int:
        return ceil_div(self.channel_blocks, self.r)

    @property
    def strip_passes(self) -> int:
        return 1 if self.split else ceil_div(self.strips, self.u)

    @property
    def image_blocks(self) -> int:
        return ceil_div(self.spec.N, self.nb)

    @property
    def passes(self) -> int:
        return (self.spec.groups * self.image_blocks * self.strip_passes * self.filter_passes
                * self.channel_passes)

    @property
    def segments(self) -> int:
        """Segments per physical set: the strips of a split set, else 1."""
        return self.strips if self.split else 1

    def strip_rows(self, k: int) -> tuple[int, int]:
        """Ofmap rows [lo, hi) of strip k."""
        return k * self.width, min((k + 1) * self.width, self.spec.E)

    def pass_rows(self, sp: int) -> tuple[int, int]:
        """Ofmap rows [lo, hi) computed in strip pass sp (the strips of one pass are consecutive)."""
        if self.split:
            return 0, self.spec.E
        k0 = sp * self.u
        k1 = min(k0 + self.u, self.strips)
        return self.strip_rows(k0)[0], self.strip_rows(k1 - 1)[1]

    def pass_input_rows(self, sp: int) -> tuple[int, int]:
        """Real (unpadded) input rows [lo, hi) that strip pass sp reads."""
        s = self.spec
        lo, hi = self.pass_rows(sp)
        y0 = lo * s.stride - s.padding
        y1 = (hi - 1) * s.stride + s.R - s.padding
        return max(0, y0), min(s.H, y1)

    def pass_dram_rows(self, sp: int) -> tuple[int, int]:
        """Input rows [lo, hi) strip pass sp reads from DRAM: its own rows, extended down to the next
        pass's first row (the last pass: to the bottom; the first: from the top), so that every input
        row is fetched at least once even when no output needs it (stride > R, or a bottom remainder):
        an RLC stream is decoded sequentially, so the link reads whole row ranges."""
        lo, hi = self.pass_input_rows(sp)
        if sp == 0:
            lo = 0
        nxt = self.pass_input_rows(sp + 1)[0] if sp + 1 < self.strip_passes else self.spec.H
        return lo, max(hi, nxt)

    @property
    def pe_set_shape(self) -> tuple[int, int]:
        """(rows, columns) of one segment: R x width (the paper's PE set after strip-mining/splitting)."""
        return self.spec.R, self.width

    @property
    def segment_widths(self) -> tuple[int, ...]:
        """Widths of the segments of a split set (e.g. (14, 13)), or (width,) when strip-mining."""
        if not self.split:
            return (self.width,)
        return tuple(self.strip_rows(k)[1] - self.strip_rows(k)[0] for k in range(self.strips))

    def to_dict(self) -> dict[str, object]:
        return {"pe_set": f"{self.spec.R}x{self.spec.E}", "pe_set_mapped": f"{self.spec.R}x{self.width}",
                "segments": list(self.segment_widths), "split": self.split, "strips": self.strips,
                "sets_per_array": self.sets, "t": self.t, "r": self.r, "u": self.u, "p": self.p,
                "q": self.q, "images_per_tile": self.nb, "ifmap_resident": self.ifmap_resident,
                "filters_resident": self.filters_resident, "loop_order": self.order,
                "ifmap_tile_loops": self.tile_loops("ifmap"), "filter_tile_loops": self.tile_loops("filter"),
                "passes": self.passes,
                "filter_passes": self.filter_passes, "channel_passes": self.channel_passes,
                "strip_passes": self.strip_passes, "image_blocks": self.image_blocks,
                "glb_overflow": self.glb_overflow}


def _balanced(total: int, per_set_max: int, sets: int) -> int:
    """Block size so ceil(total / (block * sets)) passes are as full as possible."""
    passes = ceil_div(total, per_set_max * sets)
    return ceil_div(total, sets * passes)


def _input_cols(spec: LayerSpec) -> int:
    """Real input columns a PE row reads: [-P, (F-1)*stride + S - P) clipped to [0, W)."""
    x1 = (spec.F - 1) * spec.stride + spec.S - spec.padding
    return min(spec.W, x1) - max(0, -spec.padding)


def _shape(spec: LayerSpec, a: ArrayShape, width: int) -> tuple[int, bool, int]:
    strips = ceil_div(spec.E, width)
    slots = (a.rows // spec.R) * (a.cols // width)
    if strips <= slots:
        return strips, True, slots // strips
    return strips, False, slots


def _assign(spec: LayerSpec, a: ArrayShape, sets: int, split: bool, strips: int,
            pmax_cap: int | None = None, tmax: int | None = None) -> tuple[int, int, int, int, int]:
    q_max = min(spec.Cg, a.ifmap_spad // spec.S)
    p_max = min(a.psum_spad, a.filter_spad // (q_max * spec.S), spec.Mg)
    if pmax_cap is not None:
        p_max = max(1, min(p_max, pmax_cap))
    t = min(sets, ceil_div(spec.Mg, p_max), tmax if tmax is not None else sets)
    r = min(sets // t, ceil_div(spec.Cg, q_max))
    u = 1 if split else max(1, min(sets // (t * r), strips))
    p = _balanced(spec.Mg, p_max, t)
    q = _balanced(spec.Cg, q_max, r)
    return t, r, u, p, q


def _glb_words(spec: LayerSpec, m: RsMapping, nb: int, resident: bool) -> int:
    """Peak GLB words of a tile: input rows (all channels, or one channel pass double-buffered) + psums."""
    worst_in = max(m.pass_input_rows(sp)[1] - m.pass_input_rows(sp)[0] for sp in range(m.strip_passes))
    worst_out = max(m.pass_rows(sp)[1] - m.pass_rows(sp)[0] for sp in range(m.strip_passes))
    cols = _input_cols(spec)
    chans = spec.Cg if resident else 2 * min(spec.Cg, m.q * m.r)
    psums = min(spec.Mg, m.p * m.t) * worst_out * spec.F
    return nb * (chans * worst_in * cols + psums)


def _with(m: RsMapping, **kw: object) -> RsMapping:
    d = {f: getattr(m, f) for f in m.__dataclass_fields__}
    d.update(kw)
    return RsMapping(**d)  # type: ignore[arg-type]


def _filters_fit(spec: LayerSpec, a: ArrayShape, m: RsMapping) -> bool:
    return min(spec.Mg, m.p * m.t) * min(spec.Cg, m.q * m.r) * spec.R * spec.S <= a.glb_filter_words


def _check(spec: LayerSpec, a: ArrayShape) -> None:
    where = f"eyeriss: layer {spec.name!r}"
    if spec.R > a.rows:
        raise ConfigError(f"{where}: filter height R={spec.R} exceeds the {a.rows} PE rows; Eyeriss v1 does not "
                          f"support it natively (JSSC 2017 IV-A) and accelsim does not fold it")
    if spec.S > a.ifmap_spad:
        raise ConfigError(f"{where}: filter width S={spec.S} exceeds the {a.ifmap_spad}-entry ifmap spad")


@lru_cache(maxsize=512)
def map_layer(spec: LayerSpec, a: ArrayShape = ArrayShape()) -> RsMapping:
    """The RS mapping of ``spec`` on array ``a`` (rules in the module docstring)."""
    where = f"eyeriss: layer {spec.name!r}"
    _check(spec, a)
    fold0 = ceil_div(spec.E, a.cols)
    widths: list[int] = []
    j = 1
    while True:
        w = ceil_div(spec.E, fold0 * j)
        if w not in widths:
            widths.append(w)
        if w == 1:
            break
        j += 1

    def build(w: int, pmax_cap: int | None = None, tmax: int | None = None) -> RsMapping:
        strips, split, sets = _shape(spec, a, w)
        t, r, u, p, q = _assign(spec, a, sets, split, strips, pmax_cap, tmax)
        m = RsMapping(spec, w, strips, split, sets, t, r, u, p, q, 1, True, False)
        # the filter buffer must hold one pass's filters
        while not _filters_fit(spec, a, m) and m.p > 1:
            strips, split, sets = _shape(spec, a, w)
            t, r, u, p, q = _assign(spec, a, sets, split, strips, m.p - 1, tmax)
            m = RsMapping(spec, w, strips, split, sets, t, r, u, p, q, 1, True, False)
        return m

    for j, w in enumerate(widths):
        m = build(w)
        if j > 0 and m.split:  # narrower segments of a split set still cover all E rows: no smaller tile
            continue
        if _glb_words(spec, m, 1, True) <= a.glb_fmap_words:
            nb = 1
            while nb < spec.N and _glb_words(spec, m, nb + 1, True) <= a.glb_fmap_words:
                nb += 1
            return _finish(spec, a, _with(m, nb=nb))
    # no width keeps a strip's ifmaps resident: stream them, shrinking p then t until the psums fit, and
    # take the width with the least estimated DRAM traffic (ifmap rows x filter passes + filter refetch)
    best: tuple[int, int, RsMapping] | None = None
    for j, w in enumerate(widths):
        m = _streamed(spec, a, w, build)
        if j > 0 and m.split:
            continue
        if best is None or (_dram_words(spec, a, m), j) < best[:2]:
            best = (_dram_words(spec, a, m), j, m)
    assert best is not None
    m = best[2]
    if m.glb_overflow:
        warnings.warn(f"{where}: psums of one pass do not fit in the global buffer even with p = t = 1; "
                      f"mapping kept, buffer overflow ignored", stacklevel=2)
        return _finish(spec, a, m)
    nb = 1
    while nb < spec.N and _glb_words(spec, m, nb + 1, False) <= a.glb_fmap_words:
        nb += 1
    return _finish(spec, a, _with(m, nb=nb))


def _streamed(spec: LayerSpec, a: ArrayShape, w: int, build: Any) -> RsMapping:
    m = _with(build(w), ifmap_resident=False)
    tmax = m.t
    while _glb_words(spec, m, 1, False) > a.glb_fmap_words:
        if m.p > 1:
            m = _with(build(w, m.p - 1, tmax), ifmap_resident=False)
        elif tmax > 1:  # fewer filter sets, p back to its maximum
            tmax -= 1
            m = _with(build(w, None, tmax), ifmap_resident=False)
        else:
            return _with(m, glb_overflow=True)
    return m


def _dram_words(spec: LayerSpec, a: ArrayShape, m: RsMapping) -> int:
    """Dense DRAM words of a streamed mapping with one image per tile (used only to rank widths)."""
    rows = sum(m.pass_input_rows(sp)[1] - m.pass_input_rows(sp)[0] for sp in range(m.strip_passes))
    ifmaps = spec.N * spec.C * rows * spec.W * m.filter_passes
    weights = spec.M * spec.Cg * spec.R * spec.S
    filters = weights if weights <= a.glb_filter_words else weights * spec.N * m.strip_passes
    return ifmaps + filters + int(m.glb_overflow) * 10**15


def _finish(spec: LayerSpec, a: ArrayShape, m: RsMapping) -> RsMapping:
    fits = spec.M * spec.Cg * spec.R * spec.S <= a.glb_filter_words
    return _with(m, filters_resident=fits, order="ISFC", ifmap_hold=2 if m.ifmap_resident else 4,
                 filter_hold=4)



# ==== mapping search ====================================================================================
LOOPS = "ISFC"  # the pass loops: image block, strip pass, filter pass, channel pass (canonical array axes)
ORDERS = tuple("".join(o) for o in itertools.permutations(LOOPS))  # "ISFC" (the fixed rule's) first
OBJECTIVES = ("energy", "cycles", "edp")


@dataclass(frozen=True)
class SearchCost:
    """What the search prices: one unit cost (energy-table units) per action the model emits, plus the
    switches that change dense counts.  Built by the model from its config and energy table."""

    mac: float
    weight_spad_read: float
    weight_spad_write: float
    ifmap_spad_read: float
    ifmap_spad_write: float
    zero_buffer_read: float
    psum_spad_read: float
    psum_spad_write: float
    add: float
    noc: float
    glb_read: float
    glb_write: float
    dram_read_bit: float
    dram_write_bit: float
    gating: bool = True
    word_bits: int = 16
    gins: tuple[int, int, int] = (1, 4, 4)  # ifmap, filter, psum GIN words per cycle
    objective: str = "energy"


def _ceil(a: Any, b: Any) -> Any:
    return -(-a // b)


def _block_sizes(total: int, cap: int) -> list[int]:
    """Block sizes worth trying for ``total`` items in blocks of at most ``cap``: for each block count,
    the smallest size that gives it (a larger size with the same count only unbalances the blocks)."""
    return sorted({_ceil(total, _ceil(total, x)) for x in range(1, min(cap, total) + 1)})


@lru_cache(maxsize=64)
def _set_pairs(T: int) -> tuple[np.ndarray, np.ndarray]:
    """All (t, r) with t * r <= T."""
    t = np.concatenate([np.full(T // i, i) for i in range(1, T + 1)])
    r = np.concatenate([np.arange(1, T // i + 1) for i in range(1, T + 1)])
    return t.astype(np.int64), r.astype(np.int64)


def _strip_stats(spec: LayerSpec, a: ArrayShape, w: int, u: int) -> tuple[tuple[int, ...], np.ndarray]:
    """(SP, sum of input rows, sum of DRAM rows, max input rows, max output rows), and the distinct
    (input rows, output rows, count) of the strip passes of width w with u strips per pass."""
    strips, split, sets = _shape(spec, a, w)
    m0 = RsMapping(spec, w, strips, split, sets, 1, 1, u, 1, 1, 1, True, False)
    SP = m0.strip_passes
    rin = [b - a_ for a_, b in (m0.pass_input_rows(i) for i in range(SP))]
    rout = [b - a_ for a_, b in (m0.pass_rows(i) for i in range(SP))]
    dram = sum(b - a_ for a_, b in (m0.pass_dram_rows(i) for i in range(SP)))
    cls = np.unique(np.array([rin, rout]).T, axis=0, return_counts=True)
    table = np.concatenate([cls[0], cls[1][:, None]], axis=1)
    return (SP, sum(rin), dram, max(rin), max(rout)), table


def _candidates(spec: LayerSpec, a: ArrayShape) -> dict[str, np.ndarray]:
    """Every legal array mapping (module docstring, "Search") as parallel int64 arrays."""
    Mg, Cg, N, S = spec.Mg, spec.Cg, spec.N, spec.S
    pq = [(p, q) for q in _block_sizes(Cg, a.ifmap_spad // S)
          for p in _block_sizes(Mg, min(a.psum_spad, a.filter_spad // (q * S)))]
    pp = np.array([x[0] for x in pq], dtype=np.int64)
    qq = np.array([x[1] for x in pq], dtype=np.int64)
    nbs = np.array(_block_sizes(N, N), dtype=np.int64)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("w", "u", "t", "r", "p", "q", "nb", "stat", "spc")}
    stats: list[tuple[int, ...]] = []
    tables: list[np.ndarray] = []
    for w in range(min(spec.E, a.cols), 0, -1):  # widest first: ties go to the widest strips
        strips, split, sets = _shape(spec, a, w)
        us = [1] if split else _block_sizes(strips, sets)[::-1]  # most strips per pass first
        for u in us:
            t, r = _set_pairs(sets // u)
            ti = np.repeat(t, len(pp))
            ri = np.repeat(r, len(pp))
            pi = np.tile(pp, len(t))
            qi = np.tile(qq, len(t))
            fb = _ceil(Mg, pi)
            cb = _ceil(Cg, qi)
            # t (r) beyond the blocks idles sets; and for a number of passes only the fewest sets count
            keep = (ti <= fb) & (ri <= cb) & (ti == _ceil(fb, _ceil(fb, ti))) & (ri == _ceil(cb, _ceil(cb, ri)))
            n = int(keep.sum())
            if n == 0:
                continue
            st, tab = _strip_stats(spec, a, w, u)
            k = len(stats)
            stats.append(st)
            tables.append(tab)
            for name, v in (("t", ti[keep]), ("r", ri[keep]), ("p", pi[keep]), ("q", qi[keep])):
                cols[name].append(np.repeat(v, len(nbs)))
            cols["nb"].append(np.tile(nbs, n))
            for name, v in (("w", w), ("u", u), ("stat", k)):
                cols[name].append(np.full(n * len(nbs), v, dtype=np.int64))
    out = {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int64) for k, v in cols.items() if k != "spc"}
    st_arr = np.array(stats, dtype=np.int64).reshape(-1, 5)
    for j, name in enumerate(("SP", "sum_rin", "sum_dram", "max_rin", "max_rout")):
        out[name] = st_arr[out["stat"], j] if len(st_arr) else np.zeros(0, dtype=np.int64)
    width = max((len(tb) for tb in tables), default=1)
    spc = np.zeros((max(len(tables), 1), width, 3), dtype=np.int64)
    for i, tb in enumerate(tables):
        spc[i, :len(tb)] = tb
    out["sp_classes"] = spc[out["stat"]] if len(tables) else np.zeros((0, 1, 3), dtype=np.int64)
    return out


def _order_words(spec: LayerSpec, a: ArrayShape, x: dict[str, np.ndarray], order: str,
                 memo: dict[Any, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """DRAM words (filters + ifmaps, dense) of loop order ``order`` with the least-traffic GLB tiles that
    fit, per candidate (inf: no tile fits), and whether the per-pass filter chunk fits.  ``memo`` caches
    what depends only on a set of loops (shared by the orders of one batch of candidates)."""
    memo = {} if memo is None else memo
    N, Mg, Cg, R, S, E, F = spec.N, spec.Mg, spec.Cg, spec.R, spec.S, spec.E, spec.F
    if "base" not in memo:
        memo["base"] = (np.minimum(Mg, x["p"] * x["t"]), np.minimum(Cg, x["q"] * x["r"]), _ceil(N, x["nb"]),
                        _ceil(_ceil(Mg, x["p"]), x["t"]))
    pt, qr, IB, FP = memo["base"]
    SP = x["SP"]
    psum_loops = frozenset(order[order.index("C") + 1:])
    if ("psum", psum_loops) not in memo:
        memo["psum", psum_loops] = ((N if "I" in psum_loops else x["nb"])
                                    * np.where("S" in psum_loops, E, x["max_rout"])
                                    * (Mg if "F" in psum_loops else pt) * F)
    psum = memo["psum", psum_loops]
    d_in = np.full(len(pt), np.inf)
    d_w = np.full(len(pt), np.inf)
    w_all = spec.M * Cg * R * S
    for h in range(5):
        inner = frozenset(order[h:])
        key = ("tiles", inner, h == 4)
        if key not in memo:
            whole = ("S" in inner) & (SP > 1)
            tile = ((N if "I" in inner else x["nb"]) * (Cg if "C" in inner else qr)
                    * np.where(whole, spec.H, x["max_rin"]) * _input_cols(spec) * (2 if h == 4 else 1))
            words = (spec.N * spec.C * spec.W * np.where(whole, spec.H, x["sum_dram"])
                     * (1 if "F" in inner else FP))
            ftile = (Mg if "F" in inner else pt) * (Cg if "C" in inner else qr) * R * S
            fwords = (spec.groups * Mg * Cg * R * S * (1 if "I" in inner else IB)
                      * np.where("S" in inner, 1, SP))
            memo[key] = (tile, words.astype(float),
                         np.where(ftile <= a.glb_filter_words, fwords, np.inf))
        tile, words, fwords = memo[key]
        d_in = np.where(tile + psum <= a.glb_fmap_words, np.minimum(d_in, words), d_in)
        d_w = np.minimum(d_w, fwords)
    if w_all <= a.glb_filter_words:
        d_w = np.full(len(pt), float(w_all))
    chunk_ok = pt * qr * R * S <= a.glb_filter_words
    return d_in + d_w, chunk_ok


def _onchip(spec: LayerSpec, a: ArrayShape, c: SearchCost, x: dict[str, np.ndarray]
            ) -> tuple[np.ndarray, np.ndarray, float]:
    """Energy of everything but the DRAM reads and their GLB writes, dense processing cycles, and the
    energy per DRAM-read word (DRAM bits + GLB write), per candidate (closed forms: module docstring)."""
    G, N, Mg, Cg, R, S, E, F = spec.groups, spec.N, spec.Mg, spec.Cg, spec.R, spec.S, spec.E, spec.F
    t, r, p, q, nb = x["t"], x["r"], x["p"], x["q"], x["nb"]
    cols = _input_cols(spec)
    wfill = S + (F - 1) * min(spec.stride, S)
    fb, cb = _ceil(Mg, p), _ceil(Cg, q)
    FP, CP, IB = _ceil(fb, t), _ceil(cb, r), _ceil(N, nb)
    D = spec.macs_dense
    fsw = G * IB * R * S * E * Mg * Cg
    isw = G * N * R * E * Cg * wfill * fb
    base = G * N * F * E * Mg
    acc = base * (R * cb - 1)
    outs = base * CP
    psin = base * (CP - 1)
    gfr = G * IB * x["SP"] * Mg * Cg * R * S
    gir = G * N * Cg * x["sum_rin"] * cols * FP
    ofm = N * spec.M * E * F
    e = (D * (c.mac + c.weight_spad_read + c.ifmap_spad_read + c.psum_spad_read + c.psum_spad_write
              + (c.zero_buffer_read if c.gating else 0.0))
         + fsw * c.weight_spad_write + isw * c.ifmap_spad_write + acc * (c.psum_spad_read + c.psum_spad_write + c.add)
         + (fsw + isw + acc + outs) * c.noc + (gfr + gir + psin + ofm) * c.glb_read + outs * c.glb_write
         + ofm * c.word_bits * c.dram_write_bit)
    # cycles: passes fall into classes (full / last filter pass, full / last channel pass, strip classes)
    igin, fgin, pgin = c.gins
    ps_l = Mg - (FP - 1) * t * p
    qs_l = Cg - (CP - 1) * r * q
    fcls = ((t * p, p, FP - 1), (ps_l, np.minimum(p, ps_l), 1))
    ccls = ((r * q, q, CP - 1), (qs_l, np.minimum(q, qs_l), 1))
    spc = x["sp_classes"]
    fill = np.zeros(len(t), dtype=np.int64)
    per = np.zeros(len(t), dtype=np.int64)
    for ps, pm, nf in fcls:
        for qs, qm, nc in ccls:
            n = nf * nc
            fill += n * _ceil(ps * qs * R * S, fgin)
            comp = F * S * pm * qm
            for k in range(spc.shape[1]):
                rin, rout, ns = spc[:, k, 0], spc[:, k, 1], spc[:, k, 2]
                per += n * ns * np.maximum(np.maximum(comp, _ceil(qs * rin * cols, igin)),
                                           _ceil(ps * rout * F, pgin))
    cycles = G * (IB * x["SP"] * fill + N * per)
    return e, cycles, c.word_bits * c.dram_read_bit + c.glb_write


def _objective(c: SearchCost, energy: np.ndarray, cycles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(primary, tie-breaker) of the configured objective."""
    if c.objective == "cycles":
        return cycles.astype(float), energy
    if c.objective == "edp":
        return energy * cycles, cycles.astype(float)
    return energy, cycles.astype(float)


def _pick(c: SearchCost, energy: np.ndarray, cycles: np.ndarray, idx: np.ndarray) -> int:
    """The best of candidates ``idx``: least objective (within 1e-9 relative), then least tie-breaker,
    then the first enumerated (deterministic)."""
    prim, sec = _objective(c, energy[idx], cycles[idx])
    best = prim.min()
    near = prim <= best * (1 + 1e-9) + 1e-300
    sub = np.flatnonzero(near)
    j = sub[np.lexsort((sub, sec[sub]))[0]]
    return int(idx[j])


@lru_cache(maxsize=1024)
def search_layer(spec: LayerSpec, a: ArrayShape, c: SearchCost) -> RsMapping:
    """The legal mapping of ``spec`` with the least ``c.objective`` under dense (data-independent) counts;
    the fixed rule's mapping if no candidate fits the global buffer (module docstring, "Search")."""
    if c.objective not in OBJECTIVES:
        raise ConfigError(f"eyeriss: mapping_objective must be one of {', '.join(OBJECTIVES)}, got {c.objective!r}")
    _check(spec, a)
    x = _candidates(spec, a)
    if len(x["t"]) == 0:
        return map_layer(spec, a)
    e_on, cycles, per_word = _onchip(spec, a, c, x)
    # branch and bound over loop orders: a candidate's DRAM words are at least the compulsory ones
    lb_words = (spec.N * spec.C * spec.W * spec.H
                + min(spec.M * spec.Cg * spec.R * spec.S, spec.groups * spec.Mg * spec.Cg * spec.R * spec.S))
    lb_prim, _ = _objective(c, e_on + per_word * lb_words, cycles)
    rank = np.argsort(lb_prim, kind="stable")
    energy = np.full(len(rank), np.inf)
    order_of = np.zeros(len(rank), dtype=np.int64)
    done = 0
    upper = np.inf
    chunk = 256
    while done < len(rank):
        if lb_prim[rank[done]] > upper * (1 + 1e-9):
            break
        sel = rank[done:done + chunk]
        sub = {k: v[sel] for k, v in x.items()}
        best_w = np.full(len(sel), np.inf)
        best_o = np.zeros(len(sel), dtype=np.int64)
        memo: dict[Any, np.ndarray] = {}
        for oi, order in enumerate(ORDERS):
            words, chunk_ok = _order_words(spec, a, sub, order, memo)
            words = np.where(chunk_ok, words, np.inf)
            better = words < best_w
            best_w = np.where(better, words, best_w)
            best_o = np.where(better, oi, best_o)
        energy[sel] = e_on[sel] + per_word * best_w
        order_of[sel] = best_o
        ok = np.isfinite(energy[sel])
        if ok.any():
            prim, _ = _objective(c, energy[sel][ok], cycles[sel][ok])
            upper = min(upper, float(prim.min()))
        done += len(sel)
        chunk *= 2
    evaluated = rank[:done]
    feasible = evaluated[np.isfinite(energy[evaluated])]
    if len(feasible) == 0:  # nothing fits the global buffer: the fixed rule's mapping, flagged glb_overflow
        return map_layer(spec, a)
    i = _pick(c, energy, cycles, feasible)
    return _build(spec, a, {k: v[i:i + 1] for k, v in x.items()}, ORDERS[int(order_of[i])])


def _build(spec: LayerSpec, a: ArrayShape, x: dict[str, np.ndarray], order: str) -> RsMapping:
    """The RsMapping of one candidate under ``order``: the smallest tiles that reach its least traffic."""
    w, u, t, r, p, q, nb = (int(x[k][0]) for k in ("w", "u", "t", "r", "p", "q", "nb"))
    strips, split, sets = _shape(spec, a, w)
    m = RsMapping(spec, w, strips, split, sets, t, r, u, p, q, nb, True, False, order=order)
    holds = {}
    for tensor in ("ifmap", "filter"):
        best: tuple[float, int] | None = None
        for h in range(4, -1, -1):  # fewest loops in the tile first: the smallest tile wins a tie
            words = _tile_words(spec, a, _with(m, ifmap_hold=h, filter_hold=h), tensor)
            if words is not None and (best is None or words < best[0]):
                best = (words, h)
        assert best is not None
        holds[tensor] = best[1]
    m = _with(m, ifmap_hold=holds["ifmap"], filter_hold=holds["filter"])
    m = _with(m, ifmap_resident="F" in m.tile_loops("ifmap"),
              filters_resident=spec.M * spec.Cg * spec.R * spec.S <= a.glb_filter_words)
    return m


def _tile_words(spec: LayerSpec, a: ArrayShape, m: RsMapping, tensor: str) -> float | None:
    """Dense DRAM words ``tensor`` reads with m's tile, or None if the tile does not fit."""
    x = {k: np.array([v]) for k, v in (("p", m.p), ("q", m.q), ("t", m.t), ("r", m.r), ("nb", m.nb))}
    st, _ = _strip_stats(spec, a, m.width, m.u)
    for j, name in enumerate(("SP", "sum_rin", "sum_dram", "max_rin", "max_rout")):
        x[name] = np.array([st[j]])
    h = m.ifmap_level if tensor == "ifmap" else m.filter_hold
    one = _order_words_at(spec, a, x, m.order, h)
    v = one[0] if tensor == "ifmap" else one[1]
    return None if not np.isfinite(v) else float(v)


def _order_words_at(spec: LayerSpec, a: ArrayShape, x: dict[str, np.ndarray], order: str, h: int
                    ) -> tuple[float, float]:
    """(ifmap words, filter words) with both tiles at level h (inf where a tile does not fit)."""
    N, Mg, Cg, R, S, E, F = spec.N, spec.Mg, spec.Cg, spec.R, spec.S, spec.E, spec.F
    pt = min(Mg, int(x["p"][0] * x["t"][0]))
    qr = min(Cg, int(x["q"][0] * x["r"][0]))
    nb, SP = int(x["nb"][0]), int(x["SP"][0])
    IB = _ceil(N, nb)
    FP = _ceil(_ceil(Mg, int(x["p"][0])), int(x["t"][0]))
    psum_loops = order[order.index("C") + 1:]
    psum = ((N if "I" in psum_loops else nb) * (E if "S" in psum_loops else int(x["max_rout"][0]))
            * (Mg if "F" in psum_loops else pt) * F)
    inner = order[h:]
    whole = "S" in inner and SP > 1
    tile = ((N if "I" in inner else nb) * (Cg if "C" in inner else qr)
            * (spec.H if whole else int(x["max_rin"][0])) * _input_cols(spec) * (2 if h == 4 else 1))
    words_in = spec.N * spec.C * spec.W * (spec.H if whole else int(x["sum_dram"][0])) * (1 if "F" in inner else FP)
    ftile = (Mg if "F" in inner else pt) * (Cg if "C" in inner else qr) * R * S
    fwords = spec.groups * Mg * Cg * R * S * (1 if "I" in inner else IB) * (1 if "S" in inner else SP)
    if spec.M * Cg * R * S <= a.glb_filter_words:
        fwords = spec.M * Cg * R * S
        ftile = 0
    return (float(words_in) if tile + psum <= a.glb_fmap_words else np.inf,
            float(fwords) if ftile <= a.glb_filter_words else np.inf)


def mapping_cost(m: RsMapping, a: ArrayShape, c: SearchCost) -> tuple[float, int]:
    """(dense energy, dense processing cycles) of mapping m under the search's cost model; the energy
    includes the DRAM words of m's own loop order and tiles (whether or not they fit)."""
    spec = m.spec
    x = {k: np.array([v], dtype=np.int64) for k, v in (("w", m.width), ("u", m.u), ("t", m.t), ("r", m.r),
                                                       ("p", m.p), ("q", m.q), ("nb", m.nb))}
    st, tab = _strip_stats(spec, a, m.width, m.u)
    for j, name in enumerate(("SP", "sum_rin", "sum_dram", "max_rin", "max_rout")):
        x[name] = np.array([st[j]], dtype=np.int64)
    x["sp_classes"] = tab[None]
    e_on, cycles, per_word = _onchip(spec, a, c, x)
    words = _dram_read_words(m, a)
    return float(e_on[0] + per_word * words), int(cycles[0])


def _dram_read_words(m: RsMapping, a: ArrayShape) -> int:
    """Dense DRAM words m reads (filters + ifmaps), as the model counts them."""
    s = m.spec
    w_all = s.M * s.Cg * s.R * s.S
    if m.filters_resident:
        fw = w_all
    else:
        inner = m.tile_loops("filter")
        fw = s.groups * s.Mg * s.Cg * s.R * s.S * (1 if "I" in inner else m.image_blocks) * (
            1 if "S" in inner else m.strip_passes)
    inner = m.tile_loops("ifmap")
    rows = s.H if m.ifmap_whole_rows else sum(b - a_ for a_, b in (m.pass_dram_rows(i) for i in range(m.strip_passes)))
    iw = s.N * s.C * s.W * rows * (1 if "F" in inner else m.filter_passes)
    return fw + iw


__all__ = ["ArrayShape", "LOOPS", "OBJECTIVES", "ORDERS", "RsMapping", "SearchCost", "map_layer",
           "mapping_cost", "search_layer"]
