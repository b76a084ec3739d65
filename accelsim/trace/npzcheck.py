"""Checking a trace member's .npy header (shape and dtype) before any of its data is read.

A small compressed file can hold a member that decompresses to gigabytes.  Reading only the member's
header (a few hundred bytes) says what the data would be; a member whose shape differs from what the
manifest (already checked against :mod:`accelsim.limits`) says, or whose dtype is not numeric, is refused
before it is decompressed.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from accelsim.errors import TraceError
from accelsim.npyfile import MAX_HEADER_BYTES, header_from

MAX_MANIFEST_CHARS = 64 << 20


def _short(e: BaseException) -> str:
    s = str(e).splitlines()[0] if str(e) else type(e).__name__
    return s[:200]


def member_header(npz: Any, key: str) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) of member ``key`` of an open ``np.load`` archive, from its header only."""
    zf = npz.zip
    name = key + ".npy" if key + ".npy" in zf.namelist() else key
    with zf.open(name) as fh:
        return header_from(fh)


def check_member(npz: Any, key: str, expected: tuple[int, ...], p: str, layer: str, kind: str) -> None:
    """Refuse member ``key`` (array ``kind`` of ``layer``) unless its header says a numeric ``expected`` shape."""
    where = f"{p}: layer {layer!r}: array {kind!r}"
    try:
        shape, dtype = member_header(npz, key)
    except Exception as e:  # noqa: BLE001 - any damage in the header is a bad file
        raise TraceError(f"{where} has an unreadable .npy header ({_short(e)})") from None
    if dtype.hasobject:
        raise TraceError(f"{where} holds Python objects (pickled data is never loaded)")
    if dtype.kind not in "fiu":
        raise TraceError(f"{where} must hold numbers, got dtype {dtype}")
    if shape != tuple(expected):
        raise TraceError(f"{where} has shape {shape}, the manifest says {tuple(expected)}")


def check_manifest_member(npz: Any, p: str) -> None:
    """Refuse a manifest member that is not a 0-d unicode array of reasonable size, before reading it."""
    try:
        shape, dtype = member_header(npz, "manifest")
    except Exception as e:  # noqa: BLE001
        raise TraceError(f"{p}: field 'manifest' has an unreadable .npy header ({_short(e)})") from None
    if dtype.kind != "U" or shape != ():
        raise TraceError(f"{p}: field 'manifest' must be a 0-d unicode array holding JSON, "
                         f"got dtype {dtype} with shape {shape}")
    if dtype.itemsize // 4 > MAX_MANIFEST_CHARS:
        raise TraceError(f"{p}: field 'manifest' holds {dtype.itemsize // 4} characters, over the limit of "
                         f"{MAX_MANIFEST_CHARS}")
