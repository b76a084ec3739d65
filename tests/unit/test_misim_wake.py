"""``misim_wake_order: cpython | address``: MIsim's components woken in CPython 2.7's set order.

The set / dict iteration rule (``cpython_order`` in accelsim/kernels/misim.py and, written separately, in
tests/reference/misim_events.py) is checked on hand-worked tables and, when a CPython 2.7 interpreter is
present, against CPython 2.7 itself (a validation of the emulation, not of MIsim); the kernel's component
walk is checked against the reference in tests/property/test_misim_events.py, and against MIsim's own runs
by benchmarks/misim_peers.py --record (README)."""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from accelsim.accelerators.registry import create
from accelsim.errors import ConfigError
from accelsim.kernels.misim import cpython_order as kernel_order
from tests.reference.misim_events import cpython_order as reference_order


def kernel(hashes, keys=None):
    keys = list(range(len(hashes))) if keys is None else keys
    h = np.array(hashes, dtype=np.int64).view(np.uint64)
    out = np.zeros(len(keys), dtype=np.int64)
    table = np.zeros(8 * max(8, len(keys)), dtype=np.int64)
    n = kernel_order(np.array(keys, dtype=np.int64), len(keys), h, table, out)
    return list(out[:n])


def both(keys, hashes):
    """Both emulations of inserting ``keys`` (with ``hashes[k]``) in that order."""
    ref = reference_order(keys, [hashes[k] for k in keys])
    ker = kernel(hashes, keys)
    assert ref == ker
    return ref


def test_no_collision_walks_the_slots():
    # 8 slots, slot = hash & 7: keys 0, 1, 2 with hashes 3, 2, 1 sit in slots 3, 2, 1
    assert both([0, 1, 2], [3, 2, 1]) == [2, 1, 0]
    # -1 is the all-ones unsigned hash: slot 7
    assert both([0, 1], [-1, 6]) == [1, 0]


def test_a_collision_makes_the_order_depend_on_insertion():
    # hashes 8 and 0 both want slot 0; the second probes i = 5*0 + perturb + 1: key 1 (hash 0) goes to
    # slot 1 after key 0; key 0 (hash 8) goes to slot (8 + 1) & 7 = 1 after key 1
    assert both([0, 1], [8, 0]) == [0, 1]
    assert both([1, 0], [8, 0]) == [1, 0]


def test_probing_and_growth_worked_by_hand():
    """Keys 0-5 with hashes 0, 8, ..., 40 all want slot 0 of 8.  Probes (i = 5 i + perturb + 1, perturb
    = hash >> 5 each step): key 1 -> 9 & 7 = 1; key 2 -> 17 (1, taken), 86 -> 6; key 3 -> 25 (1), 126 (6),
    631 -> 7; key 4 -> 33 (1), 167 (7, perturb 1), 836 -> 4: slots 0, 1, 4, 6, 7 hold keys 0, 1, 4, 2, 3.
    Key 5 -> 41 (1), 207 (7), 1036 (4), 5181 -> 5; 6 entries fill 2/3 of 8 slots, so the table grows to 32
    (the least power of two above 4 x 6) and takes them back in slot order 0, 1, 4, 5, 2, 3: key 0 -> 0,
    key 1 -> 8, key 4 -> 32 & 31 = 0 taken -> 33 -> 1, key 5 -> 8 taken -> 5*8 + 40 + 1 = 81 -> 17,
    key 2 -> 16, key 3 -> 24."""
    h = [0, 8, 16, 24, 32, 40]
    assert both([0, 1, 2, 3, 4], h) == [0, 1, 4, 2, 3]
    assert both([0, 1, 2, 3, 4, 5], h) == [0, 4, 1, 2, 5, 3]


def _python27():
    """$ACCELSIM_PYTHON2, else python2.7 / python2 on PATH, if it runs and has the sets module."""
    for exe in (os.environ.get("ACCELSIM_PYTHON2", ""), "python2.7", "python2"):
        path = shutil.which(exe) if exe else None
        if path and subprocess.run([path, "-c", "import sets"], capture_output=True).returncode == 0:
            return path
    return None


