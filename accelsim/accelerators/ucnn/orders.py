"""UCNN's two loop orders (package docstring, "Loop order"): per-pass cycles, DRAM loads and stores.

* strip order: strips outer, the tables re-read per (image, strip) unless they are resident;
* table order: chunks of filter groups whose tables fit on chip outer, the inputs re-read per chunk.

:func:`run_order` evaluates one order at one strip height; :func:`best_tables_order` searches the
table order's strip heights.  Both read the per-layer numbers of :class:`UnitTables`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.accelerators.base import ceil_div
from accelsim.accelerators.ucnn.config import UcnnConfig
from accelsim.accelerators.ucnn.plan import UcnnPlan
from accelsim.geometry import dram_row_ranges, geometry, row_stream_bits


@dataclass(frozen=True)
class UnitTables:
    """What the loop orders need to know about one layer's units and fmaps."""

    cycles: np.ndarray    # (Gc, FG, T) cycles per output position of each unit
    words: np.ndarray     # (Gc, FG, T) indirection-table words of each unit
    bits: np.ndarray      # (Gc, FG, T) indirection-table bits of each unit
    x_nz: np.ndarray      # (N, C, H, W) uint8: non-zero inputs (RLC sizes depend only on them)
    y_nz: np.ndarray      # (N, M, E, F) uint8: non-zero outputs
    raw_in: bool          # inputs read uncompressed (first layer, or rlc off)
    model_bits: int       # all tables + the unique-weight value table
    value_bits: int       # the unique-weight value table alone


@dataclass(frozen=True)
class Strips:
    """Per-strip geometry for strips of h output rows (arrays over strips)."""

    lo: np.ndarray          # first output row
    hi: np.ndarray          # one past the last output row
    in_rows: np.ndarray     # input rows held in the GLB
    dram: np.ndarray        # (SP, 2) input rows read from DRAM [lo, hi): every row once at least
    per_pe: np.ndarray      # output positions of the largest block (per PE)
    block_rows: np.ndarray  # input rows summed over the k output blocks (PE input-spad fills)


@dataclass(frozen=True)
class LoopOrder:
    """One loop order's passes, indexed (group passes, chunks, N, strips, channel passes), and its totals."""

    cycles: np.ndarray
    load: np.ndarray        # DRAM bits read before each pass
    store: np.ndarray       # DRAM bits written after each pass
    tw: np.ndarray          # table words streamed per pass
    ifm_words: np.ndarray   # ifmap words sent over the GIN per pass
    spad_fill: np.ndarray   # input-spad words filled per pass
    in_bits: np.ndarray     # (N, groups, strips) compressed input bits per strip (one chunk)
    in_unc: np.ndarray      # the same, uncompressed
    out_unc: np.ndarray     # (N, M, strips) uncompressed output bits
    dram_tables: int        # table bits read from DRAM
    dram_bits: int          # all DRAM bits (reads + writes)
    cycles_estimate: int    # sum over passes of max(pass cycles, its DRAM time)
    strip_rows: int
    chunks: int


