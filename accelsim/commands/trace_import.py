"""``accelsim trace import``: traces from the peers' layouts (DNNsim, MIsim folders) or an ONNX model.

- ``accelsim trace import DIR --format dnnsim|misim --out FILE``;
- ``accelsim trace import MODEL.onnx --input INPUT.npy [--input-name NAME] --out FILE`` (``--format onnx``
  is implied by the ``.onnx`` suffix; needs the optional extra ``onnx``).
"""
from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    from accelsim.commands._common import int_at_least
    from accelsim.trace import importers
    p = sub.add_parser("import", help="convert a DNNsim or MIsim trace folder, or an ONNX model, into a trace",
                       description=importers.__doc__ + "\n* **ONNX**: MODEL.onnx run once by onnxruntime on "
                       "--input INPUT.npy; Conv/Gemm/MatMul with constant weights become layers, "
                       "BatchNormalization is folded, each layer's output is taken after its activation "
                       "(accelsim.trace.onnx_import). Needs: pip install 'accelsim[onnx]'.",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", metavar="SOURCE", help="the folder holding the parameter CSV and .npy arrays "
                                                     "(dnnsim, misim), or the .onnx model file")
    p.add_argument("--format", choices=("dnnsim", "misim", "onnx"), default=None,
                   help="dnnsim: trace_params.csv + wgt-L.npy + act-L-B.npy; misim: NET_trace_params.csv + "
                        "L-0.npy; onnx: an ONNX model (the default for a SOURCE ending in .onnx)")
    p.add_argument("--network", metavar="NAME", help="network name (default: the folder's name; for MIsim "
                                                      "also the parameter file's prefix; ONNX: the file's stem)")
    p.add_argument("--batch", type=int_at_least(0), default=0, metavar="B",
                   help="DNNsim: which act-L-B.npy batch file to read (default 0)")
    p.add_argument("--seed", type=int_at_least(0), default=0, metavar="S",
                   help="MIsim: seed of the random dense weights filled in (MIsim traces have none)")
    p.add_argument("--groups", type=_groups_arg, default=None, metavar="L=G[,L=G]",
                   help="MIsim: groups of grouped layers (MIsim's CSV has none), e.g. conv2=2,conv4=2,conv5=2; "
                        "overrides the CSV's optional 7th column")
    p.add_argument("--input", metavar="INPUT.npy", help="ONNX: the input batch to run the model on (.npy)")
    p.add_argument("--input-name", metavar="NAME", help="ONNX: which graph input --input feeds (needed only "
                                                        "when the model has several)")
    p.add_argument("--out", required=True, metavar="FILE", help="trace file to write (.npz)")
    p.set_defaults(func=run)


def _groups_arg(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in text.split(","):
        name, eq, val = item.partition("=")
        if not eq or not name.strip() or not val.strip().isdigit() or int(val) < 1:
            raise argparse.ArgumentTypeError(f"expected LAYER=GROUPS[,LAYER=GROUPS] with GROUPS >= 1, got {item!r}")
        out[name.strip()] = int(val)
    return out


def _usage(msg: str) -> int:
    print(f"accelsim trace import: error: {msg}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from accelsim.trace import importers, save_trace
    fmt = args.format or ("onnx" if str(args.folder).lower().endswith(".onnx") else None)
    if fmt is None:
        return _usage("--format is required (dnnsim or misim) unless SOURCE is an .onnx file")
    if fmt != "onnx" and (args.input or args.input_name):
        return _usage("--input and --input-name are for ONNX models (--format onnx)")
    if fmt != "misim" and args.groups:
        return _usage("--groups is for --format misim (DNNsim's weights carry their groups)" if fmt == "dnnsim"
                      else "--groups is for --format misim (ONNX weights carry their groups)")
    if fmt == "onnx":
        if not args.input:
            return _usage("an ONNX model needs --input INPUT.npy (the batch to run it on)")
        from accelsim.trace.format import coverage_line
        from accelsim.trace.onnx_import import import_onnx, load_input
        tr = import_onnx(args.folder, load_input(args.input), input_name=args.input_name, network=args.network)
    elif fmt == "dnnsim":
        tr = importers.import_dnnsim(args.folder, batch=args.batch, network=args.network)
    else:
        tr = importers.import_misim(args.folder, network=args.network, seed=args.seed, groups=args.groups)
    path = save_trace(tr, args.out)
    print(f"wrote {path}: {tr.network} from {fmt}, {len(tr.layers)} layers "
          f"({', '.join(lt.name for lt in tr.layers)})")
    if fmt == "onnx":
        for e in tr.skipped:
            macs = "MACs undefined" if e["macs"] is None else f"{e['macs']:,d} MACs"
            print(f"  skipped {e['name']} [{e['type']}]: {macs} ({e.get('reason', '')})")
        print(coverage_line(tr.coverage()))
    return 0
