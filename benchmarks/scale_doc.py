"""The scale benchmark's section of docs/performance.md: the machine, the command, the data, how
each case was measured, the table and where Dask starts to pay off."""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
from importlib import metadata
from pathlib import Path

from report import machine
from scale_data import Generated
from scale_report import GIB, Record, break_even, table
from sections import write_section

SECTION = "scale_bench"
COMMANDS = (
    "- `train-single`: `predictor train --data all.parquet --target y --no-plots -q`",
    "- `train-dask`: `predictor train --engine dask --data 'parts/*.parquet' --target y --no-plots -q`",
    "- `score-single`: `predictor predict --model-dir M --input all.parquet --output out.parquet`",
    "- `score-dask`: `predictor predict --model-dir M --engine dask --input parts/ --output out/`",
)
VERSIONS = ("predictor", "xgboost", "dask", "distributed", "pyarrow", "numpy", "psutil")


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
        f"{g.rows:,} rows: {g.part_count} parts, {g.single.stat().st_size / GIB:.2f} GiB" for g in sizes
    )
    return [
        f"- command: `{shlex.join(['.venv/bin/python', 'benchmarks/scale_bench.py', *sys.argv[1:]])}`",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- data (`benchmarks/scale_data.py`, seed {args.seed}): generated binary classification, 40 numeric",
        "  (float64) and 4 categorical (string, 5 to 200 levels) features, target `y`; for the",
        f"  LocalCluster as Parquet parts of {args.part_rows:,} rows, for the single process as one",
        "  Parquet file of the same rows",
        f"- files: {files} (each as parts and again as one file)",
        "- LocalCluster: the CLI's own (`--engine dask` without `--scheduler`), sized by Dask for the",
        "  machine's cores",
        *(
            [
                f"- scoring model: trained once by the single process (default parameters) on "
                f"{args.model_rows:,}",
                "  generated rows of another seed, exported, the same for both engines",
            ]
            if any(case.startswith("score") for case in args.cases)
            else []
        ),
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
        "rows/s is the size's rows (every input row) over that time. The peak is the largest sum of",
        "the RSS of the command and all its child processes (the cluster's nannies and workers),",
        "sampled every 0.2 s; a command whose sum passes the guard's limit is killed.",
        "",
        *COMMANDS,
        "",
        *table(records),
        "",
        *(
            [
                "Memory estimates made before a run (estimates, not measurements):",
                "",
                *(f"- {e}" for e in estimates),
                "",
            ]
            if estimates
            else []
        ),
        "Where Dask starts to pay off on this machine (the smallest measured size at which the Dask",
        "engine's rows/s beat the single process's, or the single process did not fit and Dask ran):",
        "",
        *(
            f"- {label}: {break_even(records, task)}"
            for task, label in (("train", "training"), ("score", "scoring"))
            if any(r.case.startswith(task) for r in records)
        ),
    ]
    write_section(doc, SECTION, lines)
