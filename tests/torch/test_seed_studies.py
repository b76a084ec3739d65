"""The seed-network studies (accelsim.prune.seed_studies): selection rules worked by hand, and tiny real runs."""
from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from accelsim.cli import main  # noqa: E402
from accelsim.prune import seed_studies as S  # noqa: E402
from accelsim.report.load import load_csv  # noqa: E402


def _rung(s, acc, csr):
    return {"network": "n", "row": "ladder", "sparsity": s, "accuracy": acc, "dense_bits": 1000,
            "csr_bits": csr, "relative_bits": csr, "rlc_bits": csr}


def test_iso_rows_pick_the_largest_sparsity_within_each_tolerance():
    """Dense 0.950.  Rungs: 0.5 -> 0.952, 0.8 -> 0.946 (-0.4 pt), 0.9 -> 0.941 (-0.9 pt), 0.95 -> 0.90.
    Within 0.5 pt: 0.8 (saving 1 - 300/1000 = 0.7); within 1 pt: 0.9 (1 - 150/1000 = 0.85);
    within 2 pt: still 0.9 (0.95 is 5 pt down)."""
    ladder = [_rung(0.0, 0.950, 1400), _rung(0.5, 0.952, 700), _rung(0.8, 0.946, 300), _rung(0.9, 0.941, 150),
              _rung(0.95, 0.90, 90)]
    iso = S.iso_rows(ladder, 0.950, (0.005, 0.01, 0.02))
    assert [r["sparsity"] for r in iso] == [0.8, 0.9, 0.9]
    assert iso[0]["saving_csr"] == pytest.approx(0.7)
    assert iso[1]["saving_csr"] == pytest.approx(0.85)


def test_iso_rows_fall_back_to_dense_when_nothing_qualifies():
    ladder = [_rung(0.0, 0.95, 1400), _rung(0.5, 0.90, 700)]
    (iso,) = S.iso_rows(ladder, 0.95, (0.005,))
    assert iso["sparsity"] == 0.0 and iso["saving_csr"] == pytest.approx(1 - 1400 / 1000)


def test_memory_summary_over_networks():
    rows = [{"row": "iso", "tolerance": 0.01, "saving_csr": v} for v in (0.4, 0.8, 0.6)]
    s = S.memory_summary(rows)[0.01]
    assert (s["min"], s["max"], s["mean"], s["networks"]) == (0.4, 0.8, pytest.approx(0.6), 3)


def test_synapses_per_layer_magnitude_keeps_a_tenth_of_every_layer():
    """Per-layer magnitude pruning at 90% removes round(0.9 n) weights of each layer: seed1's layers hold
    150, 2400, 30720, 10080 and 840 weights, so 15, 240, 3072, 1008 and 84 survive."""
    rows = S.synapse_study("seed1", methods=("magnitude", "filters"), epochs=1, retrain_epochs=0)
    mag = {r["layer"]: r["surviving"] for r in rows if r["method"] == "magnitude"}
    assert mag == {"conv1": 15, "conv2": 240, "fc1": 3072, "fc2": 1008, "fc3": 84}
    filt = {r["layer"]: r for r in rows if r["method"] == "filters"}
    # half of conv1's 6 filters go: 3 x 25 weights stay; conv2 loses half its inputs and half its filters
    assert filt["conv1"]["surviving"] == 3 * 25
    assert filt["conv2"]["surviving"] == 8 * 3 * 25


def test_effort_rows_are_consistent():
    rows = S.effort_study("seed1", sparsities=(0.5,), epochs=2, max_epochs=2)
    assert {r["method"] for r in rows} == {"one-shot", "iterative"}
    for r in rows:
        assert 0 <= r["retrain_epochs"] <= 2 * (1 if r["method"] == "one-shot" else 3)
        assert r["reached"] == (r["accuracy"] >= r["dense_accuracy"] - r["tolerance"])
        if r["retrain_epochs"] < r["max_epochs_per_round"] and r["method"] == "one-shot":
            assert r["reached"]  # it stopped early only because it got there


