"""Importing traces in the layouts of the peers' simulators, so users can bring the traces they have.

* **DNNsim** (github isakedo/DNNsim): a folder with ``trace_params.csv`` -- one row per layer,
  ``name,input,Nn,Kx,Ky,stride,pad`` or ``name,Nn,Kx,Ky,stride,pad`` (no header; a layer whose name
  contains ``fc``, ``inner_prod`` or ``Linear`` is fully connected, as DNNsim's reader decides) -- and
  per layer ``wgt-NAME.npy`` (K, C/groups, Kx, Ky) or (K, C), ``act-NAME-BATCH.npy`` (N, C, X, Y) or
  (N, C), and optionally ``act-NAME-BATCH-out.npy``.
* **MIsim** (github iniverno/MIsim, the Cnvlutin authors' simulator): ``NET_trace_params.csv`` with rows
  ``name,Nn,Kx,Ky,stride,pad`` and per layer ``NAME-0.npy``, the input activations of one image,
  (C, X, Y).  MIsim traces hold no weights (Cnvlutin skips on activations only): accelsim fills them
  with seeded random dense weights and says so in the manifest (``weights_synthetic``).  MIsim's CSV has
  no groups column (its testSystem.py hard-codes ``group = 1``), so grouped layers (AlexNet conv2/4/5)
  would come back ungrouped with twice their MACs: give the groups as an optional 7th column
  ``name,Nn,Kx,Ky,stride,pad,groups`` or as ``groups={name: g}`` (``--groups conv2=2,conv4=2``); the
  filled-in weights then have C/groups channels.

Groups are inferred from the weights' channel count (C / Ck), square filters are not assumed (Kx is the
filter width S, Ky its height R, as in both simulators' readers), and FC inputs that arrive as
(N, C, H, W) are flattened.  Arrays load with ``allow_pickle=False``; every problem is a TraceError
naming the file.
"""
from __future__ import annotations

import csv
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from accelsim.errors import TraceError
from accelsim.limits import check_layer, read_text
from accelsim.npyfile import check_npy_header
from accelsim.trace.format import LayerSpec, LayerTrace, Trace

FC_MARKERS = ("fc", "inner_prod", "Linear")


def _load_npy(path: Path) -> np.ndarray:
    if not path.is_file():
        raise TraceError(f"{path}: no such file")
    check_npy_header(path, TraceError)
    try:
        a = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        if "pickle" in msg.lower() or "object" in msg.lower():
            msg = "holds Python objects (pickled data is never loaded)"
        raise TraceError(f"{path}: not a readable .npy array ({msg[:160]})") from None
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "fiu":
        raise TraceError(f"{path}: expected a numeric array")
    if a.ndim == 0 or a.size == 0:
        raise TraceError(f"{path}: expected a non-empty tensor, got shape {a.shape}")
    return a


def _read_params(path: Path, allow_input_col: bool, allow_groups_col: bool = False) -> list[dict[str, Any]]:
    if not path.exists():
        raise TraceError(f"{path}: no such parameter file")
    rows = []
    try:
        text = read_text(path, TraceError)
    except (OSError, UnicodeDecodeError) as e:
        raise TraceError(f"{path}: cannot read as CSV text ({e.__class__.__name__})") from None
    if "\x00" in text:
        raise TraceError(f"{path}: holds NUL bytes: not a CSV text file")
    for i, row in enumerate(csv.reader(text.splitlines()), start=1):
        row = [c.strip() for c in row if c.strip() != ""] if row else []
        if not row or row[0].startswith("#") or row[0].lower() in ("layer", "name"):
            continue
        groups = None
        if len(row) == 7 and allow_input_col:
            row = [row[0]] + row[2:]
        elif len(row) == 7 and allow_groups_col:
            try:
                groups = int(row[6])
            except ValueError:
                raise TraceError(f"{path}, line {i}: groups (7th field) must be an integer") from None
            if groups < 1:
                raise TraceError(f"{path}, line {i}: groups must be >= 1, got {groups}")
            row = row[:6]
        if len(row) != 6:
            raise TraceError(f"{path}, line {i}: expected name,Nn,Kx,Ky,stride,pad"
                             + (" (or name,input,Nn,Kx,Ky,stride,pad)" if allow_input_col else "")
                             + (" (or name,Nn,Kx,Ky,stride,pad,groups)" if allow_groups_col else "")
                             + f", got {len(row)} fields")
        try:
            nn, kx, ky, stride, pad = (int(v) for v in row[1:])
        except ValueError:
            raise TraceError(f"{path}, line {i}: Nn, Kx, Ky, stride and pad must be integers") from None
        for f, v, lo in (("Nn", nn, 1), ("Kx", kx, 1), ("Ky", ky, 1), ("stride", stride, 1), ("pad", pad, 0)):
            if v < lo:
                raise TraceError(f"{path}, line {i}: field {f} must be >= {lo}, got {v}")
        rows.append({"name": row[0], "Nn": nn, "Kx": kx, "Ky": ky, "stride": stride, "pad": pad,
                     "groups": groups})
    if not rows:
        raise TraceError(f"{path}: no layers")
    return rows


