"""Limits on the work one input may ask for, checked before anything is allocated or simulated.

A small file can describe an enormous layer (a batch of 10**9, padding 10**12) or an absurd machine
(10**8 PE rows).  accelsim checks such requests up front and refuses them with one line naming the file,
layer and field, instead of allocating terabytes, running out of memory or searching forever.

The limits (each overridable by an environment variable):

* ``ACCELSIM_MAX_BYTES`` (default: half of this machine's physical memory): the memory one layer may need.
  A layer needs its weights, inputs and outputs as float32 and, while a design counts it, about
  ``WORK_FACTOR`` times that in fixed-point copies, masks and partial results.
* ``ACCELSIM_MAX_MACS`` (default 10**12): dense multiply-accumulates of one layer (about 8x VGG-16's
  largest layer, conv1_2, at batch 64); at the measured 20-50 GMAC/s a design then runs under a minute.
* ``ACCELSIM_MAX_HW`` (default 2**16): the product of a design config's hardware counts (PE rows and
  columns, tiles, lanes, filters per tile, brick size, channel tile, group size): 65,536 parallel
  units, which the shipped designs reach (Cnvlutin: 16 tiles x 16 filters x 16-neuron bricks x 16 lanes);
  Eyeriss's mapping search on a 256 x 256 array takes about 14 s and 1.3 GB on a tiny layer.  Datapath
  widths (``word_bits``, ``offset_bits``) are at most 64 bits.
* Geometry (no variable): padding must be smaller than the filter's extent on its axis, so every output
  sees at least one input value.  Padding at or beyond the filter extent makes outputs that see only
  padding (``padding >= R``), which no real network has; it is reported as an error.

Sizes can be written with a suffix: ``ACCELSIM_MAX_BYTES=8G`` (K, M, G, T, powers of 1024).
"""
from __future__ import annotations

import math
import os
from typing import Any, Mapping

from accelsim.errors import ConfigError, TraceError

WORK_FACTOR = 4
DEFAULT_MAX_MACS = 10 ** 12
DEFAULT_MAX_HW = 1 << 16
MAX_CONFIG_INT = 1 << 48   # any integer config value (sizes in bytes, cycles, ...)
# config keys that count hardware units (each up to ACCELSIM_MAX_HW)
HW_COUNT_KEYS = ("pe_rows", "pe_cols", "tiles", "lanes_per_tile", "filters_per_tile", "brick_size",
                 "channel_tile", "group_size")
# config keys that are a datapath or field width in bits (each up to MAX_WORD_BITS)
BIT_WIDTH_KEYS = ("word_bits", "offset_bits")
MAX_WORD_BITS = 64
_SUFFIX = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    mult = _SUFFIX.get(text[-1].upper(), 1)
    num = text[:-1] if mult > 1 else text
    try:
        v = int(float(num) * mult)
    except (ValueError, OverflowError):
        raise ConfigError(f"environment variable {name}={text!r}: expected a positive integer "
                          "(optionally with K, M, G or T)") from None
    if v <= 0:
        raise ConfigError(f"environment variable {name}={text!r}: must be > 0")
    return v


def machine_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 << 30


