"""Quantization-aware fine-tuning with float shadow weights, one method per scheme of :mod:`accelsim.quantize`.

Every scheme quantizes in the *forward* pass and lets the gradient reach float parameters, so updates
smaller than a quantization step accumulate instead of being rounded away (projecting the weights back
onto the levels after each optimizer step, the previous approach, undid them).  Each layer keeps its
``torch.nn.utils.prune`` reparametrization: ``weight_orig`` is the float shadow weight, ``weight_mask``
keeps pruned weights at zero (their gradient is zero), and a forward pre-hook registered after the
pruning hook replaces ``weight`` by its quantized value.  Biases stay float (no scheme here quantizes
them).  :func:`finish` writes the quantized values into ``weight_orig`` and removes the hooks and the
extra parameters, leaving an ordinary (pruned) model whose weights are on the scheme's levels.

=========  ====================================================================================
scheme     training (the published method's own)
=========  ====================================================================================
uniform    straight-through estimator: forward ``q(w)`` (symmetric b-bit, step max|w|/(2^(b-1)-1)
           from the current shadow weights), backward identity to the shadow weights.
ttq        Trained Ternary Quantization (Zhu et al., ICLR 2017): forward {-Wn, 0, +Wp} with threshold
           delta = 0.05 max|w| of the shadow weights at each step; Wp and Wn are *trained* per layer
           (gradient: the sum of the weight gradients over the positive / negative set); the shadow
           weights get the gradient scaled by Wp (positive set), 1 (zero set), Wn (negative set), the
           paper's Eq. 8.  Initial Wp / Wn (assumption; the paper does not fix them for fine-tuning
           from a trained model): the mean magnitude of each set.
inq        Incremental Network Quantization (Zhou et al., ICLR 2017): power-of-two levels fixed per layer
           from the pretrained max|w| (:func:`accelsim.quantize.inq_levels`); the weights are quantized
           in four accumulated portions, 50%, 75%, 87.5% and 100% of each layer's non-zero weights,
           largest magnitude first (the paper's pruning-inspired partition); between portions the
           still-float weights are retrained while the quantized ones are frozen.
kmeans     Deep Compression's weight sharing (Han et al., ICLR 2016, Sec. 3), EIE's 4-bit codebook: the
           non-zero weights are clustered once (:func:`accelsim.quantize.kmeans_codebook`, 2^b - 1
           centroids plus the zero entry), the assignment is then fixed and the *centroids* are
           fine-tuned with the summed gradient of their weights (the paper's Eq. 3).
=========  ====================================================================================
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from accelsim.errors import ConfigError
from accelsim.prune.masks import current_mask, prunable_layers, set_mask
from accelsim.quantize import TTQ_THRESHOLD, check_scheme, inq_levels, kmeans_codebook, quantize_weights

INQ_PORTIONS = (0.5, 0.75, 0.875, 1.0)  # Zhou et al. 2017: accumulated portions of quantized weights


class _TernarySTE(torch.autograd.Function):
    """TTQ forward/backward (Zhu et al. 2017, Eqs. 6-8) for one layer."""

    @staticmethod
    def forward(ctx, w, wp, wn):  # type: ignore[override]
        delta = TTQ_THRESHOLD * w.detach().abs().max()
        pos, neg = w > delta, w < -delta
        ctx.save_for_backward(pos, neg, wp, wn)
        return torch.where(pos, wp, torch.where(neg, -wn, torch.zeros_like(w)))

    @staticmethod
    def backward(ctx, g):  # type: ignore[override]
        pos, neg, wp, wn = ctx.saved_tensors
        gw = torch.where(pos, g * wp, torch.where(neg, g * wn, g))
        return gw, g[pos].sum().reshape(wp.shape), -g[neg].sum().reshape(wn.shape)


def _round_inq(w: torch.Tensor, levels: torch.Tensor) -> torch.Tensor:
    """INQ's rounding onto fixed non-negative ``levels`` [0, 2^n2 .. 2^n1] (above the top: the top)."""
    mids = (levels[:-1] + levels[1:]) / 2
    idx = torch.searchsorted(mids, w.abs().contiguous(), right=True)
    return torch.sign(w) * levels[idx]


def _uniform_ste(w: torch.Tensor, bits: int) -> torch.Tensor:
    qmax = 2 ** (bits - 1) - 1
    m = w.detach().abs().max()
    if float(m) == 0.0:
        return w
    step = m / qmax
    q = torch.clamp(torch.round(w.detach() / step), -qmax, qmax) * step
    return w + (q - w).detach()


