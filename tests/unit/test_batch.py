"""PredictTable on in-memory table files: chunked, in order, same numbers as MakePrediction,
bad rows named by their row in the file, nothing written on failure."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from predictor.adapters.memory import InMemoryTableFiles
from predictor.container import Container
from predictor.domain.errors import InvalidInput
from predictor.domain.options import Output, PredictionOptions
from predictor.domain.schema import TaskType
from predictor.services.serving.batch_scoring import PredictTable
from tests.unit.builders import serving

SOURCE = Path("rows.csv")
DESTINATION = Path("out.parquet")


def rows(n: int) -> list[dict[str, Any]]:
    colours = ["red", "green", "blue", "violet"]
    return [
        {"id": i, "x1": (i % 13) / 3 - 2, "x2": None if i % 7 == 0 else (i % 5) / 5, "colour": colours[i % 4]}
        for i in range(n)
    ]


def run(container: Container, data: list[dict[str, Any]], **kwargs: Any) -> InMemoryTableFiles:
    files = InMemoryTableFiles({SOURCE: data})
    PredictTable(files)(container.slot().current(), SOURCE, DESTINATION, **kwargs)
    return files


def test_chunks_keep_row_order_and_give_predict_numbers() -> None:
    container = serving()
    data = rows(25)
    progress: list[tuple[int, float | None]] = []

    files = run(
        container, data, chunk_rows=7, keep=["id"], on_progress=lambda n, done: progress.append((n, done))
    )

    assert files.chunk_sizes == [7, 7, 7, 4]
    sink = files.written[DESTINATION]
    expected = asyncio.run(
        container.make_prediction()([{k: r[k] for k in ("x1", "x2", "colour")} for r in data])
    ).predictions
    assert sink.column("label") == [p.label for p in expected]
    assert sink.column("probability_yes") == [p.probabilities["yes"] for p in expected]  # type: ignore[index]
    assert [v for _, kept in sink.chunks for v in kept["id"]] == list(range(25))  # type: ignore[index]
    assert progress[-1] == (25, 1.0)


def test_options_choose_columns_and_threshold() -> None:
    container = serving()
    options = PredictionOptions(Output.LABEL, threshold=0.999)

    sink = run(container, rows(10), options=options).written[DESTINATION]

    assert list(sink.chunks[0][0]) == ["label"]
    assert set(sink.column("label")) == {"no"}


def test_regression_writes_values() -> None:
    container = serving(TaskType.REGRESSION)
    sink = run(container, rows(5)).written[DESTINATION]
    assert list(sink.chunks[0][0]) == ["value"]


def test_a_bad_value_names_its_row_in_the_file_and_nothing_is_written() -> None:
    container = serving()
    data = rows(20)
    data[16]["x1"] = "abc"
    files = InMemoryTableFiles({SOURCE: data})

    with pytest.raises(InvalidInput) as caught:
        PredictTable(files)(container.slot().current(), SOURCE, DESTINATION, chunk_rows=5)

    (error,) = caught.value.errors
    assert (error.row, error.field) == (16, "x1")
    assert str(caught.value).startswith("rows.csv: row 17, field 'x1': must be a number")
    assert DESTINATION not in files.written


@pytest.mark.parametrize(
    ("data", "keep", "field"),
    [([{"x1": 1, "x2": 1}], (), "colour"), (rows(3), ["label"], "label"), (rows(3), ["nope"], "nope")],
)
def test_missing_columns_and_clashing_kept_columns_are_refused(
    data: list[dict[str, Any]], keep: list[str], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        run(serving(), data, keep=keep)
    assert caught.value.errors[0].field == field


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no data rows"):
        run(serving(), [])


def test_a_threshold_for_a_multiclass_model_is_refused() -> None:
    with pytest.raises(InvalidInput, match="binary classifiers only"):
        run(serving(TaskType.MULTICLASS), rows(3), options=PredictionOptions(threshold=0.3))
