"""Data checks: each problem is one line and stops training; warnings let it go on."""

from __future__ import annotations

from typing import Any

import pytest

from predictor.adapters.memory import synthetic_table
from predictor.domain.errors import DataCheckFailed
from predictor.domain.schema import TaskType
from predictor.domain.table import Table
from predictor.services.training.data_checks import check_table


def table(**columns: list[Any]) -> Table:
    return Table("t", columns, target="y")


def base(rows: int = 40) -> dict[str, list[Any]]:
    return {"a": [float(i) for i in range(rows)], "y": ["p" if i % 2 else "q" for i in range(rows)]}


def test_clean_data_has_no_problem_and_reports_types_and_classes() -> None:
    report = check_table(synthetic_table(rows=200))
    assert report.problems == ()
    assert report.column_types == {
        "x1": "numeric",
        "x2": "numeric",
        "colour": "categorical",
        "label": "categorical",
    }
    assert report.task is TaskType.BINARY
    assert sum(report.class_counts.values()) == 200
    assert report.as_dict()["target"] == "label"


@pytest.mark.parametrize(
    ("columns", "task", "problem"),
    [
        ({"a": [1.0] * 10, "y": ["p", "q"] * 5}, None, "only 10 rows have a target value"),
        ({"a": [float(i) for i in range(30)], "y": ["p"] * 30}, None, "the target 'y' is constant"),
        ({**base(), "leak": base()["y"]}, None, "column 'leak' is the target in disguise"),
        (
            {**base(), "code": [1.0 if v == "p" else 0.0 for v in base()["y"]]},
            None,
            "column 'code' is the target",
        ),
        ({"a": [float(i) for i in range(40)], "y": ["p"] * 38 + ["q"] * 2}, None, "class 'q' has 2 rows"),
        (base(), TaskType.MULTICLASS, "a multiclass target needs at least 3 classes"),
        (base(), TaskType.REGRESSION, "it cannot be a regression target"),
    ],
)
def test_each_problem_is_one_line_and_stops(
    columns: dict[str, list[Any]], task: TaskType | None, problem: str
) -> None:
    report = check_table(table(**columns), task)
    assert any(problem in line for line in report.problems), report.problems
    with pytest.raises(DataCheckFailed) as failed:
        report.raise_on_problems()
    assert failed.value.problems == list(report.problems)


def test_several_problems_are_listed_one_per_line() -> None:
    report = check_table(table(a=[1.0] * 5, leak=["p"] * 5, y=["p"] * 5))
    assert len(report.problems) == 3  # too few rows, constant target, leaking column


@pytest.mark.parametrize(
    ("change", "warning"),
    [
        (lambda c: c["y"].__setitem__(0, None), "1 rows have no value for the target 'y'"),
        (lambda c: c.update(k=[3.0] * 40), "column 'k' is constant"),
        (lambda c: c.update(m=[None] * 39 + [1.0]), "column 'm' is 98% missing"),
        (
            lambda c: c.update(a=[*c["a"][:-1], c["a"][-2]], y=[*c["y"][:-1], c["y"][-2]]),
            "1 rows are exact duplicates",
        ),
        (lambda c: c.update(mix=["x", *([1.0] * 39)]), "column 'mix' mixes numbers and text"),
        (
            lambda c: c.update(
                id=[f"id{i}" for i in range(200)], a=[float(i) for i in range(200)], y=["p", "q"] * 100
            ),
            "an identifier?",
        ),
        (lambda c: c.update(y=["p"] * 37 + ["q"] * 3), "imbalanced classes: 'q' is 7.5% of the rows"),
    ],
)
def test_warnings_are_reported_without_stopping(change: Any, warning: str) -> None:
    columns = base()
    change(columns)
    report = check_table(table(**columns))
    assert report.problems == ()
    assert any(warning in line for line in report.warnings), report.warnings
    report.raise_on_problems()
