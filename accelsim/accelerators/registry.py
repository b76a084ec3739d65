"""Accelerator models by name: ``@register`` on a class, ``create(name)`` to build one."""
from __future__ import annotations

import importlib
from typing import Any

from accelsim.errors import ConfigError

_REGISTRY: dict[str, type] = {}
# modules that define models; imported lazily so ``import accelsim`` stays cheap
_MODULES = ("dadiannao", "cnvlutin", "eyeriss", "ucnn", "eie", "scnn")


def register(cls: type) -> type:
    name = getattr(cls, "name", "")
    if not name or _REGISTRY.get(name, cls) is not cls:
        raise ConfigError(f"bad or duplicate accelerator name {name!r} ({cls.__module__}.{cls.__qualname__})")
    _REGISTRY[name] = cls
    return cls


def _load_all() -> None:
    """Import every design module; a missing one is an error (a broken install), never skipped."""
    for m in _MODULES:
        importlib.import_module(f"accelsim.accelerators.{m}")


def available() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def get(name: str) -> type:
    _load_all()
    if name not in _REGISTRY:
        raise ConfigError(f"unknown accelerator {name!r} (available: {', '.join(sorted(_REGISTRY))})")
    return _REGISTRY[name]


def create(name: str, config: Any = None, energy: Any = None, **overrides: Any) -> Any:
    """Build accelerator ``name`` from a config (dataclass, YAML path, preset name or dict) and overrides."""
    cls = get(name)
    acc = cls(config=config, energy=energy)
    if overrides:
        from accelsim.accelerators.base import with_overrides
        acc = cls(config=with_overrides(acc.config, overrides), energy=energy)
    _check_table_vocabulary(acc)
    return acc


def info(name: str) -> dict[str, Any]:
    """What design ``name`` is and how to configure it: description, config keys (type, default, unit,
    doc), command-line shortcuts and the energy actions it counts (``accelsim designs NAME``)."""
    from accelsim.config import cli_flags, describe
    cls = get(name)
    return {"name": name, "description": cls.description, "class": f"{cls.__module__}.{cls.__qualname__}",
            "config": describe(cls.config_cls),
            "cli_flags": [{"flag": f.flag, "key": f.key, "sets": f.value, "help": f.help}
                          for f in cli_flags(cls.config_cls)],
            "energy_actions": [f"{c}.{a}" for c, a in getattr(cls, "actions_emitted", ())] + ["leakage.cycle"]}


def datapath_bits(name: str | None = None) -> int:
    """The datapath width (``word_bits`` of the default config) of design ``name``; without a name, the
    width every registered design with a ``word_bits`` key shares (a ConfigError if they differ)."""
    import dataclasses
    names = [name] if name else available()
    widths = {}
    for n in names:
        f = {x.name: x for x in dataclasses.fields(get(n).config_cls)}.get("word_bits")
        if f is not None:
            widths[n] = f.default
    if name and name not in widths:
        raise ConfigError(f"design {name!r} has no word_bits key")
    if len(set(widths.values())) != 1:
        raise ConfigError(f"the designs' datapath widths differ ({widths}); pick one with --arch NAME")
    return next(iter(widths.values()))


def _check_table_vocabulary(acc: Any) -> None:
    """An energy table entry that no registered design counts is an unknown action (a misspelling)."""
    known = {("leakage", "cycle")}
    for cls in _REGISTRY.values():
        known |= set(getattr(cls, "actions_emitted", ()))
    unknown = sorted(f"{c}.{a}" for c, a in acc.energy.entries if (c, a) not in known)
    if unknown:
        raise ConfigError(f"energy table {acc.energy.name!r}: unknown component/action(s) "
                          f"{', '.join(unknown[:8])}: no design counts them (a misspelling?)")
