"""Near-zero activation pruning: test accuracy vs Cnvlutin's speedup as the threshold grows
(Albericio et al., ISCA 2016, Sec. 6.4 / Fig. 14 style), on real trained networks.

Cnvlutin can skip not only zero inputs but also *near-zero* ones: every conv/fc layer's input activation
with ``|x| < T_layer`` is treated as zero.  This study measures what that costs in accuracy and buys in
speed.

Thresholds
    ``T_layer = t * scale_layer`` with ``scale_layer`` = the largest ``|x|`` the layer receives on a
    *calibration* batch (the first ``calib`` images of the **training** split, never the test images), so
    one relative knob ``t`` (default 0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3) sets a comparable threshold
    in every layer whatever its activation range.  (Cnvlutin searched per-layer thresholds; a relative
    threshold is the simplest reproducible stand-in.)  The absolute per-layer values used are written to
    the CSV as JSON, in the trace's units (float activations as exported).

Accuracy
    The torch model with a forward pre-hook on every Conv2d/Linear that zeroes its input entries with
    ``|x| < T_layer`` (``|x| < 0`` is never true, so ``t = 0`` is the unmodified model), on the full test
    split.

Speedup and energy
    The same hooked model is exported (:func:`accelsim.export.export_model`) on the first ``images`` test
    images, so each layer's trace inputs are what the *thresholded* network computes (zeroing upstream
    changes downstream activations: the trace and the accuracy describe the same network).  The trace is
    simulated on DaDianNao and on Cnvlutin with the same absolute thresholds passed through Cnvlutin's
    ``thresholds`` config (``{layer: T}``; a no-op on inputs the hooks already zeroed, and the record of the
    thresholds in the run's config).  ``speedup`` = DaDianNao time / Cnvlutin time (``latency_total_s``,
    cycles / clock with DRAM waits, as everywhere in accelsim; both run at 606 MHz by default, but a
    variant at another clock stays a time ratio); the raw cycle counts are kept in ``*_cycles``;
    ``energy_ratio`` = Cnvlutin energy / DaDianNao energy (below 1: Cnvlutin spends less).
    ``input_density`` is the fraction of all conv/fc input values (weighted by count, every layer, the
    sampled images) that are non-zero on Cnvlutin's 16-bit datapath and at least the threshold -- what
    Cnvlutin processes (:func:`accelsim.accelerators.dadiannao.input_mask`); ``zeroed`` is the fraction of
    input values that were non-zero but zeroed by a threshold hook in that forward pass.
    The ``*_sim_only`` columns are the other way to measure it: one trace of the *unthresholded* model, the
    thresholds applied by the simulator alone (no propagation to later layers).  Only that variant is
    guaranteed monotone (a larger threshold can never raise its density); with propagation, zeroing an
    input can in principle turn a downstream ReLU output from zero to positive.

Data: scikit-learn's digits (1x28x28 for lenet5/seed1/seed2, rendered 3x32x32 for seed3/seed4): **not
ImageNet, not CIFAR-10**; compare the shape of the curve with Cnvlutin's, not the numbers.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from accelsim import runner
from accelsim.accelerators.dadiannao import input_mask
from accelsim.prune.train import Data, evaluate

Row = dict[str, Any]
DEFAULT_TS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
DEFAULT_NETS = ("lenet5", "seed2")
WORD_BITS = 16  # Cnvlutin/DaDianNao datapath width (their config default)


def compute_layers(model: nn.Module) -> dict[str, nn.Module]:
    """The model's Conv2d/Linear modules by qualified name (the trace's layer names)."""
    return {(n or type(m).__name__.lower()): m for n, m in model.named_modules()
            if isinstance(m, (nn.Conv2d, nn.Linear))}


@torch.no_grad()
def input_scales(model: nn.Module, x: torch.Tensor) -> dict[str, float]:
    """max |input| of every Conv2d/Linear on the batch ``x`` (forward pre-hooks, eval mode)."""
    scales: dict[str, float] = {}
    handles = []
    for name, m in compute_layers(model).items():
        def pre(mod, args, name=name):
            scales[name] = max(scales.get(name, 0.0), float(args[0].detach().abs().max()))
        handles.append(m.register_forward_pre_hook(pre))
    was = model.training
    model.eval()
    try:
        model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was)
    return scales


@contextmanager
def near_zero_hooks(model: nn.Module, thresholds: Mapping[str, float],
                    stats: dict[str, list[int]] | None = None) -> Iterator[None]:
    """Within the block, every named layer's input entries with ``|x| < thresholds[layer]`` are zero.

    ``stats`` (optional) collects per layer ``[values, non-zero before, non-zero after]`` over every forward
    pass run in the block.  A threshold of 0 changes nothing (no value has ``|x| < 0``).
    """
    handles = []
    for name, m in compute_layers(model).items():
        thr = float(thresholds.get(name, 0.0))

        def pre(mod, args, name=name, thr=thr):
            x = args[0]
            y = x.masked_fill(x.abs() < thr, 0.0) if thr > 0 else x
            if stats is not None:
                s = stats.setdefault(name, [0, 0, 0])
                s[0] += x.numel()
                s[1] += int((x != 0).sum())
                s[2] += int((y != 0).sum())
            return (y,) + tuple(args[1:])
        handles.append(m.register_forward_pre_hook(pre))
    try:
        yield
    finally:
        for h in handles:
            h.remove()


def thresholds_for(scales: Mapping[str, float], t: float) -> dict[str, float]:
    """Absolute per-layer thresholds ``t * scale``."""
    return {k: float(t) * float(v) for k, v in scales.items()}


def thresholded_accuracy(model: nn.Module, data: Data, thresholds: Mapping[str, float]) -> float:
    with near_zero_hooks(model, thresholds):
        return evaluate(model, data)


def trace_density(trace, thresholds: Mapping[str, float]) -> tuple[float, dict[str, float]]:
    """(overall, per layer) fraction of input values Cnvlutin processes under ``thresholds``."""
    nz = tot = 0
    per: dict[str, float] = {}
    for lt in trace.layers:
        m = input_mask(lt, WORD_BITS, float(thresholds.get(lt.name, 0.0)))
        per[lt.name] = float(m.mean())
        nz += int(m.sum())
        tot += m.size
    return nz / tot, per


def _sims(trace, thresholds: Mapping[str, float], label: str) -> tuple[Any, Any]:
    dd = runner.simulate(trace, "dadiannao")
    cv = runner.simulate(trace, runner.ArchSpec(label, "cnvlutin", {"thresholds": dict(thresholds)}))
    return dd, cv


def threshold_points(model: nn.Module, data: Data, net: str, ts: Sequence[float] = DEFAULT_TS,
                     images: int = 128, calib: int = 256) -> list[Row]:
    """One row per relative threshold ``t`` for an already trained ``model`` (see the module docstring)."""
    from accelsim.export.exporter import export_model

    model.eval()
    scales = input_scales(model, data.x_train[:calib])
    sample = data.x_test[:images]
    base_trace = export_model(model, sample, network=net, source={"dataset": data.description})
    rows: list[Row] = []
    for t in ts:
        thr = thresholds_for(scales, t)
        label = f"cnvlutin:t={t:g}"
        acc = thresholded_accuracy(model, data, thr)
        stats: dict[str, list[int]] = {}
        with near_zero_hooks(model, thr, stats):
            trace = export_model(model, sample, network=net,
                                 source={"dataset": data.description, "near_zero_thresholds": thr})
        dd, cv = _sims(trace, thr, label)
        density, per_layer = trace_density(trace, thr)
        dd0, cv0 = _sims(base_trace, thr, label)
        density0, _ = trace_density(base_trace, thr)
        vals = sum(s[0] for s in stats.values())
        rows.append({
            "net": net, "t": float(t),
            "thresholds": json.dumps({k: round(v, 6) for k, v in thr.items()}),
            "accuracy": acc,
            "speedup": dd.total.latency_total_s / cv.total.latency_total_s,
            "energy_ratio": cv.total.energy / dd.total.energy,
            "input_density": density,
            "zeroed": sum(s[1] - s[2] for s in stats.values()) / vals,
            "layer_density": json.dumps({k: round(v, 4) for k, v in per_layer.items()}),
            "speedup_sim_only": dd0.total.latency_total_s / cv0.total.latency_total_s,
            "energy_ratio_sim_only": cv0.total.energy / dd0.total.energy,
            "input_density_sim_only": density0,
            "cnvlutin_cycles": int(cv.total.cycles), "dadiannao_cycles": int(dd.total.cycles),
            "images": int(sample.shape[0]), "dataset": data.description,
        })
    return rows


def threshold_study(nets: Sequence[str] | str = DEFAULT_NETS, ts: Sequence[float] = DEFAULT_TS,
                    epochs: int = 12, images: int = 128, seed: int = 0, net: str | None = None) -> list[Row]:
    """Train each net (seeded, :func:`accelsim.prune.nets.trained_net`) and sweep the thresholds."""
    from accelsim.prune.nets import trained_net

    if net is not None:
        nets = [net]
    if isinstance(nets, str):
        nets = [nets]
    rows: list[Row] = []
    for name in nets:
        model, data = trained_net(name, epochs, seed)
        rows += threshold_points(model, data, name, ts, images)
    return rows
