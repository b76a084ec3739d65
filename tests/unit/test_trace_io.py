"""Trace format v2 (and v1 still loading): round trip, and one test per loader error (each names the file,
layer and field)."""
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
    """A v2 manifest and its arrays, keyed by layer index (layer0 = conv1, layer1 = fc1)."""
    t = tiny_trace(rng)
    arrays = {f"layer{i}.{k}": getattr(lt, k) for i, lt in enumerate(t.layers) for k in ("weights", "inputs")}
    return t.manifest(), arrays


def v1_parts(rng):
    """The same trace written by hand in format v1: integer stride/padding, arrays keyed by layer name."""
    t = tiny_trace(rng)
    layers = [{"name": lt.name, "kind": lt.spec.kind, "N": lt.spec.N, "C": lt.spec.C, "H": lt.spec.H,
               "W": lt.spec.W, "M": lt.spec.M, "R": lt.spec.R, "S": lt.spec.S, "stride": 1,
               "padding": 1 if lt.spec.kind == "conv" else 0, "groups": lt.spec.groups} for lt in t.layers]
    m = {"format": "accelsim-trace", "version": 1, "network": "tiny", "source": {}, "layers": layers}
    arrays = {f"{lt.name}.{k}": getattr(lt, k) for lt in t.layers for k in ("weights", "inputs")}
    return t, m, arrays


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
    assert m["format"] == "accelsim-trace" and m["version"] == 2
    assert "E" not in m["layers"][0]  # derived sizes are never stored
    assert m["layers"][0]["stride"] == [1, 1] and m["layers"][0]["padding"] == [1, 1, 1, 1]
    assert m["skipped"] == []
    with zipfile.ZipFile(p) as z:  # arrays keyed by index, never by (display) name
        assert sorted(z.namelist()) == sorted(f"layer{i}.{k}.npy" for i in (0, 1)
                                              for k in ("weights", "inputs", "outputs")) + ["manifest.npy"]


def test_v1_file_still_loads(tmp_path, rng):
    t, m, a = v1_parts(rng)
    p = tmp_path / "v1.npz"
    write_raw(p, m, a)
    u = load_trace(p)
    assert [lt.spec for lt in u.layers] == [lt.spec for lt in t.layers] and u.skipped == []
    np.testing.assert_array_equal(u.layers[0].inputs, t.layers[0].inputs)
    assert read_manifest(p)["version"] == 1
    assert load_trace(p, layers=["fc1"]).layers[0].name == "fc1"
    assert u.coverage()["recorded"] is False and u.coverage()["fraction"] is None
    from accelsim.trace.format import coverage_line
    assert "unknown" in coverage_line(u.coverage())


@pytest.mark.parametrize("mutate, match", [
    (lambda m, a: m["layers"][0].update(stride=[2, 1]), "conv1.*'stride' must be an integer"),
    (lambda m, a: m["layers"][0].update(dilation=2), "conv1.*unknown field.*dilation.*version 1"),
    (lambda m, a: m.update(skipped=[]), "'skipped' is not part of format version 1"),
    (lambda m, a: a.pop("conv1.weights"), "conv1.*'weights'.*missing"),
])
def test_v1_loader_errors(tmp_path, rng, mutate, match):
    _, m, a = v1_parts(rng)
    mutate(m, a)
    p = tmp_path / "bad.npz"
    write_raw(p, m, a)
    with pytest.raises(TraceError, match=match) as e:
        load_trace(p)
    assert str(p) in str(e.value)


def test_any_display_name_round_trips(tmp_path, rng):
    """Names from ONNX graphs ('/layer1/0/conv1/Conv'), nn.Sequential ('0') or with dots survive a save."""
    names = ["/layer1/0/conv1/Conv", "0", "features.3", "a b\\c"]
    layers = []
    for n in names:
        s = LayerSpec(n, "fc", 1, 4, 1, 1, 3, 1, 1)
        layers.append(LayerTrace(s, rng.standard_normal(s.weight_shape).astype(np.float32),
                                 rng.standard_normal(s.input_shape).astype(np.float32)))
    p = save_trace(Trace("names", layers), tmp_path / "n.npz")
    u = load_trace(p, layers=["0", "/layer1/0/conv1/Conv"])
    assert [lt.name for lt in u.layers] == ["/layer1/0/conv1/Conv", "0"]
    np.testing.assert_array_equal(u.layers[1].weights, layers[1].weights)
    for bad in ("", "a\nb", "tab\there", "nul\x00"):
        with pytest.raises(TraceError, match="layer name"):
            LayerSpec(bad, "fc", 1, 4, 1, 1, 3, 1, 1)


