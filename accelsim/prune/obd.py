"""Optimal Brain Damage (LeCun, Denker, Solla, NIPS 1989): prune the weights of lowest saliency
``s_i = w_i^2 * H_ii / 2``, the second-order estimate of the loss increase when ``w_i`` is set to zero
(at a minimum, with the off-diagonal Hessian terms neglected).

The diagonal ``H_ii`` of the Hessian of the mean cross-entropy loss over a set of samples is computed by
one of two estimators (``estimator=``):

- ``"gauss_newton"`` (default) -- **exact** diagonal of the generalized Gauss-Newton matrix
  ``G = (1/N) sum_n J_n^T Lambda_n J_n`` with ``Lambda_n = diag(p_n) - p_n p_n^T`` the Hessian of the
  softmax cross-entropy in the logits.  Writing ``Lambda_n = sum_c a_c a_c^T`` with
  ``a_c = sqrt(p_c) (e_c - p)``, ``G_ii = (1/N) sum_n sum_c (J_n^T a_c)_i^2``: one batched backward pass per
  sample (``torch.autograd.grad(..., is_grads_batched=True)`` over the classes), no sampling.  For nets
  made of conv/fc layers, ReLU and max-pooling the logits are affine in each single weight (for a fixed
  activation pattern), so ``d^2 f / d w_i^2 = 0`` and ``G_ii`` *equals* the true Hessian diagonal ``H_ii``
  almost everywhere; OBD's own derivation uses this Gauss-Newton (Levenberg-Marquardt) diagonal too.
  For other nets it is the usual positive semi-definite approximation.
- ``"hutchinson"`` -- an unbiased stochastic estimate of the true Hessian diagonal,
  ``diag(H) ~ mean_k v_k * (H v_k)`` with Rademacher probes ``v_k`` (Hutchinson 1990; Bekas et al. 2007),
  via double backward.  Its noise falls like 1/sqrt(n_probes); individual entries can come out negative.

Saliencies estimate a loss change, so they are comparable across layers: the default ranking is global.
The exact-count and tie rules of :mod:`accelsim.prune.masks` apply; already pruned weights stay pruned.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from accelsim.errors import ConfigError
from accelsim.prune.masks import effective_weight, prunable_layers, prune_by_scores

Batches = Sequence[tuple[torch.Tensor, torch.Tensor]]


def _weight_params(model: nn.Module, layers: Iterable[str] | None) -> dict[str, torch.Tensor]:
    """The tensor autograd differentiates for each layer: ``weight_orig`` when pruned, else ``weight``.

    On unmasked entries the derivatives w.r.t. ``weight_orig`` equal those w.r.t. the effective weight.
    """
    out = {}
    for n, m in prunable_layers(model, layers).items():
        out[n] = m.weight_orig if hasattr(m, "weight_orig") else m.weight
    return out


def _cat(batches: Batches) -> tuple[torch.Tensor, torch.Tensor]:
    if not batches:
        raise ConfigError("OBD needs at least one batch of (inputs, labels)")
    return torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])


def diag_hessian(model: nn.Module, batches: Batches, estimator: str = "gauss_newton",
                 layers: Iterable[str] | None = None, n_probes: int = 32, seed: int = 0) -> dict[str, torch.Tensor]:
    """Diagonal of the Hessian of the mean cross-entropy over ``batches``, per layer, in the weights' shape."""
    x, y = _cat(batches)
    params = _weight_params(model, layers)
    plist = list(params.values())
    was = model.training
    model.eval()
    try:
        if estimator == "gauss_newton":
            acc = [torch.zeros_like(p) for p in plist]
            for i in range(x.shape[0]):
                z = model(x[i:i + 1])  # (1, K)
                p = torch.softmax(z.detach(), dim=1)[0]
                K = p.numel()
                a = p.sqrt()[:, None] * (torch.eye(K) - p[None, :])  # row c: sqrt(p_c) (e_c - p)
                grads = torch.autograd.grad(z, plist, grad_outputs=a[:, None, :], is_grads_batched=True)
                for s, g in zip(acc, grads):
                    s += (g ** 2).sum(0)
            diag = [s / x.shape[0] for s in acc]
        elif estimator == "hutchinson":
            if n_probes < 1:
                raise ConfigError(f"n_probes must be >= 1, got {n_probes}")
            gen = torch.Generator().manual_seed(seed)
            loss = F.cross_entropy(model(x), y)
            g = torch.autograd.grad(loss, plist, create_graph=True)
            diag = [torch.zeros_like(p) for p in plist]
            for _ in range(n_probes):
                v = [torch.randint(0, 2, p.shape, generator=gen).to(p.dtype) * 2 - 1 for p in plist]
                hv = torch.autograd.grad(g, plist, grad_outputs=v, retain_graph=True)
                for d, vi, hvi in zip(diag, v, hv):
                    d += vi * hvi / n_probes
        else:
            raise ConfigError(f"estimator must be 'gauss_newton' or 'hutchinson', got {estimator!r}")
    finally:
        model.train(was)
    return {n: d.detach() for n, d in zip(params, diag)}


def obd_scores(model: nn.Module, batches: Batches, estimator: str = "gauss_newton",
               layers: Iterable[str] | None = None, **kw) -> dict[str, torch.Tensor]:
    """OBD saliency ``w^2 * H_ii / 2`` of every weight of the named layers."""
    h = diag_hessian(model, batches, estimator=estimator, layers=layers, **kw)
    mods = prunable_layers(model, list(h))
    return {n: effective_weight(mods[n]) ** 2 * h[n] / 2 for n in h}


def obd_prune(model: nn.Module, sparsity: float, batches: Batches, scope: str = "global",
              estimator: str = "gauss_newton", layers: Iterable[str] | None = None, **kw) -> dict[str, float]:
    """Mask the lowest-saliency weights of ``model`` in place to an exact sparsity; returns per-layer sparsity.

    ``batches``: (inputs, labels) pairs the Hessian diagonal is estimated on (a few hundred samples do).
    """
    return prune_by_scores(model, obd_scores(model, batches, estimator, layers, **kw), sparsity, scope=scope)
