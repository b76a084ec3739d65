"""Golden cases (worked by hand in each docstring), input validation and the ``accelsim compress`` command."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from accelsim import fixedpoint
from accelsim.cli import main
from accelsim.compression import (
    as_codes, csr_decode, csr_encode, csr_size_bits, entropy_bits, rlc_decode, rlc_encode, rlc_pairs,
    rlc_segment_size_bits, rlc_size_bits, zfnaf_brick_nnz, zfnaf_decode, zfnaf_encode, zfnaf_size_bits)
from accelsim.errors import ConfigError, FormatError
from tests.reference import codecs as ref

GOLDEN = [0, 0, 12, 0, 0, 0, 0, 53, 0, 0, 22]


# ---------------------------------------------------------------- RLC golden cases
def test_rlc_golden_issue_example():
    """0,0,12,0,0,0,0,53,0,0,22: two zeros then 12 -> (2, 12); four zeros then 53 -> (4, 53); two zeros then
    22 -> (2, 22).  Three pairs fill one 64-bit word: 64 bits for 11 values (176 dense bits).

    Word: slot 0 = 2 + 12*32 = 386 = 0x182 at bit 0; slot 1 = 4 + 53*32 = 1700 = 0x6A4 at bit 21
    (0x6A4 << 21 = 0xD4800000); slot 2 = 2 + 22*32 = 706 = 0x2C2 at bit 42 (0x2C2 << 42 = 0x000B080000000000);
    bit 63 set: 0x800B0800D4800182.
    """
    assert rlc_pairs(GOLDEN).tolist() == [[2, 12], [4, 53], [2, 22]]
    assert rlc_size_bits(GOLDEN) == 64
    words = rlc_encode(GOLDEN)
    assert words.dtype == np.uint64
    assert words.tolist() == [0x800B0800D4800182]
    assert rlc_decode(words, 11).tolist() == GOLDEN


@pytest.mark.parametrize("values, pairs, bits", [
    # 31 zeros then 5: the run fits in 5 bits -> one pair (31, 5), one word.
    ([0] * 31 + [5], [(31, 5)], 64),
    # 32 zeros then 5: the 32nd zero closes (31, 0) = 32 zeros, then (0, 5) -> 2 pairs, one word.
    ([0] * 32 + [5], [(31, 0), (0, 5)], 64),
    # 70 zeros then 5: 70 = 32 + 32 + 6 -> (31, 0), (31, 0), (6, 5) -> 3 pairs, one word.
    ([0] * 70 + [5], [(31, 0), (31, 0), (6, 5)], 64),
    # 100 zeros then 5: 100 = 3*32 + 4 -> 3 x (31, 0) + (4, 5) = 4 pairs -> 2 words = 128 bits.
    ([0] * 100 + [5], [(31, 0)] * 3 + [(4, 5)], 128),
    # all-zero stream of 5: trailing run of k = 5 -> (k - 1, 0) = (4, 0) -> one pair, one word.
    ([0] * 5, [(4, 0)], 64),
    # exactly 32 zeros: (31, 0) covers all of them, nothing trails.
    ([0] * 32, [(31, 0)], 64),
    # 33 zeros: (31, 0) then one trailing zero -> (0, 0).
    ([0] * 33, [(31, 0), (0, 0)], 64),
    # empty stream: no pairs, no words, 0 bits.
    ([], [], 0),
    # 4 non-zeros: 4 pairs of run 0 -> 2 words (worst case, ceil(4/3) words).
    ([1, -1, 2, -2], [(0, 1), (0, -1), (0, 2), (0, -2)], 128),
    # a value then a trailing zero: (0, 7) then the trailing run of 1 -> (0, 0).
    ([7, 0], [(0, 7), (0, 0)], 64),
])
def test_rlc_golden_runs(values, pairs, bits):
    assert [tuple(p) for p in rlc_pairs(values).tolist()] == pairs
    assert ref.rlc_pairs(values) == pairs
    assert rlc_size_bits(values) == bits == ref.rlc_size_bits(values)
    words = rlc_encode(values)
    assert len(words) * 64 == bits
    assert words.tolist() == ref.rlc_encode(values)
    assert rlc_decode(words, len(values)).tolist() == values


def test_rlc_extreme_levels_are_twos_complement():
    """-32768 is 0x8000 and -1 is 0xFFFF in the 16-bit level field."""
    vals = [-32768, 32767, -1]
    w = int(rlc_encode(vals)[0])
    assert (w >> 5) & 0xFFFF == 0x8000
    assert (w >> 26) & 0xFFFF == 0x7FFF
    assert (w >> 47) & 0xFFFF == 0xFFFF
    assert rlc_decode(rlc_encode(vals), 3).tolist() == vals


def test_rlc_segments_golden():
    """Segments of 4 of 0,0,12,0 | 0,0,0,53 | 0,0,22: (2,12),(0,0) | (3,53) | (2,22) -> one word each."""
    assert rlc_segment_size_bits(GOLDEN, 4).tolist() == [64, 64, 64]
    assert rlc_segment_size_bits(np.array(GOLDEN).reshape(1, 11), 100).tolist() == [64]
    assert rlc_segment_size_bits([], 3).tolist() == []
    assert rlc_segment_size_bits(np.zeros((2, 3), dtype=np.int16), 3).dtype == np.int64


def test_rlc_nd_array_is_one_stream_in_c_order():
    x = np.array([[0, 0, 12], [0, 0, 0], [0, 53, 0]])
    assert rlc_pairs(x).tolist() == [[2, 12], [4, 53], [0, 0]]
    assert rlc_pairs(np.asfortranarray(x)).tolist() == rlc_pairs(x.ravel()).tolist()


@pytest.mark.parametrize("seg", [0, -1, 2.5, True, "3"])
def test_rlc_segment_rejects_bad_length(seg):
    with pytest.raises(ConfigError, match="seg_len"):
        rlc_segment_size_bits(GOLDEN, seg)


# ---------------------------------------------------------------- RLC decoder validation
def test_rlc_decode_errors():
    words = rlc_encode(GOLDEN)
    with pytest.raises(FormatError, match="fewer"):
        rlc_decode(words, 12)
    with pytest.raises(FormatError, match="more than"):
        rlc_decode(words, 10)
    with pytest.raises(FormatError, match="last-word bit"):
        rlc_decode(words & np.uint64(~(1 << 63) & (2 ** 64 - 1)), 11)
    with pytest.raises(FormatError, match="last-word bit set but"):
        rlc_decode(np.concatenate([words, words]), 11)
    with pytest.raises(FormatError, match="empty stream"):
        rlc_decode(words, 0)
    with pytest.raises(FormatError, match="no words"):
        rlc_decode(np.zeros(0, np.uint64), 3)
    with pytest.raises(FormatError, match="1-D integer"):
        rlc_decode(np.array([1.0]), 1)
    with pytest.raises(FormatError, match="n must be"):
        rlc_decode(words, -1)
    assert rlc_decode(np.zeros(0, np.uint64), 0).tolist() == []


def test_rlc_decode_rejects_dirty_padding_and_extra_words():
    """[5] is one pair (0, 5) in slot 0; slots 1-2 are padding and must be zero."""
    w = rlc_encode([5])
    assert rlc_decode(w, 1).tolist() == [5]
    with pytest.raises(FormatError, match="padding"):
        rlc_decode(w | np.uint64(1 << 21), 1)
    # A first word without the flag followed by a flagged word: the stream ends in word 0.
    two = np.array([int(w[0]) & ~(1 << 63), 1 << 63], dtype=np.uint64)
    with pytest.raises(FormatError, match="ends in word 0"):
        rlc_decode(two, 1)


# ---------------------------------------------------------------- input rule
def test_float_input_is_quantized_once():
    """Floats go through fixedpoint.quantize: 1e-9 next to 1.0 rounds to code 0 and counts as a zero."""
    x = np.array([1.0, 1e-9, 0.0, 0.5], dtype=np.float32)
    q, _ = fixedpoint.quantize(x, 16)
    assert q[1] == 0
    assert rlc_pairs(x).tolist() == rlc_pairs(q).tolist()
    assert rlc_pairs(x).tolist() == [[0, q[0]], [2, q[3]]]
    assert np.array_equal(rlc_decode(rlc_encode(x), 4), q)
    assert csr_size_bits(x) == csr_size_bits(q)
    assert entropy_bits(x) == entropy_bits(q)


@pytest.mark.parametrize("bad, match", [
    (np.array([1.0, np.nan]), "NaN or inf"),
    (np.array([np.inf]), "NaN or inf"),
    (np.array([40000]), r"\[-32768, 32767\]"),
    (np.array([-40000]), r"\[-32768, 32767\]"),
    (np.array([1 + 2j]), "dtype complex"),
    (np.array(["a"]), "dtype <U1"),
    (np.array([1, None], dtype=object), "dtype object"),
    (np.array(3), "0-d"),
])
def test_bad_arrays_raise_format_error(bad, match):
    with pytest.raises(FormatError, match=match):
        rlc_size_bits(bad)
    with pytest.raises(FormatError):
        rlc_encode(bad)
    with pytest.raises(FormatError):
        rlc_segment_size_bits(bad, 4)


def test_bool_and_narrow_ints_are_codes():
    assert as_codes(np.array([True, False]), "t").tolist() == [1, 0]
    assert rlc_pairs(np.array([False, True])).tolist() == [[1, 1]]
    assert rlc_size_bits(np.array([0, 65535 // 2], dtype=np.uint16)) == 64
    assert np.array_equal(as_codes(np.arange(3, dtype=np.int16), "t"), [0, 1, 2])


# ---------------------------------------------------------------- CSR
M3x4 = [[0, 5, 0, 0],
        [0, 0, 0, 0],
        [7, 0, 0, -3]]


def test_csr_golden_3x4():
    """values [5, 7, -3], col_idx [1, 0, 3], row_ptr [0, 1, 1, 3] (row 1 is empty).
    nnz = 3, cols = 4 -> index bits ceil(log2 4) = 2; pointers 0..3 -> ceil(log2(3 + 1)) = 2 bits;
    size = 3*16 + 3*2 + (3 + 1)*2 = 48 + 6 + 8 = 62 bits (dense 12*16 = 192)."""
    v, c, p = csr_encode(M3x4)
    assert v.tolist() == [5, 7, -3] and c.tolist() == [1, 0, 3] and p.tolist() == [0, 1, 1, 3]
    assert (v.tolist(), c.tolist(), p.tolist()) == ref.csr_encode(M3x4)
    assert csr_size_bits(M3x4) == 62 == ref.csr_size_bits(M3x4)
    # overrides: 8-bit indices and 32-bit pointers: 48 + 24 + 128 = 200; 8-bit values: 24 + 6 + 8 = 38.
    assert csr_size_bits(M3x4, index_bits=8, ptr_bits=32) == 200
    assert csr_size_bits(M3x4, value_bits=8) == 38
    assert csr_decode(v, c, p, (3, 4)).tolist() == M3x4


def test_csr_shapes():
    """(2, 3, 2, 2) weights are 2 rows of 12 columns; a 1-D array is one row; widths never go below 1."""
    w = np.zeros((2, 3, 2, 2), dtype=np.int64)
    w[1, 2, 1, 0] = 9  # row 1, column 2*4 + 1*2 + 0 = 10
    v, c, p = csr_encode(w)
    assert v.tolist() == [9] and c.tolist() == [10] and p.tolist() == [0, 0, 1]
    assert np.array_equal(csr_decode(v, c, p, w.shape), w)
    # 1 nnz: 16 + ceil(log2 12) = 4 index bits + 3 pointers of ceil(log2 2) = 1 bit -> 23.
    assert csr_size_bits(w) == 16 + 4 + 3
    v, c, p = csr_encode([0, 3, 0])
    assert p.tolist() == [0, 1] and c.tolist() == [1]
    # all-zero 1x1: no values, index width 1 (min), pointer width 1 (min): 2 pointers = 2 bits.
    assert csr_size_bits([[0]]) == 2
    with pytest.raises(FormatError, match="0-d"):
        csr_encode(np.array(1))


def test_csr_decode_errors():
    v, c, p = csr_encode(M3x4)
    with pytest.raises(FormatError, match="row_ptr has"):
        csr_decode(v, c, p, (4, 3))
    with pytest.raises(FormatError, match=r"\[0, 2\)"):
        csr_decode(v, c, p, (3, 2))
    with pytest.raises(FormatError, match="column indices"):
        csr_decode(v, c[:2], p, (3, 4))
    with pytest.raises(FormatError, match="without decreasing"):
        csr_decode(v, c, np.array([0, 2, 1, 3]), (3, 4))
    with pytest.raises(FormatError, match="strictly increasing"):
        csr_decode([1, 2], [2, 1], [0, 2], (1, 4))
    with pytest.raises(ConfigError, match="index_bits"):
        csr_size_bits(M3x4, index_bits=0)


# ---------------------------------------------------------------- ZFNAf
def _vec20():
    x = np.zeros((1, 20), dtype=np.int64)
    x[0, 1], x[0, 15], x[0, 18] = 3, -2, 7
    return x


def test_zfnaf_golden_20_channels():
    """An fc input with C = 20 is padded to 32 channels: 2 bricks.  Brick 0 (channels 0..15) holds 3 at
    offset 1 and -2 at offset 15; brick 1 (channels 16..31) holds 7 at offset 18 - 16 = 2.
    counts [[2, 1]] (shape (N, B, H, W) = (1, 2, 1, 1)).
    fixed: 2 bricks * 16 slots * (16 + 4) bits = 640; compact: 3 * 20 + 2 * 5 = 70; dense 20 * 16 = 320."""
    x = _vec20()
    v, off, cnt = zfnaf_encode(x)
    assert v.tolist() == [3, -2, 7] and off.tolist() == [1, 15, 2]
    assert cnt.shape == (1, 2, 1, 1) and cnt.ravel().tolist() == [2, 1]
    assert np.array_equal(zfnaf_brick_nnz(x), cnt)
    assert zfnaf_size_bits(x) == zfnaf_size_bits(x, "fixed") == 640
    assert zfnaf_size_bits(x, "compact") == 70
    x4 = x.reshape(1, 20, 1, 1).tolist()
    assert ref.zfnaf_bricks(x4) == [[(1, 3), (15, -2)], [(2, 7)]]
    assert ref.zfnaf_size_bits(x4, "fixed") == 640 and ref.zfnaf_size_bits(x4, "compact") == 70
    assert np.array_equal(zfnaf_decode(v, off, cnt, x.shape), x)


def test_zfnaf_layouts_of_shapes():
    """(C, H, W) is one image; (N, C, H, W) bricks sit at every (n, y, x)."""
    chw = np.zeros((17, 2, 3), dtype=np.int64)
    chw[16, 1, 2] = 4  # brick 1 at (y, x) = (1, 2), offset 0
    nnz = zfnaf_brick_nnz(chw)
    assert nnz.shape == (1, 2, 2, 3) and nnz.sum() == 1 and nnz[0, 1, 1, 2] == 1
    v, off, cnt = zfnaf_encode(chw)
    assert off.tolist() == [0] and np.array_equal(zfnaf_decode(v, off, cnt, chw.shape), chw)
    nchw = np.arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2) % 3
    assert zfnaf_brick_nnz(nchw).shape == (2, 1, 2, 2)
    assert np.array_equal(zfnaf_decode(*zfnaf_encode(nchw), nchw.shape), nchw)
    with pytest.raises(FormatError, match=r"\(N, C\)"):
        zfnaf_brick_nnz(np.zeros(5))
    with pytest.raises(ConfigError, match="layout"):
        zfnaf_size_bits(nchw, "sparse")


def test_zfnaf_decode_errors():
    x = _vec20()
    v, off, cnt = zfnaf_encode(x)
    with pytest.raises(FormatError, match="counts has shape"):
        zfnaf_decode(v, off, cnt, (1, 40))
    with pytest.raises(FormatError, match="add up"):
        zfnaf_decode(v[:2], off[:2], cnt, x.shape)
    with pytest.raises(FormatError, match="offsets must lie"):
        zfnaf_decode(v, np.array([1, 16, 2]), cnt, x.shape)
    with pytest.raises(FormatError, match="strictly increasing"):
        zfnaf_decode(v, np.array([15, 1, 2]), cnt, x.shape)
    with pytest.raises(FormatError, match="padding"):
        zfnaf_decode(v, np.array([1, 15, 4]), cnt, x.shape)  # channel 20 does not exist


# ---------------------------------------------------------------- entropy
def test_entropy_golden():
    """[0, 0, 1, 1]: p = 1/2, 1/2 -> 1 bit per value -> 4 bits.  One symbol -> 0 bits.
    The golden stream: 8 zeros and 3 distinct values: 8*log2(11/8) + 3*log2(11) bits."""
    assert entropy_bits([0, 0, 1, 1]) == pytest.approx(4.0)
    assert entropy_bits([5, 5, 5]) == 0.0
    assert entropy_bits([]) == 0.0
    expected = 8 * math.log2(11 / 8) + 3 * math.log2(11)
    assert entropy_bits(GOLDEN) == pytest.approx(expected) == pytest.approx(ref.entropy_bits(GOLDEN))
    assert entropy_bits([-32768, 32767]) == pytest.approx(2.0)


# ---------------------------------------------------------------- the command line
def _run(capsys, argv):
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def test_cli_rlc_json_golden(tmp_path, capsys):
    """The golden stream: 11 values, 3 non-zero, 176 dense bits, one 64-bit word, ratio 176 / 64 = 2.75."""
    f = tmp_path / "golden.npy"
    np.save(f, np.array(GOLDEN, dtype=np.int64))
    rc, out, err = _run(capsys, ["compress", "--format", "rlc", str(f), "--json"])
    assert rc == 0 and err == ""
    r = json.loads(out)
    assert (r["format"], r["elements"], r["nonzeros"], r["dense_bits"], r["bits"]) == ("rlc", 11, 3, 176, 64)
    assert r["ratio"] == pytest.approx(2.75)
    assert r["entropy_bits"] == pytest.approx(ref.entropy_bits(GOLDEN))
    assert r["pairs"] == 3 and r["words"] == 1 and r["frac_bits"] is None
    rc, out, err = _run(capsys, ["compress", "--format", "rlc", str(f)])
    assert rc == 0 and "2.750x" in out and "one stream" in out


def test_cli_csr_and_zfnaf(tmp_path, capsys):
    f = tmp_path / "m.npy"
    np.save(f, np.array(M3x4, dtype=np.int16))
    rc, out, _ = _run(capsys, ["compress", "--format", "csr", str(f), "--json"])
    r = json.loads(out)
    assert rc == 0 and r["bits"] == 62 and r["index_bits"] == 2 and r["ptr_bits"] == 2
    assert r["ratio"] == pytest.approx(192 / 62)
    rc, out, _ = _run(capsys, ["compress", "--format", "csr", str(f), "--json", "--index-bits", "8"])
    assert json.loads(out)["bits"] == 48 + 24 + 8
    g = tmp_path / "v.npy"
    np.save(g, _vec20())
    rc, out, _ = _run(capsys, ["compress", "--format", "zfnaf", str(g), "--json"])
    r = json.loads(out)
    assert rc == 0 and r["bits"] == 640 and r["layout"] == "fixed" and r["ratio"] == pytest.approx(0.5)
    rc, out, _ = _run(capsys, ["compress", "--format", "zfnaf", str(g), "--json", "--layout", "compact"])
    assert json.loads(out)["bits"] == 70
    rc, out, _ = _run(capsys, ["compress", "--format", "zfnaf", str(g)])
    assert rc == 0 and "compact" not in out and "bricks" in out


def test_cli_float_input_reports_frac_bits(tmp_path, capsys):
    f = tmp_path / "f.npy"
    np.save(f, np.array([[0.0, 1.5], [0.25, 0.0]], dtype=np.float32))
    rc, out, _ = _run(capsys, ["compress", "--format", "rlc", str(f), "--json"])
    r = json.loads(out)
    assert rc == 0 and r["nonzeros"] == 2 and r["frac_bits"] == 14 and r["bits"] == 64


def _bad_files(tmp_path):
    (tmp_path / "text.npy").write_text("this is not numpy\n")
    np.save(tmp_path / "objects.npy", np.array([1, "a", None], dtype=object), allow_pickle=True)
    np.save(tmp_path / "nan.npy", np.array([1.0, np.nan, 2.0]))
    np.save(tmp_path / "inf.npy", np.array([np.inf], dtype=np.float32))
    np.save(tmp_path / "scalar.npy", np.array(2.0))
    np.save(tmp_path / "empty.npy", np.zeros((0, 3)))
    np.save(tmp_path / "complex.npy", np.array([1j]))
    np.save(tmp_path / "wide.npy", np.array([100000]))
    np.savez(tmp_path / "archive.npz", a=np.zeros(3))
    raw = (tmp_path / "nan.npy").read_bytes()
    (tmp_path / "truncated.npy").write_bytes(raw[:-5])
    return {
        "missing.npy": "no such file", "text.npy": "not an .npy file", "objects.npy": "object array",
        "nan.npy": "NaN or inf", "inf.npy": "NaN or inf", "scalar.npy": "0-d", "empty.npy": "no elements",
        "complex.npy": "complex128", "wide.npy": "[-32768, 32767]", "archive.npz": ".npz archive",
        "truncated.npy": "cannot read",
    }


@pytest.mark.parametrize("fmt", ["rlc", "csr", "zfnaf"])
def test_cli_bad_inputs_exit_3_with_one_line(tmp_path, capsys, fmt):
    for name, msg in _bad_files(tmp_path).items():
        rc, out, err = _run(capsys, ["compress", "--format", fmt, str(tmp_path / name), "--json"])
        assert rc == 3, name
        assert out == ""
        assert err.count("\n") == 1 and err.startswith("accelsim: error: "), (name, err)
        assert name in err and msg in err, (name, err)
        assert "Traceback" not in err


def test_cli_wrong_shape_for_zfnaf_is_bad_input(tmp_path, capsys):
    f = tmp_path / "vec.npy"
    np.save(f, np.arange(5))
    rc, _, err = _run(capsys, ["compress", "--format", "zfnaf", str(f)])
    assert rc == 3 and err.count("\n") == 1 and "vec.npy" in err


def test_cli_usage_errors_exit_2(tmp_path, capsys):
    f = tmp_path / "g.npy"
    np.save(f, np.array(GOLDEN))
    for argv in (["compress", str(f)],  # --format is required
                 ["compress", "--format", "rle", str(f)],
                 ["compress", "--format", "rlc", str(f), "--layout", "compact"],
                 ["compress", "--format", "zfnaf", str(f), "--index-bits", "4"],
                 ["compress", "--format", "csr", str(f), "--index-bits", "0"]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2, argv
    capsys.readouterr()


def test_cli_help_explains_every_option(capsys):
    with pytest.raises(SystemExit) as e:
        main(["compress", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for opt in ("--format", "--json", "--layout", "--index-bits", "--ptr-bits", "FILE.npy", "one stream",
                "C order", "fixed", "compact"):
        assert opt in out, opt
