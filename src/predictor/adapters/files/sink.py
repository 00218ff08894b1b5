"""Predictions appended to a Parquet file, one row group per chunk, on any pyarrow file system."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from predictor.adapters.files.locations import Location, reaching
from predictor.domain.errors import PredictorError
from predictor.domain.ports import PredictionColumns, PredictionSink


class ParquetSink(PredictionSink):
    """Opened on the first chunk (its columns are the file's schema); S3 errors said as such."""

    def __init__(self, location: Location) -> None:
        self._location = location
        self._stream: pa.NativeFile | None = None
        self._writer: pq.ParquetWriter | None = None

    def write(self, predictions: PredictionColumns, kept: object) -> None:
        columns = (
            dict(zip(kept.column_names, kept.columns, strict=True)) if isinstance(kept, pa.Table) else {}
        )
        columns.update((name, pa.array(values)) for name, values in predictions.items())
        table = pa.table(columns)
        if self._writer is None:
            with reaching(self._location):
                self._stream = self._location.filesystem.open_output_stream(self._location.path)
            self._writer = pq.ParquetWriter(self._stream, table.schema)
        with reaching(self._location):
            self._writer.write_table(table)

    def close(self) -> None:
        with reaching(self._location):
            if self._writer is not None:
                self._writer.close()
            if self._stream is not None:
                self._stream.close()

    def discard(self) -> None:
        """Close and delete the file, best effort: the error that stopped the write is the one raised."""
        try:
            self.close()
            self._location.filesystem.delete_file(self._location.path)
        except (OSError, PredictorError):
            pass  # nothing was written, or it cannot be deleted either
