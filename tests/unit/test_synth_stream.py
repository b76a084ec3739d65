"""`trace synth` streams layer by layer: the streamed file loads to the same trace as synth_trace +
save_trace, and a failure mid-way leaves no file and no temporary file behind."""
import numpy as np
import pytest

from accelsim.trace import load_trace
from accelsim.trace.synth import synth_plan, synth_trace, write_synth


def test_streamed_file_equals_in_memory_trace(tmp_path):
    kw = dict(batch=2, seed=3, weight_density="han2015", act_density="eyeriss-alexnet", layers="conv",
              with_outputs=True)
    a = synth_trace("alexnet", **kw)
    path = write_synth(synth_plan("alexnet", **kw), tmp_path / "s")
    assert path.name == "s.npz" and sorted(p.name for p in tmp_path.iterdir()) == ["s.npz"]
    b = load_trace(path)
    assert b.manifest() == a.manifest()
    for x, y in zip(a.layers, b.layers):
        for k in ("weights", "inputs", "outputs"):
            np.testing.assert_array_equal(getattr(x, k), getattr(y, k))


def test_failure_mid_stream_leaves_nothing(tmp_path):
    plan = synth_plan("lenet5", batch=1, seed=0, layers="all")
    calls = []

    def boom(k, orig=plan.layer):
        calls.append(k)
        if k == 2:
            raise KeyboardInterrupt
        return orig(k)

    plan.layer = boom
    with pytest.raises(KeyboardInterrupt):
        write_synth(plan, tmp_path / "x.npz")
    assert calls == [0, 1, 2] and list(tmp_path.iterdir()) == []
