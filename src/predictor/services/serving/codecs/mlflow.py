"""MLflow's scoring protocol (``mlflow models serve``): request bodies -> model input, and the
``{"predictions": [...]}`` answer.

JSON bodies carry exactly one of ``dataframe_split`` (``columns``, ``data``, optional
``index``), ``dataframe_records`` (rows as objects), ``instances`` or ``inputs`` (rows as
objects, rows as lists in schema order, or columns as an object of lists), plus optional
``params`` (``output``, ``threshold``). CSV bodies are a header line of feature names and one
line per row, read with the standard library (no pandas on the serving path).
"""

from __future__ import annotations

import csv
import io
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import orjson

from predictor.domain.encoding.inputs import Columns, ModelInput, NamedRows, Records
from predictor.domain.encoding.values import ValueFormat
from predictor.domain.errors import FieldError, InvalidInput
from predictor.domain.options import Output, PredictionOptions
from predictor.domain.schema import FeatureSchema, TaskType
from predictor.services.serving.codecs.base import Decoded, Encoded, Reader
from predictor.services.serving.codecs.json_body import decode_object, invalid, kind
from predictor.services.serving.prediction import PredictionResult

if TYPE_CHECKING:
    from predictor.services.serving.core import InferenceRequest

JSON = "application/json"
CSV = "text/csv"

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
PARAMS = "params"
HINT = 'send {"dataframe_split": {"columns": [...], "data": [[...]]}} or another MLflow input format'


def _rows_or_columns(data: object) -> ModelInput:
    if isinstance(data, dict):
        return Columns(data)
    if isinstance(data, list) and data and all(isinstance(row, list) for row in data):
        return NamedRows(None, data)
    return Records(data)


def _split(data: object) -> ModelInput:
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
    return NamedRows(data.get("columns"), data["data"])


def parse_json(body: bytes) -> tuple[ModelInput, object]:
    """The model input and the ``params`` (None when absent) of a JSON scoring request."""
    document = decode_object(body, HINT)
    present = [key for key in document if key in FORMATS]
    unexpected = [key for key in document if key not in FORMATS and key != PARAMS]
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
    (name,) = present
    data = document[name]
    if name == "dataframe_split":
        return _split(data), document.get(PARAMS)
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


def predictions(result: PredictionResult) -> list[object]:
    """What ``mlflow models serve`` answers for this model when no ``output`` is asked for:
    P(positive class) per row (binary), every class's probability per row in label order
    (multiclass), the value (regression); else labels, probability lists or /predict's objects."""
    output = result.options.output
    if output is None:
        values: list[object] = result.scores.astype(np.float64).tolist()
        return values
    if output is Output.LABEL:
        return list(result.labels())
    if output is Output.PROBABILITIES:
        return list(result.probabilities().tolist())
    if result.target.task is TaskType.REGRESSION:
        return [float(v) for v in result.scores.tolist()]
    return [prediction.as_dict() for prediction in result.predictions]


def read_invocation(media: str, body: bytes, schema: FeatureSchema | None) -> Decoded:
    """The rows of a CSV or JSON body, and the options of a JSON one."""
    if media == CSV:
        return Decoded(parse_csv(body), PredictionOptions(), PARAMS)
    batch, params = parse_json(body)
    return Decoded(batch, PredictionOptions.parse(params, PARAMS), PARAMS)


class MlflowCodec:
    """``POST /invocations``: MLflow's scoring input (JSON or CSV) in, ``{"predictions": ...}`` out."""

    content_types: tuple[str, ...] = (JSON, CSV)

    def decode(self, request: InferenceRequest, media: str) -> Reader:
        return partial(read_invocation, media)

    def encode(self, result: PredictionResult, decoded: Decoded, request_id: str) -> Encoded:
        return Encoded(orjson.dumps({"predictions": predictions(result)}))
