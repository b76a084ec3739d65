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
   (JSSC IV-A); :class:`~accelsim.errors.ConfigError` names the layer.  The Eyeriss model folds such layers
   into parts that fit before mapping them (eyeriss_fold.py).
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
   DRAM traffic (dense words, one image per tile) is taken, the widest on a tie.  If even p = t = 1 does not
   fit, the double-buffered rows of the channel pass are too big: r (channel sets), then q (channels per PE)
   shrink one step at a time, each time with p and t from their maximum.  If one channel's rows and one
   filter's psums still do not fit, the layer cannot run on this array: a :class:`ConfigError` names the
   layer, the buffer and both tensors' words.
5. The filter buffer (8 kB) must hold one pass's filters; p shrinks until it does.  When the whole layer's
   filters fit in it they are read from DRAM once, otherwise once per (image block, strip pass).

An FC layer is the 1x1 case (H = W = R = S = E = F = 1): the logical set is one PE, so 168 single-PE sets
fill the array, t over filters and r over channels, q = 12 channels and p = 18 filters per PE (p*q <= 224).

The mapping search over these rules' space (the default) is in :mod:`accelsim.accelerators.eyeriss_search`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from accelsim.accelerators.base import ceil_div
from accelsim.errors import ConfigError
from accelsim.geometry import dram_row_ranges, geometry
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
    spread_groups: bool = True  # group_mapping spread: sets left idle take other groups (RsMapping.gs)


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
    gs: int = 1           # groups side by side in a pass (their sets placed next to each other)

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
    def group_passes(self) -> int:
        return ceil_div(self.spec.groups, self.gs)

    @property
    def passes(self) -> int:
        return (self.group_passes * self.image_blocks * self.strip_passes * self.filter_passes
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
        """Real (unpadded) input rows [lo, hi) that strip pass sp reads (their span)."""
        return geometry(self.spec).h.in_range(*self.pass_rows(sp))

    def pass_dram_rows(self, sp: int) -> tuple[int, int]:
        """Input rows [lo, hi) strip pass sp reads from DRAM (:func:`accelsim.geometry.dram_row_ranges`:
        its own rows, extended so every input row is fetched at least once)."""
        return tuple(int(v) for v in self.dram_row_ranges()[sp])  # type: ignore[return-value]

    def dram_row_ranges(self) -> np.ndarray:
        """(strip passes, 2) input rows each strip pass reads from DRAM."""
        rows = np.array([self.pass_rows(sp) for sp in range(self.strip_passes)], dtype=np.int64)
        return dram_row_ranges(geometry(self.spec).h, rows)

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
                "groups_per_pass": self.gs, "group_passes": self.group_passes,
                "glb_overflow": self.glb_overflow}


def _balanced(total: int, per_set_max: int, sets: int) -> int:
    """Block size so ceil(total / (block * sets)) passes are as full as possible."""
    passes = ceil_div(total, per_set_max * sets)
    return ceil_div(total, sets * passes)


