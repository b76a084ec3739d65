"""Per-window neuron-lane work of DaDianNao-style tiles (Cnvlutin's zero skipping).

Layout (as the Cnvlutin authors' simulator MIsim does it: cluster.py/unit.py): the Cg channels of a
group are zero-padded to Cpad = ceil(Cg / lanes) * lanes; lane u owns channels [u*fu, (u+1)*fu) with
fu = Cpad / lanes.  For one output window, a lane's sub-window (R x S x fu values) is flattened channel
fastest, then filter column s, then filter row r, and cut into chunks of ``brick`` values.  A chunk costs
max(nnz, zero_brick_cycles) steps (one non-zero neuron per step; an all-zero chunk still costs
``zero_brick_cycles``, 1 in MIsim).  A window costs the slowest lane (the next window starts only when
every lane is done).  One step is later multiplied by the number of filter groups a tile holds.
"""
import numpy as np

from accelsim.kernels._jit import jit


@jit
def window_lane_work(mask, wcount, R, S, stride, E, F, lanes, brick, zero_brick_cycles,
                     out_max_steps, out_lane_steps, out_nnz, out_zero_chunks, out_effectual):
    """mask : (N, G, Cpad, Hp, Wp) uint8, 1 where an input (after padding) is non-zero.
    wcount : (G, Cpad, R, S) int64, non-zero weights over the group's filters at (c, r, s).
    Outputs, all (N, G, E) int64, summed over the F windows of an output row:
    out_max_steps  sum of per-window slowest-lane steps;
    out_lane_steps sum over windows and lanes of lane steps (for lane utilization and SB reads);
    out_nnz        non-zero inputs read (window by window, so overlapping windows count again);
    out_zero_chunks all-zero chunks;
    out_effectual  MACs whose input and weight are both non-zero.
    """
    N, G, Cpad = mask.shape[0], mask.shape[1], mask.shape[2]
    fu = Cpad // lanes
    for n in range(N):
        for g in range(G):
            for e in range(E):
                y0 = e * stride
                for f in range(F):
                    x0 = f * stride
                    wmax = 0
                    for u in range(lanes):
                        c0 = u * fu
                        steps = 0
                        cnt = 0
                        pos = 0
                        for r in range(R):
                            for s in range(S):
                                for c in range(c0, c0 + fu):
                                    v = mask[n, g, c, y0 + r, x0 + s]
                                    if v:
                                        cnt += 1
                                        out_effectual[n, g, e] += wcount[g, c, r, s]
                                    pos += 1
                                    if pos == brick:
                                        if cnt > 0:
                                            steps += cnt
                                        else:
                                            steps += zero_brick_cycles
                                            out_zero_chunks[n, g, e] += 1
                                        out_nnz[n, g, e] += cnt
                                        cnt = 0
                                        pos = 0
                        if pos > 0:
                            if cnt > 0:
                                steps += cnt
                            else:
                                steps += zero_brick_cycles
                                out_zero_chunks[n, g, e] += 1
                            out_nnz[n, g, e] += cnt
                        out_lane_steps[n, g, e] += steps
                        if steps > wmax:
                            wmax = steps
                    out_max_steps[n, g, e] += wmax


def lane_work(mask: np.ndarray, wcount: np.ndarray, R: int, S: int, stride: int, E: int, F: int,
              lanes: int, brick: int, zero_brick_cycles: int) -> dict[str, np.ndarray]:
    """Validating wrapper around :func:`window_lane_work` (see its docstring for shapes)."""
    assert mask.ndim == 5 and mask.dtype == np.uint8 and mask.flags.c_contiguous
    N, G, Cpad, Hp, Wp = mask.shape
    assert Cpad % lanes == 0 and wcount.shape == (G, Cpad, R, S) and wcount.dtype == np.int64
    assert (E - 1) * stride + R <= Hp and (F - 1) * stride + S <= Wp
    outs = {k: np.zeros((N, G, E), dtype=np.int64)
            for k in ("max_steps", "lane_steps", "nnz", "zero_chunks", "effectual")}
    window_lane_work(mask, np.ascontiguousarray(wcount), R, S, stride, E, F, lanes, brick, zero_brick_cycles,
                     outs["max_steps"], outs["lane_steps"], outs["nnz"], outs["zero_chunks"], outs["effectual"])
    return outs
