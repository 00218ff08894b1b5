"""MLflow's scoring protocol read as ``mlflow models serve`` reads it (the default on
/invocations; ``PREDICTOR_INVOCATIONS_STRICT=true`` keeps the strict reading of ``mlflow``).

Its server reads every body into a pandas DataFrame and then enforces the signature, so it
accepts, with these meanings, what the strict reading refuses:

- NaN (the bare token ``json.dumps`` writes) is missing, as ``null`` is;
- columns and record keys that are not features are ignored, as are top-level keys beside the
  one input format and ``params`` that are not predictor's (``output``, ``threshold``);
- a record missing a feature another record has is missing there;
- numbers sent as strings are numbers; booleans are 1 and 0;
- ``inputs`` as one object of scalars is one row;
- ``dataframe_split`` with columns and no data (and a CSV header alone) predicts no row;
- CSV written by ``DataFrame.to_csv()`` keeps its index as an unnamed first column: ignored;
- Parquet bodies (``application/vnd.apache.parquet``) are read through a ``TableReader``.

What it refuses stays refused (a feature no row has, no row in records, a value that is not a
number). Every reading names the leniencies it relied on: the body's shape in
``Decoded.leniencies``, its values in ``EncodedRows.leniencies``; the serving core counts and
logs both.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from predictor.domain.encoding.inputs import Columns, ModelInput, NamedRows, Records
from predictor.domain.encoding.leniency import Leniency
from predictor.domain.encoding.lenient import csv_booleans, lenient_columns, lenient_records, lenient_table
from predictor.domain.encoding.values import ValueFormat
from predictor.domain.errors import FieldError, InputDoesNotFitSchema
from predictor.domain.options import PredictionOptions
from predictor.domain.ports import TableReader
from predictor.domain.schema import FeatureKind, FeatureSchema
from predictor.services.serving.codecs.base import Decoded
from predictor.services.serving.codecs.json_body import decode_object
from predictor.services.serving.codecs.mlflow_json import (
    FORMATS,
    HINT,
    PARAMS,
    format_of,
    split_table,
)

_OPTIONS = ("output", "threshold")


def _options(params: object) -> tuple[PredictionOptions, set[Leniency]]:
    """predictor's own ``params`` read as the strict reading does; anything else ignored."""
    if params is None:
        return PredictionOptions(), set()
    if not isinstance(params, Mapping):
        return PredictionOptions(), {Leniency.UNKNOWN_PARAMS}
    found = {Leniency.UNKNOWN_PARAMS} if any(key not in _OPTIONS for key in params) else set()
    return PredictionOptions.parse(params, PARAMS, strict=False), found


def _batch(name: str, data: object, schema: FeatureSchema) -> tuple[ModelInput, set[Leniency]]:
    if name == "dataframe_split":
        names, rows = split_table(data)
        return lenient_table(names, rows, schema)
    if name == "dataframe_records" or (isinstance(data, list) and any(isinstance(r, dict) for r in data)):
        return lenient_records(data, schema)
    if isinstance(data, Mapping):
        return lenient_columns(data, schema)
    if isinstance(data, list) and data and all(isinstance(row, list) for row in data):
        return NamedRows(None, data), set()  # rows as lists in schema order: predictor's own reading
    return Records(data), set()


def read_json(body: bytes, schema: FeatureSchema) -> Decoded:
    """A JSON scoring request, read leniently for ``schema``."""
    document = decode_object(body, HINT)
    name = format_of(document, unexpected_allowed=True)
    found = {Leniency.UNKNOWN_KEY} if any(k not in FORMATS and k != PARAMS for k in document) else set()
    options, more = _options(document.get(PARAMS))
    batch, from_rows = _batch(name, document[name], schema)
    return Decoded(batch, options, PARAMS, leniencies=frozenset(found | more | from_rows))


def read_csv(table: NamedRows, schema: FeatureSchema, booleans: bool = True) -> Decoded:
    """A CSV body's header and rows (``parse_csv``), read leniently for ``schema``;
    ``booleans``: whether the body may hold a ``True`` or ``False`` cell at all."""
    names, rows = table.names, table.rows
    found: set[Leniency] = set()
    if isinstance(names, list) and names and names[0] == "" and isinstance(rows, list):
        found.add(Leniency.CSV_INDEX)
        names, rows = names[1:], [row[1:] for row in rows]
    batch, more = lenient_table(names, rows, schema, ValueFormat.TEXT)
    if booleans:
        batch, truths = csv_booleans(batch, schema)
        more |= truths
    return Decoded(batch, PredictionOptions(), PARAMS, leniencies=frozenset(found | more))


def read_parquet(tables: TableReader, body: bytes, schema: FeatureSchema | None) -> Decoded:
    """A Parquet body's columns; those that are not features ignored. Its types are kept: a
    numeric feature must be a column of numbers (MLflow's signature check refuses others)."""
    columns = dict(tables.read(body))
    found = {Leniency.PARQUET}
    if schema is not None:
        features = set(schema.names)
        if not features.issuperset(columns):
            found.add(Leniency.EXTRA_COLUMN)
            columns = {name: values for name, values in columns.items() if name in features}
        _refuse_columns_of_other_types(columns, schema)
    batch = Columns(columns, ValueFormat.JSON, empty_allowed=True)
    if batch.size == 0:
        found.add(Leniency.EMPTY_DATA)
    return Decoded(batch, PredictionOptions(), PARAMS, leniencies=frozenset(found))


def _refuse_columns_of_other_types(columns: Mapping[str, object], schema: FeatureSchema) -> None:
    wrong = [
        FieldError(None, f.name, "must be a column of numbers (an integer or floating-point Parquet type)")
        for f in schema.features
        if f.kind is FeatureKind.NUMERIC and f.name in columns and not isinstance(columns[f.name], np.ndarray)
    ]
    if wrong:
        raise InputDoesNotFitSchema(wrong)
