"""Iterative prune-and-retrain (Han et al., NIPS 2015, Section 3) next to one-shot ("direct") pruning.

Han et al.: train the dense network; prune the connections whose weight is below a threshold
(``quality x the layer's weight std``); retrain the survivors; repeat.  Iterating reaches higher
sparsity at the same accuracy than pruning once (AlexNet: 5x -> 9x).  Here the number of rounds and the
final sparsity are fixed, and each round's quality parameter is chosen so the round's total sparsity is
exact (:func:`accelsim.prune.magnitude.han_prune`); the targets follow a geometric schedule
``s_k = 1 - (1 - s) ** (k / steps)`` (every round removes the same fraction of the surviving weights).
Masks only grow, and retraining keeps them (``torch.nn.utils.prune`` applies them in forward and backward).

:func:`one_shot_prune` is the direct baseline: one pruning step to the target, then (optionally) one
retraining with the same total budget.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from torch import nn

from accelsim.errors import ConfigError
from accelsim.prune.magnitude import han_prune, magnitude_prune
from accelsim.prune.masks import total_sparsity

TrainFn = Callable[[nn.Module], Any]
EvalFn = Callable[[nn.Module], float]
Criterion = Callable[[nn.Module, float], Any]


def sparsity_schedule(target: float, steps: int) -> list[float]:
    """Geometric targets ``1 - (1 - target) ** (k / steps)`` for k = 1..steps (the last one is ``target``)."""
    if steps < 1:
        raise ConfigError(f"steps must be >= 1, got {steps}")
    if not 0.0 <= target <= 1.0:
        raise ConfigError(f"target sparsity must be in [0, 1], got {target}")
    sched = [1.0 - (1.0 - target) ** (k / steps) for k in range(1, steps + 1)]
    sched[-1] = float(target)
    return sched


def _criterion(method: str | Criterion, layers: Iterable[str] | None) -> Criterion:
    if callable(method):
        return method
    names = None if layers is None else list(layers)
    if method == "han":
        return lambda m, s: han_prune(m, s, names)[0]
    if method in ("magnitude", "magnitude-layer"):
        return lambda m, s: magnitude_prune(m, s, scope="layer", layers=names)
    if method == "magnitude-global":
        return lambda m, s: magnitude_prune(m, s, scope="global", layers=names)
    raise ConfigError(f"unknown pruning criterion {method!r}: 'han', 'magnitude-layer', 'magnitude-global' "
                      "or a callable (model, sparsity)")


def iterative_prune(model: nn.Module, target: float, steps: int, train_fn: TrainFn | None,
                    method: str | Criterion = "han", layers: Iterable[str] | None = None,
                    eval_fn: EvalFn | None = None) -> list[dict[str, Any]]:
    """Prune ``model`` in place to ``target`` in ``steps`` rounds, retraining with ``train_fn`` after each.

    ``method`` is ``"han"`` (one quality x std threshold shared by all layers, the default),
    ``"magnitude-layer"`` (the same sparsity in every layer), ``"magnitude-global"`` (raw |w| ranked over
    all layers) or a callable ``(model, sparsity)`` pruning to an exact total sparsity.

    Returns one record per round: ``{"step", "target", "achieved", "accuracy"}`` (accuracy after
    retraining when ``eval_fn`` is given, else None).
    """
    crit = _criterion(method, layers)
    history = []
    names = None if layers is None else list(layers)
    for k, s in enumerate(sparsity_schedule(target, steps), start=1):
        crit(model, s)
        if train_fn is not None:
            train_fn(model)
        history.append({"step": k, "target": s, "achieved": total_sparsity(model, names),
                        "accuracy": eval_fn(model) if eval_fn else None})
    return history


def one_shot_prune(model: nn.Module, target: float, train_fn: TrainFn | None = None,
                   method: str | Criterion = "han", layers: Iterable[str] | None = None,
                   eval_fn: EvalFn | None = None) -> list[dict[str, Any]]:
    """Direct pruning: one step to ``target``, then one retraining (``train_fn``) if given."""
    return iterative_prune(model, target, 1, train_fn, method=method, layers=layers, eval_fn=eval_fn)
