"""Simulation results with named fields: one LayerResult per layer, a NetworkResult per trace.

Vocabulary (DESIGN.md section 4): *gated* work is not done but its cycle is spent; *skipped* work spends
neither; *reused* work is replaced by cheaper work.  For every model
``macs_executed + macs_gated + macs_skipped + macs_reused == macs_dense``.
"""
from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from accelsim.counts import ActionCounts
from accelsim.errors import ConservationError

SCHEMA = "accelsim-results"
SCHEMA_VERSION = 1


@dataclass
class LayerResult:
    name: str
    arch: str
    cycles: int                    # when the layer's last output is written (core clock)
    compute_cycles: int            # cycles the compute array is busy
    stall_cycles: int              # cycles the array waits for data (DRAM / buffers)
    macs_dense: int
    macs_executed: int
    macs_gated: int = 0
    macs_skipped: int = 0
    macs_reused: int = 0
    dram_read_bits: int = 0
    dram_write_bits: int = 0
    energy: float = 0.0            # in energy_unit
    energy_unit: str = "pJ"
    energy_pj: float | None = None  # set when the table is in pJ
    energy_by_component: dict[str, float] = field(default_factory=dict)
    energy_by_category: dict[str, float] = field(default_factory=dict)
    utilization: float = 0.0       # macs_executed / (compute_cycles x peak MACs per cycle)
    clock_hz: float = 0.0
    latency_processing_s: float = 0.0  # compute_cycles / clock_hz (the array's work, no DRAM waits)
    latency_total_s: float = 0.0       # cycles / clock_hz (with DRAM transfers and stalls)
    fps: float = 0.0                   # images (batch N) / latency_total_s
    counts: ActionCounts = field(default_factory=ActionCounts)
    extra: dict[str, Any] = field(default_factory=dict)  # model-specific named numbers
    # DRAM bits per tensor kind: weights, ifmaps, ofmaps, psum_spills (read + written); they add up to
    # dram_read_bits + dram_write_bits.  Empty for a design that does not split its traffic.
    dram_bits_by_tensor: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["counts"] = self.counts.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LayerResult":
        d = dict(d)
        d["counts"] = ActionCounts.from_dict(d.get("counts", {}))
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def check_conservation(self) -> None:
        """Raise ConservationError unless executed + gated + skipped + reused == dense."""
        check_conservation(f"{self.arch}/{self.name}", self.macs_dense, self.macs_executed, self.macs_gated,
                           self.macs_skipped, self.macs_reused)


def check_conservation(where: str, dense: int, executed: int, gated: int = 0, skipped: int = 0,
                       reused: int = 0) -> None:
    """Raise :class:`ConservationError` unless executed + gated + skipped + reused == dense (never an
    ``assert``: ``python -O`` must not turn the check off)."""
    if executed + gated + skipped + reused != dense:
        raise ConservationError(f"{where}: executed {executed} + gated {gated} + skipped {skipped} + reused "
                                f"{reused} != dense {dense}")


SUM_FIELDS = ("cycles", "compute_cycles", "stall_cycles", "macs_dense", "macs_executed", "macs_gated",
              "macs_skipped", "macs_reused", "dram_read_bits", "dram_write_bits", "energy",
              "latency_processing_s", "latency_total_s")


