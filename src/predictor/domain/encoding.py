"""Rows from a client -> a validated float32 matrix in schema order.

The encoder is compiled once per model (feature positions, category lookups, the fitted
imputation and scaling vectors) and then used on every request. Every bad field is
reported, with its row index, in one ``InvalidInput``; nothing else escapes ``encode``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from predictor.domain.errors import FieldError, InvalidInput
from predictor.domain.schema import FeatureKind, FeatureSchema

_FLOAT32_MAX = float(np.finfo(np.float32).max)
_MAX_REPORTED_ERRORS = 100

Matrix = npt.NDArray[np.float32]


class _BadValue(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _numeric(value: object) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _BadValue(f"must be a number or null, got {_describe(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise _BadValue("is too large for a 32-bit float") from None
    if not math.isfinite(number):
        raise _BadValue(f"must be a finite number, got {value!r}")
    if abs(number) > _FLOAT32_MAX:
        raise _BadValue("is too large for a 32-bit float")
    return number


def _categorical(lookup: Mapping[str, float], allowed: str) -> Callable[[object], float]:
    def convert(value: object) -> float:
        if value is None:
            return math.nan
        if not isinstance(value, str):
            raise _BadValue(
                f"must be a category (a string, one of {allowed}) or null, got {_describe(value)}"
            )
        # A category never seen in training is treated as missing, as XGBoost does.
        return lookup.get(value, math.nan)

    return convert


@dataclass(frozen=True, slots=True)
class EncodedRows:
    matrix: Matrix
    unseen_categories: int = 0
    # The features that received a category never seen in training (treated as missing).
    unseen_features: tuple[str, ...] = ()


class RowEncoder:
    """Encodes JSON-like rows (``list[dict[str, value]]``) for one feature schema, then applies
    the schema's fitted preprocessing to the whole matrix at once."""

    def __init__(self, schema: FeatureSchema) -> None:
        self.schema = schema
        self._names = schema.names
        self._positions = {name: i for i, name in enumerate(self._names)}
        self._converters: list[Callable[[object], float]] = []
        self._vocabularies: list[frozenset[str] | None] = []
        for feature in schema.features:
            if feature.kind is FeatureKind.CATEGORICAL:
                lookup = {c: float(i) for i, c in enumerate(feature.categories)}
                shown = ", ".join(repr(c) for c in feature.categories[:5])
                if len(feature.categories) > 5:
                    shown += ", …"
                self._converters.append(_categorical(lookup, shown))
                self._vocabularies.append(frozenset(feature.categories))
            else:
                self._converters.append(_numeric)
                self._vocabularies.append(None)
        self._preprocess = schema.preprocessing.compile()

    @property
    def width(self) -> int:
        return len(self._names)

    def encode(self, rows: object) -> EncodedRows:
        """Encode ``rows`` or raise ``InvalidInput`` listing every bad field."""
        if not isinstance(rows, Sequence) or isinstance(rows, str | bytes):
            raise InvalidInput(
                [FieldError(None, None, "rows must be a list of objects mapping feature names to values")]
            )
        if len(rows) == 0:
            raise InvalidInput([FieldError(None, None, "the batch is empty: send at least one row")])
        matrix = np.empty((len(rows), self.width), dtype=np.float32)
        errors: list[FieldError] = []
        unseen = 0
        unseen_features: set[str] = set()
        names = self._names
        converters = self._converters
        vocabularies = self._vocabularies
        for i, row in enumerate(rows):
            if not isinstance(row, Mapping):
                errors.append(
                    FieldError(i, None, f"a row must be an object of feature values, got {_describe(row)}")
                )
                continue
            out = matrix[i]
            missing = 0
            for j, name in enumerate(names):
                if name not in row:
                    errors.append(FieldError(i, name, "is missing; send null for an unknown value"))
                    missing += 1
                    continue
                value = row[name]
                try:
                    out[j] = converters[j](value)
                except _BadValue as bad:
                    errors.append(FieldError(i, name, bad.message))
                    continue
                vocabulary = vocabularies[j]
                if vocabulary is not None and isinstance(value, str) and value not in vocabulary:
                    unseen += 1
                    unseen_features.add(name)
            # Every feature present and no more keys than features means no unexpected key.
            if missing or len(row) != len(names):
                for key in row:
                    if key not in self._positions:
                        errors.append(FieldError(i, str(key), "is not a feature of this model"))
            if len(errors) >= _MAX_REPORTED_ERRORS:
                break
        if errors:
            raise InvalidInput(errors[:_MAX_REPORTED_ERRORS])
        if self._preprocess is not None:
            self._preprocess(matrix)
        return EncodedRows(matrix, unseen, tuple(sorted(unseen_features)))
