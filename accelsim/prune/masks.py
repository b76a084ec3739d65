"""Masks shared by every unstructured pruning method: which layers are prunable, exact top-k selection,
mask application through :mod:`torch.nn.utils.prune`, and sparsity bookkeeping.

Conventions (all methods follow them):

- The prunable layers are every ``nn.Conv2d`` and ``nn.Linear`` of the model (their ``weight`` only;
  biases are never pruned), named by their qualified module name (``model.named_modules()``).
- A *sparsity* is the fraction of a layer's weights that are masked to zero.  A target sparsity ``s`` on
  ``n`` weights prunes exactly ``round(s * n)`` weights (``round`` is Python's, half to even).
- Exact selection: weights are ranked by a score (lowest pruned first) with a *stable* sort, so ties are
  broken deterministically by the weight's position (layer order, then row-major flat index).
- Already masked weights get the score ``-inf``: masks only ever grow, so an iterative schedule never
  revives a weight it has pruned.
- Masks live in ``torch.nn.utils.prune`` reparametrizations (``weight_orig`` and the ``weight_mask``
  buffer); the forward pre-hook recomputes ``weight = weight_orig * weight_mask`` at every forward, so the
  gradient reaching a masked entry of ``weight_orig`` is zero and pruned weights stay zero in retraining.
"""
from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

import torch
from torch import nn
from torch.nn.utils import prune as tprune

from accelsim.errors import ConfigError

PRUNABLE = (nn.Conv2d, nn.Linear)


def prunable_layers(model: nn.Module, names: Iterable[str] | None = None) -> dict[str, nn.Module]:
    """The model's Conv2d and Linear modules by qualified name, in definition order.

    ``names`` restricts the result (every name must be a prunable layer, else :class:`ConfigError`).
    """
    layers = {n: m for n, m in model.named_modules() if isinstance(m, PRUNABLE)}
    if not layers:
        raise ConfigError(f"{type(model).__name__}: no Conv2d or Linear layer to prune")
    if names is None:
        return layers
    names = list(names)
    bad = [n for n in names if n not in layers]
    if bad:
        raise ConfigError(f"no prunable layer(s) {bad}; the model has {list(layers)}")
    return {n: layers[n] for n in names}


def effective_weight(module: nn.Module) -> torch.Tensor:
    """The weight the layer computes with: ``weight_orig * weight_mask`` when pruned, else ``weight``."""
    if tprune.is_pruned(module) and hasattr(module, "weight_mask"):
        return module.weight_orig.detach() * module.weight_mask
    return module.weight.detach()


def current_mask(module: nn.Module) -> torch.Tensor:
    """The layer's 0/1 weight mask (all ones when it has never been pruned)."""
    if hasattr(module, "weight_mask"):
        return module.weight_mask.detach().clone()
    return torch.ones_like(module.weight, dtype=torch.float32)


def set_mask(module: nn.Module, mask: torch.Tensor) -> None:
    """Install ``mask`` (0/1, the weight's shape) as the layer's pruning mask.

    The first call creates the ``torch.nn.utils.prune`` reparametrization (``custom_from_mask``); later calls
    overwrite the ``weight_mask`` buffer in place (``weight_orig`` is kept, which lottery-ticket rewinding
    needs).  ``module.weight`` is refreshed immediately so the model is consistent before its next forward.
    """
    mask = mask.detach().to(dtype=torch.float32)
    if mask.shape != module.weight.shape:
        raise ConfigError(f"mask shape {tuple(mask.shape)} != weight shape {tuple(module.weight.shape)}")
    if hasattr(module, "weight_mask"):
        module.weight_mask.copy_(mask.to(module.weight_mask.device))
        with torch.no_grad():
            setattr(module, "weight", module.weight_orig * module.weight_mask)
    else:
        tprune.custom_from_mask(module, "weight", mask)


def lowest_k_mask(scores: torch.Tensor, k: int) -> torch.Tensor:
    """A 0/1 mask of ``scores``'s shape with exactly its ``k`` lowest entries set to 0.

    Ties are broken by flat index (stable sort): of equal scores, the earlier entry is pruned first.
    """
    flat = scores.detach().reshape(-1).to(torch.float64)
    n = flat.numel()
    if not 0 <= k <= n:
        raise ConfigError(f"cannot prune {k} of {n} weights")
    mask = torch.ones(n, dtype=torch.float32)
    if k:
        order = torch.argsort(flat, stable=True)
        mask[order[:k]] = 0.0
    return mask.reshape(scores.shape)


