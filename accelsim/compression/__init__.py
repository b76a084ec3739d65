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

from accelsim.compression.codes import (CODE_BITS, CODE_MAX, CODE_MIN, as_codes, check_positive_int,  # noqa: F401
                                        check_shape)
from accelsim.compression.csr import CsrArrays, csr_decode, csr_encode, csr_size_bits
from accelsim.compression.entropy import entropy_bits
from accelsim.compression.rlc import (
    rlc_decode, rlc_encode, rlc_pairs, rlc_segment_size_bits, rlc_size_bits)
from accelsim.compression.zfnaf import (
    ZfnafArrays, zfnaf_brick_nnz, zfnaf_decode, zfnaf_encode, zfnaf_size_bits)

__all__ = [
    "CODE_BITS", "CODE_MAX", "CODE_MIN", "CsrArrays", "ZfnafArrays", "as_codes", "csr_decode", "csr_encode",
    "csr_size_bits", "entropy_bits", "rlc_decode", "rlc_encode", "rlc_pairs", "rlc_segment_size_bits",
    "rlc_size_bits", "zfnaf_brick_nnz", "zfnaf_decode", "zfnaf_encode", "zfnaf_size_bits",
]
