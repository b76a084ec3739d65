"""The pruning studies of the project's sources, each a function returning rows and a figure.

- :func:`accuracy_study` -- test accuracy vs weight sparsity per method: magnitude without retraining,
  direct (one-shot prune, then retrain), iterative (Han et al. 2015: prune/retrain in rounds with the same
  total retraining budget as direct), OBD, global magnitude (Han et al. 2015, Fig. 5).
- :func:`sensitivity_study` -- accuracy when one layer at a time is pruned, without retraining
  (Han et al. 2015, Fig. 6).
- :func:`size_study` -- model size vs sparsity for dense storage, CSR, Eyeriss RLC and Han's relative
  index format, every index and pointer bit counted (see :func:`weight_sizes`).
- :func:`cputime_study` -- CPU inference time of each layer with dense kernels (the pruned weights still
  stored densely) vs ``torch.sparse`` CSR kernels, and whether sparse is actually faster.

Each study trains the network it needs from scratch (seeded; :mod:`accelsim.prune.nets`) on the digits data
(:mod:`accelsim.prune.train`).  :mod:`accelsim.prune.run` runs a study by name and writes its rows as CSV;
the command line then draws the figure from that CSV (:mod:`accelsim.report.study_figures`).
"""
from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from accelsim import fixedpoint
from accelsim.compression.csr import csr_size_bits
from accelsim.compression.rlc import rlc_size_bits
from accelsim.errors import ConfigError
from accelsim.prune.iterative import iterative_prune
from accelsim.prune.magnitude import magnitude_prune
from accelsim.prune.masks import clone_model, effective_weight, prunable_layers, total_sparsity
from accelsim.prune.obd import obd_prune
from accelsim.prune.nets import trained_net
from accelsim.prune.train import evaluate, train

Row = dict[str, Any]
ACCURACY_METHODS = ("none", "direct", "iterative", "obd", "global", "lottery", "filters", "taylor", "energy")
STRUCTURED = ("filters", "taylor")  # target = fraction of filters removed; achieved = fraction of weights gone
HAN_INDEX_BITS = {"conv": 8, "fc": 5}  # Han et al. 2015 Sec. 4 / Deep Compression: relative index widths


# ---- studies ----------------------------------------------------------------------------------------
def accuracy_study(net: str = "lenet5", sparsities: Sequence[float] = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98),
                   methods: Sequence[str] = ("none", "direct", "iterative", "obd"), epochs: int = 12,
                   retrain_epochs: int = 2, steps: int = 3, seed: int = 0) -> list[Row]:
    """Accuracy vs sparsity per method.  ``direct`` and ``obd`` retrain ``retrain_epochs * steps`` epochs
    after one pruning step; ``iterative`` prunes in ``steps`` rounds of ``retrain_epochs`` epochs each
    (same budget); ``none`` is one-shot magnitude without retraining; ``global`` is global magnitude +
    the same retraining as direct.  One row per (method, sparsity) plus the dense baseline."""
    bad = [m for m in methods if m not in ACCURACY_METHODS]
    if bad:
        raise ConfigError(f"unknown method(s) {bad}; choose from {ACCURACY_METHODS}")
    dense, data = trained_net(net, epochs, seed)
    base = evaluate(dense, data)
    rows: list[Row] = [{"network": net, "method": "dense", "target": 0.0, "achieved": 0.0, "accuracy": base,
                        "retrain_epochs": 0}]
    budget = retrain_epochs * steps
    for method in methods:
        for k, s in enumerate(sparsities):
            m = clone_model(dense)
            rseed = seed + 1000 * (k + 1)
            if method == "iterative":
                n = [0]

                def tf(mm: nn.Module) -> None:
                    n[0] += 1
                    train(mm, data, epochs=retrain_epochs, lr=1e-3, seed=rseed + n[0])

                iterative_prune(m, s, steps, tf, method="han")
                spent = budget
            elif method in STRUCTURED or method in ("lottery", "energy"):
                try:
                    m, spent = _other_method(method, net, dense, data, s, epochs, retrain_epochs, steps, seed, rseed)
                except ConfigError:
                    continue  # e.g. a filter ratio that would empty a layer: no point at this target
            else:
                if method == "obd":
                    obd_prune(m, s, data.batches(64, 256))
                elif method == "global":
                    magnitude_prune(m, s, scope="global")
                else:
                    magnitude_prune(m, s, scope="layer")
                spent = 0 if method == "none" else budget
                train(m, data, epochs=spent, lr=1e-3, seed=rseed)
            achieved = total_sparsity(m) if method not in STRUCTURED else 1.0 - _weights(m) / _weights(dense)
            rows.append({"network": net, "method": method, "target": s, "achieved": achieved,
                         "accuracy": evaluate(m, data), "retrain_epochs": spent})
    return rows


def _weights(model: nn.Module) -> int:
    return sum(int(torch.count_nonzero(effective_weight(m))) for m in prunable_layers(model).values())


