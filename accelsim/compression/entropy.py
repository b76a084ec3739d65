"""The order-0 entropy bound: how small any memoryless code of a tensor's 16-bit codes can be.

Inputs: integer 16-bit codes or float arrays, quantized here; see :mod:`accelsim.compression`.

``entropy_bits(x) = n * H`` with ``H = -sum_v p(v) log2 p(v)`` over the histogram of the n codes of ``x``
(all values, zeros included).  No code that maps each value to a codeword on its own (Huffman, arithmetic
coding with a fixed model) can average fewer bits, so it is the yardstick for Eyeriss' claim that RLC comes
within 5-10 % of the entropy limit on AlexNet (JSSC 2017 section IV-B).  RLC codes *runs*, so it is not
memoryless: on strongly structured streams (long regular zero runs) it can go below this bound; it is a
reference line for figures, not an invariant of the formats.
"""
from __future__ import annotations

import numpy as np

from accelsim.compression.codes import CODE_MIN, as_codes


def entropy_bits(x: object) -> float:
    """Elements times the order-0 Shannon entropy (bits per value) of the 16-bit codes of ``x`` (0.0 if empty)."""
    codes = as_codes(x, "entropy_bits")
    n = codes.size
    if n == 0:
        return 0.0
    hist = np.bincount(codes.ravel().astype(np.int64) - CODE_MIN, minlength=1)
    p = hist[hist > 0] / n
    h = float(-(p * np.log2(p)).sum())
    return max(0.0, n * h)
