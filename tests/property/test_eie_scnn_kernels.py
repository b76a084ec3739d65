"""EIE kernels against their slow references (tests/reference/eie_ref.py); SCNN's are in test_scnn_kernels.py."""
import numpy as np
from hypothesis import given, settings, strategies as st

from accelsim.accelerators import create
from accelsim.compression.zero_run import zero_run_entries
from accelsim.kernels.eie import eie_conv_kernel, eie_matvecs, eie_tap_counts, queue_costs, ring_size
from tests.property.geometry import conv_geometry
from tests.reference.eie_ref import encode_pe_columns, lowered_columns, simulate_matvec


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**16), P=st.integers(1, 6), J=st.integers(1, 12), depth=st.integers(0, 5),
       k=st.integers(0, 15), dtype=st.sampled_from([None, np.int8, np.int16, np.int32, np.int64]))
def test_eie_queue_kernel_equals_cycle_stepped_reference(seed, P, J, depth, k, dtype):
    """Every lag width of the SIMD step (``dtype`` None: the narrowest that holds the lags)."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 7, size=(P, J))
    cost[rng.random(cost.shape) < 0.4] = 1
    cols = rng.integers(0, J, size=k)
    out = eie_matvecs(cost, cols, np.array([0, k]), depth, dtype)
    ref_cycles, ref_stalls = simulate_matvec(cost.tolist(), cols.tolist(), depth)
    assert out[0, 0] == ref_cycles
    assert out[0, 1] == ref_stalls
    assert out[0, 2] == cost[:, cols].sum()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), P=st.integers(1, 140), J=st.integers(1, 5), depth=st.integers(0, 9),
       k=st.integers(1, 40), top=st.sampled_from([2, 9, 200]), dtype=st.sampled_from([None, np.int32, np.int64]))
def test_eie_queue_kernel_many_pes_and_several_vectors(seed, P, J, depth, k, top, dtype):
    """Up to 140 PEs (3 vectors of 64 lanes, zero-cost padding lanes), costs up to 200 (int8 or int16
    lags, or the wider types forced), several products in one call: each against the cycle-stepped
    reference."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, top + 1, size=(P, J))
    cost[rng.random(cost.shape) < 0.5] = 1
    lens = rng.integers(0, k + 1, size=3)
    cols = rng.integers(0, J, size=int(lens.sum()))
    starts = np.concatenate([[0], np.cumsum(lens)])
    out = eie_matvecs(cost, cols, starts, depth, dtype)
    for v in range(3):
        c = cols[starts[v]:starts[v + 1]]
        assert tuple(out[v, :2]) == simulate_matvec(cost.tolist(), c.tolist(), depth)


@st.composite
def conv_case(draw):
    """A small conv layer's padded input mask, one group's geometry and PE costs for eie_conv_kernel."""
    R, S = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H, W, geo = draw(conv_geometry(R, S, max_stride=3, max_dilation=2, max_pad=2, max_hw=5))
    (sh, sw), (dh, dw), (pt, pb, pl, pr) = geo["stride"], geo["dilation"], geo["padding"]
    N, groups, Cg = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.random((N, groups * Cg, H, W)) < draw(st.sampled_from([0.0, 0.3, 0.7, 1.0]))
    P = draw(st.integers(1, 5))
    cost = rng.integers(1, draw(st.integers(1, 5)) + 1, size=(P, Cg * R * S))
    return x, (sh, sw), (dh, dw), (pt, pb, pl, pr), groups, Cg, R, S, cost, draw(st.integers(0, 4)), \
        draw(st.integers(0, groups - 1))


