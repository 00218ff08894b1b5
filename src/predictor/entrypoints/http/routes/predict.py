"""``POST /predict`` and ``POST /v1/predict``: the hot path.

The body is read as bytes and parsed with orjson; the envelope is checked here, each row by
the domain's encoder. No pydantic model is built per row.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response

from predictor.domain.errors import FieldError, InvalidInput
from predictor.domain.options import PredictionOptions
from predictor.entrypoints.http.middleware import MODEL_VERSION_HEADER
from predictor.entrypoints.http.protocol import decode_object, kind, media_type, parsed_body, predict_rows
from predictor.entrypoints.http.responses import model_info
from predictor.entrypoints.http.routes.table import RouteTable, problems
from predictor.entrypoints.http.security import KEY_REQUIRED, authenticate

routes = RouteTable(tags=["predict"])

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


@routes.post(
    "/v1/predict",
    direct=True,
    summary="Predict rows with the served model",
    response_model="PredictResponse",
    responses=problems(400, 401, 413, 415, 429, 500, 503),
    request_body="predict",
    openapi_extra=KEY_REQUIRED,
)
@routes.post(
    "/predict",
    direct=True,
    summary="Predict rows with the served model (same as /v1/predict)",
    response_model="PredictResponse",
    responses=problems(400, 401, 413, 415, 429, 500, 503),
    request_body="predict",
    openapi_extra=KEY_REQUIRED,
)
async def predict(request: Request) -> Response:
    authenticate(request)
    media_type(request.headers.get("content-type"))
    rows, parameters = await parsed_body(request, parse_instances)
    options = PredictionOptions.parse(parameters, "parameters")
    result = await predict_rows(request, len(rows), rows, options)
    version = result.model.version.version
    request.state.model_version = version
    content = orjson.dumps(
        {
            "predictions": [prediction.as_dict() for prediction in result.predictions],
            "model": model_info(result.model),
            "request_id": request.state.request_id,
        }
    )
    # The version that answered, even if another was swapped in meanwhile.
    return Response(content, media_type="application/json", headers={MODEL_VERSION_HEADER: version})
