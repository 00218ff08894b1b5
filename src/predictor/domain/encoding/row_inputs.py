"""Input given row by row: ``Records`` (objects by feature name) and ``NamedRows`` (column
names, then rows as lists of values)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from predictor.domain.encoding.checks import check_names, no_rows, refuse
from predictor.domain.encoding.leniency import value_leniencies
from predictor.domain.encoding.rows import MAX_REPORTED_ERRORS, EncodedRows, RowEncoder
from predictor.domain.encoding.values import BadValue, ValueFormat, describe
from predictor.domain.errors import FieldError

# Where rows of plain finite numbers read as they are (in TEXT, a cell is a string to parse).
_PLAIN_FORMATS = (ValueFormat.JSON, ValueFormat.LENIENT)


@dataclass(frozen=True, slots=True)
class Records:
    rows: object

    @property
    def size(self) -> int | None:
        return len(self.rows) if isinstance(self.rows, list) else None

    def encode(self, encoder: RowEncoder) -> EncodedRows:
        return encoder.encode(self.rows)


@dataclass(frozen=True, slots=True)
class NamedRows:
    """Rows as lists of values, in the order of ``names`` (every feature exactly once; None:
    the schema's order). ``empty_allowed``: no row is an empty batch, as ``mlflow models
    serve`` reads a table with columns and no rows, rather than an error."""

    names: object
    rows: object
    fmt: ValueFormat = ValueFormat.JSON
    empty_allowed: bool = False

    @property
    def size(self) -> int | None:
        return len(self.rows) if isinstance(self.rows, list) else None

    def encode(self, encoder: RowEncoder) -> EncodedRows:  # noqa: C901  # one flat loop, for speed (benchmarks/)
        names = list(encoder.names) if self.names is None else check_names(encoder, self.names, "the columns")
        rows = self.rows
        if not isinstance(rows, Sequence) or isinstance(rows, str | bytes):
            raise refuse("the data must be a list of rows, each a list of values")
        if len(rows) == 0:
            if not self.empty_allowed:
                raise no_rows()
            return encoder.finish(np.empty((0, encoder.width), dtype=np.float32), [], {})
        order = [encoder.positions[name] for name in names]
        plain = encoder.plain_table(rows) if self.fmt in _PLAIN_FORMATS else None
        if plain is not None:
            matrix = np.empty_like(plain)
            matrix[:, order] = plain
            return encoder.finish(matrix, [], {})
        converters = [encoder.converters(self.fmt)[j] for j in order]
        matrix = np.empty((len(rows), encoder.width), dtype=np.float32)
        errors: list[FieldError] = []
        unseen: dict[str, int] = {}
        for i, row in enumerate(rows):
            if not isinstance(row, list | tuple) or len(row) != len(names):
                got = f"{len(row)} values" if isinstance(row, list | tuple) else describe(row)
                errors.append(FieldError(i, None, f"a row must be a list of {len(names)} values, got {got}"))
            else:
                out = matrix[i]
                for k, value in enumerate(row):
                    try:
                        out[order[k]] = converters[k](value)
                    except BadValue as bad:
                        errors.append(FieldError(i, names[k], bad.message))
                    else:
                        if encoder.is_unseen(order[k], value):
                            unseen[names[k]] = unseen.get(names[k], 0) + 1
            if len(errors) >= MAX_REPORTED_ERRORS:
                break
        encoded = encoder.finish(matrix, errors, unseen)
        if self.fmt is ValueFormat.LENIENT:
            return replace(encoded, leniencies=value_leniencies(rows, encoder.schema, names))
        return encoded
