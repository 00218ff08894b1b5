"""One CaptureStore contract, run against the in-memory fake and the Parquet store (a local
directory, and a prefix in S3 on moto's server on loopback): each batch is kept whole under its
served name, in a file named for when it was written, with the contract's columns and values;
a store that cannot write raises CaptureUnavailable naming the place, and keeps nothing."""

from __future__ import annotations

import io
import math
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from predictor.adapters.files.capture import ParquetCaptureStore
from predictor.adapters.memory import InMemoryCaptureStore
from predictor.domain.capture import ANSWER_COLUMNS, BATCH_FILE, CapturedRows
from predictor.domain.errors import CaptureUnavailable
from predictor.domain.ports import CaptureStore
from tests.aws import BUCKET, fake_aws_env, moto_server, s3_client

AT = np.array(["2026-12-03T14:00:00.000001", "2026-12-03T14:00:01.5"], dtype="datetime64[us]")
LABELLED = CapturedRows(
    features=("x1", "colour"),
    matrix=np.array([[0.5, 1.0], [math.nan, 0.0]]),
    predictions=("yes", "no"),
    model_names=("demo", "demo"),
    model_versions=("3", "4"),
    request_ids=("r1", "r2"),
    timestamps=AT,
)
VALUED = CapturedRows(
    features=("x1",),
    matrix=np.array([[1.0], [2.0]]),
    predictions=np.array([10.5, -1.0]),
    model_names=("price", "price"),
    model_versions=("1", "1"),
    request_ids=("a", "b"),
    timestamps=AT,
)
TYPES = {
    "x1": pa.float64(),
    "colour": pa.float64(),
    "prediction": pa.string(),
    "model_name": pa.string(),
    "model_version": pa.string(),
    "request_id": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


@dataclass
class Store:
    """A CaptureStore, how to read back the batches kept for a served name (each batch's columns
    by name, in order, and the arrow types where there is a file), and one that cannot write."""

    store: CaptureStore
    kept: Callable[[str], list[tuple[dict[str, list[Any]], dict[str, pa.DataType] | None]]]
    broken: Callable[[], CaptureStore]


def _columns_of(rows: CapturedRows) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {name: rows.matrix[:, k].tolist() for k, name in enumerate(rows.features)}
    predictions = rows.predictions
    columns["prediction"] = list(predictions) if isinstance(predictions, tuple) else predictions.tolist()
    columns["model_name"] = list(rows.model_names)
    columns["model_version"] = list(rows.model_versions)
    columns["request_id"] = list(rows.request_ids)
    columns["timestamp"] = [t.replace(tzinfo=UTC) for t in rows.timestamps.tolist()]
    return columns


def _table_columns(table: pa.Table) -> tuple[dict[str, list[Any]], dict[str, pa.DataType]]:
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    return columns, {field.name: field.type for field in table.schema}


def _memory(tmp: Path) -> Store:
    store = InMemoryCaptureStore()

    def broken() -> CaptureStore:
        failing = InMemoryCaptureStore()
        failing.failing = "No space left on device"
        return failing

    return Store(
        store, lambda served: [(_columns_of(b), None) for b in store.batches.get(served, [])], broken
    )


def _local(tmp: Path) -> Store:
    root = tmp / "captured"

    def kept(served: str) -> list[tuple[dict[str, list[Any]], dict[str, pa.DataType] | None]]:
        folder = root / served
        files = sorted(folder.iterdir()) if folder.exists() else []
        assert all(BATCH_FILE.fullmatch(f.name) for f in files), [f.name for f in files]
        return [_table_columns(pq.read_table(f)) for f in files]

    def broken() -> CaptureStore:
        (tmp / "in-the-way").write_text("a file where the directory should be")
        return ParquetCaptureStore(tmp / "in-the-way" / "captured")

    return Store(ParquetCaptureStore(root), kept, broken)


def _s3(endpoint: str) -> Store:
    client = s3_client(endpoint)
    prefix = f"captured/{uuid.uuid4().hex}"

    def kept(served: str) -> list[tuple[dict[str, list[Any]], dict[str, pa.DataType] | None]]:
        listed = client.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/{served}/").get("Contents", [])
        keys = sorted(item["Key"] for item in listed if not item["Key"].endswith("/"))
        assert all(BATCH_FILE.fullmatch(PurePosixPath(k).name) for k in keys), keys
        bodies = [client.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys]
        return [_table_columns(pq.read_table(io.BytesIO(body))) for body in bodies]

    return Store(
        ParquetCaptureStore(f"s3://{BUCKET}/{prefix}"),
        kept,
        lambda: ParquetCaptureStore(f"s3://no-such-bucket-{uuid.uuid4().hex[:8]}/captured"),
    )


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server(BUCKET) as url:
        yield url


@pytest.fixture(params=["memory", "parquet-local", "parquet-s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    if request.param == "parquet-s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        fake_aws_env(monkeypatch, endpoint)
        return _s3(endpoint)
    return _memory(tmp_path) if request.param == "memory" else _local(tmp_path)


def _same(values: list[Any]) -> list[Any]:
    """NaN as None, so that two lists holding NaN where the other does compare equal."""
    return [None if isinstance(v, float) and math.isnan(v) else v for v in values]


def test_a_batch_is_kept_whole_with_the_contracts_columns(store: Store) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    where = store.store.put_batch("demo", LABELLED)
    named = BATCH_FILE.fullmatch(PurePosixPath(where).name)
    assert named is not None
    assert where.endswith(f"/demo/{named.group(0)}")
    written = datetime.strptime(named["written"], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    assert before <= written <= datetime.now(UTC)  # the UTC time it was written
    ((columns, types),) = store.kept("demo")
    assert list(columns) == ["x1", "colour", *ANSWER_COLUMNS]
    assert {name: _same(values) for name, values in columns.items()} == {
        name: _same(values) for name, values in _columns_of(LABELLED).items()
    }
    assert types is None or types == TYPES


def test_a_regressors_predictions_are_numbers(store: Store) -> None:
    store.store.put_batch("price", VALUED)
    ((columns, types),) = store.kept("price")
    assert columns["prediction"] == [10.5, -1.0]
    assert types is None or types["prediction"] == pa.float64()


def test_each_batch_is_its_own_file_under_its_served_name(store: Store) -> None:
    first = store.store.put_batch("demo", LABELLED)
    second = store.store.put_batch("demo", LABELLED)
    store.store.put_batch("other", VALUED)
    assert first != second
    assert [c["request_id"] for c, _ in store.kept("demo")] == [["r1", "r2"], ["r1", "r2"]]
    assert [c["request_id"] for c, _ in store.kept("other")] == [["a", "b"]]


def test_a_store_that_cannot_write_raises_capture_unavailable_and_keeps_nothing(store: Store) -> None:
    broken = store.broken()
    with pytest.raises(CaptureUnavailable) as caught:
        broken.put_batch("demo", LABELLED)
    message = str(caught.value)
    assert message.splitlines() == [message]
    assert "testing" not in message  # the fake credentials' values
    assert store.kept("demo") == []
