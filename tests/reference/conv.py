"""A slow, obviously correct convolution: seven nested loops, zero padding, groups, stride."""
import numpy as np


def conv2d_relu(x, w, stride, padding, groups, relu=True):
    N, C, H, W = x.shape
    M, Cg, R, S = w.shape
    Mg = M // groups
    E = (H + 2 * padding - R) // stride + 1
    F = (W + 2 * padding - S) // stride + 1
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
                                y = e * stride + r - padding
                                xx = f * stride + s - padding
                                if 0 <= y < H and 0 <= xx < W:
                                    acc += float(x[n, g * Cg + c, y, xx]) * float(w[m, c, r, s])
                    out[n, m, e, f] = max(acc, 0.0) if relu else acc
    return out