@settings(max_examples=80, deadline=None)
@given(case=conv_case())
def test_eie_conv_kernel_equals_lowered_reference(case):
    """Per product: cycles and stalls of eie_conv_kernel (columns read from the padded input, never
    lowered) and the tap counts of eie_tap_counts, against the reference's lowered columns
    (tests/reference/eie_ref.lowered_columns, from the convolution's definition) stepped cycle by cycle."""
    x, (sh, sw), (dh, dw), pads, groups, Cg, R, S, cost, depth, g = case
    N, C, H, W = x.shape
    pt, pb, pl, pr = pads
    E, F = (H + pt + pb - dh * (R - 1) - 1) // sh + 1, (W + pl + pr - dw * (S - 1) - 1) // sw + 1
    xp = np.zeros((N, C, H + pt + pb, W + pl + pr), dtype=np.uint8)
    xp[:, :, pt:pt + H, pl:pl + W] = x
    geo = (g * Cg, Cg, R, S, E, F, sh, sw, dh, dw)
    J = Cg * R * S
    hist, taps = np.zeros(J, dtype=np.int64), np.zeros(N * E * F, dtype=np.int64)
    eie_tap_counts(xp, *geo, hist, taps)
    cost_t, cap, lanes = queue_costs(cost, depth)
    cycles = taps.copy()
    stalls = eie_conv_kernel(xp, *geo, False, cost_t, depth, cap, lanes, ring_size(depth), cycles) \
        if cost_t.shape[1] else 0
    ref_hist, ref_stalls = np.zeros(J, dtype=np.int64), 0
    xl = x.tolist()
    for n in range(N):
        for e in range(E):
            for f in range(F):
                cols = lowered_columns(xl, n, e, f, g, Cg, R, S, (sh, sw), (dh, dw), pads)
                cyc, st_ = simulate_matvec(cost.tolist(), cols, depth)
                v = (n * E + e) * F + f
                assert taps[v] == len(cols)
                assert cycles[v] == cyc
                ref_stalls += st_
                np.add.at(ref_hist, cols, 1)
    assert stalls == ref_stalls
    assert (hist == ref_hist).all()


def test_lag_step_intrinsic_equals_its_python_definition():
    """The LLVM-IR vector step (eie_simd) against its own Python definition, every lag width: a unit test
    of the transcription (the kernel's validation is the cycle-stepped reference above)."""
    import numba
    from accelsim.kernels import eie_simd

    start, finish_ = eie_simd.lag_step_start.dispatcher(), eie_simd.lag_step_finish.dispatcher()

    @numba.njit
    def run(L, C, o, co, d, finish):
        if finish:
            return finish_(L, C, o, co, d)
        return start(L, C, o, co, d)

    rng = np.random.default_rng(5)
    for dt in (np.int8, np.int16, np.int32, np.int64):
        w = eie_simd.VECTOR_LANES
        for finish in (False, True):
            L = rng.integers(0, 60, size=3 * w).astype(dt)
            C = rng.integers(0, 7, size=(4, 2 * w)).astype(dt)
            L2 = L.copy()
            got = run(L, C, w, 2 * w + w, 5, finish)
            fn = eie_simd.lag_step_finish.py_func if finish else eie_simd.lag_step_start.py_func
            assert got == fn(L2, C, w, 2 * w + w, 5)
            assert (L == L2).all()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), M=st.integers(1, 90), C=st.integers(1, 6), pes=st.integers(1, 8),
       d=st.sampled_from([0.0, 0.02, 0.1, 0.5, 1.0]), bits=st.integers(1, 4))
def test_eie_csc_entries_equal_reference_encoder(seed, M, C, pes, d, bits):
    rng = np.random.default_rng(seed)
    mask = rng.random((M, C)) < d
    acc = create("eie", pes=pes, index_bits=bits)
    entries, pad = acc.pe_entries(mask)
    ref = encode_pe_columns(mask.tolist(), pes, bits)
    for p in range(min(pes, M)):
        for j in range(C):
            assert entries[p, j] == len(ref[p][j])
            assert pad[p, j] == sum(1 for is_pad, _ in ref[p][j] if is_pad)
            assert entries[p, j] - pad[p, j] == mask[p::pes, j].sum()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(0, 70), d=st.sampled_from([0.0, 0.05, 0.3, 1.0]),
       bits=st.integers(1, 4))
def test_zero_run_entries_equal_reference_encoder(seed, n, d, bits):
    m = np.random.default_rng(seed).random(n) < d
    ref = encode_pe_columns([[bool(v)] for v in m], 1, bits)[0][0] if n else []
    e, pad = zero_run_entries(m, bits)
    assert e == len(ref) and pad == sum(1 for p_, _ in ref if p_)
