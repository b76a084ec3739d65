"""Start-up of ``accelsim simulate`` and SCALE-Sim's large topologies, synthesized and simulated per design.

    nice -n 10 python benchmarks/bench_scale.py --topologies DIR [--trees new=.,base=/tmp/accelsim-base]
        [--only startup,scale] [--names MobileNet_4k_non_dw,mobilnet_4k] [--archs ...] [--timeout 900]
        [--out benchmarks/results/scale.json] [--plot benchmarks/results/scale.png]

``DIR`` holds SCALE-Sim's topology CSVs (``MobileNet_4k_non_dw.csv``, ``mobilnet_4k.csv``, ``UNet_2d.csv``,
``Resnet50_4k_no_pool.csv``: ``topologies/conv_nets/`` in SCALE-Sim's repository; they are not shipped with
accelsim).  What is measured, each command in a fresh process (wall time, and peak RSS from ``wait4``):

* **start-up**, per tree and design: ``python -m accelsim simulate`` of a one-layer trace (LeNet-5 conv1,
  batch 1), best of ``--repeat`` after one untimed run that fills the OS page cache and the numba cache.
* **scale**, per topology and tree (interleaved): ``accelsim trace synth --topology T.csv --act-density 0.5
  --values float16 --storage packed`` (dense weights), the file's size and the leftover temporary files in
  its folder, then ``accelsim simulate`` of the file on every design (first tree; the other trees only on
  the designs ``--sim-archs`` names), each stopped after ``--timeout`` seconds (``--synth-timeout`` per tree).

Never a test gate.  Results go to a JSON file with the machine, its load and the trees' commits.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
ARCHS = "dadiannao,cnvlutin,eyeriss,ucnn,eie,scnn"
NAMES = "MobileNet_4k_non_dw,mobilnet_4k,UNet_2d,Resnet50_4k_no_pool"
SYNTH = ["--act-density", "0.5", "--values", "float16", "--storage", "packed"]


def _env(tree: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed accelsim has its .pyc files
    for v in THREADS:
        env[v] = "1"
    return env


def timed(cmd: list[str], env: dict, cwd: str, timeout: float | None = None) -> dict:
    """Run ``cmd``; wall seconds, peak RSS (bytes), exit code, stderr tail; killed after ``timeout``."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         start_new_session=True)
    timed_out = False
    if timeout:
        import threading

        def kill() -> None:
            nonlocal timed_out
            timed_out = True
            os.killpg(p.pid, signal.SIGTERM)
        timer = threading.Timer(timeout, kill)
        timer.start()
    err = p.stderr.read().decode(errors="replace")
    _, status, ru = os.wait4(p.pid, 0)
    if timeout:
        timer.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)
    return {"seconds": round(time.perf_counter() - t0, 3), "peak_rss_bytes": ru.ru_maxrss * 1024,
            "returncode": p.returncode, "timed_out": timed_out, "stderr": err[-500:]}


def _commit(tree: Path) -> str:
    p = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if p.returncode == 0:
        return p.stdout.strip()
    f = tree / "COMMIT"  # an exported tree (git archive) may carry its commit in a file
    return f.read_text().strip() if f.exists() else "unknown"


def startup(trees: dict[str, Path], archs: list[str], repeat: int, work: Path) -> dict:
    one = work / "lenet5_conv1.npz"
    first = next(iter(trees.values()))
    code = ("from accelsim.trace.synth import synth_trace; from accelsim.trace import save_trace; "
            f"save_trace(synth_trace('lenet5', layers=['conv1']), {str(one)!r})")
    subprocess.run([sys.executable, "-c", code], env=_env(first), check=True)
    out: dict = {}
    for label, tree in trees.items():
        out[label] = {}
        for arch in archs:
            cmd = [sys.executable, "-m", "accelsim", "simulate", str(one), "--arch", arch]
            runs = [timed(cmd, _env(tree), str(work)) for _ in range(repeat + 1)][1:]
            bad = [r for r in runs if r["returncode"]]
            if bad:
                raise SystemExit(f"{label} {arch} failed: {bad[0]['stderr']}")
            out[label][arch] = min(r["seconds"] for r in runs)
            print(f"startup {label:5} {arch:10} {out[label][arch]:.3f} s", flush=True)
    return out