def n_to_prune(sparsity: float, n: int, what: str = "") -> int:
    """``round(sparsity * n)`` after checking ``0 <= sparsity <= 1``."""
    if not isinstance(sparsity, (int, float)) or not 0.0 <= float(sparsity) <= 1.0:
        raise ConfigError(f"{what + ': ' if what else ''}sparsity must be in [0, 1], got {sparsity!r}")
    return int(round(float(sparsity) * n))


def masked_scores(module: nn.Module, scores: torch.Tensor) -> torch.Tensor:
    """``scores`` with the layer's already-masked weights set to ``-inf`` (so they stay pruned)."""
    s = scores.detach().to(torch.float64).clone()
    s[current_mask(module).to(s.device) == 0] = float("-inf")
    return s


def prune_by_scores(model: nn.Module, scores: Mapping[str, torch.Tensor],
                    sparsity: float | Mapping[str, float], scope: str = "layer") -> dict[str, float]:
    """Mask the lowest-scored weights of the layers named in ``scores`` to an exact target sparsity.

    Parameters
    ----------
    scores : layer name -> tensor of the weight's shape; higher means more important.
    sparsity : one target for every layer, or a per-layer mapping (``scope="layer"`` only).
    scope : ``"layer"`` prunes ``round(s * n_l)`` weights in each layer; ``"global"`` ranks the scores of
        all named layers together and prunes ``round(s * sum n_l)``.  Global ranking compares raw scores
        across layers: a method that wants them comparable normalizes them first.

    Returns the achieved sparsity of each named layer (the fraction of mask zeros).
    """
    layers = prunable_layers(model, list(scores))
    if scope == "layer":
        for name, mod in layers.items():
            s = sparsity[name] if isinstance(sparsity, Mapping) else sparsity
            k = n_to_prune(s, mod.weight.numel(), name)
            set_mask(mod, lowest_k_mask(masked_scores(mod, scores[name]), k))
    elif scope == "global":
        if isinstance(sparsity, Mapping):
            raise ConfigError("scope='global' takes one sparsity, not a per-layer mapping")
        flat = [masked_scores(mod, scores[n]).reshape(-1) for n, mod in layers.items()]
        allsc = torch.cat(flat)
        k = n_to_prune(sparsity, allsc.numel(), "global")
        mask = lowest_k_mask(allsc, k)
        start = 0
        for (name, mod), f in zip(layers.items(), flat):
            set_mask(mod, mask[start:start + f.numel()].reshape(mod.weight.shape))
            start += f.numel()
    else:
        raise ConfigError(f"scope must be 'layer' or 'global', got {scope!r}")
    return layer_sparsity(model, list(layers))


def layer_sparsity(model: nn.Module, names: Iterable[str] | None = None) -> dict[str, float]:
    """Fraction of zero weights per prunable layer (zeros of the effective weight, masked or not)."""
    return {n: float((effective_weight(m) == 0).sum().item()) / m.weight.numel()
            for n, m in prunable_layers(model, names).items()}


def total_sparsity(model: nn.Module, names: Iterable[str] | None = None) -> float:
    """Fraction of zero weights over all (named) prunable layers together."""
    layers = prunable_layers(model, names)
    zeros = sum(int((effective_weight(m) == 0).sum().item()) for m in layers.values())
    return zeros / sum(m.weight.numel() for m in layers.values())


def make_permanent(model: nn.Module) -> nn.Module:
    """Fold every pruning reparametrization into a plain ``weight`` (``torch.nn.utils.prune.remove``).

    After this the zeros are ordinary values: retraining would revive them.  Returns the model.
    """
    for _, m in model.named_modules():
        if isinstance(m, PRUNABLE) and tprune.is_pruned(m):
            tprune.remove(m, "weight")
    return model


def clone_model(model: nn.Module) -> nn.Module:
    """A deep copy of ``model``, pruning masks included.

    ``copy.deepcopy`` refuses a pruned module after a forward pass with autograd on, because its
    ``weight`` attribute is then a non-leaf tensor; it is recomputed at every forward, so it is detached
    first (harmless to ``model``).
    """
    for m in model.modules():
        if hasattr(m, "weight_orig") and hasattr(m, "weight_mask"):
            with torch.no_grad():
                setattr(m, "weight", m.weight_orig.detach() * m.weight_mask)
    return copy.deepcopy(model)
