"""Eyeriss run-length coding (RLC) of feature maps in DRAM (Chen et al., JSSC 52(1) 2017, section IV-B, Fig. 8).

Eyeriss compresses every feature map it moves between DRAM and the global buffer (all but the first layer's
input; filters are not compressed).  This module gives the exact encoding, its decoder and its size.

Inputs: integer 16-bit codes or float arrays, quantized here; see :mod:`accelsim.compression`.

The format
----------
Stream
    One contiguous 1-D sequence of values in the order the hardware moves them.  The caller decides the
    segmentation (one stream per fmap, per channel, per plane...).  Every function here that takes
    ``values`` treats an N-D array as **one** stream in C order (``np.ravel(values, order="C")``);
    :func:`rlc_segment_size_bits` cuts a flattened array into many streams of ``seg_len`` values.
Pair
    A 5-bit *run* (0..31 zeros) followed by a 16-bit *level* (the next value, raw, two's complement).
    A pair (r, l) stands for r zeros then the value l: r + 1 values.
Runs longer than 31
    The 32nd zero in a row is emitted as the pair (31, 0): 31 zeros then a zero-valued level, 32 zeros in
    all; counting starts again after it.  So 32 zeros then 5 is (31, 0), (0, 5), and 70 zeros then 5 is
    (31, 0), (31, 0), (6, 5).  (The paper does not say how the hardware handles the overflow; this is the
    natural reading of its 5-bit run field and an assumption, REFERENCES.md section 1.3.)
Trailing zeros
    k > 0 zeros at the end of a stream (after the 32-zero groups above are emitted) become one last pair
    (k - 1, 0): k - 1 zeros then the zero level that closes the stream.  So an all-zero stream of 5 values
    is the single pair (4, 0); a stream ending in exactly 32 zeros ends with (31, 0) and nothing after it.
Words
    Pairs are packed 3 per 64-bit word, in stream order.  Pair slot i (i = 0, 1, 2) occupies bits
    [21*i, 21*i + 21) of the word: the run in its low 5 bits, the level as 16-bit two's complement in the
    next 16.  Bit 63 is the *last-word* flag, set only in the final word of a stream.  Unused slots of the
    final word are padding, all bits zero.  An empty stream has no words.
Size
    ``size_bits = 64 * ceil(pairs / 3)``; 0 for an empty stream.
Decoding
    :func:`rlc_decode` needs the element count ``n`` (the hardware knows a stream's length from the layer
    configuration): it stops after ``n`` values, which is what tells a padding slot (all zero, like the
    pair (0, 0)) from a real pair.  It raises :class:`~accelsim.errors.FormatError` for a stream shorter or
    longer than ``n``, a misplaced or missing last-word flag, non-zero padding or words after the last one.
    It accepts non-canonical zero levels such as (3, 0) in mid-stream (4 zeros), which the encoder never
    writes.

Bounds
------
For a stream of n >= 1 values of which ``nnz`` are non-zero and ``z = n - nnz`` are zero, every pair covers
1 to 32 values and every non-zero value ends exactly one pair, so the number of pairs P obeys::

    max(nnz, ceil(n / 32))  <=  P  <=  nnz + ceil(z / 32)  <=  n

- worst case, P = n: every pair has run 0, e.g. every value non-zero: ``64 * ceil(n / 3)`` bits, about 21.3
  bits per value, 1.33x the dense 16 bits per value;
- best case, P = ceil(n / 32): all zeros: ``64 * ceil(n / 96)`` bits, about 0.67 bits per value, 24x smaller
  than dense.

Golden case (the issue's example): ``0,0,12,0,0,0,0,53,0,0,22`` gives the pairs (2, 12), (4, 53), (2, 22):
one 64-bit word, 64 bits for 11 values (176 dense bits, ratio 2.75).
"""
from __future__ import annotations

import numpy as np

from accelsim.compression.codes import as_codes, check_positive_int
from accelsim.errors import FormatError
from accelsim.kernels.rlc import rlc_expand_pairs, rlc_fill_pairs, rlc_pairs_in, rlc_segment_bits

RUN_BITS = 5
LEVEL_BITS = 16
MAX_RUN = (1 << RUN_BITS) - 1  # 31
PAIR_BITS = RUN_BITS + LEVEL_BITS  # 21
PAIRS_PER_WORD = 3
WORD_BITS = 64
LAST_WORD_BIT = 63

_PAIR_MASK = (1 << PAIR_BITS) - 1
_LEVEL_MASK = (1 << LEVEL_BITS) - 1


def _stream(values: object, where: str) -> np.ndarray:
    codes = as_codes(values, where)
    if codes.ndim == 0:
        raise FormatError(f"{where}: expected an array of values, got a 0-d array (a scalar)")
    return np.ravel(codes, order="C")


