"""zero_run_entries encodes sequences in blocks (bounded int64 temporaries): any block size gives the
same entries and padding as one block, on random masks along every axis, and the golden case."""
import numpy as np
import pytest

from accelsim.compression import zero_run


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_blocks_do_not_change_the_encoding(monkeypatch, axis):
    rng = np.random.default_rng(axis)
    mask = rng.random((5, 7, 40)) < 0.2
    whole = zero_run.zero_run_entries(mask, 2, axis)
    for block in (8, 8 * 40 * 3, 1):   # one sequence per block, a few, and at least one
        monkeypatch.setattr(zero_run, "_BLOCK_BYTES", block)
        got = zero_run.zero_run_entries(mask, 2, axis)
        assert np.array_equal(got[0], whole[0]) and np.array_equal(got[1], whole[1])
    monkeypatch.setattr(zero_run, "_BLOCK_BYTES", 8)
    e, p = zero_run.zero_run_entries(np.array([0, 0, 0, 0, 0, 7, 0, 5]) != 0, 2)  # module docstring's case
    assert int(e) == 3 and int(p) == 1
