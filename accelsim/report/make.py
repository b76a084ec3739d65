"""Regenerate every figure of a results folder, from saved results only (``accelsim figures``).

A results folder holds ``runs/*.json`` (one NetworkResult per trace x design), ``compare.csv`` (rows of
accelsim.comparison) and optionally ``compression.csv``.  Each figure is written as PNG and PDF.
"""
from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt

from accelsim import atomic
from accelsim.errors import FormatError
from accelsim.report import figures as F
from accelsim.report.layout import fit_titles
from accelsim.report.load import load_csv, load_runs


def _save(fig, out_dir: Path, name: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    fit_titles(fig)
    paths = []
    for ext in ("png", "pdf"):
        p = out_dir / f"{name}.{ext}"
        atomic.write_with(p, lambda fh: fig.savefig(fh, format=ext))
        paths.append(p)
    plt.close(fig)
    return paths


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s)


def result_subfolders(rd: Path) -> list[Path]:
    """Subfolders that are results folders of their own (their own runs/ or compare.csv, e.g. the demo's
    ucnn/ study and shared/ energy basis): their figures are drawn apart, into a subfolder of the same name,
    so runs of one trace priced on two bases never share a figure."""
    return [p for p in sorted(rd.iterdir()) if p.is_dir() and p.name != "runs"
            and ((p / "runs").is_dir() or (p / "compare.csv").exists())]


def make_all_figures(results_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Every figure of ``results_dir`` into ``out_dir``; results that are not as accelsim writes them
    (a hand-edited column of text, a missing column) are a FormatError naming the folder."""
    try:
        return _make_all_figures(results_dir, out_dir)
    except FormatError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError) as e:
        plt.close("all")
        raise FormatError(f"{results_dir}: results that accelsim did not write this way "
                          f"({type(e).__name__}: {' '.join(str(e).split())[:160]})") from None


def _make_all_figures(results_dir: str | Path, out_dir: str | Path) -> list[Path]:
    rd, od = Path(results_dir), Path(out_dir)
    if not rd.is_dir():
        raise FormatError(f"{rd}: no such results folder")
    written = _folder_figures(rd, od, per_trace=True)
    if not written:
        raise FormatError(f"{rd}: no results (runs/*.json, compare.csv, compression.csv or study CSVs) to draw")
    return written


# Subfolders that repeat the parent's runs on another energy basis (the demo's shared/): only their
# per-network summary figures and their per-trace energy breakdowns are drawn; the other per-trace
# figures (speedup, MACs, DRAM, compression) would duplicate the parent's.
SUMMARY_ONLY = ("shared",)
# Subfolders whose runs exist for the EIE / SCNN figures only (the demo's sparse/: dense baselines, queue
# depths): their per-network energy and MAC figures would repeat the parent's.
SPARSE_ONLY = ("sparse",)


def _folder_figures(rd: Path, od: Path, per_trace: bool) -> list[Path]:
    runs = load_runs(rd, recursive=False)
    subs = result_subfolders(rd)
    written: list[Path] = []
    cmp_csv = rd / "compare.csv"
    if cmp_csv.exists():
        rows = load_csv(cmp_csv)
        with open(cmp_csv, newline="") as fh:
            header = fh.readline()
        missing = [c for c in ("network", "layer", "arch", "baseline", "speedup") if c not in header.strip().split(",")]
        if missing:
            raise FormatError(f"{cmp_csv}: not a compare.csv written by accelsim (no column(s) {', '.join(missing)})")
        baseline = rows[0]["baseline"] if rows else ""
        if rows:
            written += _save(F.fig_speedup(rows, baseline), od, "speedup_per_network")
            if "energy_reduction" in rows[0]:
                written += _save(F.fig_energy_per_network(rows, baseline), od, "energy_per_network")
            for net in (dict.fromkeys(F.trace_name(r) for r in rows) if per_trace else ()):
                written += _save(F.fig_speedup(rows, baseline, per_layer=True, network=net), od,
                                 f"speedup_per_layer_{_slug(net)}")
    for net, rs in (F.group_by_network(runs).items() if rd.name not in SPARSE_ONLY else ()):
        written += _save(F.fig_energy_breakdown(rs, net), od, f"energy_breakdown_{_slug(net)}")
        if not per_trace:
            continue
        written += _save(F.fig_macs(rs, net), od, f"macs_{_slug(net)}")
        if any(r.layers and "dram_ifmap_read_bits_uncompressed" in r.layers[0].extra for r in rs):
            written += _save(F.fig_dram_rlc(rs, net), od, f"dram_rlc_{_slug(net)}")
    if any(r.arch.split(":")[0] in ("scnn", "eie") for r in runs):
        from accelsim.report import sparse_figures as SF  # SCNN vs DCNN; EIE vs dense EIE and queue depth
        for fname, fig in (("scnn_vs_dcnn", SF.fig_scnn_density(runs)), ("eie_speedup_queue", SF.fig_eie(runs))):
            if fig is not None:
                written += _save(fig, od, fname)
    if (any(r.arch.split(":")[0] == "ucnn" and r.source.get("quantization") for r in runs)
            and any(r.arch == "eyeriss" for r in runs)):  # the U/G study: traces quantized on purpose
        written += _save(F.fig_ucnn(runs), od, "ucnn_vs_unique_weights")
    from accelsim.report.study_figures import FIGURES as STUDY_FIGURES
    for name, fig_fn in STUDY_FIGURES.items():  # pruning studies saved by `accelsim prune study NAME --out`
        for csv_path in sorted(rd.rglob(f"{name}.csv")):
            if any(sub in csv_path.parents for sub in subs):
                continue  # drawn with its own results folder
            rows = load_csv(csv_path)
            rel = csv_path.parent.relative_to(rd)
            from accelsim.report.study_figures import extra_figures, figure_groups
            for suffix, rs in figure_groups(name, rows) if rows else []:
                for extra, fn in [("", fig_fn)] + extra_figures(name):
                    fig = fn(rs)
                    fig.tight_layout()
                    written += _save(fig, od, f"study_{name}" + _slug(suffix) + extra
                                     + ("" if str(rel) == "." else "_" + _slug(str(rel))))
    comp = rd / "compression.csv"
    if comp.exists() and per_trace:
        rows = load_csv(comp)
        for net in dict.fromkeys(F.trace_name(r) for r in rows):
            written += _save(F.fig_compression(rows, net), od, f"compression_{_slug(net)}")
    for sub in subs:
        written += _folder_figures(sub, od / sub.name, per_trace=sub.name not in SUMMARY_ONLY)
    return written
