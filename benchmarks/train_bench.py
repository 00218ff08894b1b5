"""Training benchmark: wall time and test metrics, default training vs a 30-trial tuning run, on
every bundled data set; then how tuning should use two cores; then tuning scored on the
validation split (``cv_folds=1``) against 5-fold cross-validation, over several seeds. Writes its
section of docs/performance.md and says whether the goal holds (tuned Breast Cancer: test ROC
AUC >= 0.98).

    .venv/bin/python benchmarks/train_bench.py [--trials 30] [--no-write] [--no-compare]
    .venv/bin/python benchmarks/train_bench.py --before /tmp/before [--repeats 3] [--before-only]

With ``--before DIR`` (a source tree, e.g. a `git worktree` of the commit before a change), it
also trains the same configuration with the same seed in that tree and in this one, through the
command line in subprocesses (benchmarks/train_ab.py, which imports nothing of either tree), and
writes that comparison as a section of its own: the boosters' SHA-256 (the floor: identical) and
the tuning wall times side by side (the floor: within 10 %).

The first two tables run in-process against a temporary SQLite MLflow store (tracking and plots
included in the times), with the default seed 42. The comparison tracks in memory, without plots.
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

import sections
import train_ab
from predictor.adapters.matplotlib.plots import MatplotlibReportRenderer
from predictor.adapters.memory import InMemoryExperimentTracker, InMemoryModelRegistry
from predictor.adapters.mlflow.registry import MlflowModelRegistry
from predictor.adapters.mlflow.tracking import MlflowExperimentTracker
from predictor.adapters.optuna.tuner import OptunaTuner
from predictor.adapters.sklearn.datasets import LocalDatasetSource
from predictor.adapters.xgboost.runtime import XGBoostRuntime
from predictor.adapters.xgboost.trainer import XGBoostTrainer
from predictor.domain.search import TrialState, TuningBudget
from predictor.services.training.pipeline import TrainingOutcome, TrainingRequest, TrainModel
from predictor.services.training.tuning import CV_FOLDS

DATASETS = ("breast-cancer", "wine", "diabetes")
GOAL = 0.98
# Seeds for the validation-split vs cross-validation comparison (42 is the default split).
COMPARE_SEEDS = (1, 7, 13, 42)
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


def in_memory_trainer(tuner: OptunaTuner | None = None) -> TrainModel:
    """The use case with tuning, tracked in memory (no MLflow store, no plots)."""
    return TrainModel(
        LocalDatasetSource(),
        XGBoostTrainer(),
        InMemoryExperimentTracker(),
        InMemoryModelRegistry(),
        tuner=tuner or OptunaTuner(),
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
        f"best {'CV' if tuning.folds > 1 else 'valid'} {tuning.metric} {tuning.best.value:.4f}"
    )


def table_row(r: Row) -> str:
    cells = (r.dataset, r.mode, f"{r.seconds:.1f} s", metrics_text(r.outcome), tuning_text(r.outcome))
    return "| " + " | ".join(cells) + " |"


def main_metric(outcome: TrainingOutcome) -> tuple[str, float]:
    name = "roc_auc" if "roc_auc" in outcome.metrics else "rmse"
    return name, outcome.metrics[name]


def compare_folds(trials: int) -> list[str]:
    """Test metric and wall time of a tuning run per data set and seed, trials scored on the
    validation split (1 fold) and by cross-validation: the evidence behind the default."""
    lines = [
        f"| data set | test metric | seed | {trials} trials, validation split | "
        f"{trials} trials, {CV_FOLDS}-fold CV |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for name in DATASETS:
        means: dict[int, list[float]] = {1: [], CV_FOLDS: []}
        metric = ""
        for seed in COMPARE_SEEDS:
            cells = []
            for folds in (1, CV_FOLDS):
                train = in_memory_trainer()
                budget = TuningBudget(trials=trials, parallel=2, threads=1)
                request = TrainingRequest(dataset=name, seed=seed, tuning=budget, cv_folds=folds, plots=False)
                seconds, outcome = timed(train, request)
                metric, value = main_metric(outcome)
                means[folds].append(value)
                cells.append(f"{value:.4f} ({seconds:.1f} s)")
            lines.append(f"| {name} | {metric} | {seed} | {cells[0]} | {cells[1]} |")
            print(lines[-1])
        mean_cells = [f"**{sum(v) / len(v):.4f}**" for v in means.values()]
        lines.append(f"| {name} | {metric} | mean | {mean_cells[0]} | {mean_cells[1]} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    parser.add_argument("--no-compare", action="store_true", help="skip the validation split vs CV table")
    parser.add_argument(
        "--before", type=Path, metavar="DIR", help="also train in this source tree and compare (train_ab.py)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="with --before: runs per tree and mode")
    parser.add_argument("--before-only", action="store_true", help="with --before: only that comparison")
    args = parser.parse_args()
    ab_holds = True
    if args.before:
        ab_holds = before_and_after(args.before.resolve(), args.trials, args.repeats, write=not args.no_write)
        if args.before_only:
            return 0 if ab_holds else 1
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
    comparison = [] if args.no_compare else compare_folds(args.trials)
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
        "Seed 42 (split 60 / 20 / 20, stratified); test metrics on the untouched 20 %. Tuning",
        f"scores each trial by {CV_FOLDS}-fold cross-validation of the other 80 % (the default).",
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
    ]
    if comparison:
        lines += [
            "",
            "Trials scored on the validation split (`--cv-folds 1`, the earlier behaviour) or by",
            f"{CV_FOLDS}-fold cross-validation (the default), per seed: test ROC AUC (higher is better)",
            "or RMSE (lower is better), and the wall time of the tuning run (tracked in memory,",
            "no plots). The seeds only vary the split; none was chosen by its result.",
            "",
            *comparison,
        ]
    lines.append(END)
    if not args.no_write:
        write_section("\n".join(lines))
    return 0 if holds and ab_holds else 1


def before_and_after(before: Path, trials: int, repeats: int, *, write: bool) -> bool:
    """The same training in the tree ``before`` and in this one; its own section of the doc."""
    lines, holds = train_ab.compare(before, trials, repeats)
    if write:
        title = "## Training before and after a change (`benchmarks/train_bench.py --before DIR`)"
        sections.write_section(DOC, "train_before_after", [title, "", *machine(), "", *lines])
        print(f"wrote {DOC}")
    return holds


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
