"""Comparisons a paper can quote: speedup is a ratio of times, the cycle ratio is its own column, and every
row names each side's clock and energy table."""
import csv
import math

import numpy as np
import pytest

from accelsim import runner
from accelsim.cli import main
from accelsim.comparison import compare_rows, geomean_rows
from accelsim.trace import LayerSpec, LayerTrace, Trace, save_trace


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    rng = np.random.default_rng(3)
    s1 = LayerSpec("conv1", "conv", 1, 16, 8, 8, 32, 3, 3, 1, 1)
    s2 = LayerSpec("fc1", "fc", 1, 64, 1, 1, 10, 1, 1)
    layers = []
    for s in (s1, s2):
        x = rng.random(s.input_shape).astype(np.float32)
        x[rng.random(s.input_shape) < 0.5] = 0
        layers.append(LayerTrace(s, rng.standard_normal(s.weight_shape).astype(np.float32), x))
    return save_trace(Trace("tiny", layers, {"synthetic": True}), tmp_path_factory.mktemp("t") / "tiny.npz")


def test_one_family_at_one_clock_speedup_equals_cycle_ratio(tiny):
    res = [runner.simulate(tiny, a) for a in ("dadiannao", "cnvlutin")]
    rows = compare_rows(res, "dadiannao")
    for r in rows:
        assert r["clock_hz"] == r["baseline_clock_hz"] == 606e6
        assert math.isclose(r["speedup"], r["cycle_ratio"], rel_tol=1e-12)
        assert r["energy_basis"] == "dadiannao-45nm"


def test_different_clocks_speedup_is_time_ratio_not_cycle_ratio(tiny):
    """Eyeriss (200 MHz) against DaDianNao (606 MHz): the time ratio is the cycle ratio x 200/606, worked
    from the two runs' own cycles and clocks."""
    dd, ey = runner.simulate(tiny, "dadiannao"), runner.simulate(tiny, "eyeriss")
    rows = {r["arch"]: r for r in compare_rows([dd, ey], "dadiannao") if r["layer"] == "total"}
    r = rows["eyeriss"]
    assert (r["clock_hz"], r["baseline_clock_hz"]) == (200e6, 606e6)
    cyc = dd.total.cycles / ey.total.cycles
    assert math.isclose(r["cycle_ratio"], cyc)
    assert math.isclose(r["speedup"], cyc * 200e6 / 606e6, rel_tol=1e-9)
    assert not math.isclose(r["speedup"], r["cycle_ratio"], rel_tol=0.5)
    assert r["energy_table"] == "eyeriss-45nm" and r["baseline_energy_table"] == "dadiannao-45nm"
    assert r["energy_basis"] == "mixed:eyeriss-45nm|dadiannao-45nm"
    g = {x["arch"]: x for x in geomean_rows(list(rows.values()))}["eyeriss"]
    assert g["energy_basis"].startswith("mixed:") and math.isclose(g["speedup_geomean"], r["speedup"])


def test_a_different_clock_within_one_family_changes_speedup_not_cycles(tiny):
    """Cnvlutin at half DaDianNao's clock: cycle ratio unchanged, time ratio halved (DRAM cycles aside,
    the DRAM bandwidth per core cycle is a config key, so both runs keep the same cycles only if it is
    fixed per cycle, as it is in DaDianNao/Cnvlutin)."""
    a = runner.simulate(tiny, "cnvlutin")
    b = runner.simulate(tiny, "cnvlutin:clock_hz=303000000.0")
    base = runner.simulate(tiny, "dadiannao")
    ra = {r["arch"]: r for r in compare_rows([base, a], "dadiannao") if r["layer"] == "total"}["cnvlutin"]
    rb = {r["arch"]: r for r in compare_rows([base, b], "dadiannao")
          if r["layer"] == "total"}["cnvlutin:clock_hz=303000000.0"]
    assert rb["cycle_ratio"] == ra["cycle_ratio"]
    assert math.isclose(rb["speedup"], ra["speedup"] / 2)


def test_compare_csv_and_terminal_name_clocks_and_tables(tiny, tmp_path, capsys):
    assert main(["compare", str(tiny), "--arch", "dadiannao,eyeriss", "--baseline", "dadiannao",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "cycle ratio" in out and "200 MHz vs 606 MHz" in out
    assert "mixes price tables" in out and "MIXED" in out
    with open(tmp_path / "compare.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for k in ("speedup", "cycle_ratio", "clock_hz", "baseline_clock_hz", "energy_table", "baseline_energy_table",
              "energy_basis"):
        assert k in rows[0]
    ey = [r for r in rows if r["arch"] == "eyeriss"]
    assert all(r["energy_basis"] == "mixed:eyeriss-45nm|dadiannao-45nm" for r in ey)


def test_run_file_names_are_portable_and_the_label_stays_in_the_json(tiny, tmp_path, capsys):
    import json
    import re
    from accelsim.results import run_file_stem
    archs = "cnvlutin,cnvlutin:threshold_rel=0.1,cnvlutin:threshold=0.05"
    assert main(["compare", str(tiny), "--arch", archs, "--baseline", "cnvlutin", "--out", str(tmp_path),
                 "--quiet"]) == 0
    files = sorted((tmp_path / "runs").glob("*.json"))
    assert len(files) == 3
    for f in files:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", f.name), f.name
    assert {json.loads(f.read_text())["arch"] for f in files} == set(archs.split(","))
    # labels that differ only in awkward characters still get distinct files
    assert run_file_stem("a.npz", "x:k=1") != run_file_stem("a.npz", "x_k_1")
    assert run_file_stem("dir/a.npz", "dadiannao") == "a__dadiannao"


def test_weight_widths_are_flagged(tiny):
    """EIE stores 4-bit codebook indices: a comparison against a 16-bit design says so; dense EIE (16-bit
    weights) and SCNN (16-bit) get no such note."""
    from accelsim.comparison import notes
    res = [runner.simulate(tiny, a) for a in ("dadiannao", "eie", "eie:dense=true", "scnn")]
    rows = compare_rows(res, "dadiannao")
    bits = {r["arch"]: (r["weight_bits"], r["baseline_weight_bits"]) for r in rows if r["layer"] == "total"}
    assert bits == {"dadiannao": (16, 16), "eie": (4, 16), "eie:dense=true": (16, 16), "scnn": (16, 16)}
    flagged = [n for n in notes(rows) if "-bit weights" in n]
    assert len(flagged) == 1 and flagged[0].startswith("note: eie stores 4-bit weights, dadiannao 16-bit")
