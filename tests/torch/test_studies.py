"""Pruning studies and the ``accelsim prune study`` command, on the smallest seed net with tiny budgets."""
import csv
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from accelsim.cli import main  # noqa: E402
from accelsim.prune.studies import han_relative_index_bits, weight_sizes  # noqa: E402


def read(path):
    with open(path) as fh:
        return list(csv.DictReader(fh))


def test_han_relative_index_golden():
    """[0,0,5] + 20 zeros + [3] with 3-bit gaps (span 8): gaps 2 and 20; 20 // 8 = 2 fillers -> 4 entries."""
    codes = np.array([0, 0, 5] + [0] * 20 + [3, 0, 0])
    assert han_relative_index_bits(codes, 16, 3) == 4 * 19
    assert han_relative_index_bits(np.zeros(9), 16, 3) == 0


def test_weight_sizes_formats():
    w = np.zeros((4, 10), np.float32)
    w[0, 3], w[2, 9] = 0.5, -0.25
    sz = weight_sizes(w, "fc")
    assert sz["dense"] == 40 * 16 and sz["nnz"] == 2
    assert sz["csr"] == 2 * 16 + 2 * 4 + 5 * 2  # col index ceil(log2 10) = 4, ptr ceil(log2 3) = 2
    # gaps: 3 (before w[0,3]) and 25 (w[0,4..9] + w[1,:] + w[2,0..8]); 5-bit span 32 -> no filler
    assert sz["relative"] == 2 * (16 + 5)
    assert sz["rlc"] == 64  # pairs (3, .5), (25, -.25), trailing (9, 0): one 64-bit word


def test_weight_sizes_relative_counts_fillers():
    w = np.zeros(300, np.float32)
    w[[0, 299]] = 1.0
    assert weight_sizes(w.reshape(3, 100), "fc")["relative"] == (2 + 298 // 32) * 21


def test_cli_studies(tmp_path):
    out = tmp_path / "s"
    common = ["--out", str(out), "--net", "seed1", "--epochs", "1", "--sparsities", "0.5,0.9"]
    assert main(["prune", "study", "accuracy", *common, "--retrain-epochs", "1", "--steps", "2",
                 "--methods", "none,direct,iterative,obd,global"]) == 0
    rows = read(out / "accuracy.csv")
    assert {r["method"] for r in rows} == {"dense", "none", "direct", "iterative", "obd", "global"}
    for r in rows:
        if r["method"] != "dense":
            assert float(r["achieved"]) == pytest.approx(float(r["target"]), abs=2e-3)
    assert main(["prune", "study", "sensitivity", *common]) == 0
    assert {r["layer"] for r in read(out / "sensitivity.csv")} == {"conv1", "conv2", "fc1", "fc2", "fc3"}
    assert main(["prune", "study", "size", *common]) == 0
    tot = [r for r in read(out / "size.csv") if r["layer"] == "total"]
    assert int(tot[1]["csr"]) < int(tot[0]["csr"]) < int(tot[0]["dense"]) * 2
    assert main(["prune", "study", "cputime", *common, "--batch", "4", "--repeats", "2"]) == 0
    rows = read(out / "cputime.csv")
    assert all(r["sparse_slower"] in ("True", "False") for r in rows)
    for name in ("accuracy", "sensitivity", "size", "cputime"):
        assert (out / f"{name}.png").stat().st_size > 1000


def test_cli_without_torch(monkeypatch, tmp_path, capsys):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "torch" else real(n, *a))
    assert main(["prune", "study", "size", "--out", str(tmp_path)]) == 3
    assert "pip install torch==2.13.0" in capsys.readouterr().err


def test_cli_bad_options(tmp_path):
    with pytest.raises(SystemExit) as e:
        main(["prune", "study", "size", "--out", str(tmp_path), "--sparsities", "0.5,1.5"])
    assert e.value.code == 2
    assert main(["prune", "study", "accuracy", "--out", str(tmp_path), "--net", "seed1", "--epochs", "0",
                 "--sparsities", "0.5", "--methods", "bogus"]) == 3


def test_cli_import_does_not_import_torch():
    code = "import sys, accelsim.cli as c; c.build_parser(); sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
