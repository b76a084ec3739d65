"""Seeded generators of bad (and borderline) inputs, one per input kind, for the fuzz suite.

``build(root, seed, per_category)`` writes every file a case needs under ``root`` and returns the
cases.  The same seed gives the same corpus.  Categories (each a generator below):

traces, manifests, configs, set_arch, energy, sweep, topology, importers, npy, outputs, and (in
``corpus_cli.py``) results, options.

Each case says whether its input is certainly invalid (``reject``: exit 2 or 3 wanted) or only maybe
(``any``: a random mutation that can stay valid).  The judging is in ``harness.py``.
"""
from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

from tests.fuzz.harness import REPO, Case

DESIGNS = ("dadiannao", "cnvlutin", "eyeriss", "ucnn")
WEIRD_INTS = [0, -1, -7, 10**12, 2**63, 10**30, 1.5, 16.9, True, False, None, "3", "", [], {}, [1, 2, 3],
              float("inf"), float("nan"), 1e308, -0.0]
WEIRD_TEXT = [".inf", "-.inf", ".nan", "1e400", "-1", "0", "10**12", "1e12", "true", "null", "~", "[1, 2]",
              "{a: 1}", "abc", "''", "0x10", "1_000", "\x00", "é", "3.5", "-0.0", "99999999999999999999"]
GEN: dict[str, Callable[..., list[Case]]] = {}


def generator(name: str) -> Callable[[Callable[..., list[Case]]], Callable[..., list[Case]]]:
    def reg(fn: Callable[..., list[Case]]) -> Callable[..., list[Case]]:
        GEN[name] = fn
        return fn
    return reg


# ---- a small valid trace to mutate -------------------------------------------------------------------

def _layers() -> list[dict[str, Any]]:
    return [{"name": "c1", "kind": "conv", "N": 1, "C": 3, "H": 8, "W": 8, "M": 4, "R": 3, "S": 3,
             "groups": 1, "stride": 1, "dilation": 1, "padding": 1},
            {"name": "f1", "kind": "fc", "N": 1, "C": 16, "H": 1, "W": 1, "M": 5, "R": 1, "S": 1,
             "groups": 1, "stride": 1, "dilation": 1, "padding": 0}]


def valid_trace(path: Path) -> Path:
    from accelsim.trace import load_trace, save_trace
    from accelsim.trace.format import LayerSpec, LayerTrace, Trace
    rng = np.random.default_rng(0)
    lts = []
    for d in _layers():
        s = LayerSpec.from_dict({k: v for k, v in d.items()})
        w = rng.standard_normal(s.weight_shape).astype(np.float32)
        x = np.maximum(rng.standard_normal(s.input_shape), 0).astype(np.float32)
        lts.append(LayerTrace(s, w, x))
    save_trace(Trace("fz", lts, {"synthetic": True}), path)
    load_trace(path)
    return path


