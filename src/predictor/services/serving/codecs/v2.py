"""The Open Inference Protocol (KServe V2) in JSON: the codec, the model metadata and infer
responses. Reading an infer request's tensors into model input is in ``v2_tensors``.

An infer request sends either one tensor per feature (named after it, shape ``[n]`` or
``[n, 1]``; numeric datatypes for numeric features, ``BYTES`` of category names for categorical
ones; ``null`` is a missing value) or one numeric tensor of shape ``[n, features]`` in schema
order whose categorical columns hold category codes (the position in the vocabulary that the
model metadata lists). Tensor data may be flat (row-major) or nested.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import orjson

from predictor.domain.errors import ModelUnavailable
from predictor.domain.options import Output
from predictor.domain.schema import FeatureKind, FeatureSchema, TaskType
from predictor.services.serving.codecs.base import Decoded, Reader
from predictor.services.serving.codecs.json_body import decode_object, invalid
from predictor.services.serving.codecs.v2_tensors import DATATYPES, output_names, read_infer_request
from predictor.services.serving.loading import ServedModel
from predictor.services.serving.prediction import PredictionResult

if TYPE_CHECKING:
    from predictor.services.serving.core import InferenceRequest

# Named here too for the HTTP edge, which documents the datatypes and outputs.
__all__ = [
    "BINARY_HEADER",
    "DATATYPES",
    "V2Codec",
    "infer_response",
    "model_metadata",
    "output_names",
    "read_infer",
]


def _chosen(result: PredictionResult, requested: tuple[str, ...] | None) -> tuple[str, ...]:
    if requested is not None:
        return requested
    if result.target.task is TaskType.REGRESSION:
        return ("value",)
    output = result.options.output
    return {Output.LABEL: ("label",), Output.PROBABILITIES: ("probabilities",)}.get(
        output or Output.BOTH, ("label", "probabilities")
    )


def infer_response(
    result: PredictionResult, request_id: str, requested: tuple[str, ...] | None
) -> dict[str, Any]:
    rows = len(result.scores)
    outputs: list[dict[str, Any]] = []
    for name in _chosen(result, requested):
        if name == "label":
            outputs.append({"name": name, "datatype": "BYTES", "shape": [rows], "data": result.labels()})
        elif name == "probabilities":
            probabilities = result.probabilities()
            outputs.append(
                {
                    "name": name,
                    "datatype": "FP64",
                    "shape": list(probabilities.shape),
                    "data": probabilities.ravel().tolist(),
                }
            )
        else:
            outputs.append(
                {
                    "name": name,
                    "datatype": "FP64",
                    "shape": [rows],
                    "data": result.scores.astype(float).tolist(),
                }
            )
    version = result.model.version
    return {
        "model_name": version.name,
        "model_version": version.version,
        "id": request_id,
        "outputs": outputs,
    }


def model_metadata(served: ServedModel) -> dict[str, Any]:
    schema = served.model.manifest.schema
    inputs: list[dict[str, Any]] = []
    for feature in schema.features:
        tensor: dict[str, Any] = {"name": feature.name, "datatype": "FP32", "shape": [-1]}
        if feature.kind is FeatureKind.CATEGORICAL:
            tensor.update(datatype="BYTES", parameters={"categories": list(feature.categories)})
        inputs.append(tensor)
    classes = len(schema.target.labels)
    shapes = {"label": ("BYTES", [-1]), "probabilities": ("FP64", [-1, classes]), "value": ("FP64", [-1])}
    outputs = [
        {"name": name, "datatype": shapes[name][0], "shape": shapes[name][1]}
        for name in output_names(schema.target.task)
    ]
    return {
        "name": served.version.name,
        "versions": [served.version.version],
        "platform": "xgboost",
        "inputs": inputs,
        "outputs": outputs,
    }


HINT = 'send {"inputs": [{"name": ..., "shape": [...], "datatype": ..., "data": [...]}]}'
BINARY_HEADER = "inference-header-content-length"


def read_infer(
    body: bytes, schema: FeatureSchema | None, model: str | None = None, version: str | None = None
) -> Decoded:
    """An inference request's rows, options, id and outputs, read for the named model's schema;
    ``model`` and ``version``: what the path names."""
    if schema is None:
        raise ModelUnavailable("no model is loaded yet")
    parsed, batch = read_infer_request(decode_object(body, HINT), schema, (model, version))
    return Decoded(batch, parsed.options, id=parsed.id, outputs=parsed.outputs)


class V2Codec:
    """``POST /v2/models/{name}/infer``: JSON tensors in, JSON tensors out (no binary extension)."""

    content_types: tuple[str, ...] = ()  # V2 clients send JSON under any content type

    def decode(self, request: InferenceRequest, media: str) -> Reader:
        if BINARY_HEADER in request.headers:
            raise invalid("the binary tensor data extension is not supported; send tensors as JSON data")
        return partial(read_infer, model=request.model, version=request.version)

    def encode(self, result: PredictionResult, decoded: Decoded, request_id: str) -> bytes:
        return orjson.dumps(infer_response(result, request_id, decoded.outputs))
