"""MLflow's scoring routes: ``POST /invocations``, ``GET /ping``, ``GET /version``, so that a
client of ``mlflow models serve`` only changes the URL (and sends the API key).

Errors stay RFC 9457 problems; an unsupported content type is a 415 problem.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, Response

from predictor.domain.inputs import ModelInput
from predictor.domain.options import PredictionOptions
from predictor.entrypoints.http import mlflow_protocol
from predictor.entrypoints.http.dependencies import ContainerDep
from predictor.entrypoints.http.middleware import MODEL_VERSION_HEADER
from predictor.entrypoints.http.protocol import predict_rows
from predictor.entrypoints.http.routes.health import ready
from predictor.entrypoints.http.routes.table import RouteTable, problems
from predictor.entrypoints.http.security import KEY_REQUIRED, ApiKeyDep, authenticate

routes = RouteTable(tags=["mlflow scoring protocol"])

JSON = "application/json"
CSV = "text/csv"

_OPENAPI_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            JSON: {"schema": {"type": "object"}, "example": {"dataframe_split": {"columns": [], "data": []}}},
            CSV: {"schema": {"type": "string"}},
        },
    }
}


def _media_type(header: str | None) -> str:
    """``application/json`` or ``text/csv`` (UTF-8); anything else is a 415 problem."""
    media, *parameters = [part.strip() for part in (header or "").split(";")]
    media = media.lower()
    charset = next(
        (p.partition("=")[2].strip('"').lower() for p in parameters if p.lower().startswith("charset=")),
        "utf-8",
    )
    if media not in (JSON, CSV) or charset not in ("utf-8", "utf8"):
        shown = header or "none"
        raise HTTPException(
            415, detail=f"send {JSON} or {CSV} (UTF-8); the request's Content-Type is {shown!r}"
        )
    return media


def _read(media: str, body: bytes) -> tuple[ModelInput, PredictionOptions]:
    if media == CSV:
        return mlflow_protocol.parse_csv(body), PredictionOptions()
    batch, params = mlflow_protocol.parse_json(body)
    return batch, PredictionOptions.parse(params, mlflow_protocol.PARAMS)


@routes.post(
    "/invocations",
    direct=True,
    summary="Predict rows sent in MLflow's scoring format (JSON or CSV)",
    responses=problems(400, 401, 413, 415, 500, 503),
    openapi_extra={**_OPENAPI_BODY, **KEY_REQUIRED},
)
async def invocations(request: Request) -> Response:
    authenticate(request)
    media = _media_type(request.headers.get("content-type"))
    batch, options = _read(media, await request.body())
    result = await predict_rows(request, batch.size, batch, options, mlflow_protocol.PARAMS)
    version = result.model.version.version
    request.state.model_version = version
    content = orjson.dumps({"predictions": mlflow_protocol.predictions(result)})
    return Response(content, media_type=JSON, headers={MODEL_VERSION_HEADER: version})


@routes.get(
    "/ping",
    summary="Ready: a model is loaded (as /health/ready)",
    response_model="Readiness",
    responses=problems(503),
)
async def ping(container: ContainerDep) -> Response:
    return await ready(container)


@routes.get("/version", summary="The predictor version serving", response_class=PlainTextResponse)
async def version(request: Request, key_id: ApiKeyDep) -> Response:
    return PlainTextResponse(request.app.version)
