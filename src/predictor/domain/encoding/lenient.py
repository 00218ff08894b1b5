"""Rows read as ``mlflow models serve`` reads them: its server turns every body into a pandas
DataFrame and then enforces the model's signature, so it accepts more than predictor's strict
reading. Each function here turns what a client sent into one of the strict shapes
(``inputs``), and names every way it was more lenient than the strict reading (``Leniency``):

- columns that are not features are dropped (``EXTRA_COLUMN``);
- records missing a feature others have get ``null`` there (``MISSING_KEY``); a feature no
  record has is still missing, and refused;
- NaN is missing (``NAN``), as ``null`` is; for a numeric feature a boolean is 1 or 0
  (``BOOLEANS``) and a string is parsed as a number (``NUMBERS_AS_STRINGS``): ``LENIENT``
  values (``predictor.domain.encoding.values``), whose leniencies the encoding finds
  (``leniency.value_leniencies``) and reports in ``EncodedRows.leniencies``.

Rows in the strict shape pay a few checks per row at C speed; the rest of the work is done
only for a body that needs it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import chain
from operator import itemgetter
from typing import TypeGuard

from predictor.domain.encoding.column_inputs import Columns
from predictor.domain.encoding.leniency import Leniency
from predictor.domain.encoding.row_inputs import NamedRows, Records
from predictor.domain.encoding.values import ValueFormat
from predictor.domain.errors import FieldError, InputDoesNotFitSchema
from predictor.domain.schema import FeatureKind, FeatureSchema


def lenient_table(
    names: object,
    rows: object,
    schema: FeatureSchema,
    fmt: ValueFormat = ValueFormat.LENIENT,
) -> tuple[NamedRows, set[Leniency]]:
    """Named columns and rows as lists (``dataframe_split``, CSV): columns that are not features
    dropped, no row an empty batch, values read as ``fmt``."""
    found: set[Leniency] = set()
    if (
        not _is_names(names)
        or not isinstance(rows, list)
        or not all(isinstance(r, list | tuple) for r in rows)
    ):
        return NamedRows(names, rows, fmt), found
    features = set(schema.names)
    keep = [k for k, name in enumerate(names) if name in features]
    if len(keep) < len(names):
        found.add(Leniency.EXTRA_COLUMN)
        width = len(names)
        rows = [[row[k] for k in keep] if len(row) == width else row for row in rows]
        names = [names[k] for k in keep]
    if not rows:
        found.add(Leniency.EMPTY_DATA)
    return NamedRows(names, rows, fmt, empty_allowed=True), found


def _is_names(names: object) -> TypeGuard[list[str]]:
    return isinstance(names, list) and all(isinstance(name, str) for name in names)


def lenient_records(rows: object, schema: FeatureSchema) -> tuple[NamedRows | Records, set[Leniency]]:
    """Rows as objects by feature name (``dataframe_records``, ``instances``, ``inputs``): keys
    that are not features dropped, a feature some rows lack is null there."""
    if not isinstance(rows, list) or not rows:
        return Records(rows), set()
    not_objects = [
        FieldError(i, None, "a row must be an object of feature values")
        for i, row in enumerate(rows)
        if not isinstance(row, Mapping)
    ]
    if not_objects:
        raise InputDoesNotFitSchema(not_objects[:100])
    names = list(schema.names)
    table = _exact(rows, names)
    found: set[Leniency] = set()
    if table is None:
        keys = set(chain.from_iterable(rows))
        if not keys <= set(names):
            found.add(Leniency.EXTRA_COLUMN)
        names = [name for name in names if name in keys]
        if any(name not in row for row in rows for name in names):
            found.add(Leniency.MISSING_KEY)
        table = [[row.get(name) for name in names] for row in rows]
    return NamedRows(names, table, ValueFormat.LENIENT), found


def _exact(rows: list[Mapping[str, object]], names: list[str]) -> Sequence[Sequence[object]] | None:
    """The rows as tuples in ``names`` order when each has exactly those keys (at C speed)."""
    if any(len(row) != len(names) for row in rows):
        return None
    try:
        if len(names) == 1:
            return [(row[names[0]],) for row in rows]
        table: list[tuple[object, ...]] = list(map(itemgetter(*names), rows))
    except KeyError:
        return None
    return table


def lenient_columns(
    columns: Mapping[str, object], schema: FeatureSchema
) -> tuple[NamedRows | Records | Columns, set[Leniency]]:
    """``inputs`` as one object: of lists, the columns (as a table of rows, then as above); of
    scalars, one row (``SINGLE_ROW_INPUTS``; MLflow enforces its signature on the object as it
    is, so a key that is not a feature is refused there). Anything else: ``Columns``, whose
    encoding reports what is wrong with them."""
    values = list(columns.values())
    if values and not any(isinstance(v, list | dict) for v in values):
        unknown = [
            FieldError(None, str(key), "is not a feature of this model")
            for key in columns
            if key not in schema.names
        ]
        if unknown:
            raise InputDoesNotFitSchema(unknown)
        table, found = lenient_records([dict(columns)], schema)
        return table, found | {Leniency.SINGLE_ROW_INPUTS}
    lengths = {len(v) for v in values if isinstance(v, list)}
    if not values or not all(isinstance(v, list) for v in values) or len(lengths) != 1:
        return Columns(columns, ValueFormat.LENIENT), set()
    rows = list(zip(*values, strict=True))
    return lenient_table(list(columns), rows, schema)


_TRUTH = {"true": "1", "false": "0"}


def csv_booleans(table: NamedRows, schema: FeatureSchema) -> tuple[NamedRows, set[Leniency]]:
    """CSV cells ``True`` / ``False`` (any case) of numeric features as 1 and 0, as pandas reads
    them for a float column (``BOOLEANS``)."""
    names, rows = table.names, table.rows
    if not _is_names(names) or not isinstance(rows, list):
        return table, set()
    numeric = {f.name for f in schema.features if f.kind is FeatureKind.NUMERIC}
    columns = [k for k, name in enumerate(names) if name in numeric]
    found: set[Leniency] = set()
    for row in rows:
        for k in columns:
            if k < len(row) and row[k].lower() in _TRUTH:
                row[k] = _TRUTH[row[k].lower()]
                found.add(Leniency.BOOLEANS)
    return table, found
