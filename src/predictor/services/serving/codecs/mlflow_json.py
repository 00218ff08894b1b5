"""MLflow's scoring request bodies read strictly: JSON and CSV -> model input.

JSON bodies carry exactly one of ``dataframe_split`` (``columns``, ``data``, optional
``index``), ``dataframe_records`` (rows as objects), ``instances`` or ``inputs`` (rows as
objects, rows as lists in schema order, or columns as an object of lists), plus optional
``params`` (``output``, ``threshold``). CSV bodies are a header line of feature names and one
line per row, read with the standard library (no pandas on the serving path).
"""

from __future__ import annotations

import csv
import io

from predictor.domain.encoding.inputs import Columns, ModelInput, NamedRows, Records
from predictor.domain.encoding.values import ValueFormat
from predictor.domain.errors import FieldError, InvalidInput
from predictor.services.serving.codecs.json_body import decode_object, invalid, kind

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
PARAMS = "params"
HINT = 'send {"dataframe_split": {"columns": [...], "data": [[...]]}} or another MLflow input format'


def _rows_or_columns(data: object) -> ModelInput:
    if isinstance(data, dict):
        return Columns(data)
    if isinstance(data, list) and data and all(isinstance(row, list) for row in data):
        return NamedRows(None, data)
    return Records(data)


def split_table(data: object) -> tuple[object, object]:
    """The ``columns`` (None when absent) and ``data`` of a ``dataframe_split``."""
    if not isinstance(data, dict):
        raise invalid(f"must be an object with columns and data, got {kind(data)}", "dataframe_split")
    unexpected = [key for key in data if key not in ("columns", "data", "index")]
    if unexpected:
        raise InvalidInput(
            [
                FieldError(None, f"dataframe_split.{key}", 'is not a field; use "columns", "data", "index"')
                for key in unexpected
            ]
        )
    if "data" not in data:
        raise invalid("is required: a list of rows, each a list of values", "dataframe_split.data")
    return data.get("columns"), data["data"]


def format_of(document: dict[str, object], unexpected_allowed: bool = False) -> str:
    """The one input format the body names; ``InvalidInput`` for none, several, or (unless
    ``unexpected_allowed``) a key that is neither a format nor ``params``."""
    present = [key for key in document if key in FORMATS]
    unexpected = [] if unexpected_allowed else [k for k in document if k not in FORMATS and k != PARAMS]
    if len(present) != 1 or unexpected:
        choices = ", ".join(f'"{name}"' for name in FORMATS)
        errors = [
            FieldError(None, str(key), f"is not part of a scoring request; send one of {choices}")
            for key in unexpected
        ]
        if len(present) != 1:
            found = f"got {len(present)}: {', '.join(present)}" if present else "got none"
            errors.insert(0, FieldError(None, None, f"send exactly one of {choices} ({found})"))
        raise InvalidInput(errors)
    return present[0]


def parse_json(body: bytes) -> tuple[ModelInput, object]:
    """The model input and the ``params`` (None when absent) of a JSON scoring request."""
    document = decode_object(body, HINT)
    name = format_of(document)
    data = document[name]
    if name == "dataframe_split":
        return NamedRows(*split_table(data)), document.get(PARAMS)
    if name == "dataframe_records":
        return Records(data), document.get(PARAMS)
    return _rows_or_columns(data), document.get(PARAMS)


def parse_csv(body: bytes) -> NamedRows:
    """A header line of feature names, then one line per row; blank lines are skipped."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise invalid("the CSV body is not UTF-8 text") from None
    try:
        lines = [line for line in csv.reader(io.StringIO(text, newline=""), strict=True) if line]
    except csv.Error as exc:
        raise invalid(f"the body is not valid CSV: {exc}") from None
    if not lines:
        raise invalid("the CSV body is empty; send a header line of feature names, then one line per row")
    return NamedRows(lines[0], lines[1:], ValueFormat.TEXT)
