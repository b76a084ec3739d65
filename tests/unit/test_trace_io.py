"""Trace format v1: round trip, and one test per loader error (each names the file, layer and field)."""
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from accelsim.cli import main
from accelsim.errors import TraceError
from accelsim.trace import LayerSpec, LayerTrace, Trace, load_trace, read_manifest, save_trace


def tiny_trace(rng, outputs=False):
    conv = LayerSpec("conv1", "conv", 2, 4, 6, 6, 8, 3, 3, stride=1, padding=1, groups=2)
    fc = LayerSpec("fc1", "fc", 2, 32, 1, 1, 10, 1, 1)
    layers = []
    for s in (conv, fc):
        w = rng.standard_normal(s.weight_shape).astype(np.float32)
        x = np.maximum(rng.standard_normal(s.input_shape), 0).astype(np.float32)
        y = rng.random(s.output_shape).astype(np.float32) if outputs else None
        layers.append(LayerTrace(s, w, x, y))
    return Trace("tiny", layers, {"synthetic": True, "seed": 0})


def write_raw(path, manifest, arrays):
    np.savez(path, manifest=np.array(json.dumps(manifest)), **arrays)


def good_parts(rng):
    t = tiny_trace(rng)
    arrays = {f"{lt.name}.{k}": getattr(lt, k) for lt in t.layers for k in ("weights", "inputs")}
    return t.manifest(), arrays


def test_round_trip_preserves_every_tensor(tmp_path, rng):
    t = tiny_trace(rng, outputs=True)
    p = save_trace(t, tmp_path / "t.npz")
    u = load_trace(p)
    assert u.network == "tiny" and u.source == {"synthetic": True, "seed": 0} and u.synthetic
    for a, b in zip(t.layers, u.layers):
        assert a.spec == b.spec
        for k in ("weights", "inputs", "outputs"):
            np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    m = read_manifest(p)
    assert m["format"] == "accelsim-trace" and m["version"] == 1
    assert "E" not in m["layers"][0]  # derived sizes are never stored


def test_derived_sizes_and_macs():
    """AlexNet conv1: (227 - 11) / 4 + 1 = 55; MACs = 96*55*55*3*11*11 = 105,415,200 per image."""
    s = LayerSpec("conv1", "conv", 1, 3, 227, 227, 96, 11, 11, stride=4)
    assert (s.E, s.F) == (55, 55) and s.macs_dense == 105_415_200
    fc = LayerSpec("fc6", "fc", 4, 9216, 1, 1, 4096, 1, 1)
    assert fc.macs_dense == 4 * 9216 * 4096 and fc.weight_shape == (4096, 9216)


@pytest.mark.parametrize("mutate, match", [
    (lambda m, a: m["layers"][0].pop("M"), "conv1.*missing field.*M"),
    (lambda m, a: m["layers"][0].update(N=-1), "conv1.*'N' must be >= 1"),
    (lambda m, a: m["layers"][0].update(C=0), "conv1.*'C' must be >= 1"),
    (lambda m, a: m["layers"][0].update(R="3"), "conv1.*'R' must be an integer"),
    (lambda m, a: m["layers"][0].update(kind="deconv"), "conv1.*'kind'"),
    (lambda m, a: m["layers"][0].update(groups=3), "conv1.*groups"),
    (lambda m, a: m["layers"][0].update(colour="red"), "conv1.*unknown field.*colour"),
    (lambda m, a: m["layers"][1].update(R=3), "fc1.*fc layer needs R=1"),
    (lambda m, a: m.update(version=2), "unknown trace format version 2"),
    (lambda m, a: m.update(format="other"), "field 'format'"),
    (lambda m, a: m.update(layers=[]), "field 'layers'"),
    (lambda m, a: a.pop("fc1.inputs"), "fc1.*'inputs'.*missing"),
    (lambda m, a: a.update({"conv1.weights": np.zeros((8, 2, 3, 2), np.float32)}), "conv1.*'weights'.*shape"),
    (lambda m, a: a["conv1.inputs"].__setitem__((0, 0, 0, 0), np.nan), "conv1.*'inputs'.*NaN"),
    (lambda m, a: a["fc1.weights"].__setitem__((0, 0), np.inf), "fc1.*'weights'.*infinite"),
    (lambda m, a: a.update({"conv1.inputs": a["conv1.inputs"] > 0}), "conv1.*'inputs'.*dtype bool"),
    (lambda m, a: m["layers"].append(dict(m["layers"][0])), "duplicate layer"),
])
def test_loader_errors_name_file_layer_and_field(tmp_path, rng, mutate, match):
    m, a = good_parts(rng)
    mutate(m, a)
    p = tmp_path / "bad.npz"
    write_raw(p, m, a)
    with pytest.raises(TraceError, match=match) as e:
        load_trace(p)
    assert str(p) in str(e.value)