def scale(trees: dict[str, Path], topo_dir: Path, names: list[str], archs: list[str], timeout: float, work: Path,
          sim_archs: dict[str, list[str]], synth_timeout: dict[str, float]) -> dict:
    """Per topology, interleaved over the trees (so machine noise hits them alike): synth with each tree,
    then simulate its file with the designs ``sim_archs`` names for that tree (all ``archs`` for the
    first tree).  The first tree's row is ``synth``/``designs``; the others' are under ``trees``."""
    first = next(iter(trees))
    sys.path.insert(0, str(trees[first]))
    from accelsim.trace import read_manifest
    from accelsim.trace.format import LayerSpec
    res: dict = {}
    for name in names:
        csv = topo_dir / f"{name}.csv"
        row: dict = {"designs": {}, "trees": {}, "loadavg_start": round(os.getloadavg()[0], 1)}
        for label, tree in trees.items():
            env = _env(tree)
            out = work / f"{name}.{label}.npz"
            r = timed([sys.executable, "-m", "accelsim", "trace", "synth", "--topology", str(csv), *SYNTH,
                       "--out", str(out)], env, str(work), synth_timeout.get(label, timeout))
            leftovers = sorted(p.name for p in work.iterdir() if ".tmp" in p.name)
            part: dict = {"synth": r, "leftover_tmp_files": leftovers, "designs": {}}
            print(f"{name:22} {label:5} synth {r['seconds']:7.1f} s  {r['peak_rss_bytes'] / 2**20:6.0f} MiB  "
                  f"rc {r['returncode']}{'  TIMEOUT' if r['timed_out'] else ''}  leftovers {leftovers}", flush=True)
            if r["returncode"] == 0:
                man = read_manifest(out)
                specs = [LayerSpec.from_dict(d, version=man["version"]) for d in man["layers"]]
                values = sum(_size(s.weight_shape) + _size(s.input_shape) for s in specs)
                part["file_bytes"] = out.stat().st_size
                row.update(layers=len(specs), gmac=sum(s.macs_dense for s in specs) / 1e9, values=values,
                           array_bytes_float32=4 * values)
                for arch in (archs if label == first else sim_archs.get(label, [])):
                    d = timed([sys.executable, "-m", "accelsim", "simulate", str(out), "--arch", arch, "--quiet"],
                              env, str(work), timeout)
                    part["designs"][arch] = d
                    print(f"{name:22} {label:5} {arch:10} {d['seconds']:7.1f} s  {d['peak_rss_bytes'] / 2**20:6.0f} MiB"
                          f"  rc {d['returncode']}{'  TIMEOUT' if d['timed_out'] else ''}", flush=True)
            if out.exists():
                out.unlink()
            if label == first:
                row.update(synth=r, leftover_tmp_files=leftovers, designs=part["designs"],
                           file_bytes=part.get("file_bytes"))
            else:
                row["trees"][label] = part
        row["loadavg_end"] = round(os.getloadavg()[0], 1)
        res[name] = row
    return res


