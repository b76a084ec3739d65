"""Nothing lost (issue #13): atomic writes with unique temporary names, inputs never overwritten, no
temporary file left after an error, strict JSON, and bounded work on small hostile files.

Cases that need a real process (two writers at once, a possible hang, peak memory) run as subprocesses.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from accelsim import atomic
from accelsim.errors import AccelsimError
from accelsim.trace import load_trace
from tests.fuzz import corpus
from tests.fuzz.harness import REPO, Case, run_case, run_inprocess, run_subprocess


@pytest.fixture()
def base(tmp_path):
    return corpus.valid_trace(tmp_path / "x.npz")


def _temps(d: Path) -> list[Path]:
    return sorted(p for p in d.rglob("*") if ".tmp" in p.name)


@pytest.mark.parametrize("flag", ["--json", "--csv"])
def test_output_equal_to_the_input_trace_is_refused(base, flag):
    before = base.read_bytes()
    oc, probs = run_case(Case("loss", "self", ["simulate", str(base), "--arch", "dadiannao", "--quiet", flag,
                                               str(base)], files_kept=[base]))
    assert not probs and oc.code == 3
    assert "refusing to overwrite an input" in oc.stderr
    assert base.read_bytes() == before


def test_output_equal_to_an_input_through_another_name_is_refused(base, tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to(base)
    oc = run_inprocess(["simulate", str(base), "--arch", "dadiannao", "--quiet", "--json", str(link)])
    assert oc.code == 3 and "refusing to overwrite an input" in oc.stderr
    oc = run_inprocess(["trace", "quantize", str(base), "--scheme", "ttq", "--out", str(base)])
    assert oc.code == 3 and "refusing to overwrite an input" in oc.stderr
    cfg = tmp_path / "c.yaml"
    cfg.write_text("tiles: 16\n")
    oc = run_inprocess(["simulate", str(base), "--arch", "dadiannao", "--config", str(cfg), "--quiet",
                        "--csv", str(cfg)])
    assert oc.code == 3 and cfg.read_text() == "tiles: 16\n"
    assert load_trace(base)


def test_json_to_a_directory_is_one_line_and_leaves_no_temporary_file(base, tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    oc = run_inprocess(["simulate", str(base), "--arch", "dadiannao", "--quiet", "--json", str(d)])
    assert oc.code == 3 and len(oc.stderr.splitlines()) == 1 and "is a directory" in oc.stderr
    assert _temps(tmp_path) == []


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    dest = tmp_path / "r.json"
    dest.write_text("old")

    def boom(fh):
        fh.write(b"half")
        raise RuntimeError("disk full")
    with pytest.raises(RuntimeError):
        atomic.write_with(dest, boom)
    assert dest.read_text() == "old" and _temps(tmp_path) == []


def test_an_interrupted_trace_write_keeps_the_old_trace(base, tmp_path, monkeypatch):
    from accelsim.trace import io, save_trace
    tr = load_trace(base)
    before = base.read_bytes()

    def fail(fh, **arrays):
        fh.write(b"PK partial")
        raise KeyboardInterrupt
    monkeypatch.setattr(io.np, "savez_compressed", fail)
    with pytest.raises(KeyboardInterrupt):
        save_trace(tr, base)
    assert base.read_bytes() == before and _temps(tmp_path) == []


def test_temporary_names_are_unique_per_writer(tmp_path):
    dest = tmp_path / "same.npz"
    with atomic.atomic_path(dest) as a, atomic.atomic_path(dest) as b:
        assert a != b and a.parent == b.parent == tmp_path
        a.write_bytes(b"A")
        b.write_bytes(b"B")
    assert dest.read_bytes() in (b"A", b"B") and _temps(tmp_path) == []


def test_a_registered_input_is_never_written(tmp_path):
    p = tmp_path / "in.npz"
    p.write_bytes(b"data")
    atomic.protect([p])
    try:
        with pytest.raises(AccelsimError, match="refusing to overwrite"):
            atomic.write_text(p, "x")
    finally:
        atomic.unprotect_all()
    assert p.read_bytes() == b"data"


def test_two_synths_to_one_path_at_once_leave_a_valid_trace(tmp_path):
    out = tmp_path / "same.npz"
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, "-m", "accelsim", "trace", "synth", "--network", "alexnet",
                               "--layers", "conv", "--seed", str(s), "--out", str(out)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for s in (1, 2)]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    tr = load_trace(out)   # whole, not a mix of two writers
    assert tr.source.get("seed") in (1, 2) or len(tr.layers) == 5
    assert _temps(tmp_path) == []


def test_strict_json_out(base, tmp_path):
    out = tmp_path / "r.json"
    oc = run_inprocess(["simulate", str(base), "--arch", "eyeriss", "--quiet", "--json", str(out)])
    assert oc.code == 0

    def no_constants(c):
        raise AssertionError(f"non-standard JSON constant {c}")
    json.loads(out.read_text(), parse_constant=no_constants)
    oc = run_inprocess(["simulate", str(base), "--arch", "dadiannao", "--set", "clock_hz=.inf", "--quiet",
                        "--json", str(tmp_path / "inf.json")])
    assert oc.code == 3 and "clock_hz" in oc.stderr and not (tmp_path / "inf.json").exists()


def _manifest_with(base: Path, dest: Path, **layer0) -> Path:
    mem = dict(np.load(base, allow_pickle=False))
    man = json.loads(str(mem["manifest"]))
    man["layers"][0].update(layer0)
    mem["manifest"] = np.array(json.dumps(man))
    np.savez(dest, **mem)
    return dest


def test_huge_padding_with_eyeriss_ends_at_once(base, tmp_path):
    """The issue's hang: padding 10**12 on a small layer sent the Eyeriss mapping search into a loop."""
    p = _manifest_with(base, tmp_path / "pad.npz", padding=10**12)
    oc = run_subprocess(["simulate", str(p), "--arch", "eyeriss", "--quiet"], timeout=120)
    assert oc.code == 3, oc.stderr
    assert len(oc.stderr.splitlines()) == 1 and "'padding'" in oc.stderr and "c1" in oc.stderr


