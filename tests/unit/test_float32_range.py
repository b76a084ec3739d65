"""A trace value that is finite in its file's dtype but beyond float32's range is reported as that (file,
layer, field, the value), not as "NaN or infinite"; a real NaN/inf is still reported as one."""
import io
import zipfile

import numpy as np
import pytest

from accelsim.cli import main
from accelsim.errors import TraceError
from accelsim.trace import LayerSpec, LayerTrace, Trace, save_trace

SPEC = LayerSpec("conv1", "conv", 1, 2, 5, 5, 3, 3, 3, 1, 1)


def _trace_with_inputs(tmp_path, x):
    rng = np.random.default_rng(0)
    t = Trace("n", [LayerTrace(SPEC, rng.standard_normal(SPEC.weight_shape).astype(np.float32),
                               rng.random(SPEC.input_shape).astype(np.float32))], {})
    p = save_trace(t, tmp_path / "t.npz")
    with zipfile.ZipFile(p) as z:
        members = {n: z.read(n) for n in z.namelist()}
    b = io.BytesIO()
    np.save(b, x)
    members["layer0.inputs.npy"] = b.getvalue()  # the member as a float64 array
    with zipfile.ZipFile(p, "w") as z:
        for n, d in members.items():
            z.writestr(n, d)
    return p


@pytest.mark.parametrize("value", [1e39, -7.5e300])
def test_float64_value_beyond_float32_is_named_as_out_of_range(tmp_path, capsys, value):
    x = np.random.default_rng(1).random(SPEC.input_shape)
    x[0, 1, 2, 3] = value
    p = _trace_with_inputs(tmp_path, x)
    before = p.read_bytes()
    assert main(["simulate", str(p), "--arch", "dadiannao"]) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(p) in err and "'conv1'" in err and "'inputs'" in err
    assert "out of float32 range" in err and f"{abs(value):.4g}" in err and "NaN" not in err
    assert p.read_bytes() == before


def test_a_real_nan_or_inf_is_still_called_so(tmp_path, capsys):
    x = np.random.default_rng(1).random(SPEC.input_shape)
    x[0, 0, 0, 0] = np.inf
    x[0, 0, 0, 1] = np.nan
    p = _trace_with_inputs(tmp_path, x)
    assert main(["trace", "inspect", str(p)]) == 3
    err = capsys.readouterr().err
    assert "2 NaN or infinite" in err and "float32 range" not in err


def test_in_memory_layer_reports_out_of_range_too():
    w = np.zeros(SPEC.weight_shape)
    w[0, 0, 0, 0] = 3.5e38  # just beyond float32's largest finite value (3.4028e38)
    with pytest.raises(TraceError, match=r"'weights': 1 float64 value\(s\) out of float32 range"):
        LayerTrace(SPEC, w, np.zeros(SPEC.input_shape, np.float32))
