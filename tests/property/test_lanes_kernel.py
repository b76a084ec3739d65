"""kernels/lanes.py == the slow reference (tests/reference/lanes_ref.py) on random small layers: any
stride, dilation and padding, groups side by side, both chunk layouts (per-channel rows and per-brick
counts), channel padding, zero_brick_cycles 0-2."""
import numpy as np
from hypothesis import given, settings, strategies as st

from accelsim.geometry import Axis, Geometry
from accelsim.kernels.lanes import lane_work
from tests.reference.lanes_ref import lane_work_ref


@st.composite
def lane_case(draw):
    lanes = draw(st.sampled_from([1, 2, 4]))
    brick = draw(st.sampled_from([2, 4, 16]))
    fu = draw(st.sampled_from([1, 2, 3, brick, 2 * brick]))
    Cpad = lanes * fu
    Cg = draw(st.integers(1, Cpad))
    R, S = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw, dh, dw = (draw(st.integers(1, 3)) for _ in range(4))
    E, F = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    Hp = (E - 1) * sh + (R - 1) * dh + 1 + draw(st.integers(0, 2))
    Wp = (F - 1) * sw + (S - 1) * dw + 1 + draw(st.integers(0, 2))
    pt, pl = draw(st.integers(0, min(2, Hp - 1))), draw(st.integers(0, min(2, Wp - 1)))
    N, G, gpr = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    density = draw(st.sampled_from([0.0, 0.2, 0.6, 1.0]))
    zbc = draw(st.integers(0, 2))
    seed = draw(st.integers(0, 2**16))
    return lanes, brick, Cpad, Cg, R, S, sh, sw, dh, dw, Hp, Wp, pt, pl, N, G, gpr, density, zbc, seed


@settings(max_examples=80, deadline=None)
@given(lane_case())
def test_lane_work_matches_reference(case):
    lanes, brick, Cpad, Cg, R, S, sh, sw, dh, dw, Hp, Wp, pt, pl, N, G, gpr, density, zbc, seed = case
    rng = np.random.default_rng(seed)
    geo = Geometry(Axis(Hp - pt, R, sh, dh, pt, 0), Axis(Wp - pl, S, sw, dw, pl, 0))
    E, F = geo.h.out, geo.w.out
    mask = (rng.random((N, G, Hp, Wp, Cpad)) < density).astype(np.uint8)
    mask[..., Cg:] = 0                       # channel padding is zero, as the model builds it
    wcount = rng.integers(0, 5, (G, Cpad, R, S)).astype(np.int64)
    rows = np.ascontiguousarray(mask.transpose(0, 1, 2, 4, 3))
    got = lane_work(rows, wcount, geo, lanes, brick, zbc, Cg=Cg, gpr=gpr)
    ref = lane_work_ref(mask, wcount, R, S, sh, sw, dh, dw, E, F, lanes, brick, zbc, Cg=Cg, gpr=gpr)
    for k in ("max_steps", "lane_steps", "zero_chunks", "nnz", "effectual"):
        np.testing.assert_array_equal(got[k], ref[k], err_msg=k)
