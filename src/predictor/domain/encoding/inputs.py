"""The shapes of input a client can send, each encoded by the model's ``RowEncoder``.

- ``Records``: rows as objects by feature name (``/predict``'s ``instances``).
- ``NamedRows``: column names and rows as lists (MLflow's ``dataframe_split``, CSV).
- ``Columns``: one sequence of values per feature (Open Inference Protocol tensors, file chunks).
- ``FeatureMatrix``: a flat, row-major numeric matrix in schema order, categories as codes.

Every shape applies the same converters (``predictor.domain.encoding.values``) and the same fitted
preprocessing, and reports bad fields as ``InvalidInput`` with the row index (0-based) and the
field: the same rows give the same matrix whatever the shape. Sequences of plain numbers and
numpy arrays are converted column at a time; anything else cell by cell
(``predictor.domain.encoding.columns``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from predictor.domain.encoding.columns import as_numbers, category_column, cell_column, vector_errors
from predictor.domain.encoding.rows import MAX_REPORTED_ERRORS, EncodedRows, RowEncoder
from predictor.domain.encoding.values import BadValue, ValueFormat, describe
from predictor.domain.errors import FieldError, InvalidInput
from predictor.domain.schema import FeatureKind


class ModelInput(Protocol):
    """Rows in one of the shapes above: how many (None when the shape is wrong), and their encoding."""

    @property
    def size(self) -> int | None: ...

    def encode(self, encoder: RowEncoder) -> EncodedRows: ...


@dataclass(frozen=True, slots=True)
class Records:
    rows: object

    @property
    def size(self) -> int | None:
        return len(self.rows) if isinstance(self.rows, list) else None

    def encode(self, encoder: RowEncoder) -> EncodedRows:
        return encoder.encode(self.rows)


def _refuse(message: str, field: str | None = None) -> InvalidInput:
    return InvalidInput([FieldError(None, field, message)])


def _check_names(encoder: RowEncoder, names: object, what: str) -> list[str]:
    if not isinstance(names, Sequence) or isinstance(names, str | bytes):
        raise _refuse(f"{what} must be a list of feature names")
    errors = [
        FieldError(None, str(name), "is not a feature of this model")
        for name in names
        if not isinstance(name, str) or name not in encoder.positions
    ]
    seen: set[str] = set()
    for name in names:
        if isinstance(name, str) and name in seen:
            errors.append(FieldError(None, name, f"appears twice in {what}"))
        seen.add(str(name))
    errors += [
        FieldError(None, name, f"is missing from {what}; send null for unknown values")
        for name in encoder.names
        if name not in seen
    ]
    if errors:
        raise InvalidInput(errors[:MAX_REPORTED_ERRORS])
    return [str(name) for name in names]


@dataclass(frozen=True, slots=True)
class NamedRows:
    """Rows as lists of values, in the order of ``names`` (every feature exactly once; None:
    the schema's order)."""

    names: object
    rows: object
    fmt: ValueFormat = ValueFormat.JSON

    @property
    def size(self) -> int | None:
        return len(self.rows) if isinstance(self.rows, list) else None

    def encode(self, encoder: RowEncoder) -> EncodedRows:  # noqa: C901  # one flat loop, for speed (benchmarks/)
        names = (
            list(encoder.names) if self.names is None else _check_names(encoder, self.names, "the columns")
        )
        rows = self.rows
        if not isinstance(rows, Sequence) or isinstance(rows, str | bytes):
            raise _refuse("the data must be a list of rows, each a list of values")
        if len(rows) == 0:
            raise _refuse("the batch is empty: send at least one row")
        order = [encoder.positions[name] for name in names]
        plain = encoder.plain_table(rows) if self.fmt is ValueFormat.JSON else None
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
        return encoder.finish(matrix, errors, unseen)


@dataclass(frozen=True, slots=True)
class Columns:
    """One sequence (or 1-D numpy array) of values per feature, all of the same length.

    In a numpy float array, NaN means missing (as in pandas and Arrow); in a list it is
    refused, as in JSON, where ``null`` means missing.
    """

    columns: Mapping[str, object]
    fmt: ValueFormat = ValueFormat.JSON

    @property
    def size(self) -> int | None:
        first = next(iter(self.columns.values()), None)
        return len(first) if isinstance(first, list | np.ndarray) else None

    def encode(self, encoder: RowEncoder) -> EncodedRows:
        _check_names(encoder, list(self.columns), "the inputs")
        lengths: dict[str, int] = {}
        for name, values in self.columns.items():
            if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
                raise _refuse(f"must be a list of values, got {describe(values)}", name)
            lengths[name] = len(values)
        rows = max(lengths.values())
        uneven = [
            FieldError(None, name, f"has {k} values; the longest input has {rows}")
            for name, k in lengths.items()
            if k != rows
        ]
        if uneven:
            raise InvalidInput(uneven)
        if rows == 0:
            raise _refuse("the batch is empty: send at least one row")
        matrix = np.empty((rows, encoder.width), dtype=np.float32)
        errors: list[FieldError] = []
        unseen: dict[str, int] = {}
        converters = encoder.converters(self.fmt)
        for j, feature in enumerate(encoder.schema.features):
            values = self.columns[feature.name]
            numbers = as_numbers(values) if feature.kind is FeatureKind.NUMERIC else None
            if numbers is not None:
                column, nan_is_missing = numbers
                errors += vector_errors(column, feature.name, nan_is_missing, None)
                with np.errstate(over="ignore"):  # values beyond float32 are reported just above
                    matrix[:, j] = column
                continue
            cells: Sequence[object] = values.tolist() if isinstance(values, np.ndarray) else values  # type: ignore[assignment]  # a Sequence, checked above
            coded = (
                category_column(cells, j, converters[j], encoder)
                if feature.kind is FeatureKind.CATEGORICAL
                else None
            )
            if coded is not None:
                matrix[:, j], count = coded
                found: list[FieldError] = []
            else:
                found, count = cell_column(cells, j, feature.name, converters[j], encoder, matrix)
            errors += found
            if count:
                unseen[feature.name] = count
        errors.sort(key=lambda e: (e.row or 0, encoder.positions.get(e.field or "", 0)))
        return encoder.finish(matrix, errors, unseen)


@dataclass(frozen=True, slots=True)
class FeatureMatrix:
    """``rows`` x features values, flat and row-major, in schema order; categories as codes."""

    values: Sequence[object]
    rows: int

    @property
    def size(self) -> int | None:
        return self.rows

    def encode(self, encoder: RowEncoder) -> EncodedRows:
        width = encoder.width
        if self.rows <= 0:
            raise _refuse("the batch is empty: send at least one row")
        if len(self.values) != self.rows * width:
            raise _refuse(
                f"a matrix of {self.rows} rows needs {self.rows * width} values, got {len(self.values)}"
            )
        numbers = as_numbers(self.values if isinstance(self.values, list) else list(self.values))
        if numbers is None:
            names = encoder.names
            rows = [list(self.values[i * width : (i + 1) * width]) for i in range(self.rows)]
            return NamedRows(list(names), rows, ValueFormat.CODES).encode(encoder)
        grid = numbers[0].reshape(self.rows, width)
        errors: list[FieldError] = []
        for j, feature in enumerate(encoder.schema.features):
            codes = len(feature.categories) if feature.kind is FeatureKind.CATEGORICAL else None
            errors += vector_errors(grid[:, j], feature.name, False, codes)
        errors.sort(key=lambda e: (e.row or 0, encoder.positions.get(e.field or "", 0)))
        with np.errstate(over="ignore"):  # values beyond float32 are reported just above
            return encoder.finish(grid.astype(np.float32), errors, {})
