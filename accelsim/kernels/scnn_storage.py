"""numba kernels for the size of SCNN's compressed tensors (model: accelerators/scnn.py).

SCNN stores every tensor zero-run encoded (:mod:`accelsim.compression.zero_run`): each non-zero with the
count of zeros before it in ``run_bits`` bits, and a padding entry per 2^run_bits zeros of a longer run,
so a sequence costs (non-zeros + sum over non-zeros of (zeros before it) // 2^run_bits) entries.  These
kernels walk each stored sequence once over the bool masks, with no temporaries (the numpy encoder
builds int64 arrays of the mask's size):

* inputs: per image, one sequence per (channel, PE tile), the tile's th x tw positions row-major;
  positions past the plane's edge (the last PEs' tiles) are zeros of the sequence;
* weights: per (Kc group, channel) one sequence in (r, s, filter) order, filter fastest;
* outputs: per (image, output channel) one sequence over the E x F plane, row-major.

The reference is tests/reference/scnn_ref.py (plain Python lists and loops).
"""
from __future__ import annotations

import numpy as np

from accelsim.kernels._jit import jit


@jit
def input_entries(X, th, tw, gr, gc, run_bits, thr, out):
    """X : (N, C, H, W), non-zero where |x| > thr (kernels.scnn.nonzero_source); out[n] += entries of
    image n's tile sequences (a padding entry per 2^run_bits zeros)."""
    N, C, H, W = X.shape
    for n in range(N):
        tot = 0
        for c in range(C):
            for pr in range(gr):
                y0 = pr * th
                for pc in range(gc):
                    x0 = pc * tw
                    run = 0
                    for y in range(y0, min(H, y0 + th)):   # rows past H come last: trailing zeros, free
                        for x in range(x0, x0 + tw):
                            v = X[n, c, y, min(x, W - 1)]
                            nz = np.int64((x < W) & ((v > thr) | (v < -thr)))
                            tot += nz * (1 + (run >> run_bits))   # no branch: the mask is random
                            run = (run + 1) * (1 - nz)
        out[n] += tot


@jit
def weight_entries(Wm, kc, run_bits, out):
    """Wm : (M, C, R, S) non-zero mask of one group's filters; out[g] += entries of Kc group g (filters
    g kc .. g kc + kc - 1), summed over its channels."""
    M, C, R, S = Wm.shape
    for g in range((M + kc - 1) // kc):
        k0 = g * kc
        k1 = min(M, k0 + kc)
        tot = 0
        for c in range(C):
            run = 0
            for r in range(R):
                for s in range(S):
                    for k in range(k0, k1):
                        nz = np.int64(Wm[k, c, r, s] != 0)
                        tot += nz * (1 + (run >> run_bits))
                        run = (run + 1) * (1 - nz)
        out[g] += tot


@jit
def output_entries(Y, run_bits, thr, out):
    """Y : (N, M, L) outputs, non-zero where |y| > thr (planes flattened row-major); out[n] += entries."""
    N, M, L = Y.shape
    for n in range(N):
        tot = 0
        for m in range(M):
            run = 0
            for i in range(L):
                v = Y[n, m, i]
                nz = np.int64((v > thr) | (v < -thr))
                tot += nz * (1 + (run >> run_bits))
                run = (run + 1) * (1 - nz)
        out[n] += tot


__all__ = ["input_entries", "weight_entries", "output_entries"]