CPY = r'''
import json, random, sys, warnings
warnings.simplefilter("ignore")
import sets
class K(object):
    def __init__(s, h): s.h = h
    def __hash__(s): return s.h
random.seed(int(sys.argv[1]))
out = []
for trial in range(200):
    n = random.randint(1, 300)
    hs = [random.choice([random.randint(-2**63, 2**63 - 1), random.randint(0, 4096), random.randint(0, 64) << 4])
          for _ in range(n)]
    objs = [K(h) for h in hs]
    order = list(range(n)); random.shuffle(order)
    s = set([objs[order[0]]])
    d = sets.Set([objs[order[0]]])
    for j in order[1:]:
        s.add(objs[j]); d.add(objs[j])
    pos = dict((id(o), i) for i, o in enumerate(objs))
    out.append([hs, order, [pos[id(o)] for o in s], [pos[id(o)] for o in d]])
print(json.dumps(out))
'''


@pytest.mark.parametrize("seed", [1, 2])
def test_emulation_equals_cpython_27_sets_and_dicts(seed):
    """Validation of the emulation: random hashes (full 64-bit, small, and multiples of 16 as object
    addresses give), random insertion orders, up to 300 keys; CPython 2.7's own set and sets.Set (a dict)."""
    py2 = _python27()
    if py2 is None:
        pytest.skip("no CPython 2.7 with the sets module ($ACCELSIM_PYTHON2 or on PATH)")
    r = subprocess.run([py2, "-c", CPY, str(seed)], capture_output=True, text=True, check=True)
    for hs, order, set_iter, dict_iter in json.loads(r.stdout):
        assert both(order, hs) == set_iter == dict_iter


def _write(tmp_path, doc, name="w.json"):
    p = tmp_path / name
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(p)


def test_bad_wake_file_is_a_config_error_naming_the_file_and_field(tmp_path):
    good = {"components": list(range(1 + 16 + 256)), "requesters": list(range(256))}
    ok = _write(tmp_path, good, "ok.json")
    create("cnvlutin", None, timing_model="misim", misim_wake_order="cpython", misim_wake_file=ok)
    cases = [
        (None, "needs misim_wake_file"),
        (str(tmp_path / "missing.json"), "cannot read it"),
        (_write(tmp_path, "{not json", "a.json"), "not JSON"),
        (_write(tmp_path, [1, 2], "b.json"), "JSON object"),
        (_write(tmp_path, {"components": [1]}, "c.json"), "requesters must be a non-empty list"),
        (_write(tmp_path, dict(good, requesters=list(range(255))), "d.json"), "not a multiple of the 16"),
        (_write(tmp_path, dict(good, components=list(range(272))), "e.json"), "make 273"),
        (_write(tmp_path, dict(good, components=[0] * 273), "f.json"), "twice"),
        (_write(tmp_path, dict(good, components=["1"] + list(range(272))), "g.json"), r"components\[0\]"),
        (_write(tmp_path, dict(good, requesters=[2**63] + list(range(255))), "h.json"), r"requesters\[0\]"),
    ]
    for path, msg in cases:
        kw = {} if path is None else {"misim_wake_file": path}
        with pytest.raises(ConfigError, match=msg) as e:
            create("cnvlutin", None, timing_model="misim", misim_wake_order="cpython", **kw)
        assert "\n" not in str(e.value) and ("misim_wake_file" in str(e.value))
    with pytest.raises(ConfigError, match="only with misim_wake_order cpython"):
        create("cnvlutin", None, timing_model="misim", misim_wake_file=ok)
    with pytest.raises(ConfigError, match="lacks cm_ports"):
        create("cnvlutin", None, timing_model="misim", misim_wake_order="cpython", misim_wake_file=ok,
               misim_rules="window_pipeline,handoff,zero_chunk")
    # 8 lanes a tile: the file's 256 units do not fit 16 x 8
    from accelsim.trace.format import LayerSpec, LayerTrace
    spec = LayerSpec("l", "conv", 1, 16, 3, 3, 16, 3, 3, 1, 0)
    lt = LayerTrace(spec, np.ones((16, 16, 3, 3), np.float32), np.ones((1, 16, 3, 3), np.float32))
    arch = create("cnvlutin", None, timing_model="misim", misim_wake_order="cpython", misim_wake_file=ok,
                  lanes_per_tile=8)
    with pytest.raises(ConfigError, match="make 128 units"):
        arch.simulate_layer(lt)


