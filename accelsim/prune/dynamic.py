"""Dynamic adjustment of the pruning level (after "An Energy-Efficient Inference Method in CNNs Based on
Dynamic Adjustment of the Pruning Level", ACM TODAES 2021), with energies from accelsim's Eyeriss model.

Two versions of one trained network -- a *mildly* and an *aggressively* pruned one -- and a small
*selector* that looks at the aggressive network's last conv feature map (the flattened input of its first
fc layer, which the aggressive network computes anyway) and predicts whether the aggressive network's
answer is wrong.  Every input runs on the aggressive network and the selector; the inputs the selector
flags are *escalated* to the mild network, whose answer replaces the aggressive one.

Pruning (``method``)
    ``structured`` (default): L1 filter pruning (:func:`accelsim.prune.structured.structured_prune`,
    every layer but the classifier loses ``round(level * M)`` filters), then retraining.  Default levels
    0.3 / 0.9 of the filters keep about 49 % / 1.1 % of LeNet-5's weights (at 0.75 the aggressive LeNet-5
    is as accurate as the mild one on the digits, leaving nothing to select).  This is the default because
    **Eyeriss only saves energy on zero activations** (zero-gating), not on zero weights: an
    unstructured-pruned network costs Eyeriss nearly what the dense one does, so an unstructured
    aggressive net would save nothing.  ``magnitude`` (levels = weight sparsities, default 0.5 / 0.95:
    one-shot magnitude for the mild net, Han et al.'s iterative prune/retrain in 3 rounds for the
    aggressive one) is kept to show exactly that.

Selector
    A tiny MLP ``Linear(F, hidden) - ReLU - Linear(hidden, 1)`` (``hidden = 0``: logistic regression) on
    the standardized features (the standardization is folded into the first Linear, so the deployed
    selector is two plain fc layers), trained with class-balanced binary cross-entropy to predict "the
    aggressive net is wrong".  It is trained on a *selector split*: ``selector_fraction`` (25 %) of the
    training images held out from the networks' training, because on the images it was trained on the
    aggressive net is almost never wrong.  Score ``s`` = P(wrong); an input is escalated when ``s > tau``.
    Baseline (``confidence``): escalate when the aggressive net's max softmax probability is ``< tau``
    (no selector, so no selector energy; the 10-way softmax/max is not charged).
    Each sweep runs ``tau`` over ``-inf`` (escalate everything: exactly the mild net's accuracy), the
    quantiles 0, 1/points, ..., 1 of the scores on the selector split, and ``+inf`` (escalate nothing:
    exactly the aggressive net's accuracy).

Energy (Eyeriss, pJ per image)
    Each network is exported (:func:`accelsim.export.export_model`) on the first ``images`` test images
    and simulated with ``runner.simulate(trace, "eyeriss")``; energy per image = total / ``images`` (the
    weights' DRAM traffic is amortized over that batch, so the batch size is part of the result).  The
    selector is exported the same way -- its fc layers on the aggressive net's features of the same
    images -- and simulated on Eyeriss too (its input is charged a DRAM read, a slight over-count: the
    features are already on chip).  The combined system costs, per input::

        E = E_aggressive + E_selector + escalated_fraction * E_mild            (learned selector)
        E = E_aggressive + escalated_fraction * E_mild                          (confidence baseline)

    An escalated input re-runs the whole mild network (nothing of the aggressive run is reused).

Data: scikit-learn's digits, **not CIFAR-10** (the paper's ~70 % energy saved for ~3 % accuracy loss is
on CIFAR-10): compare the shape of the trade-off, not the numbers.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from accelsim.errors import ConfigError
from accelsim.prune.train import Data, evaluate, train

Row = dict[str, Any]
DEFAULT_LEVELS = {"structured": (0.3, 0.9), "magnitude": (0.5, 0.95)}


# ---- the combined system: pure functions ------------------------------------------------------------
def combined_energy(e_aggressive: float, e_selector: float, e_mild: float, escalated: float) -> float:
    """Energy per input: the aggressive net and the selector always run, the mild net on escalated inputs."""
    if not 0.0 <= escalated <= 1.0:
        raise ConfigError(f"escalated fraction must be in [0, 1], got {escalated}")
    return e_aggressive + e_selector + escalated * e_mild


def combined_predictions(pred_aggressive: np.ndarray, pred_mild: np.ndarray, escalate: np.ndarray) -> np.ndarray:
    """The mild net's answer where escalated, else the aggressive net's."""
    return np.where(np.asarray(escalate, bool), np.asarray(pred_mild), np.asarray(pred_aggressive))


def sweep(scores: np.ndarray, taus: Sequence[float], pred_aggressive: np.ndarray, pred_mild: np.ndarray,
          labels: np.ndarray, e_aggressive: float, e_selector: float, e_mild: float,
          escalate_below: bool = False) -> list[Row]:
    """One point per threshold: escalate where ``scores > tau`` (``escalate_below``: ``scores < tau``)."""
    scores = np.asarray(scores, np.float64)
    labels = np.asarray(labels)
    rows = []
    for tau in taus:
        esc = scores < tau if escalate_below else scores > tau
        frac = float(esc.mean())
        pred = combined_predictions(pred_aggressive, pred_mild, esc)
        rows.append({"threshold": float(tau), "escalated": frac, "accuracy": float((pred == labels).mean()),
                     "energy_pj": combined_energy(e_aggressive, e_selector, e_mild, frac)})
    return rows


def threshold_grid(calib_scores: np.ndarray, points: int = 20) -> list[float]:
    """``-inf``, the quantiles 0, 1/points, ..., 1 of ``calib_scores``, ``+inf`` (sorted, unique)."""
    q = np.quantile(np.asarray(calib_scores, np.float64), np.linspace(0.0, 1.0, points + 1))
    return [-np.inf] + sorted(set(float(v) for v in q)) + [np.inf]


# ---- networks ---------------------------------------------------------------------------------------
def split_train(data: Data, fraction: float, seed: int) -> tuple[Data, torch.Tensor, torch.Tensor]:
    """(data with the networks' part of the training split, selector-split images, labels): stratified."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(data.x_train.shape[0])
    keep, held = train_test_split(idx, test_size=fraction, random_state=seed, stratify=data.y_train.numpy())
    keep, held = torch.from_numpy(np.sort(keep)), torch.from_numpy(np.sort(held))
    nets = Data(data.x_train[keep], data.y_train[keep], data.x_test, data.y_test, data.description, data.seed)
    return nets, data.x_train[held], data.y_train[held]


def weights_kept(model: nn.Module, reference: nn.Module) -> float:
    """Non-zero conv/fc weights of ``model`` over the weight count of ``reference`` (the dense net)."""
    from accelsim.prune.masks import effective_weight, prunable_layers

    nz = sum(int((effective_weight(m) != 0).sum()) for m in prunable_layers(model).values())
    return nz / sum(m.weight.numel() for m in prunable_layers(reference).values())


def make_pruned(dense: nn.Module, data: Data, method: str, level: float, retrain_epochs: int, seed: int,
                aggressive: bool) -> nn.Module:
    """A pruned and retrained copy of ``dense`` (see the module docstring for the methods)."""
    from accelsim.prune.masks import clone_model

    if method == "structured":
        from accelsim.prune.structured import structured_prune

        model, _ = structured_prune(dense, level, data.x_train[:4])
        train(model, data, epochs=retrain_epochs, lr=1e-3, seed=seed)
    elif method == "magnitude":
        model = clone_model(dense)
        if aggressive:
            from accelsim.prune.iterative import iterative_prune
            from accelsim.prune.train import make_train_fn

            steps = 3
            iterative_prune(model, level, steps,
                            make_train_fn(data, max(1, retrain_epochs // steps), lr=1e-3, seed=seed),
                            method="han")
        else:
            from accelsim.prune.magnitude import magnitude_prune

            magnitude_prune(model, level)
            train(model, data, epochs=retrain_epochs, lr=1e-3, seed=seed)
    else:
        raise ConfigError(f"method must be 'structured' or 'magnitude', got {method!r}")
    model.eval()
    return model


@torch.no_grad()
def features_and_logits(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(input of the model's first ``nn.Linear`` -- the flattened last conv feature map --, logits)."""
    first = next((m for m in model.modules() if isinstance(m, nn.Linear)), None)
    if first is None:
        raise ConfigError(f"{type(model).__name__} has no Linear layer whose input the selector could reuse")
    got: list[torch.Tensor] = []
    h = first.register_forward_pre_hook(lambda mod, args: got.append(args[0].detach().clone()))
    model.eval()
    try:
        logits = model(x)
    finally:
        h.remove()
    return got[0], logits.detach()


# ---- the selector -----------------------------------------------------------------------------------
def train_selector(feats: torch.Tensor, wrong: torch.Tensor, hidden: int = 16, steps: int = 400,
                   lr: float = 1e-2, weight_decay: float = 1e-2, seed: int = 0) -> nn.Sequential:
    """A selector predicting ``wrong`` (1 = the aggressive net errs) from ``feats``; standardization folded
    into the first Linear.  Full-batch Adam on class-balanced BCE."""
    torch.manual_seed(seed)
    f = feats.shape[1]
    mean = feats.mean(0)
    std = feats.std(0).clamp_min(1e-6)
    layers: list[nn.Module] = ([nn.Linear(f, hidden), nn.ReLU(), nn.Linear(hidden, 1)] if hidden > 0
                               else [nn.Linear(f, 1)])
    net = nn.Sequential(*layers)
    y = wrong.to(torch.float32)
    pos = float(y.sum())
    pos_weight = torch.tensor((len(y) - pos) / pos if pos > 0 else 1.0)
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    z = (feats - mean) / std
    net.train()
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = F.binary_cross_entropy_with_logits(net(z).squeeze(1), y, pos_weight=pos_weight)
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():  # fold (x - mean) / std into the first layer
        first = net[0]
        first.bias -= first.weight @ (mean / std)
        first.weight /= std
    return net


@torch.no_grad()
def selector_scores(selector: nn.Module, feats: torch.Tensor) -> np.ndarray:
    return torch.sigmoid(selector(feats).squeeze(1)).double().numpy()


def eyeriss_energy_per_image(model: nn.Module, x: torch.Tensor, network: str) -> tuple[float, int]:
    """(Eyeriss energy per image in pJ on the batch ``x``, dense MACs per image)."""
    import warnings

    from accelsim import runner
    from accelsim.export.exporter import export_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        trace = export_model(model, x, network=network)
    res = runner.simulate(trace, "eyeriss")
    t = res.total
    if t.energy_unit != "pJ":
        raise ConfigError(f"expected Eyeriss energy in pJ, got {t.energy_unit}")
    n = x.shape[0]
    return t.energy / n, t.macs_dense // n


# ---- the study --------------------------------------------------------------------------------------
@dataclass
class System:
    """Everything the sweep needs, kept for tests and reuse."""

    y: np.ndarray
    pred_mild: np.ndarray
    pred_aggressive: np.ndarray
    pred_dense: np.ndarray
    scores: np.ndarray          # learned selector P(aggressive wrong), test split
    confidence: np.ndarray      # aggressive max softmax, test split
    calib_scores: np.ndarray    # selector split
    calib_confidence: np.ndarray
    energy: dict[str, float]    # pJ per image: dense, mild, aggressive, selector
    macs: dict[str, int]        # dense MACs per image
    kept: dict[str, float]      # weights kept vs the dense net
    info: dict[str, Any]


def build_system(net: str = "lenet5", method: str = "structured", levels: Sequence[float] | None = None,
                 epochs: int = 12, retrain_epochs: int = 6, hidden: int = 16, selector_fraction: float = 0.25,
                 images: int = 32, seed: int = 0, data: Data | None = None, dense: nn.Module | None = None
                 ) -> System:
    """Train the dense net on the networks' split, prune it twice, train the selector, measure energies.
    ``data``/``dense`` (an untrained model) replace the digits and the accelsim.prune.nets network (tests)."""
    from accelsim.prune import nets
    from accelsim.prune.train import load_data

    mild_level, agg_level = levels if levels is not None else DEFAULT_LEVELS.get(method, (None, None))
    if mild_level is None:
        raise ConfigError(f"method must be 'structured' or 'magnitude', got {method!r}")
    if not 0.0 <= mild_level < agg_level < 1.0:
        raise ConfigError(f"levels must satisfy 0 <= mild < aggressive < 1, got {mild_level}, {agg_level}")
    if data is None:
        data = load_data(nets.INPUT_SHAPES[net], seed=seed)
        dense = nets.build(net, seed=seed)
    elif dense is None:
        raise ConfigError("pass the untrained dense model with the data")
    ndata, xs, ys = split_train(data, selector_fraction, seed)
    train(dense, ndata, epochs=epochs, seed=seed)
    dense.eval()
    mild = make_pruned(dense, ndata, method, mild_level, retrain_epochs, seed + 1, aggressive=False)
    agg = make_pruned(dense, ndata, method, agg_level, retrain_epochs, seed + 2, aggressive=True)

    fs, ls = features_and_logits(agg, xs)
    wrong = (ls.argmax(1) != ys)
    selector = train_selector(fs, wrong, hidden=hidden, seed=seed + 3)
    ft, lt = features_and_logits(agg, data.x_test)
    with torch.no_grad():
        pm = mild(data.x_test).argmax(1).numpy()
        pdn = dense(data.x_test).argmax(1).numpy()
    xe = data.x_test[:images]
    energy, macs = {}, {}
    for name, m in (("dense", dense), ("mild", mild), ("aggressive", agg)):
        energy[name], macs[name] = eyeriss_energy_per_image(m, xe, f"{net}-{name}")
    energy["selector"], macs["selector"] = eyeriss_energy_per_image(selector, ft[:images], f"{net}-selector")
    return System(
        y=data.y_test.numpy(), pred_mild=pm, pred_aggressive=lt.argmax(1).numpy(), pred_dense=pdn,
        scores=selector_scores(selector, ft), confidence=F.softmax(lt, 1).max(1).values.double().numpy(),
        calib_scores=selector_scores(selector, fs), calib_confidence=F.softmax(ls, 1).max(1).values.double().numpy(),
        energy=energy, macs=macs,
        kept={"dense": 1.0, "mild": weights_kept(mild, dense), "aggressive": weights_kept(agg, dense)},
        info={"net": net, "method": method, "mild_level": mild_level, "aggressive_level": agg_level,
              "selector_hidden": hidden, "selector_train": int(len(ys)), "selector_train_wrong": int(wrong.sum()),
              "images": int(xe.shape[0]), "dataset": data.description,
              "accuracy_check": {"mild": evaluate(mild, data), "aggressive": evaluate(agg, data)}})


def system_rows(s: System, points: int = 20) -> list[Row]:
    """Rows: each network alone, then the learned-selector and confidence sweeps."""
    e = s.energy
    acc_mild = float((s.pred_mild == s.y).mean())
    common = {"net": s.info["net"], "method": s.info["method"], "mild_level": s.info["mild_level"],
              "aggressive_level": s.info["aggressive_level"]}

    def finish(r: Row, system: str) -> Row:
        r = {**common, "system": system, **r}
        r["energy_vs_mild"] = r["energy_pj"] / e["mild"]
        r["energy_saved_vs_mild"] = 1.0 - r["energy_vs_mild"]
        r["accuracy_loss_vs_mild"] = acc_mild - r["accuracy"]
        return r

    rows = []
    for name, pred in (("dense", s.pred_dense), ("mild", s.pred_mild), ("aggressive", s.pred_aggressive)):
        rows.append(finish({"threshold": float("nan"), "escalated": 1.0 if name == "mild" else 0.0,
                            "accuracy": float((pred == s.y).mean()), "energy_pj": e[name]}, f"{name} alone"))
    for r in sweep(s.scores, threshold_grid(s.calib_scores, points), s.pred_aggressive, s.pred_mild, s.y,
                   e["aggressive"], e["selector"], e["mild"]):
        rows.append(finish(r, "learned selector"))
    for r in sweep(s.confidence, threshold_grid(s.calib_confidence, points), s.pred_aggressive, s.pred_mild,
                   s.y, e["aggressive"], 0.0, e["mild"], escalate_below=True):
        rows.append(finish(r, "confidence baseline"))
    extra = {"e_dense_pj": e["dense"], "e_mild_pj": e["mild"], "e_aggressive_pj": e["aggressive"],
             "e_selector_pj": e["selector"], "macs_mild": s.macs["mild"], "macs_aggressive": s.macs["aggressive"],
             "macs_selector": s.macs["selector"], "weights_kept_mild": s.kept["mild"],
             "weights_kept_aggressive": s.kept["aggressive"], "selector_train": s.info["selector_train"],
             "selector_train_wrong": s.info["selector_train_wrong"], "images": s.info["images"],
             "dataset": s.info["dataset"]}
    return [{**r, **extra} for r in rows]


def dynamic_study(net: str = "lenet5", method: str = "structured", levels: Sequence[float] | None = None,
                  epochs: int = 12, retrain_epochs: int = 6, hidden: int = 16, images: int = 32,
                  points: int = 20, seed: int = 0) -> list[Row]:
    """The whole study (see the module docstring); rows for ``dynamic.csv``."""
    s = build_system(net, method, levels, epochs, retrain_epochs, hidden, images=images, seed=seed)
    return system_rows(s, points)


def best_within(rows: list[Row], system: str, max_loss: float) -> Row | None:
    """The lowest-energy point of ``system`` whose accuracy loss vs the mild net is at most ``max_loss``."""
    ok = [r for r in rows if r["system"] == system and r["accuracy_loss_vs_mild"] <= max_loss + 1e-12]
    return min(ok, key=lambda r: r["energy_pj"]) if ok else None
