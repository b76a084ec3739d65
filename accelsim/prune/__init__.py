"""Pruning methods on PyTorch models (optional extra: ``pip install torch==2.13.0``).

Unstructured methods mask weights through ``torch.nn.utils.prune`` (masks hold through retraining) and hit
their target sparsity exactly, ties broken by position (:mod:`accelsim.prune.masks`).  Structured methods
return a physically smaller dense model.  Importing this package imports torch; ``accelsim`` never does.

=====================  ==========================================================================
module                 method
=====================  ==========================================================================
magnitude              L1 unstructured, per layer and global; Han et al.'s quality x std threshold
iterative              iterative prune-and-retrain (Han et al. 2015) and one-shot pruning
structured             filter/channel pruning by L1/L2 norm, physical removal (torch-pruning)
obd                    Optimal Brain Damage, saliency w^2 H_ii / 2 (exact Gauss-Newton or Hutchinson)
taylor                 first-order Taylor criterion on feature maps (Molchanov et al. 2017)
lottery                lottery ticket: iterative magnitude pruning, rewinding to the original init
energy_aware           energy-aware pruning: Yang et al. 2017's order with a pluggable per-layer energy, and
                       re-simulation on SCNN or EIE (``energy_aware_prune_resim``, ``accelsim prune energy-aware``)
quant_train            quantized fine-tuning with float shadow weights: uniform STE, TTQ, INQ, k-means centroids
train                  the digits data set, a training loop, accuracy
=====================  ==========================================================================
"""
from accelsim.prune.energy_aware import accelerator_energy_fn, dense_macs, energy_aware_prune
from accelsim.prune.iterative import iterative_prune, one_shot_prune, sparsity_schedule
from accelsim.prune.lottery import lottery_ticket, rewind, snapshot
from accelsim.prune.magnitude import han_prune, han_threshold_prune, magnitude_prune
from accelsim.prune.masks import clone_model, layer_sparsity, make_permanent, prunable_layers, total_sparsity
from accelsim.prune.obd import diag_hessian, obd_prune, obd_scores
from accelsim.prune.structured import filter_norms, parameter_count, remove_channels, structured_prune
from accelsim.prune.taylor import taylor_prune, taylor_scores

__all__ = [
    "accelerator_energy_fn", "clone_model", "dense_macs", "diag_hessian", "energy_aware_prune", "filter_norms",
    "han_prune", "han_threshold_prune", "iterative_prune", "layer_sparsity", "lottery_ticket",
    "magnitude_prune", "make_permanent", "obd_prune", "obd_scores", "one_shot_prune", "parameter_count",
    "prunable_layers", "remove_channels", "rewind", "snapshot", "sparsity_schedule", "structured_prune",
    "taylor_prune", "taylor_scores", "total_sparsity",
]
