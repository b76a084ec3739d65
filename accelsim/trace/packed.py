"""Packed trace members (format v3): a sparse tensor as a bit mask of its non-zeros plus their values.

A layer's array ``kind`` is either the dense member ``layerI.kind`` (every version) or, from format
version 3 on, the pair

* ``layerI.kind.nzmask``: uint8, shape ``(ceil(n / 8),)``: the non-zero positions of the C-order
  flattened array, ``np.packbits`` bit order (most significant bit first), padding bits zero;
* ``layerI.kind.nzvalues``: float16 or float32, shape ``(k,)``: the k non-zero values in C order, k =
  number of set bits, none zero.

The writer picks, per array: float16 values when every value is exactly a float16 (``trace synth
--values float16`` draws such values), else float32; the packed pair when it is smaller than the dense
array.  Members are stored without deflate: random values and positions do not compress, and deflate
costs about 70 ns per value (several times drawing them).  At density d a float16 array costs
``1/8 + 2 d`` bytes per value instead of 4.

Reading checks each header (dtype, shape) before any data is read, then that the mask's set bits
number k, its padding bits are clear and no value is zero: a damaged or inconsistent pair is a
:class:`TraceError` naming the file, layer and array.
"""
from __future__ import annotations

import zipfile
from typing import Any

import numpy as np

from accelsim.errors import TraceError
from accelsim.trace.npzcheck import member_header

MASK, VALUES = "nzmask", "nzvalues"
PACKED_VERSION = 3
VALUE_DTYPES = (np.dtype(np.float16), np.dtype(np.float32))


def packed_keys(key: str) -> tuple[str, str]:
    return f"{key}.{MASK}", f"{key}.{VALUES}"


def exact_float16(a: np.ndarray) -> bool:
    """True when every value of float32 ``a`` is exactly a float16 (so storing it as float16 loses nothing)."""
    a = np.asarray(a).reshape(-1)
    if a.dtype == np.float16:
        return True
    step = 1 << 20  # chunked: temporaries stay small on a layer of hundreds of millions of values
    with np.errstate(over="ignore"):
        return all(np.array_equal(a[i:i + step].astype(np.float16).astype(a.dtype), a[i:i + step])
                   for i in range(0, a.size, step))


def encode(arr: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """(mask, values) if the packed form is smaller than the dense one, else (None, dense array); values and
    the dense array are float16 when that is exact."""
    from accelsim.kernels.packed import pack
    flat = np.ascontiguousarray(arr, dtype=np.float32).reshape(-1)
    n = flat.size
    k = int(np.count_nonzero(flat))
    dt = np.float16 if exact_float16(flat) else np.float32
    item = np.dtype(dt).itemsize
    if (n + 7) // 8 + k * item < n * item:
        mask, values = pack(flat)
        return mask, values.astype(dt)
    return None, np.ascontiguousarray(arr, dtype=dt) if dt == np.float16 else np.ascontiguousarray(arr)


def _put(zf: zipfile.ZipFile, key: str, arr: np.ndarray, compress: int) -> None:
    """One ``.npy`` member: deflated as the archive says (its compresslevel), or stored."""
    target = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))  # fixed: same input, same bytes
    target.compress_type = compress
    if compress != zipfile.ZIP_STORED:
        target._compresslevel = zf.compresslevel  # what ZipFile.open does for a name (Python 3.8-3.13)
    with zf.open(target, "w", force_zip64=True) as fh:
        np.lib.format.write_array(fh, np.asanyarray(arr), allow_pickle=False)


def write_array(zf: zipfile.ZipFile, key: str, arr: np.ndarray, packed: bool) -> bool:
    """Write array ``key`` into an open archive: packed (when smaller; stored) if ``packed``, else dense and
    deflated.  Returns True when it wrote the packed pair."""
    if not packed:
        _put(zf, key, arr, zipfile.ZIP_DEFLATED)
        return False
    mask, values = encode(arr)
    if mask is None:
        _put(zf, key, values.reshape(np.shape(arr)), zipfile.ZIP_STORED)
        return False
    mk, vk = packed_keys(key)
    _put(zf, mk, mask, zipfile.ZIP_STORED)
    _put(zf, vk, values, zipfile.ZIP_STORED)
    return True


def read_packed(npz: Any, key: str, shape: tuple[int, ...], p: str, layer: str, kind: str) -> np.ndarray:
    """The float32 array of ``shape`` held by the packed pair of ``key``, every part checked."""
    where = f"{p}: layer {layer!r}: array {kind!r}"
    n = int(np.prod(shape, dtype=np.int64))
    mk, vk = packed_keys(key)
    heads = {}
    for m in (mk, vk):
        if m not in npz.files:
            raise TraceError(f"{where}: packed member {m!r} is missing")
        try:
            heads[m] = member_header(npz, m)
        except Exception as e:  # noqa: BLE001 - any damage in the header is a bad file
            raise TraceError(f"{where}: member {m!r} has an unreadable .npy header ({str(e)[:200]})") from None
    mshape, mdt = heads[mk]
    if mdt != np.uint8 or mshape != ((n + 7) // 8,):
        raise TraceError(f"{where}: mask member must be uint8 of shape {((n + 7) // 8,)}, "
                         f"got {mdt} of shape {mshape}")
    vshape, vdt = heads[vk]
    if vdt.hasobject or vdt not in VALUE_DTYPES or len(vshape) != 1 or vshape[0] > n:
        raise TraceError(f"{where}: values member must be float16 or float32 of shape (k,) with k <= {n}, "
                         f"got {vdt} of shape {vshape}")
    from accelsim.kernels.packed import unpack
    mask = _read(npz, mk, where)
    if n % 8 and int(mask[-1]) & ((1 << (8 - n % 8)) - 1):
        raise TraceError(f"{where}: mask member has padding bits set")
    values = _read(npz, vk, where)
    k = values.shape[0]
    if values.dtype == np.float16:
        from accelsim.kernels.packed import count_zero_halves
        zeros = int(count_zero_halves(np.ascontiguousarray(values).view(np.uint16)))
    else:
        zeros = k - int(np.count_nonzero(values))
    if zeros:
        raise TraceError(f"{where}: values member holds zeros (a packed array lists only non-zeros)")
    out, seen = unpack(mask, values, n)
    if seen != k:
        raise TraceError(f"{where}: mask marks {seen} non-zeros but the values member holds {k}")
    return out.reshape(shape)


def _read(npz: Any, key: str, where: str) -> np.ndarray:
    try:
        return npz[key]
    except Exception as e:  # noqa: BLE001 - zlib, zip, EOF, value errors from a damaged member
        raise TraceError(f"{where}: member {key!r} is truncated or corrupt ({str(e)[:200]})") from None
