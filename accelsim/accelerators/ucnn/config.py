"""UCNN's configuration: every number of the model (see the package docstring for the rules)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from accelsim.config import Flag, doc, require


@dataclass(frozen=True)
class UcnnConfig:
    CLI_FLAGS: ClassVar[tuple[Flag, ...]] = (
        Flag("--group-size", "group_size", "UCNN: filters processed together (1, 2, 4)", type=int, metavar="G"),)
    pe_rows: int = doc("PE array rows (as Eyeriss: 12)", unit="PEs", default=12)
    pe_cols: int = doc("PE array columns (as Eyeriss: 14)", unit="PEs", default=14)
    table_spad_words: int = doc("per-PE indirection-table storage in 16-bit words (Eyeriss's 224-word filter "
                                "spad, reused)", unit="words", default=224)
    glb_fmap_bytes: int = doc("global buffer for ifmaps and psums in bytes (as Eyeriss: 100 kB)", unit="bytes", default=25 * 4096)
    glb_filter_bytes: int = doc("global buffer for indirection tables in bytes (as Eyeriss's filter GLB: 8 kB)",
                                unit="bytes", default=8192)
    word_bits: int = doc("datapath width in bits (16-bit fixed point)", unit="bits", default=16)
    clock_hz: float = doc("core clock in Hz (as Eyeriss: 200 MHz)", unit="Hz", default=200e6)
    dram_bus_bits: int = doc("DRAM data bus width in bits (as Eyeriss: 64)", unit="bits", default=64)
    dram_clock_hz: float = doc("DRAM link clock in Hz (as Eyeriss: 60 MHz)", unit="Hz", default=60e6)
    dram_latency_cycles: int = doc("DRAM latency in core cycles (as Eyeriss: 20, assumption)", unit="cycles", default=20)
    ifmap_gin_words_per_cycle: int = doc("ifmap GIN width in 16-bit words/cycle (as Eyeriss: 1)", unit="words/cycle", default=1)
    filter_gin_words_per_cycle: int = doc("table GIN width in 16-bit words/cycle (as Eyeriss's filter GIN: 4)",
                                          unit="words/cycle", default=4)
    psum_gin_words_per_cycle: int = doc("psum GON width in words/cycle (as Eyeriss: 4)", unit="words/cycle", default=4)
    rlc: bool = doc("RLC-compress fmaps moved to/from DRAM (as the Eyeriss-style baseline)", default=True)
    raw_first_input: bool = doc(
        "the trace's first layer reads the network input uncompressed (as Eyeriss); false: RLC-compress "
        "every layer's input", default=True)
    group_size: int = doc("G: filters processed together with activation group reuse (1, 2 or 4)", unit="filters", default=1)
    channel_tile: int = doc("Ct: input channels per unit (tile = G filters x Ct channels x R x S taps); "
                            "assumption, the paper's value is not known", unit="channels", default=16)
    energy_table: str = doc("energy table name or YAML path (the baseline's)", default="eyeriss-45nm")
    loop_order: str = doc("strips (default: strips outer, tables re-read per image and strip unless they "
                          "fit), tables (table chunks outer, inputs re-streamed; falls back to strips if "
                          "infeasible) or auto (the order with less DRAM traffic, ties: strips -- it can cost "
                          "energy and cycles)", default="strips")

    group_mapping: str = doc("grouped convolutions: spread (PEs a group leaves idle take other groups in the "
                             "same pass, side by side) or serial (one group per pass)", default="spread")

    def __post_init__(self) -> None:
        n = type(self).__name__
        for f in ("pe_rows", "pe_cols", "table_spad_words", "glb_fmap_bytes", "glb_filter_bytes", "word_bits",
                  "dram_bus_bits", "ifmap_gin_words_per_cycle", "filter_gin_words_per_cycle",
                  "psum_gin_words_per_cycle", "channel_tile"):
            require(getattr(self, f) > 0, n, f"{f} must be > 0, got {getattr(self, f)}")
        require(self.group_size in (1, 2, 4), n, f"group_size must be 1, 2 or 4, got {self.group_size}")
        require(self.clock_hz > 0 and self.dram_clock_hz > 0, n, "clock_hz and dram_clock_hz must be > 0")
        require(self.dram_latency_cycles >= 0, n, "dram_latency_cycles must be >= 0")
        require(self.group_mapping in ("spread", "serial"), n,
                f"group_mapping must be spread or serial, got {self.group_mapping!r}")
        require(self.loop_order in ("auto", "strips", "tables"), n,
                f"loop_order must be auto, strips or tables, got {self.loop_order!r}")

    @property
    def dram_bw_bits_per_cycle(self) -> float:
        return self.dram_bus_bits * self.dram_clock_hz / self.clock_hz

    @property
    def pes(self) -> int:
        return self.pe_rows * self.pe_cols


__all__ = ["UcnnConfig"]
