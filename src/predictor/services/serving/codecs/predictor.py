"""The service's own protocol (``/predict``, ``/v1/explain``):
``{"instances": [...], "parameters": {...}}``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from predictor.domain.encoding.inputs import Records
from predictor.domain.errors import FieldError, InvalidInput
from predictor.domain.options import PredictionOptions
from predictor.domain.schema import FeatureSchema
from predictor.services.serving.codecs.base import Decoded, Encoded, Reader
from predictor.services.serving.codecs.json_body import decode_object, kind

if TYPE_CHECKING:
    from predictor.services.serving.core import InferenceRequest
    from predictor.services.serving.loading import ServedModel
    from predictor.services.serving.prediction import PredictionResult

JSON = "application/json"

ENVELOPE_HINT = 'send {"instances": [{"feature": value, ...}, ...]}'


def parse_instances(body: bytes, with_parameters: bool = True) -> tuple[list[Any], object]:
    """The ``instances`` list of a request body and its ``parameters`` (None when absent), or
    ``InvalidInput`` saying what is wrong. ``with_parameters=False`` allows ``instances`` only."""
    document = decode_object(body, ENVELOPE_HINT)
    allowed = ("instances", "parameters") if with_parameters else ("instances",)
    instances = document.get("instances")
    unexpected = [key for key in document if key not in allowed]
    if isinstance(instances, list) and not unexpected:
        return instances, document.get("parameters")
    fields = " and ".join(f'"{name}"' for name in allowed)
    errors = [
        FieldError(None, str(key), f"is not part of this request; the fields are {fields}")
        for key in unexpected
    ]
    if "instances" not in document:
        errors.insert(0, FieldError(None, "instances", f"is required; {ENVELOPE_HINT}"))
    elif not isinstance(instances, list):
        errors.insert(0, FieldError(None, "instances", f"must be a list of rows, got {kind(instances)}"))
    raise InvalidInput(errors)


def model_info(served: ServedModel) -> dict[str, object]:
    """The model block every answer of this protocol carries."""
    version = served.version
    return {"name": version.name, "version": version.version, "alias": served.alias, "run_id": version.run_id}


def read_predict(body: bytes, schema: FeatureSchema | None) -> Decoded:
    """``/predict``: the rows and the options."""
    rows, parameters = parse_instances(body)
    return Decoded(Records(rows), PredictionOptions.parse(parameters, "parameters"))


def read_explain(body: bytes, schema: FeatureSchema | None) -> Decoded:
    """``/v1/explain``: the rows (no parameters)."""
    rows, _ = parse_instances(body, with_parameters=False)
    return Decoded(Records(rows), PredictionOptions())


class PredictorCodec:
    """``POST /predict``: ``{"instances": [...], "parameters": {...}}`` in, predictions out."""

    content_types: tuple[str, ...] = (JSON,)

    def parsed_bytes(self, request: InferenceRequest) -> int:
        return len(request.body)

    def decode(self, request: InferenceRequest, media: str) -> Reader:
        return read_predict

    def encode(self, result: PredictionResult, decoded: Decoded, request_id: str) -> Encoded:
        return Encoded(
            orjson.dumps(
                {
                    "predictions": [prediction.as_dict() for prediction in result.predictions],
                    "model": model_info(result.model),
                    "request_id": request_id,
                }
            )
        )
