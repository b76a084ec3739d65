"""Packed trace members (format v3, accelsim/trace/packed.py) and synth's float16 values: round trips
against the in-memory synthetic trace, and one test per kind of bad packed input."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from accelsim.errors import TraceError
from accelsim.trace import load_trace
from accelsim.trace.packed import encode, exact_float16
from accelsim.trace.synth import synth_plan, synth_trace, write_synth

ROOT = Path(__file__).resolve().parents[2]


def _same(a, b) -> bool:
    return all(np.array_equal(x.weights, y.weights) and np.array_equal(x.inputs, y.inputs)
               and ((x.outputs is None and y.outputs is None) or np.array_equal(x.outputs, y.outputs))
               for x, y in zip(a.layers, b.layers)) and len(a.layers) == len(b.layers)


def test_packed_storage_loads_the_same_tensors_as_the_in_memory_trace(tmp_path):
    args = ("lenet5", 2, 3, 0.3, 0.4, "all")
    p = write_synth(synth_plan(*args, with_outputs=True), tmp_path / "t.npz", storage="packed")
    t = load_trace(p)
    assert t.version == 3
    assert _same(t, synth_trace(*args, with_outputs=True))
    names = zipfile.ZipFile(p).namelist()
    assert "layer1.inputs.nzmask.npy" in names and "layer1.inputs.nzvalues.npy" in names
    assert all(i.compress_type == zipfile.ZIP_STORED for i in zipfile.ZipFile(p).infolist()
               if i.filename != "manifest.npy")


def test_float16_values_are_exact_halves_with_the_float32_densities(tmp_path):
    """The float16 generator (synth_stream) has its own random streams: its tensors are not the float32
    ones rounded, but have the same shapes and exactly the same non-zero counts; streamed (packed) and
    in-memory (deflated) files hold the same tensors as synth_trace."""
    args = ("alexnet", 1, 0, "han2015", "eyeriss-alexnet", ["conv1", "conv2", "fc6"])
    ref = synth_trace(*args)
    plan = synth_plan(*args, values="float16")
    p = write_synth(plan, tmp_path / "h.npz", storage="packed")
    t = load_trace(p)
    assert t.source["values"] == "float16"
    assert _same(t, synth_trace(*args, values="float16"))
    for a, b in zip(t.layers, ref.layers):
        for x, y in ((a.weights, b.weights), (a.inputs, b.inputs)):
            assert np.array_equal(x.astype(np.float16).astype(np.float32), x)   # exactly float16
            assert x.shape == y.shape and np.count_nonzero(x) == np.count_nonzero(y)  # same exact density
    assert (t.layers[1].inputs >= 0).all() and (t.layers[0].inputs < 0).any()  # half-normal after layer 0
    deflated = write_synth(plan, tmp_path / "d.npz")
    assert load_trace(deflated).version == 2 and _same(load_trace(deflated), t)
    assert p.stat().st_size < deflated.stat().st_size


def test_encode_packs_only_when_smaller_and_uses_float16_only_when_exact():
    rng = np.random.default_rng(0)
    dense = rng.standard_normal(1000).astype(np.float16).astype(np.float32)
    m, v = encode(dense)
    assert m is None and v.dtype == np.float16
    sparse = dense * (rng.random(1000) < 0.3)
    m, v = encode(sparse)
    assert m is not None and v.dtype == np.float16 and v.size == np.count_nonzero(sparse)
    m, v = encode(sparse + np.float32(1e-6) * (sparse != 0))   # not representable as float16
    assert m is not None and v.dtype == np.float32
    assert exact_float16(np.array([0.5, -2.0, 65504.0], dtype=np.float32))
    assert not exact_float16(np.array([0.1], dtype=np.float32))


def _packed_file(tmp_path, **members) -> Path:
    """A one-layer v3 trace (lenet5 conv1: weights (20,1,5,5) dense, inputs (1,1,28,28) packed) with the
    given members replaced (a value of None removes the member)."""
    plan = synth_plan("lenet5", 1, 0, 1.0, 0.5, ["conv1", "conv2"])
    plan.specs, plan.indices = plan.specs[1:], plan.indices[1:]     # conv2: sparse inputs (20, 12, 12)
    lt = plan.layer(0)
    m, v = encode(lt.inputs)
    arrays = {"manifest": np.array(json.dumps(plan.manifest(3))), "layer0.weights": lt.weights,
              "layer0.inputs.nzmask": m, "layer0.inputs.nzvalues": v}
    for k, a in members.items():
        k = k.replace("__", ".")
        if a is None:
            arrays.pop(k, None)
        else:
            arrays[k] = a(arrays) if callable(a) else a
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    return path


def test_the_valid_packed_file_loads(tmp_path):
    t = load_trace(_packed_file(tmp_path))
    assert np.count_nonzero(t.layers[0].inputs) == int(round(0.5 * 20 * 12 * 12))


@pytest.mark.parametrize("change, message", [
    ({"layer0__inputs__nzmask": None}, "packed member 'layer0.inputs.nzmask' is missing"),
    ({"layer0__inputs__nzvalues": None}, "packed member 'layer0.inputs.nzvalues' is missing"),
    ({"layer0__inputs__nzmask": lambda a: a["layer0.inputs.nzmask"][:-1]}, "mask member must be uint8"),
    ({"layer0__inputs__nzmask": lambda a: a["layer0.inputs.nzmask"].astype(np.int16)}, "mask member must be uint8"),
    ({"layer0__inputs__nzvalues": lambda a: a["layer0.inputs.nzvalues"][:-1]}, "mask marks"),
    ({"layer0__inputs__nzvalues": lambda a: a["layer0.inputs.nzvalues"].astype(np.int32)}, "float16 or float32"),
    ({"layer0__inputs__nzvalues": lambda a: np.zeros(5000, np.float16)}, "k <= 2880"),
    ({"layer0__inputs__nzvalues": lambda a: np.where(np.arange(a["layer0.inputs.nzvalues"].size) == 3, 0,
                                                     a["layer0.inputs.nzvalues"]).astype(np.float16)},
     "values member holds zeros"),
    ({"layer0__inputs": lambda a: np.zeros((1, 20, 12, 12), np.float32)}, "stored both dense and packed"),
    ({"layer0__inputs__nzvalues": lambda a: np.full(a["layer0.inputs.nzvalues"].size, np.inf, np.float16)},
     "NaN or infinite"),
])
def test_bad_packed_members_are_refused_naming_file_layer_and_array(tmp_path, change, message):
    path = _packed_file(tmp_path, **change)
    with pytest.raises(TraceError) as e:
        load_trace(path)
    assert str(path) in str(e.value) and "'conv2'" in str(e.value) and message in str(e.value)


def test_mask_padding_bits_must_be_clear(tmp_path):
    plan = synth_plan("lenet5", 1, 0, 0.5, 1.0, ["conv1"])          # weights 20*1*5*5 = 500: 4 pad bits
    lt = plan.layer(0)
    m, v = encode(lt.weights)
    m = m.copy()
    m[-1] |= 1
    np.savez(tmp_path / "p.npz", manifest=np.array(json.dumps(plan.manifest(3))), **{
        "layer0.inputs": lt.inputs, "layer0.weights.nzmask": m, "layer0.weights.nzvalues": v})
    with pytest.raises(TraceError, match="padding bits set"):
        load_trace(tmp_path / "p.npz")


def test_packed_members_in_a_version_2_file_are_not_read(tmp_path):
    plan = synth_plan("lenet5", 1, 0, 0.5, 1.0, ["conv1"])
    lt = plan.layer(0)
    m, v = encode(lt.weights)
    np.savez(tmp_path / "v2.npz", manifest=np.array(json.dumps(plan.manifest(2))), **{
        "layer0.inputs": lt.inputs, "layer0.weights.nzmask": m, "layer0.weights.nzvalues": v})
    with pytest.warns(UserWarning, match="ignoring member"), pytest.raises(TraceError, match="is missing"):
        load_trace(tmp_path / "v2.npz")


def test_cli_synth_packed_float16_then_simulate(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "accelsim", *a], capture_output=True, text=True,  # noqa: E731
                                    cwd=str(tmp_path), timeout=300, env={**__import__("os").environ,
                                                                         "PYTHONPATH": str(ROOT)})
    p = run("trace", "synth", "--network", "lenet5", "--act-density", "0.5", "--values", "float16",
            "--storage", "packed", "--out", "t.npz")
    assert p.returncode == 0, p.stderr
    assert run("simulate", "t.npz", "--arch", "eyeriss", "--quiet").returncode == 0
    assert run("trace", "synth", "--network", "lenet5", "--storage", "zip", "--out", "u.npz").returncode == 2
    assert not (tmp_path / "u.npz").exists()
