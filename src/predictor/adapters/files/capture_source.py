"""Captured requests read from Parquet files under a local directory or an ``s3://`` prefix
(locations.py gives the file system), every ``*.parquet`` below it, batch by batch."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from predictor.adapters.files.locations import Location, locate, reaching
from predictor.domain.capture import (
    ANSWER_COLUMNS,
    BATCH_FILE,
    MODEL_NAME,
    MODEL_VERSION,
    PREDICTION,
    TIMESTAMP,
)
from predictor.domain.errors import DataError
from predictor.domain.model import ModelVersion
from predictor.domain.ports import CapturedBatch, CaptureSource

BATCH_ROWS = 65_536


class ParquetCaptureSource(CaptureSource):
    """The capture files as the capture contract writes them (``CaptureSource``)."""

    def batches(
        self,
        location: str,
        features: Sequence[str],
        labelled: bool,
        since: datetime | None = None,
        version: ModelVersion | None = None,
    ) -> Iterator[CapturedBatch]:
        root = locate(location)
        files = capture_files(root)
        if not files:
            raise DataError(f"no Parquet file under {location}")
        for path in files:
            if not written_before(PurePosixPath(path).name, since):
                yield from _file_batches(root, path, Wanted(features, labelled, since, version))


def capture_files(root: Location) -> list[str]:
    """The ``.parquet`` files at or anywhere under ``root``, sorted by path."""
    with reaching(root):
        if root.filesystem.get_file_info(root.path).type == pafs.FileType.File:
            return [root.path]
        selector = pafs.FileSelector(root.path, recursive=True, allow_not_found=True)
        found = root.filesystem.get_file_info(selector)
    return sorted(info.path for info in found if info.is_file and info.path.lower().endswith(".parquet"))


def written_before(name: str, since: datetime | None) -> bool:
    """Whether a batch file named for its writing time (domain.capture.BATCH_FILE) holds only rows
    older than ``since``: its rows were answered before it was written, within the named second."""
    match = BATCH_FILE.fullmatch(name)
    if since is None or match is None:
        return False
    try:
        written = datetime.strptime(match["written"], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return False
    return written + timedelta(seconds=1) <= since


@dataclass(frozen=True)
class Wanted:
    """The rows asked for: these features and kind of prediction, since then, of that version."""

    features: Sequence[str]
    labelled: bool
    since: datetime | None
    version: ModelVersion | None

    def kept(self, batch: pa.RecordBatch) -> tuple[pa.Array, pa.Array]:
        """Which rows are in the window, and which of those this version made."""
        window = pa.array(np.ones(batch.num_rows, dtype=bool))
        if self.since is not None:
            stamps = batch.column(TIMESTAMP)
            window = pc.fill_null(pc.greater_equal(stamps, pa.scalar(self.since, type=stamps.type)), False)
        if self.version is None:
            return window, window
        names = batch.column(MODEL_NAME)
        unnamed = pc.or_kleene(pc.is_null(names), pc.equal(names, ""))
        named = pc.or_kleene(unnamed, pc.equal(names, self.version.name))
        ours = pc.and_kleene(pc.equal(batch.column(MODEL_VERSION), self.version.version), named)
        return window, pc.fill_null(pc.and_kleene(window, ours), False)


def _file_batches(root: Location, path: str, wanted: Wanted) -> Iterator[CapturedBatch]:
    name = PurePosixPath(path).name
    try:
        with reaching(root):
            yield from _read(root, path, name, wanted)
    except (OSError, pa.ArrowException) as exc:  # a local file that cannot be read (S3's are mapped above)
        why = "permission denied" if isinstance(exc, PermissionError) else str(exc).splitlines()[0][:200]
        raise DataError(f"the captured file {name} under {root.uri} cannot be read: {why}") from exc


def _read(root: Location, path: str, name: str, wanted: Wanted) -> Iterator[CapturedBatch]:
    try:
        parquet = pq.ParquetFile(path, filesystem=root.filesystem)
    except pa.ArrowInvalid as exc:
        raise DataError(f"{name} under {root.uri} is not a Parquet file") from exc
    _check_columns(name, parquet.schema_arrow, ANSWER_COLUMNS)
    left_out: Counter[str] = Counter()
    ours = 0
    for read in parquet.iter_batches(batch_size=BATCH_ROWS, columns=[MODEL_NAME, MODEL_VERSION, TIMESTAMP]):
        window, kept = wanted.kept(read)
        ours += pc.sum(kept).as_py() or 0
        others = read.filter(pc.and_(window, pc.invert(kept)))
        pairs = zip(
            others.column(MODEL_NAME).to_pylist(), others.column(MODEL_VERSION).to_pylist(), strict=True
        )
        left_out.update(f"{n or '?'}/{v or '?'}" for n, v in pairs)
    if left_out:
        empty = np.empty(0, dtype=object if wanted.labelled else np.float64)
        yield CapturedBatch({f: np.empty(0) for f in wanted.features}, empty, frozenset(), dict(left_out))
    if not ours:
        return  # no row of this version: the file is not checked against this version's features
    _check_schema(name, parquet.schema_arrow, wanted.features, wanted.labelled)
    columns = [*wanted.features, PREDICTION, MODEL_NAME, MODEL_VERSION, TIMESTAMP]
    for read in parquet.iter_batches(batch_size=BATCH_ROWS, columns=columns):
        batch = read.filter(wanted.kept(read)[1])
        if batch.num_rows:
            yield _captured(batch, wanted.features, wanted.labelled)


def _check_columns(name: str, schema: pa.Schema, columns: Sequence[str]) -> None:
    absent = [c for c in columns if c not in schema.names]
    if absent:
        raise DataError(f"the captured file {name} has no column {', '.join(repr(c) for c in absent)}")
    stamp = schema.field(TIMESTAMP).type
    if not pa.types.is_timestamp(stamp):
        raise DataError(f"the captured file {name}: 'timestamp' is {stamp}, not a timestamp")


def _check_schema(name: str, schema: pa.Schema, features: Sequence[str], labelled: bool) -> None:
    _check_columns(name, schema, [*features, *ANSWER_COLUMNS])
    wrong = [c for c in features if not pa.types.is_floating(schema.field(c).type)]
    if wrong:
        kinds = ", ".join(f"{c!r} is {schema.field(c).type}" for c in wrong)
        raise DataError(f"the captured file {name}: features must be float64 (as encoded), but {kinds}")
    prediction = schema.field(PREDICTION).type
    fits = pa.types.is_string(prediction) or pa.types.is_large_string(prediction)
    if fits != labelled or not (fits or pa.types.is_floating(prediction)):
        wanted = "string (the predicted label)" if labelled else "float64 (the predicted value)"
        raise DataError(f"the captured file {name}: 'prediction' is {prediction}, not {wanted}")


def _captured(batch: pa.RecordBatch, features: Sequence[str], labelled: bool) -> CapturedBatch:
    values = {c: np.asarray(_numbers(batch.column(c)), dtype=np.float64) for c in features}
    raw = batch.column(PREDICTION)
    prediction = np.asarray(raw.to_pylist(), dtype=object) if labelled else _numbers(raw)
    versions = pc.unique(batch.column(MODEL_VERSION)).to_pylist()
    return CapturedBatch(values, np.asarray(prediction), frozenset(str(v) for v in versions if v is not None))


def _numbers(column: pa.Array) -> npt.NDArray[np.float64]:
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
