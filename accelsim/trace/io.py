"""Reading and writing trace files: one ``.npz`` with a JSON manifest (README, "Traces").

Format v2 is written; v1 files still load.  v2 keys each layer's arrays by its index in the manifest
(``layer0.weights``, ``layer0.inputs``, ``layer0.outputs``, ...), so a layer's display name can be anything
(``/``, ``.``, digits); v1 keyed them by name (``conv1.weights``).  v2 manifests also carry ``skipped``: the
model's operations that hold weights or do MACs but are not in the trace.

The loader never executes anything from the file: ``np.load(..., allow_pickle=False)``, the manifest is
JSON text, and every field and array is validated.  Every problem raises :class:`TraceError` naming the
file, the layer and the field.
"""
from __future__ import annotations

import json
import os
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from accelsim import atomic
from accelsim.errors import TraceError
from accelsim.trace.format import (FORMAT_NAME, FORMAT_VERSION, READABLE_VERSIONS, LayerSpec, LayerTrace, Trace,
                                   check_skipped)
from accelsim.trace.npzcheck import check_manifest_member, check_member
from accelsim.trace.packed import PACKED_VERSION, packed_keys, read_packed

ARRAY_KINDS = ("weights", "inputs", "outputs")
_SHAPES = {"weights": lambda s: s.weight_shape, "inputs": lambda s: s.input_shape,
           "outputs": lambda s: s.output_shape}


def save_trace(trace: Trace, path: str | os.PathLike[str], compressed: bool = True) -> Path:
    """Write ``trace`` to ``path`` (``.npz``), atomically (a temporary file then a rename)."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
    try:
        text = json.dumps(trace.manifest(), sort_keys=False)
    except TypeError as e:
        raise TraceError(f"{path}: the trace's source record is not JSON-serializable: {e}") from None
    arrays: dict[str, np.ndarray] = {"manifest": np.array(text)}
    for i, lt in enumerate(trace.layers):
        arrays[member(i, lt.name, "weights")] = lt.weights
        arrays[member(i, lt.name, "inputs")] = lt.inputs
        if lt.outputs is not None:
            arrays[member(i, lt.name, "outputs")] = lt.outputs
    atomic.write_with(path, lambda fh: (np.savez_compressed if compressed else np.savez)(fh, **arrays))
    return path


def member(index: int, name: str, kind: str, version: int = FORMAT_VERSION) -> str:
    """The archive member holding array ``kind`` of layer ``index`` (named ``name``) in a file of ``version``."""
    return f"{name}.{kind}" if version == 1 else f"layer{index}.{kind}"


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate only the manifest of a trace file (fast: no tensor is loaded)."""
    with _open(path) as npz:
        return _manifest(npz, str(path))


def load_trace(path: str | os.PathLike[str], layers: list[str] | None = None) -> Trace:
    """Load and validate a trace; ``layers`` restricts it to the named layers (in the file's order)."""
    p = str(path)
    with _open(path) as npz:
        man = _manifest(npz, p)
        version = man["version"]
        specs = [LayerSpec.from_dict(d, where=p, version=version) for d in man["layers"]]
        index = {s.name: i for i, s in enumerate(specs)}
        names = [s.name for s in specs]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise TraceError(f"{p}: duplicate layer name(s) {dup} in the manifest")
        if layers is not None:
            unknown = [n for n in layers if n not in names]
            if unknown:
                raise TraceError(f"{p}: no layer(s) {unknown} in this trace (it has {names})")
            specs = [s for s in specs if s.name in layers]
        expected = {member(i, n, k, version) for i, n in enumerate(names) for k in ARRAY_KINDS} | {"manifest"}
        if version >= PACKED_VERSION:
            expected |= {m for e in list(expected) for m in packed_keys(e)}
        extra = sorted(set(npz.files) - expected)
        if extra:
            warnings.warn(f"{p}: ignoring member(s) not named by the manifest: {extra[:5]}", stacklevel=2)
        out = []
        for s in specs:
            arrs = {}
            for k in ARRAY_KINDS:
                key = member(index[s.name], s.name, k, version)
                if version >= PACKED_VERSION and any(m in npz.files for m in packed_keys(key)):
                    if key in npz.files:
                        raise TraceError(f"{p}: layer {s.name!r}: array {k!r} is stored both dense and packed")
                    arrs[k] = read_packed(npz, key, _SHAPES[k](s), p, s.name, k)
                    continue
                if key not in npz.files:
                    if k == "outputs":
                        arrs[k] = None
                        continue
                    raise TraceError(f"{p}: layer {s.name!r}: array {k!r} (member {key!r}) is missing")
                check_member(npz, key, _SHAPES[k](s), p, s.name, k)  # header only, before decompressing
                arrs[k] = _array(npz, key, p, s.name, k)
            try:
                out.append(LayerTrace(s, arrs["weights"], arrs["inputs"], arrs["outputs"]))
            except TraceError as e:
                raise TraceError(f"{p}: {e}") from None
    source = man.get("source", {})
    tr = Trace(network=str(man.get("network", Path(p).stem)), layers=out, source=source, path=p,
               skipped=man.get("skipped", []), version=man["version"])
    for lt in tr.layers:   # the file's order decides, also when only some layers are loaded
        lt.network_input = index[lt.name] == 0
    return tr


