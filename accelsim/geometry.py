"""Feature-map geometry of a conv layer, per axis, and the DRAM stream sizing built on it: the one place
every design (and kernel wrapper) learns which input positions an output reads.

One :class:`Axis` describes the height or the width of a layer (trace format v2):

* ``size`` real input positions (H or W), ``kernel`` taps (R or S), ``stride``, ``dilation`` (spacing of
  the taps; 1 = a dense filter), ``pad_lo`` / ``pad_hi`` zero positions before / after (top / bottom or
  left / right);
* positions are *padded* coordinates unless a name says *real*: padded p = real p + ``pad_lo``;
* output o's tap i reads padded position ``o * stride + i * dilation``; the filter spans
  ``span = dilation * (kernel - 1) + 1`` positions, so ``out = (padded - span) // stride + 1`` (PyTorch's
  rule).

:func:`geometry` gives the two axes of a :class:`~accelsim.trace.format.LayerSpec`
(``geometry(spec).h``, ``.w``).  Typical uses::

    g = geometry(spec)
    g.h.in_range(e0, e1)        # real input rows [lo, hi) that output rows [e0, e1) read (their span)
    g.w.span_count()            # real input columns a whole output row reads
    g.w.window_fill()           # values a sliding S-tap window takes in along one output row
    g.h.tap_counts()            # per padded row: how many (output row, filter row) pairs read it
    g.h.outputs_reading(a, b)   # output rows with a tap on real input rows [a, b) (a tile's reach)
    g.pad(x)                    # zero-pad an (..., H, W) array (top, bottom, left, right)

Stream sizing (Eyeriss-style RLC fmaps in DRAM): :func:`dram_row_ranges` extends the row ranges of
consecutive strips so every input row is fetched at least once, and :func:`row_stream_bits` gives the
exact compressed and raw bits of one stream per (image, channel, row range).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from accelsim.kernels.eyeriss import rlc_stream_bits


@dataclass(frozen=True)
class Axis:
    """One axis (height or width) of a layer's geometry; see the module docstring."""

    size: int
    kernel: int
    stride: int = 1
    dilation: int = 1
    pad_lo: int = 0
    pad_hi: int = 0

    @property
    def padded(self) -> int:
        """Input positions after padding."""
        return self.size + self.pad_lo + self.pad_hi

    @property
    def span(self) -> int:
        """Positions one output's taps span: dilation * (kernel - 1) + 1."""
        return self.dilation * (self.kernel - 1) + 1

    @property
    def out(self) -> int:
        """Output positions (E or F)."""
        return (self.padded - self.span) // self.stride + 1

    def in_range(self, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
        """Real input positions [a, b) spanned by outputs [lo, hi) (clipped to the real input; a == b when
        they read only padding)."""
        hi = self.out if hi is None else hi
        a = min(self.size, max(0, lo * self.stride - self.pad_lo))
        b = min(self.size, (hi - 1) * self.stride + self.span - self.pad_lo)
        return (a, max(a, b))

    def span_count(self, lo: int = 0, hi: int | None = None) -> int:
        """Real input positions spanned by outputs [lo, hi): b - a of :meth:`in_range`."""
        a, b = self.in_range(lo, hi)
        return b - a

    def in_ranges(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`in_range` vectorized over arrays of output ranges (int64 arrays a, b with b >= a)."""
        lo = np.asarray(lo, dtype=np.int64)
        hi = np.asarray(hi, dtype=np.int64)
        a = np.minimum(self.size, np.maximum(0, lo * self.stride - self.pad_lo))
        b = np.minimum(self.size, (hi - 1) * self.stride + self.span - self.pad_lo)
        return a, np.maximum(a, b)

    def tap_counts(self) -> np.ndarray:
        """(padded,) int64: how many (output o, tap i) pairs read padded position o*stride + i*dilation."""
        cnt = np.zeros(self.padded, dtype=np.int64)
        last = (self.out - 1) * self.stride + 1
        for i in range(self.kernel):
            off = i * self.dilation
            cnt[off:off + last:self.stride] += 1
        return cnt

    def window_new(self) -> int:
        """Values a sliding window of the kernel's taps takes in when it moves to the next output: the taps
        of output o+1 that output o did not read (o+1's tap i is o's tap i + stride/dilation when the
        dilation divides the stride)."""
        if self.stride % self.dilation:
            return self.kernel
        return min(self.kernel, self.stride // self.dilation)

    def window_fill(self) -> int:
        """Values a sliding window takes in along one output row: kernel + (out - 1) * window_new."""
        return self.kernel + (self.out - 1) * self.window_new()

    def outputs_reading(self, lo: int, hi: int) -> np.ndarray:
        """Sorted int64 output positions with a tap on a real input position in [lo, hi) (the outputs a
        tile of inputs contributes to; padding taps excluded)."""
        o = np.arange(self.out, dtype=np.int64)
        real = o[:, None] * self.stride + np.arange(self.kernel)[None, :] * self.dilation - self.pad_lo
        return o[((real >= lo) & (real < hi)).any(axis=1)]

    def centres(self) -> np.ndarray:
        """(out,) int64 real input position of each output's centre tap ((kernel - 1) // 2), clipped to
        the real input."""
        o = np.arange(self.out, dtype=np.int64)
        c = o * self.stride - self.pad_lo + ((self.kernel - 1) // 2) * self.dilation
        return np.clip(c, 0, self.size - 1)

    def real_slice(self) -> slice:
        """Where the real input lies in padded coordinates."""
        return slice(self.pad_lo, self.pad_lo + self.size)


@dataclass(frozen=True)
class Geometry:
    """The height and width axes of a layer."""

    h: Axis
    w: Axis

    def pad(self, x: np.ndarray) -> np.ndarray:
        """Zero-pad the last two axes (H, W) of ``x``: top, bottom, left, right."""
        pads = [(0, 0)] * (x.ndim - 2) + [(self.h.pad_lo, self.h.pad_hi), (self.w.pad_lo, self.w.pad_hi)]
        return np.pad(x, pads) if any(a or b for a, b in pads) else x

    def output_window_views(self, xp: np.ndarray) -> np.ndarray:
        """(..., E, F, R, S) strided view of a padded (..., Hp, Wp) array: the values each output's taps
        read (no copy)."""
        h, w = self.h, self.w
        st = xp.strides
        shape = xp.shape[:-2] + (h.out, w.out, h.kernel, w.kernel)
        strides = st[:-2] + (st[-2] * h.stride, st[-1] * w.stride, st[-2] * h.dilation, st[-1] * w.dilation)
        return np.lib.stride_tricks.as_strided(xp, shape, strides, writeable=False)


def geometry(spec: Any) -> Geometry:
    """Both axes of a LayerSpec (an FC layer is the 1x1 case)."""
    return Geometry(Axis(spec.H, spec.R, spec.stride_h, spec.dilation_h, spec.pad_top, spec.pad_bottom),
                    Axis(spec.W, spec.S, spec.stride_w, spec.dilation_w, spec.pad_left, spec.pad_right))


# ---- DRAM streams -------------------------------------------------------------------------------------
def dram_row_ranges(axis: Axis, out_ranges: np.ndarray) -> np.ndarray:
    """(K, 2) int64 real input rows [lo, hi) read from DRAM for consecutive strips of output rows
    ``out_ranges`` (K, 2): each strip's own rows (:meth:`Axis.in_range`), the first extended up to row 0
    and each extended down to the next strip's first row (the last: to the bottom), so every input row is
    fetched at least once even when no output needs it (stride > span, or a bottom remainder): an RLC
    stream is decoded sequentially, so the link reads whole row ranges.  Rows shared by two strips (the
    halo) are read by both."""
    r = np.asarray(out_ranges, dtype=np.int64).reshape(-1, 2)
    lo, hi = axis.in_ranges(r[:, 0], r[:, 1])
    d_lo = lo.copy()
    if len(d_lo):
        d_lo[0] = 0
    nxt = np.append(lo[1:], axis.size)
    return np.stack([d_lo, np.maximum(hi, nxt)], axis=1)


def row_stream_bits(codes: np.ndarray, rows: np.ndarray, raw: bool, word_bits: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Raw and RLC bits of one stream per (image, channel, row range): ``codes`` (N, C, H, W) 16-bit codes
    or their non-zero mask (RLC sizes depend only on where the zeros are), ``rows`` (K, 2) row ranges
    [lo, hi).  Returns (uncompressed, compressed), two (N, C, K) int64 arrays; ``raw``: compressed =
    uncompressed."""
    N, C, H, W = codes.shape
    r = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
    plane = (np.arange(N)[:, None] * C + np.arange(C)[None, :]) * (H * W)  # (N, C)
    starts = (plane[:, :, None] + r[None, None, :, 0] * W).reshape(-1)
    stops = (plane[:, :, None] + r[None, None, :, 1] * W).reshape(-1)
    unc = ((stops - starts) * word_bits).reshape(N, C, len(r))
    comp = unc if raw else rlc_stream_bits(codes, starts, stops).reshape(unc.shape)
    return unc, comp


def flat_stream_bits(codes: np.ndarray, starts: np.ndarray, stops: np.ndarray, raw: bool, word_bits: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Raw and RLC bits of streams codes.ravel()[starts[k]:stops[k]] (FC / 1x1 fmaps: runs of channels)."""
    unc = (np.asarray(stops) - np.asarray(starts)).astype(np.int64) * word_bits
    comp = unc if raw else rlc_stream_bits(codes, starts, stops)
    return unc, comp


__all__ = ["Axis", "Geometry", "dram_row_ranges", "flat_stream_bits", "geometry", "row_stream_bits"]
