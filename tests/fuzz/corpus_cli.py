"""More fuzz generators: command options and results folders (registered into ``corpus.GEN``).

* ``results``: results folders for ``accelsim figures`` with hand-edited run files and CSVs;
* ``options``: command-line values for every command (numbers that are not numbers, NaN, huge batches,
  empty lists, special files such as /dev/zero, a malformed ``--scheduler``).
"""
from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

from tests.fuzz.corpus import WEIRD_TEXT, generator
from tests.fuzz.harness import Case


def _results(root: Path, base: Path) -> Path:
    res = root / "good_results"
    if not res.exists():
        from accelsim.cli import main
        rc = main(["compare", str(base), "--arch", "dadiannao,cnvlutin", "--baseline", "dadiannao", "--quiet",
                   "--out", str(res)])
        assert rc == 0
    return res


@generator("results")
def gen_results(root: Path, rng: random.Random, n: int, base: Path) -> list[Case]:
    good = _results(root, base)
    cases = []
    for i in range(n):
        d = root / f"res{i}"
        shutil.copytree(good, d)
        runs = sorted((d / "runs").glob("*.json"))
        kind = rng.randrange(6)
        if kind == 0:
            rng.choice(runs).write_bytes(rng.choice([b"{", b"", b"\xff\xfe\x00", b"[]", b"null", b"5"]))
        elif kind == 1:
            p = rng.choice(runs)
            r = json.loads(p.read_text())
            lay = r["layers"][0]
            lay[rng.choice(["cycles", "energy", "macs_dense", "clock_hz", "latency_total_s"])] = rng.choice(
                ["x", None, [], {}, True, 1e400, "NaN"])
            p.write_text(json.dumps(r))
        elif kind == 2:
            p = rng.choice(runs)
            r = json.loads(p.read_text())
            r[rng.choice(["layers", "arch", "network"])] = rng.choice([None, [], 5, {}, [None]])
            p.write_text(json.dumps(r))
        elif kind == 3:
            (d / "compare.csv").write_bytes(rng.choice([b"\x00\xff garbage", b"", b"a,b\n1\n", b"\xff\xfe"]))
        elif kind == 4:
            lines = (d / "compare.csv").read_text().splitlines()
            cells = lines[1].split(",")
            cells[rng.randrange(len(cells))] = rng.choice(["abc", "", "nan", "inf", "-1", "1e400"])
            lines[1] = ",".join(cells)
            (d / "compare.csv").write_text("\n".join(lines) + "\n")
        else:
            shutil.rmtree(d / "runs")
            (d / "compare.csv").unlink()
        expect = "any" if kind == 4 else "reject"
        cases.append(Case("results", f"r{kind}_{i}", ["figures", "--results", str(d), "--out", str(root / f"f{i}")],
                          expect))
    return cases


@generator("options")
def gen_options(root: Path, rng: random.Random, n: int, base: Path) -> list[Case]:
    cases = []
    out = str(root / "o.npz")
    special = ["/dev/null", "/dev/zero", str(root), str(root / "missing.npz"), ""]
    for i in range(n):
        v = rng.choice(WEIRD_TEXT + ["1000000000", "-5", "0", "nan", "1e-300"])
        kind = rng.randrange(10)
        expect = "any"
        if kind == 0:
            argv = ["trace", "synth", "--network", rng.choice(["lenet5", "alexnet"]), "--batch", v, "--out", out]
        elif kind == 1:
            argv = ["trace", "synth", "--network", "lenet5", rng.choice(["--weight-density", "--act-density"]), v,
                    "--out", out]
        elif kind == 2:
            argv = ["trace", "quantize", str(base), "--scheme", rng.choice(["inq", "ttq", "uniform"]), "--bits", v,
                    "--out", out]
        elif kind == 3:
            argv = ["simulate", str(base), "--arch", rng.choice(["cnvlutin", "ucnn", "eyeriss"]),
                    rng.choice(["--threshold", "--group-size", "--layers"]), v, "--quiet"]
        elif kind == 4:
            argv = ["simulate", rng.choice(special), "--arch", "dadiannao", "--quiet"]
            expect = "reject"
        elif kind == 5:
            argv = ["compress", "--format", "rlc", rng.choice(special)]
            expect = "reject"
        elif kind == 6:
            spec = root / f"s{i}.yaml"
            spec.write_text(f"traces: [{base}]\narchs: [dadiannao]\nout: {root / f's{i}_out'}\n")
            argv = ["sweep", str(spec), "--scheduler", rng.choice(["garbage::://", "nosuch://x", ":::", "tcp://"]),
                    "--quiet"]
            expect = "reject"
        elif kind == 7:
            argv = ["simulate", str(base), "--arch", "dadiannao", "--config", rng.choice(special[1:]), "--quiet"]
            expect = "reject"
        elif kind == 8:
            argv = ["compare", str(base), "--arch", rng.choice(["dadiannao,cnvlutin", "dadiannao", ",", ""]),
                    "--baseline", rng.choice(["dadiannao", "cnvlutin", "", "x"]), "--quiet"]
        else:
            argv = rng.choice([["trace"], ["nosuch"], ["simulate"], ["trace", "synth"], ["compress", "x.npy"],
                               ["simulate", str(base), "--arch", "dadiannao", "--bogus"]])
            expect = "reject"
        cases.append(Case("options", f"p{kind}_{i}", argv, expect))
    return cases