def _members(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _write_npz(path: Path, members: dict[str, Any]) -> Path:
    np.savez(path, **members)
    return path


def _manifest(path: Path) -> dict[str, Any]:
    return json.loads(str(_members(path)["manifest"]))


# ---- traces: arrays and archive bytes ----------------------------------------------------------------

@generator("traces")
def gen_traces(root: Path, rng: random.Random, n: int, base: Path) -> list[Case]:
    cases = []
    mem = _members(base)
    man = _manifest(base)
    keys = [k for k in mem if k != "manifest"]
    raw = base.read_bytes()
    for i in range(n):
        p = root / f"trace{i}.npz"
        kind = rng.randrange(9)
        m = dict(mem)
        k = rng.choice(keys)
        expect = "reject"
        if kind == 0:
            m[k] = m[k].astype(rng.choice(["complex64", "U3", "bool", "datetime64[s]"]))
        elif kind == 1:
            m[k] = np.full(m[k].shape, rng.choice([np.nan, np.inf, -np.inf, 1e39]), dtype=np.float64)
        elif kind == 2:
            m[k] = m[k].reshape(-1)[: max(0, m[k].size - rng.randint(1, 5))]
        elif kind == 3:
            m[k] = np.array([{"x": 1}], dtype=object)
        elif kind == 4:
            del m[k]
            expect = "any" if k.endswith("outputs") else "reject"
        elif kind == 5:   # flipped bytes anywhere in the archive
            b = bytearray(raw)
            for _ in range(rng.randint(1, 20)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            p.write_bytes(bytes(b))
            cases.append(Case("traces", f"flip{i}", _trace_cmd(rng, p), "any", subprocess=False))
            continue
        elif kind == 6:   # truncated archive
            p.write_bytes(raw[: rng.randrange(len(raw))])
            cases.append(Case("traces", f"trunc{i}", _trace_cmd(rng, p)))
            continue
        elif kind == 7:   # a member that decompresses to far more than its header says
            m[k] = np.zeros((4096, 4096), np.float32)
        else:             # not a zip at all
            p.write_bytes(rng.choice([b"", b"hello", b"\x93NUMPY\x01\x00", bytes(rng.randrange(256) for _ in range(64))]))
            cases.append(Case("traces", f"notzip{i}", _trace_cmd(rng, p)))
            continue
        m["manifest"] = np.array(json.dumps(man))
        _write_npz(p, m)
        cases.append(Case("traces", f"member{kind}_{i}", _trace_cmd(rng, p), expect))
    return cases


def _trace_cmd(rng: random.Random, p: Path) -> list[str]:
    return rng.choice([["trace", "inspect", str(p)], ["trace", "inspect", str(p), "--json"],
                       ["simulate", str(p), "--arch", rng.choice(DESIGNS), "--quiet"],
                       ["trace", "quantize", str(p), "--scheme", "ttq", "--out", str(p) + ".q.npz"]])


# ---- manifests --------------------------------------------------------------------------------------

@generator("manifests")
def gen_manifests(root: Path, rng: random.Random, n: int, base: Path) -> list[Case]:
    cases = []
    mem = _members(base)
    fields = ["N", "C", "H", "W", "M", "R", "S", "groups", "stride", "dilation", "padding", "name", "kind"]
    for i in range(n):
        man = _manifest(base)
        kind = rng.randrange(8)
        expect = "reject"
        arch = rng.choice(DESIGNS)
        if kind == 0:
            man["version"] = rng.choice([True, 1.0, 2.0, "2", 0, 3, None, -1, [2]])
        elif kind == 1:
            man["format"] = rng.choice(["", "accelsim", None, 1, "ACCELSIM-TRACE"])
        elif kind == 2:
            f = rng.choice(fields)
            man["layers"][0][f] = rng.choice(WEIRD_INTS + ["conv", "fc", "x\x00y", "a\nb"])
            expect = "any"
        elif kind == 3:    # absurd geometry: huge padding / dilation / stride
            f, v = rng.choice([("padding", 10**12), ("padding", rng.randint(3, 64)), ("dilation", 10**9),
                               ("padding", [0, 10**9, 0, 0]), ("N", 10**9), ("M", 10**8)])
            man["layers"][0][f] = v
        elif kind == 4:
            man["layers"] = rng.choice([[], {}, None, "x", [1], [[]]])
        elif kind == 5:
            depth = rng.choice([1000, 100000])
            txt = json.dumps(man)[:-1] + ', "source": ' + "[" * depth + "]" * depth + "}"
            del man["source"]
            p = root / f"man{i}.npz"
            _write_npz(p, {**mem, "manifest": np.array(txt)})
            cases.append(Case("manifests", f"deep{i}", ["trace", "inspect", str(p)]))
            continue
        elif kind == 6:
            man["layers"][0]["extra_field"] = 1
        else:
            p = root / f"man{i}.npz"
            txt = rng.choice(["{", "[]", "null", "1", json.dumps(man)[: rng.randrange(20)], "\x00"])
            _write_npz(p, {**mem, "manifest": np.array(txt)})
            cases.append(Case("manifests", f"text{i}", ["trace", "inspect", str(p)]))
            continue
        p = root / f"man{i}.npz"
        _write_npz(p, {**mem, "manifest": np.array(json.dumps(man))})
        cases.append(Case("manifests", f"m{kind}_{i}", ["simulate", str(p), "--arch", arch, "--quiet"], expect))
    return cases


# ---- design configs (YAML files) --------------------------------------------------------------------

def _config_fields(design: str) -> list[str]:
    from accelsim.accelerators import get
    return list(get(design).config_cls.__dataclass_fields__)


@generator("configs")
def gen_configs(root: Path, rng: random.Random, n: int, base: Path) -> list[Case]:
    cases = []
    for i in range(n):
        d = rng.choice(DESIGNS)
        p = root / f"cfg{i}.yaml"
        kind = rng.randrange(5)
        expect = "any"
        if kind == 0:
            k = rng.choice(_config_fields(d))
            p.write_text(f"{k}: {rng.choice(WEIRD_TEXT)}\n")
        elif kind == 1:
            p.write_text(f"no_such_key_{i}: 1\n")
            expect = "reject"
        elif kind == 2:
            p.write_bytes(rng.choice([b"\x00\xff\xfe", b"[1, 2", b"a: b: c", b"- 1\n- 2\n", b"42", b"{a: [}"]))
            expect = "reject"
        elif kind == 3:
            k = rng.choice(_config_fields(d))
            p.write_text(f"{k}: {rng.choice(['10000000000', '1e15', '-5', '0', '100000000'])}\n")
        else:
            p.write_text("thresholds: {nosuchlayer: 0.1}\n" if d == "cnvlutin" else f"{rng.choice(_config_fields(d))}: [1]\n")
            expect = "reject"
        cases.append(Case("configs", f"{d}{kind}_{i}", ["simulate", str(base), "--arch", d, "--config", str(p),
                                                        "--quiet"], expect))
    return cases


@generator("set_arch")
def gen_set_arch(root: Path, rng: random.Random, n: int, base: Path) -> list[Case]:
    cases = []
    for i in range(n):
        d = rng.choice(DESIGNS)
        k = rng.choice(_config_fields(d) + ["nosuch", "", "=", "a b"])
        v = rng.choice(WEIRD_TEXT + ["1", "2", "16", "1000000", "70000", "1e9"])
        kind = rng.randrange(4)
        if kind == 0:
            argv = ["simulate", str(base), "--arch", d, "--set", f"{k}={v}", "--quiet"]
        elif kind == 1:
            argv = ["simulate", str(base), "--arch", f"{d}:{k}={v}", "--quiet"]
        elif kind == 2:
            argv = ["simulate", str(base), "--arch", rng.choice(["", ":", "nosuch", f"{d}:", f"{d}::", f"{d}:x",
                                                                 d.upper(), f"{d},{d}"]), "--quiet"]
            cases.append(Case("set_arch", f"name{i}", argv))
            continue
        else:
            argv = ["compare", str(base), "--arch", f"dadiannao,{d}:{k}={v}", "--baseline", "dadiannao", "--quiet"]
        cases.append(Case("set_arch", f"{d}{kind}_{i}", argv, "any"))
    return cases


# ---- energy tables -----------------------------------------------------------------------------------

@generator("energy")
def gen_energy(root: Path, rng: random.Random, n: int, base: Path) -> list[Case]:
    import yaml
    tables = sorted((REPO / "accelsim" / "energy" / "tables").glob("*.yaml"))
    cases = []
    for i in range(n):
        t = rng.choice(tables)
        data = yaml.safe_load(t.read_text())
        comps = data["components"]
        c = rng.choice(list(comps))
        kind = rng.randrange(7)
        expect = "reject"
        if kind == 0:
            comps[f"bogus{i}"] = {"category": "ALU", "actions": {"read": 1.0}}
        elif kind == 1:
            a = rng.choice(list(comps[c]["actions"]))
            comps[c]["actions"][a] = rng.choice([-1.0, float("nan"), float("inf"), "x", None, [1], True])
        elif kind == 2:
            comps[c]["actions"][f"bogus_action{i}"] = 1.0
        elif kind == 3:
            del comps[c]
            expect = "any"  # a design that does not use the component accepts the table
        elif kind == 4:
            data[rng.choice(["unit", "name"])] = rng.choice([None, 5, [], "furlongs"])
            expect = "any"
        elif kind == 5:
            data = rng.choice([None, [], "text", 5, {"components": None}])
            expect = "any" if data is None else "reject"
        else:
            comps[c]["actions"][rng.choice(list(comps[c]["actions"]))] = 1e308
            expect = "any"
        p = root / f"energy{i}.yaml"
        p.write_text(yaml.safe_dump(data))
        cases.append(Case("energy", f"e{kind}_{i}", ["simulate", str(base), "--arch", rng.choice(DESIGNS),
                                                    "--energy", str(p), "--quiet"], expect))
    return cases


# ---- sweep specs --------------------------------------------------------------------------------------

@generator("sweep")
def gen_sweep(root: Path, rng: random.Random, n: int, base: Path) -> list[Case]:
    import yaml
    cases = []
    for i in range(n):
        spec: Any = {"traces": [str(base)], "archs": ["dadiannao", "cnvlutin"], "baseline": "dadiannao",
                     "out": str(root / f"sweep{i}_out")}
        kind = rng.randrange(8)
        if kind == 0:
            spec["out"] = rng.choice([5, [], True, str(base), "/proc/sweep_out", ""])
        elif kind == 1:
            spec["traces"] = rng.choice([[], None, "x", [5], [str(root / "missing*.npz")], [str(root)]])
        elif kind == 2:
            spec["archs"] = rng.choice([[], None, ["nosuch"], [5], "dadiannao", ["dadiannao", "dadiannao"]])
        elif kind == 3:
            spec["grid"] = rng.choice([{"threshold": [".inf"]}, {"threshold": [float("nan")]}, {"nosuch": [1]},
                                       {"threshold": 5}, {"tiles": [0]}, [], {"tiles": [10**9]}])
        elif kind == 4:
            spec["baseline"] = rng.choice(["nosuch", 5, "eyeriss"])
        elif kind == 5:
            spec[f"unknown{i}"] = 1
        elif kind == 6:
            spec = rng.choice([None, [], "text", 5])
        else:
            p = root / f"sweep{i}.yaml"
            p.write_bytes(rng.choice([b"\x00\x01", b"traces: [", b"\xff\xfe"]))
            cases.append(Case("sweep", f"bytes{i}", ["sweep", str(p), "--workers", "0", "--quiet"]))
            continue
        p = root / f"sweep{i}.yaml"
        p.write_text(yaml.safe_dump(spec))
        cases.append(Case("sweep", f"s{kind}_{i}", ["sweep", str(p), "--workers", "0", "--quiet"]))
    return cases


# ---- SCALE-Sim topology CSVs ------------------------------------------------------------------------

CONV_HDR = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
GEMM_HDR = "Layer, M, N, K,\n"


@generator("topology")
def gen_topology(root: Path, rng: random.Random, n: int, base: Path) -> list[Case]:
    cases = []
    for i in range(n):
        gemm = rng.random() < 0.4
        good = [8, 6, 4] if gemm else [16, 16, 3, 3, 4, 8, 1]
        cells = [str(v) for v in good]
        kind = rng.randrange(5)
        expect = "reject"
        if kind == 0:
            cells[rng.randrange(len(cells))] = rng.choice(["16.9", "inf", "nan", "-3", "0", "1e12", "abc", "",
                                                           "10000000", "0x10", "\x00"])
        elif kind == 1:
            cells = cells[: rng.randrange(len(cells))]
        elif kind == 2:
            big = str(rng.choice([10**6, 10**9, 10**12]))
            cells = [big, big, big] if gemm else [big, big, "3", "3", big, big, "1"]
        elif kind == 3:
            p = root / f"topo{i}.csv"
            p.write_bytes(rng.choice([b"\x00\xff\x00", b"", CONV_HDR.encode(), b"a,b\n1,2\n", bytes(range(256))]))
            cases.append(Case("topology", f"bytes{i}", ["trace", "synth", "--topology", str(p), "--out",
                                                        str(root / f"topo{i}.npz")]))
            continue
        else:
            expect = "any"
            cells[rng.randrange(len(cells))] = str(rng.randint(1, 40))
        p = root / f"topo{i}.csv"
        p.write_text((GEMM_HDR if gemm else CONV_HDR) + f"l{i}, " + ", ".join(cells) + ",\n")
        cases.append(Case("topology", f"t{kind}_{i}", ["trace", "synth", "--topology", str(p), "--out",
                                                       str(root / f"topo{i}.npz")], expect))
    return cases


# ---- DNNsim / MIsim folders ----------------------------------------------------------------------------

@generator("importers")
def gen_importers(root: Path, rng: random.Random, n: int, base: Path) -> list[Case]:
    cases = []
    for i in range(n):
        d = root / f"imp{i}"
        d.mkdir()
        fmt = rng.choice(["dnnsim", "misim"])
        params = ["conv1", "8", "3", "3", "1", "1"]   # name, Nn, Kx, Ky, stride, pad
        w = np.ones((8, 3, 3, 3), np.float32)
        x = np.ones((1, 3, 8, 8), np.float32)
        kind = rng.randrange(6)
        expect = "reject"
        if kind == 0:
            params[rng.randrange(1, 6)] = rng.choice(["-1", "0", "1.5", "x", "10000000000", "99"])
            expect = "any"
        elif kind == 1:
            x = rng.choice([np.zeros(()), np.zeros((0, 3, 8, 8), np.float32), np.zeros((1, 3, 8), np.float32),
                            np.array(["a"]), np.full((1, 3, 8, 8), np.nan, np.float32)])
            if fmt == "misim" and x.ndim == 3:   # MIsim's (C, X, Y) layout: valid
                expect = "any"
        elif kind == 2:
            w = rng.choice([np.zeros((8, 2, 3, 3), np.float32), np.zeros((8,), np.float32), np.zeros(())])
            expect = "reject" if fmt == "dnnsim" else "any"
        elif kind == 3:
            params = None
        elif kind == 4:
            expect = "any"
        else:
            x = None
        name = "conv1"
        pfile = d / ("trace_params.csv" if fmt == "dnnsim" else f"imp{i}_trace_params.csv")
        if params is None:
            pfile.write_bytes(rng.choice([b"\x00\x01\x02", b"\xff\xfe\xfd,1,2", b"", b"conv1\n"]))
        else:
            pfile.write_text(",".join(params) + "\n")
        xname = f"act-{name}-0.npy" if fmt == "dnnsim" else f"{name}-0.npy"
        if x is None:
            (d / xname).write_bytes(rng.choice([b"\x93NUMPY\x01\x00\x40\x00{'descr': '<f4', 'fortran_order': False, "
                                                b"'shape': (1000000, 1000000), }      \n",
                                                b"\x93NUMPY garbage", b"not numpy"]))
        else:
            np.save(d / xname, x, allow_pickle=False)
        if fmt == "dnnsim":
            np.save(d / f"wgt-{name}.npy", w, allow_pickle=False)
        cases.append(Case("importers", f"{fmt}{kind}_{i}", ["trace", "import", str(d), "--format", fmt, "--out",
                                                             str(root / f"imp{i}.npz")], expect))
    return cases


# ---- .npy files for compress --------------------------------------------------------------------------

def _npy_header(descr: str, shape: str, pad: int = 0) -> bytes:
    h = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}".encode()
    h += b" " * (63 - (len(h) + 10) % 64 + pad) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(h).to_bytes(2, "little") + h


@generator("npy")
def gen_npy(root: Path, rng: random.Random, n: int, base: Path) -> list[Case]:
    cases = []
    for i in range(n):
        p = root / f"arr{i}.npy"
        fmt = rng.choice(["rlc", "csr", "zfnaf"])
        kind = rng.randrange(7)
        extra: list[str] = []
        expect = "reject"
        if kind == 0:
            p.write_bytes(_npy_header("<f4", rng.choice(["(1000000, 1000000)", "(10**12,)", "(-1,)", "(3,", "'x'",
                                                         "(2, 2)"])))
        elif kind == 1:
            p.write_bytes(rng.choice([b"", b"\x93NUMPY", b"\x93NUMPY\x01\x00\xff\xff", b"PK\x03\x04junk",
                                      bytes(rng.randrange(256) for _ in range(100))]))
        elif kind == 2:
            np.save(p, rng.choice([np.zeros(()), np.zeros((0,)), np.zeros((3, 0)), np.array([1 + 2j]),
                                   np.array(["a", "b"]), np.array([np.nan, 1.0]), np.array([70000, 1])]))
        elif kind == 3:
            np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True)
        elif kind == 4:
            np.save(p, np.eye(4, 256, dtype=np.float32))
            fmt = "csr"
            extra = ["--index-bits", rng.choice(["1", "7", "0", "-1", "x"])]
        elif kind == 5:
            np.save(p, np.eye(4, 8, dtype=np.float32))
            extra = rng.choice([["--layout", "fixed"], ["--ptr-bits", "3"], ["--index-bits", "2"]])
            expect = "any"
        else:
            np.save(p, np.float32(rng.random()) * np.ones((rng.randint(1, 5), rng.randint(1, 40)), np.float32)
                    * rng.choice([1.0, 1e30, 1e-30, -1.0]))
            expect = "any"
        cases.append(Case("npy", f"n{kind}_{i}", ["compress", "--format", fmt, str(p), *extra]
                          + (["--json"] if rng.random() < 0.5 else []), expect))
    return cases


