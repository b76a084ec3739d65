"""Run a pruning study by name and save its rows as CSV (the figure is drawn from that CSV by
:func:`accelsim.report.study_figures.draw_study_csv`, so a study's figure always shows saved results).

The studies: :mod:`accelsim.prune.studies` (accuracy, sensitivity, size, cputime),
:mod:`accelsim.prune.dynamic` (dynamic pruning level, Eyeriss energy) and
:mod:`accelsim.prune.threshold_study` (Cnvlutin near-zero pruning).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import torch

from accelsim.errors import ConfigError
from accelsim.prune.dynamic import dynamic_study
from accelsim.prune.studies import Row, accuracy_study, cputime_study, sensitivity_study, size_study
from accelsim.prune.threshold_study import threshold_study
from accelsim.results import write_text_atomic

STUDIES: dict[str, Callable[..., list[Row]]] = {
    "accuracy": accuracy_study, "sensitivity": sensitivity_study, "size": size_study,
    "cputime": cputime_study, "dynamic": dynamic_study, "threshold": threshold_study,
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


def run_study(name: str, out: str | Path, **kwargs: Any) -> tuple[Path, list[Row]]:
    """Run study ``name`` (one torch thread) and write ``OUT/<name>.csv`` atomically; returns (csv, rows)."""
    if name not in STUDIES:
        raise ConfigError(f"unknown study {name!r}; choose one of {sorted(STUDIES)}")
    torch.set_num_threads(1)
    rows = STUDIES[name](**kwargs)
    return write_text_atomic(rows_csv(rows), Path(out) / f"{name}.csv"), rows


__all__ = ["STUDIES", "rows_csv", "run_study"]
