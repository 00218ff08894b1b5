"""``POST /predict`` and ``POST /v1/predict`` (the default model), ``POST /v1/models/{name}/predict``
(the model served as ``name``): the hot path.

The body is read as bytes and parsed with orjson; the envelope is checked by the codec, each
row by the domain's encoder. No pydantic model is built per row.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from predictor.entrypoints.http.protocol import answer
from predictor.entrypoints.http.routes.documentation import problems, raw_body
from predictor.entrypoints.http.schemas import PredictResponse
from predictor.entrypoints.http.security import API_KEY
from predictor.services.serving.codecs.predictor import PredictorCodec

router = APIRouter(tags=["predict"], dependencies=[API_KEY], responses=problems(401, 429))
CODEC = PredictorCodec()

_DOCUMENTED: dict[str, Any] = {
    "response_model": PredictResponse,
    "responses": problems(400, 413, 415, 500, 503),
    "openapi_extra": raw_body(json="PredictRequest"),
}


@router.post("/v1/predict", summary="Predict rows with the served model", **_DOCUMENTED)
@router.post("/predict", summary="Predict rows with the served model (same as /v1/predict)", **_DOCUMENTED)
async def predict(request: Request) -> Response:
    return await answer(request, CODEC)


@router.post(
    "/v1/models/{name}/predict",
    summary="Predict rows with the model served as `name`",
    response_model=PredictResponse,
    responses=problems(400, 403, 404, 413, 415, 500, 503),
    openapi_extra=raw_body(json="PredictRequest"),
)
async def predict_with(request: Request, name: str) -> Response:
    return await answer(request, CODEC, name)
