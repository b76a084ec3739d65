"""Sweeps on a dask LocalCluster: the grid, resuming, and a kill-and-resume test."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("distributed")

from accelsim.cli import main  # noqa: E402
from accelsim.errors import ConfigError  # noqa: E402
from accelsim.sweep import SweepSpec  # noqa: E402
from accelsim.trace import save_trace  # noqa: E402
from accelsim.trace.synth import synth_trace  # noqa: E402


@pytest.fixture(scope="module")
def alexnet_b1(tmp_path_factory):
    d = tmp_path_factory.mktemp("tr")
    return save_trace(synth_trace("alexnet", batch=1, seed=0, act_density="eyeriss-alexnet", layers="conv"),
                      d / "alexnet.npz")


def write_spec(tmp_path, trace, thresholds, archs=("dadiannao", "cnvlutin"), baseline="dadiannao"):
    p = tmp_path / "spec.yaml"
    p.write_text(f"traces: [{json.dumps(str(trace))}]\narchs: {json.dumps(list(archs))}\n"
                 f"grid:\n  threshold: {json.dumps(thresholds)}\nout: res\n"
                 + (f"baseline: {baseline}\n" if baseline else ""))
    return p


def test_grid_applies_keys_only_to_designs_that_have_them(tmp_path, alexnet_b1):
    spec = SweepSpec.load(write_spec(tmp_path, alexnet_b1, [0.0, 0.5, 1.0]))
    labels = sorted(r.arch for r in spec.runs())
    assert labels == ["cnvlutin:threshold=0.0", "cnvlutin:threshold=0.5", "cnvlutin:threshold=1.0", "dadiannao"]
    assert spec.out == tmp_path / "res"


def test_bad_specs(tmp_path, alexnet_b1):
    p = tmp_path / "s.yaml"
    p.write_text("traces: [none.npz]\narchs: [dadiannao]\n")
    with pytest.raises(ConfigError, match="matches no file"):
        SweepSpec.load(p)
    p.write_text(f"traces: [{json.dumps(str(alexnet_b1))}]\narchs: [dadiannao]\nworkers: 3\n")
    with pytest.raises(ConfigError, match="unknown sweep key"):
        SweepSpec.load(p)
    p.write_text(f"traces: [{json.dumps(str(alexnet_b1))}]\narchs: [dadiannao]\ngrid: {{tiless: [1]}}\n")
    with pytest.raises(ConfigError, match="tiless"):
        SweepSpec.load(p).runs()
    p.write_text(f"traces: [{json.dumps(str(alexnet_b1))}]\narchs: [cnvlutin]\nbaseline: dadiannao\n")
    with pytest.raises(ConfigError, match="baseline 'dadiannao' is not one of archs"):
        SweepSpec.load(p)


def test_local_cluster_runs_everything_then_resumes_with_nothing_to_do(tmp_path, alexnet_b1, capsys):
    spec = write_spec(tmp_path, alexnet_b1, [0.0, 0.3])
    assert main(["sweep", str(spec), "--workers", "2", "--quiet"]) == 0
    files = sorted((tmp_path / "res" / "runs").glob("*.json"))
    assert len(files) == 3 and (tmp_path / "res" / "compare.csv").exists()
    assert "3 ran, 0 already done" in capsys.readouterr().out
    assert main(["sweep", str(spec), "--workers", "2", "--quiet"]) == 0
    assert "0 ran, 3 already done" in capsys.readouterr().out


def test_kill_and_resume_loses_and_redoes_nothing(tmp_path, alexnet_b1):
    """SIGKILL the sweep (and its worker) once a few runs are written; rerun; every run ends up done
    once, the files written before the kill are untouched, and none is a partial file."""
    thresholds = [round(0.05 * i, 2) for i in range(20)]
    spec = write_spec(tmp_path, alexnet_b1, thresholds, archs=("cnvlutin",), baseline=None)
    runs_dir = tmp_path / "res" / "runs"
    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "accelsim", "sweep", str(spec), "--workers", "1", "--quiet"],
                            env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(runs_dir.glob("*.json"))) < 2:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {p.name: p.stat().st_mtime_ns for p in runs_dir.glob("*.json")}
    assert 2 <= len(before) < len(thresholds), "the sweep was not interrupted mid-way"
    for p in runs_dir.glob("*.json"):
        json.loads(p.read_text())  # atomic writes: no partial result file
    out = subprocess.run([sys.executable, "-m", "accelsim", "sweep", str(spec), "--workers", "1", "--quiet"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert f"{len(thresholds) - len(before)} ran, {len(before)} already done" in out.stdout
    after = {p.name: p.stat().st_mtime_ns for p in runs_dir.glob("*.json")}
    assert len(after) == len(thresholds)
    assert all(after[k] == v for k, v in before.items())


def test_existing_cluster_by_scheduler_address(tmp_path, alexnet_b1, capsys):
    """--scheduler ADDRESS sends the runs to a cluster that already exists (here a LocalCluster started by
    the test, as a user's cluster would be) instead of starting one."""
    from dask.distributed import LocalCluster
    spec = write_spec(tmp_path, alexnet_b1, [0.0])
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster:
        assert main(["sweep", str(spec), "--scheduler", cluster.scheduler_address, "--quiet"]) == 0
    assert "2 ran, 0 already done" in capsys.readouterr().out
    assert len(list((tmp_path / "res" / "runs").glob("*.json"))) == 2


def test_bad_grid_value_fails_before_any_worker(tmp_path, alexnet_b1, capsys):
    spec = write_spec(tmp_path, alexnet_b1, [0.0, -1.0])
    assert main(["sweep", str(spec), "--workers", "1", "--quiet"]) == 3
    err = capsys.readouterr().err
    assert "threshold must be >= 0" in err and "Traceback" not in err
    assert not (tmp_path / "res" / "runs").exists() or not list((tmp_path / "res" / "runs").glob("*.json"))