@dataclass
class NetworkResult:
    arch: str
    network: str
    trace: str | None
    layers: list[LayerResult]
    config: dict[str, Any] = field(default_factory=dict)
    energy_table: str = ""
    synthetic: bool = False
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> LayerResult:
        """Layers run one after another: cycles, counts and energy add up."""
        t = LayerResult(name="total", arch=self.arch, cycles=0, compute_cycles=0, stall_cycles=0,
                        macs_dense=0, macs_executed=0)
        for lr in self.layers:
            for f in SUM_FIELDS:
                setattr(t, f, getattr(t, f) + getattr(lr, f))
            t.counts = t.counts + lr.counts
            for k, v in lr.energy_by_component.items():
                t.energy_by_component[k] = t.energy_by_component.get(k, 0.0) + v
            for k, v in lr.energy_by_category.items():
                t.energy_by_category[k] = t.energy_by_category.get(k, 0.0) + v
            for k, v in lr.dram_bits_by_tensor.items():
                t.dram_bits_by_tensor[k] = t.dram_bits_by_tensor.get(k, 0) + v
        if self.layers:
            t.energy_unit = self.layers[0].energy_unit
            t.energy_pj = t.energy if t.energy_unit == "pJ" else None
            t.clock_hz = self.layers[0].clock_hz
            peak = [lr.extra.get("peak_macs_per_cycle", 0) for lr in self.layers]
            if t.compute_cycles and peak[0]:
                t.utilization = t.macs_executed / (t.compute_cycles * peak[0])
            n = self.layers[0].extra.get("batch", 0)
            t.fps = n / t.latency_total_s if n and t.latency_total_s else 0.0
        return t

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "version": SCHEMA_VERSION, "arch": self.arch, "network": self.network,
                "trace": self.trace, "synthetic": self.synthetic, "source": self.source,
                "energy_table": self.energy_table, "config": self.config,
                "layers": [lr.to_dict() for lr in self.layers], "total": self.total.to_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "NetworkResult":
        return cls(arch=d["arch"], network=d["network"], trace=d.get("trace"),
                   layers=[LayerResult.from_dict(x) for x in d["layers"]], config=d.get("config", {}),
                   energy_table=d.get("energy_table", ""), synthetic=d.get("synthetic", False),
                   source=d.get("source", {}))

    def write_json(self, path: str | os.PathLike[str]) -> Path:
        return write_json_atomic(self.to_dict(), path)


CSV_FIELDS = ("arch", "network", "layer", "cycles", "compute_cycles", "stall_cycles", "macs_dense",
              "macs_executed", "macs_gated", "macs_skipped", "macs_reused", "dram_read_bits",
              "dram_write_bits", "energy", "energy_unit", "utilization", "latency_processing_s", "latency_total_s", "fps")


def rows(result: NetworkResult, include_total: bool = True) -> list[dict[str, Any]]:
    out = []
    items = list(result.layers) + ([result.total] if include_total else [])
    for lr in items:
        d = {k: getattr(lr, k) for k in CSV_FIELDS if hasattr(lr, k)}
        d.update(arch=result.arch, network=result.network, layer=lr.name)
        out.append(d)
    return out


def run_file_stem(trace: str | os.PathLike[str] | None, label: str) -> str:
    """A portable file name stem for the run of design ``label`` on ``trace``: only letters, digits, '_',
    '-' and '.', so no colon, '=', space or slash reaches a file system (Windows, macOS, shells).  When
    that changes the text, a short hash of the exact label keeps distinct labels in distinct files; the
    label itself is kept in the JSON (``arch``)."""
    import hashlib
    import re
    text = f"{Path(str(trace)).stem}__{label}" if trace else str(label)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", text.replace("=", "-")).strip("._") or "run"
    if slug != text:
        slug += "__" + hashlib.sha1(text.encode()).hexdigest()[:6]
    return slug


def to_csv(row_dicts: list[dict[str, Any]], fieldnames: list[str] | tuple[str, ...]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(fieldnames), extrasaction="ignore")
    w.writeheader()
    for r in row_dicts:
        w.writerow(r)
    return buf.getvalue()


def write_text_atomic(text: str, path: str | os.PathLike[str]) -> Path:
    from accelsim import atomic
    return atomic.write_text(path, text)


def strict_json(obj: Any, where: str = "", **kw: Any) -> str:
    """JSON text that strict parsers accept: a NaN or infinite number is an error, never ``NaN``/``Infinity``."""
    try:
        return json.dumps(obj, allow_nan=False, default=_json_default, **kw)
    except ValueError as e:
        from accelsim.errors import AccelsimError
        raise AccelsimError(f"{where or 'output'}: a result is NaN or infinite ({e}); "
                            "check the config and energy table values") from None


def write_json_atomic(obj: Any, path: str | os.PathLike[str]) -> Path:
    return write_text_atomic(strict_json(obj, str(path), indent=1) + "\n", path)


def _json_default(o: Any) -> Any:
    import numpy as np
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, ActionCounts):
        return o.to_dict()
    if hasattr(o, "__dataclass_fields__"):
        return asdict(o)
    raise TypeError(f"not JSON-serializable: {type(o).__name__}")
