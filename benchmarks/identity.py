"""Before/after identity: do two source trees give bit-identical results?  A regression check for
speed work (a faster kernel must not change a single count), not a validation.

    nice -n 10 python benchmarks/identity.py --trees base=/tmp/accelsim-base,new=. [--archs ...]

Each tree (``label=path``, a checkout of accelsim) simulates, in its own process, every design on

* every trace shipped in the *first* tree's ``accelsim/data/traces`` (LeNet-5, the seed networks, the
  ladder), so both trees read the same files, and
* a set of small synthetic layers covering the geometry the kernels branch on: stride, dilation,
  asymmetric padding, groups (packed and depthwise), channel counts below, at and above a lane's brick,
  dense and sparse inputs (built here from a fixed seed, identically in both trees).

The whole result of each run (``NetworkResult.to_dict()``: every layer's cycles, stall cycles, energy by
component, action counts, DRAM bits, extra numbers) is digested; the script prints, per design, how many
runs agree and which differ (with the first differing field), and exits 1 on any difference.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve()
THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
ARCHS = "dadiannao,cnvlutin,eyeriss,ucnn,eie,scnn"
#: (name, N, C, H, W, M, R, S, groups, stride, dilation, padding (top, bottom, left, right), input density)
LAYERS = [
    ("plain3x3", 2, 64, 12, 12, 32, 3, 3, 1, (1, 1), (1, 1), (1, 1, 1, 1), 0.5),
    ("deep", 1, 512, 6, 6, 64, 3, 3, 1, (1, 1), (1, 1), (1, 1, 1, 1), 0.4),
    ("wide_shallow", 1, 3, 31, 31, 16, 11, 11, 1, (4, 4), (1, 1), (2, 2, 2, 2), 1.0),
    ("dilated", 1, 24, 14, 13, 20, 3, 3, 1, (1, 2), (2, 3), (2, 1, 3, 0), 0.6),
    ("grouped", 2, 96, 9, 9, 64, 5, 5, 2, (1, 1), (1, 1), (2, 2, 2, 2), 0.3),
    ("depthwise", 1, 32, 10, 10, 32, 3, 3, 32, (2, 2), (1, 1), (0, 1, 0, 1), 0.7),
    ("fu12", 1, 192, 7, 7, 48, 3, 3, 1, (1, 1), (1, 1), (1, 1, 1, 1), 0.5),
    ("odd_channels", 1, 37, 8, 11, 9, 2, 3, 1, (2, 1), (1, 2), (1, 0, 0, 2), 0.2),
    ("zeros", 1, 16, 6, 6, 8, 3, 3, 1, (1, 1), (1, 1), (0, 0, 0, 0), 0.0),
    ("pointwise", 1, 256, 7, 7, 128, 1, 1, 1, (1, 1), (1, 1), (0, 0, 0, 0), 0.45),
]


# ---------------------------------------------------------------- worker side (runs inside one tree)
def _synthetic_trace():
    import numpy as np
    from accelsim.trace import LayerTrace, Trace
    from accelsim.trace.format import LayerSpec
    rng = np.random.default_rng(2026)
    layers = []
    for name, N, C, H, W, M, R, S, g, stride, dil, pad, dens in LAYERS:
        spec = LayerSpec(name, "conv", N, C, H, W, M, R, S, groups=g, stride=stride, dilation=dil, padding=pad)
        x = np.maximum(rng.standard_normal(spec.input_shape), 0).astype(np.float32) + 0.01
        x[rng.random(spec.input_shape) >= dens] = 0
        w = rng.standard_normal(spec.weight_shape).astype(np.float32)
        w[rng.random(spec.weight_shape) < 0.6] = 0
        layers.append(LayerTrace(spec, w, x))
    return Trace("identity_layers", layers)


def _digest(res) -> tuple[str, dict]:
    d = res.to_dict()
    d.pop("trace", None)
    text = json.dumps(d, sort_keys=True, default=repr)
    tot = d["total"]
    return hashlib.sha256(text.encode()).hexdigest(), {k: tot[k] for k in ("cycles", "stall_cycles", "energy")}


def worker(trace_dir: Path, archs: list[str]) -> dict:
    from accelsim.accelerators import create
    from accelsim.trace import load_trace
    traces = {str(p.relative_to(trace_dir)): p for p in sorted(trace_dir.rglob("*.npz"))}
    out: dict = {}
    for arch in archs:
        acc = create(arch)
        for key, p in traces.items():
            out[f"{arch}:{key}"] = _digest(acc.simulate(load_trace(p)))
        out[f"{arch}:synthetic"] = _digest(acc.simulate(_synthetic_trace()))
    return out


# ---------------------------------------------------------------- driver side
def _run(tree: Path, trace_dir: Path, archs: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), **{v: "1" for v in THREADS})
    p = subprocess.run([sys.executable, str(HERE), "--worker", "--trace-dir", str(trace_dir), "--archs", archs],
                       env=env, capture_output=True, text=True, cwd=str(tree))
    line = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")]
    if p.returncode or not line:
        raise SystemExit(f"identity worker in {tree} failed:\n{p.stderr[-3000:]}")
    return json.loads(line[-1][7:])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trees", default="new=.", help="label=path,label=path of two accelsim checkouts")
    p.add_argument("--archs", default=ARCHS)
    p.add_argument("--out", help="write the comparison as JSON here")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--trace-dir", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        print("RESULT " + json.dumps(worker(Path(a.trace_dir), a.archs.split(","))), flush=True)
        return 0
    trees = {k: Path(v).resolve() for k, v in (x.split("=", 1) for x in a.trees.split(","))}
    if len(trees) != 2:
        p.error("--trees needs exactly two label=path entries")
    trace_dir = next(iter(trees.values())) / "accelsim" / "data" / "traces"
    (la, ta), (lb, tb) = trees.items()
    ra, rb = _run(ta, trace_dir, a.archs), _run(tb, trace_dir, a.archs)
    report: dict = {"trees": {k: str(v) for k, v in trees.items()}, "designs": {}}
    bad = 0
    for arch in a.archs.split(","):
        keys = sorted(k for k in ra if k.startswith(arch + ":"))
        diff = [k for k in keys if ra[k][0] != rb.get(k, [None])[0]]
        bad += len(diff)
        report["designs"][arch] = {"runs": len(keys), "identical": len(keys) - len(diff),
                                   "differ": {k: {la: ra[k][1], lb: rb.get(k, [None, None])[1]} for k in diff}}
        print(f"{arch:10} {len(keys) - len(diff)}/{len(keys)} runs bit-identical"
              + "".join(f"\n    differs: {k} {la}={ra[k][1]} {lb}={rb.get(k, [None, None])[1]}" for k in diff))
    if a.out:
        with open(a.out, "w") as fh:
            json.dump(report, fh, indent=1)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
