"""Reading SCALE-Sim topology CSVs, so the topologies users already have run on every accelsim design.

Two forms (SCALE-Sim v2/v3, columns by position, a header line, trailing commas and extra columns
ignored, blank rows skipped):

* convolution: ``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
  Num Filter, Strides``.  SCALE-Sim does not model padding: its IFMAP sizes are the sizes the array
  reads, so accelsim uses padding 0.  A 1x1 filter on a 1x1 IFMAP becomes an FC layer.
* GEMM: ``Layer name, M, N, K``: an (M x K) by (K x N) product, which is an FC layer with M input rows
  (the batch), K input features and N outputs.

The header decides the form.  The result is an :class:`accelsim.trace.networks.Network`, which
``synth_trace`` fills with seeded tensors at the chosen densities.
"""
from __future__ import annotations

import csv
import math
import re
from pathlib import Path
from typing import Any

from accelsim.errors import ConfigError, TraceError
from accelsim.trace.format import LayerSpec
from accelsim.trace.networks import Network


def _ints(row: list[str], n: int, where: str) -> list[int]:
    vals = [c.strip() for c in row[1:1 + n]]
    if len(vals) < n or any(v == "" for v in vals):
        raise ConfigError(f"{where}: expected {n} numbers after the layer name, got {row[1:1 + n]}")
    out = []
    for v in vals:
        try:
            f = float(v)
        except ValueError:
            raise ConfigError(f"{where}: not a number among {vals}") from None
        if not math.isfinite(f) or f != int(f):
            raise ConfigError(f"{where}: {v!r} is not a whole number (sizes are integers)")
        out.append(int(f))
    if any(v <= 0 for v in out):
        raise ConfigError(f"{where}: sizes must be > 0, got {out}")
    return out


def read_topology(path: str | Path) -> tuple[Network, list[int]]:
    """Parse a SCALE-Sim topology; returns the network and, per layer, its GEMM batch (1 for conv
    rows; M for GEMM rows, which becomes the layer's N)."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: no such topology file")
    try:
        from accelsim.limits import read_text
        rows = [r for r in csv.reader(read_text(p).splitlines()) if any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ConfigError(f"{p}: cannot read as CSV ({e})") from None
    if len(rows) < 2:
        raise ConfigError(f"{p}: needs a header line and at least one layer")
    header = [c.strip().lower() for c in rows[0]]
    gemm = len(header) >= 4 and header[1:4] == ["m", "n", "k"]
    if not gemm and not (len(header) >= 8 and "ifmap" in header[1]):
        raise ConfigError(f"{p}: header is neither SCALE-Sim's convolution form (Layer name, IFMAP Height, "
                          f"...) nor its GEMM form (Layer name, M, N, K): {rows[0]}")
    layers: list[dict[str, Any]] = []
    batches: list[int] = []
    names: set[str] = set()
    for i, row in enumerate(rows[1:], start=2):
        where = f"{p}, line {i}"
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", row[0].strip()) or f"layer{i - 1}"
        if name in names:
            name = f"{name}_{i - 1}"
        names.add(name)
        if gemm:
            m, n, k = _ints(row, 3, where)
            d = {"name": name, "kind": "fc", "C": k, "H": 1, "W": 1, "M": n, "R": 1, "S": 1}
            batches.append(m)
        else:
            h, w, r, s, c, m, stride = _ints(row, 7, where)
            kind = "fc" if h == w == r == s == 1 else "conv"
            d = {"name": name, "kind": kind, "C": c, "H": h, "W": w, "M": m, "R": r, "S": s,
                 "stride": 1 if kind == "fc" else stride, "padding": 0, "groups": 1}
            batches.append(1)
        try:
            LayerSpec.from_dict({**d, "N": 1})
        except TraceError as e:
            raise ConfigError(f"{where}: {e}") from None
        layers.append(d)
    first = layers[0]
    net = Network(name=p.stem, description=f"SCALE-Sim topology {p.name}",
                  input_chw=(first["C"], first["H"], first["W"]), layers=tuple(layers))
    return net, batches
