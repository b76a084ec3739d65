"""Energy-aware pruning guided by a design that sees weight sparsity, against magnitude pruning, on that
design (issue #16): ``accelsim prune study energy``.

For one digits-trained network and each guide (SCNN and EIE by default): magnitude pruning (per layer and
global) and :func:`accelsim.prune.energy_aware.energy_aware_prune_resim` guided by that design, all at the
same total sparsity and with the same fine-tuning budget (energy-aware fine-tunes ``retrain_epochs`` after
each of its moves; each magnitude variant gets moves x ``retrain_epochs`` epochs once, the most moves any
guide made).  Each pruned model is exported on ``images`` test images and simulated on every design, each
with its default energy table.  Rows: network, method, guide, sparsity, test accuracy, design, energy,
its unit and table, latency, and ``energy_vs_magnitude`` = energy / the better magnitude variant's energy on
the same design (below 1: energy-aware saves).
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch

from accelsim.prune.energy_aware import energy_aware_prune_resim
from accelsim.prune.magnitude import magnitude_prune
from accelsim.prune.masks import clone_model, total_sparsity
from accelsim.prune.nets import trained_net
from accelsim.prune.train import evaluate, train

FIELDS = ["network", "method", "guide", "sparsity", "accuracy", "finetune_epochs", "design", "energy",
          "energy_unit", "energy_table", "latency_s", "energy_vs_magnitude", "layers_simulated"]
GUIDES = ("scnn", "eie")


def energy_study(net: str = "lenet5", guides: Sequence[str] = GUIDES, target: float = 0.9, epochs: int = 12,
                 retrain_epochs: int = 1, step: float = 0.1, images: int = 8, seed: int = 0,
                 designs: Sequence[str] | None = None, sparsities: Sequence[float] | None = None
                 ) -> list[dict[str, Any]]:
    from accelsim import runner
    from accelsim.accelerators import available
    from accelsim.export import export_model
    torch.set_num_threads(1)
    if sparsities:
        if len(sparsities) != 1:
            from accelsim.errors import ConfigError
            raise ConfigError("the energy study takes one target sparsity")
        target = float(sparsities[0])
    designs = list(designs) if designs else available()
    dense, data = trained_net(net, epochs=epochs, seed=seed)
    sample = data.x_test[:images]
    calls = [0]

    def finetune(m: torch.nn.Module, n_epochs: int = retrain_epochs) -> None:
        calls[0] += 1
        train(m, data, epochs=n_epochs, lr=5e-4, seed=seed + 100 * calls[0])

    models: list[tuple[str, str, torch.nn.Module, int, int | None]] = [("dense", "", dense, 0, None)]
    most_moves = 0
    for guide in guides:
        m = clone_model(dense)
        hist = energy_aware_prune_resim(m, target, sample, arch=guide, step=step, train_fn=finetune)
        most_moves = max(most_moves, len(hist))
        models.append((f"energy-aware-{guide}", guide, m, len(hist) * retrain_epochs,
                       sum(h["layers_simulated"] for h in hist)))
    budget = most_moves * retrain_epochs
    for scope in ("layer", "global"):
        m = clone_model(dense)
        magnitude_prune(m, target, scope=scope)
        finetune(m, budget)
        models.append((f"magnitude-{scope}", "", m, budget, None))
    rows = []
    for name, guide, m, ft, sims in models:
        acc = evaluate(m, data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tr = export_model(m, sample, network=net, outputs=True)
        for d in designs:
            r = runner.simulate(tr, d)
            rows.append({"network": net, "method": name, "guide": guide, "sparsity": round(total_sparsity(m), 4),
                         "accuracy": round(acc, 4), "finetune_epochs": ft, "design": d, "energy": r.total.energy,
                         "energy_unit": r.total.energy_unit, "energy_table": r.energy_table,
                         "latency_s": r.total.latency_total_s, "energy_vs_magnitude": float("nan"),
                         "layers_simulated": sims})
    for r in rows:
        mags = [x["energy"] for x in rows if x["design"] == r["design"] and x["method"].startswith("magnitude")]
        r["energy_vs_magnitude"] = r["energy"] / min(mags) if mags and min(mags) else float("nan")
    return rows


def guide_savings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per network and guide: the energy-aware model's energy on its guide vs each magnitude variant's."""
    out = []
    for r in rows:
        if r["method"].startswith("energy-aware") and r["design"] == r["guide"]:
            mag = {x["method"]: x for x in rows if x["network"] == r["network"] and x["design"] == r["design"]
                   and x["method"].startswith("magnitude")}
            out.append({"network": r["network"], "guide": r["guide"], "energy": r["energy"],
                        "accuracy": r["accuracy"],
                        **{f"vs_{k}": r["energy"] / v["energy"] - 1.0 for k, v in mag.items()},
                        **{f"accuracy_{k}": v["accuracy"] for k, v in mag.items()}})
    return out


__all__ = ["FIELDS", "GUIDES", "energy_study", "guide_savings"]
