"""The shared energy basis: one table (``shared-45nm``) that prices every design's actions from the same
sources by the same rules, so energies of designs of different families can be compared.

The published per-design tables (``dadiannao-45nm``, ``eyeriss-45nm``, ...) reproduce each paper's
numbers, but they come from different sources (Horowitz's 45 nm talk vs Accelergy's 45 nm Eyeriss
estimates): a 16-bit MAC costs 0.825 pJ in one and 2.20 pJ in the other, a DRAM bit 20 pJ vs 8 pJ.  A
ratio of energies priced by the two says more about the tables than the designs.  Here every design is
priced by these rules (all numbers from Horowitz, ISSCC 2014, 45 nm, REFERENCES.md section 6):

* **MAC** = one 16-bit integer multiply + one 16-bit add.  Horowitz has no 16-bit integer entries
  (assumption): multiply 3.1 pJ (32 b) x (16/32)^2 = 0.775 pJ, quadratic in width; add 0.1 pJ (32 b) x
  16/32 = 0.05 pJ, linear.  The 8-bit entries agree (0.2 x 4 = 0.8, 0.03 x 2 = 0.06).
* **Registers** (storage of at most :data:`RF_MAX_BYTES`, e.g. Eyeriss's 24-448 B spads): Horowitz's
  register file, 1 pJ per 32-bit access = 1/32 pJ per bit (assumption: linear in the bits accessed).
* **SRAM** (and eDRAM, for which Horowitz has no entry: assumption, priced as an SRAM of the same capacity):
  energy per bit accessed is a power law in capacity, least-squares fitted in log-log space to Horowitz's
  three 64-bit read points (8 KB: 10 pJ, 32 KB: 20 pJ, 1 MB: 100 pJ), divided by 64 bits.  The fit is
  E64(C) = 10.16 pJ x (C / 8 KiB)^0.473 and reproduces the three points within 2%.  Assumptions: the
  energy per bit does not depend on the access width (a 16-bit word costs 16/64 of a 64-bit read); the
  capacity is the whole buffer as the design names it (banking ignored); below 8 KB and above 1 MB the
  fit is extrapolated.
* **DRAM**: 640 pJ per 32 bits = 20 pJ per bit (the low end of Horowitz's 1.3-2.6 nJ per 64 bits).
* **Writes** cost what reads cost (assumption; Horowitz gives reads only).
* **Gated** actions (a MAC or spad read whose operand is zero, Eyeriss) cost 3% of the action: the ratio
  of Sparseloop/Accelergy's gated to ungated MAC, 0.066 / 2.20 (assumption: the same ratio everywhere).
* **NoC** transfer of one 16-bit word = 2 register accesses (Eyeriss ISCA 2016 Table IV's NoC/RF ratio).
* **Leakage** per cycle = 0 (no published figure; set it in a copy of the table).

Adding a design to the family: add an entry to :data:`DESIGNS` listing every component the design's
model counts (``actions_emitted``; a derived design may start from its parent's dict) as a :class:`Part` (what it is, its capacity and the bits one action
moves), then regenerate the table with ``python -m accelsim.energy.shared`` (it rewrites
``tables/shared-45nm.yaml``).  A component name another design already uses must describe the same
structure, or the generator refuses it: give yours its own name.  ``tests/unit/test_energy_basis.py``
checks that every registered design accepts the table and that the shipped YAML is what the rules give.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NAME = "shared-45nm"
WORD_BITS = 16
KiB = 1024
MiB = 1024 * 1024

# Horowitz ISSCC 2014, 45 nm (Han et al. 2015 Fig. 1 and the talk's lower-precision entries, REFERENCES.md §6)
H_MULT32_PJ = 3.1
H_ADD32_PJ = 0.1
H_RF32_PJ = 1.0
H_DRAM32_PJ = 640.0
H_SRAM64_POINTS = ((8 * KiB, 10.0), (32 * KiB, 20.0), (1 * MiB, 100.0))  # (capacity bytes, pJ per 64-bit read)
GATED_FRACTION = 0.066 / 2.20   # Sparseloop/Accelergy 45 nm: gated MAC / MAC
NOC_PER_RF = 2.0                # Eyeriss ISCA 2016 Table IV: NoC 2x RF
RF_MAX_BYTES = 1 * KiB          # assumption: storage this small is a register file


def _fit() -> tuple[float, float]:
    xs = [math.log(c) for c, _ in H_SRAM64_POINTS]
    ys = [math.log(e) for _, e in H_SRAM64_POINTS]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return math.exp(my - b * mx), b


SRAM_FIT_A, SRAM_FIT_B = _fit()


def sram_pj_per_bit(capacity_bytes: float) -> float:
    """Energy of one bit read from an SRAM of ``capacity_bytes`` (the Horowitz fit, / 64 bits)."""
    return SRAM_FIT_A * capacity_bytes ** SRAM_FIT_B / 64.0


def rf_pj_per_bit() -> float:
    return H_RF32_PJ / 32.0


def mult_pj(bits: int = WORD_BITS) -> float:
    return H_MULT32_PJ * (bits / 32) ** 2


def add_pj(bits: int = WORD_BITS) -> float:
    return H_ADD32_PJ * bits / 32


def dram_pj_per_bit() -> float:
    return H_DRAM32_PJ / 32.0


@dataclass(frozen=True)
class Part:
    """One component: ``kind`` is mult, add, mac, storage, noc, dram, static or none (a skipped MAC);
    ``capacity_bytes`` is the storage's size (storage only); ``bits`` the bits one action moves;
    ``actions`` maps action -> multiplier of the base price (1 = the action, GATED_FRACTION = gated,
    0 = free); ``what`` says what it is in the design."""

    category: str
    kind: str
    actions: tuple[tuple[str, float], ...]
    what: str
    capacity_bytes: int = 0
    bits: int = WORD_BITS
    edram: bool = False

    def base(self) -> tuple[float, str]:
        """(pJ per action, how it was derived)."""
        k = self.kind
        if k == "mult":
            return mult_pj(self.bits), f"16-bit multiply: {H_MULT32_PJ} pJ (32 b) x (16/32)^2 (assumption: quadratic)"
        if k == "add":
            return add_pj(self.bits), f"16-bit add: {H_ADD32_PJ} pJ (32 b) x 16/32 (assumption: linear)"
        if k == "mac":
            return mult_pj() + add_pj(), (f"16-bit MAC = multiply {mult_pj():.4g} + add {add_pj():.4g} pJ "
                                          "(Horowitz 32-bit entries scaled to 16 bits: assumption)")
        if k == "storage":
            if self.capacity_bytes <= RF_MAX_BYTES:
                return rf_pj_per_bit() * self.bits, (
                    f"{_size(self.capacity_bytes)} register file: Horowitz RF {H_RF32_PJ} pJ per 32 b x "
                    f"{self.bits}/32 bits (assumption: storage <= {_size(RF_MAX_BYTES)} is an RF)")
            tech = "eDRAM priced as an SRAM of that size (assumption: no eDRAM figure), " if self.edram else ""
            return sram_pj_per_bit(self.capacity_bytes) * self.bits, (
                f"{_size(self.capacity_bytes)} {tech}SRAM fit {SRAM_FIT_A:.4g} x C^{SRAM_FIT_B:.4f} (C in bytes) pJ per "
                f"64-bit read (Horowitz 8 KB/32 KB/1 MB points) x {self.bits}/64 bits")
        if k == "noc":
            return NOC_PER_RF * rf_pj_per_bit() * self.bits, (
                f"{NOC_PER_RF:g} x a {self.bits}-bit register access (Eyeriss ISCA 2016 Table IV: NoC = 2 RF)")
        if k == "dram":
            return dram_pj_per_bit(), f"Horowitz DRAM {H_DRAM32_PJ:g} pJ per 32 bits = 20 pJ per bit"
        if k in ("static", "none"):
            return 0.0, ("static energy per cycle: no published figure, 0 (set your own in a copy)"
                         if k == "static" else "not done at all")
        raise ValueError(f"unknown kind {k!r}")


def _size(b: int) -> str:
    return f"{b / MiB:g} MB" if b >= MiB else f"{b / KiB:g} kB" if b >= KiB else f"{b} B"


RW = (("read", 1.0), ("write", 1.0))
MAC = Part("ALU", "mac", (("random", 1.0), ("gated", GATED_FRACTION), ("skipped", 0.0)),
           "one 16-bit MAC (gated: operand zero, Eyeriss; skipped: not done, Cnvlutin)")
MULT = Part("ALU", "mult", (("random", 1.0),), "one 16-bit multiply")
ADD = Part("ALU", "add", (("random", 1.0),), "one 16-bit add (adder tree, accumulation)")
DRAM = Part("DRAM", "dram", (("read_bits", 1.0), ("write_bits", 1.0)), "off-chip DRAM, per bit", bits=1)
LEAK = Part("Static", "static", (("cycle", 0.0),), "static energy per core cycle")

# Each design's components, with the capacities of its default config.  Shared names must mean one thing.
_DADN: dict[str, Part] = {
    "mult": MULT, "add": ADD, "mac": MAC, "dram": DRAM, "leakage": LEAK,
    "nbin": Part("SRAM", "storage", RW, "NBin, 16 kB SRAM per tile (MICRO 2014)", 16 * KiB),
    "nbout": Part("SRAM", "storage", RW, "NBout, 16 kB SRAM per tile (MICRO 2014)", 16 * KiB),
    "sb": Part("eDRAM", "storage", (("read", 1.0),), "synapse buffer, 2 MB eDRAM per tile (MICRO 2014)",
               2 * MiB, edram=True),
    "central_edram": Part("eDRAM", "storage", RW, "central neuron memory, 4 MB eDRAM (MICRO 2014)", 4 * MiB,
                          edram=True),
}
_SPADS: dict[str, Part] = {
    "mac": MAC, "add": ADD, "dram": DRAM, "leakage": LEAK,
    "weight_spad": Part("RF", "storage", (("read", 1.0), ("write", 1.0), ("gated_read", GATED_FRACTION)),
                        "filter spad, 224 x 16 b per PE (JSSC V-C)", 448),
    "ifmap_spad": Part("RF", "storage", RW, "ifmap spad, 12 x 16 b per PE (JSSC V-C)", 24),
    "psum_spad": Part("RF", "storage", RW, "psum spad, 24 x 16 b per PE (JSSC V-C)", 48),
    "noc": Part("NoC", "noc", (("transfer", 1.0),), "one 16-bit word over the GIN/GON/local links"),
    "glb": Part("GLB", "storage", RW, "global buffer, 108 kB SRAM (JSSC V-A: 100 kB fmaps + 8 kB filters)",
                108 * KiB),
}
DESIGNS: dict[str, dict[str, Part]] = {
    "dadiannao": _DADN,
    "cnvlutin": {
        **_DADN,
        "offset": Part("SRAM", "storage", RW, "4-bit ZFNAf offsets beside the neurons in the 16 kB NBin-class SRAM",
                       16 * KiB, bits=4),
        "dispatcher": Part("Dispatch", "storage", (("select", 1.0),),
                           "dispatcher picks one brick entry: one 16-bit register access (assumption)", 64),
    },
    "eyeriss": {
        **_SPADS,
        "zero_buffer": Part("RF", "storage", (("read", 1.0),), "one flag of the 12-entry zero buffer", 2, bits=1),
    },
    "ucnn": {
        **{k: v for k, v in _SPADS.items() if k != "mac"}, "mult": MULT,
        "indirection": Part("RF", "storage", (("read", 1.0),),
                            "indirection-table entry in the PE's 224-word table spad (read as a 16-bit word)", 448),
    },
    # EIE (Han et al., ISCA 2016 Sec. V): per PE 128 KB sparse-matrix SRAM (8-bit entries), 32 KB pointer
    # SRAM (16-bit pointers), a 16 x 16-bit codebook, 64-entry source/destination activation registers
    "eie": {
        "mult": MULT, "add": ADD, "mac": MAC, "dram": DRAM, "leakage": LEAK,
        "ptr": Part("SRAM", "storage", (("read", 2.0),),
                    "column pointers p_j and p_j+1 (two 16-bit reads), 32 KB pointer SRAM per PE", 32 * KiB),
        "spmat": Part("SRAM", "storage", (("read", 1.0),),
                      "one 8-bit (v, z) entry from the 128 KB sparse-matrix SRAM per PE", 128 * KiB, bits=8),
        "codebook": Part("RF", "storage", (("read", 1.0),), "16-entry x 16-bit shared-weight codebook", 32),
        "act_rw": Part("RF", "storage", (("access", 2.0),),
                       "destination activation register read + write (64 x 16 b per PE)", 128),
        "act_queue": Part("RF", "storage", (("push", 1.0),), "activation queue entry (8 x 16 b + index)", 24),
        "lnzd": Part("NoC", "noc", (("broadcast", 1.0),), "one non-zero activation broadcast to the PEs"),
    },
    # SCNN (Parashar et al., ISCA 2017 Table 3 as recalled: IARAM/OARAM 10 KB each per PE, weight FIFO,
    # 32 x 32-entry accumulator banks) and its dense baselines DCNN / DCNN-opt
    "scnn": {
        "mult": MULT, "mac": MAC, "dram": DRAM, "leakage": LEAK,
        "weight_fifo": Part("RF", "storage", (("read", 1.0),), "weight FIFO entry (50 x 16 b per PE)", 100),
        "iaram": Part("SRAM", "storage", (("read", 1.0),), "input activation RAM, 10 KB per PE", 10 * KiB),
        "oaram": Part("SRAM", "storage", (("write", 1.0),), "output activation RAM, 10 KB per PE", 10 * KiB),
        "accumulator": Part("SRAM", "storage", (("update", 2.0),),
                            "accumulator bank read + write of a 24-bit partial sum (6 KB per PE)", 6 * KiB, bits=24),
        "xbar": Part("NoC", "noc", (("transfer", 1.0),), "one product through the scatter crossbar"),
        "halo": Part("NoC", "noc", (("transfer", 1.0),), "one halo partial sum to a neighbouring PE"),
    },
}


def components() -> dict[str, tuple[Part, list[str]]]:
    """Every component of the family with the designs that use it; a clash raises ValueError."""
    out: dict[str, tuple[Part, list[str]]] = {}
    for design, parts in DESIGNS.items():
        for name, part in parts.items():
            if name in out and out[name][0] != part:
                raise ValueError(f"shared energy family: component {name!r} of {design} differs from the one "
                                 f"of {', '.join(out[name][1])}; give it its own name")
            out.setdefault(name, (part, []))[1].append(design)
    return out


def table_dict() -> dict[str, Any]:
    """The ``shared-45nm`` table in the YAML layout of :mod:`accelsim.energy.table`."""
    comps: dict[str, Any] = {}
    for name, (part, users) in components().items():
        base, how = part.base()
        acts = {a: round(base * f, 6) for a, f in part.actions}
        srcs = {}
        for a, f in part.actions:
            if f == 1.0:
                srcs[a] = how + ("" if a in ("read", "random", "transfer", "select", "read_bits") or part.kind in
                                 ("static",) else "; assumption: costs the same as a read")
            elif f == 2.0:
                srcs[a] = f"two accesses (assumption: read + write, or two reads): 2 x ({how})"
            elif f == 0.0:
                srcs[a] = "not done at all: 0" if part.kind != "static" else how
            else:
                srcs[a] = f"{f:.3g} x the action ({how}); gated/ungated ratio of Sparseloop's MAC 0.066/2.20 (assumption)"
        comps[name] = {"category": part.category, "actions": acts, "sources": srcs,
                       "note": f"{part.what}; used by {', '.join(users)}"}
    return {"name": NAME, "unit": "pJ",
            "source": ("Horowitz, ISSCC 2014, 45 nm (REFERENCES.md section 6), one set of rules for every design: "
                       "16-bit MAC = scaled multiply + add; register file 1 pJ/32 b; SRAM per bit from a power-law "
                       "fit to the 8 KB/32 KB/1 MB 64-bit read points; DRAM 20 pJ/bit. See accelsim/energy/shared.py."),
            "notes": ("The shared basis for comparing designs of different families (DaDianNao/Cnvlutin vs "
                      "Eyeriss/UCNN). Generated by `python -m accelsim.energy.shared`; do not edit by hand. "
                      "Absolute joules are estimates; ratios between designs priced here are on one basis."),
            "components": comps}


def yaml_text() -> str:
    import yaml
    head = ("# GENERATED by `python -m accelsim.energy.shared` from the rules in accelsim/energy/shared.py.\n"
            "# The shared energy basis: every design's actions priced from the same sources by the same rules.\n")
    return head + yaml.safe_dump(table_dict(), sort_keys=False, width=110)


SHIPPED_PATH = Path(__file__).parent / "tables" / f"{NAME}.yaml"

if __name__ == "__main__":  # pragma: no cover - regenerates the shipped table
    SHIPPED_PATH.write_text(yaml_text())
    print(f"wrote {SHIPPED_PATH}")