# ---- misim_wake_order: address (accelerators/misim_wake.py) -------------------------------------------
def test_cpython_object_hash_is_the_address_rotated_right_4_bits():
    from accelsim.accelerators.misim_wake import rotate, unrotate
    assert rotate(0x7F0000001230) == 0x7F000000123
    assert rotate(0x15) == (5 << 60) + 1                 # low nibble 5 goes to the top
    assert rotate(0x18) == -(1 << 63) + 1                # top bit set: a negative hash
    assert unrotate(rotate(0x7F9A758E3750)) == 0x7F9A758E3750


def test_address_model_moves_regions_by_whole_pages():
    """Objects 0-2 within 256 KiB of each other (one region), object 3 and the function 1 MiB away (each
    its own region): offsets within a page never change, distances within a region never change, and the
    regions move independently (over seeds the distance between regions changes)."""
    from accelsim.accelerators.misim_wake import address_hashes, rotate, unrotate
    base = 0x7F0000000000
    addrs = (base + 0x1230, base + 0x5670, base + 0x3FFA0, base + 0x100000 + 0x8C0)
    func = base + 0x200000 + 0x750
    # one tile of two units here: components memory, tile, unit, unit
    far = set()
    for seed in range(6):
        comps, reqs = address_hashes(addrs, rotate(func), seed, tiles=1)
        moved = [unrotate(h) for h in comps]
        assert [a & 0xFFF for a in moved] == [a & 0xFFF for a in addrs]
        assert moved[1] - moved[0] == 0x5670 - 0x1230 and moved[2] - moved[0] == 0x3FFA0 - 0x1230
        f = unrotate(reqs[0] ^ comps[2])
        assert f & 0xFFF == 0x750 and all(unrotate(r ^ c) == f for r, c in zip(reqs, comps[2:]))
        far.add(moved[3] - moved[0])
    assert len(far) > 1
    assert address_hashes(addrs, rotate(func), 3, 1) == address_hashes(addrs, rotate(func), 3, 1)


def test_address_file_must_hold_the_addresses_of_its_hashes(tmp_path):
    from accelsim.accelerators.misim_wake import rotate
    base = 0x7F0000000000
    addrs = [base + 64 * i for i in range(273)]
    func = rotate(base + 0x500000)
    comps = [rotate(a) for a in addrs]
    good = {"components": comps, "requesters": [c ^ func for c in comps[17:]], "addresses": addrs}
    create("cnvlutin", None, timing_model="misim", misim_wake_order="address",
           misim_wake_file=_write(tmp_path, good, "ok.json"))
    for i, (doc, msg) in enumerate([(dict(good, addresses=addrs[:-1]), "addresses has 272"),
                     (dict(good, addresses=[a + 16 for a in addrs]), "do not give the components' hashes"),
                     (dict(good, addresses=[-1] + addrs[1:]), r"addresses\[0\] must be a positive"),
                     (dict(good, requesters=[0] + good["requesters"][1:]), "XOR one function"),
                     ({k: v for k, v in good.items() if k != "addresses"}, "addresses must be")]):
        with pytest.raises(ConfigError, match=msg):
            create("cnvlutin", None, timing_model="misim", misim_wake_order="address",
                   misim_wake_file=_write(tmp_path, doc, f"bad{i}.json"))
