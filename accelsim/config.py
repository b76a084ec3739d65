"""Accelerator configurations: frozen dataclasses are the schema, YAML presets are the data.

Loading rejects unknown keys and wrong types with a :class:`ConfigError` naming the key (and the file).
Every field carries help text and a unit (``doc(...)``); ``describe(cls)`` lists them.  A config class may
declare command-line shortcuts (``CLI_FLAGS``, a tuple of :class:`Flag`), which the CLI builds from the
registry.
"""
from __future__ import annotations

import dataclasses
import math
import os
import typing
from pathlib import Path
from typing import Any, Mapping, TypeVar

import yaml

from accelsim.errors import ConfigError

T = TypeVar("T")
PRESETS_DIR = Path(__file__).parent / "presets"


def doc(text: str, *, unit: str = "", **kw: Any) -> Any:
    """A dataclass field with help text and unit: ``clock_hz: float = doc("core clock", unit="Hz", default=2e8)``.

    ``unit`` is what the number counts (``Hz``, ``bytes``, ``bits/cycle``, ...); empty for names, flags and
    choices.  ``accelsim designs`` lists every key with its unit, default and text."""
    default = kw.pop("default", dataclasses.MISSING)
    factory = kw.pop("default_factory", dataclasses.MISSING)
    meta = {"doc": text, "unit": unit}
    if factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(frozen=True)
class Flag:
    """A command-line shortcut a design declares next to its config (``CLI_FLAGS``), built into the
    ``simulate``/``compare`` options from the registry: ``--no-rlc`` sets ``rlc`` to False (``value``), or
    ``--threshold T`` sets ``threshold`` to T (``type``, no ``value``)."""

    flag: str                   # e.g. "--no-rlc"
    key: str                    # the config key it sets
    help: str
    value: Any = None           # a switch: the value it sets; None: the flag takes an argument
    type: Any = None            # the argument's type (float, int, ...) when value is None
    metavar: str | None = None

    @property
    def dest(self) -> str:
        return "flag_" + self.flag.lstrip("-").replace("-", "_")


def cli_flags(cls: type) -> tuple[Flag, ...]:
    """The command-line shortcuts config class ``cls`` declares (``CLI_FLAGS``; none by default)."""
    return tuple(getattr(cls, "CLI_FLAGS", ()))


def _coerce(cls_name: str, key: str, typ: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(typ)
    label = f"{where}{cls_name}.{key}"
    if typ is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{label}: expected true/false, got {value!r}")
    if typ is int:
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or (isinstance(value, float) and not math.isfinite(value)) or int(value) != value):
            raise ConfigError(f"{label}: expected an integer, got {value!r}")
        return int(value)
    if typ is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"{label}: expected a finite number, got {value!r}")
        return float(value)
    if typ is str:
        if not isinstance(value, str):
            raise ConfigError(f"{label}: expected a string, got {value!r}")
        return value
    if origin in (dict, Mapping, typing.Mapping) or typ in (dict,):
        if not isinstance(value, dict):
            raise ConfigError(f"{label}: expected a mapping, got {value!r}")
        kt, vt = typing.get_args(typ) or (str, Any)
        return {str(k): (_coerce(cls_name, f"{key}[{k}]", vt, v, where) if vt is not Any else v)
                for k, v in value.items()}
    if origin is typing.Union or str(origin) == "types.UnionType":
        args = typing.get_args(typ)
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(cls_name, key, a, value, where)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(errors[-1] if errors else f"{label}: bad value {value!r}")
    return value


def from_dict(cls: type[T], data: Mapping[str, Any] | None, where: str = "", base: T | None = None) -> T:
    """Build config ``cls`` from a mapping, starting from ``base`` (or the defaults); unknown keys fail."""
    prefix = f"{where}: " if where else ""
    if data is not None and not isinstance(data, Mapping):
        raise ConfigError(f"{prefix}a config must be a mapping of keys to values, got {type(data).__name__}")
    data = dict(data or {})
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{prefix}unknown config key(s) {', '.join(unknown)} for {cls.__name__} "
                          f"(known: {', '.join(sorted(fields))})")
    hints = typing.get_type_hints(cls)
    kw = {k: _coerce(cls.__name__, k, hints[k], v, prefix) for k, v in data.items()}
    from accelsim.limits import check_config
    check_config(cls.__name__, kw, prefix)
    try:
        obj = dataclasses.replace(base, **kw) if base is not None else cls(**kw)  # type: ignore[type-var]
        check_config(cls.__name__, {f: getattr(obj, f) for f in fields})  # the whole design's size (prefixed below)
        return obj
    except ConfigError as e:
        raise ConfigError(f"{prefix}{e}") from None
    except TypeError as e:
        raise ConfigError(f"{prefix}{cls.__name__}: {e}") from None


def load_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: no such config file")
    try:
        from accelsim.limits import read_text
        data = yaml.safe_load(read_text(p))
    except yaml.YAMLError as e:
        raise ConfigError(f"{p}: not valid YAML ({str(e).splitlines()[0]})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: cannot read ({e})") from None
    except RecursionError:
        raise ConfigError(f"{p}: nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: a config file must hold a mapping of keys to values")
    return data


def load_config(cls: type[T], source: str | os.PathLike[str] | Mapping[str, Any] | None = None,
                base: T | None = None) -> T:
    """Load ``cls`` from a YAML file path, a preset name (``presets/NAME.yaml``) or a mapping."""
    if source is None:
        return base if base is not None else cls()
    if isinstance(source, Mapping):
        return from_dict(cls, source, base=base)
    p = Path(source)
    if not p.exists() and (PRESETS_DIR / f"{source}.yaml").exists():
        p = PRESETS_DIR / f"{source}.yaml"
    return from_dict(cls, load_yaml(p), where=str(p), base=base)


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """Parse ``key=value`` strings (values are YAML scalars) from ``--set`` options."""
    out: dict[str, Any] = {}
    for it in items or []:
        if "=" not in it:
            raise ConfigError(f"--set {it!r}: expected KEY=VALUE")
        k, v = it.split("=", 1)
        try:
            out[k.strip()] = yaml.safe_load(v)
        except yaml.YAMLError:
            out[k.strip()] = v
    return out


def to_dict(cfg: Any) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def dump_yaml(cfg: Any) -> str:
    return yaml.safe_dump(to_dict(cfg), sort_keys=False)


def describe(cls: type) -> list[dict[str, Any]]:
    """Every key of config class ``cls``: name, type, default, unit and doc (for ``accelsim designs``)."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None)  # type: ignore[misc]
        typ = hints.get(f.name, f.type)
        out.append({"key": f.name, "type": getattr(typ, "__name__", str(typ)), "default": default,
                    "unit": f.metadata.get("unit", ""), "doc": f.metadata.get("doc", "")})
    return out


def require(cond: bool, cls_name: str, msg: str) -> None:
    """Raise ConfigError("Cls: msg") unless ``cond`` (for ``__post_init__`` validation)."""
    if not cond:
        raise ConfigError(f"{cls_name}: {msg}")
