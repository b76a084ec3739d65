"""The input rule every codec shares (see :mod:`accelsim.compression`): integer arrays are 16-bit codes,
float arrays are quantized once; shapes and counts are checked.  Kept apart from the package
``__init__`` so the codecs import it without an import cycle."""
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
