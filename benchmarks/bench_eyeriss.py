"""Eyeriss simulation speed on AlexNet conv1-5 at batch 4 vs a single-thread dense forward pass.

    python benchmarks/bench_eyeriss.py [--out benchmarks/results/eyeriss.json] [--repeat 3]

The trace is synthetic (seeded, Eyeriss's AlexNet activation densities, dense weights, no stored outputs:
the model computes each layer's ofmaps functionally for the RLC write-back, so the simulation contains one
forward pass itself).  A warm-up run loads or compiles the numba kernels first.  The forward pass is torch
(one thread) when importable, else numpy im2col + tensordot (accelsim.functional).  Target (issue 4): no
slower than 2x the forward pass.  Never a test gate; writes the JSON with the machine and commit.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[v] = "1"

from accelsim.accelerators import create  # noqa: E402
from accelsim.functional import layer_outputs  # noqa: E402
from accelsim.trace import LayerTrace  # noqa: E402
from accelsim.trace.synth import synth_trace  # noqa: E402


def forward_seconds(trace) -> tuple[float, str]:
    try:
        import torch
        torch.set_num_threads(1)
        f = torch.nn.functional
        t0 = time.perf_counter()
        with torch.no_grad():
            for lt in trace.layers:
                s = lt.spec
                f.relu(f.conv2d(torch.from_numpy(lt.inputs_nchw()), torch.from_numpy(lt.weights_mcrs()),
                                stride=s.stride, padding=s.padding, groups=s.groups))
        return time.perf_counter() - t0, "torch"
    except ImportError:
        t0 = time.perf_counter()
        for lt in trace.layers:
            layer_outputs(LayerTrace(lt.spec, lt.weights, lt.inputs))
        return time.perf_counter() - t0, "numpy"


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except Exception:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="benchmarks/results/eyeriss.json")
    p.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    a = p.parse_args(argv)
    trace = synth_trace("alexnet", batch=4, seed=0, weight_density="dense", act_density="eyeriss-alexnet",
                        layers="conv")
    macs = sum(lt.spec.macs_dense for lt in trace.layers)
    acc = create("eyeriss")
    acc.simulate_layer(trace.layers[-1])  # warm-up: numba cache load / compile
    sims, fwds = [], []
    per_layer: dict[str, float] = {}
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        for lt in trace.layers:
            t1 = time.perf_counter()
            acc.simulate_layer(lt)
            per_layer[lt.name] = min(per_layer.get(lt.name, 1e9), time.perf_counter() - t1)
        sims.append(time.perf_counter() - t0)
        fwd, engine = forward_seconds(trace)
        fwds.append(fwd)
    sim, fwd = min(sims), min(fwds)
    res = {"benchmark": "eyeriss alexnet conv1-5 batch 4", "wall_seconds": sim, "dense_macs": macs,
           "dense_macs_per_second": macs / sim, "forward_seconds": fwd, "forward_engine": engine,
           "ratio_to_forward": sim / fwd, "target_ratio": 2.0, "per_layer_seconds": per_layer,
           "repeat": a.repeat, "machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                                           "processor": platform.processor(), "cpus": os.cpu_count()},
           "commit": commit(), "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1) + "\n")
    print(f"eyeriss alexnet conv1-5 b4: {sim:.3f} s, {macs / sim / 1e9:.2f} G dense MAC/s; forward ({engine}) "
          f"{fwd:.3f} s; ratio {sim / fwd:.2f} (target <= 2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