def _other_method(method: str, net: str, dense: nn.Module, data: Any, s: float, epochs: int, retrain_epochs: int,
                  steps: int, seed: int, rseed: int) -> tuple[nn.Module, int]:
    """The accuracy study's remaining methods; returns (pruned model, retraining epochs spent).

    ``lottery``: the untrained net (the same seeded init the dense net was trained from) through ``steps``
    rounds of train (``epochs``) / global magnitude prune / rewind, then trained once more.
    ``filters``: L1 filter pruning of a fraction ``s`` of every layer's filters (all but the last layer),
    then ``retrain_epochs * steps`` epochs.  ``taylor``: one global first-order Taylor ranking removes a
    fraction ``s`` of the conv channels, then the same retraining.  ``energy``: Yang et al.'s energy-aware
    order with each layer's energy on accelsim's SCNN (a design that saves on zero weights), fine-tuning
    ``retrain_epochs`` after each layer."""
    from accelsim.prune.energy_aware import accelerator_energy_fn, energy_aware_prune
    from accelsim.prune.lottery import lottery_ticket
    from accelsim.prune.nets import build
    from accelsim.prune.structured import structured_prune
    from accelsim.prune.taylor import taylor_prune

    budget = retrain_epochs * steps
    example = data.x_train[:8]
    if method == "lottery":
        m = build(net, seed=seed)
        n = [0]

        def tf(mm: nn.Module) -> None:
            n[0] += 1
            train(mm, data, epochs=epochs, seed=rseed + n[0])

        lottery_ticket(m, s, steps, tf)
        return m, epochs * (steps + 1)
    if method == "filters":
        m, _ = structured_prune(dense, s, example)
    elif method == "taylor":
        m, _, _ = taylor_prune(dense, s, data.batches(64, 256), example)
    else:  # energy
        m = clone_model(dense)
        layers = len(prunable_layers(m))
        energy_aware_prune(m, s, data.x_test[:2], energy_fn=accelerator_energy_fn("scnn"), max_layer_sparsity=0.99,
                           train_fn=lambda mm: train(mm, data, epochs=retrain_epochs, lr=1e-3, seed=rseed))
        return m, retrain_epochs * layers
    train(m, data, epochs=budget, lr=1e-3, seed=rseed)
    return m, budget


def sensitivity_study(net: str = "lenet5", sparsities: Sequence[float] = (0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8,
                                                                          0.9, 0.95, 0.99),
                      epochs: int = 12, seed: int = 0) -> list[Row]:
    """Accuracy with one layer pruned (magnitude, no retraining), every layer and sparsity."""
    dense, data = trained_net(net, epochs, seed)
    rows: list[Row] = []
    for name in prunable_layers(dense):
        for s in sparsities:
            m = clone_model(dense)
            magnitude_prune(m, {name: s})
            rows.append({"network": net, "layer": name, "sparsity": s, "accuracy": evaluate(m, data)})
    return rows


