"""Compressed representations of tensors and their exact sizes in bits.

- :mod:`~accelsim.compression.rlc`: Eyeriss run-length coding of feature maps in DRAM (JSSC 2017 section IV-B);
- :mod:`~accelsim.compression.csr`: compressed sparse row, the usual baseline for sparse weights;
- :mod:`~accelsim.compression.zfnaf`: Cnvlutin's zero-free neuron array format (ISCA 2016);
- :mod:`~accelsim.compression.entropy`: the order-0 entropy bound, to show how close a format comes.

Inputs, the same rule for every codec
-------------------------------------
Every function takes either

- an **integer** array (any signed or unsigned integer dtype, or bool as 0/1): the values are taken as the
  16-bit fixed-point *codes* themselves, exactly as :func:`accelsim.fixedpoint.quantize` returns them; they
  must lie in the signed 16-bit range [-32768, 32767] or :class:`~accelsim.errors.FormatError` is raised; or
- a **float** array: it is quantized here, once, by ``accelsim.fixedpoint.quantize(x, bits=16)`` (one binary
  point for the whole array), and zero-ness is decided on the resulting codes.  NaN or inf raise
  :class:`~accelsim.errors.FormatError`.

Anything else (object, complex, string, structured arrays, 0-d arrays where a tensor is needed) raises
:class:`~accelsim.errors.FormatError`.  Decoders always return ``int64`` codes; turn them back into floats
with ``accelsim.fixedpoint.dequantize(codes, accelsim.fixedpoint.frac_bits_for(x))``.
"""
from __future__ import annotations

import numpy as np

from accelsim import fixedpoint
from accelsim.errors import ConfigError, FormatError

CODE_BITS = 16
"""Width of one datapath value (Eyeriss, DaDianNao and Cnvlutin are all 16-bit fixed point)."""
CODE_MIN = -(1 << (CODE_BITS - 1))
CODE_MAX = (1 << (CODE_BITS - 1)) - 1


def as_codes(x: object, where: str) -> np.ndarray:
    """Validate ``x`` and return its 16-bit fixed-point codes (see the module docstring for the rule).

    Integer arrays are returned without a copy (bool is viewed as uint8); float arrays are quantized with
    :func:`accelsim.fixedpoint.quantize` and come back as int64.  ``where`` names the caller in errors.
    """
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as e:
        raise FormatError(f"{where}: cannot make an array of the input: {e}") from None
    kind = a.dtype.kind
    if kind == "b":
        return a.view(np.uint8)
    if kind in "iu":
        if a.size and a.dtype.itemsize > 1 and a.dtype != np.int16:
            lo, hi = int(a.min()), int(a.max())
            if lo < CODE_MIN or hi > CODE_MAX:
                raise FormatError(
                    f"{where}: integer values must be 16-bit fixed-point codes in [{CODE_MIN}, {CODE_MAX}], "
                    f"got min {lo} and max {hi} (pass a float array to have it quantized)")
        return a
    if kind == "f":
        if a.size and not np.isfinite(a).all():
            raise FormatError(f"{where}: the array holds NaN or inf values")
        q, _ = fixedpoint.quantize(a, bits=CODE_BITS)
        return q
    raise FormatError(f"{where}: expected an integer, bool or float array, got dtype {a.dtype}")


def check_shape(shape: object, where: str) -> tuple[int, ...]:
    """A decoder's ``shape`` argument as a tuple of non-negative ints, else :class:`FormatError`."""
    try:
        out = tuple(int(s) for s in shape)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise FormatError(f"{where}: shape must be a tuple of integers, got {shape!r}") from None
    if any(s < 0 for s in out):
        raise FormatError(f"{where}: shape must not have negative sizes, got {out}")
    return out


def check_positive_int(value: object, name: str, where: str) -> int:
    """Return ``value`` as an int if it is an integer >= 1, else raise :class:`ConfigError`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or int(value) < 1:
        raise ConfigError(f"{where}: {name} must be an integer >= 1, got {value!r}")
    return int(value)


# The codecs import the helpers above, so they are imported after them.
from accelsim.compression.csr import CsrArrays, csr_decode, csr_encode, csr_size_bits  # noqa: E402
from accelsim.compression.entropy import entropy_bits  # noqa: E402
from accelsim.compression.rlc import (  # noqa: E402
    rlc_decode, rlc_encode, rlc_pairs, rlc_segment_size_bits, rlc_size_bits)
from accelsim.compression.zfnaf import (  # noqa: E402
    ZfnafArrays, zfnaf_brick_nnz, zfnaf_decode, zfnaf_encode, zfnaf_size_bits)

__all__ = [
    "CODE_BITS", "CODE_MAX", "CODE_MIN", "CsrArrays", "ZfnafArrays", "as_codes", "csr_decode", "csr_encode",
    "csr_size_bits", "entropy_bits", "rlc_decode", "rlc_encode", "rlc_pairs", "rlc_segment_size_bits",
    "rlc_size_bits", "zfnaf_brick_nnz", "zfnaf_decode", "zfnaf_encode", "zfnaf_size_bits",
]
