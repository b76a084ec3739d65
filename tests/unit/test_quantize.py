"""Weight quantizers (accelsim.quantize) and ``accelsim trace quantize``."""
from __future__ import annotations

import json

import numpy as np
import pytest

from accelsim import fixedpoint
from accelsim.cli import main
from accelsim.errors import ConfigError
from accelsim.quantize import inq_levels, max_unique, quantize_trace, quantize_weights
from accelsim.trace import LayerSpec, LayerTrace, Trace, load_trace, save_trace


def _w(rng, shape=(16, 8, 3, 3), zero=0.5):
    w = rng.normal(0, 0.1, shape).astype(np.float32)
    w[rng.random(shape) < zero] = 0
    return w


def test_inq_has_17_values_with_zero_all_powers_of_two(rng):
    w = _w(rng, (64, 32, 3, 3))
    q, st = quantize_weights(w, "inq")
    u = np.unique(q)
    assert st.unique == len(u) == 17 and st.unique_nonzero == 16 and max_unique("inq") == 17
    nz = np.abs(u[u != 0]).astype(np.float64)
    assert np.array_equal(np.log2(nz), np.round(np.log2(nz)))          # +-2^k only
    levels = inq_levels(float(np.abs(w).max()))
    assert len(levels) == 9 and set(np.abs(u)) <= set(levels.astype(np.float32))
    assert (q[w == 0] == 0).all() and st.nonzero_before == np.count_nonzero(w)
    assert st.new_zeros == int(((w != 0) & (q == 0)).sum())


def test_inq_rounding_rule_on_hand_values():
    # max 1.0 -> n1 = floor(log2(4/3)) = 0, n2 = -7: levels 0, 2^-7 .. 1
    w = np.array([1.0, 0.74, 0.76, -0.3, 2 ** -8 * 0.99, 2 ** -8, 0.0], dtype=np.float32)
    q, _ = quantize_weights(w, "inq")
    assert q.tolist() == [1.0, 0.5, 1.0, -0.25, 0.0, 2 ** -7, 0.0]


def test_ttq_is_ternary_with_mean_scales(rng):
    w = _w(rng)
    q, st = quantize_weights(w, "ttq")
    assert st.unique <= 3 and st.unique_nonzero <= 2
    delta = 0.05 * np.abs(w).max()
    assert np.isclose(q[w > delta].max(), w[w > delta].mean())
    assert np.isclose(q[w < -delta].min(), w[w < -delta].mean())
    assert (q[np.abs(w) <= delta] == 0).all()


def test_uniform_8bit_grid_and_error(rng):
    w = _w(rng, (64, 64, 3, 3), zero=0.3)
    q, st = quantize_weights(w, "uniform", 8)
    step = np.abs(w).max() / 127
    assert st.unique <= 255 and st.unique > 100
    assert np.abs(q - w).max() <= step / 2 + 1e-7
    assert np.allclose(np.round(q / step), q / step, atol=1e-3)
    assert (q[w == 0] == 0).all()


@pytest.mark.parametrize("scheme,bits", [("inq", 5), ("ttq", 2), ("uniform", 8), ("uniform", 4)])
def test_16bit_fixed_point_keeps_the_levels_distinct(rng, scheme, bits):
    """The accelerator models quantize to 16-bit codes: the quantized levels must survive exactly."""
    q, st = quantize_weights(_w(rng), scheme, bits)
    codes, _ = fixedpoint.quantize(q, 16)
    assert len(np.unique(codes)) == st.unique
    assert np.array_equal(codes == 0, q == 0)


@pytest.mark.parametrize("scheme,bits", [("foo", None), ("ttq", 4), ("inq", 2), ("inq", 9), ("uniform", 1),
                                         ("uniform", 16)])
def test_bad_scheme_or_bits(scheme, bits):
    with pytest.raises(ConfigError):
        quantize_weights(np.ones(4, dtype=np.float32), scheme, bits)


def test_all_zero_layer():
    for s in ("inq", "ttq", "uniform"):
        q, st = quantize_weights(np.zeros((2, 3), dtype=np.float32), s)
        assert (q == 0).all() and st.unique == 1 and st.unique_nonzero == 0


