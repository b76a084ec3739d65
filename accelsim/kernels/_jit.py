"""The one place numba flags are chosen for accelsim's kernels, and where numba is imported (lazily).

``cache=True`` keeps compiled kernels across processes; no ``fastmath`` (counts must be exact) and no
``parallel`` (these machines give about one core, and thread pools run much slower at random).

``@jit`` does not import numba.  It returns a :class:`LazyKernel` that imports numba, builds the
``numba.njit`` dispatcher and loads (or compiles) the kernel on its first call.  Importing numba and
initializing its CPU target costs about 0.3-0.4 s, so a run that calls no kernel (``accelsim designs``,
``trace inspect``, DaDianNao on most layers) never pays it, and importing a design is cheap.

Start-up detail: numba's ``numba.np.arraymath`` checks at import time whether a BLAS is available by
importing ``scipy.linalg`` (about 0.12 s), only to pick the inner product of ``np.correlate``.
:func:`numba_module` imports arraymath with that check skipped and then sets its answer
(``_HAVE_BLAS``) from whether scipy is installed, which is what the check would have found; the functions
that really call BLAS (``np.dot`` ...) still import scipy when they are compiled.  accelsim's kernels use
no BLAS.

Stale caches: numba keys a cached kernel on the stamp of the file that defines it only, so a kernel that
calls a kernel of another file (``eyeriss`` -> ``rlc``, ``ucnn`` -> ``fixed``) would keep its old machine
code after an edit of the callee.  :func:`drop_stale_cache` therefore keeps a digest of every kernel
source beside numba's cache files and deletes those files when any kernel source has changed.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any, Callable

_NUMBA: Any = None
_STAMP = "accelsim-kernels.digest"


def sources_digest(kernel_dir: Path) -> str:
    """SHA-256 over the names and contents of the ``*.py`` files of ``kernel_dir``."""
    h = hashlib.sha256()
    for f in sorted(kernel_dir.glob("*.py")):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def drop_stale_cache(kernel_dir: Path) -> bool:
    """Delete numba's cache files in ``kernel_dir/__pycache__`` if any kernel source changed since they were
    written (see the module docstring); returns whether files were deleted.  A folder that cannot be
    written (an installed package: numba then caches elsewhere, and a reinstall restamps every file) is
    left alone."""
    cache = kernel_dir / "__pycache__"
    digest = sources_digest(kernel_dir)
    marker = cache / _STAMP
    try:
        if marker.read_text() == digest:
            return False
    except OSError:
        pass
    dropped = False
    try:
        for f in list(cache.glob("*.nbi")) + list(cache.glob("*.nbc")):
            f.unlink(missing_ok=True)
            dropped = True
        cache.mkdir(exist_ok=True)
        tmp = cache / f"{_STAMP}.{os.getpid()}.tmp"
        tmp.write_text(digest)
        os.replace(tmp, marker)
    except OSError:
        pass
    return dropped


def numba_module() -> Any:
    """numba, imported once, with its CPU target's BLAS probe deferred (see the module docstring)."""
    global _NUMBA
    if _NUMBA is None:
        drop_stale_cache(Path(__file__).resolve().parent)
        import numba
        if "numba.np.arraymath" not in sys.modules:
            key = "scipy.linalg"
            had = key in sys.modules
            saved = sys.modules.get(key)
            if not had:
                sys.modules[key] = None  # type: ignore[assignment]  # "import scipy.linalg..." fails fast
            try:
                from numba.np import arraymath
            finally:
                if not had:
                    del sys.modules[key]
            if not had and hasattr(arraymath, "_HAVE_BLAS"):
                arraymath._HAVE_BLAS = importlib.util.find_spec("scipy") is not None
            elif had:
                sys.modules[key] = saved
        _NUMBA = numba
    return _NUMBA


class LazyKernel:
    """A kernel whose numba dispatcher is built on first use (``py_func`` is the plain Python function).

    Calling it calls the dispatcher; any other attribute (``signatures``, ``inspect_types`` ...) is the
    dispatcher's.  Before the dispatcher is built, the kernels this one calls by a global name are
    resolved to their own dispatchers in the function's module, so numba can type the calls."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.py_func = fn
        self._dispatcher: Any = None
        functools.update_wrapper(self, fn)

    def dispatcher(self) -> Any:
        d = self._dispatcher
        if d is None:
            numba = numba_module()
            g = self.py_func.__globals__
            for name in self.py_func.__code__.co_names:
                v = g.get(name)
                if isinstance(v, LazyKernel) and v is not self:
                    g[name] = v.dispatcher()
            d = self._dispatcher = numba.njit(cache=True, nogil=True)(self.py_func)
            if g.get(self.py_func.__name__) is self:  # a recursive kernel, and faster calls from its module
                g[self.py_func.__name__] = d
        return d

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        d = self._dispatcher
        if d is None:
            d = self.dispatcher()
        return d(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("py_func", "_dispatcher"):
            raise AttributeError(name)
        return getattr(self.dispatcher(), name)

    def __repr__(self) -> str:
        return f"<accelsim kernel {self.py_func.__module__}.{self.py_func.__qualname__}>"


def jit(fn: Callable[..., Any]) -> LazyKernel:
    """Mark ``fn`` as a numba kernel (``njit(cache=True, nogil=True)``, built on its first call)."""
    return LazyKernel(fn)
