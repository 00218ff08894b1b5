"""``POST /predict`` and ``POST /v1/predict``: the hot path.

The body is read as bytes and parsed with orjson; the envelope is checked here, each row by
the domain's encoder. No pydantic model is built per row.
"""

from __future__ import annotations

import orjson
from fastapi import Request
from starlette.responses import Response

from predictor.domain.options import PredictionOptions
from predictor.entrypoints.http.middleware import MODEL_VERSION_HEADER
from predictor.entrypoints.http.protocol import media_type, parsed_body, predict_rows
from predictor.entrypoints.http.responses import model_info
from predictor.entrypoints.http.routes.table import RouteTable, problems
from predictor.entrypoints.http.security import KEY_REQUIRED, authenticate
from predictor.services.serving.codecs.predictor import parse_instances

routes = RouteTable(tags=["predict"])


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
