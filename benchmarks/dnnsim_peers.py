"""accelsim's DaDianNao and SCNN cycles against DNNsim's, layer by layer, on identical tensors.

DNNsim (github isakedo/DNNsim, C++, by the Bit-Tactical / Laconic group) runs OUTSIDE this repository and
outside CI: build it yourself, then point this script at the checkout.

    git clone https://github.com/isakedo/DNNsim /tmp/dnnsim && cd /tmp/dnnsim && git checkout 4748a600
    apt-get install libprotobuf-dev protobuf-compiler cmake g++
    cmake -H. -Bcmake-build-release -DCMAKE_BUILD_TYPE=Release && cmake --build cmake-build-release --target DNNsim
    PYTHONPATH=$PWD nice -n 10 python benchmarks/dnnsim_peers.py --dnnsim /tmp/dnnsim \\
        --out benchmarks/results/dnnsim_peers.json

(4748a600 built unpatched with g++ 12 and protobuf 3.21; only the checkout left out DRAMSim2/traces/*.gz,
example traces of DRAMSim2 that DNNsim does not read.)

The layers are benchmarks/misim_peers.py's (``cases()``: AlexNet conv1-5 at Eyeriss's measured input zeros,
ungrouped, and the hand-made layers), with its all-ones weights; each input is given to both simulators as
integers 1..1000 where it is non-zero (:func:`integer_codes`: the same zeros, held exactly by both).  For
each layer this script writes a one-layer DNNsim network in a work folder, in the layout DNNsim's CSV model
reader takes (``models/NET/model.csv`` with ``name,conv,stride,padding``; ``net_traces/NET/wgt-NAME.npy``
(M, C, R, S) and ``act-NAME-0.npy`` (1, C, H, W), float32), one network per layer so that no layer
inherits the previous one's on-chip outputs, and runs DNNsim in that folder (``DNNsim BATCH --quiet``)
with a batch prototxt per design (``BATCHES``):

* DaDianNao, ``task: Cycles``, ``dataflow: WindowFirstOutS``, 16 lanes x 1 column (window) x 16 rows
  (filters) x 16 tiles, 16-bit values, DNNsim's default memory system (DDR4-3200 in DRAMSim2, 1 GiB
  global buffers);
* SCNN, ``task: Cycles``, Wt = Ht = 8 PEs, I = F = 4, 32 banks and ``out_acc_size: 1024`` (accelsim's
  accumulator entries; DNNsim's default is 6144).

Both use ``data_type: Fixed`` with ``quantised: true`` (DNNsim takes the integers as they are): at
4748a600 ``data_type: Float`` cannot run, since sys/src/Batch.cpp sets a Float network's width to 32 and
then rejects any width above 16.

DNNsim has no Cnvlutin and no other zero-activation-skipping design (BitPragmatic and Laconic skip zero
bits, bit-serially; Bit-Tactical, DaDianNao's ``tactical`` option, skips zero weights), so Cnvlutin is
compared with MIsim only (benchmarks/misim_peers.py).

DNNsim writes ``results/NET/<design and config>_cycles.csv``; :func:`parse_stats` reads its per-sample
table.  DaDianNao reports ``compute_cycles`` (cycles the tiles take a step: DNNsim's DaDianNao model
proper) and ``cycles`` (the same steps run through its memory pipeline: every weight and input fetched
from DRAM once, then global buffer, local buffers, composer, PPU); SCNN reports ``cycles`` (its model
has no memory system) and ``mults`` (products landing on an output).  accelsim runs on the same tensors:
DaDianNao with ``timing_model: ideal``, with ``first_layer: pad`` (default) and ``reshape`` (DNNsim's
first-layer rearrangement, accelerators/first_layer.py), and SCNN with its default config.

``--markdown`` also prints the README's two tables; ``--from-json FILE`` prints them from a saved run
without DNNsim; ``--workdir DIR`` keeps DNNsim's inputs and outputs (tests/unit/data/dnnsim holds two).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from misim_peers import cases  # noqa: E402  (the validation layers, defined once)

DADN_BATCH = """simulate {
  network: "%(net)s"
  model: "CSV"
  data_type: "Fixed"
  quantised: true
  experiment {
    architecture: "DaDianNao"
    task: "Cycles"
    dataflow: "WindowFirstOutS"
    lanes: 16
    columns: 1
    rows: 16
    tiles: 16
    pe_width: 16
  }
}
"""

SCNN_BATCH = """simulate {
  network: "%(net)s"
  model: "CSV"
  data_type: "Fixed"
  quantised: true
  experiment {
    architecture: "SCNN"
    task: "Cycles"
    Wt: 8
    Ht: 8
    I: 4
    F: 4
    out_acc_size: 1024
    banks: 32
  }
}
"""

BATCHES = {"dadiannao": DADN_BATCH, "scnn": SCNN_BATCH}
RESULT_PREFIX = {"dadiannao": "DaDianNao_", "scnn": "SCNN_"}  # results/NET/<prefix><config>_cycles.csv


def parse_stats(text: str) -> dict[str, dict[str, int]]:
    """DNNsim's results CSV (sys/src/Stats.cpp's dump_csv): a free-text header, then "Per sample scalar
    results:" followed by a header row ``Layer,Sample,<stat>,...`` and one row per layer and sample.
    Returns {layer: {stat: value}} for sample 0.  Raises ValueError when the table is missing or a row is
    malformed."""
    lines = text.splitlines()
    try:
        start = next(i for i, ln in enumerate(lines) if ln.strip() == "Per sample scalar results:")
    except StopIteration:
        raise ValueError("no 'Per sample scalar results:' table") from None
    if start + 1 >= len(lines):
        raise ValueError("no header row after 'Per sample scalar results:'")
    header = lines[start + 1].strip().split(",")
    if header[:2] != ["Layer", "Sample"]:
        raise ValueError(f"header row starts {header[:2]}, expected ['Layer', 'Sample']")
    out: dict[str, dict[str, int]] = {}
    for ln in lines[start + 2:]:
        if not ln.strip():
            break
        cells = ln.strip().split(",")
        if len(cells) != len(header):
            raise ValueError(f"row has {len(cells)} cells, header {len(header)}: {ln!r}")
        if cells[1] != "0":
            continue
        out[cells[0]] = {h: int(float(v)) for h, v in zip(header[2:], cells[2:])}
    if not out:
        raise ValueError("no sample-0 rows in 'Per sample scalar results:'")
    return out


def integer_codes(x: np.ndarray) -> np.ndarray:
    """The input as integers 1..1000 where it is non-zero, 0 where it is zero: the same zeros, and values
    that both DNNsim (``quantised: true`` takes them as they are) and accelsim's 16-bit fixed point (10
    integer bits) hold exactly, so that both see the same non-zero pattern."""
    return np.where(x != 0, np.maximum(1, np.rint(x * 1000)), 0).astype(np.float32)


def write_network(root: Path, net: str, x: np.ndarray, w: np.ndarray, stride: int, pad: int) -> None:
    """One conv layer named ``net`` as DNNsim's CSV model reader and npy trace reader take it."""
    (root / "models" / net).mkdir(parents=True)
    (root / "net_traces" / net).mkdir(parents=True)
    (root / "models" / net / "model.csv").write_text(f"{net},conv,{stride},{pad}\n")
    np.save(root / "net_traces" / net / f"wgt-{net}.npy", w.astype(np.float32))
    np.save(root / "net_traces" / net / f"act-{net}-0.npy", x[None].astype(np.float32))


