"""UCNN kernel == slow dict reference on random small layers, and the laws the model relies on.

Identities tested (per unit = filter group x channel tile, per output position):
* G = 1: leaf_adds + mults == nnz -- every non-zero-weight input is either added into its weight's group
  or starts the group that one multiply consumes; zero weights are skipped: P == nnz;
* any G: executed + reused + skipped == dense, with executed = mults_j, reused = nnz_j - mults_j >= 0,
  skipped = L - nnz_j (per filter j);
* mults_j <= min(nnz_j, U_j * prod_{i<j} (U_i + 1)) with U_i the unique non-zero weights of filter i in
  the tile (G = 1: mults == U);
* grouping more filters (G=1 -> 2 -> 4, the same filters) never increases the iiT entries (input reads)
  nor the input-side adds (leaf + aggregation); multiplies may increase, and with them the accumulate
  adds, but the total adds (leaf + aggregation + one accumulate per multiply) never exceed G = 1's,
  which is sum_j nnz_j.  (G = 4 can need more total adds than G = 2: hierarchical sorting by the first
  filters splits positions that later filters could have shared, e.g. filters [1,0],[0,0],[1,1],[1,1].)
"""
import numpy as np
from hypothesis import given, settings, strategies as st

from accelsim.accelerators import create
from accelsim.kernels.ucnn import U_AGG_ADDS, U_FILTERS, U_L, U_LEAF_ADDS, U_MULTS, U_P, ucnn_units
from accelsim.trace import LayerSpec, LayerTrace
from tests.property.geometry import conv_geometry, conv_spec
from tests.reference.ucnn_ref import dense_conv, factorized_conv


