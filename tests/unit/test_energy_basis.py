"""The shared energy basis (shared-45nm): every design priced by one set of rules from one source."""
import json
import math

import numpy as np
import pytest

from accelsim import runner
from accelsim.accelerators import available, get
from accelsim.cli import main
from accelsim.energy import EnergyTable
from accelsim.energy import shared
from accelsim.trace import LayerSpec, LayerTrace, Trace, save_trace


def test_shipped_table_is_what_the_rules_generate():
    """Unit test (code against its own transcription): the YAML was regenerated after the rules changed."""
    shipped = EnergyTable.load("shared-45nm")
    assert shipped == EnergyTable.from_dict(shared.table_dict())


def test_sram_fit_reproduces_horowitz_points_and_interpolates():
    # Horowitz's 64-bit reads (REFERENCES.md section 6): 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ
    for cap, pj in ((8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0)):
        assert math.isclose(shared.sram_pj_per_bit(cap) * 64, pj, rel_tol=0.03)
    # 16 KB lies halfway in log size between 8 and 32 KB: about the geometric mean of 10 and 20 pJ
    assert math.isclose(shared.sram_pj_per_bit(16 * 1024) * 64, math.sqrt(10 * 20), rel_tol=0.01)
    t = EnergyTable.load("shared-45nm")
    assert math.isclose(t.energy("nbin", "read"), math.sqrt(200) / 4, rel_tol=0.01)  # per 16-bit word


def test_same_mac_register_and_dram_prices_for_every_design():
    t = EnergyTable.load("shared-45nm")
    mac = 3.1 / 4 + 0.1 / 2  # Horowitz 32-bit mult scaled quadratically + add scaled linearly to 16 bits
    assert math.isclose(t.energy("mac", "random"), mac)
    assert math.isclose(t.energy("mult", "random") + t.energy("add", "random"), mac)
    assert t.energy("dram", "read_bits") == 20.0 == 640 / 32
    for comp in ("weight_spad", "ifmap_spad", "psum_spad"):
        assert t.energy(comp, "read") == 0.5  # Horowitz RF 1 pJ per 32 bits, 16-bit word


@pytest.mark.parametrize("design", available())
def test_every_registered_design_accepts_the_shared_table(design):
    acc = get(design)(energy="shared-45nm")
    missing = [f"{c}.{a}" for c, a in getattr(acc, "actions_emitted", ()) if (c, a) not in acc.energy.entries]
    assert not missing, f"add {design}'s components to accelsim/energy/shared.py DESIGNS and regenerate"


def test_a_name_clash_is_refused(monkeypatch):
    other = dict(shared.DESIGNS)
    other["newdesign"] = {"glb": shared.Part("GLB", "storage", shared.RW, "a 1 MB GLB", 1024 * 1024)}
    monkeypatch.setattr(shared, "DESIGNS", other)
    with pytest.raises(ValueError, match="component 'glb' of newdesign differs"):
        shared.table_dict()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    rng = np.random.default_rng(5)
    s = LayerSpec("conv1", "conv", 1, 16, 8, 8, 32, 3, 3, 1, 1)
    x = rng.random(s.input_shape).astype(np.float32)
    x[rng.random(s.input_shape) < 0.5] = 0
    t = Trace("tiny", [LayerTrace(s, rng.standard_normal(s.weight_shape).astype(np.float32), x)], {"synthetic": True})
    return save_trace(t, tmp_path_factory.mktemp("t") / "tiny.npz")


def test_compare_on_the_shared_basis_is_one_command_and_not_flagged(tiny, tmp_path, capsys):
    assert main(["compare", str(tiny), "--arch", "dadiannao,cnvlutin,eyeriss,ucnn", "--baseline", "dadiannao",
                 "--energy-basis", "shared", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "WARNING" not in out and "MIXED" not in out
    rows = json.loads((tmp_path / "compare.json").read_text())["rows"]
    assert {r["energy_basis"] for r in rows} == {"shared-45nm"}


def test_published_tables_mixed_across_families_are_flagged(tiny, capsys):
    assert main(["compare", str(tiny), "--arch", "dadiannao,eyeriss", "--baseline", "dadiannao"]) == 0
    assert "WARNING: eyeriss is priced by 'eyeriss-45nm', dadiannao by 'dadiannao-45nm'" in capsys.readouterr().out


def test_energy_and_shared_basis_together_is_an_error(tiny, capsys):
    assert main(["simulate", str(tiny), "--arch", "eyeriss", "--energy", "eyeriss-45nm",
                 "--energy-basis", "shared"]) == 3
    assert "not both" in capsys.readouterr().err


def test_shared_basis_changes_the_table_not_the_counts(tiny):
    a = runner.simulate(tiny, "eyeriss")
    b = runner.simulate(tiny, "eyeriss", energy="shared-45nm")
    assert a.total.counts == b.total.counts and a.total.cycles == b.total.cycles
    assert b.energy_table == "shared-45nm" and a.energy_table == "eyeriss-45nm"