def _trace(rng, outputs=True):
    spec = LayerSpec("c1", "conv", 1, 4, 6, 6, 8, 3, 3, 1, 1)
    x = np.abs(rng.normal(size=spec.input_shape)).astype(np.float32)
    out = np.zeros(spec.output_shape, dtype=np.float32) if outputs else None
    fc = LayerSpec("fc", "fc", 1, 8, 1, 1, 5, 1, 1)
    return Trace("t", [LayerTrace(spec, _w(rng, spec.weight_shape), x, out),
                       LayerTrace(fc, _w(rng, fc.weight_shape), np.ones(fc.input_shape, np.float32))],
                 source={"synthetic": True, "seed": 3})


def test_quantize_trace_records_source_and_drops_outputs(rng):
    tr = _trace(rng)
    q = quantize_trace(tr, "inq")
    rec = q.source["quantization"]
    assert rec["scheme"] == "inq" and rec["bits"] == 5 and rec["outputs_dropped"] is True
    assert set(rec["layers"]) == {"c1", "fc"} and q.source["seed"] == 3
    assert all(lt.outputs is None for lt in q.layers)
    assert all(np.array_equal(a.inputs, b.inputs) for a, b in zip(tr.layers, q.layers))
    assert rec["layers"]["c1"]["unique"] == len(np.unique(q.layers[0].weights))


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_quantize_then_inspect_unique_per_filter(tmp_path, capsys, rng):
    src = save_trace(_trace(rng), tmp_path / "t.npz")
    code, so, se = run(capsys, "trace", "quantize", str(src), "--scheme", "ttq", "--out", str(tmp_path / "q"))
    assert code == 0, se
    assert "ttq 2-bit" in so
    tr = load_trace(tmp_path / "q.npz")
    assert tr.source["quantization"]["scheme"] == "ttq"
    code, so, _ = run(capsys, "trace", "inspect", str(tmp_path / "q.npz"), "--json")
    info = json.loads(so)
    assert all(d["unique_nonzero_per_filter_max"] <= 2 and d["unique_nonzero_weights"] <= 2
               for d in info["layers"])


def test_cli_quantize_errors_exit_3_with_one_line(tmp_path, capsys, rng):
    src = save_trace(_trace(rng), tmp_path / "t.npz")
    for argv in (["--scheme", "ttq", "--bits", "4"], ["--scheme", "uniform", "--bits", "20"]):
        code, _, se = run(capsys, "trace", "quantize", str(src), *argv, "--out", str(tmp_path / "x"))
        assert code == 3 and len(se.strip().splitlines()) == 1 and "bits" in se
    code, _, se = run(capsys, "trace", "quantize", str(tmp_path / "missing.npz"), "--scheme", "inq",
                      "--out", str(tmp_path / "x"))
    assert code == 3 and len(se.strip().splitlines()) == 1
    with pytest.raises(SystemExit) as e:
        main(["trace", "quantize", str(src), "--scheme", "binary", "--out", str(tmp_path / "x")])
    assert e.value.code == 2


def test_cli_quantize_help_explains_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["trace", "quantize", "--help"])
    out = capsys.readouterr().out
    for word in ("--scheme", "--bits", "--out", "TRACE", "inq", "ttq", "uniform", "17 values"):
        assert word in out


def test_kmeans_codebook_has_16_entries_with_zero_and_keeps_zeros():
    """EIE's 4-bit codebook: zero + 15 shared non-zero weights; pruned weights stay pruned."""
    from accelsim.quantize import quantize_weights
    rng = np.random.default_rng(0)
    w = rng.standard_normal((64, 50)).astype(np.float32)
    w[rng.random(w.shape) < 0.8] = 0
    q, st = quantize_weights(w, "kmeans", 4)
    assert st.unique <= 16 and 0.0 in np.unique(q)
    assert np.all(q[w == 0] == 0)
    # each non-zero weight went to its nearest centroid: error below half the largest centroid gap
    cent = np.unique(q[q != 0])
    assert np.abs(q - w)[w != 0].max() <= np.diff(cent).max() / 2 + 1e-6


def test_kmeans_centroids_are_cluster_means_on_separated_data():
    """Three well-separated clusters and k = 3: Lloyd converges to the three means (worked by hand)."""
    from accelsim.quantize import kmeans_codebook
    v = np.array([-2.1, -2.0, -1.9, 0.9, 1.0, 1.1, 5.0, 5.2])
    assert np.allclose(kmeans_codebook(v, 3), [-2.0, 1.0, 5.1])
