"""Energy tables: the energy of one action of one component, kept as data (Accelergy style).

A model never computes energy itself: it counts actions (:class:`accelsim.counts.ActionCounts`) and
``EnergyTable.apply(counts)`` prices them.  Tables ship in ``accelsim/energy/tables/*.yaml``; a user can
pass their own YAML file with the same layout.

YAML layout (read with ``yaml.safe_load`` only)::

    name: eyeriss-normalized          # required: a short identifier
    unit: MAC                         # required: "pJ" (absolute) or "MAC" (normalized to one MAC)
    source: "Chen et al., ISCA 2016, Table IV ..."   # required: where the numbers come from
    notes: "free text"                # optional
    components:                       # required: a non-empty mapping
      mac:
        category: ALU                 # required: a breakdown group (ALU, RF, NoC, GLB, DRAM, SRAM, eDRAM...)
        actions: {random: 1.0, gated: 0.0}   # required: action -> energy per action (number >= 0)
        sources: {gated: "assumption: ..."}  # optional: per-action note or citation
        note: "..."                   # optional: a note about the whole component

Allowed top-level keys are exactly ``name, unit, source, notes, components``; allowed component keys
``category, actions, sources, note``.  Anything else, a negative, non-finite or non-numeric energy, or a
file that is not a YAML mapping raises :class:`ConfigError` naming the file and the key.  Write
exponents with a dot (``1.0e-3``): YAML 1.1 reads ``1e-3`` as a string.

Energies are per action as the models count them: per 16-bit word for storage accesses unless the action
says otherwise (``read_bits`` / ``write_bits`` are per bit).
"""
from __future__ import annotations

import functools
import math
import numbers
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import yaml

from accelsim.errors import ConfigError

UNITS = ("pJ", "MAC")
TOP_KEYS = ("name", "unit", "source", "notes", "components")
REQUIRED_TOP_KEYS = ("name", "unit", "source", "components")
COMPONENT_KEYS = ("category", "actions", "sources", "note")
_TABLE_PACKAGE = "accelsim.energy"
_TABLE_DIR = "tables"


@dataclass(frozen=True)
class EnergyBreakdown:
    """The energy of a set of action counts, in the table's unit, broken down three ways."""

    unit: str
    table: str
    total: float
    by_component: dict[str, float]
    by_category: dict[str, float]
    by_action: dict[str, float]  # keys "component.action"

    def to_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "table": self.table, "total": self.total,
                "by_component": dict(self.by_component), "by_category": dict(self.by_category),
                "by_action": dict(self.by_action)}


