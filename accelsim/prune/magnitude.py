"""Magnitude pruning (L1 unstructured): per layer and global, one shot.

The score of a weight is its absolute value ``|w|``; the lowest-scored weights are masked to an exact
target sparsity (see :mod:`accelsim.prune.masks` for the exact-count and tie-breaking rules).

- ``scope="layer"``: each layer loses ``round(s * n_l)`` of its own weights (or a per-layer target);
- ``scope="global"``: one threshold over all layers together (``torch.nn.utils.prune.global_unstructured``
  with ``L1Unstructured`` does the same thing, but its ``topk`` does not define how ties are broken).

Han et al. (NIPS 2015) prune with a per-layer threshold ``quality x std(layer weights)``;
:func:`han_threshold_prune` implements that rule directly and :func:`han_prune` chooses the quality
parameter that hits a target sparsity exactly (see :mod:`accelsim.prune.iterative` for the schedule).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch
from torch import nn

from accelsim.errors import ConfigError
from accelsim.prune.masks import (current_mask, effective_weight, layer_sparsity, prunable_layers,
                                  prune_by_scores, set_mask)


def magnitude_prune(model: nn.Module, sparsity: float | Mapping[str, float], scope: str = "layer",
                    layers: Iterable[str] | None = None) -> dict[str, float]:
    """Mask the smallest-magnitude weights of ``model`` in place to an exact target sparsity.

    Parameters
    ----------
    sparsity : fraction of weights to prune, one for all layers or a per-layer mapping (``scope="layer"``).
    scope : ``"layer"`` or ``"global"`` (one ranking over all the named layers).
    layers : names of the layers to prune (default: every Conv2d and Linear).

    Returns the achieved sparsity of each pruned layer.
    """
    if isinstance(sparsity, Mapping) and layers is None:
        layers = list(sparsity)
    mods = prunable_layers(model, layers)
    scores = {n: effective_weight(m).abs() for n, m in mods.items()}
    return prune_by_scores(model, scores, sparsity, scope=scope)


def han_scores(model: nn.Module, layers: Iterable[str] | None = None) -> dict[str, torch.Tensor]:
    """Han et al.'s normalized magnitude ``|w| / std_l``, std over the layer's surviving (unmasked) weights.

    A weight survives a threshold ``quality x std_l`` exactly when its score is at least ``quality``, so
    ranking these scores globally realizes Han's rule with one quality parameter shared by all layers.
    """
    out = {}
    for n, m in prunable_layers(model, layers).items():
        w = effective_weight(m)
        alive = w[current_mask(m) != 0]
        std = float(alive.std()) if alive.numel() > 1 else 0.0
        out[n] = w.abs() / std if std > 0 else torch.zeros_like(w)
    return out


def han_threshold_prune(model: nn.Module, quality: float, layers: Iterable[str] | None = None) -> dict[str, float]:
    """Han et al.'s rule as published: in each layer, mask every weight with ``|w| < quality x std_l``.

    The sparsity is whatever the threshold gives (returned per layer).  Masks only grow.
    """
    if quality < 0:
        raise ConfigError(f"quality must be >= 0, got {quality}")
    scores = han_scores(model, layers)
    for n, m in prunable_layers(model, layers).items():
        set_mask(m, current_mask(m) * (scores[n] >= quality).to(torch.float32))
    return layer_sparsity(model, list(scores))


def han_prune(model: nn.Module, sparsity: float, layers: Iterable[str] | None = None) -> tuple[dict[str, float], float]:
    """Han's threshold rule with the quality parameter chosen to reach ``sparsity`` exactly (over all layers).

    Returns (achieved per-layer sparsity, the quality parameter: the largest pruned score).
    """
    scores = han_scores(model, layers)
    achieved = prune_by_scores(model, scores, sparsity, scope="global")
    mods = prunable_layers(model, list(scores))
    pruned = [scores[n][current_mask(m) == 0] for n, m in mods.items()]
    cat = torch.cat([p.reshape(-1) for p in pruned])
    quality = float(cat.max()) if cat.numel() else 0.0
    return achieved, quality