@st.composite
def weights(draw, max_m=8, max_c=6):
    groups = draw(st.sampled_from([1, 1, 2]))
    mg = draw(st.integers(1, max_m))
    cg = draw(st.integers(1, max_c))
    R = draw(st.integers(1, 3))
    S = draw(st.integers(1, 3))
    levels = draw(st.sampled_from([[1], [-1, 1], [-2, -1, 1, 2], list(range(-8, 9)), list(range(-100, 101))]))
    zero_p = draw(st.sampled_from([0.0, 0.3, 0.7, 1.0]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    w = rng.choice(np.array(levels, dtype=np.int64), size=(groups * mg, cg, R, S))
    w[rng.random(w.shape) < zero_p] = 0
    return w, groups


def _units(w, groups, G, Ct):
    M, Cg, R, S = w.shape
    return ucnn_units(w.reshape(groups, M // groups, Cg, R * S), G, Ct)


@settings(max_examples=40)
@given(weights(max_m=5, max_c=4), st.sampled_from([1, 2, 4]), st.integers(1, 4), st.data(), st.integers(0, 2**16))
def test_kernel_matches_reference(wg, G, Ct, data, seed):
    """Any geometry: per-axis stride, dilation, asymmetric padding."""
    w, groups = wg
    M, Cg, R, S = w.shape
    H, W, geo = data.draw(conv_geometry(R, S, max_stride=2, max_dilation=2, max_pad=1, max_hw=4))
    rng = np.random.default_rng(seed)
    x = rng.integers(-5, 6, size=(1, Cg * groups, H, W))
    st_, pad, dil = geo["stride"], geo["padding"], geo["dilation"]
    out, ref = factorized_conv(w, x, st_, pad, groups, G, Ct, dilation=dil)
    assert np.array_equal(out, dense_conv(w, x, st_, pad, groups, dilation=dil))   # factorization is exact
    units, per_f = _units(w, groups, G, Ct)
    spec = conv_spec("l", 1, Cg * groups, H, W, M, R, S, groups, geo)
    assert out.shape[2:] == (spec.E, spec.F)
    nef = spec.E * spec.F
    assert int(units[..., U_P].sum()) * nef == ref["P"]
    assert int(units[..., U_LEAF_ADDS].sum()) * nef == ref["leaf_adds"]
    assert int(units[..., U_AGG_ADDS].sum()) * nef == ref["agg_adds"]
    assert int(units[..., U_MULTS].sum()) * nef == ref["mults"]
    assert [int(v) * nef for v in per_f[..., 0].sum(axis=(0, 1, 2))] == ref["mults_f"]
    assert int(per_f[..., 1].sum()) * nef == ref["nnz"]


@settings(max_examples=60)
@given(weights(), st.integers(1, 6))
def test_counting_laws(wg, Ct):
    w, groups = wg
    M, Cg, R, S = w.shape
    u1, f1 = _units(w, groups, 1, Ct)
    # G = 1: P == nnz, leaf adds + mults == nnz, mults == unique non-zero weights of the filter's tile
    nnz1 = f1[..., 0, 1]
    assert np.array_equal(u1[..., U_P], nnz1)
    assert np.array_equal(u1[..., U_LEAF_ADDS] + u1[..., U_MULTS], nnz1)
    wr = w.reshape(groups, M // groups, Cg, R * S)
    for g in range(groups):
        for m in range(M // groups):
            for t, c0 in enumerate(range(0, Cg, Ct)):
                vals = wr[g, m, c0:c0 + Ct]
                assert u1[g, m, t, U_MULTS] == len(np.unique(vals[vals != 0]))
    prev = None
    for G in (1, 2, 4):
        u, f = _units(w, groups, G, Ct)
        mults_f, nnz_f = f[..., 0], f[..., 1]
        L = u[..., U_L][..., None]
        filt = np.arange(G)[None, None, None, :] < u[..., U_FILTERS][..., None]
        assert (mults_f <= nnz_f).all() and (nnz_f <= L * filt).all()
        dense = int((L * filt).sum())
        assert int(mults_f.sum()) + int((nnz_f - mults_f).sum()) + int((L * filt - nnz_f).sum()) == dense
        # mults_j <= U_j * prod_{i<j} (U_i + 1): unique non-zero values of each filter in its tile
        ug = _unique_per_filter(wr, G, Ct)
        bound = ug * np.cumprod(np.concatenate([np.ones_like(ug[..., :1]), ug[..., :-1] + 1], axis=-1), axis=-1)
        assert (mults_f <= bound).all()
        tot = (int(u[..., U_P].sum()), int((u[..., U_LEAF_ADDS] + u[..., U_AGG_ADDS]).sum()))
        if prev is not None:
            assert tot[0] <= prev[0] and tot[1] <= prev[1], (G, tot, prev)
        prev = tot
        assert tot[1] + int(u[..., U_MULTS].sum()) <= int(nnz1.sum())


def _unique_per_filter(wr, G, Ct):
    Gc, Mg, Cg, RS = wr.shape
    FG, T = -(-Mg // G), -(-Cg // Ct)
    out = np.zeros((Gc, FG, T, G), dtype=np.int64)
    for g in range(Gc):
        for fg in range(FG):
            for j in range(min(G, Mg - fg * G)):
                for t in range(T):
                    v = wr[g, fg * G + j, t * Ct:(t + 1) * Ct]
                    out[g, fg, t, j] = len(np.unique(v[v != 0]))
    return out


@settings(max_examples=25)
@given(weights(max_m=6, max_c=5), st.sampled_from([1, 2, 4]), st.integers(1, 2), st.integers(0, 2**16), st.data(),
       st.sampled_from(["spread", "serial"]))
def test_model_conservation_and_counts(wg, G, N, seed, data, mapping):
    w, groups = wg
    M, Cg, R, S = w.shape
    rng = np.random.default_rng(seed)
    H, W, geo = data.draw(conv_geometry(R, S, max_hw=4))
    spec = conv_spec("l", N, Cg * groups, H, W, M, R, S, groups, geo)
    x = rng.integers(0, 4, size=spec.input_shape).astype(np.float32)
    lt = LayerTrace(spec, w.astype(np.float32), x)
    acc = create("ucnn", group_size=G, channel_tile=int(rng.integers(1, 5)), group_mapping=mapping)
    lr = acc.simulate_layer(lt)
    assert lr.macs_executed + lr.macs_reused + lr.macs_skipped + lr.macs_gated == lr.macs_dense
    assert lr.counts[("mult", "random")] == lr.macs_executed
    assert lr.counts[("indirection", "read")] == lr.extra["iit_reads"] + lr.extra["wit_reads"]
    assert lr.cycles >= lr.compute_cycles > 0 or lr.macs_executed == 0
    assert lr.dram_read_bits >= lr.extra["model_bits"]


@settings(max_examples=25, deadline=None)
@given(weights(max_m=16, max_c=12), st.sampled_from([1, 2, 4]), st.integers(1, 3), st.integers(0, 2**16),
       st.sampled_from([64, 256, 1024]))
def test_loop_order_choice(wg, G, N, seed, glb_bytes):
    """With small buffers (so both orders apply): auto's DRAM traffic <= each forced order's; every order
    conserves MACs and executes the same multiplies."""
    w, groups = wg
    M, Cg, R, S = w.shape
    rng = np.random.default_rng(seed)
    H, W = R + int(rng.integers(2, 8)), S + int(rng.integers(0, 4))
    spec = LayerSpec("l", "conv", N, Cg * groups, H, W, M, R, S, 1, 0, groups)
    x = rng.integers(0, 3, size=spec.input_shape).astype(np.float32)
    lt = LayerTrace(spec, w.astype(np.float32), x)
    kw = dict(group_size=G, channel_tile=int(rng.integers(1, 5)), glb_filter_bytes=glb_bytes // 4,
              glb_fmap_bytes=glb_bytes)
    res = {o: create("ucnn", loop_order=o, **kw).simulate_layer(lt) for o in ("auto", "strips", "tables")}
    d = {o: r.dram_read_bits + r.dram_write_bits for o, r in res.items()}
    assert d["auto"] <= d["strips"] and d["auto"] <= d["tables"]
    for r in res.values():
        assert r.macs_executed + r.macs_reused + r.macs_skipped == r.macs_dense
        assert r.macs_executed == res["strips"].macs_executed


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 200), st.sampled_from([4, 8, 12, 16, 20]), st.floats(-12, 6), st.sampled_from([0.0, 0.5, 1.0]),
       st.booleans(), st.integers(0, 2**16))
def test_quantized_keys_kernel_matches_reference(n, bits, log_scale, zero_p, halfway, seed):
    """kernels.ucnn.quantized_weight_keys (the one-pass numba keys and U) == the exact value-by-value
    reference (tests/reference/ucnn_ref.py), including values exactly half a step from a code."""
    from accelsim.kernels.ucnn import quantized_weight_keys
    from tests.reference.ucnn_ref import quantized_keys_ref
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * 2.0 ** log_scale).astype(np.float32)
    if halfway:   # k + 1/2 steps of the binary point f0, which the largest value (63.5 steps) picks
        f0 = bits - 1 - 6
        x = ((rng.integers(-40, 40, n) + 0.5) * 2.0 ** -f0).astype(np.float32)
        x[0] = 63.5 * 2.0 ** -f0
    x[rng.random(n) < zero_p] = 0
    (keys, zk, nk), u = quantized_weight_keys(x, bits)
    ref_keys, ref_u = quantized_keys_ref(x, bits)
    assert keys.reshape(-1).tolist() == ref_keys and u == ref_u and zk == 2 ** (bits - 1) and nk == 2 ** bits
