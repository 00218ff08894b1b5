"""Input given column by column: ``Columns`` (one sequence of values per feature) and
``FeatureMatrix`` (a flat, row-major numeric matrix in schema order, categories as codes).

Sequences of plain numbers and numpy arrays are converted a column at a time; anything else
cell by cell (``predictor.domain.encoding.columns``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.encoding.checks import check_names, no_rows, refuse
from predictor.domain.encoding.columns import as_numbers, category_column, cell_column, vector_errors
from predictor.domain.encoding.row_inputs import NamedRows
from predictor.domain.encoding.rows import EncodedRows, RowEncoder
from predictor.domain.encoding.values import FLOAT32_MAX, ValueFormat, describe
from predictor.domain.errors import FieldError, InvalidInput
from predictor.domain.schema import FeatureKind


@dataclass(frozen=True, slots=True)
class Columns:
    """One sequence (or 1-D numpy array) of values per feature, all of the same length.

    In a numpy float array, NaN means missing (as in pandas and Arrow); in a list it is
    refused, as in JSON, where ``null`` means missing.
    """

    columns: Mapping[str, object]
    fmt: ValueFormat = ValueFormat.JSON
    empty_allowed: bool = False  # no row: an empty batch (a Parquet table of no rows), not an error

    @property
    def size(self) -> int | None:
        first = next(iter(self.columns.values()), None)
        return len(first) if isinstance(first, list | np.ndarray) else None

    def encode(self, encoder: RowEncoder) -> EncodedRows:
        rows = self._row_count(encoder)
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

    def _row_count(self, encoder: RowEncoder) -> int:
        """The rows every column holds, once the names are the features and the lengths agree."""
        check_names(encoder, list(self.columns), "the inputs")
        lengths: dict[str, int] = {}
        for name, values in self.columns.items():
            if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
                raise refuse(f"must be a list of values, got {describe(values)}", name)
            lengths[name] = len(values)
        rows = max(lengths.values())
        uneven = [
            FieldError(None, name, f"has {k} values; the longest input has {rows}")
            for name, k in lengths.items()
            if k != rows
        ]
        if uneven:
            raise InvalidInput(uneven)
        if rows == 0 and not self.empty_allowed:
            raise no_rows()
        return rows


def _numbers_fit(flat: npt.NDArray[np.float64], nan_is_missing: bool) -> bool:
    """Whether every value is a float32 (or NaN, when that is missing), checked at once: then
    only the category codes need a column-by-column look."""
    with np.errstate(invalid="ignore"):
        fits = np.abs(flat) <= FLOAT32_MAX  # False for infinity and NaN
    if nan_is_missing:
        fits |= np.isnan(flat)
    return bool(fits.all())


@dataclass(frozen=True, slots=True)
class FeatureMatrix:
    """``rows`` x features values, flat and row-major, in schema order; categories as codes.
    In a numpy float array NaN means missing, as in ``Columns``."""

    values: Sequence[object] | npt.NDArray[Any]
    rows: int

    @property
    def size(self) -> int | None:
        return self.rows

    def encode(self, encoder: RowEncoder) -> EncodedRows:
        width = encoder.width
        if self.rows <= 0:
            raise no_rows()
        if len(self.values) != self.rows * width:
            raise refuse(
                f"a matrix of {self.rows} rows needs {self.rows * width} values, got {len(self.values)}"
            )
        values = self.values
        numbers = as_numbers(values if isinstance(values, list | np.ndarray) else list(values))
        if numbers is None:
            names = encoder.names
            rows = [list(values[i * width : (i + 1) * width]) for i in range(self.rows)]
            return NamedRows(list(names), rows, ValueFormat.CODES).encode(encoder)
        flat, nan_is_missing = numbers
        grid = flat.reshape(self.rows, width)
        numbers_fit = _numbers_fit(flat, nan_is_missing)
        errors: list[FieldError] = []
        for j, feature in enumerate(encoder.schema.features):
            codes = len(feature.categories) if feature.kind is FeatureKind.CATEGORICAL else None
            if codes is not None or not numbers_fit:
                errors += vector_errors(grid[:, j], feature.name, nan_is_missing, codes)
        errors.sort(key=lambda e: (e.row or 0, encoder.positions.get(e.field or "", 0)))
        with np.errstate(over="ignore"):  # values beyond float32 are reported just above
            return encoder.finish(grid.astype(np.float32), errors, {})
