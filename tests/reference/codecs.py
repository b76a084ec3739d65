"""Slow, obviously correct pure-Python versions of the codecs in ``accelsim.compression``.

Written from the rules in the codecs' docstrings, not from their code: plain loops over Python ints, no
numpy tricks and no numba.  The fast versions are tested against these.  Inputs are lists (or anything
iterable) of integer codes; nested lists for matrices and tensors.
"""
from __future__ import annotations

import math

MAX_RUN = 31


# ---------------------------------------------------------------- Eyeriss RLC
def rlc_pairs(values: list[int]) -> list[tuple[int, int]]:
    """(run, level) pairs of one stream.

    Written per group of zeros rather than as a state machine: a non-zero value preceded by z zeros
    costs z // 32 pairs (31, 0), each standing for 32 zeros, then the pair (z % 32, value); k trailing
    zeros cost k // 32 pairs (31, 0) and, if k % 32 > 0, a closing pair (k % 32 - 1, 0).
    """
    pairs: list[tuple[int, int]] = []
    zeros = 0
    for v in values:
        v = int(v)
        if v == 0:
            zeros += 1
            continue
        pairs.extend([(MAX_RUN, 0)] * (zeros // 32))
        pairs.append((zeros % 32, v))
        zeros = 0
    pairs.extend([(MAX_RUN, 0)] * (zeros // 32))
    if zeros % 32:
        pairs.append((zeros % 32 - 1, 0))
    return pairs


def rlc_size_bits(values: list[int]) -> int:
    """64 bits per word, 3 pairs per word."""
    return 64 * math.ceil(len(rlc_pairs(values)) / 3)


def rlc_segment_size_bits(values: list[int], seg_len: int) -> list[int]:
    values = list(values)
    return [rlc_size_bits(values[i:i + seg_len]) for i in range(0, len(values), seg_len)]


def rlc_encode(values: list[int]) -> list[int]:
    """Words as Python ints: slot i of a word at bits 21*i.., run low 5 bits, level 16-bit two's complement,
    bit 63 set on the last word, unused slots zero."""
    pairs = rlc_pairs(values)
    words = []
    for start in range(0, len(pairs), 3):
        word = 0
        for i, (run, level) in enumerate(pairs[start:start + 3]):
            level16 = level + 65536 if level < 0 else level
            word += (run + level16 * 32) * 2 ** (21 * i)
        if start + 3 >= len(pairs):
            word += 2 ** 63
        words.append(word)
    return words


def rlc_decode(words: list[int], n: int) -> list[int]:
    out: list[int] = []
    for word in words:
        for i in range(3):
            if len(out) == n:
                break
            field = (int(word) // 2 ** (21 * i)) % 2 ** 21
            run, level16 = field % 32, field // 32
            level = level16 - 65536 if level16 >= 32768 else level16
            out.extend([0] * run)
            out.append(level)
    return out


# ---------------------------------------------------------------- CSR
def csr_encode(matrix: list[list[int]]) -> tuple[list[int], list[int], list[int]]:
    values, cols, ptr = [], [], [0]
    for row in matrix:
        for j, v in enumerate(row):
            if v != 0:
                values.append(int(v))
                cols.append(j)
        ptr.append(len(values))
    return values, cols, ptr


def csr_size_bits(matrix: list[list[int]], value_bits: int = 16, index_bits: int | None = None,
                  ptr_bits: int | None = None) -> int:
    rows = len(matrix)
    cols = len(matrix[0]) if rows else 0
    nnz = sum(1 for row in matrix for v in row if v != 0)
    if index_bits is None:
        index_bits = 1  # smallest b >= 1 with 2**b >= cols
        while 2 ** index_bits < cols:
            index_bits += 1
    if ptr_bits is None:
        ptr_bits = 1  # smallest b >= 1 with 2**b >= nnz + 1
        while 2 ** ptr_bits < nnz + 1:
            ptr_bits += 1
    return nnz * value_bits + nnz * index_bits + (rows + 1) * ptr_bits


# ---------------------------------------------------------------- Cnvlutin ZFNAf
def zfnaf_bricks(x4: list) -> list[list[tuple[int, int]]]:
    """x4: nested lists (N, C, H, W).  Bricks in (n, b, y, x) order, each a list of (offset, value)."""
    n_, c_ = len(x4), len(x4[0])
    h_, w_ = len(x4[0][0]), len(x4[0][0][0])
    bricks = []
    for n in range(n_):
        for b in range((c_ + 15) // 16):
            for y in range(h_):
                for x in range(w_):
                    brick = []
                    for off in range(16):
                        c = 16 * b + off
                        if c < c_ and x4[n][c][y][x] != 0:
                            brick.append((off, int(x4[n][c][y][x])))
                    bricks.append(brick)
    return bricks


def zfnaf_size_bits(x4: list, layout: str) -> int:
    bricks = zfnaf_bricks(x4)
    if layout == "fixed":
        return len(bricks) * 16 * (16 + 4)
    return sum(len(b) * (16 + 4) + 5 for b in bricks)


# ---------------------------------------------------------------- entropy
def entropy_bits(values: list[int]) -> float:
    counts: dict[int, int] = {}
    for v in values:
        counts[int(v)] = counts.get(int(v), 0) + 1
    n = len(values)
    return sum(-k * math.log2(k / n) for k in counts.values())
