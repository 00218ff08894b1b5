"""The request bodies of the prediction routes as JSON Schema, written from the served model's
feature schema when the OpenAPI document is rendered (``openapi.py``); never on the serving path.

Each says what the route accepts for that model: every feature required, numbers (within 32-bit
float range) or null for a numeric one, a string or null for a categorical one (the vocabulary
listed; a category never seen in training is read as missing), no other key; the options
(``parameters``, ``params``) that mean something for the model's task. Before a model is
loaded, the bodies are the protocols' envelopes only.

JSON Schema cannot tie one value to another, so three shapes are described in part, and their
descriptions say so: MLflow's ``dataframe_split`` with its columns in schema order (any order
is read) and its column form with one value per column (any equal length is read); CSV with
its header in schema order; Open Inference Protocol tensors of one row (``shape`` is not tied
to the length of ``data``) with per-feature tensors in schema order.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from predictor.domain.schema import Feature, FeatureKind, FeatureSchema, TaskType
from predictor.domain.values import FLOAT32_MAX
from predictor.entrypoints.http.inference_protocol import DATATYPES, output_names

JSON = "application/json"
CSV = "text/csv"
# Float datatypes: their values are read as any JSON number (integer datatypes want integers
# within their range, which the per-feature tensors below leave out).
FLOAT_DATATYPES = ["FP32", "FP64", "FP16"]
Schema = dict[str, Any]


@dataclass(frozen=True)
class ServedInputs:
    """What the served model reads (None before one is loaded) and how many rows a request may hold."""

    schema: FeatureSchema | None
    example: Mapping[str, Any] | None
    max_rows: int


def _value(feature: Feature) -> Schema:
    if feature.kind is FeatureKind.NUMERIC:
        return {"type": ["number", "null"], "minimum": -FLOAT32_MAX, "maximum": FLOAT32_MAX}
    return {
        "anyOf": [
            {"enum": list(feature.categories), "description": "a category the model was trained on"},
            {"type": "string", "description": "any other category: read as missing"},
            {"type": "null"},
        ]
    }


def _code(feature: Feature) -> Schema:
    """A value of a numeric matrix (V2): a category as its position in the vocabulary."""
    if feature.kind is FeatureKind.NUMERIC:
        return _value(feature)
    last = len(feature.categories) - 1
    return {"type": ["integer", "null"], "minimum": 0, "maximum": last}


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
        "properties": {feature.name: _value(feature) for feature in schema.features},
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
        "prefixItems": [_value(feature) for feature in schema.features],
        "minItems": width,
        "maxItems": width,
    }


def _object(properties: Schema, required: Sequence[str]) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def _json(schema: Schema, example: object | None) -> Schema:
    media: Schema = {"schema": schema}
    if example is not None:
        media["example"] = example
    return media


def predict(inputs: ServedInputs) -> Schema:
    """``/predict``: ``instances`` (rows as objects) and ``parameters``."""
    task = inputs.schema.target.task if inputs.schema is not None else None
    body = _object(
        {"instances": _rows(inputs, _row(inputs.schema)), "parameters": options(task)}, ["instances"]
    )
    example = {"instances": [dict(inputs.example)]} if inputs.example is not None else None
    return {"required": True, "content": {JSON: _json(body, example)}}


def explain(inputs: ServedInputs) -> Schema:
    """``/v1/explain``: ``instances`` only."""
    body = _object({"instances": _rows(inputs, _row(inputs.schema))}, ["instances"])
    example = {"instances": [dict(inputs.example)]} if inputs.example is not None else None
    return {"required": True, "content": {JSON: _json(body, example)}}


def _columns(schema: FeatureSchema | None) -> Schema:
    if schema is None:
        return {"type": "object", "additionalProperties": {"type": "array"}}
    one_value = {
        f.name: {"type": "array", "items": _value(f), "minItems": 1, "maxItems": 1} for f in schema.features
    }
    return {
        **_object(one_value, schema.names),
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
        **_object({"columns": {"anyOf": [columns, {"type": "null"}]}, "data": table, "index": {}}, ["data"]),
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
        "oneOf": [_object({name: format_, "params": params}, [name]) for name, format_ in formats.items()]
    }
    content = {JSON: _json(body, _split_example(inputs)), CSV: _csv(inputs)}
    return {"required": True, "content": content}


def _split_example(inputs: ServedInputs) -> object | None:
    if inputs.schema is None or inputs.example is None:
        return None
    names = list(inputs.schema.names)
    return {"dataframe_split": {"columns": names, "data": [[inputs.example.get(n) for n in names]]}}


# A CSV cell: a number in plain or exponent notation within 32-bit float range (mantissa below
# 10, positive exponent at most 37), or nothing (missing); a category: any text, quoted when it
# holds a comma, a quote or a line break, or nothing.
_DECIMAL = r"[0-9]{1,17}(?:\.[0-9]{1,17})?"
_SCIENTIFIC = r"[0-9](?:\.[0-9]{1,17})?e(?:-[0-9]{1,3}|\+?(?:[0-2]?[0-9]|3[0-7]))"
_NUMBER = f"-?(?:{_DECIMAL}|{_SCIENTIFIC})"
_CATEGORY = r'[^,"\r\n\x00]+|"(?:[^"\x00]|"")*"'
_REGEX_SYNTAX = frozenset("^$\\.*+?()[]{}|/")


def _csv_field(text: str) -> str:
    """``text`` as one CSV field (quoted when it must be), as a regular expression."""
    if any(c in text for c in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return "".join("\\" + c if c in _REGEX_SYNTAX else c for c in text)


def _csv_line(values: Sequence[object]) -> str:
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow("" if value is None else value for value in values)
    return line.getvalue()


def _csv(inputs: ServedInputs) -> Schema:
    schema = inputs.schema
    if schema is None:
        return {
            "schema": {
                "type": "string",
                "description": "A header line of feature names, then one line per row.",
            }
        }
    header = ",".join(_csv_field(name) for name in schema.names)
    cells = [_NUMBER if f.kind is FeatureKind.NUMERIC else _CATEGORY for f in schema.features]
    # An empty cell is missing; but a blank line is skipped, so a one-feature row is never empty.
    optional = "" if len(cells) == 1 else "?"
    row = ",".join(f"(?:{cell}){optional}" for cell in cells)
    pattern = rf"^{header}(?:\r?\n{row})+(?:\r?\n)?$"
    media: Schema = {
        "schema": {
            "type": "string",
            "pattern": pattern,
            "description": "A header line of the feature names, each once, in any order (described here in "
            "schema order), then one line per row, at most "
            f"{inputs.max_rows} (PREDICTOR_MAX_ROWS; the pattern leaves the bound out). An empty cell "
            "is missing; so is `NaN` in a numeric column.",
        }
    }
    if inputs.example is not None:
        values = [inputs.example.get(name) for name in schema.names]
        media["example"] = _csv_line(schema.names) + _csv_line(values)
    return media


def _feature_tensor(feature: Feature) -> Schema:
    datatypes = FLOAT_DATATYPES if feature.kind is FeatureKind.NUMERIC else ["BYTES"]
    return {
        "type": "object",
        "properties": {
            "name": {"const": feature.name},
            "shape": {"enum": [[1], [1, 1]]},
            "datatype": {"enum": datatypes},
            "data": {"type": "array", "items": _value(feature), "minItems": 1, "maxItems": 1},
        },
        "required": ["name", "shape", "datatype", "data"],
    }


def _tensors(schema: FeatureSchema | None) -> Schema:
    if schema is None:
        tensor = {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
                "datatype": {"enum": sorted(DATATYPES)},
                "data": {"type": "array"},
            },
            "required": ["name", "shape", "datatype", "data"],
        }
        return {"type": "array", "items": tensor, "minItems": 1}
    width = len(schema.features)
    per_feature = {
        "type": "array",
        "prefixItems": [_feature_tensor(feature) for feature in schema.features],
        "minItems": width,
        "maxItems": width,
        "description": "One tensor per feature, named after it, in any order (described here in schema "
        "order), of shape [rows] or [rows, 1] (described here with one row). A numeric feature may "
        "also come as an integer datatype (INT8 … UINT64) holding integers within its range.",
    }
    matrix = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "not": {"enum": list(schema.names)}},
            "shape": {"const": [1, width]},
            "datatype": {"enum": FLOAT_DATATYPES},
            "data": {
                "type": "array",
                "prefixItems": [_code(feature) for feature in schema.features],
                "minItems": width,
                "maxItems": width,
            },
        },
        "required": ["name", "shape", "datatype", "data"],
    }
    one_matrix = {
        "type": "array",
        "prefixItems": [matrix],
        "minItems": 1,
        "maxItems": 1,
        "description": "One numeric tensor of any other name, shape [rows, features] (described here with "
        "one row), in schema order; categories as their position in the vocabulary.",
    }
    return {"anyOf": [per_feature, one_matrix]}


def infer(inputs: ServedInputs) -> Schema:
    """``/v2/models/{name}/infer``: tensors, ``parameters``, ``outputs`` and ``id``."""
    schema = inputs.schema
    task = schema.target.task if schema is not None else None
    names = list(output_names(task)) if task is not None else ["label", "probabilities", "value"]
    outputs = {
        "type": ["array", "null"],
        "items": {"type": "object", "properties": {"name": {"enum": names}}, "required": ["name"]},
    }
    properties = {
        "id": {"type": ["string", "null"], "description": "Echoed in the answer (default: the request id)."},
        "parameters": options(task, closed=False),
        "inputs": _tensors(schema),
        "outputs": outputs,
    }
    body = _object(properties, ["inputs"])
    return {"required": True, "content": {JSON: _json(body, _infer_example(inputs))}}


def _infer_example(inputs: ServedInputs) -> object | None:
    schema, example = inputs.schema, inputs.example
    if schema is None or example is None:
        return None
    tensors = [
        {
            "name": feature.name,
            "shape": [1],
            "datatype": "FP32" if feature.kind is FeatureKind.NUMERIC else "BYTES",
            "data": [example.get(feature.name)],
        }
        for feature in schema.features
    ]
    return {"inputs": tensors}


BODIES = {"predict": predict, "explain": explain, "invocations": invocations, "infer": infer}