def _size(shape) -> int:
    n = 1
    for x in shape:
        n *= int(x)
    return n


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trees", default="new=.", help="label=path[,label=path...]; scale runs on the first")
    p.add_argument("--topologies", default="/tmp/scalesim", help="folder of SCALE-Sim topology CSVs")
    p.add_argument("--names", default=NAMES)
    p.add_argument("--archs", default=ARCHS)
    p.add_argument("--only", default="startup,scale")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per synth or simulate command")
    p.add_argument("--synth-timeout", default="", help="label=seconds[,...]: another limit for a tree's synth")
    p.add_argument("--sim-archs", default="", help="label=arch+arch[,...]: designs simulated with the other "
                   "trees (default none: only their synth is measured)")
    p.add_argument("--max-bytes", help="ACCELSIM_MAX_BYTES for every command (Resnet50_4k_no_pool needs 21G)")
    p.add_argument("--work", default="/tmp/accelsim-bench-scale", help="folder for the traces (deleted after)")
    p.add_argument("--out", default="benchmarks/results/scale.json")
    p.add_argument("--plot", default="benchmarks/results/scale.png")
    p.add_argument("--merge", action="store_true", help="keep the parts of --out this run does not measure")
    p.add_argument("--replot", metavar="JSON", help="only redraw --plot from a results file")
    a = p.parse_args(argv)
    if a.replot:
        plot(json.loads(Path(a.replot).read_text()), a.plot)
        return 0
    trees = {k: Path(v).resolve() for k, v in (x.split("=", 1) for x in a.trees.split(","))}
    archs, only = a.archs.split(","), set(a.only.split(","))
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    res = json.loads(Path(a.out).read_text()) if a.merge and Path(a.out).exists() else {}
    load0 = os.getloadavg()[0]
    res.update({"machine": {"platform": platform.platform(), "python": sys.version.split()[0],
                            "cpus": os.cpu_count()}, "time": time.strftime("%Y-%m-%d %H:%M:%S"),
                "trees": {k: {"path": str(v), "commit": _commit(v)} for k, v in trees.items()},
                "synth_options": SYNTH})
    if "startup" in only:
        res["startup"] = {"repeat": a.repeat, "seconds": startup(trees, archs, a.repeat, work)}
    if "scale" in only:
        if a.max_bytes:
            os.environ["ACCELSIM_MAX_BYTES"] = a.max_bytes
            res["env"] = {"ACCELSIM_MAX_BYTES": a.max_bytes}
        sim = {k: v.split("+") for k, v in (x.split("=", 1) for x in a.sim_archs.split(",") if x)}
        st = {k: float(v) for k, v in (x.split("=", 1) for x in a.synth_timeout.split(",") if x)}
        got = scale(trees, Path(a.topologies), a.names.split(","), archs, a.timeout, work, sim, st)
        for name, row in got.items():  # --merge: designs not run this time keep their earlier rows
            old = res.setdefault("scale", {}).get(name, {})
            row["designs"] = {**old.get("designs", {}), **row["designs"]}
            res["scale"][name] = row
        res["timeout_seconds"] = a.timeout
        res["synth_timeout_seconds"] = st
    res.setdefault("loadavg", [])
    res["loadavg"] = [round(min(load0, os.getloadavg()[0]), 1), round(max(load0, os.getloadavg()[0]), 1)]
    Path(a.out).write_text(json.dumps(res, indent=1))
    if a.plot:
        plot(res, a.plot)
    print(f"wrote {a.out}")
    return 0