def _layer(p: dict[str, Any], w: np.ndarray, x: np.ndarray, y: np.ndarray | None, fc: bool,
           where: str) -> LayerTrace:
    name = p["name"].replace("/", "-")
    if fc:
        n = x.shape[0]
        x2 = x.reshape(n, -1)
        w2 = w.reshape(w.shape[0], -1)
        if y is not None:
            y = y.reshape(n, -1)
        try:
            spec = LayerSpec(name, "fc", n, x2.shape[1], 1, 1, p["Nn"], 1, 1)
            check_layer(spec)
            return LayerTrace(spec, w2, x2, y)
        except TraceError as e:
            raise TraceError(f"{where}: {e}") from None
    if x.ndim != 4 or w.ndim != 4:
        raise TraceError(f"{where}: conv layer {name!r} needs 4-D activations and weights, got "
                         f"{x.shape} and {w.shape}")
    n, c, h, wd = x.shape
    k, ck, r, s = w.shape
    if ck == 0 or c % ck:
        raise TraceError(f"{where}: layer {name!r}: weights have {ck} channels, activations {c}: not a grouping")
    try:
        spec = LayerSpec(name, "conv", n, c, h, wd, p["Nn"], r, s, p["stride"], p["pad"], c // ck)
        check_layer(spec)
        return LayerTrace(spec, w, x, y)
    except TraceError as e:
        raise TraceError(f"{where}: {e}") from None


def import_dnnsim(folder: str | Path, batch: int = 0, network: str | None = None) -> Trace:
    d = Path(folder)
    if not d.is_dir():
        raise TraceError(f"{d}: no such folder")
    params = _read_params(d / "trace_params.csv", allow_input_col=True)
    layers = []
    for p in params:
        fc = any(m in p["name"] for m in FC_MARKERS)
        w = _load_npy(d / f"wgt-{p['name']}.npy")
        x = _load_npy(d / f"act-{p['name']}-{batch}.npy")
        out = d / f"act-{p['name']}-{batch}-out.npy"
        y = _load_npy(out) if out.exists() else None
        if y is not None and not fc and y.ndim == 4 and y.shape[1] != p["Nn"]:
            raise TraceError(f"{out}: {y.shape[1]} output channels, trace_params says {p['Nn']}")
        layers.append(_layer(p, w, x, y, fc, str(d)))
    src = {"synthetic": False, "imported_from": "DNNsim", "folder": str(d), "batch_file": batch}
    return Trace(network or d.name, layers, src)


def import_misim(folder: str | Path, network: str | None = None, seed: int = 0,
                 groups: dict[str, int] | None = None) -> Trace:
    """``groups`` {layer name: groups} overrides the CSV's optional groups column (default 1 per layer)."""
    d = Path(folder)
    if not d.is_dir():
        raise TraceError(f"{d}: no such folder")
    net = network or d.name
    pfile = d / f"{net}_trace_params.csv"
    if not pfile.exists():
        found = sorted(d.glob("*_trace_params.csv"))
        if len(found) != 1:
            raise TraceError(f"{pfile}: no such parameter file" + (f" (found {[f.name for f in found]}: pass "
                                                                   "--network)" if found else ""))
        pfile = found[0]
        net = pfile.name[: -len("_trace_params.csv")]
    params = _read_params(pfile, allow_input_col=False, allow_groups_col=True)
    groups = dict(groups or {})
    unknown = sorted(set(groups) - {p["name"] for p in params})
    if unknown:
        raise TraceError(f"{pfile}: groups given for layers not in the file: {', '.join(unknown)}")
    rng = np.random.default_rng(seed)
    layers = []
    for p in params:
        fc = any(m in p["name"] for m in FC_MARKERS)
        x = _load_npy(d / f"{p['name']}-0.npy")
        if x.ndim in (1, 3):
            x = x[None]
        c = int(np.prod(x.shape[1:])) if fc else x.shape[1]
        g = groups.get(p["name"], p["groups"] or 1)
        if g < 1 or (g > 1 and fc) or c % g or p["Nn"] % g:
            raise TraceError(f"{pfile}: layer {p['name']!r}: groups = {g} does not divide its {c} input channels "
                             f"and {p['Nn']} filters" + (" (an FC layer has one group)" if fc else ""))
        wshape = (p["Nn"], c) if fc else (p["Nn"], c // g, p["Ky"], p["Kx"])
        w = (rng.standard_normal(wshape) * np.sqrt(2.0 / max(1, int(np.prod(wshape[1:]))))).astype(np.float32)
        layers.append(_layer(p, w, x.astype(np.float32), None, fc, str(d)))
    src = {"synthetic": False, "imported_from": "MIsim", "folder": str(d), "weights_synthetic":
           f"MIsim traces hold no weights: seeded random dense weights (He std), seed {seed}",
           "groups": {lt.name: lt.spec.groups for lt in layers if lt.spec.groups > 1}}
    return Trace(net, layers, src)
