"""How well each format compresses a trace's input activations, per layer (rows for CSV and figures).

Streams: Eyeriss RLC compresses each (image, channel) plane as one stream, the way an fmap moves between
DRAM and the global buffer plane by plane; CSR treats each image's (C, H*W) matrix; ZFNAf uses 16-channel
bricks (compact layout).  All sizes are exact bit counts from accelsim.compression.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from accelsim import compression, fixedpoint
from accelsim.trace import Trace

FIELDS = ("network", "trace", "synthetic", "layer", "elements", "nonzeros", "density", "dense_bits", "rlc_bits",
          "zfnaf_bits", "csr_bits", "entropy_bits", "rlc_ratio", "rlc_over_entropy")


def compression_rows(trace: Trace) -> list[dict[str, Any]]:
    rows = []
    for lt in trace.layers:
        x = lt.inputs_nchw()
        q, _ = fixedpoint.quantize(x)
        n, c, h, w = q.shape
        rlc = int(compression.rlc_segment_size_bits(q.reshape(-1), h * w).sum())
        csr = sum(int(compression.csr_size_bits(q[i].reshape(c, h * w))) for i in range(n))
        zf = int(compression.zfnaf_size_bits(q, layout="compact"))
        ent = float(compression.entropy_bits(q))
        nnz = int(np.count_nonzero(q))
        dense = q.size * 16
        rows.append({"network": trace.network, "trace": trace.path, "synthetic": trace.synthetic,
                     "layer": lt.name, "elements": int(q.size), "nonzeros": nnz, "density": nnz / q.size,
                     "dense_bits": dense, "rlc_bits": rlc, "zfnaf_bits": zf, "csr_bits": csr,
                     "entropy_bits": ent, "rlc_ratio": dense / rlc if rlc else float("inf"),
                     "rlc_over_entropy": rlc / ent if ent else float("nan")})
    return rows
