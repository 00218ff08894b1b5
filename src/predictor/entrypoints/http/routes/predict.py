"""``POST /predict`` and ``POST /v1/predict``: the hot path.

The body is read as bytes and parsed with orjson; the envelope is checked by
``predict_protocol``, each row by the domain's encoder (in a decoder process for a big body).
No pydantic model is built per row.
"""

from __future__ import annotations

import orjson
from fastapi import Request
from starlette.responses import Response

from predictor.entrypoints.http.middleware import MODEL_VERSION_HEADER
from predictor.entrypoints.http.predict_protocol import read_predict
from predictor.entrypoints.http.protocol import call, decoded_body, media_type, predict_rows
from predictor.entrypoints.http.responses import model_info
from predictor.entrypoints.http.routes.table import RouteTable, problems
from predictor.entrypoints.http.security import KEY_REQUIRED, authenticate
from predictor.services.serving.prediction import PredictionResult

routes = RouteTable(tags=["predict"])


def _answer(result: PredictionResult, request_id: str) -> bytes:
    return orjson.dumps(
        {
            "predictions": [prediction.as_dict() for prediction in result.predictions],
            "model": model_info(result.model),
            "request_id": request_id,
        }
    )


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
    options, batch = await decoded_body(request, read_predict)
    result = await predict_rows(request, batch.size, batch, options)
    version = result.model.version.version
    request.state.model_version = version
    content = await call(_answer, batch.size, result, request.state.request_id)
    # The version that answered, even if another was swapped in meanwhile.
    return Response(content, media_type="application/json", headers={MODEL_VERSION_HEADER: version})
