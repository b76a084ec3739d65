"""numba keys a cached kernel on its own file only: accelsim drops the kernel cache when any kernel source
changes (kernels/_jit.drop_stale_cache), so a kernel calling another file's kernel never runs stale code."""
from pathlib import Path

from accelsim.kernels._jit import drop_stale_cache, sources_digest


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "caller.py").write_text("def f(): return g()\n")
    (tmp_path / "callee.py").write_text("def g(): return 1\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    for name in ("caller.f-1.py311.nbi", "caller.f-1.py311.1.nbc", "caller.cpython-311.pyc"):
        (cache / name).write_bytes(b"x")
    return tmp_path


def test_first_use_writes_the_digest_and_a_second_keeps_the_cache(tmp_path):
    d = _tree(tmp_path)
    drop_stale_cache(d)  # no digest yet: the cache's provenance is unknown, so it is dropped
    (d / "__pycache__" / "caller.f-1.py311.nbi").write_bytes(b"x")
    assert drop_stale_cache(d) is False
    assert (d / "__pycache__" / "caller.f-1.py311.nbi").exists()


def test_editing_another_file_drops_numba_files_only(tmp_path):
    d = _tree(tmp_path)
    drop_stale_cache(d)
    for name in ("caller.f-1.py311.nbi", "caller.f-1.py311.1.nbc"):
        (d / "__pycache__" / name).write_bytes(b"x")
    (d / "callee.py").write_text("def g(): return 2\n")  # the callee changes, the caller's file does not
    assert drop_stale_cache(d) is True
    left = sorted(p.name for p in (d / "__pycache__").iterdir())
    assert left == ["accelsim-kernels.digest", "caller.cpython-311.pyc"]
    assert (d / "__pycache__" / "accelsim-kernels.digest").read_text() == sources_digest(d)


def test_digest_follows_content_not_names_alone(tmp_path):
    d = _tree(tmp_path)
    before = sources_digest(d)
    (d / "callee.py").write_text("def g(): return 1 \n")
    assert sources_digest(d) != before


def test_package_kernels_have_a_current_digest_once_numba_is_loaded():
    from accelsim.kernels import _jit
    _jit.numba_module()
    kdir = Path(_jit.__file__).resolve().parent
    marker = kdir / "__pycache__" / "accelsim-kernels.digest"
    if marker.exists():  # absent only where the package folder is not writable
        assert marker.read_text() == sources_digest(kdir)
