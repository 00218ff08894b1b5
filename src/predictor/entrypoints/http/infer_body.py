"""The request body of the Open Inference Protocol's ``infer`` as JSON Schema, written from the
served model's feature schema when the OpenAPI document is rendered (``openapi.py`` adds it as a
component); the other prediction routes' bodies are in ``request_bodies.py``.

Tensors are described with one row (``shape`` cannot be tied to the length of ``data``), the
per-feature ones in schema order and of a float datatype; their descriptions say what else is read.
"""

from __future__ import annotations

from predictor.domain.schema import Feature, FeatureKind, FeatureSchema
from predictor.entrypoints.http.request_bodies import (
    JSON,
    Schema,
    ServedInputs,
    closed_object,
    media,
    options,
    value_schema,
)
from predictor.services.serving.codecs.v2 import DATATYPES, output_names

# Float datatypes: their values are read as any JSON number (integer datatypes want integers
# within their range, which the per-feature tensors below leave out).
FLOAT_DATATYPES = ["FP32", "FP64", "FP16"]


def _code(feature: Feature) -> Schema:
    """A value of a numeric matrix (V2): a category as its position in the vocabulary."""
    if feature.kind is FeatureKind.NUMERIC:
        return value_schema(feature)
    last = len(feature.categories) - 1
    return {"type": ["integer", "null"], "minimum": 0, "maximum": last}


def _feature_tensor(feature: Feature) -> Schema:
    datatypes = FLOAT_DATATYPES if feature.kind is FeatureKind.NUMERIC else ["BYTES"]
    return {
        "type": "object",
        "properties": {
            "name": {"const": feature.name},
            "shape": {"enum": [[1], [1, 1]]},
            "datatype": {"enum": datatypes},
            "data": {"type": "array", "items": value_schema(feature), "minItems": 1, "maxItems": 1},
        },
        "required": ["name", "shape", "datatype", "data"],
    }


def _any_tensors() -> Schema:
    """Before a model is loaded: tensors of any name, shape and datatype."""
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


def _per_feature(schema: FeatureSchema) -> Schema:
    width = len(schema.features)
    return {
        "type": "array",
        "prefixItems": [_feature_tensor(feature) for feature in schema.features],
        "minItems": width,
        "maxItems": width,
        "description": "One tensor per feature, named after it, in any order (described here in schema "
        "order), of shape [rows] or [rows, 1] (described here with one row). A numeric feature may "
        "also come as an integer datatype (INT8 … UINT64) holding integers within its range.",
    }


def _one_matrix(schema: FeatureSchema) -> Schema:
    width = len(schema.features)
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
    return {
        "type": "array",
        "prefixItems": [matrix],
        "minItems": 1,
        "maxItems": 1,
        "description": "One numeric tensor of any other name, shape [rows, features] (described here with "
        "one row), in schema order; categories as their position in the vocabulary.",
    }


def _tensors(schema: FeatureSchema | None) -> Schema:
    if schema is None:
        return _any_tensors()
    return {"anyOf": [_per_feature(schema), _one_matrix(schema)]}


def infer(inputs: ServedInputs) -> Schema:
    """``/v2/models/{name}/infer``: tensors, ``parameters``, ``outputs``, ``id`` and the model's name."""
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
        "model_name": {"const": inputs.name, "description": "When sent (KServe's client does): the path's."},
        "model_version": {
            **({"const": inputs.version} if inputs.version is not None else {"type": "string"}),
            "description": "When sent with a versioned path: the path's (else not checked).",
        },
    }
    # Open: the Open Inference Protocol does not forbid other top-level fields; they are ignored.
    body = {**closed_object(properties, ["inputs"]), "additionalProperties": True}
    return {"required": True, "content": {JSON: media(body, _infer_example(inputs))}}


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
