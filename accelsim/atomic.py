"""Writing files so that nothing is ever lost or half-written: the one helper every writer uses.

Each file is written to a temporary file with a unique name (``.NAME.XXXXXX.tmp``, ``tempfile.mkstemp``)
in the destination's folder, flushed, then renamed over the destination (``os.replace``, atomic on POSIX).
Two writers of the same path never share a temporary file; a reader sees the old file or the new one,
never a mix; on any error the temporary file is removed and the destination is untouched.

An output must never replace one of the command's inputs (``simulate x.npz --json x.npz``).  The command
line registers the paths it reads with :func:`protect`; a write to one of them is refused before anything
is written.  Failures to write are :class:`~accelsim.errors.AccelsimError` naming the path (exit 3).
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator

from accelsim.errors import AccelsimError

_protected: set[str] = set()


def _key(path: str | os.PathLike[str]) -> str:
    if "\x00" in str(path):
        raise AccelsimError(f"{str(path)!r}: a path must not contain a NUL byte")
    return os.path.realpath(os.fspath(path))


def protect(paths: Iterable[str | os.PathLike[str] | None]) -> None:
    """Mark ``paths`` (a command's inputs) as never to be written by this process."""
    for p in paths:
        if p is not None and str(p) != "":
            _protected.add(_key(p))


def unprotect_all() -> None:
    _protected.clear()


def check_not_input(path: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str] | None] = ()) -> None:
    """Refuse ``path`` as an output when it is one of the inputs (registered with :func:`protect` or given)."""
    ins = {_key(p) for p in inputs if p is not None and str(p) != ""} | _protected
    if _key(path) in ins:
        raise AccelsimError(f"{path}: refusing to overwrite an input file of this command; choose another output")


def check_output(path: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str] | None] = ()) -> None:
    """Refuse ``path`` as an output file when it is an input or a folder."""
    check_not_input(path, inputs)
    if os.path.isdir(_key(path)):
        raise AccelsimError(f"{path}: is a directory; expected a file name")


def _why(e: OSError) -> str:
    return e.strerror or type(e).__name__


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a unique temporary path beside ``path``; on success it replaces ``path``, else it is removed."""
    dest = Path(path)
    check_output(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name[:80]}.", suffix=".tmp", dir=dest.parent)
        os.close(fd)
    except OSError as e:
        raise AccelsimError(f"{dest}: cannot write ({_why(e)})") from None
    ok = False
    try:
        yield Path(tmp)
        os.replace(tmp, dest)
        ok = True
    except OSError as e:
        raise AccelsimError(f"{dest}: cannot write ({_why(e)})") from None
    finally:
        if not ok:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def write_with(path: str | os.PathLike[str], writer: Callable[[IO[bytes]], Any]) -> Path:
    """Write ``path`` atomically: ``writer(fh)`` fills a binary file handle."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    return write_with(path, lambda fh: fh.write(data))


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))
