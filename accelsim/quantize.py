"""Weight quantizers that create weight repetition (what UCNN exploits), pure numpy, one scale per layer.

Three schemes, each applied to one layer's weight tensor at a time (``quantize_weights``):

* ``inq`` -- INQ-style power-of-two levels (Zhou et al., ICLR 2017, "Incremental Network Quantization"):
  the levels are {0} and +-2^k for k in [n2, n1], where n1 = floor(log2(4 s / 3)) with s = max |W| and
  n2 = n1 + 1 - 2^(b-1) / 2 for a bit width b, so b = 5 gives 8 exponents and 2 * 8 + 1 = **17 values
  including zero** (the UCNN paper's INQ setting).  A weight goes to the level beta (of adjacent levels
  alpha < beta) when (alpha + beta) / 2 <= |W| < 3 beta / 2, and to 0 below 2^n2 / 2 (INQ's rule).
  accelsim applies the rule in one shot: INQ proper re-trains as it quantizes (its "incremental" part),
  which a post-hoc quantizer cannot do; the level set and the rounding rule are INQ's.
* ``ttq`` -- TTQ-style ternary (Zhu et al., ICLR 2017, "Trained Ternary Quantization"): three values
  {-Wn, 0, +Wp} per layer, threshold delta = t * max |W| with TTQ's t = 0.05.  TTQ *trains* Wp and Wn;
  here (assumption) Wp is the mean of the weights above delta and Wn the mean magnitude of those below
  -delta, the least-squares choice for a fixed ternary assignment.  ``bits`` must be 2.
* ``kmeans`` -- Deep Compression's weight sharing, the codebook EIE reads (Han et al., ICLR 2016, Sec. 3;
  EIE ISCA 2016: 4-bit indices into a 16-entry codebook): 1-D k-means (Lloyd) over the layer's non-zero
  weights with *linear* initialization (centroids evenly spaced between min and max, the paper's best
  choice), at most ``KMEANS_ITERATIONS`` rounds.  A b-bit codebook has 2^b entries; one of them is zero
  (EIE's padding entries store a zero value) and 2^b - 1 are shared non-zero weights (assumption: the
  papers do not say how the padding zero is coded).  Deep Compression then fine-tunes the centroids;
  this one-shot quantizer does not (the accuracy study fine-tunes, see accelsim/prune).
* ``uniform`` -- symmetric uniform k-bit: step = max |W| / (2^(k-1) - 1), W -> round(W / step) * step,
  so at most 2^k - 1 distinct values (the symmetric two's-complement grid; 255 for 8 bits).

Every scheme keeps a zero weight zero (pruning survives quantization) and may turn small weights into
zeros (INQ's and TTQ's thresholds, uniform rounding); ``QuantStats`` reports how many.  Values are
returned as float32 in the trace's own units, so a trace stays a trace: the accelerator models then
apply their 16-bit fixed point (accelsim.fixedpoint), which represents these levels exactly for the
bit widths here (powers of two within 2^15 of the largest; uniform steps of max/(2^(k-1)-1), k <= 15).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from accelsim.errors import ConfigError

SCHEMES = ("inq", "ttq", "uniform", "kmeans")
DEFAULT_BITS = {"inq": 5, "ttq": 2, "uniform": 8, "kmeans": 4}
KMEANS_ITERATIONS = 100
TTQ_THRESHOLD = 0.05  # TTQ (Zhu et al. 2017): delta = 0.05 * max |W|


@dataclass(frozen=True)
class QuantStats:
    """What quantizing one tensor did: distinct values after (zero included), non-zeros before/after."""

    unique: int
    unique_nonzero: int
    nonzero_before: int
    nonzero_after: int
    size: int

    @property
    def new_zeros(self) -> int:
        return self.nonzero_before - self.nonzero_after

    def to_dict(self) -> dict[str, int]:
        return {**asdict(self), "new_zeros": self.new_zeros}


def check_scheme(scheme: str, bits: int | None) -> int:
    """Validate (scheme, bits) and return the bit width to use (ConfigError names the problem)."""
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown quantization scheme {scheme!r} (known: {', '.join(SCHEMES)})")
    b = DEFAULT_BITS[scheme] if bits is None else int(bits)
    if scheme == "ttq" and b != 2:
        raise ConfigError(f"ttq is ternary (3 values, 2 bits); --bits must be 2 or omitted, got {b}")
    if scheme == "inq" and not 3 <= b <= 8:
        raise ConfigError(f"inq needs 3 <= bits <= 8 (2^(b-2) exponents, 17 values at b = 5), got {b}")
    if scheme == "kmeans" and not 1 <= b <= 8:
        raise ConfigError(f"kmeans needs 1 <= bits <= 8 (2^bits codebook entries, zero included), got {b}")
    if scheme == "uniform" and not 2 <= b <= 15:
        raise ConfigError(f"uniform needs 2 <= bits <= 15 (values must stay exact in 16-bit fixed point), got {b}")
    return b


def inq_levels(max_abs: float, bits: int = 5) -> np.ndarray:
    """The non-negative INQ levels for a layer: [0, 2^n2, ..., 2^n1] (float64, ascending)."""
    if max_abs <= 0:
        return np.zeros(1)
    n1 = math.floor(math.log2(4.0 * max_abs / 3.0))
    n2 = n1 + 1 - (2 ** (bits - 1)) // 2
    return np.concatenate([[0.0], 2.0 ** np.arange(n2, n1 + 1, dtype=np.float64)])


def _inq(w: np.ndarray, bits: int) -> np.ndarray:
    a = np.abs(w.astype(np.float64))
    levels = inq_levels(float(a.max()) if a.size else 0.0, bits)
    if len(levels) == 1:
        return np.zeros_like(w)
    # thresholds between adjacent levels (alpha, beta): (alpha + beta) / 2; above the top: 3 * top / 2
    # keeps the top level (INQ clips |W| >= 3/2 * 2^n1, which cannot happen since 2^n1 >= 3/4 * max)
    mids = (levels[:-1] + levels[1:]) / 2.0
    idx = np.searchsorted(mids, a, side="right")
    return (np.sign(w) * levels[idx]).astype(np.float32)


def _ttq(w: np.ndarray) -> np.ndarray:
    w64 = w.astype(np.float64)
    m = float(np.abs(w64).max()) if w.size else 0.0
    delta = TTQ_THRESHOLD * m
    pos, neg = w64 > delta, w64 < -delta
    wp = float(w64[pos].mean()) if pos.any() else 0.0
    wn = float(-w64[neg].mean()) if neg.any() else 0.0
    out = np.zeros_like(w64)
    out[pos] = wp
    out[neg] = -wn
    return out.astype(np.float32)


def _uniform(w: np.ndarray, bits: int) -> np.ndarray:
    m = float(np.abs(w).max()) if w.size else 0.0
    if m == 0.0:
        return np.zeros_like(w)
    qmax = 2 ** (bits - 1) - 1
    step = m / qmax
    q = np.clip(np.rint(w.astype(np.float64) / step), -qmax, qmax)
    return (q * step).astype(np.float32)


def kmeans_codebook(values: np.ndarray, k: int, iterations: int = KMEANS_ITERATIONS) -> np.ndarray:
    """1-D k-means with linear initialization: ``k`` centroids (float64, ascending) of ``values``."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0 or k <= 0:
        return np.zeros(0)
    cent = np.linspace(v.min(), v.max(), k)
    for _ in range(iterations):
        edges = (cent[1:] + cent[:-1]) / 2  # nearest centroid by the midpoints (cent stays sorted)
        idx = np.searchsorted(edges, v)
        sums = np.bincount(idx, weights=v, minlength=k)
        cnt = np.bincount(idx, minlength=k)
        new = np.where(cnt > 0, sums / np.maximum(cnt, 1), cent)  # an empty cluster keeps its centroid
        new.sort()
        if np.allclose(new, cent, rtol=0, atol=0):
            break
        cent = new
    return cent


