"""One CaptureSource contract, run against the in-memory fake and the Parquet adapter (files on
local disk): every captured row comes back once with its features and prediction, `since` keeps
the newer rows, and a location without captures or a file without a feature is a DataError."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from predictor.adapters.files.capture_source import ParquetCaptureSource
from predictor.adapters.memory import InMemoryCaptureSource
from predictor.domain.capture import CapturedRows, batch_file_name
from predictor.domain.errors import DataError
from predictor.domain.model import ModelVersion
from predictor.domain.ports import CaptureSource

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
FEATURES = ("x1", "colour")


class Put(Protocol):
    """Hold one captured file of ``version`` under ``where`` (``k < 0``: named as capture names a
    batch, for when it was written) and answer where it went."""

    def __call__(
        self,
        where: str,
        k: int,
        features: dict[str, np.ndarray],
        labels: list[str],
        stamp: datetime,
        version: str = "1",
        name: str = "",
    ) -> str: ...


@dataclass
class Captures:
    """A CaptureSource, and its way to hold a captured file (``features``) under a location."""

    source: CaptureSource
    put: Put
    location: Callable[[str], str]


def memory_captures(tmp_path: Path) -> Captures:
    source = InMemoryCaptureSource()

    def put(
        where: str,
        k: int,
        features: dict[str, np.ndarray],
        labels: list[str],
        stamp: datetime,
        version: str = "1",
        name: str = "",
    ) -> str:
        names = tuple(features)
        matrix = np.column_stack([features[n] for n in names])
        count, moment = len(labels), np.datetime64(stamp.replace(tzinfo=None), "us")
        ids = tuple(f"r{i}" for i in range(count))
        rows = CapturedRows(
            names,
            matrix,
            tuple(labels),
            (name or "demo",) * count,
            (version,) * count,
            ids,
            np.full(count, moment),
        )
        source.files.setdefault(where, []).append(rows)
        return where

    return Captures(source, put, lambda name: name)


def parquet_captures(tmp_path: Path) -> Captures:
    def put(
        where: str,
        k: int,
        features: dict[str, np.ndarray],
        labels: list[str],
        stamp: datetime,
        version: str = "1",
        name: str = "",
    ) -> str:
        count = len(labels)
        table = pa.table(
            {
                **{name: pa.array(values, type=pa.float64()) for name, values in features.items()},
                "prediction": pa.array(labels, type=pa.string()),
                "model_name": pa.array([name or "demo"] * count),
                "model_version": pa.array([version] * count),
                "request_id": pa.array([f"r{i}" for i in range(count)]),
                "timestamp": pa.array([stamp] * count, type=pa.timestamp("us", tz="UTC")),
            }
        )
        path = Path(where) / f"day-{k}" / (batch_file_name(stamp) if k < 0 else f"part-{k}.parquet")
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        return str(path)

    return Captures(ParquetCaptureSource(), put, lambda name: str(tmp_path / name))


@pytest.fixture(params=[memory_captures, parquet_captures], ids=["memory", "parquet"])
def captures(request: pytest.FixtureRequest, tmp_path: Path) -> Captures:
    made: Captures = request.param(tmp_path)
    return made


def rows(count: int, start: float) -> dict[str, np.ndarray]:
    values = np.arange(start, start + count, dtype=np.float64)
    values[::3] = np.nan
    return {"x1": values, "colour": np.arange(count, dtype=np.float64) % 2}


def test_every_row_comes_back_once(captures: Captures) -> None:
    where = captures.location("all")
    captures.put(where, 0, rows(5, 0.0), ["yes"] * 5, NOW)
    captures.put(where, 1, rows(4, 100.0), ["no"] * 4, NOW)
    batches = list(captures.source.batches(where, FEATURES, labelled=True))
    x1 = np.concatenate([b.features["x1"] for b in batches])
    assert sum(b.rows for b in batches) == 9
    assert sorted(x1[~np.isnan(x1)].tolist()) == [1.0, 2.0, 4.0, 101.0, 102.0]
    assert int(np.isnan(x1).sum()) == 4
    assert sorted(v for b in batches for v in b.prediction.tolist()) == ["no"] * 4 + ["yes"] * 5
    assert set().union(*(b.versions for b in batches)) == {"1"}


def test_since_keeps_the_newer_rows(captures: Captures) -> None:
    where = captures.location("since")
    captures.put(where, 0, rows(5, 0.0), ["yes"] * 5, NOW - timedelta(days=2))
    captures.put(where, 1, rows(4, 100.0), ["no"] * 4, NOW)
    batches = list(captures.source.batches(where, FEATURES, labelled=True, since=NOW - timedelta(hours=1)))
    assert sum(b.rows for b in batches) == 4


def test_nothing_captured_is_a_data_error(captures: Captures) -> None:
    with pytest.raises(DataError, match="no Parquet file under"):
        list(captures.source.batches(captures.location("nowhere"), FEATURES, labelled=True))


def test_a_file_without_a_feature_is_a_data_error(captures: Captures) -> None:
    where = captures.location("partial")
    captures.put(where, 0, {"x1": np.zeros(2)}, ["yes", "no"], NOW)
    with pytest.raises(DataError, match="has no column 'colour'"):
        list(captures.source.batches(where, FEATURES, labelled=True))


def test_labels_where_values_are_expected_is_a_data_error(captures: Captures) -> None:
    where = captures.location("labels")
    captures.put(where, 0, rows(2, 0.0), ["yes", "no"], NOW)
    with pytest.raises(DataError, match="'prediction'"):
        list(captures.source.batches(where, FEATURES, labelled=False))


DEMO_1, DEMO_2 = ModelVersion("demo", "1"), ModelVersion("demo", "2")


def test_rows_of_another_version_are_left_out_and_counted(captures: Captures) -> None:
    where = captures.location("versions")
    captures.put(where, 0, rows(5, 0.0), ["yes"] * 5, NOW, version="1")
    captures.put(where, 1, rows(4, 100.0), ["no"] * 4, NOW, version="2")
    captures.put(where, 2, rows(3, 200.0), ["no"] * 3, NOW, version="2", name="other")
    batches = list(captures.source.batches(where, FEATURES, labelled=True, version=DEMO_2))
    assert sum(b.rows for b in batches) == 4
    assert sorted(v for b in batches for v in b.prediction.tolist()) == ["no"] * 4
    left_out: Counter[str] = Counter()
    for batch in batches:
        left_out.update(batch.left_out)
    assert left_out == {"demo/1": 5, "other/2": 3}


def test_a_file_of_another_version_is_not_checked_against_these_features(captures: Captures) -> None:
    where = captures.location("older")
    captures.put(where, 0, {"x1": np.zeros(2)}, ["yes", "no"], NOW, version="1")
    captures.put(where, 1, rows(4, 100.0), ["no"] * 4, NOW, version="2")
    batches = list(captures.source.batches(where, FEATURES, labelled=True, version=DEMO_2))
    assert sum(b.rows for b in batches) == 4
    with pytest.raises(DataError, match="has no column 'colour'"):
        list(captures.source.batches(where, FEATURES, labelled=True, version=DEMO_1))


def test_a_file_older_than_since_is_not_checked(captures: Captures) -> None:
    where = captures.location("old")
    captures.put(where, -1, {"x1": np.zeros(2)}, ["yes", "no"], NOW - timedelta(days=2))
    captures.put(where, 1, rows(4, 100.0), ["no"] * 4, NOW)
    since = NOW - timedelta(hours=1)
    batches = list(captures.source.batches(where, FEATURES, labelled=True, since=since, version=DEMO_1))
    assert sum(b.rows for b in batches) == 4


def test_a_batch_file_is_skipped_by_its_name_before_it_is_opened(tmp_path: Path) -> None:
    captures = parquet_captures(tmp_path)
    where = captures.location("named")
    written = captures.put(where, -1, rows(2, 0.0), ["yes", "no"], NOW - timedelta(days=2))
    Path(written).write_bytes(b"not Parquet at all")
    captures.put(where, 1, rows(4, 100.0), ["no"] * 4, NOW)
    batches = list(captures.source.batches(where, FEATURES, labelled=True, since=NOW - timedelta(hours=1)))
    assert sum(b.rows for b in batches) == 4
    with pytest.raises(DataError, match="is not a Parquet file"):
        list(captures.source.batches(where, FEATURES, labelled=True))


def test_a_damaged_file_is_a_data_error_naming_it(tmp_path: Path) -> None:
    captures = parquet_captures(tmp_path)
    where = captures.location("damaged")
    written = Path(captures.put(where, 0, rows(50, 0.0), ["yes"] * 50, NOW))
    data = bytearray(written.read_bytes())
    data[4:40] = b"\xff" * 36  # the first column's (x1's) first page header
    written.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"the captured file part-0\.parquet under .* cannot be read"):
        list(captures.source.batches(where, FEATURES, labelled=True))
