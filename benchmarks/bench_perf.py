"""Speed, memory and start-up of accelsim, side by side for one or more source trees, in one run.

    nice -n 10 python benchmarks/bench_perf.py [--trees new=.,base=/tmp/accelsim-base] [--repeat 3]
        [--archs dadiannao,cnvlutin,eyeriss,ucnn,eie,scnn] [--out benchmarks/results/perf.json] [--plot FILE.png]
    nice -n 10 python benchmarks/bench_perf.py --quick --trees new=.,base=/tmp/accelsim-base   (< 10 min)

``--quick``: only the two goal traces and start-up (no scaling series, no peak RSS), best of 2, and a
design whose warm-up run takes over 5 s (SCNN, EIE on VGG-16) timed once; about 6 minutes for two trees
on an idle 2-core machine.

Each tree (a checkout of accelsim: ``label=path``) is measured in its own subprocesses with
``PYTHONPATH=path``, so an older commit and the working tree are timed on the same machine in the same
run.  What is measured, per tree:

* **speed**: for each trace, one worker process synthesizes it once with that tree (seed 0, conv layers,
  no stored outputs: ``--weight-density han2015`` (0.35 for ResNet-50), Eyeriss's measured activation densities for AlexNet,
  44% zeros for ResNet-50, Han et al.'s for the others) and saves it to disk.  Per design: one warm-up simulation (imports and
  numba compilation are excluded), then ``--repeat`` timed runs, each on the trace freshly loaded from
  disk (so nothing computed by an earlier run is reused); the best is kept.  The load is timed separately.
  The dense reference is a single-thread torch ``conv2d`` + ReLU forward of the same layers, best of
  ``--repeat``, in the same process.  Wall and CPU seconds (``time.process_time``) are both kept: on a
  shared, loaded machine the CPU time ratio is the steadier one.  Traces: AlexNet conv batch 4 and VGG-16 conv batch 1 (the goals:
  every design <= 2x the forward pass), and a scaling series LeNet-5, AlexNet, ResNet-50, VGG-16 at batch 1.
  Each design's whole result is digested (sha256 of ``NetworkResult.to_dict()``), so a run over two trees
  also says whether they give bit-identical results on these traces.
* **peak RSS**: one fresh process per design simulates VGG-16 conv batch 3 as ``accelsim simulate`` does
  (``runner.simulate`` on the file) and reports its own ``ru_maxrss``; the ratio is to the trace's
  uncompressed float32 arrays, computed from the manifest's shapes (goal <= 2x).
* **start-up**: wall time of ``accelsim simulate`` (``python -m accelsim``) on a one-layer trace (LeNet-5
  conv1, batch 1), best of ``--repeat`` after one untimed run that warms the OS and numba caches (goal
  <= 0.5 s).

Never a test gate.  Results go to a JSON file with the machine, the trees and their commits.
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

THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
ARCHS = "dadiannao,cnvlutin,eyeriss,ucnn,eie,scnn"
#: designs the goal (<= 2x the forward pass) is about; EIE and SCNN were added later and are reported beside
GOAL_ARCHS = ("dadiannao", "cnvlutin", "eyeriss", "ucnn")
#: a design whose warm-up run takes longer than this many seconds is timed once (the quick mode's budget)
SLOW_RUN_S = 5.0
ACT = {"alexnet": "eyeriss-alexnet", "resnet50": "cnvlutin44"}
WEIGHT = {"resnet50": 0.35}  # Han et al. 2015 give no ResNet-50 densities: an assumption (as in the README)
#: (key, network, batch, role): role "goal" traces are the targets, "scale" the scaling series
TRACES = [("alexnet_b4", "alexnet", 4, "goal"), ("vgg16_b1", "vgg16", 1, "goal"),
          ("lenet5_b1", "lenet5", 1, "scale"), ("alexnet_b1", "alexnet", 1, "scale"),
          ("resnet50_b1", "resnet50", 1, "scale")]
RSS_TRACE = ("vgg16_b3", "vgg16", 3)
START_TRACE = ("lenet5_conv1", "lenet5", 1)
HERE = Path(__file__).resolve()


# ---------------------------------------------------------------- worker side (runs inside one tree)
def _trace_path(cache: Path, key: str) -> Path:
    return cache / f"{key}.npz"


def _make_trace(cache: Path, key: str, net: str, batch: int, first_only: bool = False) -> Path:
    path = _trace_path(cache, key)
    if not path.exists():
        from accelsim.trace import save_trace
        from accelsim.trace.synth import synth_trace
        tr = synth_trace(net, batch=batch, seed=0, weight_density=WEIGHT.get(net, "han2015"),
                         act_density=ACT.get(net, "han2015"), layers="conv")
        if first_only:
            tr = tr.select([tr.layers[0].name])
        cache.mkdir(parents=True, exist_ok=True)
        save_trace(tr, path)
    return path


def _forward_seconds(trace, repeat: int) -> tuple[float, float]:
    """(best wall seconds, best CPU seconds of this process) of the torch forward pass."""
    import torch
    torch.set_num_threads(1)
    f = torch.nn.functional
    xs = [(torch.from_numpy(lt.inputs_nchw()), torch.from_numpy(lt.weights_mcrs()), lt.spec) for lt in trace.layers]
    best, cpu = float("inf"), float("inf")
    with torch.no_grad():
        for _ in range(repeat + 1):  # the first run warms torch up
            t0, c0 = time.perf_counter(), time.process_time()
            for x, w, s in xs:
                f.relu(f.conv2d(x, w, stride=s.stride, padding=s.padding, groups=s.groups))
            best, cpu = min(best, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    return best, cpu


def worker_speed(cache: Path, key: str, net: str, batch: int, archs: list[str], repeat: int,
                 quick: bool = False) -> dict:
    from accelsim.accelerators import create
    from accelsim.trace import load_trace
    path = _make_trace(cache, key, net, batch)
    t0 = time.perf_counter()
    trace = load_trace(path)
    load_s = time.perf_counter() - t0
    out = {"key": key, "network": net, "batch": batch, "layers": len(trace.layers),
           "macs_dense": sum(lt.spec.macs_dense for lt in trace.layers), "load_seconds": load_s, "designs": {}}
    out["forward_seconds"], out["forward_cpu_seconds"] = _forward_seconds(trace, repeat)
    for arch in archs:
        acc = create(arch)
        t0 = time.perf_counter()
        res = acc.simulate(load_trace(path))  # warm-up: numba compile / cache load, first-touch allocations
        runs = 1 if quick and time.perf_counter() - t0 > SLOW_RUN_S else repeat
        best, cpu = float("inf"), float("inf")
        for _ in range(runs):
            tr = load_trace(path)
            t0, c0 = time.perf_counter(), time.process_time()
            res = acc.simulate(tr)
            best, cpu = min(best, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
        tot = res.total
        out["designs"][arch] = {"seconds": best, "cpu_seconds": cpu, "runs": runs, "cycles": int(tot.cycles),
                                "stall_cycles": int(tot.stall_cycles), "energy": float(tot.energy),
                                "digest": _digest(res)}
    return out


def _digest(res) -> str:
    """sha256 of the whole result (every layer's cycles, energy by component, action counts, extras): two
    trees agree bit for bit exactly when their digests do."""
    import hashlib
    d = res.to_dict()
    d.pop("trace", None)
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=repr).encode()).hexdigest()


def worker_rss(cache: Path, arch: str) -> dict:
    import resource
    from accelsim import runner
    from accelsim.trace import read_manifest
    path = _trace_path(cache, RSS_TRACE[0])
    man = read_manifest(path)
    arrays = 0
    for d in man["layers"]:  # float32 weights and inputs (the synthetic trace stores no outputs)
        n, c, h, w, m, r, s, g = (int(d[k]) for k in ("N", "C", "H", "W", "M", "R", "S", "groups"))
        arrays += 4 * (m * (c // g) * r * s + n * c * h * w)
    runner.simulate(str(path), arch)  # the code path of `accelsim simulate`
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"arch": arch, "peak_rss_bytes": peak, "trace_array_bytes": arrays, "ratio": peak / arrays}


def _worker_main(args: argparse.Namespace) -> int:
    cache = Path(args.cache)
    if args.worker == "speed":
        key, net, batch = args.trace.split(":")
        r = worker_speed(cache, key, net, int(batch), args.archs.split(","), args.repeat, bool(args.quick_worker))
    elif args.worker == "prepare":  # the start-up trace always; the RSS trace only when RSS is measured
        if args.rss_trace:
            _make_trace(cache, *RSS_TRACE)
        _make_trace(cache, *START_TRACE, first_only=True)
        r = {}
    else:
        r = worker_rss(cache, args.worker.split(":", 1)[1])
    print("RESULT " + json.dumps(r), flush=True)
    return 0


# ---------------------------------------------------------------- driver side
def _env(tree: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree)
    for v in THREADS:
        env[v] = "1"
    return env


def _run_worker(tree: Path, cache: Path, worker: str, **kw) -> dict:
    cmd = [sys.executable, str(HERE), "--worker", worker, "--cache", str(cache)]
    for k, v in kw.items():
        cmd += [f"--{k.replace('_', '-')}", str(v)]
    p = subprocess.run(cmd, env=_env(tree), capture_output=True, text=True, cwd=str(tree))
    line = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")]
    if p.returncode or not line:
        raise SystemExit(f"worker {worker} in {tree} failed:\n{p.stderr[-3000:]}")
    return json.loads(line[-1][7:])


def _startup(tree: Path, cache: Path, arch: str, repeat: int) -> float:
    cmd = [sys.executable, "-m", "accelsim", "simulate", str(_trace_path(cache, START_TRACE[0])), "--arch", arch]
    best = float("inf")
    for i in range(repeat + 1):  # the first run fills the OS page cache and the numba cache
        t0 = time.perf_counter()
        p = subprocess.run(cmd, env=_env(tree), capture_output=True, text=True, cwd=str(tree))
        dt = time.perf_counter() - t0
        if p.returncode:
            raise SystemExit(f"accelsim simulate failed in {tree}:\n{p.stderr[-2000:]}")
        if i:
            best = min(best, dt)
    return best


def _commit(tree: Path) -> str:
    p = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if p.returncode == 0:
        return p.stdout.strip()
    f = tree / "COMMIT"  # an exported tree (git archive) may carry its commit in a file
    return f.read_text().strip() if f.exists() else "unknown"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trees", default="new=.", help="label=path[,label=path...] of accelsim checkouts")
    p.add_argument("--archs", default=ARCHS)
    p.add_argument("--repeat", type=int, help="timed runs per measurement; the best is kept (default 3, quick 2)")
    p.add_argument("--only", help="parts to run (speed, rss, startup; default all, quick: speed,startup)")
    p.add_argument("--traces", help="speed traces to run (default all, quick: the goal traces)")
    p.add_argument("--quick", action="store_true", help="goal traces and start-up only, best of 2 (< 10 min)")
    p.add_argument("--out", default="benchmarks/results/perf.json")
    p.add_argument("--plot", default="benchmarks/results/perf.png")
    p.add_argument("--cache", default="/tmp/accelsim-bench", help="folder for the synthesized traces")
    p.add_argument("--replot", metavar="JSON", help="only redraw --plot from a results file")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--trace", help=argparse.SUPPRESS)
    p.add_argument("--quick-worker", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--rss-trace", type=int, default=0, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    repeat = a.repeat or (2 if a.quick else 3)
    only = set((a.only or ("speed,startup" if a.quick else "speed,rss,startup")).split(","))
    traces = (a.traces or ",".join(t[0] for t in TRACES if t[3] == "goal" or not a.quick)).split(",")
    a.repeat = repeat
    if a.worker:
        return _worker_main(a)
    if a.replot:
        with open(a.replot) as fh:
            plot(json.load(fh), a.plot)
        return 0
    t_start = time.perf_counter()
    load0 = os.getloadavg()[0]
    trees = {k: Path(v).resolve() for k, v in (x.split("=", 1) for x in a.trees.split(","))}
    archs = a.archs.split(",")
    res = {"machine": {"platform": platform.platform(), "python": sys.version.split()[0], "cpus": os.cpu_count()},
           "time": time.strftime("%Y-%m-%d %H:%M:%S"), "repeat": repeat, "quick": a.quick, "archs": archs,
           "trees": {k: {"path": str(v), "commit": _commit(v)} for k, v in trees.items()},
           "speed": {k: [] for k in trees}, "rss": {k: [] for k in trees}, "startup": {k: {} for k in trees}}
    caches = {k: Path(a.cache) / k for k in trees}
    for label, tree in trees.items():
        _run_worker(tree, caches[label], "prepare", rss_trace=int("rss" in only))
    wanted = [t for t in TRACES if t[0] in traces]
    if "speed" in only:
        for key, net, batch, role in wanted:
            for label, tree in trees.items():  # interleaved, so machine noise hits every tree alike
                r = _run_worker(tree, caches[label], "speed", trace=f"{key}:{net}:{batch}", archs=a.archs,
                                repeat=repeat, quick_worker=int(a.quick))
                r["role"] = role
                res["speed"][label].append(r)
                print(f"{label:5} {key:12} fwd {r['forward_seconds']:7.3f} s  " + "  ".join(
                    f"{d} {v['seconds']:.3f} ({v['seconds'] / r['forward_seconds']:.2f}x, "
                    f"cpu {v['cpu_seconds'] / r['forward_cpu_seconds']:.2f}x)"
                    for d, v in r["designs"].items()), flush=True)
        res["identical"] = _identical(res)
    if "rss" in only:
        for arch in archs:
            for label, tree in trees.items():
                r = _run_worker(tree, caches[label], f"rss:{arch}")
                res["rss"][label].append(r)
                print(f"{label:5} rss {arch:10} {r['peak_rss_bytes'] / 2**20:7.0f} MiB  "
                      f"{r['ratio']:.2f}x the trace arrays ({r['trace_array_bytes'] / 2**20:.0f} MiB)", flush=True)
    if "startup" in only:
        for arch in archs:
            for label, tree in trees.items():
                s = _startup(tree, caches[label], arch, repeat)
                res["startup"][label][arch] = s
                print(f"{label:5} startup {arch:10} {s:.3f} s", flush=True)
    load1 = os.getloadavg()[0]
    res["loadavg"] = [min(load0, load1), max(load0, load1)]  # 1-minute load at start and end (other jobs)
    res["wall_seconds"] = time.perf_counter() - t_start
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    with open(a.out, "w") as fh:
        json.dump(res, fh, indent=1)
    if a.plot:
        plot(res, a.plot)
    print(f"wrote {a.out} ({res['wall_seconds']:.0f} s)")
    return 0


def _identical(res: dict) -> dict:
    """Per trace and design: do all trees give the same result digest (bit-identical results)?"""
    labels = list(res["speed"])
    out: dict = {}
    for r in res["speed"][labels[0]]:
        others = [next((x for x in res["speed"][t] if x["key"] == r["key"]), None) for t in labels[1:]]
        out[r["key"]] = {d: all(o is not None and o["designs"].get(d, {}).get("digest") == v.get("digest")
                                for o in others) for d, v in r["designs"].items()}
        if len(labels) > 1:
            print(f"{r['key']:12} bit-identical across trees: " + ", ".join(
                f"{d} {'yes' if ok else 'NO'}" for d, ok in out[r["key"]].items()), flush=True)
    return out


def _tree_bars(ax, res: dict, values, goal: float, ylabel: str, title: str) -> None:
    """One bar per design and tree (trees told apart by hatching, designs by colour), the goal dashed."""
    import numpy as np
    trees, archs = list(res["trees"]), res["archs"]
    x = np.arange(len(archs))
    w = 0.8 / len(trees)
    for ti, t in enumerate(trees):
        v = values(t)
        vals = [v.get(a, np.nan) for a in archs]
        ax.bar(x + ti * w - 0.4 + w / 2, vals, w, color=[f"C{i}" for i in range(len(archs))],
               hatch=HATCHES[ti % 4], edgecolor="k", linewidth=0.4, label=t)
        for px, val in zip(x + ti * w - 0.4 + w / 2, vals):
            if np.isfinite(val):
                ax.text(px, val, f"{val:.2g}", ha="center", va="bottom", fontsize=6.5)
    ax.axhline(goal, color="k", ls="--", lw=1)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.25)   # room for the legend above the bars
    ax.set_xticks(x, archs, fontsize=8, rotation=30)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    _tree_legend(ax, trees)


HATCHES = ["", "//", "..", "xx"]


def _tree_legend(ax, trees: list[str], loc: str = "upper left") -> None:
    from matplotlib.patches import Patch
    ax.legend(handles=[Patch(facecolor="w", edgecolor="k", hatch=HATCHES[i % 4], label=f"tree {t}")
                       for i, t in enumerate(trees)], fontsize=7, loc=loc)


def plot(res: dict, path: str) -> None:
    """Panels for what was measured: speed (always), scaling, memory, start-up (those run)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    trees = list(res["trees"])
    archs = res["archs"]
    rows_by = {t: sorted([r for r in res["speed"][t] if r.get("role") == "scale" or r["key"] == "vgg16_b1"],
                         key=lambda r: r["macs_dense"]) for t in trees}
    have = {"speed": any(res["speed"][t] for t in trees), "scale": any(len(v) > 1 for v in rows_by.values()),
            "rss": any(res["rss"][t] for t in trees), "startup": any(res["startup"][t] for t in trees)}
    widths = [w for k, w in (("speed", 1.7), ("scale", 1.2), ("rss", 1.0), ("startup", 1.0)) if have[k]]
    fig, axes = plt.subplots(1, len(widths), figsize=(max(7.5, 4.6 + 3.6 * (len(widths) - 1) + (2.5 if have["speed"] else 0)), 5.2),
                             gridspec_kw={"width_ratios": widths}, squeeze=False)
    axes = list(axes[0])
    letters = iter("abcd")
    if have["speed"]:
        # ratio to the forward pass on the goal traces, one group of bars per trace, log scale
        ax = axes.pop(0)
        goal = [k for k, _, _, r in TRACES if r == "goal"]
        nb = len(archs) * len(trees)
        width = 0.84 / nb
        x = np.arange(len(goal))
        cpu_bars = all("cpu_seconds" in d for t in trees for r in res["speed"][t] for d in r["designs"].values())
        bar_key, tick_key = (("cpu_seconds", "forward_cpu_seconds"), ("seconds", "forward_seconds"))
        if not cpu_bars:   # results from before CPU time was kept: wall time only
            bar_key, tick_key = tick_key, None
        for ti, t in enumerate(trees):
            by = {r["key"]: r for r in res["speed"][t]}

            def ratio(key, arch):
                return [by[k]["designs"][arch][key[0]] / by[k][key[1]] if k in by else np.nan for k in goal]
            for ai, arch in enumerate(archs):
                vals = ratio(bar_key, arch)
                pos = x + (ai * len(trees) + ti) * width - 0.42 + width / 2
                ax.bar(pos, vals, width, color=f"C{ai}", hatch=HATCHES[ti % 4], edgecolor="k", linewidth=0.4,
                       label=arch if ti == 0 else None)
                ticks = ratio(tick_key, arch) if tick_key else [np.nan] * len(goal)
                if tick_key:
                    ax.plot(pos, ticks, "_", color="k", ms=6, mew=1.5, zorder=5,
                            label="wall-time ratio" if ti == 0 and ai == 0 else None)
                for px, v, w in zip(pos, vals, ticks):
                    if np.isfinite(v):
                        ax.text(px, np.nanmax([v, w]) * 1.12, f"{v:.0f}" if v >= 10 else f"{v:.2g}", ha="center",
                                va="bottom", fontsize=6.5, rotation=90)
        ax.set_yscale("log")
        ax.axhline(2, color="k", ls="--", lw=1)
        ax.text(-0.48, 2, "goal 2x", va="center", ha="left", fontsize=8,
                bbox={"facecolor": "w", "edgecolor": "none", "pad": 1})
        ax.set_xlim(-0.5, len(goal) - 0.5)
        ax.set_xticks(x, ["AlexNet conv, batch 4", "VGG-16 conv, batch 1"])
        ax.set_ylabel("simulation time / torch forward (1 thread, log scale)\n" +
                      ("bars: CPU time, ticks: wall time" if cpu_bars else "wall time"))
        ax.set_title(f"({next(letters)}) speed relative to a dense forward pass", fontsize=10)
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi * 40)   # room for the value labels and the legends
        leg = ax.legend(fontsize=7, ncol=3, loc="upper right", title="design (colour)", title_fontsize=7)
        ax.add_artist(leg)
        _tree_legend(ax, trees)
    if have["scale"]:
        ax = axes.pop(0)
        for ti, t in enumerate(trees):
            rows = rows_by[t]
            m = [r["macs_dense"] for r in rows]
            ls = "-" if ti == 0 else ":"
            for ai, arch in enumerate(archs):
                ax.loglog(m, [r["designs"][arch]["seconds"] for r in rows], "o" + ls, color=f"C{ai}", ms=3,
                          label=arch if ti == 0 else None)
            ax.loglog(m, [r["forward_seconds"] for r in rows], "s" + ls, color="k", ms=3,
                      label="torch forward" if ti == 0 else None)
        ax.set_xlabel("dense MACs (LeNet-5, AlexNet, ResNet-50, VGG-16; batch 1)")
        ax.set_ylabel("seconds")
        ax.set_title(f"({next(letters)}) scaling (" + ", ".join(f"{t}: {'solid' if i == 0 else 'dotted'}"
                                                               for i, t in enumerate(trees)) + ")", fontsize=10)
        ax.legend(fontsize=6.5, ncol=2)
    if have["rss"]:
        _tree_bars(axes.pop(0), res, lambda t: {r["arch"]: r["ratio"] for r in res["rss"][t]}, 2,
                   "peak RSS / trace arrays", f"({next(letters)}) memory, VGG-16 conv b3")
    if have["startup"]:
        _tree_bars(axes.pop(0), res, lambda t: res["startup"][t], 0.5, "seconds (warm caches)",
                   f"({next(letters)}) `accelsim simulate`, one layer")
    commits = ", ".join(f"{k}={v['commit']}" for k, v in res["trees"].items())
    load = res.get("loadavg")
    busy = f"; load average {load[0]:.1f}-{load[1]:.1f} on {res['machine']['cpus']} cores" if load else ""
    quick = " [quick mode: a design whose run takes over 5 s is timed once]" if res.get("quick") else ""
    what = f"best of {res['repeat']}{quick}" if have["speed"] or have["startup"] else "peak RSS of one fresh process per design"
    fig.suptitle(f"accelsim performance: 1 thread, {what}\n"
                 f"trees {commits}{busy}; dashed = goal",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