def test_hardware_study_what_each_design_rewards(tmp_path):
    """DaDianNao's cycles do not depend on the data, so pruning weights never changes its time (speedup
    exactly 1); UCNN skips zero weights, so 90% unstructured pruning speeds it up; zeroing near-zero
    inputs never slows Cnvlutin (it skips zero activations)."""
    variants = (("dense", "none", 0.0), ("magnitude", "unstructured weights", 0.9),
                ("threshold", "near-zero activations", 0.1))
    rows = S.hardware_study("seed1", variants=variants, designs=("dadiannao", "cnvlutin", "ucnn"), images=2,
                            epochs=1, retrain_epochs=0, save_traces=tmp_path)
    by = {(r["method"], r["design"]): r for r in rows}
    assert all(by[("dense", d)]["speedup"] == 1.0 for d in ("dadiannao", "cnvlutin", "ucnn"))
    assert by[("magnitude", "dadiannao")]["speedup"] == 1.0
    assert by[("magnitude", "ucnn")]["speedup"] > 2.0
    assert by[("threshold", "cnvlutin")]["speedup"] >= 1.0
    assert by[("magnitude", "ucnn")]["weight_sparsity"] == pytest.approx(0.9, abs=1e-3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed1_dense.npz", "seed1_magnitude90.npz",
                                                          "seed1_threshold10.npz"]


def test_cli_networks_and_figures(tmp_path, capsys):
    out = tmp_path / "st"
    assert main(["prune", "study", "size", "--networks", "seed1,seed3", "--sparsities", "0.5", "--epochs", "1",
                 "--out", str(out)]) == 0
    rows = load_csv(out / "size.csv")
    assert {r["network"] for r in rows} == {"seed1", "seed3"}
    assert (out / "size_seed1.png").exists() and (out / "size_seed3.png").exists()
    from accelsim.report.make import make_all_figures
    names = sorted(p.name for p in make_all_figures(out, tmp_path / "figs") if p.suffix == ".png")
    assert names == ["study_size_seed1.png", "study_size_seed3.png"]


@pytest.mark.parametrize("argv,code", [
    (["--networks", "lenet6"], 2),
    (["--networks", "seed1", "--net", "seed2"], 3),
])
def test_cli_bad_networks(tmp_path, capsys, argv, code):
    try:
        rc = main(["prune", "study", "size", "--out", str(tmp_path), *argv])
    except SystemExit as e:  # argparse usage errors
        rc = e.code
    assert rc == code
    err = capsys.readouterr().err.strip().splitlines()
    assert err and "network" in err[-1] and "Traceback" not in "".join(err)


def test_seed_figures_draw_from_csv_rows(tmp_path):
    """The four figures draw from rows as read back from CSV (strings), several networks at once."""
    from accelsim.report import seed_figures as F
    mem = [dict(network=n, row="ladder", sparsity=str(s), accuracy="0.9", dense_bits="1", csr_bits="1",
                relative_bits="1", rlc_bits="1") for n in ("a", "b") for s in (0, 0.5)]
    mem += [dict(network=n, row="iso", tolerance="0.01", saving_csr="0.5") for n in ("a", "b")]
    eff = [dict(network="a", method=m, sparsity="0.5", retrain_epochs="2", reached="False", tolerance="0.005")
           for m in ("one-shot", "iterative")]
    syn = [dict(network="a", method="magnitude", layer=str(i), fraction="0.1") for i in range(2)]  # numeric names
    hw = [dict(network="a", method="dense", level="0", design=d, speedup="1", energy_ratio="1") for d in "xy"]
    for fn, rows in ((F.fig_memory, mem), (F.fig_effort, eff), (F.fig_synapses, syn), (F.fig_hardware, hw)):
        fig = fn(rows)
        fig.savefig(tmp_path / "f.png")
        assert not math.isnan(fig.get_size_inches()[0])


def test_accuracy_study_structured_methods_report_weights_gone():
    """50% L1 filter pruning of seed1 (every layer but the last): conv1 6->3 filters (75 weights), conv2
    16->8 filters of 3 channels (600), fc1 128->60 (7680), fc2 60->42 (2520), fc3 42->10 (420): 11,295 of
    44,190 weights stay, so 1 - 11295/44190 = 0.744399 of the weights are gone."""
    from accelsim.prune.studies import accuracy_study
    rows = accuracy_study("seed1", sparsities=(0.5,), methods=("filters", "lottery", "energy"), epochs=1,
                          retrain_epochs=1, steps=1)
    by = {r["method"]: r for r in rows}
    assert by["filters"]["achieved"] == pytest.approx(1 - 11295 / 44190)
    assert by["lottery"]["achieved"] == pytest.approx(0.5, abs=1e-4)
    assert by["energy"]["achieved"] == pytest.approx(0.5, abs=1e-4)
