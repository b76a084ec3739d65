"""Train LeNet-5 and the four seed nets on the digits, prune them with accelsim's methods, export traces.

    python models/make_traces.py [--out traces] [--nets lenet5,seed1,...] [--quick]

Seeded and single-threaded (a few minutes on one core).  For every network:

1. train the dense net (Adam, seeded) on ``sklearn.datasets.load_digits`` resized to the net's input
   (1x28x28; 3x32x32 for seed3/seed4: the digits rendered in colour, NOT CIFAR-10, see
   ``accelsim/prune/train.py``);
2. magnitude pruning per layer, one shot, at 50 / 70 / 90 % + a short retraining (all evaluated);
3. Han et al.'s iterative prune-and-retrain to 90 % in 3 rounds;
4. LeNet-5 only, every other method: global magnitude 90 % (evaluated, not shipped), OBD 90 % (exact Gauss-Newton diagonal),
   L1 filter pruning 50 % of the filters/neurons, Taylor channel pruning 50 % of the conv channels,
   lottery ticket 90 % (3 rounds, rewinding to the init), energy-aware 90 % (layer energies from accelsim's
   accelerator model: Eyeriss when it exists, else Cnvlutin);
5. export the shipped subset with the first 4 test images (N=4) into ``traces/`` and write
   ``traces/README.md`` (every evaluated model, with its file when it is shipped).

Accuracies are top-1 on the fixed 450-image test split.
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from accelsim.export import export_model  # noqa: E402
from accelsim.prune import (clone_model, energy_aware_prune, iterative_prune, layer_sparsity,  # noqa: E402
                            lottery_ticket, magnitude_prune, obd_prune, parameter_count, snapshot,
                            structured_prune, taylor_prune, total_sparsity)
from accelsim.prune.train import evaluate, load_data, train  # noqa: E402
from accelsim.prune.nets import INPUT_SHAPES, NETS, build  # noqa: E402

SEED = 0
EPOCHS = {"lenet5": 12, "seed1": 15, "seed2": 15, "seed3": 15, "seed4": 15}
RETRAIN_EPOCHS = 3
LR, RETRAIN_LR = 2e-3, 1e-3
BATCH = 4  # images per exported trace
SPARSITIES = (0.5, 0.7, 0.9)
ALL_METHODS_NETS = ("lenet5",)


def _energy_arch() -> str | None:
    try:
        from accelsim.accelerators import available
    except ImportError:
        return None
    names = available()
    return "eyeriss" if "eyeriss" in names else ("cnvlutin" if "cnvlutin" in names else None)


class Run:
    """Trains, prunes and exports one network; collects the README rows."""

    def __init__(self, net: str, out: Path, quick: bool, batch: int = BATCH):
        self.net, self.out, self.quick, self.batch = net, out, quick, batch
        self.data = load_data(INPUT_SHAPES[net], seed=SEED)
        self.sample = self.data.x_test[:batch]
        self.epochs = 2 if quick else EPOCHS[net]
        self.retrain = 1 if quick else RETRAIN_EPOCHS
        self.rows: list[dict[str, Any]] = []
        self.calls = 0

    def finetune(self, model: torch.nn.Module) -> None:
        self.calls += 1
        train(model, self.data, epochs=self.retrain, lr=RETRAIN_LR, seed=SEED + 100 * self.calls)

    def fit(self, model: torch.nn.Module, epochs: int | None = None) -> None:
        self.calls += 1
        train(model, self.data, epochs=epochs or self.epochs, lr=LR, seed=SEED + 100 * self.calls)

    def record(self, model: torch.nn.Module, method: str, target: float | None, params: dict[str, Any],
               ship: str | None, note: str = "") -> None:
        acc = evaluate(model, self.data)
        sp = layer_sparsity(model)
        row = {"network": self.net, "method": method, "target": target, "achieved": total_sparsity(model),
               "weights": sum(int((m.weight != 0).sum()) for m in _layers(model)),
               "params": parameter_count(model), "accuracy": acc, "file": None, "size": None, "note": note}
        if ship:
            source = {
                "model": self.net, "dataset": self.data.description, "synthetic": False,
                "not_cifar10": INPUT_SHAPES[self.net][0] == 3,
                "method": method, "method_params": params, "target_sparsity": target,
                "achieved_sparsity": sp, "achieved_total_sparsity": row["achieved"],
                "accuracy": acc, "dense_accuracy": self.dense_acc, "accuracy_split": "test, 450 images",
                "seed": SEED, "train": {"optimizer": "adam", "epochs": self.epochs, "lr": LR,
                                        "retrain_epochs": self.retrain, "retrain_lr": RETRAIN_LR},
                "sample_inputs": f"first {self.batch} test images", "script": "models/make_traces.py",
                "torch": torch.__version__, "note": note,
            }
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # these nets have nothing the exporter cannot express
                tr = export_model(model, self.sample, self.out / ship, network=self.net, source=source)
            row["file"], row["size"] = ship, Path(tr.path).stat().st_size
        self.rows.append(row)
        print(f"  {self.net:7s} {method:22s} target={target!s:5s} achieved={row['achieved']:.3f} "
              f"acc={acc:.4f} {ship or ''}", flush=True)

    def run(self) -> list[dict[str, Any]]:
        net = self.net
        model = build(net, seed=SEED)
        theta0 = snapshot(model)
        init_model = clone_model(model)
        self.fit(model)
        self.dense_acc = evaluate(model, self.data)
        dense = model
        self.record(dense, "dense", 0.0, {}, f"{net}_dense.npz")
        for s in SPARSITIES:
            m = clone_model(dense)
            magnitude_prune(m, s, scope="layer")
            self.finetune(m)
            self.record(m, "magnitude", s, {"scope": "layer", "retrain_epochs": self.retrain},
                        f"{net}_magnitude{round(s * 100)}.npz" if s == 0.9 else None, "one-shot + retrain")
        m = clone_model(dense)
        iterative_prune(m, 0.9, 3, self.finetune, method="han")
        self.record(m, "iterative-han", 0.9, {"rounds": 3, "retrain_epochs_per_round": self.retrain,
                                              "threshold": "quality x std, one quality for all layers"},
                    f"{net}_iterative90.npz", "Han et al. 2015, 3 prune/retrain rounds")
        if net not in ALL_METHODS_NETS:
            return self.rows

        m = clone_model(dense)
        magnitude_prune(m, 0.9, scope="global")
        self.finetune(m)
        self.record(m, "magnitude-global", 0.9, {"scope": "global"}, None, "one-shot + retrain")

        m = clone_model(dense)
        obd_prune(m, 0.9, self.data.batches(64, 256), estimator="gauss_newton")
        self.finetune(m)
        self.record(m, "obd", 0.9, {"estimator": "gauss_newton (exact GGN diagonal)", "samples": 256},
                    f"{net}_obd90.npz", "one-shot + retrain")

        m, removed = structured_prune(dense, 0.5, self.sample, norm=1)
        self.finetune(m)
        self.record(m, "filter-l1", 0.5, {"norm": 1, "removed": removed}, f"{net}_filters50.npz",
                    "50% of the filters/neurons of every layer but the last removed; dense smaller model")

        m, removed, _ = taylor_prune(dense, 0.5, self.data.batches(64, 256), self.sample,
                                     train_fn=self.finetune, steps=2)
        self.record(m, "taylor", 0.5, {"steps": 2, "removed": removed}, f"{net}_taylor50.npz",
                    "50% of the conv channels removed (Molchanov 2017), dense smaller model")

        m = clone_model(init_model)
        lottery_ticket(m, 0.9, 3, lambda mm: self.fit(mm), scope="global", init_state=theta0)
        self.record(m, "lottery", 0.9, {"rounds": 3, "scope": "global", "rewind": "init"},
                    f"{net}_lottery90.npz", "winning ticket trained from the original init")

        arch = _energy_arch()
        if arch is not None:
            from accelsim.prune.energy_aware import accelerator_energy_fn
            m = clone_model(dense)
            energy_aware_prune(m, 0.9, self.sample, energy_fn=accelerator_energy_fn(arch),
                               train_fn=self.finetune, max_layer_sparsity=0.95)
            self.record(m, "energy-aware", 0.9, {"arch": arch, "max_layer_sparsity": 0.95},
                        f"{net}_energy90.npz", f"layer order from accelsim's {arch} energy")
        return self.rows


def _layers(model: torch.nn.Module) -> list[torch.nn.Module]:
    return [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]


def write_readme(out: Path, rows: list[dict[str, Any]], seconds: float, batch: int = BATCH) -> None:
    shipped = [r for r in rows if r["file"]]
    total = sum(r["size"] for r in shipped)
    lines = [
        "# Real traces of pruned networks",
        "",
        "Made by `python models/make_traces.py` (seeded, one thread; "
        f"{seconds:.0f} s on this machine). Every network is trained on scikit-learn's bundled handwritten",
        "digits (`load_digits`, 1797 8x8 images, fixed stratified 1347/450 split): upsampled bilinearly to",
        "1x28x28 for LeNet-5, seed1 and seed2; upsampled to 32x32 and rendered in random colours to 3x32x32 for",
        "seed3 and seed4 -- **these are not CIFAR-10** (it cannot be downloaded here), and each trace's",
        "`source` says so (`dataset`, `not_cifar10`).",
        "",
        f"Each trace holds the conv/fc layers of one model with the first {batch} test images (N={batch}): "
        "weights (after",
        "pruning, exact zeros), input activations and outputs (after the following ReLU when there is one:",
        "`source.activation`). LeNet-5 is Caffe's (no ReLU after its convolutions). Accuracy is top-1 on",
        "the 450 test images. `target` is the weight sparsity asked for (for `filter-l1` and `taylor`: the",
        "fraction of filters/channels removed); `achieved` is the fraction of zero weights over all",
        "conv/fc layers; `weights` counts the non-zero weights.",
        "",
        "| file | network | method | target | achieved | weights | test accuracy | size |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        f = f"`{r['file']}`" if r["file"] else "(not shipped)"
        size = f"{r['size'] / 1024:.0f} KiB" if r["size"] else ""
        lines.append(f"| {f} | {r['network']} | {r['method']} | {r['target']:.2f} | {r['achieved']:.3f} | "
                     f"{r['weights']} | {r['accuracy']:.4f} | {size} |")
    lines += ["", f"{len(shipped)} files, {total / 1e6:.2f} MB in all.", "",
              "Notes: `magnitude` = per-layer L1 one-shot + 3 epochs of retraining; `iterative-han` = Han et al.",
              "2015's quality x std threshold in 3 prune/retrain rounds; `obd` = Optimal Brain Damage with the exact",
              "Gauss-Newton Hessian diagonal; `lottery` = 3 rounds of global magnitude pruning with rewinding to",
              "the initial weights; `energy-aware` = layers pruned in order of their energy on accelsim's",
              "accelerator model named in `source.method_params.arch`.", ""]
    (out / "README.md").write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(ROOT / "traces"), help="output directory (default: traces/)")
    p.add_argument("--nets", default=",".join(NETS), help="comma-separated networks (default: all)")
    p.add_argument("--quick", action="store_true", help="1-2 epochs only (a smoke test, not for shipping)")
    p.add_argument("--batch", type=int, default=BATCH, help=f"test images per trace (default {BATCH})")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    rows: list[dict[str, Any]] = []
    for net in args.nets.split(","):
        print(f"{net}:", flush=True)
        rows += Run(net, out, args.quick, args.batch).run()
    seconds = time.time() - t0
    write_readme(out, rows, seconds, args.batch)
    print(f"done in {seconds:.0f} s; {sum(1 for r in rows if r['file'])} traces in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
