"""Quantized LeNet-family models with measured accuracy (issue #16): UCNN's INQ / TTQ and EIE's codebook.

For a digits-trained network, dense and magnitude-pruned to 90% (fine-tuned), each scheme of
:mod:`accelsim.quantize` is applied to every Conv/Linear weight and the test accuracy is measured twice:
one shot, and after fine-tuning with the weights projected back onto the scheme's levels after every
optimizer step (``train(after_step=...)``; pruned weights stay zero).  This stands in for each method's
own training: INQ re-trains while it quantizes in steps, TTQ trains its two scales, Deep Compression
fine-tunes the shared centroids; projected fine-tuning keeps the level set of the scheme and lets the
other weights adapt, which none of the three does exactly (stated in the README).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from accelsim.prune.magnitude import magnitude_prune
from accelsim.prune.masks import clone_model, effective_weight, prunable_layers, total_sparsity
from accelsim.prune.nets import trained_net
from accelsim.prune.train import evaluate, train
from accelsim.quantize import quantize_weights

FIELDS = ["network", "base", "scheme", "bits", "sparsity", "max_unique", "accuracy_float",
          "accuracy_float_finetuned", "accuracy_one_shot", "accuracy_finetuned"]
SCHEMES = (("inq", 5), ("ttq", 2), ("kmeans", 4), ("uniform", 8))


def _project(model: torch.nn.Module, scheme: str, bits: int) -> int:
    """Quantize every prunable layer's weight in place; returns the largest unique-value count."""
    most = 0
    with torch.no_grad():
        for m in prunable_layers(model).values():
            w = effective_weight(m).cpu().numpy()
            q, st = quantize_weights(w, scheme, bits)
            target = m.weight_orig if hasattr(m, "weight_orig") else m.weight
            target.copy_(torch.from_numpy(q))
            most = max(most, st.unique)
    return most


def quant_study(net: str = "lenet5", epochs: int = 8, finetune_epochs: int = 2, seed: int = 0
                ) -> list[dict[str, Any]]:
    torch.set_num_threads(1)
    dense, data = trained_net(net, epochs=epochs, seed=seed)
    pruned = clone_model(dense)
    magnitude_prune(pruned, 0.9, scope="layer")
    train(pruned, data, epochs=finetune_epochs, lr=5e-4, seed=seed + 1)
    rows = []
    for base_name, base in (("dense", dense), ("magnitude90", pruned)):
        acc_f = evaluate(base, data)
        ref = clone_model(base)  # the float model fine-tuned alike: the fair reference for the fine-tuned rows
        train(ref, data, epochs=finetune_epochs, lr=2e-4, seed=seed + 2)
        acc_ff = evaluate(ref, data)
        for scheme, bits in SCHEMES:
            m = clone_model(base)
            uniq = _project(m, scheme, bits)
            acc1 = evaluate(m, data)
            train(m, data, epochs=finetune_epochs, lr=2e-4, seed=seed + 2,
                  after_step=lambda mm, s=scheme, b=bits: _project(mm, s, b))
            _project(m, scheme, bits)
            rows.append({"network": net, "base": base_name, "scheme": scheme, "bits": bits,
                         "sparsity": round(total_sparsity(m), 4), "max_unique": uniq,
                         "accuracy_float": round(acc_f, 4), "accuracy_float_finetuned": round(acc_ff, 4),
                         "accuracy_one_shot": round(acc1, 4),
                         "accuracy_finetuned": round(evaluate(m, data), 4)})
    return rows


__all__ = ["FIELDS", "quant_study"]
