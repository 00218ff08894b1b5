"""What `predictor train` prints: data-check warnings, a compact summary table, the decision."""

from __future__ import annotations

import math
from collections.abc import Callable

from predictor.domain.search import TrialState
from predictor.services.training.data_checks import DataReport
from predictor.services.training.pipeline import TrainingOutcome

# Shown first, in this order; any other metric follows alphabetically.
_ORDER = ("roc_auc", "accuracy", "f1", "precision", "recall", "log_loss", "rmse", "mae", "r2")


def _number(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.4f}"


def data_report_lines(report: DataReport) -> list[str]:
    kinds: dict[str, int] = {}
    for name, kind in report.column_types.items():
        if name != report.target:
            kinds[kind] = kinds.get(kind, 0) + 1
    features = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    lines = [
        f"data: {report.rows} rows; features: {features}; target {report.target!r} ({report.task.value})"
    ]
    if report.class_counts:
        lines.append("classes: " + ", ".join(f"{k} {v}" for k, v in report.class_counts.items()))
    if report.warnings:
        lines.append(f"data checks: {len(report.warnings)} warnings (logged above, and in data_checks.json)")
    return lines


def summary_lines(outcome: TrainingOutcome) -> list[str]:
    lines = []
    if outcome.report is not None:
        lines.extend(data_report_lines(outcome.report))
    tuning = outcome.tuning
    if tuning is not None:
        lines.append(
            f"tuning: {len(tuning.trials)} trials ({tuning.count(TrialState.COMPLETE)} complete, "
            f"{tuning.count(TrialState.PRUNED)} pruned, {tuning.count(TrialState.FAILED)} failed); "
            f"best valid {tuning.metric} {tuning.best.value:.4f} (trial {tuning.best.number})"
        )
    ranked = sorted(outcome.metrics, key=lambda k: (_ORDER.index(k) if k in _ORDER else len(_ORDER), k))
    width = max(len("test metric"), *(len(k) for k in ranked))
    lines.append(f"{'test metric'.ljust(width)}  value")
    lines.extend(f"{name.ljust(width)}  {_number(outcome.metrics[name])}" for name in ranked)
    evaluation = outcome.evaluation
    if evaluation is not None and evaluation.confusion:
        rows = zip(evaluation.labels, evaluation.confusion, strict=True)
        cells = " | ".join(f"{label}: {' '.join(str(c) for c in row)}" for label, row in rows)
        lines.append(f"confusion (rows: true, columns: predicted): {cells}")
    if outcome.plots:
        lines.append(f"plots: {', '.join(outcome.plots)}")
    lines.append(f"run {outcome.run_id}")
    return lines


def print_outcome(outcome: TrainingOutcome, echo: Callable[[str], None]) -> None:
    for line in summary_lines(outcome):
        echo(line)
    version = outcome.version
    if version is not None:
        echo(f"registered {version.name} version {version.version}")
    if outcome.promotion is not None:
        echo(f"promotion: {outcome.promotion.describe()}")
    if outcome.alias is not None and version is not None:
        echo(f"alias {outcome.alias} -> {version.name}/{version.version}")
