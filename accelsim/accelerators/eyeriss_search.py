"""Search for the energy-optimal row-stationary mapping of a layer (Eyeriss v1), data-independent.

(Over ~400 lines on purpose: the closed-form cost of every candidate and the branch and bound over loop
orders must agree term by term with eyeriss.py's counts; split, they drift.)

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
  The energy adds ``static_per_cycle`` x processing cycles (nn_dataflow's static cost, idl_unit x time;
  the Eyeriss model sets it from ``mapping_idle_pes``: leakage plus a clock-gated PE per PE), so the
  search no longer leaves PEs idle for free to save a few percent of data movement (without it, AlexNet
  CONV1 ran one 11x11 set instead of two 11x7).
* Method: all candidates' on-chip energy and cycles at once (numpy); then branch and bound over loop
  orders in order of a lower bound (every tensor read from DRAM once).  If no candidate fits the buffer,
  the fixed rule's mapping is used, and if that does not fit either the layer is a ConfigError.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from accelsim.accelerators.eyeriss_mapping import ArrayShape, RsMapping, _check, _shape, _with, map_layer
from accelsim.errors import ConfigError
from accelsim.geometry import geometry
from accelsim.trace.format import LayerSpec

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
    static_per_cycle: float = 0.0  # cost of one processing cycle (idle PEs, leakage): nn_dataflow's idl_unit


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
    dram = int(np.diff(m0.dram_row_ranges(), axis=1).sum())
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
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("w", "u", "t", "r", "p", "q", "gs", "nb", "stat", "spc")}
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
            tk, rk, pk, qk, gk = _group_variants(spec, a, sets // u, ti[keep], ri[keep], pi[keep], qi[keep])
            n = len(tk)
            for name, v in (("t", tk), ("r", rk), ("p", pk), ("q", qk), ("gs", gk)):
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


def _group_variants(spec: LayerSpec, a: ArrayShape, free: int, t: np.ndarray, r: np.ndarray, p: np.ndarray,
                    q: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each (t, r, p, q) candidate with the groups it may run side by side (``gs``): 1, and with
    group_mapping spread also as many as the idle sets allow (free // (t r)), a half and a quarter of that
    (balanced: the fewest groups giving the same number of group passes), so a tight buffer can still take
    some side by side."""
    G = spec.groups
    one = np.ones(len(t), dtype=np.int64)
    if not a.spread_groups or G == 1:
        return t, r, p, q, one
    cap = np.maximum(1, free // (t * r))
    out = [(t, r, p, q, one)]
    prev = one
    for i in range(3):
        c = np.minimum(G, np.maximum(1, cap >> i))
        gs = _ceil(G, _ceil(G, c))
        new = (gs != one) & (gs != prev)
        out.append((t[new], r[new], p[new], q[new], gs[new]))
        prev = gs
    return tuple(np.concatenate([o[j] for o in out]) for j in range(5))


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
    gs = x["gs"]  # groups side by side: every GLB tile holds gs groups' data
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
                    * np.where(whole, spec.H, x["max_rin"]) * geometry(spec).w.span_count() * (2 if h == 4 else 1))
            words = (spec.N * spec.C * spec.W * np.where(whole, spec.H, x["sum_dram"])
                     * (1 if "F" in inner else FP))
            ftile = (Mg if "F" in inner else pt) * (Cg if "C" in inner else qr) * R * S
            fwords = (spec.groups * Mg * Cg * R * S * (1 if "I" in inner else IB)
                      * np.where("S" in inner, 1, SP))
            memo[key] = (tile, words.astype(float),
                         np.where(gs * ftile <= a.glb_filter_words, fwords, np.inf))
        tile, words, fwords = memo[key]
        d_in = np.where(gs * (tile + psum) <= a.glb_fmap_words, np.minimum(d_in, words), d_in)
        d_w = np.minimum(d_w, fwords)
    if w_all <= a.glb_filter_words:
        d_w = np.full(len(pt), float(w_all))
    chunk_ok = gs * pt * qr * R * S <= a.glb_filter_words
    return d_in + d_w, chunk_ok


