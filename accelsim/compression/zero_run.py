"""Zero-run (relative-index) encoding, as EIE (Han et al., ISCA 2016, Sec. III) and SCNN (Parashar et al.,
ISCA 2017, Sec. IV) store sparse tensors: every non-zero value is stored with the number of zeros that
precede it since the previous stored entry, in ``run_bits`` bits (4 in both papers).  A run longer than
2^run_bits - 1 zeros is bridged by *padding entries*: a stored zero value with the largest run
(EIE: "if more than 15 zeros appear before a non-zero entry we add a zero in vector v").  Trailing
zeros cost nothing (the sequence length is known).

For a run of g zeros before a non-zero the encoder emits g // 2^run_bits padding entries, then the
non-zero with run g % 2^run_bits.  Golden case (run_bits = 2, max run 3): [0,0,0,0,0,7,0,5] has runs 5
and 1: 5 // 4 = 1 padding entry (a zero with run 3, covering 4 positions), then 7 with run 1, then 5
with run 1: three entries, one of them padding.

Removing a non-zero never adds entries: runs a and b around it merge into a + b + 1 zeros, and
(a + b + 1) // K <= a // K + b // K + 1 for K = 2^run_bits.
"""
from __future__ import annotations

import numpy as np


#: int64 bytes of temporaries per block of sequences (the whole-tensor int64 arrays were 8x SCNN's outputs)
_BLOCK_BYTES = 16 << 20


def zero_run_entries(mask: np.ndarray, run_bits: int = 4, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Entries of the zero-run encoding of each sequence along ``axis`` of a boolean non-zero ``mask``.

    Returns ``(entries, padding)``: int64 arrays of the mask's shape without ``axis``; ``entries``
    counts stored values (non-zeros plus padding entries), ``padding`` the padding entries alone.
    Sequences are encoded in blocks, so the int64 temporaries stay near ``_BLOCK_BYTES``."""
    m = np.moveaxis(np.asarray(mask, dtype=bool), axis, 0)
    k = 1 << int(run_bits)
    rest = m.shape[1:]
    length = m.shape[0]
    if length == 0:
        z = np.zeros(rest, dtype=np.int64)
        return z, z.copy()
    flat = m.reshape(length, -1)
    entries = np.empty(flat.shape[1], dtype=np.int64)
    padding = np.empty(flat.shape[1], dtype=np.int64)
    pos = np.arange(length, dtype=np.int64).reshape(-1, 1)
    step = max(1, _BLOCK_BYTES // (8 * length))
    for c0 in range(0, flat.shape[1], step):
        blk = flat[:, c0:c0 + step]
        last = np.where(blk, pos, -1)
        np.maximum.accumulate(last, axis=0, out=last)
        prev = np.concatenate([np.full((1, blk.shape[1]), -1, dtype=np.int64), last[:-1]], axis=0)
        gap = pos - prev - 1  # zeros since the previous non-zero (or the start), at every position
        pad = np.where(blk, gap // k, 0).sum(axis=0).astype(np.int64)
        entries[c0:c0 + step] = blk.sum(axis=0) + pad
        padding[c0:c0 + step] = pad
    return entries.reshape(rest), padding.reshape(rest)


def zero_run_bits(mask: np.ndarray, value_bits: int, run_bits: int = 4, axis: int = 0) -> int:
    """Total bits of the encoding: entries x (value_bits + run_bits), summed over all sequences."""
    entries, _ = zero_run_entries(mask, run_bits, axis)
    return int(entries.sum()) * (int(value_bits) + int(run_bits))


__all__ = ["zero_run_entries", "zero_run_bits"]