def max_bytes() -> int:
    return _env_int("ACCELSIM_MAX_BYTES", machine_bytes() // 2)


def max_macs() -> int:
    return _env_int("ACCELSIM_MAX_MACS", DEFAULT_MAX_MACS)


def max_hw() -> int:
    return _env_int("ACCELSIM_MAX_HW", DEFAULT_MAX_HW)


def _gib(n: float) -> str:
    return f"{n / (1 << 30):.3g} GiB"


def describe_limits() -> str:
    return (f"limits: {_gib(max_bytes())} per layer (ACCELSIM_MAX_BYTES), {max_macs():.3g} MACs per layer "
            f"(ACCELSIM_MAX_MACS)")


def _extent(spec: Any, axis: str) -> int:
    """Filter extent on one axis, dilation included when the spec has one."""
    k = spec.R if axis == "h" else spec.S
    d = getattr(spec, "dilation_h" if axis == "h" else "dilation_w", None)
    if d is None:
        d = getattr(spec, "dilation", 1)
    if isinstance(d, (tuple, list)):
        d = d[0] if axis == "h" else d[-1]
    try:
        return (int(k) - 1) * int(d) + 1
    except (TypeError, ValueError):
        return int(k)


def _paddings(spec: Any) -> dict[str, int]:
    """Padding per side, as far as the spec says (symmetric ``padding`` or per-side fields)."""
    out = {}
    for f in ("pad_top", "pad_bottom", "pad_left", "pad_right"):
        v = getattr(spec, f, None)
        if isinstance(v, int):
            out[f] = v
    if not out:
        p = getattr(spec, "padding", 0)
        if isinstance(p, (tuple, list)):
            p = max(int(x) for x in p) if p else 0
        out["padding"] = int(p)
    return out


def check_layer(spec: Any) -> None:
    """Refuse a layer whose geometry is absurd or whose tensors or work exceed the limits (TraceError)."""
    where = f"layer {spec.name!r}"
    for f, pad in _paddings(spec).items():
        axis = "h" if f in ("padding", "pad_top", "pad_bottom") else "w"
        ext = _extent(spec, axis)
        if f == "padding":
            ext = min(_extent(spec, "h"), _extent(spec, "w"))
        if pad >= ext and pad > 0:
            side = "" if f == "padding" else f" ({f[4:]})"
            raise TraceError(f"{where}: field 'padding'{side} = {pad} is not smaller than the filter extent {ext}: "
                             "some outputs would see only padding")
    elems = 0
    for shape in (spec.weight_shape, spec.input_shape, spec.output_shape):
        elems += math.prod(int(x) for x in shape)
    need = elems * 4 * WORK_FACTOR
    if need > max_bytes():
        raise TraceError(f"{where}: tensors of {elems:.3g} values (fields N, C, H, W, M, R, S) need about "
                         f"{_gib(need)}, over the limit of {_gib(max_bytes())} (set ACCELSIM_MAX_BYTES to raise it)")
    macs = int(spec.macs_dense)
    if macs > max_macs():
        raise TraceError(f"{where}: {macs:.3g} dense MACs (fields N, C, H, W, M, R, S), over the limit of "
                         f"{max_macs():.3g} (set ACCELSIM_MAX_MACS to raise it)")


def check_config(cls_name: str, values: Mapping[str, Any], prefix: str = "") -> None:
    """Refuse config values beyond the limits (ConfigError naming the key)."""
    ints = {k: v for k, v in values.items() if isinstance(v, int) and not isinstance(v, bool)}
    hw_keys = [k for k in HW_COUNT_KEYS if k in ints]
    units = math.prod(max(1, ints[k]) for k in hw_keys)
    if units > max_hw():
        shown = " x ".join(f"{k}={ints[k]}" for k in hw_keys)
        raise ConfigError(f"{prefix}{cls_name}: {shown} = {units} parallel hardware units, over the limit of "
                          f"{max_hw()} (set ACCELSIM_MAX_HW to raise it)")
    for k, v in ints.items():
        if k in BIT_WIDTH_KEYS and v > MAX_WORD_BITS:
            raise ConfigError(f"{prefix}{cls_name}.{k}: {v} bits is over the limit of {MAX_WORD_BITS}")
        if abs(v) > MAX_CONFIG_INT:
            raise ConfigError(f"{prefix}{cls_name}.{k}: {v} is too large (at most 2**48)")


MAX_TEXT_BYTES = 64 << 20   # a YAML config, energy table, sweep spec, topology or parameter CSV


def read_text(path: str | os.PathLike[str], error: type[Exception] = ConfigError) -> str:
    """The UTF-8 text of a small input file; a device, FIFO or folder (``/dev/zero`` never ends), a file
    over MAX_TEXT_BYTES or bytes that are not UTF-8 raise ``error`` naming the file."""
    p = os.fspath(path)
    if not os.path.exists(p):
        raise error(f"{p}: no such file")
    if os.path.isdir(p):
        raise error(f"{p}: is a directory, expected a text file")
    if not os.path.isfile(p):
        raise error(f"{p}: not a regular file (a device or pipe); expected a text file")
    try:
        with open(p, "rb") as fh:
            data = fh.read(MAX_TEXT_BYTES + 1)
    except OSError as e:
        raise error(f"{p}: cannot read ({e.strerror or type(e).__name__})") from None
    if len(data) > MAX_TEXT_BYTES:
        raise error(f"{p}: larger than {MAX_TEXT_BYTES >> 20} MB: not a text input accelsim reads")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise error(f"{p}: not UTF-8 text (byte {e.start})") from None