def words_for_pairs(pairs: int) -> int:
    """Number of 64-bit words holding ``pairs`` (run, level) pairs: ceil(pairs / 3)."""
    return -(-int(pairs) // PAIRS_PER_WORD)


def rlc_pairs(values: object) -> np.ndarray:
    """The (run, level) pairs of one stream, in order.

    values : any shape (one stream in C order), integer codes or floats.
    Returns an (P, 2) int64 array whose rows are (run, level).
    """
    v = _stream(values, "rlc_pairs")
    p = int(rlc_pairs_in(v, 0, v.shape[0]))
    runs = np.empty(p, dtype=np.int64)
    levels = np.empty(p, dtype=np.int64)
    k = rlc_fill_pairs(v, runs, levels)
    assert k == p, (k, p)
    return np.stack([runs, levels], axis=1)


def rlc_size_bits(values: object) -> int:
    """Exact RLC size in bits of one stream: ``64 * ceil(pairs / 3)`` (0 if empty).

    values : any shape (one stream in C order), integer codes or floats.
    """
    v = _stream(values, "rlc_size_bits")
    return WORD_BITS * words_for_pairs(rlc_pairs_in(v, 0, v.shape[0]))


def rlc_segment_size_bits(values: object, seg_len: int) -> np.ndarray:
    """Exact RLC size in bits of each consecutive stream of ``seg_len`` values of ``values``.

    values : any shape, flattened in C order, integer codes or floats; seg_len : int >= 1.
    Returns (ceil(n / seg_len),) int64: segment s is ``values.ravel()[s*seg_len : (s+1)*seg_len]`` (the last
    one may be shorter); empty input gives an empty array.  E.g. an (N, C, H, W) fmap with
    ``seg_len = H * W`` gives one stream per (n, c) plane.  One numba pass over the data (>50 M values/s).
    """
    seg = check_positive_int(seg_len, "seg_len", "rlc_segment_size_bits")
    v = _stream(values, "rlc_segment_size_bits")
    out = np.empty(-(-v.shape[0] // seg), dtype=np.int64)
    rlc_segment_bits(v, seg, out)
    return out


def rlc_encode(values: object) -> np.ndarray:
    """Encode one stream into 64-bit words (layout in the module docstring).

    values : any shape (one stream in C order), integer codes or floats.
    Returns (ceil(pairs / 3),) uint64; empty for an empty stream.
    """
    pairs = rlc_pairs(values)
    p = pairs.shape[0]
    nw = words_for_pairs(p)
    if nw == 0:
        return np.zeros(0, dtype=np.uint64)
    slots = np.zeros(nw * PAIRS_PER_WORD, dtype=np.uint64)
    slots[:p] = (pairs[:, 0].astype(np.uint64)
                 | ((pairs[:, 1] & _LEVEL_MASK).astype(np.uint64) << np.uint64(RUN_BITS)))
    slots = slots.reshape(nw, PAIRS_PER_WORD)
    words = slots[:, 0] | (slots[:, 1] << np.uint64(PAIR_BITS)) | (slots[:, 2] << np.uint64(2 * PAIR_BITS))
    words[-1] |= np.uint64(1) << np.uint64(LAST_WORD_BIT)
    return words


def rlc_decode(words: object, n: int) -> np.ndarray:
    """Decode the words of one stream of ``n`` values back into int64 codes (the inverse of :func:`rlc_encode`).

    words : (W,) uint64 (any integer dtype is reinterpreted as 64-bit words); n : int >= 0.
    Returns (n,) int64.  Raises FormatError on any inconsistency (see the module docstring).
    """
    where = "rlc_decode"
    w = np.asarray(words)
    if w.dtype.kind not in "iu" or w.ndim != 1:
        raise FormatError(f"{where}: words must be a 1-D integer array, got dtype {w.dtype} and shape {w.shape}")
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or int(n) < 0:
        raise FormatError(f"{where}: n must be an integer >= 0, got {n!r}")
    n = int(n)
    w = w.astype(np.uint64)
    nw = w.shape[0]
    if n == 0:
        if nw:
            raise FormatError(f"{where}: {nw} word(s) given for an empty stream (an empty stream has no words)")
        return np.zeros(0, dtype=np.int64)
    if nw == 0:
        raise FormatError(f"{where}: no words given for a stream of {n} values")
    flags = (w >> np.uint64(LAST_WORD_BIT)) & np.uint64(1)
    if not flags[-1]:
        raise FormatError(f"{where}: the last word (word {nw - 1}) does not have its last-word bit set")
    early = np.flatnonzero(flags[:-1])
    if early.size:
        raise FormatError(f"{where}: word {int(early[0])} has the last-word bit set but {nw} words were given")
    shifts = np.array([0, PAIR_BITS, 2 * PAIR_BITS], dtype=np.uint64)
    fields = ((w[:, None] >> shifts[None, :]) & np.uint64(_PAIR_MASK)).astype(np.int64).ravel()
    runs = fields & MAX_RUN
    lv = (fields >> RUN_BITS) & _LEVEL_MASK
    levels = lv - (lv >> (LEVEL_BITS - 1)) * (1 << LEVEL_BITS)
    out = np.empty(n, dtype=np.int64)
    k = int(rlc_expand_pairs(runs, levels, n, out))
    if k == -1:
        raise FormatError(f"{where}: the words hold fewer than n = {n} values (truncated stream)")
    if k == -2:
        raise FormatError(f"{where}: the words hold more than n = {n} values")
    if k <= (nw - 1) * PAIRS_PER_WORD:
        raise FormatError(f"{where}: the stream of {n} values ends in word {(k - 1) // PAIRS_PER_WORD} "
                          f"but {nw} words were given")
    if np.any(fields[k:]):
        raise FormatError(f"{where}: the padding slots of the last word are not zero")
    return out