def run_dnnsim(dnnsim: Path, root: Path, net: str, design: str, timeout: float) -> tuple[dict[str, int], list[str], float]:
    """Run DNNsim's ``design`` on network ``net`` in ``root`` (which holds models/ and net_traces/) and
    return its sample-0 stats of the one layer, the command and the wall time."""
    dram = root / "DRAMSim2"  # DNNsim reads ./DRAMSim2/ini/*.ini and system.ini, and writes a vis file there
    if not dram.exists():
        dram.mkdir()
        (dram / "ini").symlink_to(dnnsim / "DRAMSim2" / "ini")
        shutil.copy(dnnsim / "DRAMSim2" / "system.ini", dram / "system.ini")
    batch = root / f"{net}.{design}.prototxt"
    batch.write_text(BATCHES[design] % {"net": net})
    res = root / "results" / net
    prefix = RESULT_PREFIX[design]
    for old in res.glob(prefix + "*.csv") if res.exists() else []:
        old.unlink()
    cmd = ["nice", "-n", "10", str(dnnsim / "DNNsim"), batch.name, "--quiet"]
    t0 = time.time()
    r = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=timeout)
    secs = time.time() - t0
    csvs = sorted(res.glob(prefix + "*.csv")) if res.exists() else []
    if r.returncode or len(csvs) != 1:
        tail = (r.stderr.strip().splitlines() or r.stdout.strip().splitlines() or ["?"])[-1]
        raise RuntimeError(f"DNNsim {design} on {net}: exit {r.returncode}, {len(csvs)} result files: {tail[:200]}")
    stats = parse_stats(csvs[0].read_text())
    if net not in stats:
        raise RuntimeError(f"DNNsim {design} on {net}: layer missing from {csvs[0].name}")
    return stats[net], cmd[3:], secs


