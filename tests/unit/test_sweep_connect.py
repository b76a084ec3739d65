"""``accelsim sweep --scheduler`` fails fast, in one line: a malformed address is a usage error (exit 2); an
address where no dask scheduler answers gives up after ``--connect-timeout`` seconds (exit 3), not after
dask's own 30 s."""
import socket
import time

import pytest

from accelsim.cli import main

pytest.importorskip("distributed")


def _spec(tmp_path):
    import numpy as np

    from accelsim.trace import LayerSpec, LayerTrace, Trace, save_trace
    s = LayerSpec("c", "conv", 1, 2, 4, 4, 2, 3, 3, 1, 1)
    save_trace(Trace("n", [LayerTrace(s, np.ones(s.weight_shape, np.float32), np.ones(s.input_shape, np.float32))],
                     {}), tmp_path / "t.npz")
    spec = tmp_path / "s.yaml"
    spec.write_text(f"traces: [{tmp_path / 't.npz'}]\narchs: [dadiannao]\nout: {tmp_path / 'out'}\n")
    return spec


def _closed_port() -> int:
    with socket.socket() as s:  # bound then closed: nothing listens there (connection refused)
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_nothing_listening_fails_after_the_timeout(tmp_path, capsys):
    spec = _spec(tmp_path)
    t0 = time.monotonic()
    code = main(["sweep", str(spec), "--scheduler", f"tcp://127.0.0.1:{_closed_port()}", "--connect-timeout", "1",
                 "--quiet"])
    took = time.monotonic() - t0
    assert code == 3
    err = _one_error_line(capsys)
    assert "no dask scheduler answered within 1 s" in err and "--connect-timeout" in err
    assert took < 10, took  # dask alone would wait its 30 s connect timeout


def test_a_silent_listener_is_not_waited_on_forever(tmp_path, capsys):
    """A port that accepts the connection but never speaks dask's handshake (a firewall, another service)."""
    spec = _spec(tmp_path)
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(4)
        t0 = time.monotonic()
        code = main(["sweep", str(spec), "--scheduler", f"tcp://127.0.0.1:{srv.getsockname()[1]}",
                     "--connect-timeout", "1", "--quiet"])
        took = time.monotonic() - t0
    assert code == 3 and took < 10, (code, took)
    assert "--scheduler" in _one_error_line(capsys)


@pytest.mark.parametrize("address", ["nosuch://x", ":::", "tcp://"])
def test_malformed_address_is_a_usage_error(tmp_path, capsys, address):
    assert main(["sweep", str(_spec(tmp_path)), "--scheduler", address, "--quiet"]) == 2
    err = _one_error_line(capsys)
    assert "not a scheduler address" in err and repr(address) in err


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_connect_timeout_must_be_positive_seconds(tmp_path, capsys, value):
    with pytest.raises(SystemExit) as e:
        main(["sweep", str(_spec(tmp_path)), "--scheduler", "tcp://127.0.0.1:1", "--connect-timeout", value])
    assert e.value.code == 2
    assert "--connect-timeout" in _one_error_line(capsys)
