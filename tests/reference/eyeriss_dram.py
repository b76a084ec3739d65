"""Slow reference for Eyeriss's DRAM traffic, by walking the passes with explicit GLB residency:
uncompressed words (:func:`reference_dram_words`), bits with RLC-compressed fmaps
(:func:`reference_dram_bits`, stream sizes counted here from the run/level definition) and folded layers
(:func:`reference_folded_dram_bits`, parts derived here from the fold's definition).

Written from the documented meaning of a mapping (eyeriss_mapping.py module docstring, the Eyeriss module
docstring's DRAM and RLC paragraphs, eyeriss_fold.py's docstring); it does not call the model's counting
code (``place_tiles``, ``_ifmap_bits``, ``RsMapping``'s derived block properties, ``accelsim.geometry``,
``eyeriss_fold``) nor any RLC code of accelsim.

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

import numpy as np


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def _rng(i: int, size: int, total: int) -> range:
    return range(i * size, min((i + 1) * size, total))


def reference_dram_words(spec, m) -> dict[str, int]:
    """Uncompressed DRAM words per tensor kind {'weights', 'ifmaps', 'ofmaps', 'psum_spills'}."""
    words, _, _ = _walk_layer(spec, m)
    return words


def _walk_layer(spec, m):
    """(words per tensor kind, ifmap GLB tiles as item sets, ofmap blocks written as (groups, images,
    filters, out rows)) of one unfolded layer."""
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
        tile_sets.append([])
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
            tile_sets[-1].append(tiles[key])
        return words_fetched

    tile_sets: list[list[set]] = []
    if m.filters_resident:
        weights = G * Mg * Cg * R * S  # the whole layer's filters, fetched once, resident throughout
    else:
        weights = walk(m.filter_hold, filter_items) * R * S
    ifmaps = walk(m.ifmap_level, ifmap_items) * W

    # psums: live from a block's first channel pass to its last; its ofmaps are written then
    ofmaps = 0
    written = []
    done: dict[tuple, int] = {}
    for ps in passes:
        blk = (ps["G"], ps["I"], ps["S"], ps["F"])
        done[blk] = done.get(blk, 0) + 1
        if done[blk] == trips["C"]:
            written.append((groups(ps["G"]), _rng(ps["I"], m.nb, N), _rng(ps["F"], m.p * m.t, Mg), out_rows(ps["S"])))
            ofmaps += (len(groups(ps["G"])) * len(_rng(ps["I"], m.nb, N)) * len(_rng(ps["F"], m.p * m.t, Mg))
                       * len(out_rows(ps["S"])) * F)
    words = {"weights": weights, "ifmaps": ifmaps, "ofmaps": ofmaps, "psum_spills": 0}
    return words, tile_sets[-1], written


# ---- RLC-compressed fmaps (JSSC 2017 IV-B, Fig. 8) -----------------------------------------------------
RUN_BITS, LEVEL_BITS, PAIRS_PER_WORD, RLC_WORD_BITS = 5, 16, 3, 64   # the published widths: 5-bit run,
MAX_RUN = (1 << RUN_BITS) - 1                                          # 16-bit level, 3 pairs per 64-bit word


def rlc_stream_bits(values) -> int:
    """Bits of one RLC stream, counted from the definition: each non-zero value closes a (run, level) pair
    with the zeros before it; a run cannot exceed 31 zeros, so the 32nd zero in a row is sent as the level
    of a (31, 0) pair; zeros left at the end close one last (k - 1, 0) pair; 3 pairs per 64-bit word."""
    pairs = run = 0
    for v in values:
        if v != 0:
            pairs += 1
            run = 0
        else:
            run += 1
            if run == MAX_RUN + 1:
                pairs += 1
                run = 0
    pairs += run > 0
    return RLC_WORD_BITS * _cdiv(pairs, PAIRS_PER_WORD)


def reference_dram_bits(spec, m, x, y, *, word_bits: int, rlc: bool, raw_input: bool) -> dict[str, int]:
    """DRAM bits per tensor kind of an unfolded layer with fmaps RLC-compressed (``rlc``; the input raw
    when ``raw_input``).  ``x`` (N, C, H, W) and ``y`` (N, M, E, F) are the fmaps' values (zero = code 0).

    Streams (the Eyeriss module docstring): the ifmap rows one GLB refill brings of one (image, channel)
    are one stream (a refill holds one strip pass's rows or, when the tile spans every strip pass, the
    whole plane); for 1x1 fmaps (FC) one stream per (image, channels of one channel pass) of the refill.
    The ofmap values one block writes are one stream per (image, filter) of its ofmap rows; for 1x1 fmaps
    one per (image, filters of the block's filter pass).  Filters and psums move uncompressed."""
    words, tiles, written = _walk_layer(spec, m)
    out = {"weights": words["weights"] * word_bits, "psum_spills": 0}
    Cg, Mg = spec.C // spec.groups, spec.M // spec.groups

    def size(vals) -> int:
        vals = [float(v) for v in vals]
        return rlc_stream_bits(vals) if rlc else len(vals) * word_bits

    flat_in = spec.H * spec.W == 1
    ifm = 0
    for items in tiles:
        streams: dict[tuple, list] = {}
        for (n, ch, h) in items:
            key = (n, ch // Cg, (ch % Cg) // (m.q * m.r)) if flat_in else (n, ch)
            streams.setdefault(key, []).append((ch, h))
        for key, rows in streams.items():
            rows.sort()
            n = key[0]
            if flat_in:
                vals = [x[n, ch, 0, 0] for ch, _ in rows]
            else:
                hs = [h for _, h in rows]
                assert hs == list(range(hs[0], hs[-1] + 1)), "a refill's rows of a channel are not contiguous"
                vals = x[n, key[1], hs[0]:hs[-1] + 1, :].ravel()
            ifm += len(vals) * word_bits if raw_input else size(vals)
    out["ifmaps"] = ifm
    ofm = 0
    flat_out = y.shape[2] * y.shape[3] == 1
    for gs, ns, fs, rows in written:
        for g in gs:
            for n in ns:
                if flat_out:
                    ofm += size(y[n, g * Mg + fs.start:g * Mg + fs.stop, 0, 0])
                else:
                    for f in fs:
                        ofm += size(y[n, g * Mg + f, rows.start:rows.stop, :].ravel())
    out["ofmaps"] = ofm
    return out


# ---- folded layers (filters taller or wider than the array's 12 rows / the 12-word ifmap spad) -----------
def fold_chunks(kernel: int, limit: int) -> list[tuple[int, int]]:
    """Filter taps [k0, k1) of each part along one axis: ceil(kernel / limit) consecutive chunks of at most
    ceil(kernel / parts) taps."""
    parts = _cdiv(kernel, limit)
    size = _cdiv(kernel, parts)
    return [(k, min(kernel, k + size)) for k in range(0, kernel, size)]


def _window(k0, k1, n_in, n_out, stride, dil, pad_lo):
    """The real input positions [a, b) taps [k0, k1) read for n_out outputs, the part's padding, and the
    window's padded span.  a == b: the part reads only padding (its span lies wholly in the layer's padding)."""
    first = k0 * dil - pad_lo                      # input position (may be negative: padding) of tap k0
    span = (n_out - 1) * stride + (k1 - k0 - 1) * dil + 1
    a, b = max(0, first), min(n_in, first + span)
    if b <= a:
        return a, a, None, None, span
    return a, b, a - first, first + span - b, span


def reference_folded_dram_bits(spec, plan, x, y, *, word_bits: int, rlc: bool, raw_input: bool,
                               rows: int = 12, spad: int = 12) -> dict[str, int]:
    """DRAM bits of a folded layer: the parts (i, j) of filter rows x columns run in turn, each an ordinary
    layer reading its input window and its filter slice; between parts the N*M*E*F psums go to DRAM and
    come back uncompressed (psum_spills); only the last part writes the ofmap.  The parts' mappings are
    the plan's; their layer shapes are derived here and checked against the plan's.

    A part whose window on an axis lies wholly in the layer's padding has no real input there: it stands one
    zero position in for it (eyeriss_fold.py's docstring), the rest of its span padding.  Where in the span
    that position sits is the plan's (checked only to be inside the span); the part's DRAM bits are then
    counted here like any other part's, on an all-zero input."""
    from accelsim.trace import LayerSpec
    E, F = y.shape[2], y.shape[3]
    parts = [(rc, cc) for rc in fold_chunks(spec.R, rows) for cc in fold_chunks(spec.S, spad)]
    assert len(parts) == len(plan.parts), (len(parts), len(plan.parts))
    total = {"weights": 0, "ifmaps": 0, "ofmaps": 0, "psum_spills": 0}
    pads = lambda t: (t.pad_top, t.pad_bottom, t.pad_left, t.pad_right)  # noqa: E731
    for i, ((r0, r1), (s0, s1)) in enumerate(parts):
        mine = plan.parts[i].mapping
        got = mine.spec
        a, b, pt, pb, hspan = _window(r0, r1, spec.H, E, spec.stride_h, spec.dilation_h, spec.pad_top)
        c, d, pl, pr, wspan = _window(s0, s1, spec.W, F, spec.stride_w, spec.dilation_w, spec.pad_left)
        xs = x[:, :, a:b, c:d]
        if pt is None or pl is None:               # only padding on an axis: one zero position stands in
            if pt is None:
                assert got.H == 1 and got.pad_top + got.pad_bottom == hspan - 1, (i, got, hspan)
                b, pt, pb = a + 1, got.pad_top, got.pad_bottom
            if pl is None:
                assert got.W == 1 and got.pad_left + got.pad_right == wspan - 1, (i, got, wspan)
                d, pl, pr = c + 1, got.pad_left, got.pad_right
            xs = np.zeros((x.shape[0], x.shape[1], b - a, d - c), x.dtype)
        sub = LayerSpec("part", "conv", spec.N, spec.C, b - a, d - c, spec.M, r1 - r0, s1 - s0,
                        groups=spec.groups, stride=(spec.stride_h, spec.stride_w),
                        dilation=(spec.dilation_h, spec.dilation_w), padding=(pt, pb, pl, pr))
        assert (got.H, got.W, got.R, got.S, pads(got), got.E, got.F) == (
            sub.H, sub.W, sub.R, sub.S, pads(sub), E, F), (i, got, sub)
        bits = reference_dram_bits(sub, mine, xs, y, word_bits=word_bits, rlc=rlc, raw_input=raw_input)
        total["weights"] += bits["weights"]
        total["ifmaps"] += bits["ifmaps"]
        if i == len(parts) - 1:
            total["ofmaps"] += bits["ofmaps"]
    total["psum_spills"] = 2 * (len(parts) - 1) * spec.N * spec.M * E * F * word_bits
    return total
