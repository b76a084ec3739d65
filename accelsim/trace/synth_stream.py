"""The float16 synthetic generator (``synth_plan(..., values="float16")``): each tensor drawn straight into
the packed form (bit mask of its non-zeros + their float16 values), in chunks, by numba kernels
(:mod:`accelsim.kernels.synth`), so a layer of a billion values is drawn and written in bounded memory
at a few ns per value (the float32 generator of :mod:`accelsim.trace.synth` needs about 40).

Statistics (the same as the float32 generator's, see :mod:`accelsim.trace.synth`):

* a tensor of n values at density d has exactly ``k = exact_count(d, n)`` non-zeros, every k-subset of
  positions equally likely (selection sampling, one draw per position; none when k is 0 or n);
* each non-zero is ``sign * h`` where h is the float16 nearest to ``clip(|z|, MAG_MIN, MAG_MAX) * std``
  for z ~ N(0, 1) (weights: He's std; inputs: 1), drawn from the exact distribution of that float16:
  an alias table whose probabilities are normal-CDF differences between the midpoints of consecutive
  float16 values, rounded to multiples of 2^-63; the sign is + for a non-negative tensor and a fair
  coin otherwise.  (The float32 generator rounds in float32 first; the two distributions differ by
  at most the float32 rounding of the product, 2^-24 of a value.)

Random streams: xoshiro256** seeded by ``SeedSequence([seed, layer index in the network, tensor stream,
part])`` (part 1: positions, 2: values), so a layer's tensors do not depend on which other layers are
drawn, and a value does not depend on the positions.  They are not the float32 generator's streams:
a float16 trace and a float32 trace of one seed have the same shapes and densities, not the same
positions.  Same seed, same tensors, however the tensor is chunked.
"""
from __future__ import annotations

import functools
import math
import zipfile
from typing import Iterator

import numpy as np

from accelsim.errors import ConfigError

MAG_MAX = 4.0                      # magnitudes are clipped to MAG_MAX standard deviations ...
MAG_MIN = MAG_MAX * 2.0 ** -8      # ... and to at least 2^-8 of that, so no value quantizes to zero
CHUNK = 1 << 22            # positions per kernel call (a multiple of 8): 512 KiB of mask, 8 MiB of values
POSITIONS, VALUES = 1, 2   # the ``part`` of a tensor's seed


def stream_state(seed: int, index: int, stream: int, part: int) -> np.ndarray:
    """The 256-bit xoshiro256** state (uint64[4]) of one part of one tensor."""
    st = np.random.SeedSequence([int(seed), int(index), int(stream), int(part)]).generate_state(4, np.uint64)
    if not st.any():  # the one state xoshiro cannot leave (probability 2^-256)
        st[0] = 1
    return st


@functools.lru_cache(maxsize=64)
def half_table(std: float) -> tuple[np.ndarray, int]:
    """Alias table of the float16 magnitude (see the module docstring): (entries uint64, bits).  2^bits
    columns, each of capacity 2^32; a column's entry is ``threshold << 32 | alias << 16 | primary`` (alias
    and primary: float16 bit patterns).  Probabilities are exact to 2^-(32 + bits)."""
    lo, hi = MAG_MIN * std, MAG_MAX * std
    b_lo = int(np.float16(lo).view(np.uint16))
    b_hi = int(np.float16(hi).view(np.uint16))
    if not (0 < b_lo <= b_hi < 0x7C00):
        raise ConfigError(f"std {std!r}: the clipped magnitudes do not fit float16 (non-zero and finite)")
    outcomes = list(range(b_lo, b_hi + 1))
    vals = np.array(outcomes, dtype=np.uint16).view(np.float16).astype(np.float64)
    z = (vals[:-1] + vals[1:]) / 2.0 / std        # |z| where the nearest float16 changes
    tail = [1.0] + [math.erfc(x / math.sqrt(2.0)) for x in z.tolist()] + [0.0]   # P(|z| >= boundary)
    probs = [tail[j] - tail[j + 1] for j in range(len(outcomes))]
    bits = max(1, (len(outcomes) - 1).bit_length())
    cols = 1 << bits
    cap = 1 << 32
    total = cols * cap
    w = [int(p * float(total)) for p in probs] + [0] * (cols - len(outcomes))
    w[probs.index(max(probs))] += total - sum(w)    # the truncation remainder (< one unit per outcome)
    thr = [cap] * cols
    alias = list(range(cols))
    small = [c for c in range(cols) if w[c] < cap]
    large = [c for c in range(cols) if w[c] >= cap]
    while small and large:  # Vose's alias method in exact integers
        s, big = small.pop(), large[-1]
        thr[s], alias[s] = w[s], big
        w[big] -= cap - w[s]
        if w[big] < cap:
            small.append(large.pop())
    assert all(w[c] == cap for c in small + large)
    prim = outcomes + [0] * (cols - len(outcomes))
    # a threshold of cap (the column is all primary) is stored as cap - 1 with the alias = the primary
    entries = [(min(thr[c], cap - 1) << 32) | ((prim[alias[c]] if thr[c] < cap else prim[c]) << 16) | prim[c]
               for c in range(cols)]
    return np.array(entries, dtype=np.uint64), bits


