"""Sweeps keyed by content: a run is redone exactly when its trace bytes, resolved config, energy table
contents or the accelsim version change; a baseline the grid turns into variants is refused; two sweeps
on one folder run each run once."""
import json
import subprocess
import sys

import pytest

import accelsim
from accelsim.energy import EnergyTable
from accelsim.errors import ConfigError
from accelsim.sweep import SweepSpec, execute
from accelsim.trace import save_trace
from accelsim.trace.synth import synth_trace


def small(seed):
    return synth_trace("lenet5", batch=1, seed=seed, act_density=0.5, layers="conv")


@pytest.fixture
def setup(tmp_path):
    save_trace(small(0), tmp_path / "a.npz")
    save_trace(small(1), tmp_path / "b.npz")
    table = EnergyTable.load("dadiannao-45nm").to_dict()
    (tmp_path / "mytable.yaml").write_text(json.dumps(table))  # JSON is YAML
    spec = tmp_path / "spec.yaml"
    spec.write_text('traces: ["a.npz", "b.npz"]\n'
                    'archs: [dadiannao, cnvlutin, "cnvlutin:energy_table=mytable.yaml"]\n'
                    "grid: {threshold: [0.0, 0.1]}\nbaseline: dadiannao\nout: res\n")
    return tmp_path, spec


def run(spec):
    return execute(SweepSpec.load(spec), workers=0)


def mtimes(tmp_path):
    return {p.name: p.stat().st_mtime_ns for p in (tmp_path / "res" / "runs").glob("*.json")}


def test_unchanged_inputs_rerun_nothing_and_files_hold_their_identity(setup):
    tmp_path, spec = setup
    assert run(spec)["ran"] == 10  # 2 traces x (dadiannao + 2 x 2 cnvlutin variants)
    for p in (tmp_path / "res" / "runs").glob("*.json"):
        ident = json.loads(p.read_text())["run_identity"]
        assert ident["accelsim_version"] == accelsim.__version__ and len(ident["key"]) == 64
    assert run(spec)["ran"] == 0


def test_replacing_a_trace_reruns_exactly_its_runs(setup):
    tmp_path, spec = setup
    run(spec)
    before = mtimes(tmp_path)
    save_trace(small(7), tmp_path / "b.npz")  # same path, other tensors
    assert run(spec)["ran"] == 5
    after = mtimes(tmp_path)
    changed = {k for k in before if after[k] != before[k]}
    assert len(changed) == 5 and all(k.startswith("b__") for k in changed)


def test_editing_an_energy_table_reruns_exactly_the_runs_priced_by_it(setup, tmp_path):
    tmp_path, spec = setup
    run(spec)
    t = json.loads((tmp_path / "mytable.yaml").read_text())
    t["components"]["dram"]["actions"]["read_bits"] = 21.0
    (tmp_path / "mytable.yaml").write_text(json.dumps(t))
    before = mtimes(tmp_path)
    assert run(spec)["ran"] == 4  # the user-table Cnvlutin variant: 2 traces x 2 thresholds
    changed = {k for k, v in mtimes(tmp_path).items() if v != before[k]}
    assert len(changed) == 4 and all("mytable" in k for k in changed)


def test_a_new_accelsim_version_reruns_everything(setup, monkeypatch):
    tmp_path, spec = setup
    run(spec)
    monkeypatch.setattr(accelsim, "__version__", accelsim.__version__ + ".post1")
    assert run(spec)["ran"] == 10
    assert run(spec)["ran"] == 0


def test_a_grid_key_that_applies_to_the_baseline_is_refused_before_any_work(setup):
    tmp_path, _ = setup
    spec = tmp_path / "bad.yaml"
    spec.write_text('traces: ["a.npz"]\narchs: [dadiannao, cnvlutin]\ngrid: {threshold: [0.0, 0.1]}\n'
                    "baseline: cnvlutin\nout: bad\n")
    with pytest.raises(ConfigError, match="baseline 'cnvlutin' is not simulated on .*cnvlutin:threshold=0.0"):
        run(spec)
    assert not (tmp_path / "bad").exists()


def test_two_sweeps_at_once_run_each_run_once(setup):
    """Both sweeps start together on one folder: the one that gets the folder lock runs everything, the
    other waits, then finds every run done.  Every file is whole and written once."""
    tmp_path, spec = setup
    env_cmd = [sys.executable, "-m", "accelsim", "sweep", str(spec), "--workers", "0", "--quiet"]
    procs = [subprocess.Popen(env_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    said = sorted(o[0].strip() for o in outs)
    assert any("10 ran, 0 already done" in s for s in said) and any("0 ran, 10 already done" in s for s in said)
    files = list((tmp_path / "res" / "runs").glob("*.json"))
    assert len(files) == 10
    for f in files:
        json.loads(f.read_text())
    assert not list((tmp_path / "res" / "runs").glob("*.tmp*"))
