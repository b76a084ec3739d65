"""``timing_model: misim`` (all rules) against the cycle-by-cycle reference of MIsim's components
(tests/reference/misim_events.py: every tile, unit and memory port, reads merged in the memory queue,
the components of a cycle woken in a fixed order).  The kernel is a closed form for one tile's lanes
that assumes the 16 tiles stay in lockstep; the reference does not assume it."""
import numpy as np
from hypothesis import assume, given, settings, strategies as st

from accelsim.accelerators.registry import create
from accelsim.trace.format import LayerSpec, LayerTrace
from tests.reference.misim_events import layer_cycles


def accelsim(arch, x, M, K, stride, pad, cost):
    C, H, W = x.shape
    spec = LayerSpec("l", "conv", 1, C, H, W, M, K, K, stride, pad)
    lt = LayerTrace(spec, np.ones((M, C, K, K), np.float32), x[None].astype(np.float32))
    return create(arch, None, timing_model="misim", misim_chunk_cost=cost).simulate_layer(lt).cycles


@settings(max_examples=25, deadline=None)
@given(C=st.integers(1, 40), H=st.integers(2, 6), K=st.integers(1, 3), stride=st.integers(1, 2),
       pad=st.integers(0, 1), M=st.sampled_from([16, 64, 512]), density=st.sampled_from([0.0, 0.2, 0.6, 1.0]),
       cost=st.sampled_from(["nnz", "original"]), seed=st.integers(0, 2**16))
def test_cnvlutin_misim_equals_the_component_reference(C, H, K, stride, pad, M, density, cost, seed):
    K = min(K, H + 2 * pad)
    x = (np.random.default_rng(seed).random((C, H, H)) < density).astype(float)
    ref = layer_cycles(x, M, K, stride, pad, zf=1, original_size=cost == "original")
    assert accelsim("cnvlutin", x, M, K, stride, pad, cost) == ref


@settings(max_examples=25, deadline=None)
@given(C=st.integers(2, 70), H=st.integers(2, 6), K=st.integers(1, 3), stride=st.integers(1, 2),
       pad=st.integers(0, 1), M=st.sampled_from([16, 64, 512]), seed=st.integers(0, 2**16))
def test_dadiannao_misim_equals_the_component_reference(C, H, K, stride, pad, M, seed):
    K = min(K, H + 2 * pad)
    assume(C * K * K % 256 == 0 or C * K * K % 256 >= 16)  # MIsim asserts on a chunk of < 16 values
    x = np.random.default_rng(seed).random((C, H, H))
    assert accelsim("dadiannao", x, M, K, stride, pad, "nnz") == layer_cycles(x, M, K, stride, pad, zf=0)


def _key(rank, T=16, L=16):
    def key(e):
        return rank[0 if e[0] == "M" else (1 + e[1] if e[0] == "C" else 1 + T + e[1] * L + e[2])]
    return key


@settings(max_examples=15, deadline=None)
@given(C=st.integers(1, 40), H=st.integers(2, 5), K=st.integers(1, 3), stride=st.integers(1, 2),
       pad=st.integers(0, 1), M=st.sampled_from([16, 512]), density=st.sampled_from([0.2, 0.6, 1.0]),
       cost=st.sampled_from(["nnz", "original"]), wake_seed=st.integers(0, 2**16), seed=st.integers(0, 2**16))
def test_shuffled_wake_order_equals_the_reference_in_the_same_order(C, H, K, stride, pad, M, density, cost,
                                                                    wake_seed, seed):
    K = min(K, H + 2 * pad)
    x = (np.random.default_rng(seed).random((C, H, H)) < density).astype(float)
    spec = LayerSpec("l", "conv", 1, C, H, H, M, K, K, stride, pad)
    lt = LayerTrace(spec, np.ones((M, C, K, K), np.float32), x[None].astype(np.float32))
    arch = create("cnvlutin", None, timing_model="misim", misim_chunk_cost=cost, misim_wake_order="shuffled",
                  misim_wake_seed=wake_seed)
    rank = arch.config.misim_timing().wake_rank(16)
    ref = layer_cycles(x, M, K, stride, pad, zf=1, original_size=cost == "original", order=_key(rank))
    assert arch.simulate_layer(lt).cycles == ref