def _shape(spec: LayerSpec, a: ArrayShape, width: int) -> tuple[int, bool, int]:
    strips = ceil_div(spec.E, width)
    slots = (a.rows // spec.R) * (a.cols // width)
    if strips <= slots:
        return strips, True, slots // strips
    return strips, False, slots


def _assign(spec: LayerSpec, a: ArrayShape, sets: int, split: bool, strips: int,
            pmax_cap: int | None = None, tmax: int | None = None,
            rmax: int | None = None, qmax_cap: int | None = None) -> tuple[int, int, int, int, int]:
    q_max = min(spec.Cg, a.ifmap_spad // spec.S, a.filter_spad // spec.S)  # one filter row per channel fits
    if qmax_cap is not None:
        q_max = max(1, min(q_max, qmax_cap))
    p_max = min(a.psum_spad, a.filter_spad // (q_max * spec.S), spec.Mg)
    if pmax_cap is not None:
        p_max = max(1, min(p_max, pmax_cap))
    t = min(sets, ceil_div(spec.Mg, p_max), tmax if tmax is not None else sets)
    r = min(sets // t, ceil_div(spec.Cg, q_max), rmax if rmax is not None else sets)
    u = 1 if split else max(1, min(sets // (t * r), strips))
    p = _balanced(spec.Mg, p_max, t)
    q = _balanced(spec.Cg, q_max, r)
    return t, r, u, p, q


def _glb_parts(spec: LayerSpec, m: RsMapping, nb: int, resident: bool) -> tuple[int, int]:
    """Peak GLB words of a tile, (input rows, psums): the input rows of all channels (resident) or of one
    channel pass, double-buffered (streamed), and the psums of one filter pass."""
    worst_in = max(m.pass_input_rows(sp)[1] - m.pass_input_rows(sp)[0] for sp in range(m.strip_passes))
    worst_out = max(m.pass_rows(sp)[1] - m.pass_rows(sp)[0] for sp in range(m.strip_passes))
    cols = geometry(spec).w.span_count()
    chans = spec.Cg if resident else 2 * min(spec.Cg, m.q * m.r)
    psums = min(spec.Mg, m.p * m.t) * worst_out * spec.F
    return nb * m.gs * chans * worst_in * cols, nb * m.gs * psums


def _glb_words(spec: LayerSpec, m: RsMapping, nb: int, resident: bool) -> int:
    """Peak GLB words of a tile: input rows (all channels, or one channel pass double-buffered) + psums."""
    return sum(_glb_parts(spec, m, nb, resident))


def _with(m: RsMapping, **kw: object) -> RsMapping:
    d = {f: getattr(m, f) for f in m.__dataclass_fields__}
    d.update(kw)
    return RsMapping(**d)  # type: ignore[arg-type]


def _filters_fit(spec: LayerSpec, a: ArrayShape, m: RsMapping) -> bool:
    return m.gs * min(spec.Mg, m.p * m.t) * min(spec.Cg, m.q * m.r) * spec.R * spec.S <= a.glb_filter_words


def groups_side_by_side(spec: LayerSpec, a: ArrayShape, free_sets: int) -> int:
    """Groups a pass runs side by side when ``free_sets`` sets are free for each set of a group: the fewest
    that still give the fewest group passes (1 when groups are serial or there is one group)."""
    if not a.spread_groups or spec.groups == 1:
        return 1
    cap = max(1, min(spec.groups, free_sets))
    return ceil_div(spec.groups, ceil_div(spec.groups, cap))


def _check(spec: LayerSpec, a: ArrayShape) -> None:
    where = f"eyeriss: layer {spec.name!r}"
    if spec.R > a.rows:
        raise ConfigError(f"{where}: filter height R={spec.R} exceeds the {a.rows} PE rows; Eyeriss v1 does not "
                          f"support it natively (JSSC 2017 IV-A); the Eyeriss model folds such layers (eyeriss_fold.py)")
    if spec.S > a.ifmap_spad:
        raise ConfigError(f"{where}: filter width S={spec.S} exceeds the {a.ifmap_spad}-entry ifmap spad")
    if spec.S > a.filter_spad:
        raise ConfigError(f"{where}: filter width S={spec.S} exceeds the {a.filter_spad}-entry filter spad "
                          "(config key filter_spad_words)")


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

    def build(w: int, pmax_cap: int | None = None, tmax: int | None = None, rmax: int | None = None,
              qmax_cap: int | None = None) -> RsMapping:
        strips, split, sets = _shape(spec, a, w)
        t, r, u, p, q = _assign(spec, a, sets, split, strips, pmax_cap, tmax, rmax, qmax_cap)
        m = RsMapping(spec, w, strips, split, sets, t, r, u, p, q, 1, True, False,
                      gs=groups_side_by_side(spec, a, sets // (t * r * u)))
        # the filter buffer must hold one pass's filters: fewer groups side by side first, then smaller p
        while not _filters_fit(spec, a, m) and m.gs > 1:
            m = _with(m, gs=groups_side_by_side(spec, a, m.gs - 1))
        while not _filters_fit(spec, a, m) and m.p > 1:
            strips, split, sets = _shape(spec, a, w)
            t, r, u, p, q = _assign(spec, a, sets, split, strips, m.p - 1, tmax, rmax, qmax_cap)
            m = RsMapping(spec, w, strips, split, sets, t, r, u, p, q, 1, True, False)
        return m

    for j, w in enumerate(widths):
        m = build(w)
        if j > 0 and m.split:  # narrower segments of a split set still cover all E rows: no smaller tile
            continue
        while m.gs > 1 and _glb_words(spec, m, 1, True) > a.glb_fmap_words:
            m = _with(m, gs=groups_side_by_side(spec, a, m.gs - 1))
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
        ifm, ps = _glb_parts(spec, m, 1, False)
        raise ConfigError(f"{where}: the smallest streamed tile does not fit the {a.glb_fmap_words}-word global "
                          f"buffer: one channel's input rows, double-buffered ({ifm} words), plus one filter's "
                          f"psums ({ps} words) (glb_fmap_bytes too small)")
    nb = 1
    while nb < spec.N and _glb_words(spec, m, nb + 1, False) <= a.glb_fmap_words:
        nb += 1
    return _finish(spec, a, _with(m, nb=nb))


def _streamed(spec: LayerSpec, a: ArrayShape, w: int, build: Any) -> RsMapping:
    """The streamed tile of width ``w``: p, then t, shrink until the psums fit beside the double-buffered
    input rows of one channel pass; if even p = t = 1 does not fit, the channel pass shrinks (r channel
    sets, then q channels per PE, one step at a time) and p, t start again from their maximum."""
    rmax: int | None = None  # streamed ifmaps: groups one after another (gs = 1)
    qcap: int | None = None
    while True:
        m = _with(build(w, None, None, rmax, qcap), ifmap_resident=False, gs=1)
        tmax = m.t
        while _glb_words(spec, m, 1, False) > a.glb_fmap_words:
            if m.p > 1:
                m = _with(build(w, m.p - 1, tmax, rmax, qcap), ifmap_resident=False, gs=1)
            elif tmax > 1:  # fewer filter sets, p back to its maximum
                tmax -= 1
                m = _with(build(w, None, tmax, rmax, qcap), ifmap_resident=False, gs=1)
            else:
                break
        if _glb_words(spec, m, 1, False) <= a.glb_fmap_words:
            return m
        if m.r > 1:  # the channel pass is too big: fewer channel sets, then fewer channels per PE
            rmax = m.r - 1
        elif m.q > 1:
            qcap = m.q - 1
        else:
            return _with(m, glb_overflow=True)


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


__all__ = ["ArrayShape", "RsMapping", "map_layer"]
