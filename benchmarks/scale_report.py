"""The scale benchmark's figures: one record per case and size, the memory estimate that decides
whether a case is worth running at a size, the break-even size, and the section of
docs/performance.md."""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from report import machine
from scale_data import Generated
from sections import write_section

SECTION = "scale_bench"
GIB = 1024**3
CASES = ("train-single", "train-dask", "score-single", "score-dask")
VERSIONS = ("predictor", "xgboost", "dask", "distributed", "pyarrow", "numpy", "psutil")


@dataclass(frozen=True)
class Record:
    """One case at one size: ``status`` is ``ok``, ``failed``, ``stopped`` (the memory guard) or
    ``skipped`` (``note`` says why)."""

    case: str
    rows: int
    status: str
    seconds: float = 0.0
    peak_bytes: int = 0
    note: str = ""

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.status == "ok" and self.seconds > 0 else 0.0


def estimate(points: list[tuple[int, int]], rows: int) -> tuple[float, str] | None:
    """The peak bytes expected at ``rows`` from earlier (rows, peak) points of the same command:
    linear through the two largest sizes (the higher peak of a size measured twice), and how it
    was made; None with fewer than two sizes (one point says nothing of the start-up memory,
    which does not grow with the rows)."""
    peaks: dict[int, int] = {}
    for size, peak in points:
        if size < rows:
            peaks[size] = max(peak, peaks.get(size, 0))
    below = sorted(peaks.items())[-2:]
    if len(below) < 2:
        return None
    (r1, p1), (r2, p2) = below
    value = p2 + (p2 - p1) / (r2 - r1) * (rows - r2)
    how = f"linear through {r1:,} rows ({p1 / GIB:.2f} GiB) and {r2:,} rows ({p2 / GIB:.2f} GiB)"
    return value, how


def break_even(records: list[Record], task: str) -> str:
    """The smallest measured size at which Dask pays off for ``task`` (train or score): its rows/s
    beat the single process's, or the single process did not fit in memory there (stopped by the
    guard, or skipped on the estimate) and Dask ran."""
    by = {(r.case, r.rows): r for r in records}
    single, dask = f"{task}-single", f"{task}-dask"
    sizes = sorted({r.rows for r in records if r.case in (single, dask)})
    ran = False
    for rows in sizes:
        one, many = by.get((single, rows)), by.get((dask, rows))
        if one is None or many is None or many.status != "ok":
            continue
        ran = True
        if one.status in ("stopped", "skipped"):
            return f"{rows:,} rows, where the single process did not fit ({one.note}) and Dask ran"
        if one.status == "ok" and many.rows_per_s > one.rows_per_s:
            ratio = many.rows_per_s / one.rows_per_s
            return (
                f"{rows:,} rows ({many.rows_per_s:,.0f} against {one.rows_per_s:,.0f} rows/s, {ratio:.2f}x)"
            )
    if not ran:
        return f"not known: `{single}` and `{dask}` were not both measured at any size"
    return f"not reached at the sizes measured (up to {max(sizes):,} rows): the single process was faster"


def cell(record: Record | None) -> str:
    if record is None:
        return "–"
    if record.status == "ok":
        peak = record.peak_bytes / GIB
        return f"{record.seconds:,.1f} s, {record.rows_per_s:,.0f} rows/s, peak {peak:.2f} GiB"
    return f"{record.status}: {record.note}"


def table(records: list[Record]) -> list[str]:
    by = {(r.case, r.rows): r for r in records}
    cases = [c for c in CASES if any(r.case == c for r in records)]
    lines = ["| rows | " + " | ".join(f"`{c}`" for c in cases) + " |", "| ---: |" + " --- |" * len(cases)]
    for rows in sorted({r.rows for r in records}):
        lines.append(f"| {rows:,} | " + " | ".join(cell(by.get((c, rows))) for c in cases) + " |")
    return lines


def versions() -> str:
    found = []
    for name in VERSIONS:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def context(args: argparse.Namespace, sizes: list[Generated]) -> list[str]:
    """The section's lines on the command, the data, the model and the guard."""
    files = "; ".join(
        f"{g.rows:,} rows: {g.part_count} parts, {g.single.stat().st_size / GIB:.2f} GiB as one file"
        for g in sizes
    )
    return [
        f"- command: `{shlex.join(['.venv/bin/python', 'benchmarks/scale_bench.py', *sys.argv[1:]])}`",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- data (`benchmarks/scale_data.py`, seed {args.seed}): generated binary classification, 40 numeric",
        "  (float64) and 4 categorical (string, 5 to 200 levels) features, target `y`; for the",
        f"  LocalCluster as Parquet parts of {args.part_rows:,} rows, for the single process as one",
        f"  Parquet file of the same rows ({files})",
        "- LocalCluster: the CLI's own (`--engine dask` without `--scheduler`), sized by Dask for the",
        "  machine's cores",
        f"- scoring model: trained once by the single process (default parameters) on {args.model_rows:,}",
        "  generated rows of another seed, exported, the same for both engines",
        f"- memory guard: {args.memory_limit_gib:g} GiB for a case's process tree",
    ]


def write(doc: Path, records: list[Record], context: list[str], estimates: list[str]) -> None:
    """The section: the machine, the ``context`` lines (command, data, model), the table, the
    memory estimates made, and the break-even sizes."""
    lines = [
        "## Scale-out: single process against a LocalCluster (`benchmarks/scale_bench.py`)",
        "",
        f"- machine: {machine()}",
        f"- {versions()}",
        *context,
        "",
        "Each case is one command of the CLI, run as a subprocess: its wall time runs from launch to",
        "exit (Python start-up and imports included, and for Dask the LocalCluster's start and close);",
        "rows/s is the size's rows over that time. The peak is the largest sum of the RSS of the",
        "command and all its child processes (the cluster's nannies and workers), sampled every 0.2 s.",
        "",
        *table(records),
        "",
        *([*(f"- {line}" for line in estimates), ""] if estimates else []),
        "Where Dask starts to pay off on this machine (the smallest measured size at which the Dask",
        "engine's rows/s beat the single process's, or the single process did not fit and Dask ran):",
        "",
        f"- training: {break_even(records, 'train')}",
        f"- scoring: {break_even(records, 'score')}",
    ]
    write_section(doc, SECTION, lines)
