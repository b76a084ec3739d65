"""Energy-aware pruning guided by a design that sees weight sparsity, against magnitude pruning, on that
design (issue #16): ``accelsim prune study energy``.

For one digits-trained network: magnitude pruning (per layer and global) and
:func:`accelsim.prune.energy_aware.energy_aware_prune_resim` guided by ``arch`` (SCNN by default), each at
the same total sparsity and fine-tuned alike; then each pruned model is exported on ``images`` test images
and simulated on ``arch`` (and on EIE and Eyeriss for context).  Rows: method, sparsity, test accuracy,
energy (pJ) and time on each design.
"""
from __future__ import annotations

import warnings
from typing import Any

import torch

from accelsim.prune.energy_aware import energy_aware_prune_resim
from accelsim.prune.magnitude import magnitude_prune
from accelsim.prune.masks import clone_model, total_sparsity
from accelsim.prune.nets import trained_net
from accelsim.prune.train import evaluate, train

FIELDS = ["network", "method", "guide", "sparsity", "accuracy", "design", "energy_pj", "latency_s"]


def energy_study(net: str = "lenet5", arch: str = "scnn", target: float = 0.9, epochs: int = 8,
                 retrain_epochs: int = 1, images: int = 16, seed: int = 0,
                 designs: tuple[str, ...] = ("scnn", "eie", "eyeriss")) -> list[dict[str, Any]]:
    from accelsim import runner
    from accelsim.export import export_model
    torch.set_num_threads(1)
    dense, data = trained_net(net, epochs=epochs, seed=seed)
    sample = data.x_test[:images]
    calls = [0]

    def finetune(m: torch.nn.Module) -> None:
        calls[0] += 1
        train(m, data, epochs=retrain_epochs, lr=5e-4, seed=seed + 100 * calls[0])

    models: list[tuple[str, torch.nn.Module]] = [("dense", dense)]
    for scope in ("layer", "global"):
        m = clone_model(dense)
        magnitude_prune(m, target, scope=scope)
        finetune(m)
        models.append((f"magnitude-{scope}", m))
    m = clone_model(dense)
    energy_aware_prune_resim(m, target, sample, arch=arch, train_fn=finetune)
    models.append((f"energy-aware-{arch}", m))
    rows = []
    for name, m in models:
        acc = evaluate(m, data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tr = export_model(m, sample, network=net, outputs=True)
        for d in designs:
            r = runner.simulate(tr, d, energy="shared-45nm")
            rows.append({"network": net, "method": name, "guide": arch if name.startswith("energy") else "",
                         "sparsity": round(total_sparsity(m), 4), "accuracy": round(acc, 4), "design": d,
                         "energy_pj": r.total.energy, "latency_s": r.total.latency_total_s})
    return rows


__all__ = ["FIELDS", "energy_study"]