@settings(max_examples=40, deadline=None)
@given(L=st.integers(1, 16), T=st.integers(1, 16), chunks=st.integers(1, 4), nb=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_component_walk_in_the_fixed_order_is_the_lockstep_kernel(L, T, chunks, nb, seed):
    """Woken memory, tiles, units, the tiles stay in lockstep, and the walk of every component gives the
    one-tile closed form (kernels/misim.py) on random chunk lists (0: an all-zero chunk)."""
    from accelsim.kernels.misim import window_time
    from accelsim.kernels.misim import wake_window
    rng = np.random.default_rng(seed)
    lat = rng.integers(0, 17, size=(L, chunks)).astype(np.int64)
    nch = rng.integers(1, chunks + 1, size=L).astype(np.int64)
    q = np.maximum(1, -(-lat // 32))
    lock = window_time(lat, lat == 0, q, nch, nb, 1, 2, True, 8 * nb)
    assert wake_window(lat, lat == 0, lat.copy(), nch, nb, T, 32, 2, 8, np.arange(1 + T + T * L)) == lock


def _hashes(rng, n, style):
    """n distinct signed 64-bit hashes: full-range, or object-address-like (a base plus multiples of 16,
    rotated right 4 bits as CPython 2.7 hashes an object, so that the low bits collide often)."""
    if style == "random":
        h = rng.integers(-2**63, 2**63 - 1, size=4 * n, dtype=np.int64)
        return list(dict.fromkeys(h.tolist()))[:n]
    base = 0x7F0000000000 + 4096 * int(rng.integers(0, 2**20))
    addr = base + 16 * rng.choice(2**14, size=n, replace=False)
    rot = [((a >> 4) | (a << 60)) & (2**64 - 1) for a in addr.tolist()]
    return [r - 2**64 if r >= 2**63 else r for r in rot]


@settings(max_examples=15, deadline=None)
@given(C=st.integers(1, 40), H=st.integers(2, 5), K=st.integers(1, 3), stride=st.integers(1, 2),
       pad=st.integers(0, 1), M=st.sampled_from([16, 512]), density=st.sampled_from([0.2, 0.6, 1.0]),
       cost=st.sampled_from(["nnz", "original"]), style=st.sampled_from(["random", "address"]),
       wake_seed=st.integers(0, 2**16), seed=st.integers(0, 2**16))
def test_cpython_wake_order_equals_the_reference_with_the_same_hashes(C, H, K, stride, pad, M, density, cost,
                                                                     style, wake_seed, seed):
    """misim_wake_order cpython: the kernel's walk (sets and dicts emulated in numba) equals the reference's
    (emulated in Python, per cycle and per read) under random component and requester hashes."""
    import json
    import tempfile
    K = min(K, H + 2 * pad)
    x = (np.random.default_rng(seed).random((C, H, H)) < density).astype(float)
    rng = np.random.default_rng(wake_seed)
    comps, reqs = _hashes(rng, 1 + 16 + 256, style), _hashes(rng, 256, style)
    spec = LayerSpec("l", "conv", 1, C, H, H, M, K, K, stride, pad)
    lt = LayerTrace(spec, np.ones((M, C, K, K), np.float32), x[None].astype(np.float32))
    with tempfile.TemporaryDirectory() as td:
        path = f"{td}/wake.json"
        with open(path, "w") as f:
            json.dump({"components": comps, "requesters": reqs}, f)
        arch = create("cnvlutin", None, timing_model="misim", misim_chunk_cost=cost, misim_wake_order="cpython",
                      misim_wake_file=path)
        got = arch.simulate_layer(lt).cycles
    ref = layer_cycles(x, M, K, stride, pad, zf=1, original_size=cost == "original", hashes=(comps, reqs))
    assert got == ref


@settings(max_examples=60, deadline=None)
@given(length=st.integers(1, 80), nb=st.integers(1, 2), density=st.sampled_from([0.1, 0.3, 0.7, 1.0]),
       style=st.sampled_from(["random", "address"]), seed=st.integers(0, 2**16))
def test_cpython_wake_walk_equals_the_reference_window(length, nb, density, style, seed):
    """One window of 16 tiles x 16 lanes, each lane a random stream of ``length`` values (chunks of 16:
    steps = non-zeros, all-zero chunks skipped): the kernel's walk under random hashes equals the
    reference's window."""
    from accelsim.kernels.misim import wake_window
    from tests.reference.misim_events import window_cycles
    rng = np.random.default_rng(seed)
    streams = [(rng.random(length) < density * rng.random()).astype(float) for _ in range(16)]
    comps, reqs = _hashes(rng, 1 + 16 + 256, style), _hashes(rng, 256, style)
    maxc = -(-length // 16)
    lat = np.zeros((16, maxc), dtype=np.int64)
    for u, s in enumerate(streams):
        for k in range(maxc):
            lat[u, k] = np.count_nonzero(s[16 * k:16 * (k + 1)])
    nch = np.full(16, maxc, dtype=np.int64)
    h = (np.array(comps, dtype=np.int64).view(np.uint64), np.array(reqs, dtype=np.int64).view(np.uint64))
    got = wake_window(lat, lat == 0, lat.copy(), nch, nb, 16, 32, 2, 8, np.zeros(0, dtype=np.int64), *h)
    assert got == window_cycles(streams, 1, nb, 0, hashes=(comps, reqs))
