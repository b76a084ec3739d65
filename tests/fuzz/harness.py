"""Running one fuzz case through the command line and judging its outcome.

A case is an argv list for ``accelsim`` plus what a correct run must do:

* ``reject``: the input is invalid, so the run must end with exit 2 (usage) or 3 (bad input);
* ``any``: the input may be valid (a random mutation); exit 0, 2 or 3 are all fine.

Either way stderr must be exactly one line and never a traceback, and nothing may hang.  Cases run
in-process through :func:`accelsim.cli.main` (fast); :func:`run_subprocess` runs one in a fresh
interpreter with a timeout, for hangs and for what only a real process shows (warnings, exit codes).
"""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Case:
    category: str
    name: str
    argv: list[str]
    expect: str = "reject"            # "reject" (exit 2 or 3) or "any" (0, 2 or 3)
    files_kept: list[Path] = field(default_factory=list)   # files that must be unchanged afterwards
    subprocess: bool = False


@dataclass
class Outcome:
    code: int | None
    stdout: str
    stderr: str
    crashed: str = ""                 # a Python exception that escaped main(), with its traceback

    def problems(self, case: Case) -> list[str]:
        out = []
        if self.crashed:
            out.append(f"exception escaped: {self.crashed.strip().splitlines()[-1]}")
        if self.code is None:
            out.append("hang (timeout)")
            return out
        if "Traceback (most recent call last)" in self.stderr:
            out.append("traceback on stderr")
        lines = [ln for ln in self.stderr.splitlines() if ln.strip()]
        allowed = {2, 3} if case.expect == "reject" else {0, 2, 3}
        if self.code not in allowed:
            out.append(f"exit {self.code} (wanted {sorted(allowed)})")
        if self.code != 0 and len(lines) != 1:
            out.append(f"{len(lines)} stderr lines")
        if self.code == 0 and any(not ln.startswith("accelsim: warning: ") for ln in lines):
            out.append("exit 0 but stderr has lines that are not warnings")
        return out


def run_inprocess(argv: list[str]) -> Outcome:
    from accelsim.cli import main
    out, err = io.StringIO(), io.StringIO()
    code: int | None
    crashed = ""
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:  # noqa: BLE001 - a fuzz case must never let one through
            code = 1
            crashed = traceback.format_exc()
    return Outcome(code, out.getvalue(), err.getvalue(), crashed)


def run_subprocess(argv: list[str], timeout: float = 60.0, cwd: str | None = None) -> Outcome:
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    try:
        p = subprocess.run([sys.executable, "-m", "accelsim", *argv], capture_output=True, text=True,
                           timeout=timeout, env=env, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        return Outcome(None, str(e.stdout or ""), str(e.stderr or ""))
    return Outcome(p.returncode, p.stdout, p.stderr)


def run_case(case: Case, timeout: float = 60.0) -> tuple[Outcome, list[str]]:
    before = {p: p.read_bytes() for p in case.files_kept if p.is_file()}
    oc = run_subprocess(case.argv, timeout) if case.subprocess else run_inprocess(case.argv)
    probs = oc.problems(case)
    for p, data in before.items():
        if not p.is_file() or p.read_bytes() != data:
            probs.append(f"input {p.name} was changed or removed")
    return oc, probs
