"""Slow reference for Eyeriss's DRAM traffic (uncompressed words), by walking the passes with explicit GLB
residency.  Written from the documented meaning of a mapping (eyeriss_mapping.py module docstring, the
Eyeriss module docstring's DRAM bullet); it does not call the model's counting code (``place_tiles``,
``_ifmap_bits``, ``RsMapping``'s derived block properties or ``accelsim.geometry``).

It reads from the mapping only its chosen numbers: width, strips, split, t, r, u, p, q, nb, gs, order,
ifmap/filter hold levels and filters_resident.  Everything else is recomputed here:

* passes: group pass outermost, then the four loops I (image blocks of nb), S (strip passes of u strips;
  one when the logical set is split), F (filter passes of t*p filters), C (channel passes of r*q channels)
  nested in ``order``;
* a GLB tile of a tensor is identified by the indices of the group pass and of the loops outside its hold
  level; whenever the tile changes the buffer is refilled from DRAM with the *set* of data items the passes
  of the new tile need (a Python set: an item is fetched once per tile, however many passes use it);
* filters: items (group, filter, channel), R*S words each; when the whole layer's filters fit the filter
  GLB (filters_resident) they are fetched once and stay;
* ifmaps: items (image, channel, input row), W words each.  A strip pass needs input rows
  [o_lo*stride - pad_top, (o_hi-1)*stride + (R-1)*dilation + 1 - pad_top) clipped to the real rows; the DRAM
  link reads whole row ranges, so the first strip pass's range starts at row 0 and each range extends
  down to the next strip pass's first row (the last one to the bottom);
* psums: the psums of a (group pass, image block, strip pass, filter pass) block stay in the GLB from its
  first channel pass to its last (never spilled, ``psum_spills`` = 0); when a block's last channel pass
  ends its ofmap values are written to DRAM once.
"""
from __future__ import annotations

from itertools import product


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def _rng(i: int, size: int, total: int) -> range:
    return range(i * size, min((i + 1) * size, total))


def reference_dram_words(spec, m) -> dict[str, int]:
    """Uncompressed DRAM words per tensor kind {'weights', 'ifmaps', 'ofmaps', 'psum_spills'}."""
    G, Cg, Mg, N = spec.groups, spec.C // spec.groups, spec.M // spec.groups, spec.N
    H, W, R, S = spec.H, spec.W, spec.R, spec.S
    sh, dh = spec.stride_h, spec.dilation_h
    E = (H + spec.pad_top + spec.pad_bottom - (R - 1) * dh - 1) // sh + 1
    F = (W + spec.pad_left + spec.pad_right - (S - 1) * spec.dilation_w - 1) // spec.stride_w + 1
    trips = {"I": _cdiv(N, m.nb), "S": 1 if m.split else _cdiv(m.strips, m.u),
             "F": _cdiv(_cdiv(Mg, m.p), m.t), "C": _cdiv(_cdiv(Cg, m.q), m.r)}
    GP = _cdiv(G, m.gs)

    def out_rows(sp: int) -> range:
        if m.split:
            return range(0, E)
        k0 = sp * m.u
        k1 = min(k0 + m.u, m.strips)
        return range(k0 * m.width, min(k1 * m.width, E))

    def needed_lo_hi(sp: int) -> tuple[int, int]:
        o = out_rows(sp)
        lo = min(H, max(0, o.start * sh - spec.pad_top))
        hi = min(H, (o.stop - 1) * sh + (R - 1) * dh + 1 - spec.pad_top)
        return lo, max(lo, hi)

    def dram_rows(sp: int) -> range:
        lo, hi = needed_lo_hi(sp)
        if sp == 0:
            lo = 0
        nxt = needed_lo_hi(sp + 1)[0] if sp + 1 < trips["S"] else H
        return range(lo, max(hi, nxt))

    def groups(gp: int) -> range:
        return _rng(gp, m.gs, G)

    def ifmap_items(ps: dict) -> set:
        return {(n, g * Cg + c, h) for g in groups(ps["G"]) for n in _rng(ps["I"], m.nb, N)
                for c in _rng(ps["C"], m.q * m.r, Cg) for h in dram_rows(ps["S"])}

    def filter_items(ps: dict) -> set:
        return {(g, f, c) for g in groups(ps["G"]) for f in _rng(ps["F"], m.p * m.t, Mg)
                for c in _rng(ps["C"], m.q * m.r, Cg)}

    passes = []  # in execution order
    for gp in range(GP):
        for idx in product(*(range(trips[x]) for x in m.order)):
            ps = dict(zip(m.order, idx))
            ps["G"] = gp
            passes.append(ps)

    def walk(hold: int, items) -> int:
        words_fetched = 0
        tiles: dict[tuple, set] = {}
        keys: list[tuple] = []
        for ps in passes:
            key = (ps["G"],) + tuple(ps[x] for x in m.order[:hold])
            if key not in tiles:
                tiles[key] = set()
                keys.append(key)
            elif keys[-1] != key:
                raise AssertionError("a GLB tile's passes are not contiguous")
            tiles[key] |= items(ps)
        for key in keys:  # each tile is one refill of the buffer
            words_fetched += len(tiles[key])
        return words_fetched

    if m.filters_resident:
        weights = G * Mg * Cg * R * S  # the whole layer's filters, fetched once, resident throughout
    else:
        weights = walk(m.filter_hold, filter_items) * R * S
    ifmaps = walk(m.ifmap_level, ifmap_items) * W

    # psums: live from a block's first channel pass to its last; its ofmaps are written then
    ofmaps = 0
    done: dict[tuple, int] = {}
    for ps in passes:
        blk = (ps["G"], ps["I"], ps["S"], ps["F"])
        done[blk] = done.get(blk, 0) + 1
        if done[blk] == trips["C"]:
            ofmaps += (len(groups(ps["G"])) * len(_rng(ps["I"], m.nb, N)) * len(_rng(ps["F"], m.p * m.t, Mg))
                       * len(out_rows(ps["S"])) * F)
    return {"weights": weights, "ifmaps": ifmaps, "ofmaps": ofmaps, "psum_spills": 0}
