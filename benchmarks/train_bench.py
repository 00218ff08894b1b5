"""Training benchmark: wall time and test metrics, default training vs a 30-trial tuning run, on
every bundled data set; then how tuning should use two cores. Writes its section of
docs/performance.md and says whether the goal holds (tuned Breast Cancer: test ROC AUC >= 0.98).

    .venv/bin/python benchmarks/train_bench.py [--trials 30] [--no-write]

Everything runs in-process against a temporary SQLite MLflow store (tracking and plots
included in the times), with the default seed 42.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from predictor.adapters.datasets import LocalDatasetSource
from predictor.adapters.mlflow.registry import MlflowModelRegistry
from predictor.adapters.mlflow.tracking import MlflowExperimentTracker
from predictor.adapters.optuna.tuner import OptunaTuner
from predictor.adapters.plots import MatplotlibReportRenderer
from predictor.adapters.xgboost.runtime import XGBoostRuntime
from predictor.adapters.xgboost.trainer import XGBoostTrainer
from predictor.domain.search import TrialState, TuningBudget
from predictor.domain.training import TrainingOutcome, TrainingRequest, TrainModel

DATASETS = ("breast-cancer", "wine", "diabetes")
GOAL = 0.98
DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
BEGIN, END = "<!-- train_bench:begin -->", "<!-- train_bench:end -->"


@dataclass
class Row:
    dataset: str
    mode: str
    seconds: float
    outcome: TrainingOutcome


def trainer(root: Path) -> TrainModel:
    uri = f"sqlite:///{root / 'mlflow.db'}"
    return TrainModel(
        LocalDatasetSource(),
        XGBoostTrainer(),
        MlflowExperimentTracker(uri, str(root / "mlartifacts")),
        MlflowModelRegistry(uri),
        XGBoostRuntime(),
        OptunaTuner(),
        MatplotlibReportRenderer(),
    )


def timed(train: TrainModel, request: TrainingRequest) -> tuple[float, TrainingOutcome]:
    started = time.perf_counter()
    outcome = train(request)
    return time.perf_counter() - started, outcome


def machine() -> list[str]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = found.group(1).strip() if found else cpu
    ram = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        found = re.search(r"MemTotal:\s*(\d+) kB", meminfo.read_text())
        ram = f"{int(found.group(1)) / 1024 / 1024:.1f} GiB" if found else ram
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("xgboost", "optuna", "mlflow", "numpy"))
    return [
        f"- machine: {len(os.sched_getaffinity(0))} CPUs (`nproc`), {cpu}, {ram} RAM",
        f"- Python {platform.python_version()}, {versions}",
        f"- command: `{' '.join(['.venv/bin/python', 'benchmarks/train_bench.py', *sys.argv[1:]])}`",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
    ]


def metrics_text(outcome: TrainingOutcome) -> str:
    names = (
        ("roc_auc", "accuracy", "f1", "log_loss") if "roc_auc" in outcome.metrics else ("rmse", "mae", "r2")
    )
    return ", ".join(f"{n} {outcome.metrics[n]:.4f}" for n in names)


def tuning_text(outcome: TrainingOutcome) -> str:
    tuning = outcome.tuning
    if tuning is None:
        return "–"
    return (
        f"{tuning.count(TrialState.COMPLETE)} complete / {tuning.count(TrialState.PRUNED)} pruned; "
        f"best valid {tuning.metric} {tuning.best.value:.4f}"
    )


def table_row(r: Row) -> str:
    cells = (r.dataset, r.mode, f"{r.seconds:.1f} s", metrics_text(r.outcome), tuning_text(r.outcome))
    return "| " + " | ".join(cells) + " |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    rows: list[Row] = []
    layouts: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="train-bench-") as tmp:
        train = trainer(Path(tmp))
        timed(train, TrainingRequest(dataset="wine", plots=False))  # warm-up: imports, store creation
        for name in DATASETS:
            seconds, outcome = timed(train, TrainingRequest(dataset=name))
            rows.append(Row(name, "default", seconds, outcome))
            budget = TuningBudget(trials=args.trials, parallel=2, threads=1)
            seconds, outcome = timed(train, TrainingRequest(dataset=name, tuning=budget))
            rows.append(Row(name, f"tuned, {args.trials} trials", seconds, outcome))
            print(f"{name}: {[f'{r.mode} {r.seconds:.1f}s {metrics_text(r.outcome)}' for r in rows[-2:]]}")
        for parallel, threads in ((2, 1), (1, 2), (1, 1)):
            budget = TuningBudget(trials=args.trials, parallel=parallel, threads=threads)
            seconds, outcome = timed(
                train, TrainingRequest(dataset="breast-cancer", tuning=budget, plots=False)
            )
            layouts.append(
                (f"{parallel} parallel x {threads} thread(s)", seconds, outcome.metrics["roc_auc"])
            )
            print(f"layout {layouts[-1]}")
    tuned = next(r for r in rows if r.dataset == "breast-cancer" and r.mode != "default")
    auc = tuned.outcome.metrics["roc_auc"]
    holds = auc >= GOAL
    verdict = f"tuned Breast Cancer test ROC AUC {auc:.4f}: goal >= {GOAL} {'HOLDS' if holds else 'NOT MET'}"
    print(verdict)
    lines = [
        BEGIN,
        "## Training (`benchmarks/train_bench.py`)",
        "",
        *machine(),
        "",
        "Seed 42 (split 60 / 20 / 20, stratified); test metrics on the untouched 20 %.",
        "Wall time of the whole use case: data checks, training, evaluation, PNG plots,",
        "MLflow tracking into SQLite, model logging.",
        "",
        "| data set | run | wall time | test metrics | tuning |",
        "| --- | --- | ---: | --- | --- |",
        *(table_row(r) for r in rows),
        "",
        f"**Goal: {verdict}.**",
        "",
        f"Two cores for tuning ({args.trials} trials on Breast Cancer, no plots):",
        "",
        "| layout | wall time | test ROC AUC |",
        "| --- | ---: | ---: |",
        *(f"| {name} | {seconds:.1f} s | {value:.4f} |" for name, seconds, value in layouts),
        END,
    ]
    if not args.no_write:
        write_section("\n".join(lines))
    return 0 if holds else 1


def write_section(section: str) -> None:
    text = DOC.read_text() if DOC.exists() else "# Performance\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text)
    print(f"wrote {DOC}")


if __name__ == "__main__":
    sys.exit(main())
