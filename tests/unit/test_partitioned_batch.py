"""PredictPartitions on in-memory table files and the in-process runner: one output file per
part, numbered in part order, the same numbers as the single-process use case, and a bad row
named by its part file and its row there."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from predictor.adapters.memory import InMemoryTableFiles, InProcessPartitionRunner
from predictor.container import Container
from predictor.domain.errors import DataError, InvalidInput
from predictor.services.serving.batch_scoring import PredictTable
from predictor.services.serving.partitioned import PredictPartitions, part_name
from tests.unit.builders import serving
from tests.unit.test_batch import rows

PARTS = ["data/a.csv", "data/b.csv", "data/c.csv"]


def partitioned(container: Container, sizes: list[int]) -> tuple[InMemoryTableFiles, PredictPartitions]:
    data = rows(sum(sizes))
    tables: dict[str | Path, list[dict[str, Any]]] = {}
    start = 0
    for part, size in zip(PARTS[: len(sizes)], sizes, strict=True):
        tables[part] = data[start : start + size]
        start += size
    files = InMemoryTableFiles(tables)
    runner = InProcessPartitionRunner({"data/*.csv": PARTS[: len(sizes)]})
    return files, PredictPartitions(PredictTable(files), runner)


def test_each_part_lands_in_its_numbered_file_with_the_single_process_numbers() -> None:
    container = serving()
    files, predict = partitioned(container, [9, 4, 11])

    summary = predict(container.slot().current(), "data/*.csv", "out", chunk_rows=5, keep=["id"])

    assert summary.rows == 24
    assert summary.chunks == 2 + 1 + 3
    assert (
        list(files.written)
        == [f"out/{part_name(i)}" for i in range(3)]
        == [
            "out/part.00000.parquet",
            "out/part.00001.parquet",
            "out/part.00002.parquet",
        ]
    )
    labels = [label for i in range(3) for label in files.written[f"out/{part_name(i)}"].column("label")]
    ids = [v for i in range(3) for _, kept in files.written[f"out/{part_name(i)}"].chunks for v in kept["id"]]  # type: ignore[index]
    expected = asyncio.run(
        container.make_prediction()([{k: r[k] for k in ("x1", "x2", "colour")} for r in rows(24)])
    ).predictions
    assert labels == [p.label for p in expected]
    assert ids == list(range(24))


def test_a_bad_row_is_named_by_its_part_and_its_row_there() -> None:
    container = serving()
    files, predict = partitioned(container, [5, 5])
    files.tables["data/b.csv"][3] = {**files.tables["data/b.csv"][3], "x1": "not a number"}

    with pytest.raises(InvalidInput) as raised:
        predict(container.slot().current(), "data/*.csv", "out")

    assert raised.value.summary.startswith("b.csv: row 4, field 'x1': ")
    assert "out/part.00001.parquet" not in files.written or not files.written["out/part.00001.parquet"].chunks


def test_a_kept_column_named_like_a_prediction_column_is_refused_before_any_part_runs() -> None:
    container = serving()
    files, predict = partitioned(container, [5])

    with pytest.raises(InvalidInput, match="is also a prediction column"):
        predict(container.slot().current(), "data/*.csv", "out", keep=["label"])

    assert files.written == {}


def test_a_source_naming_no_file_is_a_data_error() -> None:
    container = serving()
    predict = PredictPartitions(PredictTable(InMemoryTableFiles()), InProcessPartitionRunner({"none/*": []}))

    with pytest.raises(DataError, match="names no CSV or Parquet file"):
        predict(container.slot().current(), "none/*", "out")