def han_relative_index_bits(codes: np.ndarray, value_bits: int, index_bits: int) -> int:
    """Han et al.'s relative-index sparse format, exactly: each stored entry is (gap, value) with a
    ``index_bits``-wide gap = the number of zeros skipped before it (0 .. 2^k - 1).  A gap g larger than
    that is bridged by ``g // 2^k`` filler entries (a zero value with gap 2^k - 1: each covers 2^k
    positions).  Trailing zeros are not stored (the decoder knows the length).  Entries are taken in C
    order of the flattened tensor.  Size = entries x (value_bits + index_bits)."""
    flat = np.asarray(codes).reshape(-1)
    nz = np.flatnonzero(flat)
    if nz.size == 0:
        return 0
    gaps = np.diff(np.concatenate([[-1], nz])) - 1
    fillers = int(np.sum(gaps // (1 << index_bits)))
    return (nz.size + fillers) * (value_bits + index_bits)


def weight_sizes(weight: np.ndarray, kind: str, value_bits: int = 16) -> dict[str, int]:
    """Bits to store one layer's weights in each format, after quantizing to ``value_bits`` fixed point
    (:func:`accelsim.fixedpoint.quantize`; zero-ness is decided on the codes):

    - ``dense``: ``n * value_bits``;
    - ``csr``: rows = filters (M), cols = C/g*R*S: ``nnz*(value_bits + ceil(log2 cols)) + (M+1)*ceil(log2(nnz+1))``
      (:func:`accelsim.compression.csr.csr_size_bits`);
    - ``rlc``: Eyeriss's run-length code, 5-bit runs and 16-bit levels, 3 pairs per 64-bit word
      (:func:`accelsim.compression.rlc.rlc_size_bits`, the one RLC implementation; meant for feature maps,
      shown for comparison);
    - ``relative``: Han et al.'s relative indices (8 bits for conv, 5 for fc), :func:`han_relative_index_bits`.
    """
    if not 1 <= value_bits <= 16:
        raise ConfigError(f"value_bits must be in 1..16 (the RLC and CSR codecs store 16-bit codes), got {value_bits}")
    codes, _ = fixedpoint.quantize(weight, bits=value_bits)
    out = {"dense": codes.size * value_bits, "nnz": int(np.count_nonzero(codes)),
           "csr": int(csr_size_bits(codes, value_bits=value_bits)), "rlc": int(rlc_size_bits(codes))}
    out["relative"] = han_relative_index_bits(codes, value_bits, HAN_INDEX_BITS[kind])
    return out


def size_study(net: str = "lenet5", sparsities: Sequence[float] = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98),
               epochs: int = 12, value_bits: int = 16, seed: int = 0) -> list[Row]:
    """Per-layer and total weight storage (bits) vs per-layer magnitude sparsity, every format."""
    dense, _ = trained_net(net, epochs, seed)
    rows: list[Row] = []
    for s in sparsities:
        m = clone_model(dense)
        magnitude_prune(m, s)
        tot: dict[str, int] = {}
        for name, mod in prunable_layers(m).items():
            kind = "conv" if isinstance(mod, nn.Conv2d) else "fc"
            sz = weight_sizes(effective_weight(mod).numpy(), kind, value_bits)
            rows.append({"network": net, "sparsity": s, "layer": name, "kind": kind, **sz})
            for k, v in sz.items():
                tot[k] = tot.get(k, 0) + v
        rows.append({"network": net, "sparsity": s, "layer": "total", "kind": "", **tot})
    return rows


def _sparse_forward(mod: nn.Module, w_csr: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The layer computed with a CSR weight matrix (conv via unfold/im2col)."""
    if isinstance(mod, nn.Linear):
        y = (w_csr @ x.t()).t()
        return y + mod.bias if mod.bias is not None else y
    n = x.shape[0]
    cols = F.unfold(x, mod.kernel_size, padding=mod.padding, stride=mod.stride)  # (N, C*R*S, L)
    L = cols.shape[2]
    y = w_csr @ cols.permute(1, 0, 2).reshape(cols.shape[1], n * L)  # (M, N*L)
    y = y.reshape(-1, n, L).permute(1, 0, 2)
    if mod.bias is not None:
        y = y + mod.bias[None, :, None]
    H = (x.shape[2] + 2 * mod.padding[0] - mod.kernel_size[0]) // mod.stride[0] + 1
    return y.reshape(n, -1, H, L // H)


def _best_time(fn, repeats: int) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def cputime_study(net: str = "lenet5", sparsities: Sequence[float] = (0.0, 0.5, 0.7, 0.9, 0.95, 0.99),
                  epochs: int = 12, batch: int = 64, repeats: int = 20, seed: int = 0) -> list[Row]:
    """Per-layer CPU time (best of ``repeats``, one thread) of the pruned model's layers: dense torch
    kernels vs ``torch.sparse`` CSR kernels on the same inputs.  Grouped convs are not supported here."""
    dense, data = trained_net(net, epochs, seed)
    with torch.no_grad():
        return _cputime_rows(net, dense, data.x_test[:batch], sparsities, repeats)


def _cputime_rows(net: str, dense: nn.Module, x0: torch.Tensor, sparsities: Sequence[float],
                  repeats: int) -> list[Row]:
    rows: list[Row] = []
    for s in sparsities:
        m = clone_model(dense)
        magnitude_prune(m, s)
        m.eval()
        inputs: dict[str, torch.Tensor] = {}
        mods = prunable_layers(m)
        hs = [mod.register_forward_hook(lambda mod_, i, o, n=n: inputs.__setitem__(n, i[0]))
              for n, mod in mods.items()]
        m(x0)
        for h in hs:
            h.remove()
        for name, mod in mods.items():
            if isinstance(mod, nn.Conv2d) and mod.groups != 1:
                raise ConfigError(f"layer {name!r}: grouped convolutions are not timed")
            x = inputs[name]
            w = effective_weight(mod)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
                w_csr = w.reshape(w.shape[0], -1).to_sparse_csr()
            ref = mod(x)
            got = _sparse_forward(mod, w_csr, x)
            assert torch.allclose(ref, got, atol=1e-4, rtol=1e-4), name
            td = _best_time(lambda: mod(x), repeats)
            ts = _best_time(lambda: _sparse_forward(mod, w_csr, x), repeats)
            rows.append({"network": net, "sparsity": s, "layer": name,
                         "weight_density": float((w != 0).float().mean()), "dense_ms": td * 1e3,
                         "sparse_ms": ts * 1e3, "speedup": td / ts, "sparse_slower": ts > td})
        td = _best_time(lambda: m(x0), repeats)
        rows.append({"network": net, "sparsity": s, "layer": "network",
                     "weight_density": 1.0 - total_sparsity(m), "dense_ms": td * 1e3,
                     "sparse_ms": sum(r["sparse_ms"] for r in rows[-len(mods):]),
                     "speedup": None, "sparse_slower": None})
        last = rows[-1]
        last["speedup"] = last["dense_ms"] / last["sparse_ms"]
        last["sparse_slower"] = last["sparse_ms"] > last["dense_ms"]
    return rows
