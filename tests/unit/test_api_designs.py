"""The public API (accelsim.simulate/compare/load_trace/designs), `accelsim designs`, the designs' own
command-line shortcuts, and progress output off a terminal."""
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import accelsim
from accelsim.cli import main
from accelsim.trace import LayerSpec, LayerTrace, Trace, save_trace

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def small_trace(tmp_path):
    rng = np.random.default_rng(0)
    spec = LayerSpec("conv1", "conv", 1, 4, 8, 8, 8, 3, 3, 1, 1, 1)
    x = np.maximum(rng.standard_normal(spec.input_shape), 0).astype(np.float32)
    w = rng.standard_normal(spec.weight_shape).astype(np.float32)
    return save_trace(Trace("tiny", [LayerTrace(spec, w, x)]), tmp_path / "tiny.npz")


def test_import_accelsim_is_cheap():
    code = "import sys, accelsim; print(sorted(m for m in sys.modules if m.startswith(('numpy', 'numba', 'simpy'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_help_shows_the_api_with_an_example():
    doc = accelsim.__doc__
    for name in ("simulate", "compare", "load_trace", "designs"):
        assert f"accelsim.{name}(" in doc and getattr(accelsim, name).__doc__
    assert {"cnvlutin", "dadiannao", "eyeriss", "ucnn"} <= set(accelsim.designs())   # + any user design imported


def test_api_simulate_equals_the_cli(small_trace, tmp_path):
    r = accelsim.simulate(accelsim.load_trace(small_trace), "ucnn", group_size=2)
    js = tmp_path / "r.json"
    assert main(["simulate", str(small_trace), "--arch", "ucnn", "--group-size", "2", "--json", str(js),
                 "--quiet"]) == 0
    d = json.loads(js.read_text())
    assert r.config["group_size"] == 2 == d["config"]["group_size"]
    assert r.total.cycles == d["total"]["cycles"] and r.total.energy == pytest.approx(d["total"]["energy"])


def test_api_compare_rows(small_trace):
    rows = accelsim.compare([small_trace], ["dadiannao", "cnvlutin"], baseline="dadiannao")
    tot = {r["arch"]: r for r in rows if r["layer"] == "total"}
    assert tot["dadiannao"]["speedup"] == 1.0 and tot["cnvlutin"]["speedup"] > 1.0  # ReLU'd inputs: zeros skipped
    with pytest.raises(accelsim.ConfigError, match="baseline"):
        accelsim.compare([small_trace], ["cnvlutin"], baseline="dadiannao")


def test_every_config_key_is_documented_with_a_unit_where_it_is_a_number():
    for name in accelsim.designs():
        d = accelsim.designs(name)
        assert d["description"] and d["energy_actions"]
        for k in d["config"]:
            assert k["doc"], (name, k["key"])
            if k["type"] in ("int", "float") or k["key"] == "thresholds":
                assert k["unit"], (name, k["key"])


def test_designs_command_text_and_json(capsys):
    assert main(["designs"]) == 0
    out = capsys.readouterr().out
    assert all(n in out for n in ("cnvlutin", "dadiannao", "eyeriss", "ucnn"))
    assert main(["designs", "eyeriss", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    keys = {k["key"]: k for k in d["config"]}
    assert keys["clock_hz"]["unit"] == "Hz" and keys["clock_hz"]["default"] == 200e6
    assert {f["flag"] for f in d["cli_flags"]} == {"--no-rlc", "--no-gating"}
    assert "mac.random" in d["energy_actions"] and "dram.read_bits" in d["energy_actions"]
    assert main(["designs", "eyeriss"]) == 0
    assert "glb_fmap_bytes (int [bytes]) = 102400" in capsys.readouterr().out
    assert main(["designs", "nope"]) == 3


def test_design_shortcuts_come_from_the_registry():
    from accelsim.commands._common import design_flags
    flags = {f.flag: f for f in design_flags()}
    assert set(flags) == {"--threshold", "--no-rlc", "--no-gating", "--group-size"}
    assert flags["--no-rlc"].key == "rlc" and flags["--no-rlc"].value is False
    src = (ROOT / "accelsim" / "commands" / "_common.py").read_text()
    assert "--no-rlc" not in src and "group_size" not in src      # no design-specific code in the CLI


def test_progress_off_a_terminal_is_one_plain_line_per_step(monkeypatch):
    from accelsim.progress import progress_iter
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    assert list(progress_iter([1, 2, 3], "job")) == [1, 2, 3]
    lines = err.getvalue().splitlines()
    assert "\r" not in err.getvalue() and len(lines) == 3 and lines[-1].startswith("job: 3/3")


def test_demo_quiet_still_says_where_results_went(tmp_path, capsys, small_trace):
    out = tmp_path / "o"
    assert main(["demo", "--out", str(out), "--traces", str(small_trace.parent), "--no-synthetic", "--arch",
                 "dadiannao,cnvlutin", "--studies", str(tmp_path / "none"), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert f"results in {out}" in captured.out and len(captured.out.strip().splitlines()) == 1
    assert "no saved pruning studies" in captured.err
