"""``POST /predict`` and ``POST /v1/predict``: the hot path.

The body is read as bytes and parsed with orjson; the envelope is checked here, each row by
the domain's encoder. No pydantic model is built per row.
"""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from predictor.entrypoints.http.protocol import answer
from predictor.entrypoints.http.routes.table import RouteTable, problems
from predictor.entrypoints.http.security import KEY_REQUIRED, authenticate
from predictor.services.serving.codecs.predictor import PredictorCodec

routes = RouteTable(tags=["predict"])
CODEC = PredictorCodec()


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
    return await answer(request, CODEC)
