"""A non-editable install stands alone (slow: .ci/run runs it with ``-m slow``).

Builds a wheel from a copy of the sources, installs it (no deps) into a fresh venv that sees this
environment's packages through a .pth file, and from an empty folder, with no PYTHONPATH:
* ``accelsim demo`` writes the same set of result and figure files as the demo run from the checkout (the
  short set of figures);
* every ``accelsim prune study`` runs (tiny budgets), even with a user's own ``models/nets.py`` in the
  working directory, which must not be imported.
"""
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

STUDIES = {
    "accuracy": ["--sparsities", "0.5", "--methods", "none,direct", "--retrain-epochs", "1", "--steps", "1"],
    "sensitivity": ["--sparsities", "0.5"],
    "size": ["--sparsities", "0.5"],
    "cputime": ["--sparsities", "0.5", "--batch", "4", "--repeats", "1"],
    "threshold": ["--net", "seed1", "--ts", "0,0.1", "--images", "4"],
    "dynamic": ["--net", "seed1", "--images", "4"],
}
# studies whose shipped CSVs have other names (energy_aware.csv, quantized_accuracy.csv): run, not compared
UNSHIPPED_STUDIES = {
    "energy": ["--net", "seed1", "--sparsities", "0.5", "--step", "0.5", "--images", "1", "--designs", "scnn,eie"],
    "quant": ["--net", "seed1", "--images", "1"],
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="1",
               MPLBACKEND="Agg")
    return env


def _files(d: Path) -> set[str]:
    return {str(p.relative_to(d)) for p in d.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "accelsim", src / "accelsim", ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    wheels = tmp / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(wheels), str(src)], check=True, env=_env(), timeout=600)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # the current environment's packages (numpy, numba, torch, pip, ...) but not its accelsim: a .pth line
    # only appends a folder to sys.path, it does not run that folder's .pth files (the editable finder)
    Path(purelib, "outer_env.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    wheel = next(wheels.glob("accelsim-*.whl"))
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed", "--no-index",
                    str(wheel)], check=True, env=_env(), timeout=600)
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import accelsim; print(accelsim.__file__)"],
                           check=True, capture_output=True, text=True, env=_env(), cwd=tmp).stdout
    assert where.startswith(str(venv)), where
    return venv / "bin" / "accelsim", tmp


def test_installed_demo_writes_what_the_checkout_demo_writes(installed):
    exe, tmp = installed
    empty = tmp / "empty"
    empty.mkdir()
    run = subprocess.run([str(exe), "demo", "--out", "out", "--quiet"], cwd=empty, env=_env(),
                         capture_output=True, text=True, timeout=3000)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "no traces found" not in run.stderr and "no saved pruning studies" not in run.stderr
    ref = tmp / "checkout_demo"
    env = {**_env(), "PYTHONPATH": str(ROOT)}
    chk = subprocess.run([sys.executable, "-m", "accelsim.cli", "demo", "--out", str(ref), "--quiet"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=3000)
    assert chk.returncode == 0, chk.stderr[-2000:]
    got, want = _files(empty / "out"), _files(ref)
    assert got == want, (sorted(got - want)[:10], sorted(want - got)[:10])
    assert sum(f.startswith("runs/") for f in got) > 100
    # the short set of figures a paper would show (accelsim/report/curated.py), as PNG and PDF
    figs = {f[len("figures/"):-4] for f in got if f.startswith("figures/") and f.endswith(".png")}
    net = "alexnet_conv_b4_synthetic"
    assert figs == {"speedup_per_network", f"speedup_per_layer_{net}", f"macs_{net}", f"dram_rlc_{net}",
                    f"compression_{net}", "shared/energy_per_network", f"shared/energy_breakdown_{net}",
                    "ucnn/ucnn_vs_unique_weights", "sparse/scnn_vs_dcnn", "sparse/eie_speedup_queue",
                    "study_hardware_studies", "study_hardware_payoff_studies", "study_accuracy_lenet5_studies",
                    "study_sensitivity_lenet5_studies", "study_threshold_studies", "study_memory_studies"}, figs
    assert {f"figures/{n}.pdf" for n in figs} <= got
    assert {f"studies/{n}.csv" for n in STUDIES} <= got


def test_installed_prune_studies_run_and_ignore_a_users_models_package(installed):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    exe, tmp = installed
    cwd = tmp / "user"
    (cwd / "models").mkdir(parents=True)
    (cwd / "models" / "__init__.py").write_text("")
    (cwd / "models" / "nets.py").write_text("raise RuntimeError('the user models/nets.py was imported')\n")
    for name, extra in {**STUDIES, **UNSHIPPED_STUDIES}.items():
        run = subprocess.run([str(exe), "prune", "study", name, "--out", "st", "--epochs", "1", *extra], cwd=cwd,
                             env=_env(), capture_output=True, text=True, timeout=1800)
        assert run.returncode == 0, (name, run.stderr[-2000:])
        assert (cwd / "st" / f"{name}.csv").stat().st_size > 0 and (cwd / "st" / f"{name}.png").stat().st_size > 0
