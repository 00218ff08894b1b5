"""Parquet request bodies (``Content-Type: application/vnd.apache.parquet`` on /invocations, as
``mlflow models serve`` reads them) -> columns, through pyarrow.

pyarrow comes with the ``train`` extra and is imported with the first Parquet body, so the
serving path never imports it otherwise; without it, a Parquet body is ``MediaTypeUnavailable``
(HTTP 415) naming the extra. The body is already in memory, within the body limit.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from predictor.domain.errors import FieldError, InvalidInput, MediaTypeUnavailable
from predictor.domain.ports import TableReader

MISSING_PYARROW = "reading Parquet bodies needs pyarrow: install predictor[train]; or send JSON or CSV"


class ArrowParquetReader(TableReader):
    """Every column of a Parquet body: integer and floating-point columns as float64 arrays
    (null: NaN), any other (strings, booleans) as its Python values."""

    def read(self, body: bytes) -> Mapping[str, object]:
        try:
            import pyarrow as pa  # the train extra, imported with the first Parquet body
            import pyarrow.parquet as pq  # likewise
        except ImportError:
            raise MediaTypeUnavailable(MISSING_PYARROW) from None
        try:
            table = pq.read_table(io.BytesIO(body))
        except (pa.ArrowException, OSError, ValueError) as exc:
            message = f"the body is not a Parquet table ({type(exc).__name__})"
            raise InvalidInput([FieldError(None, None, message)], summary=message) from None
        columns: dict[str, object] = {}
        for name, column in zip(table.column_names, table.columns, strict=True):
            kind = column.type
            if pa.types.is_integer(kind) or pa.types.is_floating(kind):
                columns[str(name)] = column.cast(pa.float64()).to_numpy()
            else:
                columns[str(name)] = column.to_pylist()
        return columns
