"""Sweeps: many (trace x design x config point) runs, on dask.distributed, resumable.

A sweep spec (YAML)::

    traces: ["traces/*.npz", "val/alexnet.npz"]   # paths or globs, relative to the spec file
    archs: [dadiannao, cnvlutin, "cnvlutin:zero_brick_cycles=0"]
    grid:                                           # optional: every combination of these values,
      threshold: [0.0, 0.05, 0.1]                   # applied to each design that has the key
      dram_bw_bits_per_cycle: [128, 338]
    baseline: dadiannao                             # optional: compare.csv against it
    out: sweep_results                              # optional (default: <spec name>_results beside it)

Each run's result is written atomically (temporary file + rename) to ``out/runs/<trace>__<label>__<h>.json``
by the worker that ran it, with the run's identity: a SHA-256 of the trace file's bytes, the fully
resolved config, the energy table's contents and the accelsim version.  Re-running a spec skips a run only
when its file holds the same identity, so an interrupted sweep resumes without losing or redoing finished
runs, and a replaced trace, an edited table, a changed config default or a new accelsim version reruns
exactly the runs it affects.  The baseline must be one run on every trace (a grid key that applies to it
is refused before any work starts).  A sweep holds a lock on its output folder: a second sweep on the
same folder waits for it, then finds its runs done.  Runs go to a dask ``LocalCluster`` (``workers`` processes, one thread each) or to an existing
cluster given its scheduler address; ``workers=0`` runs them in this process.
"""
from __future__ import annotations

import glob
import hashlib
import itertools
import json
import os
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
        """The run's file name stem: which (trace path, label) it is, not what the inputs hold; the
        identity of the inputs is :func:`identity`, stored in the file and checked on resume."""
        key = json.dumps([os.path.abspath(self.trace), self.arch, sorted(self.overrides.items())],
                         default=str)
        h = hashlib.sha1(key.encode()).hexdigest()[:10]
        from accelsim.results import run_file_stem
        return f"{run_file_stem(self.trace, self.arch)}__{h}"