def test_missing_file_directory_and_not_npz(tmp_path):
    with pytest.raises(TraceError, match="no such file"):
        load_trace(tmp_path / "none.npz")
    with pytest.raises(TraceError, match="directory"):
        load_trace(tmp_path)
    p = tmp_path / "text.npz"
    p.write_text("hello")
    with pytest.raises(TraceError, match="not a zip archive"):
        load_trace(p)
    q = tmp_path / "one.npy"
    np.save(q, np.zeros(3))
    with pytest.raises(TraceError, match="single .npy"):
        load_trace(q)


def test_truncated_file(tmp_path, rng):
    p = save_trace(tiny_trace(rng), tmp_path / "t.npz")
    data = p.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(TraceError):
        load_trace(cut)


def test_corrupt_member(tmp_path, rng):
    """Flip bytes inside a compressed member: the loader reports the layer, not a zlib traceback."""
    p = save_trace(tiny_trace(rng), tmp_path / "t.npz")
    with zipfile.ZipFile(p) as z:
        info = z.getinfo("conv1.inputs.npy")
    data = bytearray(p.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + 60
    for i in range(start, start + 40):
        data[i] ^= 0xFF
    bad = tmp_path / "bad.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(TraceError, match="conv1"):
        load_trace(bad)


def test_pickled_object_array_is_never_loaded(tmp_path, rng):
    m, a = good_parts(rng)
    a["conv1.inputs"] = np.array([{"evil": 1}], dtype=object)
    p = tmp_path / "pickled.npz"
    np.savez(p, manifest=np.array(json.dumps(m)), **a)
    with pytest.raises(TraceError, match="Python objects"):
        load_trace(p)


def test_manifest_not_json_and_not_unicode(tmp_path, rng):
    _, a = good_parts(rng)
    p = tmp_path / "m.npz"
    np.savez(p, manifest=np.array("{not json"), **a)
    with pytest.raises(TraceError, match="not valid JSON"):
        load_trace(p)
    np.savez(p, manifest=np.zeros(3), **a)
    with pytest.raises(TraceError, match="0-d unicode"):
        load_trace(p)
    np.savez(p, **a)
    with pytest.raises(TraceError, match="no 'manifest'"):
        load_trace(p)


def test_cli_bad_trace_exits_3_with_one_line(tmp_path, capsys):
    p = tmp_path / "text.npz"
    p.write_text("hello")
    assert main(["simulate", str(p), "--arch", "dadiannao"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("accelsim: error:") and str(p) in err[0]


def test_cli_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["simulate"])
    assert e.value.code == 2


def test_fixedpoint_nonzero_mask_matches_quantize(rng):
    """The fast comparison must agree with rounding to 16-bit codes, including the 0.5-LSB edge."""
    from accelsim import fixedpoint
    for scale in (1e-3, 1.0, 300.0):
        x = (rng.standard_normal(10000) * scale).astype(np.float32)
        f = fixedpoint.frac_bits_for(x)
        lsb = np.float32(2.0 ** -f)
        x[:4] = [0.5 * lsb, -0.5 * lsb, np.nextafter(np.float32(0.5 * lsb), np.float32(1)), 0.0]
        q, _ = fixedpoint.quantize(x)
        np.testing.assert_array_equal(fixedpoint.nonzero_mask(x), q != 0)


def test_random_corruption_only_ever_raises_trace_error(tmp_path, rng):
    """Seeded fuzz: truncations and byte flips of a real trace either load or raise TraceError -- never
    another exception (zipfile once leaked NotImplementedError for a corrupted version field)."""
    import random
    import warnings

    src = (Path(__file__).parents[2] / "traces" / "seed1_magnitude90.npz").read_bytes()
    r = random.Random(1)
    p = tmp_path / "f.npz"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(200):
            b = bytearray(src)
            if i % 2:
                b = b[: r.randrange(len(b))]
            else:
                for _ in range(r.randint(1, 30)):
                    b[r.randrange(len(b))] = r.randrange(256)
            p.write_bytes(bytes(b))
            try:
                load_trace(p)
            except TraceError:
                pass
