"""Simulation speed per design, side by side with a single-thread dense forward pass of the same layers.

    python benchmarks/bench_designs.py [--arch dadiannao,cnvlutin,...] [--networks lenet5,alexnet,vgg16]
                                       [--out benchmarks/results/designs.json] [--plot FILE.png] [--repeat 3]

Each (network, design) is simulated on a seeded synthetic trace (batch: AlexNet 4, VGG-16 3, others 4;
conv layers; Eyeriss's activation densities for AlexNet, Han et al.'s for the others).  One warm-up run
compiles the numba kernels first (the cache makes later processes start warm); each time is the best of
``--repeat`` runs, each on fresh LayerTrace objects (no outputs cached from an earlier run).  Each design
is timed twice: on the synthetic trace as synthesized (no stored outputs: a model that writes compressed
outputs computes them with one numpy convolution) and on the same trace carrying its outputs, as traces
exported from real models do.  The forward pass is torch
(one thread) when installed, else numpy (im2col + tensordot).  Targets (issue 3/4): no slower than 2x the
forward pass.  Never a test gate: results go to a JSON file with the machine and commit.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[v] = "1"


from accelsim.accelerators import available, create  # noqa: E402
from accelsim.functional import layer_outputs  # noqa: E402
from accelsim.trace.synth import synth_trace  # noqa: E402

BATCH = {"alexnet": 4, "vgg16": 3}
ACT = {"alexnet": "eyeriss-alexnet", "vgg16": "han2015", "lenet5": "han2015"}


def forward_seconds(trace) -> tuple[float, str]:
    try:
        import torch
        torch.set_num_threads(1)
        f = torch.nn.functional
        t0 = time.perf_counter()
        with torch.no_grad():
            for lt in trace.layers:
                s = lt.spec
                x = torch.from_numpy(lt.inputs_nchw())
                w = torch.from_numpy(lt.weights_mcrs())
                f.relu(f.conv2d(x, w, stride=s.stride, padding=s.padding, groups=s.groups))
        return time.perf_counter() - t0, "torch"
    except ImportError:
        t0 = time.perf_counter()
        for lt in trace.layers:
            layer_outputs(lt.__class__(lt.spec, lt.weights, lt.inputs))
        return time.perf_counter() - t0, "numpy"


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except Exception:
        return "unknown"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", default=",".join(available()), help="designs to time (default: all registered)")
    p.add_argument("--networks", default="lenet5,alexnet,vgg16", help="synthetic networks to time")
    p.add_argument("--out", default="benchmarks/results/designs.json", help="JSON results file")
    p.add_argument("--plot", default="benchmarks/results/designs.png", help="plot of seconds vs dense MACs")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per measurement; the best is kept (default 3)")
    a = p.parse_args(argv)
    archs = [x for x in a.arch.split(",") if x]
    rows = []
    for net in a.networks.split(","):
        trace = synth_trace(net, batch=BATCH.get(net, 4), seed=0, weight_density="dense",
                            act_density=ACT.get(net, "dense"), layers="conv")
        macs = sum(lt.spec.macs_dense for lt in trace.layers)
        with_out = type(trace)(trace.network, [type(lt)(lt.spec, lt.weights, lt.inputs, layer_outputs(lt))
                                               for lt in trace.layers], trace.source)
        fwd, engine = min(forward_seconds(trace) for _ in range(a.repeat))
        for arch in archs:
            acc = create(arch)
            acc.simulate_layer(trace.layers[-1])  # warm-up: numba compile / cache load
            sec = float("inf")
            for _ in range(a.repeat):
                fresh = type(trace)(trace.network, [type(lt)(lt.spec, lt.weights, lt.inputs, lt.outputs)
                                                    for lt in trace.layers], trace.source)  # no cached outputs
                t0 = time.perf_counter()
                res = acc.simulate(fresh)
                sec = min(sec, time.perf_counter() - t0)
            # the same trace carrying its outputs, as traces exported from real models do
            sec_out = float("inf")
            for _ in range(a.repeat):
                t0 = time.perf_counter()
                acc.simulate(with_out)
                sec_out = min(sec_out, time.perf_counter() - t0)
            rows.append({"network": net, "batch": trace.layers[0].spec.N, "layers": len(trace.layers),
                         "arch": arch, "seconds": sec, "macs_dense": macs, "macs_per_second": macs / sec,
                         "forward_seconds": fwd, "forward_engine": engine, "ratio_to_forward": sec / fwd,
                         "seconds_trace_with_outputs": sec_out, "ratio_to_forward_with_outputs": sec_out / fwd,
                         "cycles": res.total.cycles})
            print(f"{net:8} {arch:10} {sec:8.2f} s  {macs / sec / 1e9:6.2f} GMAC/s  "
                  f"forward ({engine}) {fwd:6.2f} s  ratio {sec / fwd:5.2f}; trace with outputs {sec_out:6.2f} s "
                  f"ratio {sec_out / fwd:5.2f}", flush=True)
    out = {"machine": {"platform": platform.platform(), "python": sys.version.split()[0],
                       "cpus": os.cpu_count()}, "commit": commit(), "time": time.strftime("%Y-%m-%d %H:%M:%S"),
           "rows": rows}
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    with open(a.out, "w") as fh:
        json.dump(out, fh, indent=1)
    if a.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 4))
        for arch in archs:
            r = [x for x in rows if x["arch"] == arch]
            ax.loglog([x["macs_dense"] for x in r], [x["seconds"] for x in r], "o-", label=arch)
        fw = {x["network"]: x for x in rows}
        ax.loglog([x["macs_dense"] for x in fw.values()], [x["forward_seconds"] for x in fw.values()], "k--",
                  label="dense forward pass (1 thread)")
        ax.set_xlabel("dense MACs simulated")
        ax.set_ylabel("wall seconds")
        ax.set_title("accelsim simulation cost (synthetic traces)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(a.plot, dpi=120)
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
