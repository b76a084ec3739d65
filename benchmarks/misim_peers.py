"""accelsim's DaDianNao/Cnvlutin cycles (timing_model misim and ideal) against MIsim's, layer by layer, on
identical tensors.  MIsim (github iniverno/MIsim, the Cnvlutin authors' Python 2 simulator) runs OUTSIDE
this repository: get it yourself, then

    git clone https://github.com/iniverno/MIsim /tmp/MIsim-repo && cd /tmp/MIsim-repo && git checkout 57ffffff
    python2 -m pip install --target /tmp/py2lib numpy==1.16.6 sortedcontainers==2.1.0
    PYTHONPATH=$PWD python benchmarks/misim_peers.py --misim /tmp/MIsim-repo/MIsim --python2 python2 \\
        --py2path /tmp/py2lib --out benchmarks/results/misim_peers.json

For each layer the script saves the input tensor (one image, (C, H, W) as MIsim's testSystem.py reads it)
and runs MIsim's LayerDirector through a small driver of ours (written to a temporary folder: it sets
``options`` for ZF = 0 / ZF = 1 as options.py does, silences the prints, pads channels as testSystem.py
does and prints ``director.now``).  MIsim's HEAD (c37ab10c) does not run as committed: its SimpleMemory
still has ``cycle()`` where the director calls ``wakeup()``; the driver aliases it.

MIsim wakes the components due in one cycle in the iteration order of a Python set of objects, which
follows their memory addresses, so its count moves between runs (address-space randomization; with it
off, ``setarch -R``, a run repeats exactly).  ``--runs N`` repeats each MIsim run N times and records every
count; ``--order canonical`` makes the driver replace the director's wake queue with one that wakes them
in a fixed order (memory, clusters by index, units by cluster and index): with it MIsim repeats exactly
and gives accelsim's ``misim`` counts.  Examples (README validation table):

    ... --arch cnvlutin --runs 5 --out /tmp/cnv_set.json               # MIsim as committed, 5 runs
    ... --arch cnvlutin --order canonical --out /tmp/cnv_canonical.json
    ... --arch cnvlutin --runs 6 --record /tmp/wake --skip conv1 --address-seeds 8 --out /tmp/cnv_replay.json

``--record DIR`` makes the driver save, before each Cnvlutin run, the CPython hashes of the objects MIsim's
director wakes (memory, clusters, units) and of the units' ``fill_NBin`` bound methods (a read's
requesters), which fix that run's wake order, to DIR/LAYER_runI.json (with the objects' addresses), and
runs accelsim with ``misim_wake_order: cpython`` on each file: the replay of that run.

MIsim runs ungrouped layers only (``group = 1``), so AlexNet conv2/4/5 are given as MIsim runs them.
DNNsim is not run here: ``dadiannao_dnnsim_rule`` is its DaDianNao rule applied by hand from
``core/src/OutputStationary.cpp`` (window sets x filter sets per tile x ceil(Cpad*R*S/16) steps, with
its first-layer reshape); benchmarks/dnnsim_peers.py runs DNNsim itself on these layers (same numbers).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DRIVER = r'''
import os, sys
misim_dir, zf, path, M, K, stride, pad, order, record = sys.argv[1:10]
sys.path.insert(0, misim_dir)
import options as op
op.verboseDirector = op.verboseCluster = op.verboseUnit = op.verboseMemory = 0
op.fast = 0
op.ZF = int(zf)
op.nClusters, op.Tn, op.nEntries = 16, 16, 16
if op.ZF:
    op.CM_bytesCyclePort, op.nUnitsCluster, op.Ti = 32, 16, 1
else:
    op.CM_bytesCyclePort, op.nUnitsCluster, op.Ti = 256, 1, 16
import numpy as np
import director
if not hasattr(director.simpleMemory.SimpleMemory, 'wakeup'):
    director.simpleMemory.SimpleMemory.wakeup = director.simpleMemory.SimpleMemory.cycle
if order == 'canonical':
    # our replacement of the director's wake queue: the components due in one cycle are woken in a fixed
    # order (the memory, then the clusters by index, then the units by cluster and index) instead of the
    # iteration order of a Python set of objects (which follows their addresses and changes between runs)
    LD = director.LayerDirector
    def rank(e):
        kind = e.__class__.__name__
        if kind == 'Cluster':
            return (1, e.clusterID, 0)
        if kind == 'Unit':
            return (2, e.clusterID, e.unitID)
        return (0, 0, 0)
    def schedule(self, entity, when=1):
        due = self.now + when
        if due not in self.wakeQ:
            self.wakeQ[due] = {}
        self.wakeQ[due][rank(entity)] = entity
    def step(self):
        if len(self.wakeQ):
            due, woken = self.wakeQ.popitem(0)
            self.now = due
            for k in sorted(woken):
                e = woken[k]
                (getattr(e, 'wakeup', None) or e.cycle)()
    LD.schedule = schedule
    LD.wakeup = step
    LD.cycle = step
M, K, stride, pad = int(M), int(K), int(stride), int(pad)
data = np.load(path)
Ni = data.shape[0]
Ni_pad = int(np.ceil(Ni / float(op.nUnitsCluster))) * op.nUnitsCluster
if Ni_pad != Ni:
    z = np.zeros((Ni_pad,) + data.shape[1:]); z[:Ni] = data; data = z
d = director.LayerDirector(op.nClusters, op.nClusters * op.nUnitsCluster, op.Ti, op.Tn, op.nEntries, op.ZF)
if record:
    # the CPython hashes of the objects the director wakes (memory, clusters, units cluster-major) and of the
    # units' fill_NBin bound methods (a memory read's requesters): they fix this run's wake order
    import json
    units = [u for c in d.clusters for u in c.units]
    with open(record, 'w') as f:
        json.dump({'components': [hash(e) for e in [d.centralMem] + d.clusters + units],
                   'requesters': [hash(u.fill_NBin) for u in units],
                   'addresses': [id(e) for e in [d.centralMem] + d.clusters + units]}, f)
real = sys.stdout; sys.stdout = open(os.devnull, 'w')
d.computeConvolutionalLayer(data, np.zeros((M, Ni_pad, K, K)), stride, pad, 1)
sys.stdout = real
print(d.now)
'''


def cases(seed: int = 0) -> list[tuple[str, np.ndarray, int, int, int, int]]:
    """(name, input (C, H, W), M, K, stride, pad).  AlexNet conv1-5 as MIsim runs them (ungrouped), inputs
    drawn at Eyeriss's measured AlexNet input zeros (0/39/73/79/78%); then hand-made layers."""
    rng = np.random.default_rng(seed)

    def relu_field(c, h, zeros):
        x = rng.random((c, h, h)).astype(np.float32)
        x[rng.random((c, h, h)) < zeros] = 0
        return x
    out = [("alexnet conv1", rng.random((3, 227, 227)).astype(np.float32) + 0.01, 96, 11, 4, 0),
           ("alexnet conv2", relu_field(96, 27, 0.39), 256, 5, 1, 2),
           ("alexnet conv3", relu_field(256, 13, 0.73), 384, 3, 1, 1),
           ("alexnet conv4", relu_field(384, 13, 0.79), 384, 3, 1, 1),
           ("alexnet conv5", relu_field(384, 13, 0.78), 256, 3, 1, 1)]
    one = np.zeros((32, 12, 12), np.float32)
    one[5] = 1.0
    out += [("C=40 (not a multiple of 16), 50% zeros", relu_field(40, 12, 0.5), 64, 3, 1, 1),
            ("stride 2, 50% zeros", relu_field(32, 15, 0.5), 64, 3, 2, 0),
            ("all-zero input", np.zeros((64, 10, 10), np.float32), 64, 3, 1, 1),
            ("one channel always active", one, 64, 3, 1, 1),
            ("M=512, 60% zeros", relu_field(64, 10, 0.6), 512, 3, 1, 1),
            ("dense C=256", np.ones((256, 8, 8), np.float32), 256, 3, 1, 1),
            ("5x5 kernels, 40% zeros", relu_field(48, 12, 0.4), 128, 5, 1, 2)]
    return out


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.split(",")[0]).strip("_")


