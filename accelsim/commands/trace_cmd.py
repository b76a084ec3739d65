"""``accelsim trace SUBCOMMAND``: look at and make trace files.

- ``accelsim trace synth``: a seeded synthetic trace with real layer shapes (accelsim.trace.synth);
- ``accelsim trace inspect``: per-layer shapes, MACs, densities and unique weight values of a trace.

- ``accelsim trace quantize``: a copy of a trace with quantized weights (accelsim.quantize).

More subcommands (``import``) go in this module: write a ``_register_<name>(sub)`` function
that adds a parser to the ``trace`` sub-subparsers and sets ``func``, and append it to ``SUBCOMMANDS``.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable

from accelsim.commands._common import int_at_least
from accelsim.errors import AccelsimError, ConfigError
from accelsim.trace.stats import inspect_trace, layer_stats, source_summary  # noqa: F401  (re-exported)
from accelsim.trace.io import load_trace, save_trace
from accelsim.trace.networks import ALL_NETWORKS as NETWORKS
from accelsim.trace.synth import ACT_PROFILES, WEIGHT_PROFILES, parse_density, synth_plan, write_synth

_FMT = argparse.RawDescriptionHelpFormatter


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "trace", help="synthesize, import, quantize or inspect trace files (.npz)", formatter_class=_FMT,
        description="Work with trace files: one .npz per network holding each layer's shape, weights, "
                    "input activations and optionally outputs (format v2; v1 files still load).")
    sub = p.add_subparsers(dest="trace_command", metavar="SUBCOMMAND")

    def no_subcommand(args: argparse.Namespace) -> int:
        print(f"{p.prog}: error: a SUBCOMMAND is required (see {p.prog} --help)", file=sys.stderr)
        return 2

    p.set_defaults(func=no_subcommand)
    for add in SUBCOMMANDS:
        add(sub)


# ---- argument types (argparse turns ArgumentTypeError into a usage error, exit 2) -------------------

def _density_type(profiles: tuple[str, ...]) -> Callable[[str], str | float]:
    def parse(text: str) -> str | float:
        try:
            return parse_density(text, profiles)
        except ConfigError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    parse.__name__ = "density"
    return parse


# ---- trace synth -------------------------------------------------------------------------------------

def _register_synth(sub: Any) -> None:
    nets = "\n".join(f"  {n:8s} {net.description}" for n, net in NETWORKS.items())
    p = sub.add_parser(
        "synth", help="write a seeded synthetic trace with real layer shapes", formatter_class=_FMT,
        description="Write a synthetic trace: the real layer shapes of a network with seeded random weights "
                    "and inputs whose per-layer densities (fractions of non-zeros) are exact. The trace is "
                    "labelled synthetic in its manifest. Input non-zeros are placed iid unless --act-pattern "
                    "clustered asks for zeros clustered as after a real ReLU.",
        epilog=f"networks:\n{nets}\n\n"
               "weight density profiles:\n"
               "  dense     every weight kept\n"
               "  han2015   kept fraction per layer from Han et al., NIPS 2015 (alexnet, vgg16, lenet5 only)\n"
               "  FLOAT     the same fraction in [0, 1] for every layer\n\n"
               "input (activation) density profiles:\n"
               "  dense            every input non-zero\n"
               "  han2015          layer i's input = Han et al.'s Act% of layer i-1; first layer dense\n"
               "  eyeriss-alexnet  AlexNet conv inputs measured by Eyeriss (JSSC 2017), fc from han2015\n"
               "  cnvlutin44       0.56 for every layer but the first (Cnvlutin's 44% average zeros)\n"
               "  FLOAT            that density for every layer but the network's first (the image, dense)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--network", choices=list(NETWORKS), metavar="NAME",
                     help=f"network whose layer shapes to use: {', '.join(NETWORKS)}")
    src.add_argument("--topology", metavar="FILE.csv",
                     help="take the layer shapes from a SCALE-Sim topology CSV instead (convolution form "
                          "'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
                          "Num Filter, Strides' with padding 0, or GEMM form 'Layer name, M, N, K' as FC "
                          "layers with batch M); densities must then be 'dense' or numbers")
    p.add_argument("--batch", type=int_at_least(1), default=1, metavar="N",
                   help="batch size N of every layer's inputs (default 1)")
    p.add_argument("--seed", type=int_at_least(0), default=0, metavar="S",
                   help="random seed; a layer's tensors depend only on the seed, the layer and the densities "
                        "(default 0)")
    p.add_argument("--weight-density", type=_density_type(WEIGHT_PROFILES), default="dense",
                   metavar="{" + ",".join(WEIGHT_PROFILES) + ",FLOAT}",
                   help="fraction of non-zero weights per layer: a profile name or a number (default dense)")
    p.add_argument("--act-density", type=_density_type(ACT_PROFILES), default="dense",
                   metavar="{" + ",".join(ACT_PROFILES) + ",FLOAT}",
                   help="fraction of non-zero input activations per layer: a profile name or a number "
                        "(default dense)")
    p.add_argument("--layers", choices=("conv", "all"), default=None,
                   help="which layers to include: conv layers only, or all layers (default: conv for "
                        "--network, all for --topology)")
    p.add_argument("--act-pattern", choices=("iid", "clustered"), default="iid",
                   help="where input zeros go (after the first layer): iid = uniformly at random (default); "
                        "clustered = like a ReLU of a smooth random field with per-channel offsets, so zeros "
                        "form spatial regions and some channels are almost always active, as in real nets")
    p.add_argument("--values", choices=("float32", "float16"), default="float32",
                   help="float16: draw float16 values with the streaming generator (same distributions and "
                        "densities as float32, its own random streams; recorded in the trace's source), stored "
                        "exactly in 2 bytes; with --storage packed each tensor is drawn and written chunk by "
                        "chunk, about 10x faster (default float32)")
    p.add_argument("--storage", choices=("deflate", "packed"), default="deflate",
                   help="packed: format v3, each tensor as a bit mask of its non-zeros plus their values, "
                        "not deflated; several times faster to write and read and smaller for sparse tensors, "
                        "for large topologies (default deflate: format v2, readable by older accelsim)")
    p.add_argument("--outputs", action="store_true",
                   help="also store each layer's outputs, computed from its own inputs and weights "
                        "(convolution then ReLU, none after the last layer)")
    p.add_argument("--out", required=True, metavar="FILE", help="trace file to write (.npz is appended if missing)")
    p.set_defaults(func=_run_synth)


def _run_synth(args: argparse.Namespace) -> int:
    scale = None
    network = args.network
    if args.topology:
        from accelsim.trace.topology import read_topology
        network, batches = read_topology(args.topology)
        scale = {d["name"]: b for d, b in zip(network.layers, batches)}
    layers = args.layers or ("all" if args.topology else "conv")
    plan = synth_plan(network, batch=args.batch, seed=args.seed, weight_density=args.weight_density,
                      act_density=args.act_density, layers=layers, with_outputs=args.outputs, batch_scale=scale,
                      act_pattern=args.act_pattern, values=args.values)
    if args.topology:
        plan.source["topology"] = str(args.topology)
    try:  # streamed layer by layer: memory holds one layer; a progress bar on a terminal
        path = write_synth(plan, args.out, progress=sys.stderr.isatty(), storage=args.storage)
    except OSError as e:
        raise AccelsimError(f"{args.out}: cannot write the trace ({e.strerror or e})") from None
    names = [s.name for s in plan.specs]
    shown = ", ".join(names) if len(names) <= 20 else ", ".join(names[:10]) + f", ... ({len(names) - 10} more)"
    print(f"wrote {path}: synthetic {plan.network}, {len(names)} layers "
          f"({shown}), batch {args.batch}, seed {args.seed}, "
          f"weights {_describe(args.weight_density)}, inputs {_describe(args.act_density)}")
    return 0


def _describe(d: str | float) -> str:
    return d if isinstance(d, str) else f"density {d:g}"


# ---- trace inspect -----------------------------------------------------------------------------------

def _register_inspect(sub: Any) -> None:
    p = sub.add_parser(
        "inspect", help="per-layer shapes, MACs, densities and unique weights of a trace",
        formatter_class=_FMT,
        description="Print each layer of a trace: shape (N,C,H,W -> M,E,F, RxS, stride, dilation, padding, "
                    "groups), dense MACs, weight and input densities and unique weight values, then totals, "
                    "the model's operations the trace skipped, how much of the model's MACs it covers, and "
                    "how the trace was made. Densities and unique values are measured after quantizing each "
                    "tensor to 16-bit fixed point (the datapath width every design shares; --arch picks a design's word_bits) with a per-tensor binary point (accelsim.fixedpoint), "
                    "since that decides which values are zero on the hardware.")
    p.add_argument("trace", metavar="TRACE", help="trace file (.npz) to read")
    p.add_argument("--json", action="store_true",
                   help='print one JSON object {"trace", "network", "synthetic", "source", "quantization", '
                        '"layers": [...], "total": {...}, "skipped": [...], "coverage": {...}} instead of a '
                        'table')
    p.add_argument("--arch", metavar="NAME", default=None,
                   help="quantize at this design's datapath width (its config's word_bits); default: the width "
                        "every registered design shares")
    p.set_defaults(func=_run_inspect)


def _axes(v: list[int]) -> str:
    """'2' when every axis agrees, else '2,1' (stride, dilation) or '1,1,0,0' (padding)."""
    return str(v[0]) if len(set(v)) == 1 else ",".join(map(str, v))


def _run_inspect(args: argparse.Namespace) -> int:
    tr = load_trace(args.trace)
    from accelsim.accelerators.registry import datapath_bits
    info = inspect_trace(tr, datapath_bits(args.arch))
    if args.json:
        print(json.dumps(info, indent=1))
        return 0
    print(f"trace {args.trace}: network {tr.network}, {len(tr.layers)} layers")
    print(f"source: {info['source_summary']}")
    head = (f"{'layer':10s} {'kind':4s} {'N,C,H,W':>18s} -> {'M,E,F':>14s} {'RxS':>5s} {'str':>5s} {'dil':>5s} "
            f"{'pad':>7s} {'grp':>3s} {'MACs':>14s} {'w.dens':>7s} {'in.dens':>7s} {'uniq.w':>6s} {'uniq/filt':>11s} out")
    print(head)
    for d in info["layers"]:
        nchw = f"{d['N']},{d['C']},{d['H']},{d['W']}"
        mef = f"{d['M']},{d['E']},{d['F']}"
        uf = f"{d['unique_nonzero_per_filter_mean']:.1f}/{d['unique_nonzero_per_filter_max']}"
        out = "-" if not d["outputs_present"] else f"yes ({d['output_density']:.3f})"
        rs = f"{d['R']}x{d['S']}"
        print(f"{d['name']:10s} {d['kind']:4s} {nchw:>18s} -> {mef:>14s} {rs:>5s} {_axes(d['stride']):>5s} "
              f"{_axes(d['dilation']):>5s} {_axes(d['padding']):>7s} {d['groups']:>3d} {d['macs_dense']:>14,d} "
              f"{d['weight_density']:>7.4f} {d['input_density']:>7.4f} {d['unique_nonzero_weights']:>6d} "
              f"{uf:>11s} {out}")
    t = info["total"]
    print(f"{'total':10s} {t['layers']} layers, {t['macs_dense']:,d} dense MACs, weight density "
          f"{t['weight_density']:.4f}, input density {t['input_density']:.4f}, "
          f"{t['layers_with_outputs']} layer(s) with outputs")
    print("str = stride, dil = dilation (one number, or height,width); pad = padding (one number, or "
          "top,bottom,left,right)")
    if info["skipped"]:
        print(f"skipped (in the model, not in the trace): {len(info['skipped'])} operation(s)")
        for e in info["skipped"]:
            macs = "MACs undefined" if e["macs"] is None else f"{e['macs']:,d} MACs"
            why = f" ({e['reason']})" if e.get("reason") else ""
            print(f"  {e['name']} [{e['type']}]: {macs}{why}")
    print(info["coverage_line"])
    print(f"densities and unique (non-zero) weight values measured after {info['quantization']}")
    return 0


# ---- trace quantize ----------------------------------------------------------------------------------

def _register_quantize(sub: Any) -> None:
    p = sub.add_parser(
        "quantize", help="quantize every layer's weights (inq, ttq, uniform k-bit) into a new trace",
        formatter_class=_FMT,
        description="Write a copy of TRACE whose weights are quantized layer by layer, one scale per layer "
                    "(accelsim.quantize), so that weights repeat (what UCNN exploits). Zero weights stay zero; "
                    "small weights may become zero. Inputs are kept; stored outputs are dropped (they were "
                    "computed with the old weights; models recompute them). The manifest's source record "
                    "gains 'quantization': scheme, bits and per-layer unique-value counts.",
        epilog="schemes:\n"
               "  inq      power-of-two levels {0, +-2^n2..+-2^n1} (INQ, Zhou et al. 2017); bits 3-8, "
               "default 5 = 17 values\n"
               "  ttq      ternary {-Wn, 0, +Wp} (TTQ, Zhu et al. 2017), threshold 0.05 max|W|; bits must be 2\n"
               "  uniform  symmetric uniform k-bit grid, step max|W|/(2^(k-1)-1); bits 2-15, default 8\n"
               "  kmeans   Deep Compression / EIE weight sharing: zero + 2^k-1 k-means centroids (linear init); "
               "bits 1-8, default 4 = EIE's 16-entry codebook")
    p.add_argument("trace", metavar="TRACE", help="trace file (.npz) to read")
    p.add_argument("--scheme", required=True, choices=("inq", "ttq", "uniform", "kmeans"),
                   help="quantization scheme: inq, ttq, uniform or kmeans (see below)")
    p.add_argument("--bits", type=int_at_least(1), default=None, metavar="K",
                   help="bit width: inq 3-8 (default 5: 17 values with zero), ttq 2 (the default), "
                        "uniform 2-15 (default 8: at most 255 values)")
    p.add_argument("--out", required=True, metavar="FILE",
                   help="trace file to write (.npz is appended if missing)")
    p.set_defaults(func=_run_quantize)


def _run_quantize(args: argparse.Namespace) -> int:
    from accelsim.quantize import check_scheme, quantize_trace
    bits = check_scheme(args.scheme, args.bits)  # ConfigError -> exit 3 with one line
    tr = load_trace(args.trace)
    q = quantize_trace(tr, args.scheme, bits)
    try:
        path = save_trace(q, args.out)
    except OSError as e:
        raise AccelsimError(f"{args.out}: cannot write the trace ({e.strerror or e})") from None
    per = q.source["quantization"]["layers"]
    print(f"wrote {path}: {tr.network}, {len(q.layers)} layers, weights quantized {args.scheme} {bits}-bit")
    for name, st in per.items():
        print(f"  {name:10s} {st['unique']:>6d} unique values ({st['unique_nonzero']} non-zero), "
              f"non-zeros {st['nonzero_before']} -> {st['nonzero_after']}")
    return 0


SUBCOMMANDS: list[Callable[[Any], None]] = [_register_synth, _register_inspect, _register_quantize]


def _register_import(sub: Any) -> None:
    from accelsim.commands.trace_import import register
    register(sub)


SUBCOMMANDS.append(_register_import)
