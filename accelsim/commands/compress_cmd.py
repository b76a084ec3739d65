"""``accelsim compress --format rlc|csr|zfnaf FILE.npy [--json]``: the compressed size of one array.

Loads one ``.npy`` array (never pickled data), sizes it in one of the formats of
:mod:`accelsim.compression` and prints either a short table or one JSON object.  Bad input (missing file,
not an ``.npy`` array, object/complex arrays, NaN/inf, 0-d or empty arrays, integers outside 16-bit) is a
:class:`~accelsim.errors.FormatError`: exit code 3 and one line on stderr.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import numpy as np

from accelsim import fixedpoint
from accelsim.commands._common import int_at_least
from accelsim.compression import CODE_BITS, as_codes
from accelsim.compression.csr import csr_size_bits, index_bits_for, matrix_shape, ptr_bits_for
from accelsim.compression.entropy import entropy_bits
from accelsim.compression.rlc import WORD_BITS, rlc_pairs
from accelsim.compression.zfnaf import LAYOUTS, zfnaf_brick_nnz, zfnaf_size_bits
from accelsim.errors import FormatError

FORMATS = ("rlc", "csr", "zfnaf")
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"


DESCRIPTION = """\
Print the exact compressed size of one array saved with numpy.save (FILE.npy) in one of the formats of
the accelerators accelsim models, next to its dense size (16 bits per value) and its order-0 entropy.

Values: integer arrays are taken as 16-bit fixed-point codes (they must lie in [-32768, 32767]); float
arrays are first quantized to 16-bit fixed point with one binary point for the whole array
(accelsim.fixedpoint.quantize), and a value counts as zero when it rounds to 0.

Formats:
  rlc    Eyeriss run-length coding (JSSC 2017 IV-B): 5-bit zero run + 16-bit level, 3 pairs and a
         last-word bit per 64-bit word.  The whole array, flattened in C order, is ONE stream.
  csr    compressed sparse row: rows = first dimension, columns = product of the others (a 1-D array
         is one row); size = nnz*16 + nnz*index_bits + (rows+1)*ptr_bits.
  zfnaf  Cnvlutin zero-free neuron array format (ISCA 2016): bricks of 16 channels at one position of an
         (N, C, H, W), (C, H, W) or (N, C) array, each non-zero with a 4-bit offset.
"""

EPILOG = """\
JSON output (--json) is one object with: format, file, shape, dtype, elements, nonzeros, dense_bits,
bits, ratio (dense_bits / bits), entropy_bits, bits_over_entropy, frac_bits (float input only, else null)
and the format's own fields (rlc: pairs, words; csr: rows, cols, value_bits, index_bits, ptr_bits;
zfnaf: layout, bricks).

Exit codes: 0 ok, 2 usage error, 3 bad input file (one line on stderr).
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "compress", help="compressed size of one .npy array in RLC, CSR or ZFNAf",
        description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE.npy",
                   help="the array to size, as written by numpy.save (pickled/object arrays are refused)")
    p.add_argument("--format", required=True, choices=FORMATS,
                   help="the compressed format: rlc (whole array = one stream, C order), csr or zfnaf")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (fields listed below) instead of a table")
    p.add_argument("--layout", choices=LAYOUTS, default=None,
                   help="zfnaf only: 'fixed' = every brick keeps 16 slots of 16-bit value + 4-bit offset "
                        "(the paper's addressable layout, the default); 'compact' = only the non-zeros "
                        "(20 bits each) plus a 5-bit count per brick")
    p.add_argument("--index-bits", type=int_at_least(1), default=None, metavar="BITS",
                   help="csr only: bits per column index (default ceil(log2(columns)), at least 1)")
    p.add_argument("--ptr-bits", type=int_at_least(1), default=None, metavar="BITS",
                   help="csr only: bits per row pointer (default ceil(log2(nonzeros + 1)), at least 1)")
    p.set_defaults(func=lambda args: run(args, p))


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())


def load_npy(path: str) -> np.ndarray:
    """Load and validate one numeric, finite, non-empty array from an ``.npy`` file (FormatError otherwise)."""
    if not os.path.exists(path):
        raise FormatError(f"{path}: no such file")
    if os.path.isdir(path):
        raise FormatError(f"{path}: is a directory, expected an .npy file")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(len(_NPY_MAGIC))
    except OSError as e:
        raise FormatError(f"{path}: cannot read: {_one_line(e)}") from None
    if magic.startswith(_ZIP_MAGIC):
        raise FormatError(f"{path}: is an .npz archive (e.g. a trace); expected one array saved with numpy.save")
    if magic != _NPY_MAGIC:
        raise FormatError(f"{path}: not an .npy file (no NumPy header); save the array with numpy.save")
    from accelsim.npyfile import check_npy_header
    check_npy_header(path, FormatError)
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as e:
        if "allow_pickle" in str(e) or "bject" in str(e):
            raise FormatError(f"{path}: holds an object array (pickled Python objects), which accelsim never "
                              "loads; save a numeric array") from None
        raise FormatError(f"{path}: cannot read the .npy array: {_one_line(e)}") from None
    except (OSError, EOFError) as e:
        raise FormatError(f"{path}: cannot read the .npy array (truncated?): {_one_line(e)}") from None
    except Exception as e:  # noqa: BLE001 - numpy's header parser raises SyntaxError, TokenError, ...
        raise FormatError(f"{path}: cannot read the .npy array: {_one_line(e)}") from None
    if not isinstance(arr, np.ndarray):  # pragma: no cover - the magic check rules out .npz
        raise FormatError(f"{path}: expected one array")
    if arr.dtype.kind not in "biuf":
        raise FormatError(f"{path}: dtype {arr.dtype} is not supported; expected integer codes, bool or float")
    if arr.ndim == 0:
        raise FormatError(f"{path}: holds a 0-d array (a scalar); expected a tensor")
    if arr.size == 0:
        raise FormatError(f"{path}: the array has no elements (shape {arr.shape})")
    if arr.dtype.kind == "f":
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        if bad:
            raise FormatError(f"{path}: {bad} value(s) are NaN or inf")
    return arr


