"""CSV and Parquet files for batch scoring, through pyarrow: read in chunks, written as they come.

Chunks are read on a thread one chunk ahead of the caller, so reading overlaps predicting.
CSV is parsed by Arrow's streaming reader, every feature column read as text:
a numeric column Arrow can cast to float64 is handed over as a numpy array (empty cell: NaN,
missing), any other column as its cells, which the domain's encoder checks one by one, naming
the row of a bad value. Parquet keeps its types; numeric columns become numpy arrays, others
Python values. Chunks are ``chunk_rows`` rows (the last one shorter), in file order.
Predictions are appended to a ``.partial`` Parquet file, one row group per chunk, moved into
place when every chunk is written (a rename on disk; on S3 a copy, then the partial deleted).
Files are local paths or ``s3://`` URIs (``locations``): S3 objects stream through ranged reads
and a multipart upload, the same way.
pyarrow comes with the ``train`` extra.
"""

from __future__ import annotations

import csv
import io
import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from predictor.adapters.files.locations import Location, check_file, locate, reaching, sequential
from predictor.adapters.files.sink import ParquetSink
from predictor.domain.encoding.values import ValueFormat
from predictor.domain.errors import DataError, FieldError, InvalidInput
from predictor.domain.ports import PredictionSink, TableFiles
from predictor.domain.schema import FeatureKind, FeatureSchema
from predictor.domain.table import TableChunk

_PARQUET = frozenset({".parquet", ".pq"})
T = TypeVar("T")
# Arrow reads ahead a few blocks per core: small blocks keep memory flat (measured: docs/batch.md).
_BLOCK_BYTES = 1 << 20


def _check_columns(name: str, present: Sequence[str], wanted: Sequence[str]) -> None:
    missing = [column for column in wanted if column not in present]
    if missing:
        raise InvalidInput(
            [FieldError(None, column, f"is not a column of {name}") for column in missing],
        )


def _values(column: pa.ChunkedArray, as_text: bool, numeric: bool) -> object:
    """A numeric feature as a float64 numpy array (NaN: missing) when it holds numbers only;
    any other column as its Python values."""
    if not numeric:
        return column.to_pylist()
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        return column.cast(pa.float64()).to_numpy()
    if as_text and pa.types.is_string(column.type):
        try:
            return pc.cast(column, pa.float64()).to_numpy()
        except pa.ArrowInvalid:
            pass  # a cell that is not a number: the encoder names its row
    return column.to_pylist()


def read_ahead(chunks: Iterator[T]) -> Iterator[T]:  # noqa: C901  # a producer thread and its consumer, read together
    """``chunks``, produced one ahead on a thread: the next chunk is parsed (Arrow releases the
    GIL) while the caller predicts this one. At most two chunks are held at once."""
    ready: queue.Queue[tuple[T | None, BaseException | None, bool]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def offer(item: tuple[T | None, BaseException | None, bool]) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                if not offer((chunk, None, False)):
                    return
            offer((None, None, True))
        except BaseException as exc:  # noqa: BLE001  # handed to the caller, raised there
            offer((None, exc, True))
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    producer = threading.Thread(target=produce, name="predictor-read-ahead", daemon=True)
    producer.start()
    try:
        while True:
            chunk, error, finished = ready.get()
            if error is not None:
                raise error
            if finished:
                return
            yield chunk  # type: ignore[misc]  # not None unless finished
    finally:
        stop.set()
        producer.join()


class _Columns:
    """Which columns to read, and how to hand each over."""

    def __init__(self, schema: FeatureSchema, keep: Sequence[str]) -> None:
        self.numeric = {f.name for f in schema.features if f.kind is FeatureKind.NUMERIC}
        self.features = schema.names
        self.keep = list(dict.fromkeys(keep))
        self.read = list(dict.fromkeys([*self.features, *self.keep]))

    def chunk(self, table: pa.Table, fmt: ValueFormat, done: float) -> TableChunk:
        as_text = fmt is ValueFormat.TEXT
        values = {name: _values(table.column(name), as_text, name in self.numeric) for name in self.features}
        kept = table.select(self.keep) if self.keep else None
        return TableChunk(values, fmt, kept, min(done, 1.0))


class ArrowTableFiles(TableFiles):
    """CSV (``,``; ``.tsv``: tab) and Parquet (``.parquet``, ``.pq``) files."""

    def read(
        self, path: str | Path, schema: FeatureSchema, keep: Sequence[str], chunk_rows: int
    ) -> Iterator[TableChunk]:
        location = locate(path)
        size = check_file(location)
        columns = _Columns(schema, keep)
        chunks = self._parquet(location, columns, chunk_rows) if location.suffix in _PARQUET else None
        try:
            with reaching(location):
                yield from read_ahead(chunks or self._csv(location, size, columns, chunk_rows))
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataError(f"cannot read {location.name}: {exc}") from exc

    def _parquet(self, location: Location, columns: _Columns, chunk_rows: int) -> Iterator[TableChunk]:
        # Pre-buffering keeps the bytes of every row group read so far until the file is
        # closed: memory would grow with the file.
        with location.filesystem.open_input_file(location.path) as raw:
            file = pq.ParquetFile(raw, pre_buffer=False)
            _check_columns(location.name, file.schema_arrow.names, columns.read)
            total = max(file.metadata.num_rows, 1)
            done = 0
            for batch in file.iter_batches(batch_size=chunk_rows, columns=columns.read):
                table = pa.Table.from_batches([batch])
                done += table.num_rows
                yield columns.chunk(table, ValueFormat.JSON, done / total)

    def _csv(self, location: Location, size: int, columns: _Columns, chunk_rows: int) -> Iterator[TableChunk]:
        delimiter = "\t" if location.suffix == ".tsv" else ","
        with location.filesystem.open_input_file(location.path) as first:
            handle = io.TextIOWrapper(first, newline="", encoding="utf-8-sig")
            header = next(csv.reader(handle, delimiter=delimiter), [])
            handle.detach()
        _check_columns(location.name, header, columns.read)
        size = max(size, 1)
        options = pacsv.ConvertOptions(
            include_columns=columns.read,
            # All text: Arrow's type inference on the first block could not hold for the rest.
            column_types=dict.fromkeys(columns.read, pa.string()),
            strings_can_be_null=True,
            null_values=[""],
        )
        with location.filesystem.open_input_file(location.path) as raw:
            reader = pacsv.open_csv(
                sequential(location, raw),
                read_options=pacsv.ReadOptions(block_size=_BLOCK_BYTES),
                parse_options=pacsv.ParseOptions(delimiter=delimiter),
                convert_options=options,
            )
            pending: list[pa.RecordBatch] = []
            buffered = 0
            for batch in reader:
                pending.append(batch)
                buffered += batch.num_rows
                while buffered >= chunk_rows:
                    table = pa.Table.from_batches(pending)
                    head, rest = table.slice(0, chunk_rows), table.slice(chunk_rows)
                    yield columns.chunk(head, ValueFormat.TEXT, raw.tell() / size)
                    pending, buffered = rest.to_batches(), rest.num_rows
            if buffered:
                table = pa.Table.from_batches(pending, schema=reader.schema)
                yield columns.chunk(table, ValueFormat.TEXT, 1.0)

    @contextmanager
    def write(self, path: str | Path) -> Iterator[PredictionSink]:
        location = locate(path)
        partial = location.sibling(".partial")
        sink = ParquetSink(partial)
        try:
            yield sink
            sink.close()
            with reaching(location):  # a rename on disk; on S3 a copy, then the partial deleted
                location.filesystem.move(partial.path, location.path)
        except BaseException:
            sink.discard()
            raise
