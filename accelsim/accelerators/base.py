"""The accelerator interface (DESIGN.md section 4): plan -> count -> timeline -> energy.

A model subclasses :class:`Accelerator` and implements three steps:

* ``plan(spec)``: data-independent mapping, tiling and passes for a layer shape;
* ``count(plan, layer)``: data-dependent work via numba kernels, returned as :class:`LayerCounts`
  (action counts for the energy table, MAC classification, and the per-tile work for the timeline);
* ``timeline(plan, counts, tl)``: a simpy process that turns tiles into cycles (DRAM, buffers, stalls).

``simulate_layer`` is the fixed template; energy is always ``EnergyTable.apply(counts.actions)``.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generator, Generic, Iterable, TypeVar

from accelsim import config as cfgmod
from accelsim.counts import ActionCounts
from accelsim.errors import ConfigError
from accelsim.results import LayerResult, NetworkResult
from accelsim.timeline import Dram, TileWork, Timeline, run_tiles
from accelsim.trace.format import LayerSpec, LayerTrace, Trace


@dataclass
class LayerCounts:
    """What ``count`` returns: everything data-dependent about one layer on one design."""

    actions: ActionCounts
    macs_dense: int
    macs_executed: int
    macs_gated: int = 0
    macs_skipped: int = 0
    macs_reused: int = 0
    dram_read_bits: int = 0
    dram_write_bits: int = 0
    tiles: TileWork | None = None
    extra: dict[str, Any] = field(default_factory=dict)


PlanT = TypeVar("PlanT")


class Accelerator(abc.ABC, Generic[PlanT]):
    """Base class of every design; subclasses are registered by name with ``@register``.

    ``PlanT`` is the design's own plan dataclass (``class MyDesign(Accelerator[MyPlan])``)."""

    name: ClassVar[str] = ""
    config_cls: ClassVar[type] = object
    description: ClassVar[str] = ""

    def __init__(self, config: Any = None, energy: Any = None) -> None:
        if config is None or isinstance(config, (str, dict)) or hasattr(config, "__fspath__"):
            config = cfgmod.load_config(self.config_cls, config)
        if not isinstance(config, self.config_cls):
            raise ConfigError(f"{self.name}: expected a {self.config_cls.__name__}, got {type(config).__name__}")
        self.config = config
        from accelsim.energy import EnergyTable  # local import: keeps module import light
        if energy is None:
            energy = getattr(config, "energy_table", None)
        self.energy = energy if isinstance(energy, EnergyTable) else EnergyTable.load(energy)
        self._check_energy_vocabulary()

    # ---- the three steps a model implements ----------------------------------------------------
    @abc.abstractmethod
    def plan(self, spec: LayerSpec) -> PlanT: ...

    @abc.abstractmethod
    def count(self, plan: PlanT, layer: LayerTrace) -> LayerCounts: ...

    def timeline(self, plan: PlanT, counts: LayerCounts, tl: Timeline) -> Generator:
        """Default: the counted tiles through one DRAM channel with double buffering."""
        c = self.config
        dram = Dram(tl, c.dram_bw_bits_per_cycle, c.dram_latency_cycles)
        work = counts.tiles if counts.tiles is not None else TileWork.single(0, 0, 0)
        stats = yield from run_tiles(tl, dram, work, slots=2,
                                     fill_cycles=self.fill_cycles(plan), name=counts.extra.get("tile_name", "tile"))
        return stats

    def fill_cycles(self, plan: PlanT) -> int:
        return 0

    def peak_macs_per_cycle(self) -> int:
        raise NotImplementedError

    # ---- the template ---------------------------------------------------------------------------
    def simulate_layer(self, layer: LayerTrace, log: bool = False) -> LayerResult:
        plan = self.plan(layer.spec)
        counts = self.count(plan, layer)
        tl = Timeline(log=log)
        stats = tl.run(self.timeline(plan, counts, tl))
        if ("leakage", "cycle") in self.energy.entries:  # static energy: one count per cycle, stalls included
            counts.actions.add("leakage", "cycle", int(stats["cycles"]))
        e = self.energy.apply(counts.actions)
        clock = float(self.config.clock_hz)
        peak = self.peak_macs_per_cycle()
        extra = dict(counts.extra)
        extra.pop("tile_name", None)
        extra["peak_macs_per_cycle"] = peak
        extra["batch"] = layer.spec.N
        extra["dram_busy_cycles"] = stats.get("dram_busy_cycles", 0)
        if log:
            extra["log"] = tl.log
        lr = LayerResult(
            name=layer.name, arch=self.name, cycles=int(stats["cycles"]),
            compute_cycles=int(stats["compute_cycles"]), stall_cycles=int(stats["stall_cycles"]),
            macs_dense=counts.macs_dense, macs_executed=counts.macs_executed, macs_gated=counts.macs_gated,
            macs_skipped=counts.macs_skipped, macs_reused=counts.macs_reused,
            dram_read_bits=counts.dram_read_bits, dram_write_bits=counts.dram_write_bits,
            energy=float(e.total), energy_unit=e.unit, energy_pj=float(e.total) if e.unit == "pJ" else None,
            energy_by_component=dict(e.by_component), energy_by_category=dict(e.by_category),
            utilization=(counts.macs_executed / (stats["compute_cycles"] * peak)) if stats["compute_cycles"] else 0.0,
            clock_hz=clock, latency_processing_s=stats["compute_cycles"] / clock,
            latency_total_s=stats["cycles"] / clock, fps=layer.spec.N * clock / stats["cycles"] if stats["cycles"] else 0.0,
            counts=counts.actions, extra=extra,
            dram_bits_by_tensor={k: int(v) for k, v in extra.pop("dram_bits_by_tensor", {}).items()})
        if lr.dram_bits_by_tensor and sum(lr.dram_bits_by_tensor.values()) != lr.dram_read_bits + lr.dram_write_bits:
            from accelsim.errors import ConservationError
            raise ConservationError(f"{self.name}/{layer.name}: DRAM bits by tensor {lr.dram_bits_by_tensor} do not "
                                    f"add up to {lr.dram_read_bits + lr.dram_write_bits}")
        lr.check_conservation()
        return lr

    def simulate(self, trace: Trace, progress: bool = False, layers: Iterable[str] | None = None,
                 keep_outputs: bool = True) -> NetworkResult:
        """Simulate every layer of ``trace`` in order (layers run one after another).

        Outputs a design computes for a layer (``functional.layer_outputs``) stay on the layer object for
        the next design on the same trace; ``keep_outputs=False`` frees them after each layer (a
        single-design run), so memory stays one layer deep."""
        from accelsim.functional import has_outputs, release_outputs
        from accelsim.progress import progress_iter
        chosen = [trace.layer(n) for n in layers] if layers else trace.layers
        self.check_trace(trace)
        out = []
        for lt in progress_iter(chosen, f"{self.name} {trace.network}", enabled=progress):
            had = has_outputs(lt)
            out.append(self.simulate_layer(lt))
            if not keep_outputs and not had:
                release_outputs(lt)
        return NetworkResult(arch=self.name, network=trace.network, trace=trace.path, layers=out,
                             config=cfgmod.to_dict(self.config), energy_table=self.energy.name,
                             synthetic=trace.synthetic, source=trace.source)

    def check_trace(self, trace: Trace) -> None:
        """Refuse a config that does not fit ``trace`` (e.g. settings for layers it lacks): ConfigError."""

    # ---- helpers ----------------------------------------------------------------------------------
    def _check_energy_vocabulary(self) -> None:
        """Fail early (ConfigError) if the energy table lacks an action this model emits."""
        vocab = getattr(self, "actions_emitted", ())
        missing = [f"{c}.{a}" for c, a in vocab if (c, a) not in self.energy.entries]
        if missing:
            raise ConfigError(f"energy table {self.energy.name!r} lacks action(s) {', '.join(missing)} "
                              f"that {self.name} counts")


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def with_overrides(cfg: Any, overrides: dict[str, Any]) -> Any:
    return cfgmod.from_dict(type(cfg), overrides, base=cfg) if overrides else cfg


__all__ = ["Accelerator", "LayerCounts", "ceil_div", "with_overrides"]
