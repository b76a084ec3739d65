"""Every shipped trace (accelsim/data/traces, ladder/ included) on every design and the SCNN / EIE dense
baselines: no error, every dense MAC accounted for.  Slow (about two minutes): ``pytest -m slow``."""
from __future__ import annotations

from pathlib import Path

import pytest

from accelsim.accelerators import available
from accelsim.runner import ArchSpec, build
from accelsim.trace import load_trace

TRACES = Path(__file__).resolve().parents[2] / "accelsim" / "data" / "traces"
FILES = sorted(TRACES.glob("*.npz")) + sorted((TRACES / "ladder").glob("*.npz"))
ARCHS = available() + ["scnn:dataflow=dense", "scnn:dataflow=dense_opt", "eie:dense=true"]


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_design_runs_every_shipped_trace(path):
    t = load_trace(path)
    for arch in ARCHS:
        acc = build(ArchSpec.parse(arch))
        for lt in t.layers:
            r = acc.simulate_layer(lt)
            r.check_conservation()
            assert r.cycles > 0 and r.energy > 0, (arch, lt.name)
