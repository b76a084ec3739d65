"""accelsim: a cycle-level simulator of sparse DNN accelerators driven by the real tensors of pruned networks.

A trace (one ``.npz``: each layer's shape, weights and input activations) runs through a design's model:
plan (mapping) -> count (numba kernels over the real data) -> timeline (simpy: DRAM, double buffering)
-> energy (action counts x a YAML energy table).

Python API (importing accelsim is cheap; each function imports what it needs)::

    import accelsim
    accelsim.designs()                                   # ['cnvlutin', 'dadiannao', 'eyeriss', 'ucnn']
    t = accelsim.load_trace("traces/lenet5_magnitude90.npz")
    r = accelsim.simulate(t, "eyeriss:rlc=false")        # a NetworkResult: .layers, .total
    print(r.total.cycles, r.total.energy, r.total.energy_unit)
    rows = accelsim.compare([t], ["dadiannao", "cnvlutin"], baseline="dadiannao")
    from accelsim.comparison import format_table
    print(format_table(rows, per_layer=False))          # speedup (ratio of times), energy ratio, DRAM

The command line (``accelsim --help``) does the same: ``accelsim designs``, ``accelsim simulate``,
``accelsim compare``, ``accelsim demo``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from accelsim.errors import AccelsimError, ConfigError, ConservationError, FormatError, TraceError

if TYPE_CHECKING:
    from os import PathLike

    from accelsim.results import NetworkResult
    from accelsim.trace.format import Trace

__version__ = "0.1.0"


def load_trace(path: str | PathLike[str]) -> Trace:
    """Load and validate a trace file (``.npz``); a bad file is a :class:`TraceError` naming the file,
    layer and field.  Nothing in the file is ever executed (no pickles)."""
    from accelsim.trace.io import load_trace as _load
    return _load(path)


def designs(name: str | None = None) -> Any:
    """The registered design names (sorted); with ``name``, that design's description: its config keys
    (type, default, unit, doc), command-line shortcuts and the energy actions it counts."""
    from accelsim.accelerators.registry import available, info
    return info(name) if name is not None else available()


def simulate(trace: Trace | str | PathLike[str], arch: str, *, config: str | None = None,
             energy: str | None = None, layers: Sequence[str] | None = None, **overrides: Any) -> NetworkResult:
    """Run design ``arch`` on ``trace`` (a :class:`~accelsim.trace.format.Trace` or a path).

    ``arch`` is a design name with optional overrides, ``"cnvlutin:threshold=0.05"``; ``config`` a YAML file
    or preset name; ``energy`` an energy table name or YAML path; ``layers`` a subset of layer names;
    keyword ``overrides`` set config keys (``simulate(t, "ucnn", group_size=2)``).  Returns a
    :class:`~accelsim.results.NetworkResult` (per-layer :class:`~accelsim.results.LayerResult` and ``.total``)."""
    from accelsim import runner
    return runner.simulate(trace, arch, config_file=config, energy=energy, extra_overrides=overrides or None,
                           layers=list(layers) if layers else None)


def compare(traces: Sequence[Trace | str | PathLike[str]], archs: Sequence[str], baseline: str, *,
            energy: str | None = None) -> list[dict[str, Any]]:
    """Run every design of ``archs`` on every trace and compare each with ``baseline`` (one of ``archs``).

    Returns the compare rows (one per trace, design and layer, plus ``layer == "total"``): ``speedup`` (ratio
    of times), ``energy_ratio``, DRAM bits, MAC classes ... -- what ``accelsim compare`` prints and writes.
    :func:`accelsim.comparison.format_table` prints them; :func:`accelsim.comparison.geomean_rows` summarizes."""
    from accelsim import comparison, runner
    if baseline not in archs:
        raise ConfigError(f"baseline {baseline!r} is not one of the designs {list(archs)}")
    results = []
    for t in traces:
        tr = load_trace(t) if not hasattr(t, "layers") else t
        results += [runner.simulate(tr, a, energy=energy) for a in archs]
    return comparison.compare_rows(results, baseline)


__all__ = ["AccelsimError", "ConfigError", "ConservationError", "FormatError", "TraceError", "__version__",
           "compare", "designs", "load_trace", "simulate"]
