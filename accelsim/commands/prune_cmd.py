"""``accelsim prune study NAME --out DIR``: the pruning studies (``accelsim prune energy-aware``: see
:mod:`accelsim.commands.prune_energy`).

Each study trains a network of :mod:`accelsim.prune.nets` on the digits data, prunes it and writes
``DIR/<study>.csv`` (:mod:`accelsim.prune.run`); the figure ``DIR/<study>.png`` is then drawn from that CSV
(:mod:`accelsim.report.study_figures`).  They need the optional PyTorch extra; this
module imports neither torch nor the studies until a study runs, so ``accelsim --help`` works without it.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from typing import Any

from accelsim.errors import ConfigError

TORCH_MISSING = "install the torch extra: pip install torch==2.13.0"

DESCRIPTION = """\
Regenerate one pruning study: train the network (seeded, one thread) on scikit-learn's bundled digits
(1x28x28, or rendered to 3x32x32 for seed3/seed4 -- not CIFAR-10), prune it, and write OUT/<study>.csv
and OUT/<study>.png.  Needs PyTorch and scikit-learn (pip install 'accelsim[torch]'); the networks are
accelsim.prune.nets.

Studies:
  accuracy     test accuracy vs weight sparsity for each method: magnitude without retraining (none),
               one-shot + retraining (direct), Han et al.'s iterative prune/retrain with the same total
               retraining (iterative), Optimal Brain Damage + retraining (obd), global magnitude (global).
  sensitivity  test accuracy when ONE layer at a time is pruned by magnitude, without retraining.
  size         weight storage vs sparsity: dense, CSR, Eyeriss RLC and Han's relative-index format,
               16-bit values, every index/pointer/filler bit counted.
  cputime      per-layer CPU time of the pruned layers with dense kernels vs torch.sparse CSR kernels
               (row "network": the whole dense forward vs the sum of the sparse layers)
               (speedup < 1 means sparse is SLOWER; the CSV says so in the column sparse_slower).
  dynamic      dynamic pruning level (TODAES 2021): a mildly and an aggressively filter-pruned net and a
               learned selector on the aggressive net's conv features choose per input which net answers;
               accuracy vs Eyeriss energy per image as the selector's threshold sweeps, with a softmax-
               confidence baseline and each net alone (accelsim.prune.dynamic).
  memory       the seed reports' headline: at each accuracy requirement (within 0.5/1/2 points of dense),
               the largest sparsity iterative prune-and-retrain reaches and the weight storage it saves
               (CSR, Han's relative indices, Eyeriss RLC) against dense 16-bit storage.
  effort       training effort: retraining epochs (and seconds) until the pruned net is back within
               --tolerance of the dense accuracy, one-shot vs iterative, against the pruning ratio.
  synapses     surviving weights per layer after each pruning method (which layers pruning empties).
  hardware     the pruned, filter-pruned, quantized and activation-thresholded models exported and
               simulated on every accelerator design: speedup (time ratio vs the dense model on the same
               design) and energy vs sparsity; --save-traces DIR keeps the traces.
  energy       energy-aware pruning by re-simulation guided by SCNN and by EIE (--guides) against
               magnitude pruning (per layer, global) at the same sparsity (--sparsities, one value, 0.9)
               and the same fine-tuning budget; every pruned model simulated on every design
               (accelsim.prune.energy_study; see also 'accelsim prune energy-aware').
  quant        quantized models with measured accuracy: INQ-5, TTQ, 4-bit k-means codebook (EIE) and
               uniform 8-bit on the dense and 90%-pruned net, one shot, projected fine-tuning and the
               methods' own training with float shadow weights; simulated on UCNN, Eyeriss and EIE
               (accelsim.prune.quant_study).
  threshold    near-zero activation pruning (Cnvlutin Fig. 14 style): inputs with |x| < t x the layer's
               max|input| zeroed; test accuracy vs Cnvlutin's speedup over DaDianNao, per net (default
               lenet5 and seed2) (accelsim.prune.threshold_study).
