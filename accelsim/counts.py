"""ActionCounts: how many times each (component, action) happened in a layer (Accelergy's vocabulary).

Keys are ``(component, action)`` string pairs such as ``("mac", "random")``, ``("mac", "gated")``,
``("glb", "read")`` or ``("dram", "read_bits")``; values are exact Python integers.  Energy is never
computed inside a model: it is ``EnergyTable.apply(counts)``.
"""
from __future__ import annotations

from typing import Iterable, Iterator, Mapping


class ActionCounts(Mapping[tuple[str, str], int]):
    """A mapping (component, action) -> count, with addition and a JSON-friendly form."""

    __slots__ = ("_d",)

    def __init__(self, items: Mapping[tuple[str, str], int] | Iterable[tuple[tuple[str, str], int]] = ()):
        self._d: dict[tuple[str, str], int] = {}
        pairs = items.items() if isinstance(items, Mapping) else items
        for k, v in pairs:
            self.add(k[0], k[1], v)

    def add(self, component: str, action: str, n: int) -> None:
        n = int(n)
        if n < 0:
            raise ValueError(f"negative count {n} for ({component}, {action})")
        key = (component, action)
        self._d[key] = self._d.get(key, 0) + n

    def __getitem__(self, key: tuple[str, str]) -> int:
        return self._d[key]

    def get(self, key, default=0):  # type: ignore[override]
        return self._d.get(key, default)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __add__(self, other: Mapping[tuple[str, str], int]) -> "ActionCounts":
        out = ActionCounts(self._d)
        for k, v in other.items():
            out.add(k[0], k[1], v)
        return out

    def to_dict(self) -> dict[str, dict[str, int]]:
        """Nested {component: {action: count}} for JSON."""
        out: dict[str, dict[str, int]] = {}
        for (c, a), v in sorted(self._d.items()):
            out.setdefault(c, {})[a] = v
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Mapping[str, int]]) -> "ActionCounts":
        return cls({(c, a): v for c, acts in d.items() for a, v in acts.items()})

    def __repr__(self) -> str:
        return f"ActionCounts({self.to_dict()})"
