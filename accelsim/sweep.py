"""Sweeps: many (trace x design x config point) runs, on dask.distributed, resumable.

A sweep spec (YAML)::

    traces: ["traces/*.npz", "val/alexnet.npz"]   # paths or globs, relative to the spec file
    archs: [dadiannao, cnvlutin, "cnvlutin:zero_brick_cycles=0"]
    grid:                                           # optional: every combination of these values,
      threshold: [0.0, 0.05, 0.1]                   # applied to each design that has the key
      dram_bw_bits_per_cycle: [128, 338]
    baseline: dadiannao                             # optional: compare.csv against it
    out: sweep_results                              # optional (default: <spec name>_results beside it)

Each run is identified by its trace file, design label and overrides; its result is written atomically
(temporary file + rename) to ``out/runs/<id>.json`` by the worker that ran it.  Re-running the same spec
skips every run whose file exists, so an interrupted sweep resumes without losing or redoing finished
runs.  Runs go to a dask ``LocalCluster`` (``workers`` processes, one thread each) or to an existing
cluster given its scheduler address; ``workers=0`` runs them in this process.
"""
from __future__ import annotations

import glob
import hashlib
import itertools
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from accelsim.config import load_yaml
from accelsim.errors import ConfigError

SPEC_KEYS = {"traces", "archs", "grid", "baseline", "out"}


@dataclass(frozen=True)
class Run:
    trace: str
    arch: str                       # label including overrides, e.g. "cnvlutin:threshold=0.05"
    name: str                       # registered design name
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        key = json.dumps([os.path.abspath(self.trace), self.arch, sorted(self.overrides.items())],
                         default=str)
        h = hashlib.sha1(key.encode()).hexdigest()[:10]
        from accelsim.results import run_file_stem
        return f"{run_file_stem(self.trace, self.arch)}__{h}"


@dataclass
class SweepSpec:
    traces: list[str]
    archs: list[str]
    grid: dict[str, list[Any]]
    baseline: str | None
    out: Path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "SweepSpec":
        p = Path(path)
        d = load_yaml(p)
        unknown = sorted(set(d) - SPEC_KEYS)
        if unknown:
            raise ConfigError(f"{p}: unknown sweep key(s) {', '.join(unknown)} (known: {', '.join(sorted(SPEC_KEYS))})")
        for k in ("traces", "archs"):
            if not isinstance(d.get(k), list) or not d[k] or not all(isinstance(x, str) for x in d[k]):
                raise ConfigError(f"{p}: '{k}' must be a non-empty list of strings")
        grid = d.get("grid") or {}
        if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
            raise ConfigError(f"{p}: 'grid' must map config keys to non-empty lists of values")
        base = p.parent
        traces: list[str] = []
        for t in d["traces"]:
            pat = t if os.path.isabs(t) else str(base / t)
            hits = sorted(glob.glob(pat))
            if not hits:
                raise ConfigError(f"{p}: traces entry {t!r} matches no file")
            traces += [h for h in hits if h not in traces]
        if d.get("baseline") is not None and d["baseline"] not in d["archs"]:
            raise ConfigError(f"{p}: baseline {d['baseline']!r} is not one of archs {d['archs']}")
        out = Path(d["out"]) if d.get("out") else base / f"{p.stem}_results"
        if not out.is_absolute():
            out = base / out
        return cls(traces, list(d["archs"]), grid, d.get("baseline"), out)

    def runs(self) -> list[Run]:
        from accelsim.runner import ArchSpec, get
        out: list[Run] = []
        seen = set()
        keys = list(self.grid)
        for t in self.traces:
            for a in self.archs:
                spec = ArchSpec.parse(a)
                fields = get(spec.name).config_cls.__dataclass_fields__
                bad = [k for k in keys if not any(k in get(ArchSpec.parse(x).name).config_cls.__dataclass_fields__
                                                   for x in self.archs)]
                if bad:
                    raise ConfigError(f"grid key(s) {bad} belong to none of the designs {self.archs}")
                applicable = [k for k in keys if k in fields and k not in spec.overrides]
                for values in itertools.product(*[self.grid[k] for k in applicable]):
                    over = dict(zip(applicable, values))
                    label = a + "".join(f":{k}={v}" for k, v in over.items())
                    key = (t, label)
                    if key in seen:
                        continue
                    seen.add(key)
                    out.append(Run(t, label, spec.name, {**spec.overrides, **over}))
        return out


def run_one(run: Run, out_dir: str) -> str:
    """Simulate one run and write its result atomically; executed on a dask worker (or in-process)."""
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(v, "1")
    from accelsim import runner
    from accelsim.runner import ArchSpec
    path = Path(out_dir) / "runs" / f"{run.run_id}.json"
    res = runner.simulate(run.trace, ArchSpec(run.arch, run.name, run.overrides))
    res.write_json(path)
    return str(path)


def validate(runs: list[Run]) -> None:
    """Build every run's config (no simulation): a bad value is a ConfigError naming the run."""
    from accelsim.config import from_dict
    from accelsim.runner import get
    for r in runs:
        from_dict(get(r.name).config_cls, r.overrides, where=f"sweep run {r.arch}")


def pending(runs: list[Run], out: Path) -> list[Run]:
    return [r for r in runs if not (out / "runs" / f"{r.run_id}.json").exists()]


def execute(spec: SweepSpec, workers: int = 2, scheduler: str | None = None,
            on_done: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Run every pending run of ``spec``; returns counts.  ``on_done(done, total)`` reports progress."""
    runs = spec.runs()
    validate(runs)  # bad config values fail here, before any worker starts
    todo = pending(runs, spec.out)
    (spec.out / "runs").mkdir(parents=True, exist_ok=True)
    (spec.out / "sweep_runs.json").write_text(json.dumps(
        [{"id": r.run_id, "trace": r.trace, "arch": r.arch, "overrides": r.overrides} for r in runs],
        indent=1, default=str))
    done = len(runs) - len(todo)
    if on_done:
        on_done(done, len(runs))
    if todo and (workers == 0 and not scheduler):
        for r in todo:
            run_one(r, str(spec.out))
            done += 1
            if on_done:
                on_done(done, len(runs))
    elif todo:
        for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
            os.environ.setdefault(v, "1")  # inherited by the worker processes
        from dask.distributed import Client, LocalCluster, as_completed
        cluster = None
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=50)  # errors reach the user as one line
            client = Client(cluster)
        try:
            futures = [client.submit(run_one, r, str(spec.out), key=f"accelsim-{r.run_id}", pure=False)
                       for r in todo]
            for fut in as_completed(futures):
                fut.result()  # re-raises a worker's error here
                done += 1
                if on_done:
                    on_done(done, len(runs))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    return {"runs": len(runs), "ran": len(todo), "skipped": len(runs) - len(todo), "out": str(spec.out)}


def summarize(spec: SweepSpec) -> list[dict[str, Any]]:
    """Compare rows of every finished run against the spec's baseline (written to out/compare.csv)."""
    from accelsim import compare
    from accelsim.report.load import load_runs
    if not spec.baseline:
        return []
    rows = compare.compare_rows(load_runs(spec.out), spec.baseline)
    compare.write_compare(rows, spec.out)
    return rows
