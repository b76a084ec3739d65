"""Run a pruning study by name and save its rows as CSV (the figure is drawn from that CSV by
:func:`accelsim.report.study_figures.draw_study_csv`, so a study's figure always shows saved results).

The studies: :mod:`accelsim.prune.studies` (accuracy, sensitivity, size, cputime),
:mod:`accelsim.prune.dynamic` (dynamic pruning level, Eyeriss energy) and
:mod:`accelsim.prune.threshold_study` (Cnvlutin near-zero pruning), :mod:`accelsim.prune.seed_studies`
(memory saving at iso-accuracy, training effort, synapse distribution, what pruning buys on each design),
:mod:`accelsim.prune.energy_study` (energy-aware vs magnitude pruning on SCNN/EIE) and
:mod:`accelsim.prune.quant_study` (quantized models' accuracy and hardware).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import torch

from accelsim.errors import ConfigError
from accelsim.prune.dynamic import dynamic_study
from accelsim.prune.energy_study import energy_study
from accelsim.prune.quant_study import quant_study
from accelsim.prune.seed_studies import effort_study, hardware_study, memory_study, synapse_study
from accelsim.prune.studies import Row, accuracy_study, cputime_study, sensitivity_study, size_study
from accelsim.prune.threshold_study import threshold_study
from accelsim.results import write_text_atomic

STUDIES: dict[str, Callable[..., list[Row]]] = {
    "accuracy": accuracy_study, "sensitivity": sensitivity_study, "size": size_study,
    "cputime": cputime_study, "dynamic": dynamic_study, "threshold": threshold_study,
    # accelsim.prune.seed_studies: the seed reports' studies on their own networks
    "memory": memory_study, "effort": effort_study, "synapses": synapse_study, "hardware": hardware_study,
    # issue #16: energy-aware pruning on a design that sees zero weights; quantized models' accuracy
    "energy": energy_study, "quant": quant_study,
}


def rows_csv(rows: list[Row]) -> str:
    """Rows as CSV text (columns in first-seen order, floats with 6 significant digits)."""
    import csv
    import io
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    return buf.getvalue()


def run_study(name: str, out: str | Path, networks: list[str] | None = None, **kwargs: Any) -> tuple[Path, list[Row]]:
    """Run study ``name`` (one torch thread) on each of ``networks`` (default: the study's own default) and
    write ``OUT/<name>.csv`` atomically, every network's rows in one file; returns (csv, rows)."""
    if name not in STUDIES:
        raise ConfigError(f"unknown study {name!r}; choose one of {sorted(STUDIES)}")
    torch.set_num_threads(1)
    fn = STUDIES[name]
    if networks and name == "threshold":
        rows = fn(nets=list(networks), **kwargs)
    elif networks:
        rows = []
        for i, net in enumerate(networks, start=1):
            print(f"[{i}/{len(networks)}] {name} study on {net}", file=sys.stderr, flush=True)
            rows += fn(net=net, **kwargs)
    else:
        rows = fn(**kwargs)
    return write_text_atomic(rows_csv(rows), Path(out) / f"{name}.csv"), rows


__all__ = ["STUDIES", "rows_csv", "run_study"]
