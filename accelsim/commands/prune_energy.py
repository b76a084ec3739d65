"""``accelsim prune energy-aware``: prune a study network by energy re-simulated on SCNN or EIE.

Imports neither torch nor the pruning code until the command runs (``accelsim --help`` works without torch).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from typing import Any

from accelsim.errors import ConfigError

GUIDES = ("scnn", "eie")
NETWORKS = ("lenet5", "seed1", "seed2", "seed3", "seed4")

DESCRIPTION = """\
Prune a study network (accelsim.prune.nets, trained on scikit-learn's digits) to a weight sparsity,
choosing every pruning move by the energy that accelsim simulates on the guiding design (SCNN or EIE,
the designs that save energy on zero weights).

Each move: for every layer with room, prune --step more of its weights (lowest magnitude), export the
candidate on --images test images and simulate it on the guide; keep the move that saves the most guide
energy per unit of removed weight magnitude; fine-tune --retrain-epochs; repeat until --sparsity.  A
candidate on layer l re-simulates layers l..L only (layer energies are independent in accelsim, so this
is exact).  Energy table: the guide's default (SCNN: shared-45nm, EIE: eie-45nm).

Writes the pruned model's trace (--out, the same --images test images, openable by every accelsim
command) and, with --json, the move history and the energy of magnitude pruning at the same sparsity.

