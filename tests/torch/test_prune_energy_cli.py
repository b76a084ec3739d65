"""``accelsim prune energy-aware`` and the energy / quant studies from the command line: help names every
option, bad input is one line and exit 3, a tiny real run writes a loadable trace at the asked sparsity."""
import json

import pytest

from accelsim.cli import main

OPTIONS = ("--net", "--sparsity", "--guide", "--step", "--max-layer-sparsity", "--epochs", "--retrain-epochs",
           "--images", "--seed", "--out", "--json")


def test_help_explains_every_option(capsys):
    with pytest.raises(SystemExit) as e:
        main(["prune", "energy-aware", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for opt in OPTIONS:
        assert opt in out
    assert "scnn" in out and "eie" in out and "re-simulates" in out


@pytest.mark.parametrize("argv,word", [
    (["--sparsity", "1.5"], "--sparsity"), (["--guide", "eyeriss"], "--guide"), (["--net", "vgg"], "--net"),
    (["--step", "0"], "--step"), (["--images", "0"], "--images"), (["--retrain-epochs", "-1"], "--retrain-epochs"),
    (["--sparsity", "0.99"], "--max-layer-sparsity"),
])
def test_bad_input_exit_3_one_line(argv, word, tmp_path, capsys):
    rc = main(["prune", "energy-aware", "--out", str(tmp_path / "x.npz"), *argv])
    err = capsys.readouterr().err
    assert rc == 3
    assert err.count("\n") == 1 and word in err and "Traceback" not in err
    assert not (tmp_path / "x.npz").exists()


def test_out_must_be_npz(tmp_path, capsys):
    assert main(["prune", "energy-aware", "--out", str(tmp_path / "x.txt")]) == 3
    assert ".npz" in capsys.readouterr().err


@pytest.mark.parametrize("extra,word", [(["--json", "{d}/no/such/x.json"], "--json"), (["--images", "451"], "450"),
                                        (["--json", "{d}"], "folder"), (["--json", "{d}/x.npz"], "same file")])
def test_outputs_checked_before_training(extra, word, tmp_path, capsys):
    rc = main(["prune", "energy-aware", "--out", str(tmp_path / "x.npz"), *[e.format(d=tmp_path) for e in extra]])
    err = capsys.readouterr().err
    assert rc == 3 and word in err and err.count("\n") == 1


def test_out_folder_missing(tmp_path, capsys):
    assert main(["prune", "energy-aware", "--out", str(tmp_path / "no" / "x.npz")]) == 3
    assert "folder does not exist" in capsys.readouterr().err


def test_energy_study_refuses_a_guide_blind_to_zero_weights(tmp_path, capsys):
    assert main(["prune", "study", "energy", "--out", str(tmp_path), "--guides", "eyeriss"]) == 3
    assert "eyeriss" in capsys.readouterr().err


def test_tiny_run_writes_trace_and_json(tmp_path, capsys):
    pytest.importorskip("torch")
    from accelsim.trace import load_trace
    out, js = tmp_path / "p.npz", tmp_path / "p.json"
    rc = main(["prune", "energy-aware", "--net", "seed1", "--sparsity", "0.5", "--step", "0.5", "--epochs", "1",
               "--retrain-epochs", "0", "--images", "1", "--guide", "eie", "--out", str(out), "--json", str(js)])
    assert rc == 0
    tr = load_trace(out)
    w = sum(int((lt.weights != 0).sum()) for lt in tr.layers)
    n = sum(lt.weights.size for lt in tr.layers)
    assert 1 - w / n == pytest.approx(0.5, abs=0.01)
    d = json.loads(js.read_text())
    assert d["guide"] == "eie" and d["moves"] and set(d["magnitude"]) == {"layer", "global"}
    assert "magnitude-global" in capsys.readouterr().out


def test_energy_study_cli_tiny_writes_csv_and_figure(tmp_path, capsys):
    pytest.importorskip("torch")
    from accelsim.report.load import load_csv
    rc = main(["prune", "study", "energy", "--networks", "seed1", "--epochs", "1", "--sparsities", "0.5",
               "--step", "0.5", "--images", "1", "--designs", "scnn,eie,eyeriss", "--out", str(tmp_path)])
    assert rc == 0
    rows = load_csv(tmp_path / "energy.csv")
    methods = {r["method"] for r in rows}
    assert methods == {"dense", "energy-aware-scnn", "energy-aware-eie", "magnitude-layer", "magnitude-global"}
    assert {r["design"] for r in rows} == {"scnn", "eie", "eyeriss"}
    ft = {r["method"]: int(r["finetune_epochs"]) for r in rows}
    assert ft["magnitude-global"] == ft["magnitude-layer"] == max(ft["energy-aware-scnn"], ft["energy-aware-eie"])
    assert (tmp_path / "energy.png").exists()


def test_quant_study_tiny_rows():
    pytest.importorskip("torch")
    from accelsim.prune.quant_study import FIELDS, quant_study
    rows = quant_study("seed1", epochs=1, finetune_epochs=1, images=1, schemes=(("ttq", 2),))
    assert [r["base"] for r in rows] == ["dense", "magnitude90"]
    for r in rows:
        assert list(r) == FIELDS
        assert r["max_unique"] <= 3 and 0 <= r["accuracy_finetuned"] <= 1
        assert r["ucnn_vs_eyeriss"] == pytest.approx(r["ucnn_energy_pj"] / r["eyeriss_energy_pj"])
