"""Options and printing shared by the simulate and compare commands."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from accelsim.errors import ConfigError
from accelsim.results import NetworkResult


def int_at_least(lo: int) -> Any:
    """An argparse type: an integer >= ``lo`` (anything else is a usage error, exit 2)."""
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer >= {lo}, got {text!r}") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"expected an integer >= {lo}, got {v}")
        return v
    parse.__name__ = f"integer >= {lo}"
    return parse


def add_model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("design options (each maps to a config key; error if the design lacks it)")
    g.add_argument("--config", metavar="FILE",
                   help="YAML config for the design (a preset name such as 'cnvlutin' also works); "
                        "unknown keys are an error")
    g.add_argument("--energy", metavar="TABLE",
                   help="energy table: a shipped name (e.g. dadiannao-45nm, eyeriss-normalized) or a YAML path")
    add_energy_basis_option(g)
    g.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one config key (repeatable), e.g. --set dram_bw_bits_per_cycle=128")
    for f in design_flags():   # each design's own shortcuts (CLI_FLAGS next to its config)
        if f.value is None:
            g.add_argument(f.flag, dest=f.dest, type=f.type, metavar=f.metavar, help=f.help)
        else:
            g.add_argument(f.flag, dest=f.dest, action="store_const", const=f.value, help=f.help)
    p.add_argument("--layers", metavar="A,B", help="simulate only these layers (comma-separated names)")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no table")


def add_energy_basis_option(g: Any) -> None:
    g.add_argument("--energy-basis", choices=("published", "shared"), default="published",
                   help="published (default): each design priced by its own paper's table (reproduces each "
                        "paper; energies of designs of different families are then not comparable); shared: "
                        "every design priced by the shared-45nm table (one source, one set of rules), the "
                        "basis for comparing energies across design families")


def energy_from_args(args: argparse.Namespace) -> str | None:
    """The energy table the options ask for: --energy TABLE, or shared-45nm for --energy-basis shared."""
    if getattr(args, "energy_basis", "published") == "shared":
        if args.energy:
            raise ConfigError("give either --energy TABLE or --energy-basis shared, not both")
        from accelsim.energy.shared import NAME
        return NAME
    return args.energy


def design_flags() -> list[Any]:
    """Every registered design's command-line shortcuts (accelsim.config.Flag), each flag once: two designs
    may share a flag only if it sets the same key the same way."""
    from accelsim.accelerators.registry import available, get
    from accelsim.config import cli_flags
    seen: dict[str, Any] = {}
    for name in available():
        for f in cli_flags(get(name).config_cls):
            old = seen.setdefault(f.flag, f)
            if (old.key, old.value, old.type) != (f.key, f.value, f.type):
                raise ConfigError(f"designs declare {f.flag} differently ({old.key} vs {f.key})")
    return list(seen.values())


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Config overrides from --set KEY=VALUE and the designs' shortcuts (a shortcut wins over --set)."""
    from accelsim.config import parse_overrides
    over = parse_overrides(args.set)
    for f in design_flags():
        v = getattr(args, f.dest, None)
        if v is not None:
            over[f.key] = v
    return over


def layer_list(args: argparse.Namespace) -> list[str] | None:
    if args.layers is None:
        return None
    names = [x.strip() for x in args.layers.split(",") if x.strip()]
    if not names:
        raise ConfigError(f"--layers {args.layers!r}: expected comma-separated layer names")
    return names


def _si(x: float) -> str:
    for unit, f in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= f:
            return f"{x / f:.2f}{unit}"
    return f"{x:.0f}"


def print_breakdown(res: NetworkResult, out=None) -> None:
    """Energy by component category (ALU, RF, NoC, GLB, SRAM, eDRAM, DRAM, ...) per layer, in percent."""
    out = out or sys.stdout
    layers = res.layers + [res.total]
    cats = sorted({c for lr in layers for c, v in lr.energy_by_category.items() if v})
    unit = layers[0].energy_unit
    print(f"energy by component ({unit}, and % of the layer's total)", file=out)
    print(f"{'layer':<12} " + " ".join(f"{c:>16}" for c in cats), file=out)
    for lr in layers:
        tot = lr.energy or 1.0
        cells = [f"{lr.energy_by_category.get(c, 0.0):>9.3g} {100 * lr.energy_by_category.get(c, 0.0) / tot:>5.1f}%"
                 for c in cats]
        print(f"{lr.name[:12]:<12} " + " ".join(f"{x:>16}" for x in cells), file=out)
    kinds = ("weights", "ifmaps", "ofmaps", "psum_spills")
    if any(lr.dram_bits_by_tensor for lr in layers):
        print("DRAM traffic by tensor (MB, and % of the layer's DRAM bits)", file=out)
        print(f"{'layer':<12} " + " ".join(f"{k:>16}" for k in kinds), file=out)
        for lr in layers:
            b = lr.dram_bits_by_tensor
            tot = sum(b.values()) or 1
            cells = [f"{b.get(k, 0) / 8e6:>9.3f} {100 * b.get(k, 0) / tot:>5.1f}%" for k in kinds]
            print(f"{lr.name[:12]:<12} " + " ".join(f"{x:>16}" for x in cells), file=out)


def print_result_table(res: NetworkResult, out=None) -> None:
    out = out or sys.stdout
    unit = res.layers[0].energy_unit if res.layers else "pJ"
    eu = "uJ" if unit == "pJ" else unit
    scale = 1e-6 if unit == "pJ" else 1.0
    hdr = (f"{'layer':<12} {'cycles':>10} {'stall':>9} {'MACs dense':>11} {'executed':>10} {'gated':>9} "
           f"{'skipped':>9} {'util':>5} {'DRAM rd':>9} {'DRAM wr':>9} {'energy ' + eu:>13}")
    tag = " [SYNTHETIC trace]" if res.synthetic else ""
    print(f"{res.arch} on {res.network}{tag}", file=out)
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    for lr in res.layers + [res.total]:
        if lr.name == "total":
            print("-" * len(hdr), file=out)
        print(f"{lr.name[:12]:<12} {lr.cycles:>10} {lr.stall_cycles:>9} {_si(lr.macs_dense):>11} "
              f"{_si(lr.macs_executed):>10} {_si(lr.macs_gated):>9} {_si(lr.macs_skipped):>9} "
              f"{lr.utilization:>5.2f} {_si(lr.dram_read_bits / 8) + 'B':>9} "
              f"{_si(lr.dram_write_bits / 8) + 'B':>9} {lr.energy * scale:>13.2f}", file=out)
    t = res.total
    print(f"latency {t.latency_total_s * 1e3:.3f} ms with DRAM ({t.latency_processing_s * 1e3:.3f} ms processing) "
          f"at {t.clock_hz / 1e6:.0f} MHz; {t.fps:.2f} frames/s; energy priced by table {res.energy_table!r}",
          file=out)
