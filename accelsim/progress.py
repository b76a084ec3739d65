"""Progress on stderr, dependency-free: a redrawn bar when stderr is a terminal, otherwise one plain line
per step (``label: i/n, elapsed``), so logs and CI output hold no carriage-return updates."""
from __future__ import annotations

import sys
import time
from typing import Iterable, Iterator, Sequence, TypeVar

T = TypeVar("T")


def progress_iter(items: Sequence[T] | Iterable[T], label: str, enabled: bool = True,
                  total: int | None = None) -> Iterator[T]:
    items = list(items)
    n = total if total is not None else len(items)
    if not enabled or n == 0:
        yield from items
        return
    t0 = time.monotonic()
    if not _is_terminal():
        for i, it in enumerate(items):
            yield it
            sys.stderr.write(f"{label}: {i + 1}/{n} ({time.monotonic() - t0:.1f} s)\n")
            sys.stderr.flush()
        return
    width = 24
    for i, it in enumerate(items):
        _draw(label, i, n, t0, width)
        yield it
    _draw(label, n, n, t0, width)
    sys.stderr.write("\n")
    sys.stderr.flush()


def _is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _draw(label: str, i: int, n: int, t0: float, width: int) -> None:
    filled = int(width * i / n)
    bar = "#" * filled + "-" * (width - filled)
    el = time.monotonic() - t0
    sys.stderr.write(f"\r{label[:40]:<40} [{bar}] {i}/{n} {el:6.1f}s")
    sys.stderr.flush()
