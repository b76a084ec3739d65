"""Synthetic traces: real layer shapes with seeded random tensors of chosen per-layer densities.

(Over ~400 lines on purpose: the density profiles, the clustered-zero pattern and the writer share the one
seeded per-layer rule, which must stay in one place to stay reproducible.)

``synth_trace("alexnet", batch=4, weight_density="han2015", act_density="eyeriss-alexnet")`` gives a
:class:`Trace` whose layers have AlexNet's shapes, whose weights keep exactly Han et al.'s fraction per
layer and whose inputs have exactly Eyeriss's measured fraction of non-zeros.  The manifest's ``source``
says ``"synthetic": true`` with every parameter, so figures made from it can say so.

How tensors are drawn
---------------------
- Each layer gets its own generators, seeded from ``(seed, index of the layer in the network, stream)``,
  so a layer's tensors do not depend on which other layers are selected, nor its inputs on the weight
  density (weights and inputs use separate streams).
- A tensor of ``n`` values with density ``d`` has exactly ``k = floor(d * n + 0.5)`` non-zeros, placed
  uniformly at random without replacement (chunked: a multivariate hypergeometric split of ``k`` over
  chunks of 2^20 values, then ``Generator.choice`` inside each chunk, so memory stays bounded).
- Weights: normal with He's std ``sqrt(2 / (C/groups * R * S))``.  Inputs: for the network's first layer,
  signed standard normal (a mean-subtracted image); for later layers, non-negative half-normal (the output
  of a ReLU of a normal pre-activation).
- Magnitudes are clipped to ``[4 * 2**-8, 4]`` standard deviations, so every non-zero value is at least
  2^-8 of the tensor's largest magnitude and none rounds to zero in 16-bit fixed point
  (:mod:`accelsim.fixedpoint` keeps at least 14 bits below the largest magnitude): densities measured
  after quantization equal the requested ones exactly.
- Outputs (``with_outputs=True``) are computed from the layer's own inputs and weights (convolution, then
  ReLU except for the network's last layer); they are not the next layer's inputs, which are drawn
  independently.

``values="float16"`` uses the streaming generator of :mod:`accelsim.trace.synth_stream` instead: the same
distributions and exact counts, float16 values, its own random streams (numba, a few ns per value).

Limitations: real activation zeros cluster (whole channels and regions go dark after ReLU) and real
pruned weights lose their small magnitudes first.  iid placement balances Cnvlutin's lanes better than
real activations do (``act_pattern="clustered"`` models the clustering; it barely changes RLC sizes,
which follow the non-zero count), and synthetic outputs (ReLU of random convolutions, about 50% dense)
are denser than real ones: results on synthetic traces are estimates, not measurements.

Density profiles (see :mod:`accelsim.trace.networks` for the data and sources)
-----------------------------------------------------------------------------
Weights: ``"dense"`` (1.0), ``"han2015"`` (alexnet, vgg16, lenet5 only: the seed nets were not in Han's
paper, so asking for them raises ConfigError; pass a float instead), a float in [0, 1] for every layer,
or a mapping ``{layer name: density}`` covering every selected layer.
Inputs: ``"dense"``; ``"han2015"`` (layer i's input = Act% of layer i-1, first layer 1.0);
``"eyeriss-alexnet"`` (alexnet only: conv inputs measured by Eyeriss, fc inputs from han2015);
``"cnvlutin44"`` (0.56 for every layer but the first, which is dense); a float (every layer but the
network's first, which stays dense: it is the image); or a mapping ``{layer name: density}``.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from accelsim.errors import ConfigError
from accelsim.geometry import geometry
from accelsim.trace.format import FORMAT_NAME, FORMAT_VERSION, LayerSpec, LayerTrace, Trace
from accelsim.trace.networks import (CNVLUTIN_CONV_INPUT_DENSITY, EYERISS_ALEXNET_INPUTS, HAN2015_ACTS,
                                     HAN2015_WEIGHTS, get_network)
from accelsim.trace.synth_stream import MAG_MAX, MAG_MIN  # noqa: F401 (re-exported)

WEIGHT_PROFILES = ("dense", "han2015")
ACT_PROFILES = ("dense", "han2015", "eyeriss-alexnet", "cnvlutin44")
GENERATOR = "accelsim trace synth"
CHUNK = 1 << 20
_WEIGHT_STREAM, _INPUT_STREAM = 0, 1

DensityArg = str | float | Mapping[str, float]


def parse_density(text: str, profiles: Sequence[str]) -> str | float:
    """A profile name from ``profiles`` or a float in [0, 1] (for command-line options)."""
    if text in profiles:
        return text
    try:
        v = float(text)
    except ValueError:
        raise ConfigError(f"density {text!r} is neither a number in [0, 1] nor one of "
                          f"{', '.join(profiles)}") from None
    _check_fraction(v, "density")
    return v


def _check_fraction(v: Any, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
        raise ConfigError(f"{what} must be a number in [0, 1], got {v!r}")
    f = float(v)
    if not (0.0 <= f <= 1.0):
        raise ConfigError(f"{what} must be in [0, 1], got {v!r}")
    return f


def _from_mapping(network: str, d: Mapping[str, float], names: list[str], what: str) -> dict[str, float]:
    unknown = sorted(set(d) - set(names))
    if unknown:
        raise ConfigError(f"{what}: no layer(s) {unknown} in network {network!r}")
    return {n: _check_fraction(v, f"{what} of layer {n!r}") for n, v in d.items()}


def weight_densities(network: str, profile: DensityArg) -> dict[str, float]:
    """Kept-weight fraction of every layer of ``network`` under ``profile`` (layers missing from a
    mapping are left out: :func:`synth_trace` rejects a selection that needs them)."""
    net = get_network(network)
    network, names = net.name, [d["name"] for d in net.layers]
    if isinstance(profile, Mapping):
        return _from_mapping(network, profile, names, "weight density")
    if isinstance(profile, str):
        if profile == "dense":
            return {n: 1.0 for n in names}
        if profile == "han2015":
            if network not in HAN2015_WEIGHTS:
                raise ConfigError(f"weight density profile 'han2015' has no values for network {network!r} "
                                  f"(Han et al. 2015 prune {', '.join(HAN2015_WEIGHTS)}); pass a number instead")
            return dict(HAN2015_WEIGHTS[network])
        raise ConfigError(f"unknown weight density profile {profile!r}: use one of "
                          f"{', '.join(WEIGHT_PROFILES)} or a number in [0, 1]")
    v = _check_fraction(profile, "weight density")
    return {n: v for n in names}


def act_densities(network: str, profile: DensityArg) -> dict[str, float]:
    """Input-activation density of every layer of ``network`` under ``profile``."""
    net = get_network(network)
    network, names = net.name, [d["name"] for d in net.layers]
    if isinstance(profile, Mapping):
        return _from_mapping(network, profile, names, "input density")
    if isinstance(profile, str):
        if profile == "dense":
            return {n: 1.0 for n in names}
        if profile == "cnvlutin44":
            return {n: 1.0 if i == 0 else CNVLUTIN_CONV_INPUT_DENSITY for i, n in enumerate(names)}
        if profile in ("han2015", "eyeriss-alexnet"):
            if profile == "eyeriss-alexnet" and network != "alexnet":
                raise ConfigError(f"input density profile 'eyeriss-alexnet' is for network 'alexnet', "
                                  f"not {network!r}")
            if network not in HAN2015_ACTS:
                raise ConfigError(f"input density profile 'han2015' has no values for network {network!r} "
                                  f"(Han et al. 2015 report {', '.join(HAN2015_ACTS)}); pass a number instead")
            acts = HAN2015_ACTS[network]
            out = {n: 1.0 if i == 0 else acts[names[i - 1]] for i, n in enumerate(names)}
            if profile == "eyeriss-alexnet":
                out.update(EYERISS_ALEXNET_INPUTS)
            return out
        raise ConfigError(f"unknown input density profile {profile!r}: use one of "
                          f"{', '.join(ACT_PROFILES)} or a number in [0, 1]")
    v = _check_fraction(profile, "input density")
    return {n: 1.0 if i == 0 else v for i, n in enumerate(names)}


def exact_count(density: float, size: int) -> int:
    """Number of non-zeros of a tensor of ``size`` values at ``density`` (round half up)."""
    return min(size, int(math.floor(density * size + 0.5)))


def sparse_tensor(rng: np.random.Generator, shape: tuple[int, ...], density: float, std: float = 1.0,
                  signed: bool = True) -> np.ndarray:
    """float32 tensor of ``shape`` with exactly ``exact_count(density, size)`` non-zeros at uniformly
    random positions; values ~ N(0, std) (``signed``) or |N(0, std)|, magnitudes clipped to
    [MAG_MIN, MAG_MAX] * std so none quantizes to zero in 16-bit fixed point."""
    n = int(np.prod(shape, dtype=np.int64))
    k = exact_count(_check_fraction(density, "density"), n)
    out = np.zeros(n, dtype=np.float32)
    if k == 0:
        return out.reshape(shape)
    starts = list(range(0, n, CHUNK))
    sizes = np.array([min(CHUNK, n - s) for s in starts], dtype=np.int64)
    per_chunk = (rng.multivariate_hypergeometric(sizes, k, method="marginals") if len(starts) > 1
                 else np.array([k]))
    for start, size, kc in zip(starts, sizes.tolist(), per_chunk.tolist()):
        if kc == 0:
            continue
        vals = _values(rng, kc, std, signed)
        if kc == size:
            out[start:start + size] = vals
        else:
            idx = rng.choice(size, kc, replace=False, shuffle=False)
            out[start + idx] = vals
    return out.reshape(shape)


ACT_PATTERNS = ("iid", "clustered")
VALUE_KINDS = ("float32", "float16")
STORAGES = ("deflate", "packed")


def clustered_activations(rng: np.random.Generator, shape: tuple[int, ...], density: float,
                          smooth: int = 5, channel_spread: float = 1.0) -> np.ndarray:
    """Non-negative float32 activations with exactly ``exact_count(density, size)`` non-zeros whose zeros
    cluster like a ReLU's: ReLU(field - t), where the field is white noise box-smoothed over ``smooth`` x
    ``smooth`` pixels per (image, channel) plane, plus a per-channel offset N(0, ``channel_spread``) (some
    channels are almost always active, others almost never, as biases make them), normalized to unit
    variance; t is the quantile that keeps the requested count (ties broken by position).  An FC input
    (N, C) has no spatial extent: only the per-channel offsets cluster it."""
    n = int(np.prod(shape, dtype=np.int64))
    k = exact_count(_check_fraction(density, "density"), n)
    if k == 0:
        return np.zeros(shape, dtype=np.float32)
    x = rng.standard_normal(shape, dtype=np.float32)
    if len(shape) == 4 and smooth > 1:
        from numpy.lib.stride_tricks import sliding_window_view
        p = smooth // 2
        for ax in (2, 3):  # separable box filter, same size output
            pad = [(0, 0)] * 4
            pad[ax] = (p, smooth - 1 - p)
            x = sliding_window_view(np.pad(x, pad, mode="wrap"), smooth, axis=ax).mean(axis=-1)
        x = x / max(float(x.std()), 1e-12)
    if len(shape) >= 2:
        off = rng.standard_normal(shape[1]).astype(np.float32) * np.float32(channel_spread)
        x = x + off.reshape((1, -1) + (1,) * (len(shape) - 2))
    flat = x.reshape(-1)
    order = np.argsort(-flat, kind="stable")
    out = np.zeros(n, dtype=np.float32)
    kept = order[:k]
    t = flat[order[k]] if k < n else flat[order[-1]] - 1.0
    out[kept] = np.clip(flat[kept] - t, 0, None)
    # no kept value may quantize to zero (as in sparse_tensor): lift the smallest to MAG_MIN of the max
    mx = float(out.max()) if k else 1.0
    out[kept] = np.maximum(out[kept], np.float32(MAG_MIN * max(mx, 1e-12) / MAG_MAX))
    return out.reshape(shape)


def _values(rng: np.random.Generator, k: int, std: float, signed: bool) -> np.ndarray:
    v = rng.standard_normal(k, dtype=np.float32)
    mag = np.clip(np.abs(v), MAG_MIN, MAG_MAX) * np.float32(std)
    return np.copysign(mag, v) if signed else mag


def _layer_rng(seed: int, index: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, index, stream])


def forward(spec: LayerSpec, inputs: np.ndarray, weights: np.ndarray, relu: bool = True) -> np.ndarray:
    """Functional output of a layer (float32, ``spec.output_shape``): convolution (or matrix product),
    then ReLU if ``relu``.  Plain numpy: one BLAS product per filter tap and group."""
    if spec.kind == "fc":
        out = inputs.astype(np.float32) @ weights.astype(np.float32).T
    else:
        N, E, F = spec.N, spec.E, spec.F
        geo = geometry(spec)
        x = geo.pad(inputs)
        sh, sw, dh, dw = geo.h.stride, geo.w.stride, geo.h.dilation, geo.w.dilation
        out = np.zeros((spec.M, N, E, F), dtype=np.float32)
        for g in range(spec.groups):
            xg = x[:, g * spec.Cg:(g + 1) * spec.Cg]
            wg = weights[g * spec.Mg:(g + 1) * spec.Mg]
            og = out[g * spec.Mg:(g + 1) * spec.Mg]
            for r in range(spec.R):
                for s in range(spec.S):
                    y0, x0 = r * dh, s * dw
                    xs = xg[:, :, y0:y0 + sh * (E - 1) + 1:sh, x0:x0 + sw * (F - 1) + 1:sw]
                    og += np.tensordot(wg[:, :, r, s], xs, axes=([1], [1]))
        out = np.ascontiguousarray(out.transpose(1, 0, 2, 3))
    return np.maximum(out, 0, out=out) if relu else out


def synth_trace(network: "str | Network", batch: int = 1, seed: int = 0, weight_density: DensityArg = "dense",
                act_density: DensityArg = "dense", layers: str | Sequence[str] = "conv",
                with_outputs: bool = False, batch_scale: Mapping[str, int] | None = None,
                act_pattern: str = "iid", values: str = "float32") -> Trace:
    """A synthetic trace of ``network`` (see the module docstring for how tensors are drawn).

    ``layers``: ``"conv"`` (conv layers only), ``"all"``, or a list of layer names (kept in network order).
    ``batch_scale``: per-layer multiplier of ``batch`` (a SCALE-Sim GEMM row's M becomes its layer's N).
    ``act_pattern``: where the zeros of the (non-first) inputs go: ``iid`` uniformly at random, or
    ``clustered`` as a ReLU of a smooth random field with per-channel offsets (:func:`clustered_activations`).
    ``values``: ``"float32"``, or ``"float16"`` for the float16 generator (see :func:`synth_plan`).
    Raises ConfigError for an unknown network, profile or layer, or a bad batch, seed or density.
    """
    plan = synth_plan(network, batch, seed, weight_density, act_density, layers, with_outputs, batch_scale,
                      act_pattern, values)
    return Trace(network=plan.network, layers=[plan.layer(k) for k in range(len(plan.specs))],
                 source=plan.source, skipped=plan.skipped)


@dataclass
class SynthPlan:
    """Everything about a synthetic trace but its tensors; ``layer(k)`` draws the k-th chosen layer's
    tensors (each layer from its own seeded streams, so layers can be drawn one at a time, in any order)."""

    network: str
    specs: list[LayerSpec]
    indices: list[int]           # each chosen layer's index in the network (selects its random streams)
    wd: dict[str, float]
    ad: dict[str, float]
    seed: int
    with_outputs: bool
    act_pattern: str
    last_index: int
    source: dict[str, Any]
    skipped: list[dict[str, Any]]
    values: str = "float32"

    def _rounded(self, a: np.ndarray, what: str) -> np.ndarray:
        """``a`` with every value rounded to the nearest float16 (``values="float16"``), non-zeros kept
        non-zero (they are at least 2^-8 of the tensor's largest magnitude, far above float16's smallest)."""
        if self.values == "float32":
            return a
        before = np.count_nonzero(a)
        a[...] = a.astype(np.float16)  # in place: one float16 temporary
        if np.count_nonzero(a) != before:  # cannot happen for the magnitudes drawn here
            raise ConfigError(f"{what}: rounding to float16 turned non-zeros into zeros")
        return a

    def half_tensors(self, k: int) -> "tuple[HalfTensor, HalfTensor | None]":
        """``values="float16"``: layer k's weights and inputs as streams of the float16 generator
        (:mod:`accelsim.trace.synth_stream`); inputs None when they are clustered (drawn as float32, rounded)."""
        from accelsim.trace.synth_stream import HalfTensor
        spec, index = self.specs[k], self.indices[k]
        nw = int(np.prod(spec.weight_shape, dtype=np.int64))
        nx = int(np.prod(spec.input_shape, dtype=np.int64))
        w = HalfTensor(nw, exact_count(self.wd[spec.name], nw), math.sqrt(2.0 / (spec.Cg * spec.R * spec.S)),
                       True, self.seed, index, _WEIGHT_STREAM)
        if self.act_pattern == "clustered" and index > 0:
            return w, None
        return w, HalfTensor(nx, exact_count(self.ad[spec.name], nx), 1.0, index == 0, self.seed, index,
                             _INPUT_STREAM)

    def layer(self, k: int) -> LayerTrace:
        spec, index = self.specs[k], self.indices[k]
        name = spec.name
        if self.values == "float16":
            from accelsim.trace.synth_stream import draw_dense
            wt, xt = self.half_tensors(k)
            w = draw_dense(wt, spec.weight_shape)
            x = (draw_dense(xt, spec.input_shape) if xt is not None else self._rounded(
                clustered_activations(_layer_rng(self.seed, index, _INPUT_STREAM), spec.input_shape, self.ad[name]),
                f"layer {name!r} inputs"))
            y = forward(spec, x, w, relu=index < self.last_index) if self.with_outputs else None
            return LayerTrace(spec, w, x, y)
        fan_in = spec.Cg * spec.R * spec.S
        w = sparse_tensor(_layer_rng(self.seed, index, _WEIGHT_STREAM), spec.weight_shape, self.wd[name],
                          std=math.sqrt(2.0 / fan_in), signed=True)
        if self.act_pattern == "clustered" and index > 0:
            x = clustered_activations(_layer_rng(self.seed, index, _INPUT_STREAM), spec.input_shape, self.ad[name])
        else:
            x = sparse_tensor(_layer_rng(self.seed, index, _INPUT_STREAM), spec.input_shape, self.ad[name],
                              std=1.0, signed=(index == 0))
        w, x = self._rounded(w, f"layer {name!r} weights"), self._rounded(x, f"layer {name!r} inputs")
        y = forward(spec, x, w, relu=index < self.last_index) if self.with_outputs else None
        return LayerTrace(spec, w, x, y)

    def manifest(self, version: int = FORMAT_VERSION) -> dict[str, Any]:
        return {"format": FORMAT_NAME, "version": version, "network": self.network, "source": self.source,
                "layers": [s.to_dict() for s in self.specs], "skipped": list(self.skipped)}


def synth_plan(network: "str | Network", batch: int = 1, seed: int = 0, weight_density: DensityArg = "dense",
               act_density: DensityArg = "dense", layers: str | Sequence[str] = "conv",
               with_outputs: bool = False, batch_scale: Mapping[str, int] | None = None,
               act_pattern: str = "iid", values: str = "float32") -> SynthPlan:
    """The shapes, densities and source record of :func:`synth_trace`, checked, without drawing a tensor.
    ``values="float16"`` draws float16 values (recorded in the source) with the streaming generator of
    :mod:`accelsim.trace.synth_stream` (same distributions, its own random streams; clustered inputs are
    drawn as float32 and rounded), so the tensors store exactly in half the bytes and
    ``write_synth(..., storage="packed")`` writes them chunk by chunk."""
    net = get_network(network)
    network = net.name
    for what, v, lo in (("batch", batch, 1), ("seed", seed, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ConfigError(f"{what} must be an integer >= {lo}, got {v!r}")
    if act_pattern not in ACT_PATTERNS:
        raise ConfigError(f"act_pattern must be one of {ACT_PATTERNS}, got {act_pattern!r}")
    if values not in VALUE_KINDS:
        raise ConfigError(f"values must be one of {VALUE_KINDS}, got {values!r}")
    all_names = [d["name"] for d in net.layers]
    if isinstance(layers, str):
        if layers not in ("conv", "all"):
            raise ConfigError(f"layers must be 'conv', 'all' or a list of layer names, got {layers!r}")
        chosen = [d["name"] for d in net.layers if layers == "all" or d["kind"] == "conv"]
    else:
        wanted = list(layers)
        unknown = [n for n in wanted if n not in all_names]
        if unknown or not wanted:
            raise ConfigError(f"no layer(s) {unknown} in network {network!r} (it has {', '.join(all_names)})")
        chosen = [n for n in all_names if n in wanted]
    wd, ad = weight_densities(net, weight_density), act_densities(net, act_density)
    for what, d in (("weight density", wd), ("input density", ad)):
        missing = [n for n in chosen if n not in d]
        if missing:
            raise ConfigError(f"{what} mapping has no value for layer(s) {missing}")
    specs: list[LayerSpec] = []
    indices: list[int] = []
    skipped: list[dict[str, Any]] = []
    for index, d in enumerate(net.layers):
        name = d["name"]
        spec = LayerSpec.from_dict({**d, "N": int(batch) * int((batch_scale or {}).get(name, 1))})
        if name not in chosen:  # the network's layer is not in the trace: say so (trace coverage)
            skipped.append({"name": name, "type": d["kind"], "macs": spec.macs_dense,
                            "reason": "not selected (layers=" + (layers if isinstance(layers, str) else "list") + ")"})
            continue
        specs.append(spec)
        indices.append(index)
    source = {
        "synthetic": True,
        "generator": GENERATOR,
        "method": "seeded random tensors with real layer shapes and exact per-layer densities "
                  "(iid non-zero positions; weights N(0, He std), inputs signed normal for the first "
                  "layer, half-normal after)",
        "network": network,
        "seed": int(seed),
        "batch": int(batch),
        "layers": layers if isinstance(layers, str) else chosen,
        "weight_density": {"profile": _profile_name(weight_density), "per_layer": {n: wd[n] for n in chosen}},
        "act_density": {"profile": _profile_name(act_density), "per_layer": {n: ad[n] for n in chosen}},
        "with_outputs": bool(with_outputs),
        "act_pattern": act_pattern,
    }
    if values != "float32":
        source["values"] = values
        source["method"] = ("seeded random tensors with real layer shapes and exact per-layer densities, "
                            "float16 generator (accelsim.trace.synth_stream: xoshiro256** streams, uniformly "
                            "random non-zero positions, float16 values of the same clipped normal and "
                            "half-normal distributions as the float32 generator)")
    return SynthPlan(network, specs, indices, wd, ad, int(seed), bool(with_outputs), act_pattern,
                     len(net.layers) - 1, source, skipped, values)


def write_synth(plan: SynthPlan, path: "str | os.PathLike[str]", progress: bool = False,
                compresslevel: int = 1, storage: str = "deflate") -> Path:
    """Stream ``plan``'s trace to ``path`` layer by layer: each layer's tensors are drawn, written into
    the archive and dropped before the next, so memory holds one layer.  The file is written to a
    uniquely named temporary file and renamed when complete (accelsim.atomic); on any failure or
    interrupt the temporary file is removed.

    ``storage="deflate"``: the archive ``save_trace`` writes (format v2, deflated dense members).
    ``storage="packed"``: format v3, each array as a bit mask of its non-zeros plus their values (float16
    when exact), stored without deflate (:mod:`accelsim.trace.packed`): several times faster to write and
    read, and smaller at the densities of pruned networks.  Both load with ``load_trace``.
    """
    import zipfile

    from accelsim.progress import progress_iter
    from accelsim.trace.io import member
    from accelsim.trace.packed import PACKED_VERSION, write_array
    if storage not in STORAGES:
        raise ConfigError(f"storage must be one of {STORAGES}, got {storage!r}")
    packed = storage == "packed"
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
    from accelsim import atomic

    with atomic.atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel,
                             allowZip64=True) as zf:
            version = PACKED_VERSION if packed else FORMAT_VERSION
            write_array(zf, "manifest", np.array(json.dumps(plan.manifest(version))), packed=False)
            for k in progress_iter(range(len(plan.specs)), f"synth {plan.network}", enabled=progress):
                if packed and plan.values == "float16" and not plan.with_outputs:
                    _write_half_layer(zf, plan, k, member)
                    continue
                lt = plan.layer(k)
                write_array(zf, member(k, lt.name, "weights"), lt.weights, packed)
                write_array(zf, member(k, lt.name, "inputs"), lt.inputs, packed)
                if lt.outputs is not None:
                    write_array(zf, member(k, lt.name, "outputs"), lt.outputs, packed)
                del lt
    return path


def _write_half_layer(zf: Any, plan: SynthPlan, k: int, member: Any) -> None:
    """Layer k of a float16 plan streamed into a packed archive, never whole in memory (the tensors
    ``plan.layer(k)`` draws, as the same chunks)."""
    from accelsim.trace.packed import write_array
    from accelsim.trace.synth_stream import write_tensor
    spec, index = plan.specs[k], plan.indices[k]
    wt, xt = plan.half_tensors(k)
    write_tensor(zf, member(k, spec.name, "weights"), spec.weight_shape, wt)
    if xt is not None:
        write_tensor(zf, member(k, spec.name, "inputs"), spec.input_shape, xt)
    else:
        x = plan._rounded(clustered_activations(_layer_rng(plan.seed, index, _INPUT_STREAM), spec.input_shape,
                                                plan.ad[spec.name]), f"layer {spec.name!r} inputs")
        write_array(zf, member(k, spec.name, "inputs"), x, True)


def _profile_name(p: DensityArg) -> str | float:
    if isinstance(p, str):
        return p
    if isinstance(p, Mapping):
        return "per-layer"
    return float(p)