def strips(plan: UcnnPlan, h: int) -> Strips:
    """Per-strip geometry for strips of ``h`` output rows (vectorized over strips)."""
    s, k = plan.spec, plan.k
    SP = ceil_div(s.E, h)
    lo = np.arange(SP, dtype=np.int64) * h
    hi = np.minimum(lo + h, s.E)
    ax = geometry(s).h
    in_lo, in_hi = ax.in_ranges(lo, hi)
    dram = dram_row_ranges(ax, np.stack([lo, hi], axis=1))
    n = (hi - lo) * s.F
    per = -(-n // k)                                      # positions per block
    a = np.arange(k, dtype=np.int64)[None, :] * per[:, None]
    valid = a < n[:, None]
    bb = np.minimum(a + per[:, None], n[:, None])
    r0 = lo[:, None] + a // s.F
    r1 = lo[:, None] + (bb - 1) // s.F + 1
    b0, b1 = ax.in_ranges(r0, r1)
    rows = b1 - b0                                        # 0: a block that sees only padding
    return Strips(lo=lo, hi=hi, in_rows=in_hi - in_lo, dram=dram,
                  per_pe=per, block_rows=np.where(valid, rows, 0).sum(axis=1))


def run_order(c: UcnnConfig, plan: UcnnPlan, h: int, chunks: list[tuple[int, int]], table_order: bool,
              tables_resident: bool, u: UnitTables) -> LoopOrder:
    """Passes (Gc, chunks, N, strips, CP) of one loop order: strips of ``h`` output rows, filter groups
    in ``chunks`` [fg0, fg1).  The strip order (one chunk [0, FG)) re-reads the tables per (image,
    strip) unless they are resident; the table order reads each chunk's tables once and re-reads the
    inputs per chunk."""
    s = plan.spec
    Gc, FG, T = u.cycles.shape
    CP, tpp, NCH, N = plan.channel_passes, plan.tpp, len(chunks), s.N
    st = strips(plan, h)
    SP = len(st.lo)

    f0s = np.array([f0 for f0, _ in chunks], dtype=np.int64)
    f1s = np.array([f1 for _, f1 in chunks], dtype=np.int64)

    def per_chunk(x: np.ndarray) -> np.ndarray:  # (Gc, FG, T) -> sums over each chunk (Gc, NCH, CP, tpp)
        cs = np.concatenate([np.zeros((Gc, 1, T), np.int64), np.cumsum(x, axis=1)], axis=1)
        d = cs[:, f1s] - cs[:, f0s]
        return np.pad(d, [(0, 0), (0, 0), (0, CP * tpp - T)]).reshape(Gc, NCH, CP, tpp)
    ch_tw = per_chunk(u.words).sum(axis=3)          # table words / bits of a chunk's pass (Gc, NCH, CP)
    ch_tb = per_chunk(u.bits).sum(axis=3)
    fs_c = np.minimum(plan.fs, f1s - f0s)
    filt = np.minimum(f1s * plan.G, s.Mg) - f0s * plan.G
    if plan.fs == 1:   # one filter block: the PE's work is the chunk's sum, the slowest tile counts
        pe_work = per_chunk(u.cycles).max(axis=3)   # cycles per output of the slowest PE (Gc, NCH, CP)
    else:
        pe_work = np.zeros((Gc, NCH, CP), dtype=np.int64)
        for i, (f0, f1) in enumerate(chunks):
            fgb = ceil_div(f1 - f0, int(fs_c[i]))
            x = np.pad(u.cycles[:, f0:f1], [(0, 0), (0, fs_c[i] * fgb - (f1 - f0)), (0, CP * tpp - T)])
            pe_work[:, i] = x.reshape(Gc, fs_c[i], fgb, CP, tpp).sum(axis=2).max(axis=(1, 3))
    ch_in_cp = np.minimum(tpp * plan.Ct, s.Cg - np.arange(CP) * tpp * plan.Ct)        # (CP,)
    cols = geometry(s).w.span_count()
    q = (Gc, NCH, SP, CP)                          # per pass, the same for every image
    compute = pe_work[:, :, None, :] * st.per_pe[None, None, :, None]
    ifm_words = np.broadcast_to((st.in_rows[:, None] * ch_in_cp[None, :] * cols)[None, None], q)
    spad_fill = np.broadcast_to(fs_c[:, None, None] * (ch_in_cp[None, :] * st.block_rows[:, None]
                                                        * cols)[None], q[1:])
    psum_words = np.broadcast_to((filt[:, None] * ((st.hi - st.lo) * s.F)[None, :])[None, :, :, None], q)
    tw = np.broadcast_to(ch_tw[:, :, None, :], q)
    # group passes: the gs groups of a pass run side by side on their own PEs; the pass takes the slowest
    # PE, and everything the groups receive or send over the GINs adds up
    gstart = np.arange(0, Gc, plan.gs)
    ng = np.minimum(plan.gs, Gc - gstart)
    GP = len(gstart)
    gsum = lambda x: np.add.reduceat(np.broadcast_to(x, q), gstart, axis=0)  # noqa: E731
    compute, tw, ifm_words, psum_words = (np.maximum.reduceat(np.broadcast_to(compute, q), gstart, axis=0),
                                          gsum(tw), gsum(ifm_words), gsum(psum_words))
    spad_fill = ng[:, None, None, None] * spad_fill[None]
    cyc = np.maximum(np.maximum(compute, -(-tw // c.filter_gin_words_per_cycle)),
                     np.maximum(-(-ifm_words // c.ifmap_gin_words_per_cycle),
                                -(-psum_words // c.psum_gin_words_per_cycle)))
    cycles = np.broadcast_to(cyc[:, :, None], (GP, NCH, N, SP, CP))

    # DRAM per pass: inputs at each strip's first channel pass (per chunk), outputs at its last
    in_bits, in_unc = fmap_bits(u.x_nz, st.dram, s.groups, u.raw_in, c.word_bits)     # (N, groups, SP)
    starts = np.array([g * s.Mg + f0 * plan.G for g in range(s.groups) for f0, _ in chunks])
    out_ch, out_unc_ch = fmap_bits(u.y_nz, np.stack([st.lo, st.hi], axis=1), s.groups, not c.rlc, c.word_bits,
                                   per_channel=True)                                  # (N, M, SP)
    out_bits = np.add.reduceat(out_ch, starts, axis=1).reshape(N, Gc, NCH, SP)
    load = np.zeros((Gc, NCH, N, SP, CP), dtype=np.int64)
    store = np.zeros((Gc, NCH, N, SP, CP), dtype=np.int64)
    load[..., 0] += in_bits.transpose(1, 0, 2)[:, None]
    if tables_resident:
        load.flat[0] += u.model_bits
        dram_tables = u.model_bits
    elif not table_order:
        load += ch_tb[:, :, None, None, :]
        load.flat[0] += u.value_bits
        dram_tables = int(ch_tb.sum()) * N * SP + u.value_bits
    else:              # each chunk's tables (all its channel passes) before its first pass
        load[:, :, 0, 0, 0] += ch_tb.sum(axis=2)
        load.flat[0] += u.value_bits
        dram_tables = u.model_bits
    store[..., CP - 1] = out_bits.transpose(1, 2, 0, 3)
    load, store = np.add.reduceat(load, gstart, axis=0), np.add.reduceat(store, gstart, axis=0)
    bw = c.dram_bw_bits_per_cycle
    est = int(np.maximum(cycles, np.ceil((load + store) / bw)).sum())
    return LoopOrder(cycles=cycles, load=load, store=store, tw=np.broadcast_to(tw[:, :, None], cycles.shape),
                     ifm_words=np.broadcast_to(ifm_words[:, :, None], cycles.shape),
                     spad_fill=np.broadcast_to(spad_fill[:, :, None], cycles.shape),
                     in_bits=in_bits, in_unc=in_unc, out_unc=out_unc_ch, dram_tables=dram_tables,
                     dram_bits=int(load.sum()) + int(store.sum()), cycles_estimate=est, strip_rows=h, chunks=NCH)


@dataclass(frozen=True)
class TablesSearch:
    """How the table order's search went: the lower bound of its DRAM bits, or infeasible."""

    lower_bound: int | None
    infeasible: bool | None  # None: not searched


def best_tables_order(c: UcnnConfig, plan: UcnnPlan, tables_resident: bool, u: UnitTables, best: int | None
                      ) -> tuple[LoopOrder | None, TablesSearch]:
    """The table order with the least DRAM traffic over its strip heights (None if infeasible).

    Heights: the strip order's down to the shortest that keeps its k output blocks, halving.  The GLB then
    holds that strip's input rows (and psums when there is more than one channel pass); the tables take the
    filter GLB plus the fmap GLB's rest, packed greedily into chunks of consecutive filter groups (a conv
    group's largest chunk counts).  A height is evaluated exactly only if its lower bound -- tables once +
    chunks x 64/3 bits per non-zero input (each non-zero input is one RLC pair; raw first layers: their raw
    bits) -- is below ``best`` (the strip order's DRAM bits in auto mode) and the best height found so far."""
    s, wb = plan.spec, c.word_bits
    words = c.glb_fmap_bytes * 8 // wb
    cols = geometry(s).w.span_count()
    rest = c.pes // plan.tpp
    h_min = plan.strip_rows if plan.k < rest else max(1, ceil_div(plan.k, s.F))
    heights, h = [], plan.strip_rows
    while h > h_min:
        heights.append(h)
        h = max(h_min, h // 2)
    heights.append(h_min)
    fg_bits = u.bits.sum(axis=2).max(axis=0)                      # (FG,) tables of a filter group
    cum = np.concatenate([[0], np.cumsum(fg_bits)])
    if u.raw_in:
        in_once = s.N * s.C * s.H * s.W * wb
    else:
        in_once = 64 * int(u.x_nz.sum()) // 3
    cands = []
    for h in heights:
        st = strips(plan, h)
        psums = s.Mg * int((st.hi - st.lo).max()) * s.F if plan.T > plan.tpp else 0
        need = s.Cg * int(st.in_rows.max()) * cols + psums
        cap = c.glb_filter_bytes * 8 + max(0, words - need) * wb
        if fg_bits.max(initial=0) > cap:
            continue
        chunks, f0 = [], 0
        while f0 < len(fg_bits):                                 # greedy: as many groups as fit
            f1 = int(np.searchsorted(cum, cum[f0] + cap, side="right")) - 1
            chunks.append((f0, f1))
            f0 = f1
        lb = u.model_bits + len(chunks) * in_once
        cands.append((lb, h, chunks))
    info = TablesSearch(lower_bound=min((x[0] for x in cands), default=None), infeasible=not cands)
    alt: LoopOrder | None = None
    for lb, h, chunks in sorted(cands, key=lambda x: (x[0], -x[1])):
        bounds = [v for v in (best, alt.dram_bits if alt else None) if v is not None]
        if bounds and lb >= min(bounds):
            continue                       # cannot beat what is already known
        o = run_order(c, plan, h, chunks, True, tables_resident, u)
        if alt is None or o.dram_bits < alt.dram_bits:
            alt = o
    return alt, info


def fmap_bits(codes: np.ndarray, rows: np.ndarray, groups: int, raw: bool, word_bits: int,
              per_channel: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(compressed, uncompressed) bits of fmap streams per (image, channel, row range), summed over
    each group's channels: (N, groups, len(rows)), or per channel (N, C, len(rows)).  ``codes`` may be
    the codes or their non-zero mask (RLC sizes depend only on where the zeros are)."""
    N, C, H, W = codes.shape
    cg = C // groups
    r = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
    unc, comp = row_stream_bits(codes, r, raw, word_bits)
    if per_channel:
        return comp, unc
    return comp.reshape(N, groups, cg, len(r)).sum(axis=2), unc.reshape(N, groups, cg, len(r)).sum(axis=2)


__all__ = ["LoopOrder", "Strips", "TablesSearch", "UnitTables", "best_tables_order", "fmap_bits", "run_order",
           "strips"]