class HalfTensor:
    """One tensor of the float16 generator: ``n`` values, ``k`` non-zeros; drawn in chunks, in order."""

    def __init__(self, n: int, k: int, std: float, signed: bool, seed: int, index: int, stream: int):
        self.n, self.k, self.std, self.signed = int(n), int(k), float(std), bool(signed)
        self.seeds = (int(seed), int(index), int(stream))

    def mask_chunks(self, chunk: int = CHUNK) -> Iterator[tuple[int, np.ndarray]]:
        """The bit mask, ``chunk`` positions (a multiple of 8) at a time: (positions, mask bytes)."""
        from accelsim.kernels.synth import select_bits
        n, k = self.n, self.k
        state = stream_state(*self.seeds, POSITIONS)
        counts = np.array([n, k], dtype=np.int64)
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            if k in (0, n):  # no draws: all clear or all set
                out = np.full((m + 7) // 8, 0 if k == 0 else 255, dtype=np.uint8)
                if k and m % 8:
                    out[-1] = (0xFF << (8 - m % 8)) & 0xFF
            else:
                out = np.empty((m + 7) // 8, dtype=np.uint8)
                select_bits(state, counts, out, m)
            yield m, out

    def values(self) -> "ValueStream":
        return ValueStream(self)


class ValueStream:
    """The non-zero values of a :class:`HalfTensor` (float16 bit patterns, uint16), ``take(m)`` at a time."""

    def __init__(self, t: HalfTensor):
        self.table = half_table(t.std)
        self.signed = t.signed
        self.state = stream_state(*t.seeds, VALUES)
        self.left = t.k

    def take(self, m: int) -> np.ndarray:
        from accelsim.kernels.synth import draw_values
        if m > self.left:
            raise ValueError(f"asked for {m} values, {self.left} left")
        out = np.empty(m, dtype=np.uint16)
        entries, bits = self.table
        draw_values(self.state, entries, bits, self.signed, out)
        self.left -= m
        return out


def draw_dense(t: HalfTensor, shape: tuple[int, ...]) -> np.ndarray:
    """The whole tensor as float32 of ``shape`` (the in-memory trace; the file holds the same values)."""
    from accelsim.kernels.packed import half_lut, unpack_half_kernel
    mask = np.concatenate([m for _, m in t.mask_chunks()]) if t.n else np.zeros(0, np.uint8)
    vals = t.values().take(t.k)
    out = np.empty(t.n, dtype=np.float32)
    seen = unpack_half_kernel(mask, vals, half_lut(), out)
    assert seen == t.k
    return out.reshape(shape)


def packs_smaller(n: int, k: int) -> bool:
    """The packed writer's rule (accelsim.trace.packed.encode) for float16 values."""
    return (n + 7) // 8 + 2 * k < 2 * n


def write_tensor(zf: zipfile.ZipFile, key: str, shape: tuple[int, ...], t: HalfTensor) -> bool:
    """Write ``t`` as array ``key`` of a format-v3 archive, streamed chunk by chunk: the packed pair when it
    is smaller (as ``encode`` decides), else a dense float16 member.  Returns True for the packed pair."""
    from accelsim.kernels.synth import expand_half
    from accelsim.trace.packed import packed_keys
    if packs_smaller(t.n, t.k):
        mk, vk = packed_keys(key)
        with _member(zf, mk, ((t.n + 7) // 8,), "|u1") as fh:
            for _, m in t.mask_chunks():
                fh.write(m.data)
        vs = t.values()
        with _member(zf, vk, (t.k,), "<f2") as fh:
            for start in range(0, t.k, CHUNK):
                fh.write(vs.take(min(CHUNK, t.k - start)).data)
        return True
    vs = t.values()
    with _member(zf, key, tuple(shape), "<f2") as fh:
        for npos, m in t.mask_chunks():
            nbits = int(_POPCOUNT[m].sum(dtype=np.int64))
            dense = np.empty(npos, dtype=np.uint16)
            used = expand_half(m, vs.take(nbits), dense)
            assert used == nbits
            fh.write(dense.data)
    return False


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


class _member:
    """An archive member ``key.npy`` written as a stream: the .npy header of (shape, descr), then the
    caller's raw bytes; stored (no deflate), fixed timestamp (same seed, same file bytes)."""

    def __init__(self, zf: zipfile.ZipFile, key: str, shape: tuple[int, ...], descr: str):
        self.zf, self.key, self.shape, self.descr = zf, key, shape, descr

    def __enter__(self):
        info = zipfile.ZipInfo(self.key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        self.fh = self.zf.open(info, "w", force_zip64=True)
        np.lib.format.write_array_header_1_0(self.fh, {"descr": self.descr, "fortran_order": False,
                                                       "shape": tuple(int(x) for x in self.shape)})
        return self.fh

    def __exit__(self, *exc):
        self.fh.close()
