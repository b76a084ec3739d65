"""Energy-aware pruning (Yang, Chen, Sze, CVPR 2017, "Designing Energy-Efficient Convolutional Neural
Networks using Energy-Aware Pruning"), simplified.

Yang et al. estimate each layer's energy on an accelerator (Eyeriss) from its real data and prune the
layers in order of decreasing energy, since the layers pruned first can be pruned the most; after each
layer the network is fine-tuned.  Here:

1. The model is exported on ``sample_inputs`` (:func:`accelsim.export.export_model`) and
   ``energy_fn(trace)`` gives each layer's energy (a sequence aligned with ``trace.layers`` or a mapping
   from layer name).  The default, :func:`accelerator_energy_fn`, asks accelsim's own accelerator models:
   ``accelsim.accelerators.create(arch).simulate(trace).layers[i].energy_pj``.
2. Layers are sorted once by that energy, highest first (the paper's order).
3. The budget ``round(target * total weights)`` is spent in that order: each layer gets up to
   ``round(max_layer_sparsity * n_l)`` pruned weights, by magnitude (exact count, ties by position), and
   the model is fine-tuned with ``train_fn`` after each layer.  The total sparsity is the target exactly.

Not reproduced: the paper's weight restoration and per-layer least-squares refit; magnitude pruning and
fine-tuning stand in for them.

:func:`energy_aware_prune_resim` (``accelsim prune energy-aware``) is accelsim's own rule, not Yang et al.'s:
every move is chosen by re-simulating candidate pruned models on a design that saves energy on zero
weights (SCNN or EIE, each with its default energy table), so the energy it optimizes is the energy that
design reports for the final model.  :class:`ResimEnergy` re-simulates only the layers a candidate can
change (exact: accelsim's layer energies are independent).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch
from torch import nn

from accelsim.errors import AccelsimError, ConfigError
from accelsim.prune.masks import (current_mask, effective_weight, lowest_k_mask, masked_scores,
                                  n_to_prune, prunable_layers, set_mask, total_sparsity)

EnergyFn = Callable[[Any], "Sequence[float] | Mapping[str, float]"]


def accelerator_energy_fn(arch: str = "eyeriss", **kwargs: Any) -> EnergyFn:
    """``energy_fn(trace)`` returning each layer's energy (pJ) on accelsim's model of ``arch``."""
    try:
        from accelsim.accelerators import create
    except ImportError as e:
        raise AccelsimError("energy-aware pruning with accelsim's energy model needs accelsim.accelerators."
                            f"create(), which is not available in this build ({e}); pass energy_fn= "
                            "(e.g. accelsim.prune.energy_aware.dense_macs) instead") from None

    def fn(trace: Any) -> list[float]:
        result = create(arch, **kwargs).simulate(trace)
        return [float(lr.energy_pj) for lr in result.layers]

    return fn


def dense_macs(trace: Any) -> list[float]:
    """A stand-in energy: each layer's dense MAC count (energy proportional to work, no data dependence)."""
    return [float(lt.spec.macs_dense) for lt in trace.layers]


def layer_energy(model: nn.Module, sample_inputs: torch.Tensor, energy_fn: EnergyFn) -> dict[str, float]:
    """Per-layer energy of ``model`` on ``sample_inputs`` according to ``energy_fn``, by layer name."""
    import warnings

    from accelsim.export import export_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trace = export_model(model, sample_inputs, network="energy-aware", outputs=True)
    e = energy_fn(trace)
    if isinstance(e, Mapping):
        return {str(k): float(v) for k, v in e.items()}
    e = list(e)
    if len(e) != len(trace.layers):
        raise ConfigError(f"energy_fn returned {len(e)} values for {len(trace.layers)} layers")
    return {lt.name: float(v) for lt, v in zip(trace.layers, e)}