def _kmeans(w: np.ndarray, bits: int) -> np.ndarray:
    nz = w != 0
    out = np.zeros_like(w, dtype=np.float32)
    if not nz.any():
        return out
    cent = kmeans_codebook(w[nz], 2 ** bits - 1)
    edges = (cent[1:] + cent[:-1]) / 2
    q = cent[np.searchsorted(edges, w[nz].astype(np.float64))].astype(np.float32)
    out[nz] = q
    return out


def quantize_weights(w: np.ndarray, scheme: str, bits: int | None = None) -> tuple[np.ndarray, QuantStats]:
    """Quantize one layer's weights with ``scheme``; returns (float32 array of w's shape, stats)."""
    b = check_scheme(scheme, bits)
    w = np.asarray(w, dtype=np.float32)
    if scheme == "inq":
        q = _inq(w, b)
    elif scheme == "ttq":
        q = _ttq(w)
    elif scheme == "kmeans":
        q = _kmeans(w, b)
    else:
        q = _uniform(w, b)
    q[w == 0] = 0.0  # zeros stay zero (already true for every scheme; kept as the stated invariant)
    q = q + np.float32(0.0)  # no negative zeros: -0.0 would be a distinct value to np.unique on bits
    u = np.unique(q)
    return q, QuantStats(unique=int(u.size), unique_nonzero=int(np.count_nonzero(u)),
                         nonzero_before=int(np.count_nonzero(w)), nonzero_after=int(np.count_nonzero(q)),
                         size=int(w.size))