"""


def _floats(text: str) -> list[float]:
    try:
        vals = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if not vals or any(not 0.0 <= v <= 1.0 for v in vals):
        raise argparse.ArgumentTypeError(f"sparsities must be in [0, 1], got {text!r}")
    return vals


def _names(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


NETWORK_NAMES = ("lenet5", "seed1", "seed2", "seed3", "seed4")


def _networks(text: str) -> list[str]:
    names = list(NETWORK_NAMES) if text.strip() == "all" else _names(text)
    bad = [n for n in names if n not in NETWORK_NAMES]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"unknown network(s) {bad or text!r}; choose from "
                                         f"{', '.join(NETWORK_NAMES)} or 'all'")
    return list(dict.fromkeys(names))


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("prune", help="pruning studies on PyTorch models (needs torch)",
                              description="Pruning front end (optional PyTorch extra).")
    sub = p.add_subparsers(dest="prune_command", metavar="SUBCOMMAND")
    p.set_defaults(func=lambda args: _usage(p))
    s = sub.add_parser("study", help="run one pruning study, writing CSV + PNG",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("study", choices=["accuracy", "sensitivity", "size", "cputime", "dynamic", "threshold",
                                     "memory", "effort", "synapses", "hardware", "energy", "quant"],
                   help="which study")
    s.add_argument("--out", required=True, metavar="DIR", help="directory for <study>.csv and <study>.png")
    s.add_argument("--net", default=None, choices=["lenet5", "seed1", "seed2", "seed3", "seed4"],
                   help="study network, accelsim.prune.nets (default: lenet5; threshold study: lenet5 and seed2)")
    s.add_argument("--networks", type=_networks, metavar="N1,N2|all",
                   help="run the study on each of these networks (comma-separated, or 'all' for "
                        "lenet5,seed1,seed2,seed3,seed4); rows of every network go into one CSV")
    s.add_argument("--sparsities", type=_floats, metavar="S1,S2,...",
                   help="weight sparsities in [0, 1] (default: per study, e.g. 0.5,0.7,0.8,0.9,0.95,0.98)")
    s.add_argument("--epochs", type=int, default=12, metavar="N", help="epochs to train the dense net (12)")
    s.add_argument("--seed", type=int, default=0, help="seed of the init, the data split and the shuffles (0)")
    g = s.add_argument_group("accuracy study")
    g.add_argument("--methods", type=_names, metavar="M1,M2",
                   help="subset of none,direct,iterative,obd,global,lottery,filters,taylor,energy (default: "
                        "none,direct,iterative,obd); filters/taylor: the sparsity is the fraction of filters "
                        "(channels) removed")
    g.add_argument("--retrain-epochs", type=int, default=None, metavar="N",
                   help="epochs per iterative round; direct/obd/global retrain N x steps epochs once (2); "
                        "energy study: fine-tuning epochs after each energy-aware move (1)")
    g.add_argument("--steps", type=int, default=3, metavar="K", help="prune/retrain rounds of iterative (3)")
    g = s.add_argument_group("effort, synapses and hardware studies")
    g.add_argument("--tolerance", type=float, default=0.005, metavar="F",
                   help="effort study: iso-accuracy means within F of the dense accuracy (0.005 = 0.5 points)")
    g.add_argument("--max-epochs", type=int, default=10, metavar="N",
                   help="effort study: retraining epochs allowed per pruning round before giving up (10)")
    g.add_argument("--save-traces", metavar="DIR", help="hardware study: keep every exported trace in DIR")
    g.add_argument("--designs", type=_names, metavar="A,B",
                   help="hardware study: designs to simulate (default: every registered design)")
    g = s.add_argument_group("energy study")
    g.add_argument("--guides", type=_names, metavar="G1,G2",
                   help="designs that guide energy-aware pruning, from scnn,eie (default: both)")
    g.add_argument("--step", type=float, default=0.1, metavar="F",
                   help="fraction of a layer's weights one energy-aware move prunes, in (0, 1] (0.1)")
    g = s.add_argument_group("size study")
    g.add_argument("--value-bits", type=int, default=16, metavar="B",
                   help="bits per stored weight value (16, the accelerators' datapath width)")
    g = s.add_argument_group("cputime study")
    g.add_argument("--batch", type=int, default=64, metavar="N", help="test images per timed forward (64)")
    g.add_argument("--repeats", type=int, default=20, metavar="R", help="timings per kernel, best kept (20)")
    g = s.add_argument_group("threshold and dynamic studies")
    g.add_argument("--ts", type=_floats, metavar="T1,T2,...",
                   help="threshold study: relative thresholds t (default 0,0.01,0.02,0.05,0.1,0.15,0.2,0.25,0.3)")
    g.add_argument("--images", type=int, default=None, metavar="N",
                   help="test images in the simulated traces (threshold: 128, dynamic: 32)")
    g.add_argument("--levels", type=_floats, metavar="MILD,AGGRESSIVE",
                   help="dynamic study: pruning levels (structured: filter fractions, default 0.3,0.9; "
                        "magnitude: weight sparsities, default 0.5,0.95)")
    g.add_argument("--method", default="structured", choices=["structured", "magnitude"],
                   help="dynamic study: how the two nets are pruned (structured)")
    s.set_defaults(func=run_study)
    from accelsim.commands.prune_energy import register as register_energy
    register_energy(sub)


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return 2


def run_study(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("torch") is None:
        print(f"accelsim: error: the pruning studies need PyTorch; {TORCH_MISSING}", file=sys.stderr)
        return 3
    for name in ("epochs", "retrain_epochs", "steps", "batch", "repeats"):
        if getattr(args, name) is not None and getattr(args, name) < (0 if name == "epochs" else 1):
            raise ConfigError(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    from accelsim.prune.run import run_study as run
    from accelsim.report.study_figures import draw_study_csv

    if args.networks and args.net:
        raise ConfigError("give --net or --networks, not both")
    kw: dict[str, Any] = {"net": args.net or "lenet5", "epochs": args.epochs, "seed": args.seed}
    if args.networks:
        del kw["net"]
        kw["networks"] = args.networks
    if args.images is not None and args.images < 1:
        raise ConfigError(f"--images must be positive, got {args.images}")
    if args.study in ("dynamic", "threshold"):
        if args.sparsities:
            raise ConfigError(f"--sparsities does not apply to the {args.study} study (see --levels / --ts)")
        if args.images is not None:
            kw["images"] = args.images
    elif args.sparsities:
        kw["sparsities"] = args.sparsities
    if args.study in ("memory", "synapses", "hardware") and args.sparsities:
        if args.study == "synapses":
            if len(args.sparsities) != 1:
                raise ConfigError("--sparsities takes one value for the synapses study")
            kw["sparsity"] = kw.pop("sparsities")[0]
        elif args.study == "hardware":
            raise ConfigError("--sparsities does not apply to the hardware study (its variants are fixed)")
    if args.study == "effort":
        if not 0.0 <= args.tolerance < 1.0:
            raise ConfigError(f"--tolerance must be in [0, 1), got {args.tolerance}")
        if args.max_epochs < 1:
            raise ConfigError(f"--max-epochs must be positive, got {args.max_epochs}")
        kw.update(tolerance=args.tolerance, max_epochs=args.max_epochs)
    elif args.study == "hardware":
        if args.images is not None:
            kw["images"] = args.images
        if args.save_traces:
            kw["save_traces"] = args.save_traces
        if args.designs:
            from accelsim.accelerators import get
            for d in args.designs:
                get(d)
            kw["designs"] = args.designs
    if args.study == "threshold":
        kw.pop("net", None)
        if args.net:
            kw["nets"] = [args.net]
        if args.ts:
            kw["ts"] = args.ts
    elif args.study == "dynamic":
        kw["method"] = args.method
        if args.levels:
            if len(args.levels) != 2:
                raise ConfigError(f"--levels takes two values MILD,AGGRESSIVE, got {args.levels}")
            kw["levels"] = args.levels
    elif args.study == "accuracy":
        kw.update(retrain_epochs=2 if args.retrain_epochs is None else args.retrain_epochs, steps=args.steps)
        if args.methods:
            kw["methods"] = args.methods
    elif args.study == "size":
        kw["value_bits"] = args.value_bits
    elif args.study == "energy":
        if args.sparsities and len(args.sparsities) != 1:
            raise ConfigError(f"--sparsities takes one value for the energy study, got {args.sparsities}")
        if not 0.0 < args.step <= 1.0:
            raise ConfigError(f"--step must be in (0, 1], got {args.step}")
        kw.update(step=args.step, retrain_epochs=1 if args.retrain_epochs is None else args.retrain_epochs)
        if args.guides:
            bad = [g for g in args.guides if g not in ("scnn", "eie")]
            if bad:
                raise ConfigError(f"--guides: {', '.join(bad)} save(s) no energy on zero weights; choose scnn, eie")
            kw["guides"] = args.guides
        if args.designs:
            from accelsim.accelerators import get
            for d in args.designs:
                get(d)
            kw["designs"] = args.designs
        if args.images is not None:
            kw["images"] = args.images
    elif args.study == "quant":
        if args.sparsities:
            raise ConfigError("--sparsities does not apply to the quant study (dense and 90% pruned are fixed)")
        if args.images is not None:
            kw["images"] = args.images
    elif args.study == "cputime":
        kw.update(batch=args.batch, repeats=args.repeats)
    csv_path, rows = run(args.study, args.out, **kw)
    pngs = draw_study_csv(args.study, csv_path, csv_path.with_suffix(".png"))
    print(f"wrote {csv_path} ({len(rows)} rows) and {', '.join(str(p) for p in pngs)}")
    if args.study == "cputime":
        slower = [r for r in rows if r["sparse_slower"]]
        print(f"torch.sparse was slower than the dense kernels in {len(slower)} of {len(rows)} measurements")
    elif args.study == "threshold":
        for r in rows:
            print(f"  {r['net']:7s} t={r['t']:<5g} accuracy {r['accuracy']:.4f}  speedup {r['speedup']:.3f}  "
                  f"energy ratio {r['energy_ratio']:.3f}  input density {r['input_density']:.3f}")
    elif args.study == "energy":
        from accelsim.prune.energy_study import guide_savings
        for g in guide_savings(rows):
            vs = ", ".join(f"{g[k]:+.1%} vs {k[3:]} ({100 * g['accuracy_' + k[3:]]:.1f}%)"
                           for k in g if k.startswith("vs_"))
            print(f"  {g['network']:7s} guided by {g['guide']}: {g['guide']} energy {vs}; "
                  f"accuracy {100 * g['accuracy']:.1f}%")
    elif args.study == "quant":
        for r in rows:
            print(f"  {r['network']:7s} {r['base']:11s} {r['scheme']}-{r['bits']}: accuracy one shot "
                  f"{100 * r['accuracy_one_shot']:.1f}%, trained {100 * r['accuracy_finetuned']:.1f}% (float "
                  f"fine-tuned alike {100 * r['accuracy_float_finetuned']:.1f}%), {r['max_unique']} values/layer")
    elif args.study == "memory":
        from accelsim.prune.seed_studies import memory_summary
        for tol, v in memory_summary(rows).items():
            print(f"  within {tol * 100:g} pt of dense: CSR storage saved {v['min']:.0%}..{v['max']:.0%}, "
                  f"mean {v['mean']:.0%} over {v['networks']} network(s) (seeds: 38%..79%, mean 61%)")
    elif args.study == "dynamic":
        from accelsim.prune.dynamic import best_within

        for r in rows:
            if r["system"].endswith("alone"):
                print(f"  {r['system']:17s} accuracy {r['accuracy']:.4f}  Eyeriss {r['energy_pj'] / 1e6:.3f} uJ/image "
                      f"({r['energy_vs_mild']:.3f} x mild)")
        for loss in (0.0, 0.01, 0.02, 0.03):
            for system in ("learned selector", "confidence baseline"):
                b = best_within(rows, system, loss)
                if b is not None:
                    print(f"  {system:19s} loss <= {loss:.0%}: accuracy {b['accuracy']:.4f}, "
                          f"energy saved vs mild {b['energy_saved_vs_mild']:.1%}, escalated {b['escalated']:.1%}")
    return 0
