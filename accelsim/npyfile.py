"""Checking a standalone ``.npy`` file's header (shape, dtype) before its data is read.

Used by every reader of ``.npy`` files (``compress``, ``trace import``): a header that does not parse,
claims an object dtype, or claims more elements than the file holds or than :mod:`accelsim.limits`
allows is refused with one line naming the file, before anything is allocated.
"""
from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from accelsim.limits import WORK_FACTOR, max_bytes

MAX_HEADER_BYTES = 10000


def read_npy_header(path: str | os.PathLike[str]) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, data offset) from the header of ``path``; raises ValueError on a bad header."""
    with open(path, "rb") as fh:
        shape, dtype = header_from(fh)
        return shape, dtype, fh.tell()


def header_from(fh: Any) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) from the .npy header at the start of the open binary file ``fh`` (data not read)."""
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(fh, max_header_size=MAX_HEADER_BYTES)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(fh, max_header_size=MAX_HEADER_BYTES)
    else:
        shape, _, dtype = np.lib.format._read_array_header(fh, version, max_header_size=MAX_HEADER_BYTES)
    return tuple(int(x) for x in shape), np.dtype(dtype)


def check_npy_header(path: str | os.PathLike[str], error: type[Exception]) -> tuple[tuple[int, ...], np.dtype]:
    """Validate the header of ``path`` (raising ``error`` with one line) and return (shape, dtype)."""
    try:
        shape, dtype, offset = read_npy_header(path)
    except Exception as e:  # noqa: BLE001 - ValueError, SyntaxError, TokenError, EOFError from a bad header
        msg = " ".join(str(e).split())[:160] or type(e).__name__
        raise error(f"{path}: cannot read the .npy header ({msg})") from None
    if dtype.hasobject:
        raise error(f"{path}: holds an object array (pickled Python objects), which accelsim never loads")
    n = math.prod(shape)
    need = n * dtype.itemsize
    have = os.path.getsize(path) - offset
    if need > have:
        raise error(f"{path}: cannot read the array: the header says shape {shape} ({need} bytes of data) "
                    f"but the file holds {have} bytes (truncated or corrupt)")
    if need * WORK_FACTOR > max_bytes():
        raise error(f"{path}: shape {shape} is over the memory limit (ACCELSIM_MAX_BYTES)")
    return shape, dtype


def load_npy_checked(path: str | os.PathLike[str], error: type[Exception]) -> Any:
    check_npy_header(path, error)
    return np.load(path, allow_pickle=False)
