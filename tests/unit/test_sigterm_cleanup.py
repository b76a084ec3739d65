"""`accelsim trace synth` stopped by SIGTERM (kill, a benchmark's time limit) exits 143 with one line and
leaves neither the trace nor its temporary file behind (SIGINT already did; SIGTERM used to kill the
process before the temporary file could be removed)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sigterm_mid_synth_removes_the_temporary_file(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # float32 deflated VGG-16 at batch 8: tens of seconds of drawing, far longer than the wait below
    p = subprocess.Popen([sys.executable, "-m", "accelsim", "trace", "synth", "--network", "vgg16", "--batch", "8",
                          "--out", str(tmp_path / "t.npz")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(".tmp" in f.name for f in tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert p.poll() is None, p.stderr.read().decode()
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 143, err.decode()
    assert err.decode().strip().splitlines()[-1] == "accelsim: terminated"
    assert list(tmp_path.iterdir()) == []
