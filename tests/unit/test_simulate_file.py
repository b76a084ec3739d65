"""runner.simulate on a file reads one layer at a time; its result equals simulating the loaded trace."""
import json

import pytest

from accelsim import runner
from accelsim.errors import TraceError
from accelsim.trace import load_trace, save_trace
from accelsim.trace.synth import synth_trace


@pytest.mark.parametrize("arch", ["dadiannao", "cnvlutin", "eyeriss", "ucnn"])
def test_file_layer_by_layer_equals_loaded_trace(tmp_path, arch):
    path = save_trace(synth_trace("lenet5", batch=2, seed=1, act_density=0.6, layers="all"), tmp_path / "t.npz")
    a = runner.simulate(load_trace(path), arch)
    b = runner.simulate(str(path), arch)
    assert json.dumps(a.to_dict(), sort_keys=True, default=str) == json.dumps(b.to_dict(), sort_keys=True, default=str)
    sub = runner.simulate(str(path), arch, layers=["conv2", "conv1"])
    assert [lr.name for lr in sub.layers] == ["conv2", "conv1"]
    assert sub.layers[0].cycles == b.layers[[lr.name for lr in b.layers].index("conv2")].cycles


def test_unknown_layer_is_a_trace_error(tmp_path):
    path = save_trace(synth_trace("lenet5", batch=1, seed=0), tmp_path / "t.npz")
    with pytest.raises(TraceError, match="no layer"):
        runner.simulate(str(path), "dadiannao", layers=["nope"])


def test_loading_some_layers_keeps_the_files_first_layer(tmp_path):
    path = save_trace(synth_trace("lenet5", batch=1, seed=0, layers="all"), tmp_path / "t.npz")
    assert [lt.network_input for lt in load_trace(path).layers] == [True, False, False, False]
    assert [lt.network_input for lt in load_trace(path, layers=["conv2", "fc1"]).layers] == [False, False]
    assert [lt.network_input for lt in load_trace(path, layers=["conv1"]).layers] == [True]
