"""The Open Inference Protocol (KServe V2): the codec, the model metadata and infer responses.
Reading an infer request's tensors into model input is in ``v2_tensors``; the binary tensor data
extension, in requests and answers, in ``v2_binary``.

An infer request sends either one tensor per feature (named after it, shape ``[n]`` or
``[n, 1]``; numeric datatypes for numeric features, ``BYTES`` of category names for categorical
ones; ``null`` is a missing value) or one numeric tensor of shape ``[n, features]`` in schema
order whose categorical columns hold category codes (the position in the vocabulary that the
model metadata lists). Tensor data may be flat (row-major) or nested.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from predictor.domain.errors import ModelUnavailable
from predictor.domain.options import Output
from predictor.domain.schema import FeatureKind, FeatureSchema, TaskType
from predictor.services.serving.codecs import v2_binary
from predictor.services.serving.codecs.base import Decoded, Encoded, Reader
from predictor.services.serving.codecs.json_body import decode_object
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


def chosen_outputs(
    task: TaskType, output: Output | None, requested: tuple[str, ...] | None
) -> tuple[str, ...]:
    """The outputs an answer holds: those asked for, else the task's for ``parameters.output``."""
    if requested is not None:
        return requested
    if task is TaskType.REGRESSION:
        return ("value",)
    return {Output.LABEL: ("label",), Output.PROBABILITIES: ("probabilities",)}.get(
        output or Output.BOTH, ("label", "probabilities")
    )


def _tensors(result: PredictionResult, names: tuple[str, ...]) -> Iterator[tuple[str, str, list[int], Any]]:
    """Each output's name, datatype, shape and values (a list of labels or a numpy array)."""
    rows = len(result.scores)
    for name in names:
        if name == "label":
            yield name, "BYTES", [rows], result.labels()
        elif name == "probabilities":
            probabilities = result.probabilities()
            yield name, "FP64", list(probabilities.shape), probabilities.ravel()
        else:
            yield name, "FP64", [rows], result.scores.astype(np.float64)


def infer_response(result: PredictionResult, request_id: str, decoded: Decoded) -> Encoded:
    """The answer in JSON, with the outputs ``decoded.binary`` names as binary data after it."""
    names = chosen_outputs(result.target.task, result.options.output, decoded.outputs)
    outputs: list[dict[str, Any]] = []
    data: dict[str, bytes] = {}
    for name, datatype, shape, values in _tensors(result, names):
        output: dict[str, Any] = {"name": name, "datatype": datatype, "shape": shape}
        if name in decoded.binary:
            data[name] = v2_binary.raw_bytes(datatype, values)
        else:
            output["data"] = values if isinstance(values, list) else values.tolist()
        outputs.append(output)
    version = result.model.version
    response = {
        "model_name": version.name,
        "model_version": version.version,
        "id": request_id,
        "outputs": outputs,
    }
    if data:
        return v2_binary.encode_binary(response, data)
    return Encoded(orjson.dumps(response))


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
BINARY_HEADER = v2_binary.HEADER


def read_infer(
    body: bytes,
    schema: FeatureSchema | None,
    model: str | None = None,
    version: str | None = None,
    header_length: str | None = None,
) -> Decoded:
    """An inference request's rows, options, id and outputs, read for the named model's schema;
    ``model`` and ``version``: what the path names; ``header_length``: the JSON header's length
    when binary tensor data follows it."""
    if schema is None:
        raise ModelUnavailable("no model is loaded yet")
    if header_length is None:
        document = decode_object(body, HINT)
    else:
        header, data = v2_binary.split(body, header_length)
        document = decode_object(header, HINT)
        v2_binary.attach_inputs(document, data)
    parsed, batch = read_infer_request(document, schema, (model, version))
    names = chosen_outputs(schema.target.task, parsed.options.output, parsed.outputs)
    binary = v2_binary.binary_outputs(document, names)
    return Decoded(batch, parsed.options, id=parsed.id, outputs=parsed.outputs, binary=binary)


class V2Codec:
    """``POST /v2/models/{name}/infer``: tensors in and out, as JSON or binary tensor data."""

    content_types: tuple[str, ...] = ()  # V2 clients send JSON under any content type

    def parsed_bytes(self, request: InferenceRequest) -> int:
        """The JSON header alone, when binary tensor data follows it."""
        header = request.headers.get(BINARY_HEADER, "")
        return int(header) if header.isdigit() else len(request.body)

    def decode(self, request: InferenceRequest, media: str) -> Reader:
        return partial(
            read_infer,
            model=request.model,
            version=request.version,
            header_length=request.headers.get(BINARY_HEADER),
        )

    def encode(self, result: PredictionResult, decoded: Decoded, request_id: str) -> Encoded:
        return infer_response(result, request_id, decoded)
