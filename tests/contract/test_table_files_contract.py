"""One TableFiles contract, run against the in-memory fake and the Arrow adapter (CSV files on
local disk, and as objects in S3 on moto's server on loopback): rows come back in chunks, in
order, with their features and kept columns; predictions appear only when their write block
completes."""

from __future__ import annotations

import csv
import io
import math
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from predictor.adapters.files.arrow import ArrowTableFiles
from predictor.adapters.memory import InMemoryTableFiles
from predictor.domain.errors import DataError, InvalidInput
from predictor.domain.ports import TableFiles
from predictor.domain.schema import Feature, FeatureKind, FeatureSchema, Target, TaskType
from tests.aws import BUCKET, fake_aws_env, moto_server, s3_client

SCHEMA = FeatureSchema(
    (Feature("x1"), Feature("colour", FeatureKind.CATEGORICAL, ("red", "blue"))),
    Target("label", TaskType.BINARY, ("no", "yes")),
)
ROWS = [
    {"id": f"r{i}", "x1": i / 2 if i % 3 else None, "colour": "red" if i % 2 else "blue"} for i in range(7)
]


@dataclass
class Files:
    """A TableFiles with its own ways to put rows in a file and to read a written column back."""

    files: TableFiles
    given: Callable[[str, Sequence[Mapping[str, Any]]], str | Path]
    written: Callable[[str | Path, str], list[Any] | None]
    where: Callable[[str], str | Path]  # a name -> where a file of that name would be


def _csv_text(rows: Sequence[Mapping[str, Any]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _memory(tmp: Path) -> Files:
    files = InMemoryTableFiles()

    def given(name: str, rows: Sequence[Mapping[str, Any]]) -> Path:
        files.tables[tmp / name] = list(rows)
        return tmp / name

    def written(path: str | Path, column: str) -> list[Any] | None:
        sink = files.written.get(path)
        if sink is None:
            return None
        values: list[Any] = []
        for predictions, kept in sink.chunks:
            if column in predictions:
                values += predictions[column]
            else:
                assert isinstance(kept, dict)  # the fake hands kept columns over as it read them
                values += kept[column]
        return values

    return Files(files, given, written, lambda name: tmp / name)


def _arrow(tmp: Path) -> Files:
    def given(name: str, rows: Sequence[Mapping[str, Any]]) -> Path:
        (tmp / name).write_text(_csv_text(rows))
        return tmp / name

    def written(path: str | Path, column: str) -> list[Any] | None:
        found = Path(path)
        return pq.read_table(found).column(column).to_pylist() if found.exists() else None

    return Files(ArrowTableFiles(), given, written, lambda name: tmp / name)


def _arrow_s3(endpoint: str) -> Files:
    client = s3_client(endpoint)
    prefix = f"contract/{uuid.uuid4().hex}"

    def given(name: str, rows: Sequence[Mapping[str, Any]]) -> str:
        client.put_object(Bucket=BUCKET, Key=f"{prefix}/{name}", Body=_csv_text(rows).encode())
        return f"s3://{BUCKET}/{prefix}/{name}"

    def written(uri: str | Path, column: str) -> list[Any] | None:
        key = str(uri).removeprefix(f"s3://{BUCKET}/")
        listed = client.list_objects_v2(Bucket=BUCKET, Prefix=key).get("Contents", [])
        if key not in [item["Key"] for item in listed]:
            return None
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        values: list[Any] = pq.read_table(io.BytesIO(body)).column(column).to_pylist()
        return values

    return Files(ArrowTableFiles(), given, written, lambda name: f"s3://{BUCKET}/{prefix}/{name}")


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server(BUCKET) as url:
        yield url


@pytest.fixture(params=["memory", "arrow", "arrow-s3"])
def files(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Files:
    if request.param == "arrow-s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        fake_aws_env(monkeypatch, endpoint)
        return _arrow_s3(endpoint)
    return _memory(tmp_path) if request.param == "memory" else _arrow(tmp_path)


def _cells(column: object) -> list[Any]:
    """A chunk's column as a list, whether the adapter hands over an array or a list."""
    cells: list[Any] = np.asarray(column, dtype=object).tolist()
    return cells


def _number(value: Any) -> float | None:
    """A feature value as a number, None when missing, however the adapter hands it over."""
    if value is None or value == "":
        return None
    number = float(value)
    return None if math.isnan(number) else number


def test_rows_come_in_order_in_chunks_with_their_features(files: Files) -> None:
    path = files.given("rows.csv", ROWS)
    chunks = list(files.files.read(path, SCHEMA, [], chunk_rows=3))

    assert [len(_cells(c.columns["colour"])) for c in chunks] == [3, 3, 1]
    assert [c.done for c in chunks] == sorted(c.done or 0.0 for c in chunks)
    assert chunks[-1].done == 1.0
    assert [_number(v) for c in chunks for v in _cells(c.columns["x1"])] == [_number(r["x1"]) for r in ROWS]
    assert [v for c in chunks for v in _cells(c.columns["colour"])] == [row["colour"] for row in ROWS]


def test_kept_columns_go_through_to_the_predictions(files: Files) -> None:
    path = files.given("rows.csv", ROWS)
    target = files.where("out.parquet")
    with files.files.write(target) as sink:
        for chunk in files.files.read(path, SCHEMA, ["id"], chunk_rows=4):
            sink.write({"score": np.zeros(len(_cells(chunk.columns["colour"])))}, chunk.kept)
    assert files.written(target, "id") == [row["id"] for row in ROWS]
    assert files.written(target, "score") == [0.0] * len(ROWS)


def test_a_missing_feature_is_invalid_input_naming_it(files: Files) -> None:
    path = files.given("rows.csv", [{"x1": 1.0, "other": "a"}])
    with pytest.raises(InvalidInput) as caught:
        list(files.files.read(path, SCHEMA, [], 10))
    assert [e.field for e in caught.value.errors] == ["colour"]


def test_a_file_that_is_not_there_is_a_data_error(files: Files) -> None:
    with pytest.raises(DataError):
        list(files.files.read(files.where("nowhere.csv"), SCHEMA, [], 10))


def test_predictions_appear_when_the_block_completes(files: Files) -> None:
    target = files.where("out.parquet")
    with files.files.write(target) as sink:
        sink.write({"score": np.array([0.25, 0.5])}, None)
        assert files.written(target, "score") is None
        sink.write({"score": np.array([0.75])}, None)
    assert files.written(target, "score") == [0.25, 0.5, 0.75]


def test_a_block_that_raises_leaves_no_predictions(files: Files) -> None:
    target = files.where("out.parquet")

    def stopped_half_way() -> None:
        with files.files.write(target) as sink:
            sink.write({"score": np.array([0.25])}, None)
            raise RuntimeError("stopped half-way")

    with pytest.raises(RuntimeError):
        stopped_half_way()
    assert files.written(target, "score") is None
