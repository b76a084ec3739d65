"""Structured filter pruning by L1/L2 norm (Li et al., ICLR 2017, "Pruning Filters for Efficient ConvNets"),
leaving a physically smaller *dense* model.

Removing output channel ``j`` of a layer (a conv filter, or a neuron: a row of an fc weight matrix) also
removes the matching input channel of every layer that consumes it (the columns ``j * E * F ...`` of an fc
layer after a flatten), so filter pruning of layer k is channel pruning of layer k+1: the "row pruning" that
keeps dense matrices.  The dependency bookkeeping (flatten, grouped/depthwise convs, BatchNorm, residual
adds) is done by torch-pruning (Fang et al., CVPR 2023, ``pip install torch-pruning``; tested with 1.6),
whose ``DependencyGraph`` traces the model on example inputs and removes coupled channels together.

Exactness: each pruned layer loses exactly ``round(ratio * M_l)`` of its ``M_l`` output channels, the
lowest by ``||W_j||_p`` (weights of filter ``j``, bias excluded), ties broken by channel index.  By
default every Conv2d/Linear is pruned except the last one (the classifier's outputs are the classes).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import torch
from torch import nn

from accelsim.errors import AccelsimError, ConfigError
from accelsim.prune.masks import clone_model, effective_weight, make_permanent, n_to_prune, prunable_layers


def _tp():
    try:
        import torch_pruning
    except ImportError:  # pragma: no cover - depends on the environment
        raise AccelsimError("structured pruning needs torch-pruning: pip install torch-pruning") from None
    return torch_pruning


def default_layers(model: nn.Module) -> list[str]:
    """Every prunable layer but the last one in definition order (the classifier keeps its outputs)."""
    return list(prunable_layers(model))[:-1]


def filter_norms(model: nn.Module, layers: Iterable[str] | None = None, p: int = 1) -> dict[str, torch.Tensor]:
    """``||W_j||_p`` of every output channel ``j`` (conv filter or fc row) of the named layers, shape (M,)."""
    if p not in (1, 2):
        raise ConfigError(f"norm must be 1 or 2, got {p}")
    mods = prunable_layers(model, default_layers(model) if layers is None else layers)
    return {n: effective_weight(m).reshape(m.weight.shape[0], -1).norm(p=p, dim=1) for n, m in mods.items()}


def lowest_channels(scores: torch.Tensor, k: int) -> list[int]:
    """Indices of the ``k`` lowest scores, ties broken by index (stable sort), in ascending index order."""
    order = torch.argsort(scores.detach().to(torch.float64), stable=True)
    return sorted(int(i) for i in order[:k])


def remove_channels(model: nn.Module, removal: Mapping[str, Sequence[int]],
                    example_inputs: torch.Tensor) -> nn.Module:
    """A copy of ``model`` with the given output channels of the named layers physically removed.

    Any ``torch.nn.utils.prune`` masks are folded in first (the copy has plain weights).  The layers that
    consume the removed channels lose the matching inputs.  ``model`` itself is not modified.
    """
    tp = _tp()
    new = make_permanent(clone_model(model))
    new.eval()
    mods = dict(new.named_modules())
    bad = [n for n in removal if n not in mods or not isinstance(mods[n], (nn.Conv2d, nn.Linear))]
    if bad:
        raise ConfigError(f"no Conv2d/Linear layer(s) {bad} in the model")
    dg = tp.DependencyGraph().build_dependency(new, example_inputs=example_inputs)
    for name, idxs in removal.items():
        m = mods[name]
        out = m.out_channels if isinstance(m, nn.Conv2d) else m.out_features
        idxs = sorted({int(i) for i in idxs})
        if not idxs:
            continue
        if idxs[0] < 0 or idxs[-1] >= out:
            raise ConfigError(f"layer {name!r}: channel index out of range 0..{out - 1}")
        if len(idxs) >= out:
            raise ConfigError(f"layer {name!r}: cannot remove all {out} output channels")
        fn = tp.prune_conv_out_channels if isinstance(m, nn.Conv2d) else tp.prune_linear_out_channels
        group = dg.get_pruning_group(m, fn, idxs=idxs)
        if not dg.check_pruning_group(group):
            raise ConfigError(f"layer {name!r}: torch-pruning refuses to remove channels {idxs}")
        group.prune()
    return new


def structured_prune(model: nn.Module, ratio: float | Mapping[str, float], example_inputs: torch.Tensor,
                     norm: int = 1, layers: Iterable[str] | None = None
                     ) -> tuple[nn.Module, dict[str, list[int]]]:
    """Remove the ``round(ratio * M_l)`` lowest-norm filters of each named layer; return (new model, removed).

    Parameters
    ----------
    ratio : fraction of each layer's output channels to remove (or a per-layer mapping).
    example_inputs : a batch the model accepts (torch-pruning traces the graph with it).
    norm : 1 (L1, Li et al.) or 2 (L2).
    layers : the layers to prune (default: all but the last prunable layer).

    ``removed`` maps each layer to the original indices of its removed channels.  ``model`` is unchanged.
    """
    if isinstance(ratio, Mapping) and layers is None:
        layers = list(ratio)
    scores = filter_norms(model, layers, p=norm)
    removal = {}
    for name, s in scores.items():
        r = ratio[name] if isinstance(ratio, Mapping) else ratio
        k = n_to_prune(r, s.numel(), name)
        if k >= s.numel():
            raise ConfigError(f"layer {name!r}: ratio {r} would remove all {s.numel()} channels")
        removal[name] = lowest_channels(s, k)
    return remove_channels(model, removal, example_inputs), removal


def parameter_count(model: nn.Module) -> int:
    """Number of weights and biases of the model's Conv2d and Linear layers."""
    return sum(p.numel() for m in prunable_layers(model).values() for p in m.parameters(recurse=False))
