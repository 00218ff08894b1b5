"""One column of input converted at once, for the column-shaped inputs (``Columns``,
``FeatureMatrix`` in ``predictor.domain.encoding.inputs``).

- ``as_numbers``: a numeric column (a numpy array or a list of plain numbers) as float64;
- ``vector_errors``: its bad values (infinite, beyond float32, not a category code), checked at once;
- ``category_column``: a categorical column converted once per distinct value;
- ``cell_column``: anything else, value by value, every bad field with its row index.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from predictor.domain.encoding.rows import MAX_REPORTED_ERRORS, Matrix, RowEncoder
from predictor.domain.encoding.values import FLOAT32_MAX, BadValue, Converter
from predictor.domain.errors import FieldError

_PLAIN_NUMBERS = frozenset({int, float})


def vector_errors(
    column: npt.NDArray[np.float64], name: str, nan_is_missing: bool, codes: int | None
) -> list[FieldError]:
    """Bad values of a whole numeric column (row index, feature, message), at most the first 100."""
    bad = np.isinf(column) | (np.abs(column) > FLOAT32_MAX)
    if not nan_is_missing:
        bad |= np.isnan(column)
    if codes is not None:
        present = ~np.isnan(column)
        bad |= present & ((column < 0) | (column >= codes) | (np.floor(column) != column))
    errors = []
    for i in np.flatnonzero(bad)[:MAX_REPORTED_ERRORS].tolist():
        value = float(column[i])
        if codes is not None and np.isfinite(value):
            message = f"must be a category code (an integer from 0 to {codes - 1}) or null"
        elif np.isfinite(value):
            message = "is too large for a 32-bit float"
        else:
            message = f"must be a finite number, got {value!r}"
        errors.append(FieldError(i, name, message))
    return errors


def as_numbers(values: object) -> tuple[npt.NDArray[np.float64], bool] | None:
    """A numeric column as float64 and whether NaN in it means missing, when it is one."""
    if isinstance(values, np.ndarray):
        if values.ndim == 1 and values.dtype.kind in "fiu":
            return values.astype(np.float64, copy=False), True
        return None
    if isinstance(values, list) and values and set(map(type, values)) <= _PLAIN_NUMBERS:
        try:
            return np.asarray(values, dtype=np.float64), False
        except (OverflowError, ValueError, TypeError):
            return None  # an integer beyond float64: the cell converters say which
    return None


def category_column(
    values: Sequence[object], j: int, convert: Converter, encoder: RowEncoder
) -> tuple[npt.NDArray[np.float64], int] | None:
    """A categorical column converted once per distinct value, when every value converts."""
    try:
        counts = Counter(values)
        codes = {value: convert(value) for value in counts}
    except (TypeError, BadValue):
        return None  # an unhashable or a bad value: the cell converters name its row
    unseen = sum(n for value, n in counts.items() if encoder.is_unseen(j, value))
    return np.fromiter(map(codes.__getitem__, values), dtype=np.float64, count=len(values)), unseen


def cell_column(
    values: Sequence[object], j: int, name: str, convert: Converter, encoder: RowEncoder, out: Matrix
) -> tuple[list[FieldError], int]:
    errors: list[FieldError] = []
    unseen = 0
    for i, value in enumerate(values):
        try:
            out[i, j] = convert(value)
        except BadValue as bad:
            errors.append(FieldError(i, name, bad.message))
            if len(errors) >= MAX_REPORTED_ERRORS:
                break
        else:
            unseen += encoder.is_unseen(j, value)
    return errors, unseen
