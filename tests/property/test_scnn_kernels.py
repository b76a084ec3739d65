"""SCNN kernels (kernels/scnn.py, scnn_banks.py, scnn_storage.py) against their slow references
(tests/reference/scnn_ref.py)."""
import numpy as np
from hypothesis import given, settings, strategies as st

from accelsim.compression.zero_run import zero_run_entries
from accelsim.kernels.scnn import scnn_batch, scnn_image
from accelsim.kernels.scnn_storage import input_entries, output_entries, weight_entries
from tests.reference.scnn_ref import scnn_image_ref, scnn_storage_ref


@st.composite
def scnn_case(draw):
    C, M = draw(st.integers(1, 3)), draw(st.integers(1, 6))
    R, S = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H, W = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))   # per-axis stride (odd ones too)
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))   # per-axis dilation
    pt, pb, pl, pr = (draw(st.integers(0, 2)) for _ in range(4))
    E = (H + pt + pb - dh * (R - 1) - 1) // sh + 1
    Fo = (W + pl + pr - dw * (S - 1) - 1) // sw + 1
    if E < 1 or Fo < 1:
        E, Fo, pt, pb, pl, pr, R, S = H, W, 0, 0, 0, 0, 1, 1
        sh = sw = 1
    gr, gc = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    th, tw = -(-H // gr), -(-W // gc)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    A = (rng.random((C, H, W)) < draw(st.sampled_from([0.2, 0.6, 1.0]))).astype(np.uint8)
    Wm = (rng.random((M, C, R, S)) < draw(st.sampled_from([0.2, 0.6, 1.0]))).astype(np.uint8)
    geom = (th, tw, gr, gc, sh, sw, dh, dw, pt, pl, E, Fo)
    # F up to 9 and banks up to 100: the kernel's vector path (F <= 7, banks <= 64) and its per-product path
    return A, Wm, geom, draw(st.integers(1, 5)), draw(st.integers(1, 9)), \
        draw(st.sampled_from([1, 3, 4, 7, 32, 64, 100])), draw(st.booleans()), draw(st.integers(1, 7))


@settings(max_examples=80, deadline=None)
@given(case=scnn_case())
def test_scnn_kernel_equals_reference(case):
    A, Wm, geom, I, F, banks, conflicts, kc = case
    cyc, stats = scnn_image(A, Wm, geom, I, F, banks, conflicts, kc)
    rc, formed, valid, stalls = scnn_image_ref(A, Wm, *geom, I, F, banks, conflicts, kc)
    assert cyc.tolist() == rc
    assert (stats[0], stats[1], stats[4]) == (formed, valid, stalls)


@settings(max_examples=40, deadline=None)
@given(case=scnn_case())
def test_scnn_valid_products_are_the_effectual_macs(case):
    """Valid products = pairs (non-zero weight, non-zero input) that a direct convolution multiplies."""
    A, Wm, geom, I, F, banks, conflicts, kc = case
    th, tw, gr, gc, sh, sw, dh, dw, pt, pl, E, Fo = geom
    C, H, W = A.shape
    M, _, R, S = Wm.shape
    eff = 0
    for m in range(M):
        for e in range(E):
            for f in range(Fo):
                for c in range(C):
                    for r in range(R):
                        for s in range(S):
                            y, x = e * sh - pt + r * dh, f * sw - pl + s * dw
                            if 0 <= y < H and 0 <= x < W and A[c, y, x] and Wm[m, c, r, s]:
                                eff += 1
    _, stats = scnn_image(A, Wm, geom, I, F, banks, conflicts, kc)
    assert stats[1] == eff


@settings(max_examples=30, deadline=None)
@given(case=scnn_case(), n=st.integers(2, 3), seed=st.integers(0, 2**16))
def test_scnn_batch_equals_images_one_by_one(case, n, seed):
    """A batch shares the weight lists: its per-image cycles and summed stats equal the reference's per image."""
    A, Wm, geom, I, F, banks, conflicts, kc = case
    rng = np.random.default_rng(seed)
    batch = np.stack([A] + [(rng.random(A.shape) < 0.5).astype(np.uint8) for _ in range(n - 1)])
    cyc, stats = scnn_batch(batch, Wm, geom, I, F, banks, conflicts, kc)
    tot = np.zeros(3, dtype=np.int64)
    for i in range(n):
        rc, formed, valid, stalls = scnn_image_ref(batch[i], Wm, *geom, I, F, banks, conflicts, kc)
        assert cyc[i].tolist() == rc
        tot += (formed, valid, stalls)
    assert (stats[0], stats[1], stats[4]) == tuple(tot)


@st.composite
def scnn_conflict_case(draw):
    """Many filters, few banks, wide weight vectors: blocks that send 3 to 7 products to one bank."""
    C, M = draw(st.integers(1, 2)), draw(st.integers(8, 40))
    R = S = draw(st.integers(1, 3))
    H, W = draw(st.integers(2, 8)), draw(st.integers(2, 8))
    pad = R // 2
    gr, gc = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    A = (rng.random((C, H, W)) < draw(st.sampled_from([0.4, 1.0]))).astype(np.uint8)
    Wm = (rng.random((M, C, R, S)) < draw(st.sampled_from([0.5, 1.0]))).astype(np.uint8)
    geom = (-(-H // gr), -(-W // gc), gr, gc, 1, 1, 1, 1, pad, pad, H, W)
    return A, Wm, geom, draw(st.integers(1, 4)), draw(st.integers(4, 7)), draw(st.sampled_from([8, 16, 32, 64])), \
        True, draw(st.integers(4, 40))


@settings(max_examples=40, deadline=None)
@given(case=scnn_conflict_case())
def test_scnn_kernel_equals_reference_on_heavy_conflicts(case):
    A, Wm, geom, I, F, banks, conflicts, kc = case
    cyc, stats = scnn_image(A, Wm, geom, I, F, banks, conflicts, kc)
    rc, formed, valid, stalls = scnn_image_ref(A, Wm, *geom, I, F, banks, conflicts, kc)
    assert cyc.tolist() == rc
    assert (stats[0], stats[1], stats[4]) == (formed, valid, stalls)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), N=st.integers(1, 2), C=st.integers(1, 3), H=st.integers(1, 12),
       W=st.integers(1, 12), M=st.integers(1, 9), R=st.integers(1, 3), S=st.integers(1, 3),
       gr=st.integers(1, 4), gc=st.integers(1, 4), kc=st.integers(1, 5), run_bits=st.integers(1, 4),
       d=st.sampled_from([0.0, 0.1, 0.5, 1.0]))
def test_scnn_storage_kernels_equal_reference(seed, N, C, H, W, M, R, S, gr, gc, kc, run_bits, d):
    """Compressed sizes of SCNN's input tiles, weight streams and outputs against plain Python lists, and
    against the shared numpy encoder (compression.zero_run)."""
    rng = np.random.default_rng(seed)
    X = rng.random((N, C, H, W)) < d
    Wm = rng.random((M, C, R, S)) < d
    Y = rng.random((N, M, H * W)) < d
    th, tw = -(-H // gr), -(-W // gc)
    ins, ws, outs = np.zeros(N, np.int64), np.zeros(-(-M // kc), np.int64), np.zeros(N, np.int64)
    input_entries(X, th, tw, gr, gc, run_bits, 0.0, ins)
    weight_entries(Wm, kc, run_bits, ws)
    output_entries(Y, run_bits, 0.0, outs)
    ri, rw, ro = scnn_storage_ref(X, Wm, Y, th, tw, gr, gc, kc, run_bits)
    assert ins.tolist() == ri and ws.tolist() == rw and outs.tolist() == ro
    assert outs.tolist() == zero_run_entries(Y, run_bits, axis=2)[0].sum(axis=1).tolist()


@settings(max_examples=40, deadline=None)
@given(case=scnn_case(), scale=st.sampled_from([1e-6, 1e-3, 1.0, 300.0]), bits=st.sampled_from([8, 16]),
       wide=st.booleans())
def test_scnn_float_values_with_threshold_equal_their_fixed_point_mask(case, scale, bits, wide):
    """Kernels fed float values and nonzero_source's threshold count exactly what they count on
    fixedpoint.nonzero_mask (values that round to zero on the datapath are zeros)."""
    from accelsim import fixedpoint
    from accelsim.kernels.scnn import nonzero_source
    A, Wm, geom, I, F, banks, conflicts, kc = case
    rng = np.random.default_rng(int(A.sum()) + kc)
    x = (A * rng.standard_normal(A.shape) * scale).astype(np.float64 if wide else np.float32)[None]
    x[0, 0, 0, 0] = scale                     # a tensor maximum, and some values near the threshold
    x.ravel()[::3] *= 2.0 ** -12
    vals, thr = nonzero_source(x, bits)
    assert vals is x and thr > 0
    mask = fixedpoint.nonzero_mask(x, bits)
    assert [a.tolist() for a in scnn_batch(x, Wm, geom, I, F, banks, conflicts, kc, thr)] == \
        [a.tolist() for a in scnn_batch(mask, Wm, geom, I, F, banks, conflicts, kc)]
    th, tw, gr, gc = geom[:4]
    got, ref = np.zeros(1, np.int64), np.zeros(1, np.int64)
    input_entries(x, th, tw, gr, gc, 4, thr, got)
    input_entries(mask.view(np.uint8), th, tw, gr, gc, 4, 0.0, ref)
    assert got.tolist() == ref.tolist()
    y = x.reshape(1, x.shape[1], -1)
    got[:] = 0
    ref[:] = 0
    output_entries(y, 4, thr, got)
    output_entries(fixedpoint.nonzero_mask(y, bits).view(np.uint8), 4, 0.0, ref)
    assert got.tolist() == ref.tolist()