class _open:
    """Context manager around np.load turning every low-level failure into a TraceError."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = str(path)

    def __enter__(self) -> Any:
        p = self.path
        if not os.path.exists(p):
            raise TraceError(f"{p}: no such file")
        if os.path.isdir(p):
            raise TraceError(f"{p}: is a directory, not a trace file")
        with open(p, "rb") as fh:
            magic = fh.read(6)
        if magic.startswith(b"\x93NUMPY"):
            raise TraceError(f"{p}: a single .npy array, not a trace (.npz) file")
        if not magic.startswith(b"PK"):
            raise TraceError(f"{p}: not a trace (.npz) file: it is not a zip archive")
        try:
            self.npz = np.load(p, allow_pickle=False)
        except Exception as e:  # BadZipFile, EOFError, OSError, ValueError, NotImplementedError (bad zip fields)
            raise TraceError(f"{p}: not a readable trace (.npz) file ({_short(e)})") from None
        if not hasattr(self.npz, "files"):
            raise TraceError(f"{p}: a single .npy array, not a trace (.npz) file")
        return self.npz

    def __exit__(self, *exc: Any) -> None:
        self.npz.close()


def _short(e: BaseException) -> str:
    s = str(e).splitlines()[0] if str(e) else type(e).__name__
    return s[:200]


def _array(npz: Any, key: str, p: str, layer: str, kind: str) -> np.ndarray:
    try:
        a = npz[key]
    except ValueError as e:
        if "pickle" in str(e).lower() or "object" in str(e).lower():
            raise TraceError(f"{p}: layer {layer!r}: array {kind!r} holds Python objects "
                             "(pickled data is never loaded)") from None
        raise TraceError(f"{p}: layer {layer!r}: array {kind!r} is corrupt ({_short(e)})") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as e:
        raise TraceError(f"{p}: layer {layer!r}: array {kind!r} is truncated or corrupt ({_short(e)})") from None
    except Exception as e:  # zlib.error and friends from a damaged member
        raise TraceError(f"{p}: layer {layer!r}: array {kind!r} is truncated or corrupt ({_short(e)})") from None
    return a


def _manifest(npz: Any, p: str) -> dict[str, Any]:
    if "manifest" not in npz.files:
        raise TraceError(f"{p}: no 'manifest' member: not an accelsim trace")
    check_manifest_member(npz, p)
    try:
        m = npz["manifest"]
    except Exception as e:
        raise TraceError(f"{p}: field 'manifest' is unreadable ({_short(e)})") from None
    if m.dtype.kind != "U" or m.ndim != 0:
        raise TraceError(f"{p}: field 'manifest' must be a 0-d unicode array holding JSON, "
                         f"got dtype {m.dtype} with shape {m.shape}")
    try:
        man = json.loads(str(m))
    except json.JSONDecodeError as e:
        raise TraceError(f"{p}: field 'manifest' is not valid JSON ({e.msg} at char {e.pos})") from None
    except RecursionError:
        raise TraceError(f"{p}: field 'manifest' is nested too deeply") from None
    if not isinstance(man, dict):
        raise TraceError(f"{p}: field 'manifest' must be a JSON object")
    if man.get("format") != FORMAT_NAME:
        raise TraceError(f"{p}: field 'format' must be {FORMAT_NAME!r}, got {man.get('format')!r}")
    if type(man.get("version")) is not int or man["version"] not in READABLE_VERSIONS:
        raise TraceError(f"{p}: unknown trace format version {man.get('version')!r} "
                         f"(this accelsim reads versions {', '.join(map(str, READABLE_VERSIONS))})")
    if not isinstance(man.get("layers"), list) or not man["layers"]:
        raise TraceError(f"{p}: field 'layers' must be a non-empty list")
    if "source" in man and not isinstance(man["source"], dict):
        raise TraceError(f"{p}: field 'source' must be a JSON object")
    if man["version"] == 1 and "skipped" in man:
        raise TraceError(f"{p}: field 'skipped' is not part of format version 1")
    man["skipped"] = check_skipped(man.get("skipped", []), where=p)
    return man