def accelsim_cycles(arch: str, x: np.ndarray, M: int, K: int, stride: int, pad: int, **cfg) -> int:
    from accelsim.accelerators.registry import create
    from accelsim.trace.format import LayerSpec, LayerTrace
    C, H, W = x.shape
    spec = LayerSpec("l", "conv", 1, C, H, W, M, K, K, stride, pad)
    lt = LayerTrace(spec, np.ones((M, C, K, K), np.float32), x[None].astype(np.float32))
    return int(create(arch, None, **cfg).simulate_layer(lt).cycles)


def dnnsim_rule(x: np.ndarray, M: int, K: int, stride: int, pad: int) -> int:
    """DNNsim's DaDianNao (OutputStationary, 1 window column, 16 filter rows, 16 tiles, 16 lanes), applied
    by hand: with C = 3 and stride > 1 the layer is first reshaped to 3*s^2 channels, ceil(K/s) taps, stride
    1; then cycles = E*F x ceil(ceil(M/16)/16) x ceil(Cpad*K*K/16)."""
    C, H, _ = x.shape
    E = (H + 2 * pad - K) // stride + 1
    if C == 3 and stride > 1:
        C, K = 3 * stride * stride, -(-K // stride)
    def cdiv(a, b):
        return -(-a // b)
    return E * E * cdiv(cdiv(M, 16), 16) * cdiv(cdiv(C, 16) * 16 * K * K, 16)


def run_misim(args, driver: Path, tmp: Path, x: np.ndarray, zf: int, M: int, K: int, s: int, p: int,
              order: str, record: str = ""):
    np.save(tmp / "x.npy", x.astype(np.float64))
    env = dict(os.environ, PYTHONPATH=args.py2path or "")
    t0 = time.time()
    r = subprocess.run([args.python2, str(driver), args.misim, str(zf), str(tmp / "x.npy"), str(M), str(K),
                        str(s), str(p), order, record], capture_output=True, text=True, env=env, timeout=args.timeout)
    if r.returncode:
        last = (r.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"MIsim fails: {last[:120]}", time.time() - t0
    return int(r.stdout.split()[-1]), "", time.time() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--misim", required=True, help="MIsim's MIsim/ folder (holding director.py)")
    ap.add_argument("--python2", default="python2")
    ap.add_argument("--py2path", default="", help="PYTHONPATH with numpy and sortedcontainers for python2")
    ap.add_argument("--chunk-cost", default="nnz", choices=("nnz", "original"),
                    help="accelsim's misim_chunk_cost: nnz for MIsim 57ffffff, original for HEAD")
    ap.add_argument("--order", default="set", choices=("set", "canonical"),
                    help="set: MIsim as committed (a cycle's components woken in a Python set's order); "
                         "canonical: the driver wakes them in a fixed order (memory, clusters, units)")
    ap.add_argument("--runs", type=int, default=1, help="MIsim runs per layer and design (its set order "
                    "follows object addresses, which address-space randomization changes between runs)")
    ap.add_argument("--wake-seeds", type=int, default=5,
                    help="accelsim Cnvlutin with misim_wake_order shuffled, seeds 0..N-1")
    ap.add_argument("--record", default="", metavar="DIR",
                    help="Cnvlutin: save each MIsim run's object hashes (its wake order) to DIR and replay them in "
                         "accelsim (misim_wake_order cpython) beside the run")
    ap.add_argument("--address-seeds", type=int, default=0,
                    help="with --record: accelsim Cnvlutin with misim_wake_order address (the address model) on "
                         "each layer's first recorded run, seeds 0..N-1")
    ap.add_argument("--address-all-runs", type=int, default=0, metavar="N",
                    help="with --record: also the address model on every recorded run of a layer, seeds 0..N-1 "
                         "each (the model keeps a run's in-page offsets: this shows how much that choice matters)")
    ap.add_argument("--reuse-runs", default="", metavar="JSON",
                    help="take MIsim's counts from this earlier output (run with the same --record DIR) instead "
                         "of running MIsim again; accelsim's columns (and replays of the records) are recomputed")
    ap.add_argument("--arch", default="dadiannao,cnvlutin", help="which of dadiannao,cnvlutin to run")
    ap.add_argument("--only", default="", help="run only cases whose name contains this")
    ap.add_argument("--skip", action="append", default=[], help="skip cases whose name contains this (repeatable)")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--out", default="benchmarks/results/misim_peers.json")
    args = ap.parse_args(argv)
    archs = [a for a in args.arch.split(",") if a]
    reuse = {}
    if args.reuse_runs:
        for r in json.loads(Path(args.reuse_runs).read_text())["rows"]:
            reuse[r["layer"]] = r
    rows = []
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        driver = tmp / "drive_misim.py"
        driver.write_text(DRIVER)
        for name, x, M, K, s, p in cases():
            if (args.only and args.only not in name) or any(k in name for k in args.skip):
                continue
            if args.reuse_runs and name not in reuse:
                continue
            row = {"layer": name, "C": x.shape[0], "H": x.shape[1], "M": M, "K": K, "stride": s, "pad": p,
                   "input_zeros": float((x == 0).mean())}
            for zf, arch in ((0, "dadiannao"), (1, "cnvlutin")):
                if arch not in archs:
                    continue
                runs, notes, secs, replay = [], [], 0.0, []
                old = reuse.get(name, {})
                if args.reuse_runs and f"{arch}_misim_peer_runs" not in old:
                    continue
                for i in range(len(old[f"{arch}_misim_peer_runs"]) if old else args.runs):
                    rec = ""
                    if args.record and zf and args.order == "set":
                        Path(args.record).mkdir(parents=True, exist_ok=True)
                        rec = str(Path(args.record) / f"{slug(name)}_run{i}.json")
                    if old:
                        m, why = old[f"{arch}_misim_peer_runs"][i], old.get(f"{arch}_misim_peer_note", "")
                        t = old.get(f"{arch}_misim_peer_seconds", 0.0) / len(old[f"{arch}_misim_peer_runs"])
                    else:
                        m, why, t = run_misim(args, driver, tmp, x, zf, M, K, s, p, args.order, rec)
                    if rec and m is not None:
                        replay.append(accelsim_cycles(arch, x, M, K, s, p, timing_model="misim",
                                                      misim_chunk_cost=args.chunk_cost,
                                                      misim_wake_order="cpython", misim_wake_file=rec))
                    runs.append(m)
                    notes.append(why)
                    secs += t
                    if m is None:
                        break
                ok = [m for m in runs if m is not None]
                row[f"{arch}_misim_peer_runs"] = runs
                if replay:  # accelsim replaying each run's recorded wake order
                    row[f"{arch}_accelsim_misim_replay"] = replay
                row[f"{arch}_misim_peer"] = ok[0] if ok else None
                row[f"{arch}_misim_peer_min"] = min(ok) if ok else None
                row[f"{arch}_misim_peer_max"] = max(ok) if ok else None
                row[f"{arch}_misim_peer_note"] = next((n for n in notes if n), "")
                row[f"{arch}_misim_peer_seconds"] = round(secs, 1)
                row[f"{arch}_accelsim_misim"] = accelsim_cycles(arch, x, M, K, s, p, timing_model="misim",
                                                                misim_chunk_cost=args.chunk_cost)
                row[f"{arch}_accelsim_ideal"] = accelsim_cycles(arch, x, M, K, s, p)
                if replay and args.address_seeds:  # the address model from the first recorded run
                    rec0 = str(Path(args.record) / f"{slug(name)}_run0.json")
                    row["cnvlutin_accelsim_misim_address"] = [
                        accelsim_cycles(arch, x, M, K, s, p, timing_model="misim", misim_chunk_cost=args.chunk_cost,
                                        misim_wake_order="address", misim_wake_file=rec0, misim_wake_seed=seed)
                        for seed in range(args.address_seeds)]
                if replay and args.address_all_runs:
                    row["cnvlutin_accelsim_misim_address_runs"] = [
                        [accelsim_cycles(arch, x, M, K, s, p, timing_model="misim", misim_chunk_cost=args.chunk_cost,
                                         misim_wake_order="address", misim_wake_seed=seed,
                                         misim_wake_file=str(Path(args.record) / f"{slug(name)}_run{i}.json"))
                         for seed in range(args.address_all_runs)] for i in range(len(replay))]
                if arch == "cnvlutin":  # MIsim's set order modelled as seeded random wake orders
                    row["cnvlutin_accelsim_misim_shuffled"] = [
                        accelsim_cycles(arch, x, M, K, s, p, timing_model="misim", misim_chunk_cost=args.chunk_cost,
                                        misim_wake_order="shuffled", misim_wake_seed=seed)
                        for seed in range(args.wake_seeds)]
                print(f"{name:42s} {arch:9s} MIsim ({args.order}) {runs} replayed {replay or '-'} address model "
                      f"{row.get(f'{arch}_accelsim_misim_address', '-')} accelsim misim "
                      f"{row[f'{arch}_accelsim_misim']} shuffled {row.get(f'{arch}_accelsim_misim_shuffled', '-')} "
                      f"ideal {row[f'{arch}_accelsim_ideal']} "
                      f"{row[f'{arch}_misim_peer_note']}", flush=True)
            row["dadiannao_dnnsim_rule"] = dnnsim_rule(x, M, K, s, p)
            rows.append(row)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"chunk_cost": args.chunk_cost, "order": args.order,
                                          "runs": None if args.reuse_runs else args.runs,
                                          "misim": args.misim, "reused": args.reuse_runs, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
