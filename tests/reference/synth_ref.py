"""Slow, obviously correct versions of the float16 synthetic generator's kernels (accelsim/kernels/synth.py),
from the rules in their docstrings, in plain Python integers and floats.

* xoshiro256** as in Blackman and Vigna's reference C code (``next()``), with 64-bit wrap-around by masking;
* selection sampling (Knuth's Algorithm S): position taken when u * n_rem < k_rem or k_rem == n_rem,
  u = (draw >> 11) * 2^-53, one draw per position;
* alias draws: column = top ``bits`` bits, sign = the next bit, threshold compare on the low 32 bits.
"""
from __future__ import annotations

M64 = (1 << 64) - 1


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & M64


class Xoshiro256ss:
    def __init__(self, state):
        self.s = [int(x) for x in state]

    def next(self) -> int:
        s = self.s
        result = (_rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 45)
        return result


def select(state, n: int, k: int) -> list[int]:
    """Bit mask bytes (np.packbits order) of the k positions of n taken by Algorithm S."""
    g = Xoshiro256ss(state)
    bits = []
    n_rem, k_rem = n, k
    for _ in range(n):
        u = (g.next() >> 11) * 2.0 ** -53
        take = k_rem > 0 and (u * n_rem < k_rem or k_rem == n_rem)
        bits.append(1 if take else 0)
        k_rem -= 1 if take else 0
        n_rem -= 1
    assert k_rem == 0
    mask = []
    for j in range(0, n, 8):
        byte = 0
        for b, v in enumerate(bits[j:j + 8]):
            byte += v * 2 ** (7 - b)
        mask.append(byte)
    return mask


def draw(state, entries, bits: int, signed: bool, k: int) -> list[int]:
    """k float16 bit patterns from the alias table ``entries`` (threshold << 32 | alias << 16 | primary)."""
    g = Xoshiro256ss(state)
    out = []
    for _ in range(k):
        r = g.next()
        e = int(entries[r >> (64 - bits)])
        threshold, alias, primary = e >> 32, (e >> 16) & 0xFFFF, e & 0xFFFF
        v = primary if (r % 2 ** 32) < threshold else alias
        if signed and (r >> (63 - bits)) % 2 == 1:
            v += 0x8000
        out.append(v)
    return out