def test_skipped_round_trip_and_coverage(tmp_path, rng):
    """Coverage = traced dense MACs / (traced + skipped MACs where defined), worked by hand:
    conv1 2*8*6*6*2*3*3 = 10,368 MACs, fc1 2*32*10 = 640; a skipped op of 1,000 MACs -> 11,008 / 12,008."""
    t = tiny_trace(rng)
    t.skipped = [{"name": "/conv1d/Conv", "type": "Conv1d", "macs": 1000},
                 {"name": "emb", "type": "Embedding", "macs": None, "reason": "no MACs defined"}]
    from accelsim.trace.format import check_skipped
    t.skipped = check_skipped(t.skipped)
    p = save_trace(t, tmp_path / "s.npz")
    u = load_trace(p)
    assert u.skipped == t.skipped
    cov = u.coverage()
    assert cov["macs_traced"] == 11_008 and cov["macs_skipped"] == 1000
    assert cov["fraction"] == pytest.approx(11_008 / 12_008) and cov["skipped_without_macs"] == 1
    from accelsim.trace.format import coverage_line
    assert "91.7%" in coverage_line(cov) and "1 of them without a defined MAC count" in coverage_line(cov)
    assert "covers 100.0%" in coverage_line(tiny_trace(rng).coverage())


def test_geometry_per_axis_worked_by_hand():
    """PyTorch's output size rule per axis, worked by hand:
    - dilation 2, 3x3, pad 2, H=W=10: extent 2*2+1 = 5, E = (10+4-5)//1+1 = 10;
    - stride (2, 1), pad (1, 0) on 7x5 with 3x1: E = (7+2-3)//2+1 = 4, F = (5+0-1)//1+1 = 5;
    - 'same' with an even 4x4 kernel on 6x6 (PyTorch pads top/left 1, bottom/right 2): E = F = (6+3-4)+1 = 6;
    - Conv1d k=5, dilation 3, pad 6, length 20: F = (20+12-13)+1 = 20, height 1.
    MACs count non-dilated taps: N*M*E*F*Cg*R*S."""
    d = LayerSpec("d", "conv", 1, 4, 10, 10, 8, 3, 3, padding=2, dilation=2)
    assert (d.E, d.F, d.R_eff) == (10, 10, 5) and d.macs_dense == 8 * 100 * 4 * 9
    a = LayerSpec("a", "conv", 2, 3, 7, 5, 6, 3, 1, stride=(2, 1), padding=(1, 0))
    assert (a.E, a.F, a.pads, a.strides) == (4, 5, (1, 1, 0, 0), (2, 1)) and a.macs_dense == 2 * 6 * 4 * 5 * 3 * 3
    e = LayerSpec("e", "conv", 1, 2, 6, 6, 2, 4, 4, pad_top=1, pad_bottom=2, pad_left=1, pad_right=2)
    assert (e.E, e.F) == (6, 6)
    c = LayerSpec("c1d", "conv", 1, 2, 1, 20, 4, 1, 5, dilation=(1, 3), padding=(0, 6))
    assert (c.E, c.F, c.S_eff) == (1, 20, 13)
    sym = LayerSpec("s", "conv", 1, 2, 6, 6, 2, 3, 3, stride=2, padding=1)
    assert sym.symmetric and (sym.stride, sym.padding) == (2, 1) and sym.pads == (1, 1, 1, 1)
    assert sym == LayerSpec("s", "conv", 1, 2, 6, 6, 2, 3, 3, stride_h=2, stride_w=2, pad_top=1, pad_bottom=1,
                            pad_left=1, pad_right=1)
    assert LayerSpec.from_dict(sym.to_dict()) == sym and LayerSpec.from_dict(e.to_dict()) == e
    for bad in (d, a, e, c):  # legacy accessors refuse what they cannot express, naming the layer
        with pytest.raises(TraceError, match=f"layer '{bad.name}': field 'stride'"):
            bad.stride
        with pytest.raises(TraceError, match=f"layer '{bad.name}': field 'padding'"):
            bad.padding
    with pytest.raises(TraceError, match="'stride_h'=1 contradicts"):
        LayerSpec("x", "conv", 1, 2, 6, 6, 2, 3, 3, stride=2, stride_h=1)


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
    (lambda m, a: m["layers"][1].update(stride=[2, 1]), "fc1.*fc layer needs stride_h=1, got 2"),
    (lambda m, a: m["layers"][0].update(stride=[2, 1, 1]), "conv1.*'stride'.*list of 2"),
    (lambda m, a: m["layers"][0].update(stride=[0, 1]), "conv1.*'stride_h' must be >= 1"),
    (lambda m, a: m["layers"][0].update(dilation=[1, "2"]), "conv1.*'dilation_w' must be an integer"),
    (lambda m, a: m["layers"][0].update(dilation=[4, 4]), r"conv1.*\(dilated extent 9x9\) larger than padded"),
    (lambda m, a: m["layers"][0].update(padding=[1, 1, -1, 1]), "conv1.*'pad_left' must be >= 0"),
    (lambda m, a: m["layers"][0].update(padding=[1, 1, 1]), "conv1.*'padding'.*list of 2.*or 4"),
    (lambda m, a: m["layers"][0].update(padding="same"), "conv1.*'padding' must be an integer or a list"),
    (lambda m, a: m["layers"][0].update(name="a\nb"), "must not contain control characters"),
    (lambda m, a: m.update(skipped={"x": 1}), "field 'skipped' must be a list"),
    (lambda m, a: m.update(skipped=[{"name": "bn", "type": "BatchNorm2d", "macs": -1}]), "'bn'.*'macs'"),
    (lambda m, a: m.update(skipped=[{"name": "", "type": "X", "macs": 1}]), "skipped' entry 0.*'name'"),
    (lambda m, a: m.update(skipped=[{"name": "x", "type": "X", "flops": 1}]), "unknown field.*flops"),
    (lambda m, a: m.update(version=4), "unknown trace format version 4"),
    (lambda m, a: m.update(version=True), "unknown trace format version True"),
    (lambda m, a: m.update(format="other"), "field 'format'"),
    (lambda m, a: m.update(layers=[]), "field 'layers'"),
    (lambda m, a: a.pop("layer1.inputs"), "fc1.*'inputs'.*missing"),
    (lambda m, a: a.update({"layer0.weights": np.zeros((8, 2, 3, 2), np.float32)}), "conv1.*'weights'.*shape"),
    (lambda m, a: a["layer0.inputs"].__setitem__((0, 0, 0, 0), np.nan), "conv1.*'inputs'.*NaN"),
    (lambda m, a: a["layer1.weights"].__setitem__((0, 0), np.inf), "fc1.*'weights'.*infinite"),
    (lambda m, a: a.update({"layer0.inputs": a["layer0.inputs"] > 0}), "conv1.*'inputs'.*dtype bool"),
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
        info = z.getinfo("layer0.inputs.npy")
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
    a["layer0.inputs"] = np.array([{"evil": 1}], dtype=object)
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


def test_network_input_follows_the_file_order_not_the_selection(tmp_path, rng):
    """Only the file's first layer reads the network input, whichever layers are loaded or selected."""
    p = save_trace(tiny_trace(rng), tmp_path / "t.npz")
    assert [lt.network_input for lt in load_trace(p).layers] == [True, False]
    assert [lt.network_input for lt in load_trace(p, layers=["fc1"]).layers] == [False]
    full = load_trace(p)
    sub = full.select(["fc1", "conv1"])
    assert [(lt.name, lt.network_input) for lt in sub.layers] == [("fc1", False), ("conv1", True)]
    assert [lt.network_input for lt in full.layers] == [True, False]  # the full trace is untouched
