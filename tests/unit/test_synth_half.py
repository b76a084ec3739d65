"""The float16 synthetic generator (accelsim/trace/synth_stream.py) keeps the documented statistics:
exact non-zero counts, uniformly random positions, values distributed as the nearest float16 of
clip(|z|, MAG_MIN, MAG_MAX) * std (checked against numpy draws of that rule and against the normal CDF);
same seed, same file bytes; memory bounded by the chunk, not the layer.  Fixed seeds: no test is flaky."""
from __future__ import annotations

import math
import tracemalloc

import numpy as np

from accelsim.trace import load_trace
from accelsim.trace.synth import MAG_MAX, MAG_MIN, exact_count, synth_plan, synth_trace, write_synth
from accelsim.trace.synth_stream import HalfTensor, draw_dense, half_table


def test_exact_counts_and_signs_per_tensor():
    t = synth_trace("alexnet", 2, 5, "han2015", "eyeriss-alexnet", "conv", values="float16")
    for i, lt in enumerate(t.layers):
        for arr, d in ((lt.weights, t.source["weight_density"]["per_layer"][lt.name]),
                       (lt.inputs, t.source["act_density"]["per_layer"][lt.name])):
            assert np.count_nonzero(arr) == exact_count(d, arr.size)
        assert (lt.inputs >= 0).all() == (i > 0)      # half-normal after the first layer, signed in it
        w = lt.weights[lt.weights != 0]
        assert abs((w > 0).mean() - 0.5) < 5 * 0.5 / math.sqrt(w.size)


def test_positions_are_uniform_single_and_in_pairs():
    n, k, trials = 40, 13, 4000
    counts = np.zeros(n)
    pairs = np.zeros(n - 1)
    for s in range(trials):
        x = draw_dense(HalfTensor(n, k, 1.0, False, s, 0, 0), (n,)) != 0
        counts += x
        pairs += x[:-1] & x[1:]
    p = k / n
    z = (counts - trials * p) / math.sqrt(trials * p * (1 - p))
    assert np.sum(z ** 2) < (n - 1) + 6 * math.sqrt(2 * (n - 1))   # chi-square(39), far tail
    q = k * (k - 1) / (n * (n - 1))                                 # P(two given positions both taken)
    assert np.abs(pairs - trials * q).max() < 5 * math.sqrt(trials * q * (1 - q))


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    grid = np.union1d(a, b)
    fa = np.searchsorted(np.sort(a), grid, side="right") / a.size
    fb = np.searchsorted(np.sort(b), grid, side="right") / b.size
    return float(np.abs(fa - fb).max())


def test_values_follow_the_rounded_clipped_normal():
    n = 400_000
    for std in (1.0, math.sqrt(2.0 / 1152)):
        got = HalfTensor(n, n, std, False, 7, 1, 1).values().take(n).view(np.float16).astype(np.float64)
        z = np.abs(np.random.default_rng(1).standard_normal(n))
        want = (np.clip(z, MAG_MIN, MAG_MAX) * std).astype(np.float16).astype(np.float64)  # the rule, in numpy
        assert _ks(got, want) < 1.95 * math.sqrt(2 / n) * 1.5                # KS, well beyond alpha = 0.001
        lo = float(np.float16(MAG_MIN * std))
        p_lo = math.erf(MAG_MIN / math.sqrt(2))    # the lower clip's atom (plus a sliver up to the midpoint)
        assert abs((got == lo).mean() - p_lo) < 0.002
        assert got.min() == lo and got.max() <= float(np.float16(MAG_MAX * std))
        # P(value <= 1.0 * std-ish boundary): nearest float16 <= h  <=>  |z| std < midpoint(h, next h)
        h = np.float16(std)
        mid = (float(h) + float(np.nextafter(h, np.float16(np.inf)))) / 2
        assert abs((got <= float(h)).mean() - math.erf(mid / std / math.sqrt(2))) < 5 * 0.5 / math.sqrt(n)


def test_alias_table_masses_match_the_normal_cdf():
    std = 0.3
    entries, bits = half_table(std)
    thr = (entries >> np.uint64(32)).astype(np.float64)
    prim = (entries & np.uint64(0xFFFF)).astype(np.uint16)
    alias = ((entries >> np.uint64(16)) & np.uint64(0xFFFF)).astype(np.uint16)
    mass: dict[int, float] = {}
    for t, a, b in zip(thr, prim, alias):
        mass[int(a)] = mass.get(int(a), 0.0) + t / 2.0 ** 32
        mass[int(b)] = mass.get(int(b), 0.0) + (2.0 ** 32 - t) / 2.0 ** 32
    total = sum(mass.values()) / 2 ** bits
    assert abs(total - 1) < 1e-12
    # every float16 of [0.5, 1) std: its probability from the definition, outcome by outcome
    for v in np.arange(0x3400, 0x3600, 17, dtype=np.uint16).view(np.float16):   # 0.25 .. 0.375
        lo = (float(v) + float(np.nextafter(v, np.float16(0)))) / 2 / std
        hi = (float(v) + float(np.nextafter(v, np.float16(np.inf)))) / 2 / std
        p = math.erf(hi / math.sqrt(2)) - math.erf(lo / math.sqrt(2))
        assert abs(mass.get(int(v.view(np.uint16)), 0.0) / 2 ** bits - p) < 1e-12


def test_same_seed_same_file_and_layers_independent_of_the_selection(tmp_path):
    args = ("vgg16", 1, 3, 0.4, 0.5, "conv")
    a = write_synth(synth_plan(*args, values="float16"), tmp_path / "a.npz", storage="packed")
    b = write_synth(synth_plan(*args, values="float16"), tmp_path / "b.npz", storage="packed")
    assert a.read_bytes() == b.read_bytes()
    c = write_synth(synth_plan("vgg16", 1, 4, 0.4, 0.5, "conv", values="float16"), tmp_path / "c.npz",
                    storage="packed")
    assert c.read_bytes() != a.read_bytes()
    one = synth_trace("vgg16", 1, 3, 0.4, 0.5, ["conv3_1"], values="float16").layers[0]
    full = load_trace(a, layers=["conv3_1"]).layers[0]
    assert np.array_equal(one.weights, full.weights) and np.array_equal(one.inputs, full.inputs)


def test_streaming_write_holds_chunks_not_layers(tmp_path):
    plan = synth_plan("vgg16", 1, 0, "dense", 0.5, ["conv1_2"], batch_scale={"conv1_2": 10},
                      values="float16")  # 32 M input values
    n = int(np.prod(plan.specs[0].input_shape))
    write_synth(synth_plan("lenet5", values="float16"), tmp_path / "warm.npz", storage="packed")  # compile first
    tracemalloc.start()
    try:
        p = write_synth(plan, tmp_path / "big.npz", storage="packed")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert 4 * n > 100e6 and peak < 30e6       # float32 inputs would be 120 MB; chunks are 8 MB
    x = load_trace(p).layers[0].inputs
    assert np.count_nonzero(x) == exact_count(0.5, n)
