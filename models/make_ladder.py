"""Ship the real-trace sparsity ladder: a subset of the traces the hardware study exports, cut to one image.

    accelsim prune study hardware --networks all --out studies/ --save-traces /tmp/hw_traces
    python models/make_ladder.py /tmp/hw_traces [--out accelsim/data/traces/ladder]

For each network the ladder is magnitude pruning (one shot + 4 retraining epochs) at 50/70/90/95 % of the
weights and L1 filter pruning of 25/50 % of the filters (LeNet-5: 90/95 % and 50 % filters only, its
fc1 weights make every rung about 0.5-1 MB).  Each trace keeps the first test image only (N=1), so the
ladder stays small; the accuracy in ``source`` (and in the README written beside it) is on all 450 test
images.  Cutting the batch changes no weight and no value of the kept image.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

from accelsim.trace import load_trace
from accelsim.trace.format import LayerTrace, Trace
from accelsim.trace.io import save_trace

LADDER = ("magnitude50", "magnitude70", "magnitude90", "magnitude95", "filters25", "filters50")
LENET5 = ("magnitude90", "magnitude95", "filters50")
NETWORKS = ("lenet5", "seed1", "seed2", "seed3", "seed4")


def first_image(trace: Trace) -> Trace:
    """The same trace with every layer's batch cut to its first image."""
    layers = []
    for lt in trace.layers:
        spec = dataclasses.replace(lt.spec, N=1)
        layers.append(LayerTrace(spec, lt.weights, lt.inputs[:1],
                                 None if lt.outputs is None else lt.outputs[:1]))
    src = dict(trace.source, batch=1, ladder_note="first test image of the exported batch")
    return dataclasses.replace(trace, layers=layers, source=src)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src", help="folder of traces written by the hardware study's --save-traces")
    p.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "accelsim/data/traces/ladder"))
    a = p.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for net in NETWORKS:
        for tag in LENET5 if net == "lenet5" else LADDER:
            src = Path(a.src) / f"{net}_{tag}.npz"
            if not src.exists():
                print(f"missing {src}", file=sys.stderr)
                return 3
            t = first_image(load_trace(src))
            path = save_trace(t, out / src.name)
            s = t.source
            nnz = sum(int(np.count_nonzero(lt.weights)) for lt in t.layers)
            rows.append(f"| `{src.name}` | {net} | {s['method']} | {s['level']:g} | "
                        f"{nnz} | {float(s['accuracy']):.4f} | "
                        f"{path.stat().st_size // 1024} KiB |")
    head = ["# The real-trace sparsity ladder", "",
            "Made by `accelsim prune study hardware --networks all --save-traces DIR` and "
            "`python models/make_ladder.py DIR` (see that script). Digits-trained stand-ins (not MNIST or "
            "CIFAR-10); one test image per trace (N=1); accuracy on the 450 test images. `level` is the "
            "fraction of weights pruned (magnitude) or of filters removed (filters).", "",
            "| file | network | method | level | non-zero weights | test accuracy | size |", "| --- | --- | --- | --- | --- | --- | --- |"]
    (out / "README.md").write_text("\n".join(head + rows) + "\n")
    print(f"wrote {len(rows)} traces to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