class QuantTrainer:
    """Quantized training state of one model: ``attach`` installs it, ``finish`` bakes it in.

    ``model`` is changed in place; its prunable layers (Conv2d/Linear) are all quantized.
    """

    def __init__(self, model: nn.Module, scheme: str, bits: int | None = None):
        self.bits = check_scheme(scheme, bits)
        self.scheme = scheme
        self.model = model
        self.layers = prunable_layers(model)
        self.handles: list[Any] = []
        self.frozen: dict[str, torch.Tensor] = {}
        self._attach()

    # -- installation ------------------------------------------------------------------------------------
    def _attach(self) -> None:
        for name, m in self.layers.items():
            set_mask(m, current_mask(m))  # ensure the weight_orig / weight_mask reparametrization
            w = (m.weight_orig * m.weight_mask).detach()
            if self.scheme == "ttq":
                delta = TTQ_THRESHOLD * float(w.abs().max())
                pos, neg = w[w > delta], w[w < -delta]
                m.ttq_wp = nn.Parameter(pos.mean().reshape(1) if pos.numel() else torch.zeros(1))
                m.ttq_wn = nn.Parameter((-neg).mean().reshape(1) if neg.numel() else torch.zeros(1))
            elif self.scheme == "inq":
                m.register_buffer("inq_levels", torch.from_numpy(
                    inq_levels(float(w.abs().max()), self.bits)).to(w.dtype))
                m.register_buffer("inq_frozen", torch.zeros_like(w, dtype=torch.bool))
                m.register_buffer("inq_values", torch.zeros_like(w))
            elif self.scheme == "kmeans":
                nz = w != 0
                cent = kmeans_codebook(w[nz].numpy(), 2 ** self.bits - 1) if nz.any() else np.zeros(1)
                edges = torch.from_numpy((cent[1:] + cent[:-1]) / 2)
                idx = torch.searchsorted(edges, w.double().contiguous())
                m.register_buffer("km_index", torch.where(nz, idx, torch.full_like(idx, -1)))
                m.km_codebook = nn.Parameter(torch.from_numpy(cent).to(w.dtype))
                m.weight_orig.requires_grad_(False)  # Deep Compression trains the centroids only
            self.handles.append(m.register_forward_pre_hook(self._hook))
        if self.scheme == "inq":
            self.inq_step(INQ_PORTIONS[0])

    def _hook(self, m: nn.Module, _inputs: Any) -> None:
        w = m.weight  # weight_orig * weight_mask, set by the pruning hook that ran just before
        m.weight = self.quantized(m, w)

    def quantized(self, m: nn.Module, w: torch.Tensor) -> torch.Tensor:
        """The layer's quantized weight for shadow weight ``w`` (differentiable as the scheme says)."""
        if self.scheme == "uniform":
            return _uniform_ste(w, self.bits)
        if self.scheme == "ttq":
            return _TernarySTE.apply(w, m.ttq_wp, m.ttq_wn) * m.weight_mask
        if self.scheme == "inq":
            return torch.where(m.inq_frozen, m.inq_values, w)
        k = m.km_index
        return torch.where(k >= 0, m.km_codebook[k.clamp(min=0)], torch.zeros_like(w))

    # -- INQ's incremental partition --------------------------------------------------------------------
    def inq_step(self, portion: float) -> None:
        """Freeze (quantize) the largest-magnitude weights until ``portion`` of each layer's non-zero
        weights are quantized (INQ's accumulated portion); the rest stay float and trainable."""
        if self.scheme != "inq":
            raise ConfigError("inq_step applies to the inq scheme only")
        with torch.no_grad():
            for m in self.layers.values():
                w = (m.weight_orig * m.weight_mask).detach()
                live = m.weight_mask.bool()
                target = int(round(portion * int(live.sum())))
                todo = target - int(m.inq_frozen.sum())
                if todo <= 0:
                    continue
                score = torch.where(live & ~m.inq_frozen, w.abs(), torch.full_like(w, -1.0)).flatten()
                order = torch.argsort(score, descending=True, stable=True)[:todo]
                newly = torch.zeros_like(score, dtype=torch.bool)
                newly[order] = True
                newly = newly.reshape(w.shape)
                m.inq_values.copy_(torch.where(newly, _round_inq(w, m.inq_levels), m.inq_values))
                m.inq_frozen |= newly

    # -- baking ------------------------------------------------------------------------------------------
    def finish(self) -> int:
        """Write the quantized weights into the model and remove the training state; returns the largest
        number of distinct weight values (zero included) of any layer."""
        most = 0
        with torch.no_grad():
            for m in self.layers.values():
                w = (m.weight_orig * m.weight_mask).detach()
                if self.scheme == "uniform":  # accelsim's own quantizer: the same rule, by construction exact
                    q = torch.from_numpy(quantize_weights(w.numpy(), "uniform", self.bits)[0])
                else:
                    q = self.quantized(m, w).detach() * m.weight_mask
                m.weight_orig.copy_(q)
                m.weight_orig.requires_grad_(True)
                m.weight = m.weight_orig * m.weight_mask
                most = max(most, int(torch.unique(q + 0.0).numel()))
                for attr in ("ttq_wp", "ttq_wn", "km_codebook", "inq_levels", "inq_frozen", "inq_values",
                             "km_index"):
                    if hasattr(m, attr):
                        delattr(m, attr)
        for h in self.handles:
            h.remove()
        self.handles = []
        return most


def quant_finetune(model: nn.Module, scheme: str, bits: int | None, train_fn: Callable[[nn.Module], Any],
                   ) -> int:
    """Quantize ``model`` in place with ``scheme`` and fine-tune it by the scheme's published method.

    ``train_fn(model)`` trains for one round (its optimizer sees every trainable parameter, the scheme's
    new ones included).  uniform / ttq / kmeans: one round with the quantized forward.  inq: a round after
    each of the 50%, 75% and 87.5% portions, then the last 12.5% is quantized (no float weight remains).
    Returns the largest number of distinct weight values of any layer.
    """
    qt = QuantTrainer(model, scheme, bits)
    if scheme == "inq":
        for portion in INQ_PORTIONS[1:]:
            train_fn(model)
            qt.inq_step(portion)
    else:
        train_fn(model)
    return qt.finish()


__all__ = ["INQ_PORTIONS", "QuantTrainer", "quant_finetune"]
