"""Start-up: numba is imported only when a kernel is first called (kernels/_jit.py), its BLAS probe does
not import scipy.linalg, and the command line's fast exit loses no output and keeps the exit codes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from accelsim.kernels._jit import LazyKernel

ROOT = Path(__file__).resolve().parents[2]
TRACE = ROOT / "accelsim" / "data" / "traces" / "lenet5_magnitude90.npz"


def _py(code: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=300)


def test_importing_designs_and_kernels_does_not_import_numba():
    code = ("import sys, accelsim.runner, accelsim.kernels.eyeriss, accelsim.kernels.lanes, accelsim.kernels.ucnn, "
            "accelsim.kernels.scnn, accelsim.kernels.eie, accelsim.cli\n"
            "accelsim.cli.build_parser()\n"
            "print('numba' in sys.modules)")
    p = _py(code)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["False"]


def test_first_kernel_call_imports_numba_without_scipy_linalg_and_keeps_the_blas_answer():
    code = ("import sys, importlib.util, numpy as np\n"
            "from accelsim.kernels.eyeriss import rlc_stream_bits_kernel\n"
            "from accelsim.kernels import _jit\n"
            "from accelsim.kernels.rlc import rlc_pairs_in\n"
            "x = np.array([0, 0, 3, 0, 5], dtype=np.int64)\n"
            "rlc_pairs_in(x, 0, 5)\n"
            "from numba.np import arraymath\n"
            "print('numba' in sys.modules, 'scipy.linalg' in sys.modules,\n"
            "      arraymath._HAVE_BLAS == (importlib.util.find_spec('scipy') is not None))")
    p = _py(code)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["True", "False", "True"]


def test_lazy_kernel_calls_another_kernel_and_equals_its_python_function():
    from accelsim.kernels import eyeriss, rlc
    k = eyeriss.rlc_stream_bits_kernel
    if isinstance(k, LazyKernel):
        assert k.py_func.__name__ == "rlc_stream_bits_kernel"
    rng = np.random.default_rng(3)
    for _ in range(5):
        x = ((rng.random(300) < 0.4) * rng.integers(1, 9, 300)).astype(np.int64)
        starts = np.array([0, 17, 100], dtype=np.int64)
        stops = np.array([17, 100, 300], dtype=np.int64)
        fast, slow = np.zeros(3, dtype=np.int64), np.zeros(3, dtype=np.int64)
        k(x, starts, stops, fast)                 # a kernel calling another kernel (rlc_pairs_in)
        k.py_func(x, starts, stops, slow)
        assert fast.tolist() == slow.tolist()
        assert rlc.rlc_pairs_in(x, 0, 300) == rlc.rlc_pairs_in.py_func(x, 0, 300)


def test_cli_fast_exit_keeps_output_and_exit_codes(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = lambda *a: subprocess.run([sys.executable, "-m", "accelsim", *a], capture_output=True, text=True,  # noqa: E731
                                    env=env, timeout=300, cwd=str(tmp_path))
    out = tmp_path / "r.json"
    p = run("simulate", str(TRACE), "--arch", "cnvlutin", "--json", str(out))
    assert p.returncode == 0, p.stderr
    assert "total" in p.stdout and p.stdout.endswith("\n")
    assert json.loads(out.read_text())["arch"] == "cnvlutin"
    assert run("simulate", str(TRACE)).returncode == 2                      # usage error
    assert run("simulate", str(tmp_path / "none.npz"), "--arch", "ucnn").returncode == 3   # bad input
    v = run("--version")
    assert v.returncode == 0 and v.stdout.startswith("accelsim ")


def test_dadiannao_run_imports_no_numba(tmp_path):
    code = ("import sys\nfrom accelsim.cli import main\n"
            f"rc = main(['simulate', {str(TRACE)!r}, '--arch', 'dadiannao'])\n"
            "print('RESULT', rc, 'numba' in sys.modules)")
    p = _py(code)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[-1] == "RESULT 0 False"
