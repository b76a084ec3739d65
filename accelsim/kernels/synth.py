"""Kernels of the streaming synthetic-trace generator (accelsim/trace/synth_stream.py): random non-zero
positions straight into a packed bit mask, float16 values from an alias table, and a dense expansion.

Random numbers come from xoshiro256** (Blackman and Vigna 2018; 256 bits of state, period 2^256 - 1),
written out here so that a seed gives the same stream on every platform and numba version.  The state
is a uint64 array of 4 words, advanced in place; every kernel consumes exactly the draws its docstring
says, so a tensor drawn in chunks of any size is the same tensor.

* :func:`select_bits`: selection sampling (Knuth's Algorithm S): position i of the n_rem remaining is
  taken when ``u * n_rem < k_rem`` for one uniform u = (draw >> 11) * 2^-53, or when k_rem == n_rem;
  so exactly k of n positions are taken, each k-subset with equal probability (up to the 2^-53
  resolution of u).  One draw per position.
* :func:`draw_values`: one draw per value: its top ``b`` bits pick a column of a 2^b-column alias
  table, the next bit is the sign (``signed`` tables only), its low 32 bits are compared with the
  column's threshold: below it the column's own float16, else its alias's.
"""
from __future__ import annotations

import numpy as np

from accelsim.kernels._jit import jit


@jit
def xoshiro_next(s0, s1, s2, s3):
    """One xoshiro256** draw: result = rotl(s1 * 5, 7) * 9, then the state update.  Returns
    (draw, s0, s1, s2, s3) with the new state (scalars in registers: the callers' loops keep it there)."""
    x = s1 * np.uint64(5)
    r = ((x << np.uint64(7)) | (x >> np.uint64(57))) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << np.uint64(45)) | (s3 >> np.uint64(19))
    return r, s0, s1, s2, s3


@jit
def select_bits(state, counts, mask, nbits):
    """Take the next ``nbits`` positions: mask[j] bit (7 - b) is position 8 j + b (np.packbits order),
    padding bits of a last partial byte clear.  ``counts`` = [n_rem, k_rem] (int64), updated in place;
    ``state`` (uint64[4]) advanced by exactly ``nbits`` draws."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    n_rem = counts[0]
    k_rem = counts[1]
    scale = 1.0 / 9007199254740992.0  # 2^-53
    nbytes = (nbits + 7) // 8
    for j in range(nbytes):
        byte = 0
        top = min(8, nbits - 8 * j)
        for b in range(top):
            r, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
            # u * n_rem < k_rem  <=>  floor(u * n_rem) < k_rem (k_rem an integer): the product does not
            # depend on k_rem, so the loop-carried chain is two integer operations
            q = np.int64(np.float64(np.int64(r >> np.uint64(11))) * scale * np.float64(n_rem))
            take = 1 if (q < k_rem) or k_rem == n_rem else 0
            byte |= take << (7 - b)
            k_rem -= take
            n_rem -= 1
        mask[j] = byte
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    counts[0] = n_rem
    counts[1] = k_rem


@jit
def draw_values(state, entries, bits, signed, out):
    """Fill ``out`` (uint16 float16 bit patterns) with draws from the alias table ``entries`` (uint64,
    2^bits columns: threshold << 32 | alias << 16 | primary); ``state`` advanced by exactly ``out.size``
    draws.  A draw's top ``bits`` bits pick the column, the next bit is the sign (``signed`` only), its
    low 32 bits are compared with the threshold: below it the primary, else the alias."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    col_shift = np.uint64(64 - bits)
    sign_shift = np.uint64(63 - bits)
    low = np.uint64(0xFFFFFFFF)
    for i in range(out.shape[0]):
        r, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
        e = entries[r >> col_shift]
        v = (e >> np.uint64(16)) if (r & low) >= (e >> np.uint64(32)) else e
        v = v & np.uint64(0xFFFF)
        if signed:
            v |= ((r >> sign_shift) & np.uint64(1)) << np.uint64(15)
        out[i] = np.uint16(v)
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3


@jit
def expand_half(mask, values, out):
    """Dense float16 bit patterns: out[i] = next value where mask bit i is set, else 0 (+0.0).
    Returns the number of values used."""
    n = out.shape[0]
    k = 0
    for i in range(n):
        if (mask[i >> 3] >> (7 - (i & 7))) & 1:
            out[i] = values[k]
            k += 1
        else:
            out[i] = np.uint16(0)
    return k