def file_sha256(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def identity(run: Run, trace_sha256: str | None = None) -> dict[str, Any]:
    """What a run's result depends on: the trace file's bytes, the fully resolved config (defaults filled
    in), the energy table's contents (not its name: an edited YAML file is a different table) and the
    accelsim version.  ``key`` is the SHA-256 of all of it."""
    import accelsim
    from accelsim.config import from_dict, to_dict
    from accelsim.energy import EnergyTable
    from accelsim.runner import get
    cfg = from_dict(get(run.name).config_cls, run.overrides, where=f"sweep run {run.arch}")
    table = EnergyTable.load(getattr(cfg, "energy_table"))
    d = {"trace_sha256": trace_sha256 or file_sha256(run.trace),
         "design": run.name,
         "config": json.loads(json.dumps(to_dict(cfg), sort_keys=True, default=str)),
         "energy_table_sha256": hashlib.sha256(
             json.dumps(table.to_dict(), sort_keys=True, default=str).encode()).hexdigest(),
         "accelsim_version": accelsim.__version__}
    d["key"] = hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()
    return d


@dataclass
class SweepSpec:
    traces: list[str]
    archs: list[str]
    grid: dict[str, list[Any]]
    baseline: str | None
    out: Path
    base: Path = Path(".")          # the spec file's folder: relative paths in it start here

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
        if len(set(d["archs"])) != len(d["archs"]):
            raise ConfigError(f"{p}: 'archs' lists a design twice: {d['archs']}")
        grid = {} if d.get("grid") is None else d["grid"]
        for k in ("out", "baseline"):
            if d.get(k) is not None and (not isinstance(d[k], str) or not d[k]):
                raise ConfigError(f"{p}: '{k}' must be a non-empty string, got {d[k]!r}")
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
        return cls(traces, list(d["archs"]), grid, d.get("baseline"), out, base)

    def _paths(self, over: dict[str, Any]) -> dict[str, Any]:
        """A relative energy-table path in the spec is relative to the spec file, as trace paths are."""
        t = over.get("energy_table")
        if _looks_like_path(t) and not os.path.isabs(t):
            over = {**over, "energy_table": str(self.base / t)}
        return over

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
                    out.append(Run(t, label, spec.name, self._paths({**spec.overrides, **over})))
        return out


def _looks_like_path(v: Any) -> bool:
    return isinstance(v, str) and ("/" in v or os.sep in v or v.endswith((".yaml", ".yml")))


def run_one(run: Run, out_dir: str) -> str:
    """Simulate one run and write its result atomically, with the identity of the inputs it read;
    executed on a dask worker (or in-process)."""
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(v, "1")
    from accelsim import runner
    from accelsim.results import write_json_atomic
    from accelsim.runner import ArchSpec
    path = Path(out_dir) / "runs" / f"{run.run_id}.json"
    ident = identity(run)  # hashed by the worker, from the bytes it is about to read
    res = runner.simulate(_worker_trace(run.trace, ident["trace_sha256"]),
                          ArchSpec(run.arch, run.name, run.overrides))
    write_json_atomic({**res.to_dict(), "run_identity": ident}, path)
    return str(path)


_LAST_TRACE: dict[str, Any] = {}


def _worker_trace(path: str, sha256: str) -> Any:
    """The worker's last loaded trace, reused while runs name the same file with the same bytes (runs
    are ordered trace by trace), so its layers' computed outputs are shared by every design the worker
    runs on it.  One trace at a time bounds the worker's memory."""
    from accelsim.trace import load_trace
    key = (str(path), sha256)
    if _LAST_TRACE.get("key") != key:
        _LAST_TRACE.clear()
        _LAST_TRACE.update(key=key, trace=load_trace(path))
    return _LAST_TRACE["trace"]


def validate(runs: list[Run]) -> None:
    """Build every run's config (no simulation): a bad value is a ConfigError naming the run."""
    from accelsim.config import from_dict
    from accelsim.runner import get
    for r in runs:
        from_dict(get(r.name).config_cls, r.overrides, where=f"sweep run {r.arch}")


def check_baseline(spec: "SweepSpec", runs: list[Run]) -> None:
    """The spec's baseline must be one run on every trace, or the comparison would silently lose traces
    (e.g. a grid key that also applies to the baseline turns it into several variants)."""
    if not spec.baseline:
        return
    for t in spec.traces:
        if not any(r.trace == t and r.arch == spec.baseline for r in runs):
            variants = sorted(r.arch for r in runs if r.trace == t and r.arch.startswith(spec.baseline + ":"))
            raise ConfigError(
                f"baseline {spec.baseline!r} is not simulated on {t}"
                + (f": the grid makes it {', '.join(variants)}; fix the grid key on the baseline in 'archs' "
                   f"(e.g. \"{spec.baseline}:KEY=VALUE\" and baseline set to that label)" if variants else ""))


def stored_key(path: Path) -> str | None:
    """The identity key stored in a run file, or None when it is missing, unreadable or partial."""
    try:
        return json.loads(path.read_text()).get("run_identity", {}).get("key")
    except (OSError, ValueError, AttributeError):
        return None


def pending(runs: list[Run], out: Path, keys: dict[str, str] | None = None) -> list[Run]:
    """Runs whose file is missing or was made from other inputs (trace bytes, config, table, version)."""
    if keys is None:
        keys = identities(runs)
    return [r for r in runs if stored_key(out / "runs" / f"{r.run_id}.json") != keys[r.run_id]]


def identities(runs: list[Run]) -> dict[str, str]:
    digests: dict[str, str] = {}
    out = {}
    for r in runs:
        if r.trace not in digests:
            digests[r.trace] = file_sha256(r.trace)
        out[r.run_id] = identity(r, digests[r.trace])["key"]
    return out


class FolderLock:
    """An exclusive lock on a sweep's output folder (``out/.sweep.lock``, ``flock``): a second sweep on
    the same folder waits until the first is done, then finds its runs done.  The OS releases the lock
    when the holder exits, even on SIGKILL, so a killed sweep never leaves the folder locked."""

    def __init__(self, out: Path, on_wait: Callable[[str], None] | None = None) -> None:
        self.path = out / ".sweep.lock"
        self.on_wait = on_wait
        self.fh: Any = None

    def __enter__(self) -> "FolderLock":
        import fcntl
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            holder = self.fh.read().strip() or "another process"
            if self.on_wait:
                self.on_wait(f"waiting for the sweep ({holder}) that is writing {self.path.parent}")
            fcntl.flock(self.fh, fcntl.LOCK_EX)
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(f"pid {os.getpid()}\n")
        self.fh.flush()
        return self

    def __exit__(self, *exc: Any) -> None:
        import fcntl
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


#: seconds ``--scheduler ADDRESS`` waits for the scheduler to answer (dask's own default is 30 s)
CONNECT_TIMEOUT = 5.0


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())[:200] or type(e).__name__