@dataclass(frozen=True, eq=True)
class EnergyTable:
    """An immutable (component, action) -> energy table; build it with :meth:`load` or :meth:`from_dict`."""

    name: str
    unit: str
    source: str
    entries: Mapping[tuple[str, str], float]
    categories: Mapping[str, str]
    sources: Mapping[tuple[str, str], str] = field(default_factory=lambda: MappingProxyType({}))
    notes: str = ""
    path: str | None = field(default=None, compare=False)

    __hash__ = None  # type: ignore[assignment]  # holds mappings

    # ---- construction ------------------------------------------------------------------------
    @classmethod
    def load(cls, name_or_path: str | os.PathLike[str]) -> "EnergyTable":
        """Load a shipped table by bare name (``"eyeriss-normalized"``) or a user's YAML file by path
        (a ``Path``, or a string containing a directory separator or ending in ``.yaml`` / ``.yml``)."""
        s = os.fspath(name_or_path)
        looks_like_path = (isinstance(name_or_path, os.PathLike) or os.sep in s or "/" in s
                           or s.endswith((".yaml", ".yml")))
        if looks_like_path:
            return cls._load_file(Path(s))
        shipped = list_tables()
        if s not in shipped:
            raise ConfigError(f"unknown energy table {s!r}: shipped tables are {', '.join(shipped)} "
                              "(or pass the path of a YAML file)")
        ref = resources.files(_TABLE_PACKAGE).joinpath(_TABLE_DIR, f"{s}.yaml")
        return cls._parse_text(ref.read_text(encoding="utf-8"), where=f"energy table {s!r}", path=str(ref))

    @classmethod
    def _load_file(cls, p: Path) -> "EnergyTable":
        if not p.exists():
            raise ConfigError(f"{p}: no such energy table file")
        if p.is_dir():
            raise ConfigError(f"{p}: is a directory, not an energy table file")
        try:
            from accelsim.limits import read_text
            text = read_text(p)
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"{p}: cannot read energy table ({e})") from None
        return cls._parse_text(text, where=str(p), path=str(p))

    @classmethod
    def _parse_text(cls, text: str, where: str, path: str | None) -> "EnergyTable":
        """The table of a YAML text.  Tables are immutable, so one parse per text serves every design
        built on it (a demo builds hundreds; parsing was a fifth of its time)."""
        if cls is EnergyTable:
            return _parse_cached(text, where, path)
        return cls._parse_uncached(text, where, path)

    @classmethod
    def _parse_uncached(cls, text: str, where: str, path: str | None) -> "EnergyTable":
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise ConfigError(f"{where}: not valid YAML ({first})") from None
        return cls.from_dict(data, where=where, path=path)

    @classmethod
    def from_dict(cls, data: Any, where: str = "energy table", path: str | None = None) -> "EnergyTable":
        """Validate a parsed table (the YAML layout above); errors name ``where`` and the key."""
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: an energy table must be a mapping with keys "
                              f"{', '.join(REQUIRED_TOP_KEYS)}, got {type(data).__name__}")
        unknown = sorted(str(k) for k in set(data) - set(TOP_KEYS))
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(TOP_KEYS)})")
        missing = [k for k in REQUIRED_TOP_KEYS if k not in data]
        if missing:
            raise ConfigError(f"{where}: missing key(s) {', '.join(missing)}")
        for k in ("name", "source"):
            if not isinstance(data[k], str) or not data[k].strip():
                raise ConfigError(f"{where}: key {k!r} must be a non-empty string, got {data[k]!r}")
        if data["unit"] not in UNITS:
            raise ConfigError(f"{where}: key 'unit' must be one of {', '.join(UNITS)}, got {data['unit']!r}")
        notes = data.get("notes", "")
        if not isinstance(notes, str):
            raise ConfigError(f"{where}: key 'notes' must be a string, got {type(notes).__name__}")
        comps = data["components"]
        if not isinstance(comps, dict) or not comps:
            raise ConfigError(f"{where}: key 'components' must be a non-empty mapping")
        entries: dict[tuple[str, str], float] = {}
        categories: dict[str, str] = {}
        sources: dict[tuple[str, str], str] = {}
        for comp, spec in comps.items():
            key = f"components.{comp}"
            if not isinstance(comp, str) or not comp:
                raise ConfigError(f"{where}: component names must be non-empty strings, got {comp!r}")
            if not isinstance(spec, dict):
                raise ConfigError(f"{where}: key {key!r} must be a mapping with 'category' and 'actions'")
            bad = sorted(str(k) for k in set(spec) - set(COMPONENT_KEYS))
            if bad:
                raise ConfigError(f"{where}: unknown key(s) {', '.join(bad)} in {key!r} "
                                  f"(allowed: {', '.join(COMPONENT_KEYS)})")
            cat = spec.get("category")
            if not isinstance(cat, str) or not cat:
                raise ConfigError(f"{where}: key '{key}.category' must be a non-empty string, got {cat!r}")
            acts = spec.get("actions")
            if not isinstance(acts, dict) or not acts:
                raise ConfigError(f"{where}: key '{key}.actions' must be a non-empty mapping action -> energy")
            categories[comp] = cat
            for act, e in acts.items():
                akey = f"{key}.actions.{act}"
                if not isinstance(act, str) or not act:
                    raise ConfigError(f"{where}: action names must be non-empty strings, got {act!r} in {key!r}")
                entries[(comp, act)] = _energy(e, where, akey)
            srcs = spec.get("sources", {})
            if not isinstance(srcs, dict):
                raise ConfigError(f"{where}: key '{key}.sources' must be a mapping action -> note")
            for act, note in srcs.items():
                if act not in acts:
                    raise ConfigError(f"{where}: key '{key}.sources.{act}' names an action not in "
                                      f"'{key}.actions' ({', '.join(map(str, acts))})")
                sources[(comp, str(act))] = str(note)
            if "note" in spec:
                sources[(comp, "*")] = str(spec["note"])
        return cls(name=data["name"], unit=data["unit"], source=data["source"].strip(),
                   entries=MappingProxyType(entries), categories=MappingProxyType(categories),
                   sources=MappingProxyType(sources), notes=notes, path=path)

    # ---- queries -------------------------------------------------------------------------------
    @property
    def components(self) -> tuple[str, ...]:
        return tuple(self.categories)

    def actions(self, component: str) -> tuple[str, ...]:
        self._check_component(component)
        return tuple(a for (c, a) in self.entries if c == component)

    def category(self, component: str) -> str:
        self._check_component(component)
        return self.categories[component]

    def energy(self, component: str, action: str) -> float:
        """Energy of one ``action`` of ``component`` in :attr:`unit`."""
        try:
            return self.entries[(component, action)]
        except KeyError:
            raise ConfigError(f"energy table {self.name!r} has no entry ({component}, {action})") from None

    def _check_component(self, component: str) -> None:
        if component not in self.categories:
            raise ConfigError(f"energy table {self.name!r} has no component {component!r} "
                              f"(it has {', '.join(self.categories)})")

    def to_dict(self) -> dict[str, Any]:
        """The YAML layout as a plain dict (``from_dict(t.to_dict()) == t``)."""
        comps: dict[str, Any] = {}
        for comp, cat in self.categories.items():
            d: dict[str, Any] = {"category": cat,
                                 "actions": {a: e for (c, a), e in self.entries.items() if c == comp}}
            srcs = {a: n for (c, a), n in self.sources.items() if c == comp and a != "*"}
            if srcs:
                d["sources"] = srcs
            if (comp, "*") in self.sources:
                d["note"] = self.sources[(comp, "*")]
            comps[comp] = d
        out: dict[str, Any] = {"name": self.name, "unit": self.unit, "source": self.source}
        if self.notes:
            out["notes"] = self.notes
        out["components"] = comps
        return out

    # ---- pricing -------------------------------------------------------------------------------
    def apply(self, counts: Mapping[tuple[str, str], int]) -> EnergyBreakdown:
        """Price ``counts`` ((component, action) -> count); unknown pairs raise ConfigError naming them."""
        unknown = sorted((k for k in counts if k not in self.entries), key=str)
        if unknown:
            shown = ", ".join(f"({k[0]}, {k[1]})" if isinstance(k, tuple) and len(k) == 2 else repr(k)
                              for k in unknown[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            raise ConfigError(f"energy table {self.name!r} has no entry for {shown}{more}; "
                              f"its components are {', '.join(self.categories)}")
        by_action: dict[str, float] = {}
        by_component: dict[str, float] = {}
        by_category: dict[str, float] = {}
        total = 0.0
        for (comp, act), n in counts.items():
            if isinstance(n, bool) or not isinstance(n, numbers.Real):
                raise ConfigError(f"count for ({comp}, {act}) must be a number, got {n!r}")
            if n < 0:
                raise ConfigError(f"count for ({comp}, {act}) is negative ({n})")
            e = float(n) * self.entries[(comp, act)]
            by_action[f"{comp}.{act}"] = by_action.get(f"{comp}.{act}", 0.0) + e
            by_component[comp] = by_component.get(comp, 0.0) + e
            cat = self.categories[comp]
            by_category[cat] = by_category.get(cat, 0.0) + e
            total += e
        return EnergyBreakdown(unit=self.unit, table=self.name, total=total, by_component=by_component,
                               by_category=by_category, by_action=by_action)


def _energy(e: Any, where: str, key: str) -> float:
    if isinstance(e, bool) or not isinstance(e, (int, float)):
        raise ConfigError(f"{where}: key {key!r} must be a number, got {e!r}"
                          + (" (write exponents with a dot, e.g. 1.0e-3)" if isinstance(e, str) else ""))
    v = float(e)
    if not math.isfinite(v):
        raise ConfigError(f"{where}: key {key!r} must be finite, got {e!r}")
    if v < 0:
        raise ConfigError(f"{where}: key {key!r} must be >= 0, got {e!r}")
    return v


def list_tables() -> list[str]:
    """Names of the tables shipped in ``accelsim/energy/tables/`` (load them with ``EnergyTable.load``)."""
    d = resources.files(_TABLE_PACKAGE).joinpath(_TABLE_DIR)
    return sorted(p.name[:-5] for p in d.iterdir() if p.name.endswith(".yaml"))


@functools.lru_cache(maxsize=64)
def _parse_cached(text: str, where: str, path: str | None) -> EnergyTable:
    return EnergyTable._parse_uncached(text, where, path)