def plot(res: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6), gridspec_kw={"width_ratios": [1, 1.6, 1.2]})
    hatches = ["", "//", "..", "xx"]
    ax = axes[0]
    st = res.get("startup", {}).get("seconds", {})
    trees = list(st)
    archs = list(next(iter(st.values()), {}))
    x = np.arange(len(archs))
    w = 0.8 / max(1, len(trees))
    for ti, t in enumerate(trees):
        ax.bar(x + ti * w - 0.4 + w / 2, [st[t][a] for a in archs], w, color="C9", hatch=hatches[ti % 4],
               edgecolor="k", linewidth=0.4,
               label=f"{t} ({res['startup'].get('commits', {}).get(t) or res['trees'].get(t, {}).get('commit', '?')})")
    ax.axhline(0.5, color="k", ls="--", lw=1)
    ax.text(len(archs) - 0.55, 0.5, "goal 0.5 s", va="bottom", ha="right", fontsize=8,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.set_xticks(x, archs, fontsize=7, rotation=30)
    ax.set_ylabel("seconds (warm caches)")
    same = set(res.get("startup", {}).get("commits", {}).values()) <= {v["commit"] for v in res.get("trees", {}).values()}
    ax.set_title("(a) `accelsim simulate`, one-layer trace" + ("" if same else "\n(an earlier run, its own commits)"),
                 fontsize=10)
    ax.legend(fontsize=7, loc="upper right")
    ax.set_ylim(0, 1.25 * ax.get_ylim()[1])
    sc = res.get("scale", {})
    names = list(sc)
    ax = axes[1]
    darchs = list(next((r["designs"] for r in sc.values() if r.get("designs")), {}))
    cols = ["synth"] + darchs
    x = np.arange(len(names))
    w = 0.8 / max(1, len(cols))
    timeout = res.get("timeout_seconds")
    not_run: list[float] = []
    for ci, c in enumerate(cols):
        vals, hit = [], []
        for n in names:
            r = sc[n]["synth"] if c == "synth" else sc[n]["designs"].get(c)
            vals.append(np.nan if r is None else r["seconds"])
            hit.append(bool(r and (r["timed_out"] or r["returncode"])))
        bars = ax.bar(x + ci * w - 0.4 + w / 2, vals, w, color="k" if c == "synth" else f"C{ci - 1}",
                      edgecolor="k", linewidth=0.4, label=c)
        for b, h, v in zip(bars, hit, vals):
            if h:
                b.set_hatch("xx")
            if c != "synth" and np.isnan(v):
                not_run.append(b.get_x() + b.get_width() / 2)
    ax.set_yscale("log")
    bottom = ax.get_ylim()[0]
    for xc in not_run:
        ax.text(xc, bottom * 1.15, "not run", rotation=90, ha="center", va="bottom", fontsize=6, color="0.4")
    others = [t for t in res.get("trees", {}) if t != next(iter(res.get("trees", {"": 0})))]
    markers = ["x", "+", "1"]
    for ti, t in enumerate(others):  # the other trees of the same run: one marker per tree, over the bars
        labelled = False
        for ni, n in enumerate(names):
            part = sc[n].get("trees", {}).get(t, {})
            for ci, c in enumerate(cols):
                r = part.get("synth") if c == "synth" else part.get("designs", {}).get(c)
                if r:
                    stopped = r["timed_out"] or r["returncode"]
                    ax.plot(ni + ci * w - 0.4 + w / 2, r["seconds"], markers[ti % 3], color="w", ms=10, mew=4)
                    ax.plot(ni + ci * w - 0.4 + w / 2, r["seconds"], markers[ti % 3], color="k", ms=8, mew=1.8,
                            label=None if labelled else f"{t} {res['trees'][t]['commit']} (same run; "
                            "arrow: stopped)")
                    if stopped:
                        ax.annotate("", (ni + ci * w - 0.4 + w / 2, r["seconds"] * 2.2),
                                    (ni + ci * w - 0.4 + w / 2, r["seconds"]),
                                    arrowprops={"arrowstyle": "->", "color": "k", "lw": 1})
                    labelled = True
    ax.axhline(60, color="k", ls="--", lw=1)
    ax.text(-0.5, 60, "goal: synth + simulate < 60 s", va="bottom", ha="left", fontsize=8,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.set_yscale("log")
    ax.set_xticks(x, [f"{n}\n{sc[n].get('gmac', 0):.0f} GMAC" for n in names], fontsize=7)
    ax.set_ylabel("seconds (log)")
    ax.set_title("(b) synth, then simulate per design: separate bars (hatched: stopped at the time limit)")
    ax.legend(fontsize=7, ncol=3, loc="upper left")
    ax.set_ylim(top=ax.get_ylim()[1] * 8)
    ax.set_xlim(-0.55, len(names) - 0.45)
    ax = axes[2]
    for ci, c in enumerate(cols):
        vals = []
        for n in names:
            r = sc[n]["synth"] if c == "synth" else sc[n]["designs"].get(c)
            vals.append(np.nan if r is None else r["peak_rss_bytes"] / 2**30)
        ax.bar(x + ci * w - 0.4 + w / 2, vals, w, color="k" if c == "synth" else f"C{ci - 1}", edgecolor="k",
               linewidth=0.4, label=c)
    ax.set_xticks(x, [f"{n}\nfile {(sc[n].get('file_bytes') or 0) / 2**20:.0f} MiB" for n in names], fontsize=7)
    ax.set_ylabel("GiB")
    ax.set_title("(c) peak RSS per command")
    ax.legend(fontsize=7, ncol=2, loc="upper left")
    ax.set_ylim(0, 1.35 * ax.get_ylim()[1])
    loads = [v for n in names for v in (sc[n].get("loadavg_start"), sc[n].get("loadavg_end")) if v is not None]
    load = [min(loads), max(loads)] if loads else (res.get("loadavg") or [0, 0])
    fig.suptitle(f"accelsim start-up and SCALE-Sim topologies (1 thread; machine load average {load[0]:.1f}-"
                 f"{load[1]:.1f} on {res['machine']['cpus']} cores; synth {' '.join(res.get('synth_options', []))})",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
