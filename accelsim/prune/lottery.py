"""Lottery ticket (Frankle & Carbin, ICLR 2019): iterative magnitude pruning with rewinding.

1. Remember the initial weights theta_0 (the model as given, before any training; or ``init_state``, e.g.
   weights after a few iterations for "late rewinding", Frankle et al. 2020).
2. Train; prune the smallest-magnitude surviving weights to the round's target sparsity; reset every
   surviving weight (and every bias and other parameter) to its value in theta_0, keeping the mask.
3. Repeat for ``rounds`` rounds, then train the final sparse "ticket" from theta_0.

Round targets follow the geometric schedule of :func:`accelsim.prune.iterative.sparsity_schedule` (each
round removes the same fraction of the survivors, Frankle & Carbin's p % per round), so the final sparsity
is the target exactly.  The ranking is global (``scope="global"``, as in their deeper networks) or per
layer.  Masks live in ``torch.nn.utils.prune`` buffers; rewinding writes ``weight_orig``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch
from torch import nn

from accelsim.errors import ConfigError
from accelsim.prune.iterative import sparsity_schedule
from accelsim.prune.magnitude import magnitude_prune
from accelsim.prune.masks import total_sparsity


def snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of every parameter, keyed by its name in an unpruned model (``weight_orig`` -> ``weight``)."""
    return {_base(n): p.detach().clone() for n, p in model.named_parameters()}


def _base(name: str) -> str:
    return name[: -len("_orig")] if name.endswith("weight_orig") else name


@torch.no_grad()
def rewind(model: nn.Module, state: Mapping[str, torch.Tensor]) -> None:
    """Reset every parameter to ``state`` (a :func:`snapshot`), leaving the pruning masks as they are."""
    for n, p in model.named_parameters():
        key = _base(n)
        if key not in state:
            raise ConfigError(f"rewind state has no parameter {key!r}")
        p.copy_(state[key])
    for m in model.modules():  # refresh the visible weight = weight_orig * mask
        if hasattr(m, "weight_mask") and hasattr(m, "weight_orig"):
            setattr(m, "weight", m.weight_orig * m.weight_mask)


def lottery_ticket(model: nn.Module, target: float, rounds: int, train_fn: Callable[[nn.Module], Any],
                   scope: str = "global", layers: Iterable[str] | None = None,
                   init_state: Mapping[str, torch.Tensor] | None = None,
                   eval_fn: Callable[[nn.Module], float] | None = None) -> list[dict[str, Any]]:
    """Find a winning ticket at ``target`` sparsity in ``rounds`` rounds; ``model`` ends as the trained ticket.

    ``model`` must be the *untrained* network (its weights are theta_0) unless ``init_state`` is given.
    Returns one record per round (``target``, ``achieved`` sparsity, ``accuracy`` of the trained dense or
    partly pruned net before that round's pruning) plus a final record for the trained ticket.
    """
    names = None if layers is None else list(layers)
    theta0 = dict(init_state) if init_state is not None else snapshot(model)
    history = []
    for k, s in enumerate(sparsity_schedule(target, rounds), start=1):
        train_fn(model)
        acc = eval_fn(model) if eval_fn else None
        magnitude_prune(model, s, scope=scope, layers=names)
        rewind(model, theta0)
        history.append({"round": k, "target": s, "achieved": total_sparsity(model, names),
                        "accuracy_before_pruning": acc})
    train_fn(model)
    history.append({"round": "final", "target": target, "achieved": total_sparsity(model, names),
                    "accuracy": eval_fn(model) if eval_fn else None})
    return history
