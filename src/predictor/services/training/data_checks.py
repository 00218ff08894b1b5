"""Checks on a data set before any training: problems stop the run, warnings are reported.

Problems (exit code 2, one line each): too few rows, a missing or constant target, a target
that does not fit the forced task, a class too small to split, a feature identical to the
target (leakage). Warnings: rows without a target (left out), duplicate rows, constant
columns, columns almost entirely missing, identifier-like text columns, columns mixing
numbers and text, class imbalance. The report also lists each column's inferred type and
the class counts, and is logged to the run as ``data_checks.json``. The checks of each
feature column and of duplicate rows are in ``column_checks.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from predictor.domain.errors import DataCheckFailed
from predictor.domain.schema import TaskType
from predictor.domain.table import Table
from predictor.services.training.column_checks import check_feature, duplicate_rows
from predictor.services.training.tabular import infer_task, is_categorical, is_missing, label_of

MIN_ROWS = 20
MIN_ROWS_PER_CLASS = 3  # one each for the training, validation and test splits
IMBALANCED_SHARE = 0.10


@dataclass(frozen=True)
class DataReport:
    """What the checks found; ``problems`` non-empty means the data cannot be used as given."""

    rows: int
    target: str
    task: TaskType
    column_types: dict[str, str]
    class_counts: dict[str, int] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    rows_without_target: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "target": self.target,
            "task": self.task.value,
            "column_types": self.column_types,
            "class_counts": self.class_counts,
            "rows_without_target": self.rows_without_target,
            "problems": list(self.problems),
            "warnings": list(self.warnings),
        }

    def raise_on_problems(self) -> None:
        if self.problems:
            raise DataCheckFailed(list(self.problems))


def _column_type(values: Sequence[Any]) -> str:
    present = [v for v in values if not is_missing(v)]
    if not present:
        return "empty"
    if is_categorical(present):
        return "categorical"
    return "numeric"


def check_table(table: Table, task: TaskType | None = None) -> DataReport:
    """Run every check; ``task`` forces the task (else it is inferred from the target)."""
    problems: list[str] = []
    warnings: list[str] = []
    target_all = table.columns[table.target]
    keep = [not is_missing(v) for v in target_all]
    target = [v for v, k in zip(target_all, keep, strict=True) if k]
    types = {name: _column_type(values) for name, values in table.columns.items()}
    task = task or (infer_task(target) if target else TaskType.REGRESSION)
    missing_target = len(target_all) - len(target)
    if missing_target:
        warnings.append(
            f"{missing_target} rows have no value for the target {table.target!r}; they are left out"
        )
    counts = _check_target(table.target, target, task, types[table.target], problems, warnings)
    for name in table.feature_names:
        values = [v for v, k in zip(table.columns[name], keep, strict=True) if k]
        check_feature(name, values, target, task.is_classification, problems, warnings)
    duplicates = duplicate_rows(table)
    if duplicates:
        warnings.append(f"{duplicates} rows are exact duplicates of an earlier row")
    return DataReport(
        rows=table.rows,
        target=table.target,
        task=task,
        column_types=types,
        class_counts=counts,
        problems=tuple(problems),
        warnings=tuple(warnings),
        rows_without_target=missing_target,
    )


def _check_target(
    name: str, target: Sequence[Any], task: TaskType, kind: str, problems: list[str], warnings: list[str]
) -> dict[str, int]:
    """Checks of the target's present values; returns the class counts (classification)."""
    if len(target) < MIN_ROWS:
        problems.append(f"only {len(target)} rows have a target value; training needs at least {MIN_ROWS}")
    distinct = {label_of(v) for v in target}
    if len(distinct) == 1:
        problems.append(f"the target {name!r} is constant ({next(iter(distinct))!r}): nothing to learn")
    counts: dict[str, int] = {}
    if task.is_classification and len(distinct) > 1:
        counts = dict(sorted(Counter(label_of(v) for v in target).items()))
        _check_classes(task, counts, problems, warnings)
    elif task is TaskType.REGRESSION and kind == "categorical":
        problems.append(
            f"the target {name!r} has text values; it cannot be a regression target "
            "(use --task binary or --task multiclass)"
        )
    return counts


def _check_classes(task: TaskType, counts: dict[str, int], problems: list[str], warnings: list[str]) -> None:
    if task is TaskType.BINARY and len(counts) != 2:
        problems.append(f"a binary target needs exactly 2 classes; this one has {len(counts)}")
    if task is TaskType.MULTICLASS and len(counts) < 3:
        problems.append(f"a multiclass target needs at least 3 classes; this one has {len(counts)}")
    for label, count in counts.items():
        if count < MIN_ROWS_PER_CLASS:
            problems.append(
                f"class {label!r} has {count} rows; each class needs at least {MIN_ROWS_PER_CLASS} "
                "(one per split)"
            )
    total = sum(counts.values())
    smallest = min(counts, key=lambda k: counts[k])
    if counts[smallest] / total < IMBALANCED_SHARE:
        warnings.append(
            f"imbalanced classes: {smallest!r} is {counts[smallest] / total:.1%} of the rows "
            "(ROC AUC and F1 say more than accuracy here)"
        )