def _onchip(spec: LayerSpec, a: ArrayShape, c: SearchCost, x: dict[str, np.ndarray]
            ) -> tuple[np.ndarray, np.ndarray, float]:
    """Energy of everything but the DRAM reads and their GLB writes, dense processing cycles, and the
    energy per DRAM-read word (DRAM bits + GLB write), per candidate (closed forms: module docstring)."""
    G, N, Mg, Cg, R, S, E, F = spec.groups, spec.N, spec.Mg, spec.Cg, spec.R, spec.S, spec.E, spec.F
    t, r, p, q, nb = x["t"], x["r"], x["p"], x["q"], x["nb"]
    cols = geometry(spec).w.span_count()
    wfill = geometry(spec).w.window_fill()
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
    # cycles: passes fall into classes (full / last filter pass, full / last channel pass, strip classes,
    # full / last group pass: the gs groups of a group pass run side by side, multiplying its traffic)
    igin, fgin, pgin = c.gins
    gs = x["gs"]
    GP = _ceil(G, gs)
    ps_l = Mg - (FP - 1) * t * p
    qs_l = Cg - (CP - 1) * r * q
    fcls = ((t * p, p, FP - 1), (ps_l, np.minimum(p, ps_l), 1))
    ccls = ((r * q, q, CP - 1), (qs_l, np.minimum(q, qs_l), 1))
    spc = x["sp_classes"]
    cycles = np.zeros(len(t), dtype=np.int64)
    for ng, count in ((gs, GP - 1), (G - (GP - 1) * gs, 1)):
        fill = np.zeros(len(t), dtype=np.int64)
        per = np.zeros(len(t), dtype=np.int64)
        for ps, pm, nf in fcls:
            for qs, qm, nc in ccls:
                n = nf * nc
                fill += n * _ceil(ng * ps * qs * R * S, fgin)
                comp = F * S * pm * qm
                for k in range(spc.shape[1]):
                    rin, rout, ns = spc[:, k, 0], spc[:, k, 1], spc[:, k, 2]
                    per += n * ns * np.maximum(np.maximum(comp, _ceil(ng * qs * rin * cols, igin)),
                                               _ceil(ng * ps * rout * F, pgin))
        cycles += count * (IB * x["SP"] * fill + N * per)
    e = e + cycles * c.static_per_cycle  # time is priced: an idle PE costs its static energy
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
    if len(feasible) == 0:  # nothing fits the global buffer: the fixed rule's mapping (or its ConfigError)
        return map_layer(spec, a)
    i = _pick(c, energy, cycles, feasible)
    return _build(spec, a, {k: v[i:i + 1] for k, v in x.items()}, ORDERS[int(order_of[i])])


def _build(spec: LayerSpec, a: ArrayShape, x: dict[str, np.ndarray], order: str) -> RsMapping:
    """The RsMapping of one candidate under ``order``: the smallest tiles that reach its least traffic."""
    w, u, t, r, p, q, nb, gs = (int(x[k][0]) for k in ("w", "u", "t", "r", "p", "q", "nb", "gs"))
    strips, split, sets = _shape(spec, a, w)
    m = RsMapping(spec, w, strips, split, sets, t, r, u, p, q, nb, True, False, order=order, gs=gs)
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
    x = {k: np.array([v]) for k, v in (("p", m.p), ("q", m.q), ("t", m.t), ("r", m.r), ("nb", m.nb),
                                       ("gs", m.gs))}
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
            * (spec.H if whole else int(x["max_rin"][0])) * geometry(spec).w.span_count() * (2 if h == 4 else 1))
    words_in = spec.N * spec.C * spec.W * (spec.H if whole else int(x["sum_dram"][0])) * (1 if "F" in inner else FP)
    ftile = (Mg if "F" in inner else pt) * (Cg if "C" in inner else qr) * R * S
    fwords = spec.groups * Mg * Cg * R * S * (1 if "I" in inner else IB) * (1 if "S" in inner else SP)
    gs = int(x["gs"][0])
    if spec.M * Cg * R * S <= a.glb_filter_words:
        fwords = spec.M * Cg * R * S
        ftile = 0
    return (float(words_in) if gs * (tile + psum) <= a.glb_fmap_words else np.inf,
            float(fwords) if gs * ftile <= a.glb_filter_words else np.inf)


def mapping_cost(m: RsMapping, a: ArrayShape, c: SearchCost) -> tuple[float, int]:
    """(dense energy, dense processing cycles) of mapping m under the search's cost model; the energy
    includes the DRAM words of m's own loop order and tiles (whether or not they fit)."""
    spec = m.spec
    x = {k: np.array([v], dtype=np.int64) for k, v in (("w", m.width), ("u", m.u), ("t", m.t), ("r", m.r),
                                                       ("p", m.p), ("q", m.q), ("nb", m.nb), ("gs", m.gs))}
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
    rows = s.H if m.ifmap_whole_rows else int(np.diff(m.dram_row_ranges(), axis=1).sum())
    iw = s.N * s.C * s.W * rows * (1 if "F" in inner else m.filter_passes)
    return fw + iw



__all__ = ["LOOPS", "OBJECTIVES", "ORDERS", "SearchCost", "mapping_cost", "search_layer"]
