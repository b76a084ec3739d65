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
            res = NetworkResult.from_dict(data)
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError, ValueError) as e:
            raise FormatError(f"{p}: not an accelsim result file ({' '.join(str(e).split())[:160]})") from None
        _check_numbers(res, p)
        out.append(res)
    return out


def _check_numbers(res: NetworkResult, p: Path) -> None:
    """Every numeric field of every layer is a finite number (a hand-edited file can hold anything)."""
    import math
    from dataclasses import fields
    from accelsim.results import LayerResult
    if not isinstance(res.layers, list) or not res.layers:
        raise FormatError(f"{p}: field 'layers' must be a non-empty list of layer results")
    for f in ("arch", "network"):
        if not isinstance(getattr(res, f), str) or not getattr(res, f):
            raise FormatError(f"{p}: field {f!r} must be a non-empty string, got {getattr(res, f)!r}")
    num = [f.name for f in fields(LayerResult) if f.type in ("int", "float", int, float)]
    for lr in res.layers:
        for f in num:
            v = getattr(lr, f)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise FormatError(f"{p}: layer {lr.name!r}: field {f!r} must be a finite number, got {v!r}")


# Columns that hold names, never numbers: a layer named "0" or "1.5" stays the text it was.
TEXT_FIELDS = frozenset({"network", "trace", "layer", "arch", "baseline", "energy_unit", "energy_table",
                         "baseline_energy_table", "energy_basis", "net", "method", "system", "scheme", "design",
                         "label", "name"})


def load_csv(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path)
    try:
        with open(p, newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (UnicodeDecodeError, csv.Error) as e:
        raise FormatError(f"{p}: not a CSV text file ({' '.join(str(e).split())[:120]})") from None
    for i, r in enumerate(rows, start=2):
        for k, v in list(r.items()):
            if k is None or v is None:
                raise FormatError(f"{p}, line {i}: the row does not match the header")
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
