"""The request bodies of ``/predict``, ``/v1/explain`` and ``/invocations`` as JSON Schema (and
the pieces ``infer_body.py`` shares for the Open Inference Protocol's), written from the served
model's feature schema when the OpenAPI document is rendered (``openapi.py`` adds them as
components); never on the serving path.

Each says what the route accepts for that model: every feature required, numbers (within 32-bit
float range) or null for a numeric one, a string or null for a categorical one (the vocabulary
listed; a category never seen in training is read as missing), no other key; the options
(``parameters``, ``params``) that mean something for the model's task. Before a model is
loaded, the bodies are the protocols' envelopes only.

JSON Schema cannot tie one value to another, so some shapes are described in part, and their
descriptions say so: MLflow's ``dataframe_split`` with its columns in schema order (any order
is read) and its column form with one value per column (any equal length is read); CSV with
its header in schema order (and no bound on its rows in the pattern: a bounded repetition of a
row is more than the regular expression engines compile).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from predictor.domain.encoding.values import FLOAT32_MAX
from predictor.domain.schema import Feature, FeatureKind, FeatureSchema, TaskType
from predictor.entrypoints.http.csv_body import csv_body

JSON = "application/json"
CSV = "text/csv"
Schema = dict[str, Any]


@dataclass(frozen=True)
class ServedInputs:
    """What the served model reads (None before one is loaded) and how many rows a request may hold."""

    schema: FeatureSchema | None
    example: Mapping[str, Any] | None
    max_rows: int
    name: str = ""  # the served model's name and version, which a V2 body may repeat
    version: str | None = None


def value_schema(feature: Feature) -> Schema:
    if feature.kind is FeatureKind.NUMERIC:
        return {"type": ["number", "null"], "minimum": -FLOAT32_MAX, "maximum": FLOAT32_MAX}
    return {
        "anyOf": [
            {"enum": list(feature.categories), "description": "a category the model was trained on"},
            {"type": "string", "description": "any other category: read as missing"},
            {"type": "null"},
        ]
    }


def options(task: TaskType | None, *, closed: bool = True) -> Schema:
    """``parameters`` / ``params``: ``output`` and, for binary classifiers, ``threshold``."""
    if task is TaskType.REGRESSION:
        outputs = ["both"]
        described = "A regression model answers a value per row; only `both` (or null) is taken."
    else:
        outputs = ["label", "probabilities", "both"]
        described = "What each row answers with."
    properties: Schema = {"output": {"enum": [*outputs, None], "description": described}}
    if task in (None, TaskType.BINARY):
        properties["threshold"] = {
            "type": ["number", "null"],
            "exclusiveMinimum": 0,
            "exclusiveMaximum": 1,
            "description": "Binary classifiers only: a row is labelled positive when P(positive) >= "
            "threshold (default PREDICTOR_DECISION_THRESHOLD).",
        }
    schema: Schema = {"type": ["object", "null"], "properties": properties}
    if closed:
        schema["additionalProperties"] = False
    else:
        schema["description"] = "Other request parameters (extensions) are ignored."
    return schema


def _row(schema: FeatureSchema | None) -> Schema:
    if schema is None:
        return {"type": "object", "additionalProperties": {"type": ["number", "string", "null"]}}
    return {
        "type": "object",
        "properties": {feature.name: value_schema(feature) for feature in schema.features},
        "required": list(schema.names),
        "additionalProperties": False,
        "description": "A row: every feature of the model (null for an unknown value), and no other key.",
    }


def _rows(inputs: ServedInputs, item: Schema) -> Schema:
    return {"type": "array", "items": item, "minItems": 1, "maxItems": inputs.max_rows}


def _listed(schema: FeatureSchema | None) -> Schema:
    """A row as a list of values in schema order."""
    if schema is None:
        return {"type": "array", "items": {"type": ["number", "string", "null"]}}
    width = len(schema.features)
    return {
        "type": "array",
        "prefixItems": [value_schema(feature) for feature in schema.features],
        "minItems": width,
        "maxItems": width,
    }


def closed_object(properties: Schema, required: Sequence[str]) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def media(schema: Schema, example: object | None) -> Schema:
    """A media type object: the schema, and the example when there is one."""
    described: Schema = {"schema": schema}
    if example is not None:
        described["example"] = example
    return described


def predict(inputs: ServedInputs) -> Schema:
    """``/predict``: ``instances`` (rows as objects) and ``parameters``."""
    task = inputs.schema.target.task if inputs.schema is not None else None
    body = closed_object(
        {"instances": _rows(inputs, _row(inputs.schema)), "parameters": options(task)}, ["instances"]
    )
    example = {"instances": [dict(inputs.example)]} if inputs.example is not None else None
    return {"required": True, "content": {JSON: media(body, example)}}


def explain(inputs: ServedInputs) -> Schema:
    """``/v1/explain``: ``instances`` only."""
    body = closed_object({"instances": _rows(inputs, _row(inputs.schema))}, ["instances"])
    example = {"instances": [dict(inputs.example)]} if inputs.example is not None else None
    return {"required": True, "content": {JSON: media(body, example)}}


def _columns(schema: FeatureSchema | None) -> Schema:
    if schema is None:
        return {"type": "object", "additionalProperties": {"type": "array"}}
    one_value = {
        f.name: {"type": "array", "items": value_schema(f), "minItems": 1, "maxItems": 1}
        for f in schema.features
    }
    return {
        **closed_object(one_value, schema.names),
        "description": "Columns: every feature's values, all lists of one length (described here "
        "with one value each).",
    }


def invocations(inputs: ServedInputs) -> Schema:
    """``/invocations``: exactly one of MLflow's four input formats, and ``params``; or CSV."""
    schema = inputs.schema
    task = schema.target.task if schema is not None else None
    rows = _rows(inputs, _row(schema))
    table = _rows(inputs, _listed(schema))
    columns = (
        {"const": list(schema.names)}
        if schema is not None
        else {"type": "array", "items": {"type": "string"}}
    )
    split = {
        **closed_object(
            {"columns": {"anyOf": [columns, {"type": "null"}]}, "data": table, "index": {}}, ["data"]
        ),
        "description": "The columns are the feature names, each once, in any order (described here in "
        "schema order); without them, the data is in schema order. The index is ignored.",
    }
    instances = {"anyOf": [rows, table, _columns(schema)]}
    formats = {
        "dataframe_split": split,
        "dataframe_records": rows,
        "instances": instances,
        "inputs": instances,
    }
    params = options(task)
    body = {
        "oneOf": [
            closed_object({name: format_, "params": params}, [name]) for name, format_ in formats.items()
        ]
    }
    content = {JSON: media(body, _split_example(inputs)), CSV: csv_body(inputs)}
    return {"required": True, "content": content}


def _split_example(inputs: ServedInputs) -> object | None:
    if inputs.schema is None or inputs.example is None:
        return None
    names = list(inputs.schema.names)
    return {"dataframe_split": {"columns": names, "data": [[inputs.example.get(n) for n in names]]}}
