"""The Arrow table files: read-ahead keeps order, hands errors over and stops cleanly; CSV and
Parquet chunks carry what the encoder needs; a failed write leaves nothing behind."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from predictor.adapters.files.arrow import ArrowTableFiles
from predictor.adapters.files.read_ahead import read_ahead
from predictor.domain.encoding.values import ValueFormat
from predictor.domain.errors import DataError, InvalidInput
from predictor.domain.schema import Feature, FeatureKind, FeatureSchema, Target, TaskType

SCHEMA = FeatureSchema(
    (Feature("x1"), Feature("colour", FeatureKind.CATEGORICAL, ("1", "2"))),
    Target("y", TaskType.BINARY, ("no", "yes")),
)


def test_read_ahead_keeps_order_and_raises_the_producers_error() -> None:
    def numbers() -> Iterator[int]:
        yield from range(5)
        raise ValueError("broken file")

    seen: list[int] = []
    with pytest.raises(ValueError, match="broken file"):
        seen.extend(read_ahead(numbers()))
    assert seen == [0, 1, 2, 3, 4]


def test_read_ahead_stops_its_thread_when_the_caller_stops() -> None:
    produced: list[int] = []

    def endless() -> Iterator[int]:
        for i in range(1_000_000):
            produced.append(i)
            yield i

    chunks = read_ahead(endless())
    assert isinstance(chunks, Generator)
    assert next(chunks) == 0
    chunks.close()
    assert len(produced) <= 3
    assert not [t for t in threading.enumerate() if t.name == "predictor-read-ahead"]


def test_csv_chunks_numbers_as_arrays_categories_as_text(tmp_path: Path) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("id,colour,x1,other\n1,1,0.5,a\n2,,,b\n3,2,abc,c\n")

    chunks = list(ArrowTableFiles().read(source, SCHEMA, ["id"], chunk_rows=2))

    assert [c.fmt for c in chunks] == [ValueFormat.TEXT, ValueFormat.TEXT]
    first, second = chunks
    assert isinstance(first.columns["x1"], np.ndarray)
    assert np.isnan(first.columns["x1"][1])
    assert first.columns["colour"] == ["1", None]  # categories stay text, even when they look numeric
    assert second.columns["x1"] == ["abc"]  # not a number: the encoder names the row
    assert isinstance(first.kept, pa.Table)
    assert first.kept.column("id").to_pylist() == ["1", "2"]
    assert second.done == 1.0


def test_a_missing_column_is_invalid_input_and_a_broken_file_a_data_error(tmp_path: Path) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("x1,other\n1,2\n")
    with pytest.raises(InvalidInput) as caught:
        list(ArrowTableFiles().read(source, SCHEMA, [], 10))
    assert [e.field for e in caught.value.errors] == ["colour"]
    broken = tmp_path / "rows.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match=r"cannot read rows\.parquet"):
        list(ArrowTableFiles().read(broken, SCHEMA, [], 10))


def test_parquet_keeps_types(tmp_path: Path) -> None:
    source = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"x1": [1, None, 3], "colour": ["1", None, "2"], "id": [7, 8, 9]}), source)

    (chunk,) = list(ArrowTableFiles().read(source, SCHEMA, ["id"], 10))

    assert chunk.fmt is ValueFormat.JSON
    assert isinstance(chunk.columns["x1"], np.ndarray)
    assert isinstance(chunk.kept, pa.Table)
    assert np.array_equal(chunk.columns["x1"], [1.0, np.nan, 3.0], equal_nan=True)
    assert chunk.kept.column("id").to_pylist() == [7, 8, 9]


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    files = ArrowTableFiles()

    def stopped_half_way() -> None:
        with files.write(target) as sink:
            sink.write({"value": np.array([1.0, 2.0])}, None)
            raise RuntimeError("stopped half-way")

    with pytest.raises(RuntimeError):
        stopped_half_way()
    assert list(tmp_path.iterdir()) == []
    with files.write(target) as sink:
        sink.write({"value": np.array([1.0])}, None)
        sink.write({"value": np.array([2.0])}, None)
    assert pq.read_table(target).column("value").to_pylist() == [1.0, 2.0]