def measure(arr: np.ndarray, fmt: str, layout: str | None = None, index_bits: int | None = None,
            ptr_bits: int | None = None) -> dict[str, Any]:
    """The report of one array in one format (the fields of the JSON output, without ``file``)."""
    codes = as_codes(arr, fmt)
    elements = int(arr.size)
    dense_bits = CODE_BITS * elements
    out: dict[str, Any] = {"format": fmt, "shape": list(arr.shape), "dtype": str(arr.dtype),
                           "elements": elements, "nonzeros": int(np.count_nonzero(codes)),
                           "dense_bits": dense_bits}
    extra: dict[str, Any]
    if fmt == "rlc":
        pairs = int(rlc_pairs(codes).shape[0])
        bits = WORD_BITS * -(-pairs // 3)
        extra = {"stream": "whole array, C order", "pairs": pairs, "words": bits // WORD_BITS}
    elif fmt == "csr":
        rows, cols = matrix_shape(codes.shape, "csr")
        ib = index_bits_for(cols) if index_bits is None else index_bits
        pb = ptr_bits_for(out["nonzeros"]) if ptr_bits is None else ptr_bits
        if ib < index_bits_for(cols):
            raise FormatError(f"--index-bits {ib} cannot address {cols} columns (needs {index_bits_for(cols)})")
        if pb < ptr_bits_for(out["nonzeros"]):
            raise FormatError(f"--ptr-bits {pb} cannot count {out['nonzeros']} non-zeros "
                              f"(needs {ptr_bits_for(out['nonzeros'])})")
        bits = csr_size_bits(codes, value_bits=CODE_BITS, index_bits=ib, ptr_bits=pb)
        extra = {"rows": rows, "cols": cols, "value_bits": CODE_BITS, "index_bits": ib, "ptr_bits": pb}
    else:
        lay = layout or "fixed"
        bits = zfnaf_size_bits(codes, layout=lay)
        extra = {"layout": lay, "bricks": int(zfnaf_brick_nnz(codes).size)}
    ent = entropy_bits(codes)
    out.update({"bits": int(bits), "ratio": dense_bits / bits if bits else None, "entropy_bits": ent,
                "bits_over_entropy": bits / ent if ent > 0 else None,
                "frac_bits": fixedpoint.frac_bits_for(arr, CODE_BITS) if arr.dtype.kind == "f" else None})
    out.update(extra)
    return out


def _table(r: dict[str, Any]) -> str:
    fmt = r["format"]
    if fmt == "rlc":
        detail = (f"rlc (the whole array is one stream, C order): {r['pairs']} (run, level) pair(s) "
                  f"in {r['words']} 64-bit word(s)")
    elif fmt == "csr":
        detail = (f"csr: {r['rows']} rows x {r['cols']} columns, {r['value_bits']}-bit values, "
                  f"{r['index_bits']}-bit column indices, {r['ptr_bits']}-bit row pointers")
    else:
        detail = f"zfnaf, {r['layout']} layout: {r['bricks']} bricks of 16 channels"
    q = "integer codes" if r["frac_bits"] is None else f"float, quantized with {r['frac_bits']} fraction bits"
    ratio = "n/a" if r["ratio"] is None else f"{r['ratio']:.3f}x"
    vs = "n/a" if r["bits_over_entropy"] is None else f"{r['bits_over_entropy']:.3f}x the bound"
    rows = [
        ("file", r["file"]),
        ("array", f"shape {tuple(r['shape'])}, {r['dtype']} ({q})"),
        ("format", detail),
        ("elements", str(r["elements"])),
        ("nonzeros", f"{r['nonzeros']} ({100.0 * r['nonzeros'] / r['elements']:.1f} %)"),
        ("dense bits", f"{r['dense_bits']} (16 per value)"),
        ("compressed bits", str(r["bits"])),
        ("ratio", f"{ratio} (dense / compressed)"),
        ("entropy bits", f"{r['entropy_bits']:.1f} (order-0 bound; compressed = {vs})"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows) + "\n"


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.layout is not None and args.format != "zfnaf":
        parser.error("--layout applies only to --format zfnaf")
    if (args.index_bits is not None or args.ptr_bits is not None) and args.format != "csr":
        parser.error("--index-bits and --ptr-bits apply only to --format csr")
    arr = load_npy(args.file)
    try:
        report = measure(arr, args.format, layout=args.layout, index_bits=args.index_bits,
                         ptr_bits=args.ptr_bits)
    except FormatError as e:
        raise FormatError(f"{args.file}: {e}") from None
    report = {"format": report["format"], "file": args.file, **report}
    if args.json:
        sys.stdout.write(json.dumps(report) + "\n")
    else:
        sys.stdout.write(_table(report))
    return 0
