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

from dataclasses import dataclass, field
from typing import Any

from predictor.domain.errors import DataCheckFailed
from predictor.domain.schema import TaskType
from predictor.domain.table import Table
from predictor.services.training.column_checks import check_feature
from predictor.services.training.profile import MAX_TARGET_VALUES, TableProfile, TargetProfile, profile_table
from predictor.services.training.tabular import MAX_CLASSES_FOR_INTEGER_TARGET

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


def check_table(table: Table, task: TaskType | None = None) -> DataReport:
    """Run every check; ``task`` forces the task (else it is inferred from the target)."""
    return check_profile(profile_table(table), task)


def check_profile(profile: TableProfile, task: TaskType | None = None) -> DataReport:
    """Run every check on a table's profile (merged from its parts' profiles)."""
    problems: list[str] = []
    warnings: list[str] = []
    target = profile.target_profile
    types = {name: column.kind for name, column in profile.columns.items()}
    task = task or (inferred_task(target) if target.present else TaskType.REGRESSION)
    missing_target = profile.rows - target.present
    if missing_target:
        warnings.append(
            f"{missing_target} rows have no value for the target {profile.target!r}; they are left out"
        )
    counts = _check_target(profile.target, target, task, types[profile.target], problems, warnings)
    for name, column in profile.columns.items():
        if name != profile.target:
            check_feature(name, column, task.is_classification, problems, warnings)
    duplicates = profile.duplicates
    if duplicates:
        warnings.append(f"{duplicates} rows are exact duplicates of an earlier row")
    return DataReport(
        rows=profile.rows,
        target=profile.target,
        task=task,
        column_types=types,
        class_counts=counts,
        problems=tuple(problems),
        warnings=tuple(warnings),
        rows_without_target=missing_target,
    )


def inferred_task(target: TargetProfile) -> TaskType:
    """``infer_task``'s rule, on a profile: text or booleans, or at most 20 distinct integers,
    make a classification target."""
    distinct = len(target.values)
    if target.text_or_bool:
        return TaskType.BINARY if distinct == 2 else TaskType.MULTICLASS
    if target.integral and distinct <= MAX_CLASSES_FOR_INTEGER_TARGET:
        return TaskType.BINARY if distinct == 2 else TaskType.MULTICLASS
    return TaskType.REGRESSION


def _check_target(
    name: str, target: TargetProfile, task: TaskType, kind: str, problems: list[str], warnings: list[str]
) -> dict[str, int]:
    """Checks of the target's present values; returns the class counts (classification)."""
    if target.present < MIN_ROWS:
        problems.append(f"only {target.present} rows have a target value; training needs at least {MIN_ROWS}")
    distinct = target.labels
    if len(distinct) == 1:
        problems.append(f"the target {name!r} is constant ({next(iter(distinct))!r}): nothing to learn")
    counts: dict[str, int] = {}
    if task.is_classification and target.overflow:
        problems.append(
            f"the target {name!r} has more than {MAX_TARGET_VALUES} distinct values: too many classes"
        )
    elif task.is_classification and len(distinct) > 1:
        counts = dict(sorted(distinct.items()))
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
