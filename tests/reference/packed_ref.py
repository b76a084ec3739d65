"""Slow, obviously correct packed-member encoding (accelsim/trace/packed.py), from its docstring's rule:
position i is bit (7 - i % 8) of byte i // 8; the values are the non-zeros in order.  Plain loops over
Python lists, no numpy tricks."""
from __future__ import annotations


def pack(flat: list[float]) -> tuple[list[int], list[float]]:
    n = len(flat)
    mask = [0] * ((n + 7) // 8)
    values = []
    for i, v in enumerate(flat):
        if v != 0:
            mask[i // 8] += 2 ** (7 - i % 8)
            values.append(v)
    return mask, values


def unpack(mask: list[int], values: list[float], n: int) -> list[float]:
    out = []
    nxt = 0
    for i in range(n):
        if (mask[i // 8] // 2 ** (7 - i % 8)) % 2 == 1:
            out.append(values[nxt])
            nxt += 1
        else:
            out.append(0.0)
    assert nxt == len(values)
    return out