def energy_aware_prune(model: nn.Module, target: float, sample_inputs: torch.Tensor,
                       energy_fn: EnergyFn | None = None, arch: str = "eyeriss",
                       train_fn: Callable[[nn.Module], Any] | None = None,
                       max_layer_sparsity: float = 0.95, layers: Iterable[str] | None = None,
                       eval_fn: Callable[[nn.Module], float] | None = None) -> list[dict[str, Any]]:
    """Prune ``model`` in place to ``target`` total sparsity, highest-energy layers first.

    Returns one record per layer visited: name, its energy before pruning, the sparsity it got, and the
    accuracy after fine-tuning when ``eval_fn`` is given.
    """
    if energy_fn is None:
        energy_fn = accelerator_energy_fn(arch)
    if not 0.0 < max_layer_sparsity <= 1.0:
        raise ConfigError(f"max_layer_sparsity must be in (0, 1], got {max_layer_sparsity}")
    mods = prunable_layers(model, layers)
    energy = layer_energy(model, sample_inputs, energy_fn)
    missing = [n for n in mods if n not in energy]
    if missing:
        raise ConfigError(f"energy_fn gave no energy for layer(s) {missing}")
    total = sum(m.weight.numel() for m in mods.values())
    budget = n_to_prune(target, total, "energy-aware")
    budget -= sum(int((current_mask(m) == 0).sum()) for m in mods.values())
    caps = {n: int(round(max_layer_sparsity * m.weight.numel())) for n, m in mods.items()}
    order = sorted(mods, key=lambda n: (-energy[n], list(mods).index(n)))
    if budget > sum(caps[n] - int((current_mask(mods[n]) == 0).sum()) for n in order):
        raise ConfigError(f"target {target} exceeds what max_layer_sparsity={max_layer_sparsity} allows")
    history = []
    for n in order:
        if budget <= 0:
            break
        m = mods[n]
        already = int((current_mask(m) == 0).sum())
        k = min(caps[n], already + budget)
        if k > already:
            set_mask(m, lowest_k_mask(masked_scores(m, effective_weight(m).abs()), k))
            budget -= k - already
            if train_fn is not None:
                train_fn(model)
        history.append({"layer": n, "energy": energy[n], "sparsity": k / m.weight.numel(),
                        "total_sparsity": total_sparsity(model, list(mods)),
                        "accuracy": eval_fn(model) if eval_fn else None})
    return history


class ResimEnergy:
    """A model's energy on accelsim's model of ``arch``, re-simulating only what a change can affect.

    Layer energies are independent in accelsim (``Accelerator.simulate`` runs ``simulate_layer`` on each
    layer's own weights, inputs and outputs, with no state carried between layers), so the network's
    energy is the sum of per-layer energies.  Changing layer ``l``'s weights changes layer ``l`` and, via
    its outputs, the inputs of every later layer -- but not the layers before it.  ``total(model, l)``
    therefore exports the candidate, re-simulates layers ``l..L`` and reuses the cached energies of layers
    ``0..l-1``: exact, and on average about half the layers per candidate (``layers_simulated`` counts).
    ``commit()`` makes the last evaluated candidate the cached state.
    """

    def __init__(self, arch: str, sample_inputs: torch.Tensor, energy: str | None = None):
        from accelsim import runner
        self.acc = runner.build(runner.ArchSpec.parse(arch), energy=energy)
        self.sample = sample_inputs
        self.cache: list[float] | None = None
        self.last: list[float] | None = None
        self.layers_simulated = 0

    def per_layer(self, model: nn.Module, start: int = 0) -> list[float]:
        import warnings

        from accelsim.export import export_model
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trace = export_model(model, self.sample, network="energy-aware", outputs=True)
        if start and (self.cache is None or len(self.cache) != len(trace.layers)):
            raise ConfigError("ResimEnergy: re-simulation from a layer needs the full energies cached first")
        names = [lt.name for lt in trace.layers][start:]
        res = self.acc.simulate(trace, layers=names, keep_outputs=False)
        self.layers_simulated += len(names)
        e = [float(lr.energy) for lr in res.layers]
        self.last = (self.cache[:start] if start else []) + e
        return self.last

    def total(self, model: nn.Module, start: int = 0) -> float:
        return float(sum(self.per_layer(model, start)))

    def commit(self) -> None:
        self.cache = self.last