def max_unique(scheme: str, bits: int | None = None) -> int:
    """Upper bound on distinct values per layer, zero included (17 for inq-5, 3 for ttq, 2^k-1 uniform)."""
    b = check_scheme(scheme, bits)
    if scheme == "inq":
        return 2 * (2 ** (b - 1) // 2) + 1
    if scheme == "ttq":
        return 3
    if scheme == "kmeans":
        return 2 ** b
    return 2 ** b - 1


def quantize_trace(trace, scheme: str, bits: int | None = None):
    """A copy of ``trace`` with every layer's weights quantized; inputs kept, stored outputs dropped
    (they were computed with the old weights; models recompute outputs when they need them).  The
    manifest ``source`` gains a ``quantization`` record: scheme, bits, per-layer unique counts."""
    from accelsim.trace.format import LayerTrace, Trace
    b = check_scheme(scheme, bits)
    layers, per_layer = [], {}
    for lt in trace.layers:
        q, st = quantize_weights(lt.weights, scheme, b)
        layers.append(LayerTrace(lt.spec, q, lt.inputs, None))
        per_layer[lt.name] = st.to_dict()
    src = dict(trace.source)
    src["quantization"] = {
        "scheme": scheme, "bits": b, "max_unique": max_unique(scheme, b),
        "rule": {"inq": "INQ power-of-two levels, one shot (Zhou et al. 2017)",
                 "ttq": "TTQ ternary, threshold 0.05 max|W|, scales = means (Zhu et al. 2017)",
                 "uniform": f"symmetric uniform {b}-bit, step max|W|/(2^(b-1)-1)",
                 "kmeans": f"Deep Compression / EIE weight sharing: {2 ** b}-entry codebook (zero + "
                           f"{2 ** b - 1} k-means centroids, linear init), one shot"}[scheme],
        "outputs_dropped": any(lt.outputs is not None for lt in trace.layers),
        "layers": per_layer}
    return Trace(network=trace.network, layers=layers, source=src)


__all__ = ["SCHEMES", "QuantStats", "check_scheme", "inq_levels", "kmeans_codebook", "max_unique", "quantize_trace",
           "quantize_weights"]
