"""A minimal accelerator model, as a template for adding your own design to accelsim.

A dense array of ``pes`` MAC units that runs every MAC (no sparsity support), reads weights and inputs
from DRAM once per layer and writes the outputs once, double-buffered in ``tiles`` chunks.  Registering
it makes it usable everywhere a design name is: ``accelsim simulate``, ``compare``, ``sweep``, ``demo``.

    import examples.dense_array            # registers "dense_array"
    from accelsim import runner
    res = runner.simulate("traces/lenet5_dense.npz", "dense_array:pes=64")

The three steps (see accelsim/accelerators/base.py): ``plan`` (data-independent), ``count`` (what the
data decides; real designs use numba kernels here) and the timeline (the default runs ``counts.tiles``
through one DRAM channel with double buffering).  Energy is always the energy table applied to the counts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.accelerators.base import Accelerator, LayerCounts, ceil_div
from accelsim.accelerators.registry import register
from accelsim.config import doc, require
from accelsim.counts import ActionCounts
from accelsim.timeline import TileWork
from accelsim.trace.format import LayerSpec, LayerTrace


@dataclass(frozen=True)
class DenseArrayConfig:
    pes: int = doc("MAC units working in parallel", unit="MAC units", default=256)
    clock_hz: float = doc("clock in Hz", unit="Hz", default=500e6)
    word_bits: int = doc("bits per value", unit="bits", default=16)
    tiles: int = doc("chunks the layer is split into for double buffering", unit="tiles", default=8)
    dram_bw_bits_per_cycle: float = doc("DRAM bits per cycle", unit="bits/cycle", default=128.0)
    dram_latency_cycles: int = doc("DRAM latency in cycles", unit="cycles", default=50)
    energy_table: str = doc("energy table (needs mac.random, dram.read_bits/write_bits)",
                            default="eyeriss-45nm")

    def __post_init__(self) -> None:
        for f in ("pes", "word_bits", "tiles"):
            require(getattr(self, f) > 0, "DenseArrayConfig", f"{f} must be > 0")
        require(self.dram_bw_bits_per_cycle > 0, "DenseArrayConfig", "dram_bw_bits_per_cycle must be > 0")


@register
class DenseArray(Accelerator[LayerSpec]):  # its plan is the layer shape itself
    name = "dense_array"
    config_cls = DenseArrayConfig
    description = "example: a dense MAC array with no sparsity support (a template for new designs)"
    actions_emitted = (("mac", "random"), ("dram", "read_bits"), ("dram", "write_bits"))

    def peak_macs_per_cycle(self) -> int:
        return self.config.pes

    def plan(self, spec: LayerSpec) -> LayerSpec:
        return spec  # nothing to map: every MAC runs on some PE

    def count(self, plan: LayerSpec, layer: LayerTrace) -> LayerCounts:
        c, s = self.config, plan
        w_bits = int(np.prod(s.weight_shape)) * c.word_bits
        x_bits = int(np.prod(s.input_shape)) * c.word_bits
        y_bits = int(np.prod(s.output_shape)) * c.word_bits
        n = c.tiles
        split = lambda total: np.diff(np.linspace(0, total, n + 1).round().astype(np.int64))  # noqa: E731
        tiles = TileWork(split(w_bits + x_bits), split(ceil_div(s.macs_dense, c.pes)), split(y_bits))
        a = ActionCounts({("mac", "random"): s.macs_dense, ("dram", "read_bits"): w_bits + x_bits,
                          ("dram", "write_bits"): y_bits})
        return LayerCounts(actions=a, macs_dense=s.macs_dense, macs_executed=s.macs_dense,
                           dram_read_bits=w_bits + x_bits, dram_write_bits=y_bits, tiles=tiles)