# ---- output paths ----------------------------------------------------------------------------------------

@generator("outputs")
def gen_outputs(root: Path, rng: random.Random, n: int, base: Path) -> list[Case]:
    cases = []
    afile = root / "a_regular_file"
    afile.write_text("x")
    adir = root / "a_dir.npz"
    adir.mkdir(exist_ok=True)
    bad = [str(adir), str(afile / "child.json"), "/proc/accelsim_fuzz/x", str(root / "x\x00y")]
    results = root / "res"
    for i in range(n):
        target = rng.choice(bad)
        kind = rng.randrange(7)
        if kind == 0:
            argv = ["simulate", str(base), "--arch", "dadiannao", "--quiet", "--json", target]
        elif kind == 1:
            argv = ["simulate", str(base), "--arch", "dadiannao", "--quiet", "--csv", target]
        elif kind == 2:
            argv = ["compare", str(base), "--arch", "dadiannao,cnvlutin", "--baseline", "dadiannao", "--quiet",
                    "--out", rng.choice([str(afile), str(afile / "sub"), "/proc/accelsim_fuzz"])]
        elif kind == 3:
            argv = ["trace", "synth", "--network", "lenet5", "--out", target]
        elif kind == 4:
            if not results.exists():
                from accelsim.cli import main
                main(["compare", str(base), "--arch", "dadiannao,cnvlutin", "--baseline", "dadiannao",
                      "--quiet", "--out", str(results)])
            argv = ["figures", "--results", str(results), "--out", rng.choice([str(afile), str(afile / "f"),
                                                                                 "/proc/accelsim_fuzz"])]
        elif kind == 5:
            argv = ["trace", "quantize", str(base), "--scheme", "ttq", "--out", rng.choice([target, str(base)])]
        else:   # an output that is the input
            argv = rng.choice([["simulate", str(base), "--arch", "dadiannao", "--quiet", "--json", str(base)],
                               ["simulate", str(base), "--arch", "dadiannao", "--quiet", "--csv", str(base)]])
        cases.append(Case("outputs", f"o{kind}_{i}", argv, "reject", files_kept=[base]))
    return cases


def build(root: Path, seed: int, per_category: int, categories: list[str] | None = None) -> list[Case]:
    """Every category's cases (``per_category`` each) with their files under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    base = valid_trace(root / "base.npz")
    out: list[Case] = []
    for name, fn in GEN.items():
        if categories and name not in categories:
            continue
        sub = root / name
        sub.mkdir(exist_ok=True)
        out += fn(sub, random.Random(f"{seed}-{name}"), per_category, base)
    return out


def zip_member_info(path: Path) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(path) as z:
        return z.infolist()


from tests.fuzz import corpus_cli  # noqa: E402,F401  (registers the 'results' and 'options' generators)
