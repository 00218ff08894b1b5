"""Data sets and table files in memory, and a generated data set with categories and gaps."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from predictor.domain.encoding.values import ValueFormat
from predictor.domain.errors import (
    DataError,
    FieldError,
    InvalidInput,
)
from predictor.domain.ports import (
    DatasetSource,
    PredictionColumns,
    PredictionSink,
    TableFiles,
)
from predictor.domain.schema import FeatureSchema, TaskType
from predictor.domain.table import ReadOptions, Table, TableChunk


class InMemoryDatasetSource(DatasetSource):
    def __init__(self, tables: Mapping[str, Table] | None = None) -> None:
        self.tables = dict(tables or {})

    def load(self, name: str, options: ReadOptions | None = None) -> Table:
        try:
            table = self.tables[name]
        except KeyError:
            known = ", ".join(sorted(self.tables)) or "none"
            raise DataError(f"unknown data set {name!r}; known: {known}") from None
        if options is not None and options.target is not None and options.target != table.target:
            return Table(table.name, table.columns, options.target)
        return table


class RecordingPredictionSink(PredictionSink):
    """Keeps every chunk written: ``chunks`` of (predictions, kept) pairs."""

    def __init__(self) -> None:
        self.chunks: list[tuple[dict[str, list[Any]], object]] = []

    def write(self, predictions: PredictionColumns, kept: object) -> None:
        self.chunks.append(({k: list(v) for k, v in predictions.items()}, kept))

    def column(self, name: str) -> list[Any]:
        return [value for predictions, _ in self.chunks for value in predictions[name]]


class InMemoryTableFiles(TableFiles):
    """Tables as lists of rows by path (``tables``); what is written lands in ``written`` only
    when the write block completes, as the real adapter renames its file into place."""

    def __init__(self, tables: Mapping[str | Path, Sequence[Mapping[str, Any]]] | None = None) -> None:
        self.tables: dict[str | Path, list[Mapping[str, Any]]] = {
            k: list(v) for k, v in (tables or {}).items()
        }
        self.written: dict[str | Path, RecordingPredictionSink] = {}
        self.chunk_sizes: list[int] = []

    def read(
        self, path: str | Path, schema: FeatureSchema, keep: Sequence[str], chunk_rows: int
    ) -> Iterator[TableChunk]:
        if path not in self.tables:
            raise DataError(f"no such file: {path}")
        rows = self.tables[path]
        missing = [n for n in [*schema.names, *keep] if rows and n not in rows[0]]
        name = os.fspath(path).rsplit("/", 1)[-1]
        if missing:
            raise InvalidInput([FieldError(None, n, f"is not a column of {name}") for n in missing])
        for start in range(0, len(rows), chunk_rows):
            part = rows[start : start + chunk_rows]
            self.chunk_sizes.append(len(part))
            columns = {name: [row.get(name) for row in part] for name in schema.names}
            kept = {name: [row.get(name) for row in part] for name in keep} or None
            yield TableChunk(columns, ValueFormat.JSON, kept, (start + len(part)) / len(rows))

    @contextmanager
    def write(self, path: str | Path) -> Iterator[RecordingPredictionSink]:
        sink = RecordingPredictionSink()
        yield sink
        self.written[path] = sink


def synthetic_table(rows: int = 200, seed: int = 0, task: TaskType = TaskType.BINARY) -> Table:
    """A small generated data set with numeric, categorical and missing values."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=rows)
    x2 = rng.uniform(-1, 1, size=rows)
    colour = rng.choice(["red", "green", "blue"], size=rows)
    signal = 2.0 * x1 - x2 + (colour == "red") * 1.5
    if task is TaskType.REGRESSION:
        target: list[Any] = (signal + rng.normal(scale=0.1, size=rows)).tolist()
    elif task is TaskType.BINARY:
        target = ["yes" if s > 0 else "no" for s in signal]
    else:
        target = ["low" if s < -1 else "mid" if s < 1 else "high" for s in signal]
    x2_list: list[float | None] = [None if i % 17 == 0 else float(v) for i, v in enumerate(x2)]
    return Table(
        name="synthetic",
        columns={"x1": x1.tolist(), "x2": x2_list, "colour": colour.tolist(), "label": target},
        target="label",
    )
