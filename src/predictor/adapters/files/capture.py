"""Captured rows as Parquet files, one per batch, in a local directory or under an S3 prefix.

``<root>/<served model name>/<UTC yyyymmddTHHMMSS>-<8 hex>.parquet`` (the time it was
written): in a local directory written under a temporary name (a dot file) and renamed, so a
reader never sees part of a file; in S3 one upload, which appears whole. S3 goes through
pyarrow's file system (``locations.py``), with the AWS default credential chain.
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from predictor.adapters.files.locations import locate_folder, s3_failure
from predictor.domain.capture import (
    MODEL_NAME,
    MODEL_VERSION,
    PREDICTION,
    REQUEST_ID,
    TIMESTAMP,
    CapturedRows,
    batch_file_name,
)
from predictor.domain.errors import CaptureUnavailable
from predictor.domain.ports import CaptureStore

TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")


def captured_table(rows: CapturedRows) -> pa.Table:
    """``rows`` in the file contract's columns and types (docs/capture.md)."""
    columns = {name: pa.array(rows.matrix[:, k], pa.float64()) for k, name in enumerate(rows.features)}
    columns[PREDICTION] = (
        pa.array(rows.predictions, pa.string()) if rows.labelled else pa.array(rows.predictions, pa.float64())
    )
    columns[MODEL_NAME] = pa.array(rows.model_names, pa.string())
    columns[MODEL_VERSION] = pa.array(rows.model_versions, pa.string())
    columns[REQUEST_ID] = pa.array(rows.request_ids, pa.string())
    columns[TIMESTAMP] = pa.array(rows.timestamps, TIMESTAMP_TYPE)
    return pa.table(columns)


class ParquetCaptureStore(CaptureStore):
    """One Parquet file per batch under ``root``: a local directory (made as needed) or
    ``s3://BUCKET[/PREFIX]``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._root = locate_folder(root)
        self._s3 = isinstance(self._root.filesystem, pafs.S3FileSystem)

    def put_batch(self, served: str, rows: CapturedRows) -> str:
        table = captured_table(rows)
        folder = f"{self._root.path}/{served}"
        name = batch_file_name(datetime.now(UTC))
        uri = f"{self._root.uri.rstrip('/')}/{served}/{name}"
        try:
            if self._s3:
                pq.write_table(table, f"{folder}/{name}", filesystem=self._root.filesystem)
            else:
                self._write_local(table, folder, name)
        except OSError as exc:
            raise self._unavailable(uri, exc) from exc
        return uri

    def _write_local(self, table: pa.Table, folder: str, name: str) -> None:
        filesystem = self._root.filesystem
        filesystem.create_dir(folder, recursive=True)
        staging = f"{folder}/.{name}.partial"
        try:
            pq.write_table(table, staging, filesystem=filesystem)
            filesystem.move(staging, f"{folder}/{name}")
        except OSError:
            # Never written, or it cannot be deleted either: the first error is the one raised.
            with contextlib.suppress(OSError):
                filesystem.delete_file(staging)
            raise

    def _unavailable(self, uri: str, exc: OSError) -> CaptureUnavailable:
        if self._s3:
            return CaptureUnavailable(f"cannot write captured rows: {s3_failure(uri, exc)}")
        text = str(exc).splitlines()
        reason = exc.strerror or (text[0] if text else type(exc).__name__)
        return CaptureUnavailable(f"cannot write captured rows to {uri}: {reason}")
