"""What a trace holds, measured as the hardware sees it: per-layer shapes, MACs, densities and unique
non-zero weight values after fixed-point quantization at a design's datapath width (``accelsim trace
inspect``), and a one-line summary of how the trace was made."""
from __future__ import annotations

from typing import Any

import numpy as np

from accelsim.fixedpoint import frac_bits_for, quantize
from accelsim.trace.format import LayerTrace, Trace, coverage_line

_CHUNK = 1 << 22


def codes(x: np.ndarray, word_bits: int) -> np.ndarray:
    """``word_bits`` fixed-point codes of ``x`` (int16 up to 16 bits, else int32; same shape), quantized
    chunk by chunk to bound memory."""
    f = frac_bits_for(x, word_bits)
    flat = x.reshape(-1)
    out = np.empty(flat.size, dtype=np.int16 if word_bits <= 16 else np.int32)
    for s in range(0, flat.size, _CHUNK):
        out[s:s + _CHUNK] = quantize(flat[s:s + _CHUNK], word_bits, frac_bits=f)[0]
    return out.reshape(x.shape)


def _unique_nonzero_per_row(q: np.ndarray) -> np.ndarray:
    """Distinct non-zero values in each row of a 2-D integer array."""
    qs = np.sort(q, axis=1, kind="stable")
    distinct = 1 + np.count_nonzero(qs[:, 1:] != qs[:, :-1], axis=1)
    return distinct - (qs == 0).any(axis=1)


def layer_stats(lt: LayerTrace, word_bits: int = 16) -> dict[str, Any]:
    """Shape, MACs, densities and unique non-zero weight values of one layer, after quantizing each tensor
    to ``word_bits`` fixed point (what decides which values are zero on the hardware)."""
    s = lt.spec
    qw = codes(lt.weights, word_bits)
    per_filter = _unique_nonzero_per_row(qw.reshape(s.M, -1))
    w_nz = int(np.count_nonzero(qw))
    x_nz = int(np.count_nonzero(codes(lt.inputs, word_bits)))
    d: dict[str, Any] = {
        "name": s.name, "kind": s.kind, "N": s.N, "C": s.C, "H": s.H, "W": s.W, "M": s.M, "E": s.E, "F": s.F,
        "R": s.R, "S": s.S, "stride": list(s.strides), "dilation": list(s.dilations), "padding": list(s.pads),
        "groups": s.groups,
        "macs_dense": s.macs_dense,
        "weights": int(lt.weights.size), "weights_nonzero": w_nz, "weight_density": w_nz / lt.weights.size,
        "inputs": int(lt.inputs.size), "inputs_nonzero": x_nz, "input_density": x_nz / lt.inputs.size,
        "unique_nonzero_weights": int(np.unique(qw[qw != 0]).size),
        "unique_nonzero_per_filter_mean": float(per_filter.mean()),
        "unique_nonzero_per_filter_max": int(per_filter.max()),
        "outputs_present": lt.outputs is not None,
        "output_density": None,
    }
    if lt.outputs is not None:
        d["output_density"] = int(np.count_nonzero(codes(lt.outputs, word_bits))) / lt.outputs.size
    return d


def inspect_trace(tr: Trace, word_bits: int = 16) -> dict[str, Any]:
    """The ``accelsim trace inspect --json`` object for a loaded trace, measured at ``word_bits``."""
    layers = [layer_stats(lt, word_bits) for lt in tr.layers]
    w = sum(d["weights"] for d in layers)
    wn = sum(d["weights_nonzero"] for d in layers)
    x = sum(d["inputs"] for d in layers)
    xn = sum(d["inputs_nonzero"] for d in layers)
    total = {"layers": len(layers), "macs_dense": sum(d["macs_dense"] for d in layers),
             "weights": w, "weights_nonzero": wn, "weight_density": wn / w,
             "inputs": x, "inputs_nonzero": xn, "input_density": xn / x,
             "layers_with_outputs": sum(d["outputs_present"] for d in layers)}
    cov = tr.coverage()
    return {"trace": tr.path, "network": tr.network, "synthetic": tr.synthetic, "source": tr.source,
            "source_summary": source_summary(tr.source),
            "quantization": f"{word_bits}-bit fixed point, per-tensor binary point (accelsim.fixedpoint)",
            "layers": layers, "total": total, "skipped": tr.skipped, "coverage": cov,
            "coverage_line": coverage_line(cov)}


def source_summary(src: dict[str, Any]) -> str:
    """One line saying how a trace was made."""
    if src.get("synthetic"):
        parts = [f"synthetic ({src.get('generator', 'unknown generator')}"]
        for key, label in (("seed", "seed"), ("batch", "batch")):
            if key in src:
                parts.append(f"{label} {src[key]}")
        for key, label in (("weight_density", "weights"), ("act_density", "inputs")):
            v = src.get(key)
            if isinstance(v, dict) and "profile" in v:
                parts.append(f"{label} {v['profile']}")
        return ", ".join(parts) + ")"
    if not src:
        return "unknown (the manifest has no source record)"
    keys = ("model", "dataset", "method", "pruning", "sparsity", "accuracy")
    shown = [f"{k} {src[k]}" for k in keys if k in src and not isinstance(src[k], (dict, list))]
    return "real tensors" + (f" ({', '.join(shown)})" if shown else "")


__all__ = ["codes", "inspect_trace", "layer_stats", "source_summary"]
