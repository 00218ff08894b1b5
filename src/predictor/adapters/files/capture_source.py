"""Captured requests read from Parquet files under a local directory or an ``s3://`` prefix
(locations.py gives the file system), every ``*.parquet`` below it, batch by batch."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import PurePosixPath

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from predictor.adapters.files.locations import Location, locate, reaching
from predictor.domain.capture import ANSWER_COLUMNS, MODEL_VERSION, PREDICTION, TIMESTAMP
from predictor.domain.errors import DataError
from predictor.domain.ports import CapturedBatch, CaptureSource

BATCH_ROWS = 65_536


class ParquetCaptureSource(CaptureSource):
    """The capture files as the capture contract writes them (``CaptureSource``)."""

    def batches(
        self, location: str, features: Sequence[str], labelled: bool, since: datetime | None = None
    ) -> Iterator[CapturedBatch]:
        root = locate(location)
        files = capture_files(root)
        if not files:
            raise DataError(f"no Parquet file under {location}")
        for path in files:
            yield from _file_batches(root, path, features, labelled, since)


def capture_files(root: Location) -> list[str]:
    """The ``.parquet`` files at or anywhere under ``root``, sorted by path."""
    with reaching(root):
        if root.filesystem.get_file_info(root.path).type == pafs.FileType.File:
            return [root.path]
        selector = pafs.FileSelector(root.path, recursive=True, allow_not_found=True)
        found = root.filesystem.get_file_info(selector)
    return sorted(info.path for info in found if info.is_file and info.path.lower().endswith(".parquet"))


def _file_batches(
    root: Location, path: str, features: Sequence[str], labelled: bool, since: datetime | None
) -> Iterator[CapturedBatch]:
    name = PurePosixPath(path).name
    with reaching(root):
        try:
            parquet = pq.ParquetFile(path, filesystem=root.filesystem)
        except pa.ArrowInvalid as exc:
            raise DataError(f"{name} under {root.uri} is not a Parquet file") from exc
        _check_schema(name, parquet.schema_arrow, features, labelled)
        columns = [*features, PREDICTION, MODEL_VERSION, TIMESTAMP]
        for read in parquet.iter_batches(batch_size=BATCH_ROWS, columns=columns):
            batch = read if since is None else _since(read, since)
            if batch.num_rows:
                yield _captured(batch, features, labelled)


def _since(batch: pa.RecordBatch, since: datetime) -> pa.RecordBatch:
    stamps = batch.column(TIMESTAMP)
    return batch.filter(pc.greater_equal(stamps, pa.scalar(since, type=stamps.type)))


def _check_schema(name: str, schema: pa.Schema, features: Sequence[str], labelled: bool) -> None:
    absent = [c for c in [*features, *ANSWER_COLUMNS] if c not in schema.names]
    if absent:
        raise DataError(f"the captured file {name} has no column {', '.join(repr(c) for c in absent)}")
    wrong = [c for c in features if not pa.types.is_floating(schema.field(c).type)]
    if wrong:
        kinds = ", ".join(f"{c!r} is {schema.field(c).type}" for c in wrong)
        raise DataError(f"the captured file {name}: features must be float64 (as encoded), but {kinds}")
    prediction = schema.field(PREDICTION).type
    fits = pa.types.is_string(prediction) or pa.types.is_large_string(prediction)
    if fits != labelled or not (fits or pa.types.is_floating(prediction)):
        wanted = "string (the predicted label)" if labelled else "float64 (the predicted value)"
        raise DataError(f"the captured file {name}: 'prediction' is {prediction}, not {wanted}")
    stamp = schema.field(TIMESTAMP).type
    if not pa.types.is_timestamp(stamp):
        raise DataError(f"the captured file {name}: 'timestamp' is {stamp}, not a timestamp")


def _captured(batch: pa.RecordBatch, features: Sequence[str], labelled: bool) -> CapturedBatch:
    values = {c: np.asarray(_numbers(batch.column(c)), dtype=np.float64) for c in features}
    raw = batch.column(PREDICTION)
    prediction = np.asarray(raw.to_pylist(), dtype=object) if labelled else _numbers(raw)
    versions = pc.unique(batch.column(MODEL_VERSION)).to_pylist()
    return CapturedBatch(values, np.asarray(prediction), frozenset(str(v) for v in versions if v is not None))


def _numbers(column: pa.Array) -> npt.NDArray[np.float64]:
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
