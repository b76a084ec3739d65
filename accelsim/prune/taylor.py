"""First-order Taylor criterion on feature maps (Molchanov, Tyree, Karras, Aila, Kautz, ICLR 2017,
"Pruning Convolutional Neural Networks for Resource Efficient Inference"), channel pruning.

The importance of feature map ``k`` of layer ``l`` is the first-order estimate of the loss change when the
map is set to zero, averaged over examples (Eq. 8):

    Theta(z_l^k) = mean_n | (1/M) sum_m dC/dz_{n,m} * z_{n,m} |      (m over the map's M = E*F positions)

followed by the layer-wise L2 normalization of Sec. 2.3 (``Theta / ||Theta_l||_2``) so maps of different
layers are ranked together.  ``z`` is captured at the conv module's output (pre-activation).  When a ReLU
follows, this equals the criterion on the post-ReLU map: where ``z < 0`` the ReLU's derivative kills
``dC/dz``, and where ``z > 0`` both agree, so ``sum dC/dz * z`` is the same on both sides.

The schedule is iterative like the paper's: score all maps on a few batches, remove the lowest ones
(physically, :func:`accelsim.prune.structured.remove_channels`), fine-tune (``train_fn``), repeat.  The
target is the fraction of the named layers' channels removed in total, exactly ``round(ratio * sum M_l)``,
split as evenly as possible over the steps; a layer always keeps at least one channel.  Linear layers
may be named too (their neurons are 1x1 maps); by default only the Conv2d layers are pruned.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from accelsim.errors import ConfigError
from accelsim.prune.masks import n_to_prune, prunable_layers
from accelsim.prune.structured import default_layers, remove_channels

Batches = Sequence[tuple[torch.Tensor, torch.Tensor]]


def conv_layers(model: nn.Module) -> list[str]:
    """The Conv2d layers among the prunable layers that are not the last one."""
    mods = prunable_layers(model)
    return [n for n in default_layers(model) if isinstance(mods[n], nn.Conv2d)]


def taylor_scores(model: nn.Module, batches: Batches, layers: Iterable[str] | None = None,
                  normalize: bool = True) -> dict[str, torch.Tensor]:
    """Theta of every output channel of the named layers (shape (M,) each), L2-normalized per layer."""
    names = conv_layers(model) if layers is None else list(layers)
    mods = prunable_layers(model, names)
    if not batches:
        raise ConfigError("the Taylor criterion needs at least one batch of (inputs, labels)")
    sums = {n: torch.zeros(m.weight.shape[0], dtype=torch.float64) for n, m in mods.items()}
    count = 0
    feats: dict[str, torch.Tensor] = {}

    def hook(name: str):
        def f(mod: nn.Module, inp: tuple, out: torch.Tensor) -> None:
            out.retain_grad()
            feats[name] = out
        return f

    handles = [m.register_forward_hook(hook(n)) for n, m in mods.items()]
    was = model.training
    model.eval()
    try:
        for x, y in batches:
            feats.clear()
            model.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            for n, z in feats.items():
                gz = (z.grad * z).detach()
                per = gz.reshape(gz.shape[0], gz.shape[1], -1).mean(dim=2).abs()  # (N, M)
                sums[n] += per.sum(0).to(torch.float64)
            count += x.shape[0]
    finally:
        for h in handles:
            h.remove()
        model.zero_grad(set_to_none=True)
        model.train(was)
    out = {}
    for n, s in sums.items():
        theta = s / count
        if normalize:
            norm = theta.norm()
            theta = theta / norm if norm > 0 else theta
        out[n] = theta
    return out


def taylor_prune(model: nn.Module, ratio: float, batches: Batches, example_inputs: torch.Tensor,
                 train_fn: Callable[[nn.Module], Any] | None = None, steps: int = 1,
                 layers: Iterable[str] | None = None,
                 eval_fn: Callable[[nn.Module], float] | None = None
                 ) -> tuple[nn.Module, dict[str, list[int]], list[dict[str, Any]]]:
    """Remove ``round(ratio * total channels)`` feature maps in ``steps`` rounds; fine-tune between rounds.

    Returns (the smaller model, the removed channels of each layer as *original* indices, one history
    record per step).  ``model`` is not modified.
    """
    names = conv_layers(model) if layers is None else list(layers)
    mods = prunable_layers(model, names)
    total = sum(m.weight.shape[0] for m in mods.values())
    n_total = n_to_prune(ratio, total, "taylor")
    if n_total > total - len(names):
        raise ConfigError(f"ratio {ratio} removes {n_total} of {total} channels: every layer must keep one")
    if steps < 1:
        raise ConfigError(f"steps must be >= 1, got {steps}")
    per_step = [n_total // steps + (1 if k < n_total % steps else 0) for k in range(steps)]
    alive = {n: list(range(m.weight.shape[0])) for n, m in mods.items()}  # original ids still present
    removed: dict[str, list[int]] = {n: [] for n in names}
    history = []
    cur = model
    for k, n_step in enumerate(per_step, start=1):
        if n_step:
            scores = taylor_scores(cur, batches, names)
            # one global ranking; a layer's last surviving channel can never be picked
            cand = [(float(scores[n][j]), li, j) for li, n in enumerate(names) for j in range(len(alive[n]))]
            cand.sort()  # by score, then layer order, then channel index: deterministic ties
            left = {n: len(alive[n]) for n in names}
            pick: dict[str, list[int]] = {n: [] for n in names}
            for _, li, j in cand:
                if sum(len(v) for v in pick.values()) == n_step:
                    break
                n = names[li]
                if left[n] > 1:
                    pick[n].append(j)
                    left[n] -= 1
            cur = remove_channels(cur, {n: v for n, v in pick.items() if v}, example_inputs)
            for n, v in pick.items():
                removed[n] += [alive[n][j] for j in v]
                alive[n] = [c for j, c in enumerate(alive[n]) if j not in set(v)]
        if train_fn is not None:
            train_fn(cur)
        history.append({"step": k, "removed": sum(len(v) for v in removed.values()),
                        "channels": {n: len(alive[n]) for n in names},
                        "accuracy": eval_fn(cur) if eval_fn else None})
    return cur, {n: sorted(v) for n, v in removed.items()}, history
