"""Rows from a client -> a validated float32 matrix in schema order.

The encoder is compiled once per model (feature positions, category lookups, the fitted
imputation and scaling vectors) and then used on every request. Every bad field is
reported, with its row index, in one ``InvalidInput``; nothing else escapes ``encode``.
``RowEncoder.encode`` reads rows as objects by feature name; ``predictor.domain.encoding.inputs``
reads the other shapes clients send (a table of columns and rows, columns by name, a
numeric matrix) with the same converters, reporting the same way. Rows of plain finite
numbers take the fast path (``predictor.domain.encoding.plain``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter

import numpy as np

from predictor.domain.encoding.leniency import Leniency
from predictor.domain.encoding.plain import Matrix, plain_number_matrix
from predictor.domain.encoding.values import (
    BadValue,
    Converter,
    ValueFormat,
    categorical,
    categorical_lenient,
    categorical_text,
    category_code,
    describe,
    numeric,
    numeric_lenient,
    numeric_text,
)
from predictor.domain.errors import FieldError, InputDoesNotFitSchema, InvalidInput
from predictor.domain.schema import FeatureKind, FeatureSchema

MAX_REPORTED_ERRORS = 100


@dataclass(frozen=True, slots=True)
class EncodedRows:
    matrix: Matrix
    unseen_categories: int = 0
    # The features that received a category never seen in training (treated as missing).
    unseen_features: tuple[str, ...] = ()
    # How reading the values as ``ValueFormat.LENIENT`` was more lenient than JSON's reading.
    leniencies: frozenset[Leniency] = frozenset()


class RowEncoder:
    """Encodes JSON-like rows (``list[dict[str, value]]``) for one feature schema, then applies
    the schema's fitted preprocessing to the whole matrix at once."""

    def __init__(self, schema: FeatureSchema) -> None:
        self.schema = schema
        self._names = schema.names
        self._positions = {name: i for i, name in enumerate(self._names)}
        self._converters: dict[ValueFormat, list[Converter]] = {fmt: [] for fmt in ValueFormat}
        self._vocabularies: list[frozenset[str] | None] = []
        for feature in schema.features:
            if feature.kind is FeatureKind.CATEGORICAL:
                lookup = {c: float(i) for i, c in enumerate(feature.categories)}
                shown = ", ".join(repr(c) for c in feature.categories[:5])
                if len(feature.categories) > 5:
                    shown += ", …"
                self._converters[ValueFormat.JSON].append(categorical(lookup, shown))
                self._converters[ValueFormat.TEXT].append(categorical_text(lookup, shown))
                self._converters[ValueFormat.LENIENT].append(categorical_lenient(lookup, shown))
                self._converters[ValueFormat.CODES].append(category_code(len(feature.categories)))
                self._vocabularies.append(frozenset(feature.categories))
            else:
                self._converters[ValueFormat.JSON].append(numeric)
                self._converters[ValueFormat.TEXT].append(numeric_text)
                self._converters[ValueFormat.LENIENT].append(numeric_lenient)
                self._converters[ValueFormat.CODES].append(numeric)
                self._vocabularies.append(None)
        self._preprocess = schema.preprocessing.compile()
        self._all_numeric = all(v is None for v in self._vocabularies)
        self._getter = itemgetter(*self._names)

    def __reduce__(self) -> tuple[object, ...]:
        # Its converters are closures, which do not pickle: the copy compiles them again.
        return type(self), (self.schema,)

    @property
    def width(self) -> int:
        return len(self._names)

    @property
    def names(self) -> tuple[str, ...]:
        return self._names

    @property
    def positions(self) -> Mapping[str, int]:
        """Each feature's column in the matrix."""
        return self._positions

    def converters(self, fmt: ValueFormat) -> Sequence[Converter]:
        """One converter per feature, in schema order, for values in ``fmt``."""
        return self._converters[fmt]

    def is_unseen(self, position: int, value: object) -> bool:
        """Whether ``value`` is a category the feature at ``position`` never saw in training."""
        vocabulary = self._vocabularies[position]
        return vocabulary is not None and isinstance(value, str) and value != "" and value not in vocabulary

    def finish(self, matrix: Matrix, errors: list[FieldError], unseen: Mapping[str, int]) -> EncodedRows:
        """Raise ``InvalidInput`` for ``errors``, else apply the fitted preprocessing in place."""
        if errors:
            raise InvalidInput(errors[:MAX_REPORTED_ERRORS])
        if self._preprocess is not None:
            self._preprocess(matrix)
        return EncodedRows(matrix, sum(unseen.values()), tuple(sorted(unseen)))

    def encode(self, rows: object) -> EncodedRows:
        """Encode ``rows`` or raise ``InvalidInput`` listing every bad field."""
        plain = self._plain_numbers(rows)
        if plain is not None:
            return self.finish(plain, [], {})
        return self._encode_checked(rows)

    def _plain_numbers(self, rows: object) -> Matrix | None:
        """The common case at C speed: a non-empty list of rows that each hold exactly the
        (all numeric) features as finite ints or floats. Anything else (null, a category, a
        wrong or missing key, a string, a boolean) returns None and takes the checking path,
        which reports the bad fields; both paths give the same matrix (a property test says so).
        """
        if not self._all_numeric or not isinstance(rows, list) or not rows:
            return None
        getter, width = self._getter, self.width
        try:
            values = [getter(row) for row in rows]
            exact_keys = all(len(row) == width for row in rows)
        except (KeyError, TypeError, IndexError):
            return None
        if width == 1:
            values = [(value,) for value in values]
        return plain_number_matrix(values) if exact_keys else None

    def plain_table(self, rows: object) -> Matrix | None:
        """The fast path for rows given as lists of values (columns in some given order): the
        matrix of plain finite numbers, in the rows' own column order, or None."""
        if not self._all_numeric or not isinstance(rows, list) or not rows:
            return None
        width = self.width
        if not all(type(row) in (list, tuple) and len(row) == width for row in rows):
            return None
        return plain_number_matrix(rows)

    def _encode_checked(self, rows: object) -> EncodedRows:  # noqa: C901  # one flat loop, for speed (benchmarks/)
        """Value by value, collecting every bad field with its row index."""
        rows = _checked_batch(rows)
        matrix = np.empty((len(rows), self.width), dtype=np.float32)
        errors: list[FieldError] = []
        unseen: dict[str, int] = {}
        names = self._names
        converters = self._converters[ValueFormat.JSON]
        vocabularies = self._vocabularies
        for i, row in enumerate(rows):
            if not isinstance(row, Mapping):
                errors.append(
                    FieldError(i, None, f"a row must be an object of feature values, got {describe(row)}")
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
                except BadValue as bad:
                    errors.append(FieldError(i, name, bad.message))
                    continue
                vocabulary = vocabularies[j]
                if vocabulary is not None and isinstance(value, str) and value not in vocabulary:
                    unseen[name] = unseen.get(name, 0) + 1
            # Every feature present and no more keys than features means no unexpected key.
            if missing or len(row) != len(names):
                for key in row:
                    if key not in self._positions:
                        errors.append(FieldError(i, str(key), "is not a feature of this model"))
            if len(errors) >= MAX_REPORTED_ERRORS:
                break
        return self.finish(matrix, errors, unseen)


def _checked_batch(rows: object) -> Sequence[object]:
    """``rows`` if it is a non-empty list of rows, else the ``InvalidInput`` saying what it is not."""
    if not isinstance(rows, Sequence) or isinstance(rows, str | bytes):
        raise InvalidInput(
            [FieldError(None, None, "rows must be a list of objects mapping feature names to values")]
        )
    if len(rows) == 0:
        raise InputDoesNotFitSchema([FieldError(None, None, "the batch is empty: send at least one row")])
    return rows
