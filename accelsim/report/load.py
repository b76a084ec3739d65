"""Reading a results folder written by ``compare --out`` / ``demo`` / ``sweep``: runs/*.json and CSVs."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from accelsim.errors import FormatError
from accelsim.results import NetworkResult


def load_runs(results_dir: str | Path, recursive: bool = True) -> list[NetworkResult]:
    """Every run of a results folder: ``runs/*.json`` (and, if ``recursive``, those of its subfolders)."""
    d = Path(results_dir)
    if not d.is_dir():
        raise FormatError(f"{d}: no such results folder")
    out = []
    for p in sorted(d.rglob("runs/*.json") if recursive else d.glob("runs/*.json")):
        try:
            data = json.loads(p.read_text())
            out.append(NetworkResult.from_dict(data))
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise FormatError(f"{p}: not an accelsim result file ({e})") from None
    return out


# Columns that hold names, never numbers: a layer named "0" or "1.5" stays the text it was.
TEXT_FIELDS = frozenset({"network", "trace", "layer", "arch", "baseline", "energy_unit", "energy_table",
                         "baseline_energy_table", "energy_basis", "net", "method", "system", "scheme", "design",
                         "label", "name"})


def load_csv(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path)
    with open(p, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        for k, v in list(r.items()):
            r[k] = v if k in TEXT_FIELDS else _num(v)
    return rows


def _num(v: str) -> Any:
    if v in ("True", "False"):
        return v == "True"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    return int(f) if f.is_integer() and "." not in v and "e" not in v.lower() else f