Exit codes: 0 success, 2 usage error, 3 bad input (one line on stderr).
"""


def register(sub: Any) -> None:
    e = sub.add_parser("energy-aware", help="prune a study network guided by SCNN or EIE energy (re-simulation)",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("--net", default="lenet5", help=f"study network: {', '.join(NETWORKS)} (lenet5)")
    e.add_argument("--sparsity", type=float, default=0.9, metavar="F",
                   help="total weight sparsity to reach, in [0, 1): the fraction of Conv/Linear weights "
                        "pruned, exactly round(F x weights) (0.9)")
    e.add_argument("--guide", default="scnn", help="design whose simulated energy guides the pruning: scnn or "
                                                   "eie (scnn)")
    e.add_argument("--step", type=float, default=0.1, metavar="F",
                   help="fraction of a layer's weights one move prunes, in (0, 1] (0.1); smaller is finer "
                        "and slower")
    e.add_argument("--max-layer-sparsity", type=float, default=0.97, metavar="F",
                   help="no layer is pruned beyond this fraction, in (0, 1] (0.97)")
    e.add_argument("--epochs", type=int, default=12, metavar="N", help="epochs to train the dense net (12)")
    e.add_argument("--retrain-epochs", type=int, default=1, metavar="N",
                   help="fine-tuning epochs after each move; 0 = none (1)")
    e.add_argument("--images", type=int, default=8, metavar="N",
                   help="test images in the simulated candidates and in the output trace (8)")
    e.add_argument("--seed", type=int, default=0, help="seed of the init, the data split and the shuffles (0)")
    e.add_argument("--out", required=True, metavar="TRACE.npz", help="where to write the pruned model's trace")
    e.add_argument("--json", metavar="FILE", help="also write the moves, accuracies and energies as JSON")
    e.set_defaults(func=run_energy_aware)


def _check(args: argparse.Namespace) -> None:
    if args.net not in NETWORKS:
        raise ConfigError(f"--net: unknown network {args.net!r}; choose one of {', '.join(NETWORKS)}")
    if args.guide not in GUIDES:
        raise ConfigError(f"--guide: {args.guide!r} does not save energy on zero weights; choose scnn or eie")
    if not 0.0 <= args.sparsity < 1.0:
        raise ConfigError(f"--sparsity must be in [0, 1), got {args.sparsity}")
    if not 0.0 < args.step <= 1.0:
        raise ConfigError(f"--step must be in (0, 1], got {args.step}")
    if not 0.0 < args.max_layer_sparsity <= 1.0:
        raise ConfigError(f"--max-layer-sparsity must be in (0, 1], got {args.max_layer_sparsity}")
    if args.sparsity > args.max_layer_sparsity:
        raise ConfigError(f"--sparsity {args.sparsity} exceeds --max-layer-sparsity {args.max_layer_sparsity}")
    for name, low in (("epochs", 1), ("retrain_epochs", 0), ("images", 1)):
        if getattr(args, name) < low:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least {low}, got {getattr(args, name)}")
    if args.images > 450:
        raise ConfigError(f"--images must be at most 450 (the digits test split), got {args.images}")
    if not str(args.out).endswith(".npz"):
        raise ConfigError(f"--out: {args.out}: a trace file name must end in .npz")
    from pathlib import Path
    for opt, path in (("--out", args.out), ("--json", args.json)):
        if path is not None and not Path(path).resolve().parent.is_dir():
            raise ConfigError(f"{opt}: {path}: its folder does not exist")
        if path is not None and Path(path).is_dir():
            raise ConfigError(f"{opt}: {path} is a folder, not a file")
    if args.json is not None and Path(args.json).resolve() == Path(args.out).resolve():
        raise ConfigError(f"--json and --out name the same file {args.out}")


def run_energy_aware(args: argparse.Namespace) -> int:
    _check(args)
    if importlib.util.find_spec("torch") is None:
        print("accelsim: error: energy-aware pruning needs PyTorch; install the torch extra: "
              "pip install torch==2.13.0", file=sys.stderr)
        return 3
    import warnings

    import torch

    from accelsim import runner
    from accelsim.export import export_model
    from accelsim.prune.energy_aware import energy_aware_prune_resim
    from accelsim.prune.magnitude import magnitude_prune
    from accelsim.prune.masks import clone_model, layer_sparsity, total_sparsity
    from accelsim.prune.nets import trained_net
    from accelsim.prune.train import evaluate, make_train_fn
    from accelsim.results import write_text_atomic

    torch.set_num_threads(1)
    dense, data = trained_net(args.net, epochs=args.epochs, seed=args.seed)
    sample = data.x_test[:args.images]
    train_fn = make_train_fn(data, args.retrain_epochs, lr=5e-4, seed=args.seed) if args.retrain_epochs else None
    model = clone_model(dense)
    hist = energy_aware_prune_resim(model, args.sparsity, sample, arch=args.guide, step=args.step,
                                    max_layer_sparsity=args.max_layer_sparsity, train_fn=train_fn)
    acc = evaluate(model, data)
    source = {"model": args.net, "method": f"energy-aware re-simulation guided by {args.guide}",
              "sparsity": args.sparsity, "accuracy": acc, "dataset": data.description, "seed": args.seed}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tr = export_model(model, sample, path=args.out, network=args.net, source=source)
    e = runner.simulate(tr, args.guide).total
    summary: dict[str, Any] = {"network": args.net, "guide": args.guide, "sparsity": total_sparsity(model),
                               "accuracy": acc, "energy": e.energy, "energy_unit": e.energy_unit,
                               "layer_sparsity": layer_sparsity(model), "moves": hist, "magnitude": {}}
    for scope in ("layer", "global"):  # the same sparsity by magnitude, fine-tuned as long in total
        m = clone_model(dense)
        magnitude_prune(m, args.sparsity, scope=scope)
        if train_fn is not None:
            make_train_fn(data, args.retrain_epochs * len(hist), lr=5e-4, seed=args.seed + 7)(m)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            em = runner.simulate(export_model(m, sample, network=args.net), args.guide).total.energy
        summary["magnitude"][scope] = {"accuracy": evaluate(m, data), "energy": em}
    def fmt(x: float) -> str:
        return f"{x / 1e6:.2f} uJ" if e.energy_unit == "pJ" else f"{x:.4g} {e.energy_unit}"

    print(f"wrote {args.out}: {args.net} at {total_sparsity(model):.4f} weight sparsity in {len(hist)} moves, "
          f"test accuracy {acc:.4f}, {args.guide} energy {fmt(e.energy)}")
    for scope, v in summary["magnitude"].items():
        print(f"  magnitude-{scope} at the same sparsity: accuracy {v['accuracy']:.4f}, {args.guide} energy "
              f"{fmt(v['energy'])} (energy-aware: {e.energy / v['energy'] - 1:+.1%})")
    if args.json:
        write_text_atomic(json.dumps(summary, indent=1, default=float), args.json)
    return 0
