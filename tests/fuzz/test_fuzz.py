"""The fuzz suite: seeded bad inputs of every kind through the command line (issue #13).

Every case must end with exit 2 (usage) or 3 (bad input) and exactly one stderr line, never a traceback
or a hang; a case whose input is certainly invalid must never be accepted (exit 0); inputs are never
changed and no temporary file survives.  ``corpus.py`` holds the generators, ``harness.py`` the judging.

The fast subset (a few cases per category, one seed) runs by default; ``pytest -m slow`` runs the full
corpus (several seeds, many cases per category) and prints counts per category.
"""
from __future__ import annotations

import collections

import pytest

from tests.fuzz import corpus
from tests.fuzz.harness import run_case

FAST_PER_CATEGORY = 12
FULL_SEEDS = (0, 1, 2)
FULL_PER_CATEGORY = 60


@pytest.fixture(autouse=True)
def _small_memory_limit(monkeypatch):
    # the corpus asks for huge layers on purpose; a low limit keeps every refusal cheap and the test safe
    monkeypatch.setenv("ACCELSIM_MAX_BYTES", "512M")


def _leftover_temps(root):
    return sorted(str(p) for p in root.rglob("*.tmp*"))


def run_corpus(root, seeds, per_category, report=None):
    stats: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    failures = []
    for seed in seeds:
        cases = corpus.build(root / f"seed{seed}", seed, per_category)
        for c in cases:
            oc, probs = run_case(c)
            st = stats[c.category]
            st["cases"] += 1
            st["rejected" if oc.code in (2, 3) else "accepted"] += 1
            if probs:
                st["problems"] += 1
                failures.append(f"[{c.category}/{c.name}] {' '.join(c.argv)[:160]} -> {probs} {oc.stderr[:200]!r}")
    temps = _leftover_temps(root)
    if report:
        total = sum(s["cases"] for s in stats.values())
        bad = sum(s["problems"] for s in stats.values())
        lines = [f"fuzz corpus: seeds {list(seeds)}, {per_category} per category and seed"]
        lines += [f"  {k:<10} {s['cases']:>5} cases  {s['rejected']:>5} rejected (exit 2/3)  "
                  f"{s['accepted']:>5} accepted  {s['problems']:>3} problems" for k, s in sorted(stats.items())]
        lines.append(f"  total      {total:>5} cases, {bad} problems, {100.0 * (total - bad) / max(1, total):.1f}% clean; "
                     f"{len(temps)} temporary files left")
        report("\n".join(lines))
    return failures, temps


def test_fuzz_fast_subset(tmp_path):
    failures, temps = run_corpus(tmp_path, (0,), FAST_PER_CATEGORY)
    assert not failures, "\n".join(failures[:30])
    assert not temps


@pytest.mark.slow
def test_fuzz_full_corpus(tmp_path, capsys):
    def report(text):
        with capsys.disabled():
            print("\n" + text)
    failures, temps = run_corpus(tmp_path, FULL_SEEDS, FULL_PER_CATEGORY, report)
    assert not failures, f"{len(failures)} failing cases:\n" + "\n".join(failures[:50])
    assert not temps


def test_generators_are_seeded(tmp_path):
    a = [[c.argv[0], c.name, c.expect] for c in corpus.build(tmp_path / "a", 7, 3)]
    b = [[c.argv[0], c.name, c.expect] for c in corpus.build(tmp_path / "b", 7, 3)]
    assert a == b and len({c[1] for c in a}) > 10
    assert set(corpus.GEN) == {"traces", "manifests", "configs", "set_arch", "energy", "sweep", "topology",
                               "importers", "npy", "outputs", "results", "options"}
