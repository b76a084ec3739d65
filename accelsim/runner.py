"""Running designs on traces: the one code path behind simulate, compare, demo and sweep.

An *arch spec* names a registered design plus optional config overrides, so variants are easy to
compare: ``cnvlutin``, ``cnvlutin:threshold=0.05``, ``eyeriss:rlc=false:gating=false``.  The spec
string is the variant's label in tables and files.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accelsim.accelerators import create, get
from accelsim.config import from_dict, load_config, parse_overrides
from accelsim.errors import ConfigError
from accelsim.results import NetworkResult
from accelsim.trace import Trace, load_trace


@dataclass(frozen=True)
class ArchSpec:
    label: str
    name: str
    overrides: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> "ArchSpec":
        text = text.strip()
        if not text:
            raise ConfigError("empty accelerator name")
        name, *rest = text.split(":")
        get(name)  # unknown names fail here with the list of known ones
        return cls(label=text, name=name, overrides=parse_overrides(rest))


def parse_arch_list(text: str) -> list[ArchSpec]:
    specs = [ArchSpec.parse(t) for t in re.split(r",(?![^:,]*=)", text) if t.strip()] if text else []
    labels = [s.label for s in specs]
    if len(set(labels)) != len(labels):
        raise ConfigError(f"--arch lists a design twice: {text}")
    return specs


def build(spec: ArchSpec, config_file: str | None = None, energy: str | None = None,
          extra_overrides: dict[str, Any] | None = None) -> Any:
    cls = get(spec.name)
    cfg = load_config(cls.config_cls, config_file)
    over = {**(extra_overrides or {}), **spec.overrides}
    if over:
        cfg = from_dict(cls.config_cls, over, where=f"--arch {spec.label}", base=cfg)
    acc = create(spec.name, config=cfg, energy=energy)
    acc.label = spec.label
    return acc


def simulate(trace: Trace | str | Path, spec: ArchSpec | str, config_file: str | None = None,
             energy: str | None = None, extra_overrides: dict[str, Any] | None = None,
             layers: list[str] | None = None, progress: bool = False) -> NetworkResult:
    if isinstance(spec, str):
        spec = ArchSpec.parse(spec)
    acc = build(spec, config_file, energy, extra_overrides)
    if isinstance(trace, Trace):
        # a Trace object may be simulated by more designs: outputs computed for it stay on its layers
        res = acc.simulate(trace, progress=progress, layers=layers)
    else:
        res = simulate_file(acc, trace, layers, progress)
    res.arch = spec.label
    for lr in res.layers:
        lr.arch = spec.label
    return res



def simulate_file(acc: Any, path: str | Path, layers: list[str] | None = None,
                  progress: bool = False) -> NetworkResult:
    """Simulate a trace file one layer at a time: each layer's arrays are read (and validated) from the
    archive when its turn comes and dropped after it, with any outputs computed for it, so memory holds
    one layer rather than the whole trace.  The result equals ``acc.simulate(load_trace(path))``."""
    from accelsim.errors import TraceError
    from accelsim.progress import progress_iter
    from accelsim.trace import read_manifest
    man = read_manifest(path)
    if not all(isinstance(d, dict) and isinstance(d.get("name"), str) for d in man["layers"]):
        raise TraceError(f"{path}: field 'layers' must be a list of layer objects, each with a 'name'")
    names = [d["name"] for d in man["layers"]]
    chosen = list(layers) if layers else names
    unknown = [n for n in chosen if n not in names]
    if unknown:
        raise TraceError(f"{path}: no layer(s) {unknown} in this trace (it has {names})")
    def one(n: str) -> Any:
        t = load_trace(path, layers=[n])
        t.layers[0].network_input = n == names[0]  # the file's order says which layer reads the network input
        return t
    parts = [acc.simulate(one(n), keep_outputs=False)
             for n in progress_iter(chosen, f"{acc.name} {man.get('network', '')}", enabled=progress)]
    if not parts:
        return acc.simulate(load_trace(path, layers=[]))
    res = parts[0]
    res.layers = [lr for p in parts for lr in p.layers]
    return res