def accelsim_result(arch: str, x: np.ndarray, w: np.ndarray, stride: int, pad: int, **cfg):
    from accelsim.accelerators.registry import create
    from accelsim.trace.format import LayerSpec, LayerTrace
    C, H, W = x.shape
    M, _, K, _ = w.shape
    spec = LayerSpec("l", "conv", 1, C, H, W, M, K, K, stride, pad)
    return create(arch, None, **cfg).simulate_layer(LayerTrace(spec, w, x[None].astype(np.float32)))


def dnnsim_commit(dnnsim: Path) -> str:
    r = subprocess.run(["git", "-C", str(dnnsim), "rev-parse", "HEAD"], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else "unknown"


def table(rows: list[dict]) -> str:
    head = (f"{'layer':40s} {'DaDN DNNsim compute':>19s} {'DNNsim w/ memory':>16s} {'accelsim ideal':>14s} "
            f"{'ideal+reshape':>13s} {'SCNN DNNsim':>11s} {'SCNN accelsim':>13s}")
    out = [head]
    for r in rows:
        def g(k):
            v = r.get(k)
            return "-" if v is None else str(v)
        out.append(f"{r['layer']:40s} {g('dadiannao_dnnsim_compute_cycles'):>19s} {g('dadiannao_dnnsim_cycles'):>16s} "
                   f"{g('dadiannao_accelsim_ideal_cycles'):>14s} {g('dadiannao_accelsim_reshape_cycles'):>13s} "
                   f"{g('scnn_dnnsim_cycles'):>11s} {g('scnn_accelsim_cycles'):>13s}")
    return "\n".join(out)


def _label(r: dict) -> str:
    return f"{r['layer']} ({r['C']}, {r['H']}, {r['M']}, {r['K']}, {r['stride']})"


def _pct(a: int, b: int) -> str:
    return "equal" if a == b else f"{100.0 * (a - b) / b:+.1f}%"


def markdown(doc: dict) -> str:
    """The README's two DNNsim tables, rendered from the saved JSON (tests check the README holds them)."""
    rows = doc["rows"]
    out = ["| layer (C, H, M, K, stride) | zeros | DaDN DNNsim compute_cycles | DaDN accelsim ideal | "
           "accelsim ideal, first_layer reshape | accelsim - DNNsim | DNNsim cycles with its memory system |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        d = r["dadiannao_dnnsim_compute_cycles"]
        out.append(f"| {_label(r)} | {r['input_zeros']:.0%} | {d} | {r['dadiannao_accelsim_ideal_cycles']} | "
                   f"{r['dadiannao_accelsim_reshape_cycles']} | {r['dadiannao_accelsim_reshape_cycles'] - d:+d} | "
                   f"{r['dadiannao_dnnsim_cycles']} |")
    out += ["", "| layer | SCNN DNNsim cycles | SCNN accelsim compute cycles | vs DNNsim | array cycles DNNsim / "
            "accelsim (no halo) | halo cycles DNNsim / accelsim | accelsim Kc | products on an output, "
            "DNNsim = accelsim |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        dn, ac = r["scnn_dnnsim_cycles"], r["scnn_accelsim_compute_cycles"]
        same = "yes" if r["scnn_dnnsim_mults"] == r["scnn_accelsim_valid_products"] else "NO"
        out.append(f"| {r['layer']} | {dn} | {ac} | {_pct(ac, dn)} | {r['scnn_dnnsim_array_cycles']} / "
                   f"{r['scnn_accelsim_array_cycles']} | {r['scnn_dnnsim_halo_cycles']} / "
                   f"{r['scnn_accelsim_halo_cycles']} | {r['scnn_accelsim_kc']} | "
                   f"{r['scnn_dnnsim_mults']} {same} |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dnnsim", type=Path, help="DNNsim checkout holding the built DNNsim binary")
    ap.add_argument("--arch", default="dadiannao,scnn", help="which of dadiannao,scnn to run")
    ap.add_argument("--only", default="", help="run only layers whose name contains this")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--out", default="benchmarks/results/dnnsim_peers.json")
    ap.add_argument("--markdown", action="store_true", help="also print the README tables")
    ap.add_argument("--from-json", type=Path, default=None,
                    help="only print the README tables of a saved JSON (no DNNsim needed)")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="keep DNNsim's networks, batch files and results here (default: a temporary folder)")
    args = ap.parse_args(argv)
    if args.from_json is not None:
        print(markdown(json.loads(args.from_json.read_text())))
        return 0
    if args.dnnsim is None:
        ap.error("--dnnsim is required (or --from-json)")
    dnnsim = args.dnnsim.resolve()
    if not (dnnsim / "DNNsim").is_file():
        print(f"dnnsim_peers: {dnnsim / 'DNNsim'}: no DNNsim binary (build it first, see --help)", file=sys.stderr)
        return 2
    archs = [a for a in args.arch.split(",") if a]
    bad = [a for a in archs if a not in BATCHES]
    if bad:
        print(f"dnnsim_peers: --arch: unknown design {bad[0]!r} (dadiannao, scnn)", file=sys.stderr)
        return 2
    rows, commands = [], []
    with tempfile.TemporaryDirectory(prefix="dnnsim_peers_") as td:
        root = Path(td)
        if args.workdir is not None:
            root = args.workdir.resolve()
            if root.exists() and any(root.iterdir()):
                print(f"dnnsim_peers: --workdir {root}: not empty", file=sys.stderr)
                return 2
            root.mkdir(parents=True, exist_ok=True)
        for i, (name, x, M, K, s, p) in enumerate(cases()):
            if args.only and args.only not in name:
                continue
            net = f"layer{i}"
            x = integer_codes(x)
            w = np.ones((M, x.shape[0], K, K), np.float32)
            write_network(root, net, x, w, s, p)
            row = {"layer": name, "dnnsim_network": net, "C": x.shape[0], "H": x.shape[1], "M": M, "K": K,
                   "stride": s, "pad": p, "input_zeros": float((x == 0).mean())}
            if "dadiannao" in archs:
                st, cmd, secs = run_dnnsim(dnnsim, root, net, "dadiannao", args.timeout)
                commands.append(" ".join(cmd))
                row.update(dadiannao_dnnsim_compute_cycles=st["compute_cycles"], dadiannao_dnnsim_cycles=st["cycles"],
                           dadiannao_dnnsim_dram_reads=st["dram_act_reads"] + st["dram_wgt_reads"],
                           dadiannao_dnnsim_seconds=round(secs, 2), dadiannao_dnnsim_stats=st)
                for key, cfg in (("ideal", {}), ("reshape", {"first_layer": "reshape"})):
                    r = accelsim_result("dadiannao", x, w, s, p, **cfg)
                    row[f"dadiannao_accelsim_{key}_cycles"] = int(r.cycles)
                    row[f"dadiannao_accelsim_{key}_compute_cycles"] = int(r.compute_cycles)
            if "scnn" in archs:
                st, cmd, secs = run_dnnsim(dnnsim, root, net, "scnn", args.timeout)
                commands.append(" ".join(cmd))
                # DNNsim charges a group's halo as max_psums cycles and counts idle_halo = max_psums x the
                # array's Wt Ht I F multipliers (core/src/SCNN.cpp), so its halo cycles are idle_halo / 1024
                halo = st["idle_halo"] // (8 * 8 * 4 * 4)
                row.update(scnn_dnnsim_cycles=st["cycles"], scnn_dnnsim_halo_cycles=halo,
                           scnn_dnnsim_array_cycles=st["cycles"] - halo, scnn_dnnsim_mults=st["mults"],
                           scnn_dnnsim_seconds=round(secs, 2), scnn_dnnsim_stats=st)
                r = accelsim_result("scnn", x, w, s, p)
                ex = r.extra
                row.update(scnn_accelsim_cycles=int(r.cycles), scnn_accelsim_compute_cycles=int(r.compute_cycles),
                           scnn_accelsim_halo_cycles=int(ex["halo_cycles"]),
                           scnn_accelsim_array_cycles=int(r.compute_cycles) - int(ex["halo_cycles"]),
                           scnn_accelsim_bank_conflict_cycles=int(ex["bank_conflict_cycles"]),
                           scnn_accelsim_kc=int(ex["kc"]), scnn_accelsim_tile_hw=list(ex["tile_hw"]),
                           scnn_accelsim_valid_products=int(ex["products_formed"]) - int(ex["products_dropped"]))
            rows.append(row)
            print(json.dumps(row), flush=True)
    doc = {"dnnsim_repo": "https://github.com/isakedo/DNNsim", "dnnsim_commit": dnnsim_commit(dnnsim),
           "dnnsim_build": "cmake -H. -Bcmake-build-release -DCMAKE_BUILD_TYPE=Release && cmake --build "
                           "cmake-build-release --target DNNsim (unpatched; checkout without DRAMSim2/traces/*.gz)",
           "batch_files": {a: BATCHES[a] for a in archs},
           "commands": commands, "script": "benchmarks/dnnsim_peers.py " + " ".join(argv or sys.argv[1:]),
           "rows": rows}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    os.replace(tmp, out)
    print(table(rows))
    if args.markdown:
        print(markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
