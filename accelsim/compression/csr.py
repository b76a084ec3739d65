"""Compressed sparse row (CSR): the usual baseline format for sparse weights (e.g. Han et al. 2016, EIE).

Inputs: integer 16-bit codes or float arrays, quantized here; see :mod:`accelsim.compression`.

Shapes
    A 2-D array is (rows, cols).  An N-D array (N > 2) is viewed as ``rows = shape[0]`` and
    ``cols = prod(shape[1:])`` in C order, e.g. conv weights (M, C, R, S) become M rows of C*R*S values.
    A 1-D array of length n is one row of n columns.  0-d arrays raise FormatError.
Arrays
    ``values`` (nnz,) int64 codes of the non-zero entries, row by row, columns ascending;
    ``col_idx`` (nnz,) int64 their column numbers; ``row_ptr`` (rows + 1,) int64, row r's entries being
    ``values[row_ptr[r]:row_ptr[r + 1]]``.
Size
    ``nnz * value_bits + nnz * index_bits + (rows + 1) * ptr_bits`` with the defaults
    ``value_bits = 16``, ``index_bits = max(1, ceil(log2(cols)))`` (enough for any column number) and
    ``ptr_bits = max(1, ceil(log2(nnz + 1)))`` (enough for any pointer 0..nnz); all three can be overridden.

Golden case: [[0, 5, 0, 0], [0, 0, 0, 0], [7, 0, 0, -3]] gives values [5, 7, -3], col_idx [1, 0, 3],
row_ptr [0, 1, 1, 3]; index bits ceil(log2 4) = 2, pointer bits ceil(log2 4) = 2, size
3*16 + 3*2 + 4*2 = 62 bits.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from accelsim.compression.codes import as_codes, check_positive_int, check_shape
from accelsim.errors import FormatError


class CsrArrays(NamedTuple):
    """The three arrays of a CSR matrix (see the module docstring); unpacks as (values, col_idx, row_ptr)."""

    values: np.ndarray
    col_idx: np.ndarray
    row_ptr: np.ndarray


def matrix_shape(shape: tuple[int, ...], where: str = "csr") -> tuple[int, int]:
    """(rows, cols) of an array of ``shape`` under the module's N-D rule."""
    if len(shape) == 0:
        raise FormatError(f"{where}: expected an array with at least one dimension, got a 0-d array")
    if len(shape) == 1:
        return 1, int(shape[0])
    return int(shape[0]), int(np.prod(shape[1:], dtype=np.int64))


def _matrix(x: object, where: str) -> np.ndarray:
    codes = as_codes(x, where)
    rows, cols = matrix_shape(codes.shape, where)
    return codes.reshape(rows, cols)


def index_bits_for(cols: int) -> int:
    """Default column-index width: max(1, ceil(log2(cols)))."""
    return max(1, (int(cols) - 1).bit_length())


def ptr_bits_for(nnz: int) -> int:
    """Default row-pointer width: max(1, ceil(log2(nnz + 1)))."""
    return max(1, int(nnz).bit_length())


def csr_encode(matrix: object) -> CsrArrays:
    """Encode ``matrix`` (2-D, or N-D / 1-D under the module's rule) as CSR; returns (values, col_idx, row_ptr)."""
    m = _matrix(matrix, "csr_encode")
    r, c = np.nonzero(m)  # C order: by row, then column
    values = m[r, c].astype(np.int64)
    row_ptr = np.zeros(m.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=m.shape[0]), out=row_ptr[1:])
    return CsrArrays(values, c.astype(np.int64), row_ptr)


def csr_decode(values: object, col_idx: object, row_ptr: object, shape: tuple[int, ...]) -> np.ndarray:
    """Rebuild the dense int64 array of ``shape`` (the encoded array's own shape) from its CSR arrays.

    Raises FormatError if the arrays are inconsistent with each other or with ``shape``.
    """
    where = "csr_decode"
    shape = check_shape(shape, where)
    rows, cols = matrix_shape(shape, where)
    arrs = []
    for name, a in (("values", values), ("col_idx", col_idx), ("row_ptr", row_ptr)):
        a = np.asarray(a)
        if a.ndim != 1 or (a.size and a.dtype.kind not in "iu"):
            raise FormatError(f"{where}: {name} must be a 1-D integer array, got dtype {a.dtype}, shape {a.shape}")
        arrs.append(a.astype(np.int64))
    v, ci, rp = arrs
    if rp.shape[0] != rows + 1:
        raise FormatError(f"{where}: row_ptr has {rp.shape[0]} entries, expected rows + 1 = {rows + 1}")
    nnz = v.shape[0]
    if ci.shape[0] != nnz:
        raise FormatError(f"{where}: {nnz} values but {ci.shape[0]} column indices")
    if rp[0] != 0 or rp[-1] != nnz or np.any(np.diff(rp) < 0):
        raise FormatError(f"{where}: row_ptr must rise from 0 to nnz = {nnz} without decreasing")
    if nnz and (ci.min() < 0 or ci.max() >= cols):
        raise FormatError(f"{where}: column indices must lie in [0, {cols}), got {ci.min()}..{ci.max()}")
    r = np.repeat(np.arange(rows, dtype=np.int64), np.diff(rp))
    if nnz > 1:
        same_row = r[1:] == r[:-1]
        if np.any(same_row & (ci[1:] <= ci[:-1])):
            raise FormatError(f"{where}: column indices must be strictly increasing within each row")
    dense = np.zeros((rows, cols), dtype=np.int64)
    dense[r, ci] = v
    return dense.reshape(shape)


def csr_size_bits(matrix: object, value_bits: int = 16, index_bits: int | None = None,
                  ptr_bits: int | None = None) -> int:
    """CSR size in bits: ``nnz*value_bits + nnz*index_bits + (rows + 1)*ptr_bits`` (defaults in the module doc)."""
    where = "csr_size_bits"
    vb = check_positive_int(value_bits, "value_bits", where)
    m = _matrix(matrix, where)
    rows, cols = m.shape
    nnz = int(np.count_nonzero(m))
    ib = index_bits_for(cols) if index_bits is None else check_positive_int(index_bits, "index_bits", where)
    pb = ptr_bits_for(nnz) if ptr_bits is None else check_positive_int(ptr_bits, "ptr_bits", where)
    return nnz * vb + nnz * ib + (rows + 1) * pb