def energy_aware_prune_resim(model: nn.Module, target: float, sample_inputs: torch.Tensor, arch: str = "scnn",
                             step: float = 0.1, max_layer_sparsity: float = 0.97,
                             train_fn: Callable[[nn.Module], Any] | None = None,
                             energy_fn: Callable[[nn.Module], float] | None = None,
                             full_resim: bool = False) -> list[dict[str, Any]]:
    """Prune ``model`` in place to ``target`` total sparsity, guided by re-simulated energy on ``arch``.

    Unlike :func:`energy_aware_prune` (one energy ranking, taken before pruning), every move is chosen by
    simulating candidates: for each layer with room, prune ``step`` of its weights more (lowest
    magnitude), export the candidate model on ``sample_inputs``, simulate it on ``arch`` and measure the
    network's energy.  The move with the largest energy saved per unit of removed weight magnitude
    (a first-order proxy for the accuracy it costs) is kept, the model is fine-tuned with ``train_fn``, and
    the loop repeats until ``target``.  So the energy being optimized is the energy of the design that
    guides it (SCNN or EIE: designs that save energy on zero weights), measured on the real pruned
    model, activations included.  A candidate on layer ``l`` re-simulates layers ``l..L`` only
    (:class:`ResimEnergy`; exact since layer energies are independent); ``full_resim=True`` re-simulates
    every layer (the reference the tests compare with).  ``energy_fn(model)`` replaces the simulation
    (tests).  Returns one record per move: layer, sparsities, energy before and after, layers simulated.
    """
    if not 0.0 < step <= 1.0 or not 0.0 < max_layer_sparsity <= 1.0:
        raise ConfigError(f"step and max_layer_sparsity must be in (0, 1], got {step}, {max_layer_sparsity}")
    if not 0.0 <= target < 1.0:
        raise ConfigError(f"target sparsity must be in [0, 1), got {target}")
    mods = prunable_layers(model)
    index = {n: i for i, n in enumerate(mods)}
    sim = None
    if energy_fn is None:
        sim = ResimEnergy(arch, sample_inputs)

        def energy_fn(m: nn.Module, start: int = 0) -> float:  # noqa: F811 - the simulated default
            return sim.total(m, 0 if full_resim else start)
    else:
        user_fn = energy_fn

        def energy_fn(m: nn.Module, start: int = 0) -> float:  # noqa: F811
            return float(user_fn(m))
    total = sum(m.weight.numel() for m in mods.values())
    budget = n_to_prune(target, total, "energy-aware")
    caps = {n: int(round(max_layer_sparsity * m.weight.numel())) for n, m in mods.items()}
    if budget > sum(caps.values()):
        raise ConfigError(f"target {target} exceeds what max_layer_sparsity={max_layer_sparsity} allows")
    history: list[dict[str, Any]] = []
    e_now = energy_fn(model)
    if sim is not None:
        sim.commit()
    while True:
        pruned = sum(int((current_mask(m) == 0).sum()) for m in mods.values())
        left = budget - pruned
        if left <= 0:
            break
        best = None
        sims_before = sim.layers_simulated if sim else 0
        for n, m in mods.items():
            already = int((current_mask(m) == 0).sum())
            k = min(caps[n], already + max(1, int(round(step * m.weight.numel()))), already + left)
            if k <= already:
                continue
            old = current_mask(m)
            w = effective_weight(m).abs()
            new = lowest_k_mask(masked_scores(m, w), k)
            damage = float((w * (old - new)).sum()) + 1e-12
            set_mask(m, new)
            e = energy_fn(model, index[n])
            set_mask(m, old)
            score = (e_now - e) / damage
            if best is None or score > best[0]:
                best = (score, n, new, e, k)
        if best is None:
            raise ConfigError("energy-aware pruning: no layer has room left below max_layer_sparsity")
        _, n, new, e, k = best
        set_mask(mods[n], new)
        if train_fn is not None:
            train_fn(model)
        # fine-tuning changed every layer (a full simulation, the new cache); without it only layers n..L
        e_after = energy_fn(model, 0 if train_fn is not None else index[n])
        if sim is not None:
            sim.commit()
        history.append({"layer": n, "layer_sparsity": k / mods[n].weight.numel(),
                        "total_sparsity": total_sparsity(model, list(mods)), "energy_before": e_now,
                        "energy_candidate": e, "energy_after_finetune": e_after,
                        "layers_simulated": (sim.layers_simulated - sims_before) if sim else None})
        e_now = e_after
    return history