def connect_scheduler(address: str, timeout: float = CONNECT_TIMEOUT) -> Any:
    """A dask Client on the scheduler at ``address``, or one clear error within about ``timeout`` seconds:
    a malformed address is a UsageError (exit 2); one that does not answer as a dask scheduler within
    ``timeout`` (nothing listening, unknown host, firewalled, not dask) is a ConfigError (exit 3).  The
    address is probed with one handshake first, so a failure never leaves a half-made Client behind."""
    import asyncio

    from dask.distributed import Client
    from distributed.comm import connect

    from accelsim.errors import UsageError

    async def handshake() -> None:
        comm = await connect(address, timeout=timeout)
        await comm.close()

    async def probe() -> None:  # connect's timeout does not cover a peer that accepts and stays silent
        try:
            await asyncio.wait_for(handshake(), timeout + 1.0)
        except asyncio.TimeoutError:
            raise OSError(f"no handshake within {timeout:g} s") from None

    where = f"--scheduler {address!r}"
    try:
        asyncio.run(probe())
    except (ValueError, TypeError) as e:
        raise UsageError(f"{where}: not a scheduler address ({_one_line(e)}); expected e.g. "
                         "tcp://HOST:8786") from None
    except OSError as e:  # timed out, refused, unknown host (dask retries until the timeout)
        raise ConfigError(f"{where}: no dask scheduler answered within {timeout:g} s ({_one_line(e)}); "
                          "check the address, or raise --connect-timeout") from None
    except Exception as e:  # something answered, but not with dask's handshake
        raise ConfigError(f"{where}: what answers there is not a dask scheduler ({_one_line(e)[:80]})") from None
    try:
        return Client(address, timeout=timeout)
    except Exception as e:
        raise ConfigError(f"{where}: cannot connect ({_one_line(e)})") from None


def execute(spec: SweepSpec, workers: int = 2, scheduler: str | None = None,
            on_done: Callable[[int, int], None] | None = None,
            on_wait: Callable[[str], None] | None = None,
            connect_timeout: float = CONNECT_TIMEOUT) -> dict[str, Any]:
    """Run every pending run of ``spec``; returns counts.  ``on_done(done, total)`` reports progress.
    With ``scheduler``, a scheduler that does not answer within ``connect_timeout`` seconds is an error."""
    runs = spec.runs()
    validate(runs)  # bad config values fail here, before any worker starts
    check_baseline(spec, runs)
    with FolderLock(spec.out, on_wait):
        return _execute(spec, runs, workers, scheduler, on_done, connect_timeout)


def _execute(spec: SweepSpec, runs: list[Run], workers: int, scheduler: str | None,
             on_done: Callable[[int, int], None] | None,
             connect_timeout: float = CONNECT_TIMEOUT) -> dict[str, Any]:
    from accelsim.results import write_json_atomic
    keys = identities(runs)
    todo = pending(runs, spec.out, keys)
    (spec.out / "runs").mkdir(parents=True, exist_ok=True)
    write_json_atomic([{"id": r.run_id, "trace": r.trace, "arch": r.arch, "overrides": r.overrides,
                        "key": keys[r.run_id]} for r in runs], spec.out / "sweep_runs.json")
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
            client = connect_scheduler(scheduler, connect_timeout)
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
    from accelsim import comparison
    from accelsim.results import NetworkResult
    if not spec.baseline:
        return []
    results = [NetworkResult.from_dict(json.loads((spec.out / "runs" / f"{r.run_id}.json").read_text()))
               for r in spec.runs()]  # this spec's runs only, not whatever else the folder holds
    rows = comparison.compare_rows(results, spec.baseline)
    comparison.write_compare(rows, spec.out)
    return rows