@pytest.mark.parametrize("pad", [3, 32])
def test_a_kernel_that_only_sees_padding_is_an_error(base, tmp_path, pad):
    p = _manifest_with(base, tmp_path / "pad.npz", padding=pad)
    oc = run_inprocess(["simulate", str(p), "--arch", "eyeriss", "--quiet"])
    assert oc.code == 3 and "only padding" in oc.stderr and str(p) in oc.stderr


def test_layer_limits_are_overridable(base, tmp_path, monkeypatch):
    p = _manifest_with(base, tmp_path / "big.npz", N=10**8)
    oc = run_inprocess(["trace", "inspect", str(p)])
    assert oc.code == 3 and "ACCELSIM_MAX_BYTES" in oc.stderr and "'c1'" in oc.stderr
    monkeypatch.setenv("ACCELSIM_MAX_MACS", "1000")
    oc = run_inprocess(["trace", "inspect", str(base)])
    assert oc.code == 3 and "ACCELSIM_MAX_MACS" in oc.stderr
    monkeypatch.setenv("ACCELSIM_MAX_MACS", "lots")
    oc = run_inprocess(["trace", "inspect", str(base)])
    assert oc.code == 3 and "ACCELSIM_MAX_MACS" in oc.stderr


def _bomb(base: Path, dest: Path, gib: float) -> Path:
    """A trace whose c1.inputs member decompresses to ``gib`` GiB (its header says so; the manifest does not)."""
    with zipfile.ZipFile(base) as z:
        keep = {i.filename: z.read(i.filename) for i in z.infolist() if not i.filename.startswith("layer0.inputs")}
    n = int(gib * (1 << 30)) // 4
    header = np.lib.format.header_data_from_array_1_0(np.zeros(1, np.float32))
    header["shape"] = (n,)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in keep.items():
            z.writestr(k, v)
        with z.open("layer0.inputs.npy", "w", force_zip64=True) as fh:
            np.lib.format.write_array_header_1_0(fh, header)
            chunk = bytes(1 << 24)
            left = n * 4
            while left:
                fh.write(chunk[: min(left, len(chunk))])
                left -= min(left, len(chunk))
    return dest


def _peak_rss_mb(argv: list[str]) -> tuple[int, str, float]:
    code = ("import resource, sys; from accelsim.cli import main; rc = main(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0); sys.exit(rc)")
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    p = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=300, env=env)
    return p.returncode, p.stderr, float(p.stdout.strip().splitlines()[-1])


def test_a_decompression_bomb_is_refused_before_decompressing(base, tmp_path):
    bomb = _bomb(base, tmp_path / "bomb.npz", 0.5)
    assert bomb.stat().st_size < 2 << 20
    rc0, _, peak0 = _peak_rss_mb(["trace", "inspect", str(base)])   # the same command on the valid trace
    rc, err, peak = _peak_rss_mb(["trace", "inspect", str(bomb)])
    assert rc0 == 0
    assert rc == 3 and "'inputs'" in err and "the manifest says" in err and len(err.splitlines()) == 1, err
    assert peak < peak0 + 200, f"peak RSS {peak:.0f} MB vs {peak0:.0f} MB: the 512 MB member was decompressed"


@pytest.mark.slow
def test_the_issues_2gib_bomb_is_refused_before_decompressing(base, tmp_path):
    bomb = _bomb(base, tmp_path / "bomb.npz", 2.0)
    assert bomb.stat().st_size < 9 << 20
    rc0, _, peak0 = _peak_rss_mb(["simulate", str(base), "--arch", "dadiannao", "--quiet"])
    rc, err, peak = _peak_rss_mb(["simulate", str(bomb), "--arch", "dadiannao", "--quiet"])
    assert rc0 == 0 and rc == 3 and "the manifest says" in err
    assert peak < peak0 + 200, f"peak RSS {peak:.0f} MB vs {peak0:.0f} MB on the valid trace"


def test_usage_errors_and_warnings_are_one_line(base, tmp_path):
    oc = run_subprocess(["simulate", str(base)], timeout=120)
    assert oc.code == 2 and len(oc.stderr.splitlines()) == 1 and "--arch" in oc.stderr
    mem = dict(np.load(base, allow_pickle=False))
    mem["c1\x00.weights"] = np.zeros(3)            # a stray member: a warning, then a later error
    man = json.loads(str(mem["manifest"]))
    man["layers"][0]["N"] = 2                      # the arrays no longer match
    mem["manifest"] = np.array(json.dumps(man))
    p = tmp_path / "warn.npz"
    np.savez(p, **mem)
    oc = run_subprocess(["simulate", str(p), "--arch", "cnvlutin", "--quiet"], timeout=120)
    assert oc.code == 3 and len(oc.stderr.splitlines()) == 1 and oc.stderr.startswith("accelsim: error:")
