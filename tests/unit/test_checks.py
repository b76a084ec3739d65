"""Checks that cannot be switched off: conservation raises under ``python -O``; a missing design or
command module is an error, not a silently shorter list."""
import subprocess
import sys
from pathlib import Path

import pytest

from accelsim.errors import AccelsimError, ConservationError
from accelsim.results import LayerResult, check_conservation

ROOT = Path(__file__).resolve().parents[2]


def test_conservation_violation_raises_an_accelsim_error():
    lr = LayerResult(name="l", arch="x", cycles=1, compute_cycles=1, stall_cycles=0, macs_dense=10,
                     macs_executed=4, macs_gated=3, macs_skipped=2, macs_reused=0)
    with pytest.raises(ConservationError, match="x/l: executed 4 \\+ gated 3 \\+ skipped 2 \\+ reused 0 != dense 10"):
        lr.check_conservation()
    assert issubclass(ConservationError, AccelsimError)
    lr.macs_reused = 1
    lr.check_conservation()   # 4 + 3 + 2 + 1 == 10


def test_conservation_check_survives_python_O():
    code = ("from accelsim.results import check_conservation\n"
            "try:\n    check_conservation('w', 5, 1)\nexcept Exception as e:\n    print(type(e).__name__)\n")
    out = subprocess.run([sys.executable, "-O", "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=60)
    assert out.stdout.strip() == "ConservationError", out.stderr


def test_a_missing_design_module_is_an_error(monkeypatch):
    from accelsim.accelerators import registry
    monkeypatch.setattr(registry, "_MODULES", registry._MODULES + ("no_such_design",))
    with pytest.raises(ModuleNotFoundError, match="no_such_design"):
        registry.available()


def test_a_missing_command_module_is_an_error(monkeypatch):
    from accelsim import cli
    monkeypatch.setattr(cli, "COMMANDS", list(cli.COMMANDS) + ["no_such_cmd"])
    with pytest.raises(ModuleNotFoundError, match="no_such_cmd"):
        cli.build_parser()


def test_check_conservation_passes_when_the_classes_add_up():
    check_conservation("w", 10, 4, gated=3, skipped=2, reused=1)
