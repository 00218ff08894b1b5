"""``POST /predict`` and ``POST /v1/predict``: the hot path.

The body is read as bytes and parsed with orjson; the envelope is checked here, each row by
the domain's encoder. No pydantic model is built per row.
"""

from __future__ import annotations

import json
from typing import Any

import anyio.to_thread
import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from predictor.domain.errors import FieldError, InvalidInput
from predictor.entrypoints.http.dependencies import ContainerDep
from predictor.entrypoints.http.middleware import MODEL_VERSION_HEADER
from predictor.entrypoints.http.responses import model_info
from predictor.entrypoints.http.schemas import PredictRequest, PredictResponse, problems
from predictor.entrypoints.http.security import ApiKeyDep

router = APIRouter(tags=["predict"])

# Up to this many rows, predicting on the event loop costs less than a hop to a worker thread;
# bigger batches go to a thread so they do not hold up other requests.
INLINE_ROWS = 64

ENVELOPE_HINT = 'send {"instances": [{"feature": value, ...}, ...]}'


def _kind(value: object) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def _decode(body: bytes) -> object:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as strict_error:
        # orjson refuses the NaN / Infinity tokens and integers beyond 64 bits. The standard
        # library reads them, so the row encoder can name the row and field at fault.
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            message = f"the body is not valid JSON ({strict_error}); {ENVELOPE_HINT}"
            raise InvalidInput([FieldError(None, None, message)], summary=message) from None


def parse_instances(body: bytes) -> list[Any]:
    """The ``instances`` list of a request body, or ``InvalidInput`` saying what is wrong."""
    document = _decode(body)
    if not isinstance(document, dict):
        message = f"the body must be a JSON object, got {_kind(document)}; {ENVELOPE_HINT}"
        raise InvalidInput([FieldError(None, None, message)], summary=message)
    instances = document.get("instances")
    if isinstance(instances, list) and len(document) == 1:
        return instances
    errors = [
        FieldError(None, str(key), 'is not part of a prediction request; the only field is "instances"')
        for key in document
        if key != "instances"
    ]
    if "instances" not in document:
        errors.insert(0, FieldError(None, "instances", f"is required; {ENVELOPE_HINT}"))
    elif not isinstance(instances, list):
        errors.insert(0, FieldError(None, "instances", f"must be a list of rows, got {_kind(instances)}"))
    raise InvalidInput(errors)


_OPENAPI_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": PredictRequest.model_json_schema()}},
    }
}


@router.post(
    "/v1/predict",
    summary="Predict rows with the served model",
    response_model=PredictResponse,
    responses=problems(400, 401, 413, 500, 503),
    openapi_extra=_OPENAPI_BODY,
)
@router.post(
    "/predict",
    summary="Predict rows with the served model (same as /v1/predict)",
    response_model=PredictResponse,
    responses=problems(400, 401, 413, 500, 503),
    openapi_extra=_OPENAPI_BODY,
)
async def predict(request: Request, container: ContainerDep, key_id: ApiKeyDep) -> Response:
    rows = parse_instances(await request.body())
    make_prediction = container.make_prediction()
    if len(rows) > INLINE_ROWS:
        result = await anyio.to_thread.run_sync(make_prediction, rows)
    else:
        result = make_prediction(rows)
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
