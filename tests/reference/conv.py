"""A slow, obviously correct convolution: seven nested loops, zero padding, groups, stride, dilation.

``stride`` and ``dilation`` are an int or (height, width); ``padding`` an int, (height, width) or
(top, bottom, left, right).  Output (e, f)'s tap (r, s) reads input row e*stride_h + r*dilation_h - top
and column f*stride_w + s*dilation_w - left (zero outside the input)."""
import numpy as np


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _pads(p):
    if isinstance(p, int):
        return p, p, p, p
    return (p[0], p[0], p[1], p[1]) if len(p) == 2 else tuple(p)


def conv2d_relu(x, w, stride, padding, groups, relu=True, dilation=1):
    N, C, H, W = x.shape
    M, Cg, R, S = w.shape
    Mg = M // groups
    sh, sw = _pair(stride)
    dh, dw = _pair(dilation)
    pt, pb, pl, pr = _pads(padding)
    E = (H + pt + pb - dh * (R - 1) - 1) // sh + 1
    F = (W + pl + pr - dw * (S - 1) - 1) // sw + 1
    out = np.zeros((N, M, E, F), dtype=np.float64)
    for n in range(N):
        for m in range(M):
            g = m // Mg
            for e in range(E):
                for f in range(F):
                    acc = 0.0
                    for c in range(Cg):
                        for r in range(R):
                            for s in range(S):
                                y = e * sh + r * dh - pt
                                xx = f * sw + s * dw - pl
                                if 0 <= y < H and 0 <= xx < W:
                                    acc += float(x[n, g * Cg + c, y, xx]) * float(w[m, c, r, s])
                    out[n, m, e, f] = max(acc, 0.0) if relu else acc
    return out
